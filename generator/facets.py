"""Facet pages: papers by publication type, by year and by journal, and the retracted list.

Pure: entries in, ``{relative path: page text}`` out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from generator.listing import Entry, line, newest_first, page, paginate
from generator.markdown import escape_md
from generator.slug import slugify

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


def _type_order(types: dict[str, list[Entry]]) -> list[str]:
    known = [t for t in TYPE_ORDER if t in types]
    rest = sorted((t for t in types if t not in TYPE_ORDER), key=lambda t: (-len(types[t]), t))
    return known + rest


def render_type_pages(
    entries: Sequence[Entry], lab: dict[str, str], page_size: int
) -> dict[str, str]:
    by_type: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        for t in e.publication_types:
            by_type[t].append(e)
    pages: dict[str, str] = {}
    index = [f"# {lab['publication_types']}", "", lab["types_intro"], ""]
    for t in _type_order(by_type):
        slug = slugify(t)
        index.append(f"- [{escape_md(t)}]({slug}.md) ({len(by_type[t])})")
        items = [line(e, "../", lab) for e in newest_first(by_type[t])]
        head = [f"{len(by_type[t])} {lab['papers_count']}", ""]
        pages.update(
            paginate(f"types/{slug}", t, head, [(None, items)], lab, page_size, filterable=True)
        )
    pages["types/index.md"] = page(lab["publication_types"], index)
    return pages


def render_year_pages(
    entries: Sequence[Entry], lab: dict[str, str], page_size: int
) -> dict[str, str]:
    by_year: dict[int, list[Entry]] = defaultdict(list)
    undated: list[Entry] = []
    for e in entries:
        (by_year[e.year] if e.year else undated).append(e)
    pages: dict[str, str] = {}
    index = [f"# {lab['years']}", ""]
    index += [f"| {lab['year']} | {lab['papers']} |", "|---|---:|"]
    for year in sorted(by_year, reverse=True):
        index.append(f"| [{year}]({year}.md) | {len(by_year[year])} |")
        items = [line(e, "../", lab) for e in newest_first(by_year[year])]
        head = [f"{len(by_year[year])} {lab['papers_count']}", ""]
        pages.update(
            paginate(
                f"years/{year}", str(year), head, [(None, items)], lab, page_size, filterable=True
            )
        )
    if undated:
        index += ["", f"{lab['undated']}: {len(undated)}"]
    pages["years/index.md"] = page(lab["years"], index)
    return pages


def render_journal_pages(
    entries: Sequence[Entry], lab: dict[str, str], page_size: int
) -> dict[str, str]:
    by_journal: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.journal:
            by_journal[e.journal].append(e)
    pages: dict[str, str] = {}
    index = [f"# {lab['journals']}", "", lab["journals_intro"], ""]
    index += [f"| {lab['journal']} | {lab['papers']} |", "|---|---:|"]
    for name in sorted(by_journal, key=lambda j: (-len(by_journal[j]), j.casefold())):
        slug = slugify(name)
        index.append(f"| [{escape_md(name)}]({slug}.md) | {len(by_journal[name])} |")
        items = [line(e, "../", lab) for e in newest_first(by_journal[name])]
        head = [f"{len(by_journal[name])} {lab['papers_count']}", ""]
        pages.update(
            paginate(
                f"journals/{slug}", name, head, [(None, items)], lab, page_size, filterable=True
            )
        )
    pages["journals/index.md"] = page(lab["journals"], index)
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
    return {"retracted.md": page(lab["retracted_page"], body)}
