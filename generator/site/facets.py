"""Facet pages: papers by publication type, by year and by journal, and the retracted list.

Pure: entries in, ``{relative path: page text}`` out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from generator.site.listing import Entry, line, newest_first, page, paginate
from generator.utils.journals import citation_journal
from generator.utils.markdown import escape_md
from generator.utils.slug import slugify

# Study designs first, in the order a reader looks for them; other types follow by count.
TYPE_ORDER = (
    "Review",
    "Systematic Review",
    "Meta-Analysis",
    "Randomized Controlled Trial",
    "Clinical Trial",
    "Observational Study",
    "Case Reports",
    "Practice Guideline",
    "Guideline",
    "Journal Article",
)


def _group_page(
    folder: str, slug: str, title: str, papers: Sequence[Entry], lab: dict[str, str], size: int
) -> dict[str, str]:
    """One facet value's page (paginated, filterable): its papers, newest first."""
    items = [(e, "") for e in papers]  # callers pass newest-first groups
    head = [f"{len(papers)} {lab['papers_count']}", ""]
    extra = {
        "kb_list": f"{folder}-{slug}",
        "description": lab["facet_description"].format(title=title, n=len(papers)),
    }
    return paginate(f"{folder}/{slug}", title, head, [(None, items)], lab, size, extra=extra)


def _type_order(types: dict[str, list[Entry]]) -> list[str]:
    known = [t for t in TYPE_ORDER if t in types]
    rest = sorted((t for t in types if t not in TYPE_ORDER), key=lambda t: (-len(types[t]), t))
    return known + rest


def render_type_pages(
    entries: Sequence[Entry], lab: dict[str, str], page_size: int
) -> dict[str, str]:
    entries = newest_first(entries)  # once: every group below keeps this order
    by_type: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        for t in e.publication_types:
            by_type[t].append(e)
    pages: dict[str, str] = {}
    index = [f"# {lab['publication_types']}", "", lab["types_intro"], ""]
    for t in _type_order(by_type):
        slug = slugify(t)
        n = len(by_type[t])
        index.append(f"- [{escape_md(t)}]({slug}.md) ({n})")
        if n > page_size and n > len(entries) / 2:
            # "Journal Article" is on nearly every paper: its list would be the list of all
            # papers again (47,000 lines at 50,000 papers)
            note = lab["common_type_note"].format(type=t, n=n, total=len(entries))
            body = [f"# {escape_md(t)}", "", escape_md(note, line_start=True)]
            pages[f"types/{slug}.md"] = page(t, body)
            continue
        pages.update(_group_page("types", slug, t, by_type[t], lab, page_size))
    pages["types/index.md"] = page(
        lab["publication_types"], index, {"description": lab["types_intro"]}
    )
    return pages


def render_year_pages(
    entries: Sequence[Entry], lab: dict[str, str], page_size: int
) -> dict[str, str]:
    entries = newest_first(entries)  # once: every group below keeps this order
    by_year: dict[int, list[Entry]] = defaultdict(list)
    undated: list[Entry] = []
    for e in entries:
        (by_year[e.year] if e.year else undated).append(e)
    pages: dict[str, str] = {}
    index = [f"# {lab['years']}", ""]
    index += [f"| {lab['year']} | {lab['papers']} |", "|---|---:|"]
    for year in sorted(by_year, reverse=True):
        index.append(f"| [{year}]({year}.md) | {len(by_year[year])} |")
        pages.update(_group_page("years", str(year), str(year), by_year[year], lab, page_size))
    if undated:
        index += ["", f"{lab['undated']}: {len(undated)}"]
    pages["years/index.md"] = page(lab["years"], index, {"description": lab["years_intro"]})
    return pages


def render_journal_pages(
    entries: Sequence[Entry], lab: dict[str, str], page_size: int
) -> dict[str, str]:
    entries = newest_first(entries)  # once: every group below keeps this order
    by_journal: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.journal:
            by_journal[e.journal].append(e)
    pages: dict[str, str] = {}
    index = [f"# {lab['journals']}", "", lab["journals_intro"], ""]
    index += [f"| {lab['journal']} | {lab['papers']} |", "|---|---:|"]
    for name in sorted(by_journal, key=lambda j: (-len(by_journal[j]), j.casefold())):
        slug, shown = slugify(name), citation_journal(name)
        index.append(f"| [{escape_md(shown)}]({slug}.md) | {len(by_journal[name])} |")
        pages.update(_group_page("journals", slug, shown, by_journal[name], lab, page_size))
    pages["journals/index.md"] = page(
        lab["journals"], index, {"description": lab["journals_intro"]}
    )
    return pages


def render_retracted_page(entries: Sequence[Entry], lab: dict[str, str]) -> dict[str, str]:
    """Every retracted paper, and those with an expression of concern or an erratum."""
    retracted = [e for e in newest_first(entries) if e.retracted]
    concern = [e for e in newest_first(entries) if e.concern and not e.retracted]
    errata = [e for e in newest_first(entries) if e.erratum and not e.retracted]
    body = [f"# {lab['retracted_page']}", "", lab["retracted_intro"], ""]
    body += [f"## {lab['retracted_title']} ({len(retracted)})", ""]
    body += [line(e, "", lab) for e in retracted] or [lab["none_yet"]]
    body += ["", f"## {lab['concern_badge']} ({len(concern)})", ""]
    body += [line(e, "", lab) for e in concern] or [lab["none_yet"]]
    body += ["", f"## {lab['errata']} ({len(errata)})", ""]
    body += [line(e, "", lab) for e in errata] or [lab["none_yet"]]
    extra = {"description": lab["retracted_intro"]}
    return {"retracted.md": page(lab["retracted_page"], body, extra)}
