"""Grouping pages from the paper pages on disk.

Landing page (what is new, counts, charts), topics, MeSH descriptors (A–Z), facets
(publication type, year, journal), retractions, the status page and all papers.
``render_index_pages`` is pure (entries and run records in, ``{relative path: text}``
out); ``write_index_pages`` reads the pages, writes what changed and removes generated
pages that no longer have papers.
"""

from __future__ import annotations

import dataclasses
import heapq
import multiprocessing
import os
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from generator.config.model import Config
from generator.kb.citations import citation_graph, load_signals
from generator.kb.pages import split_page
from generator.kb.state import load_run_records
from generator.site.charts import Chart, papers_per_month, top_mesh
from generator.site.facets import (
    render_journal_pages,
    render_retracted_page,
    render_type_pages,
    render_year_pages,
)
from generator.site.listing import (
    GENERATED_FLAG,
    RELEVANCES,
    Entry,
    entry_from_meta,
    line,
    load_entries,
    newest_first,
    page,
    paginate,
)
from generator.site.status import last_run, render_status
from generator.utils.errors import PageError
from generator.utils.i18n import labels
from generator.utils.markdown import escape_html, escape_md
from generator.utils.slug import slugify
from generator.utils.store import read_text, remove_files, remove_temp_files, write_if_changed

__all__ = ["GENERATED_FLAG", "Entry", "entry_from_meta", "load_entries", "render_index_pages"]

PAGE_SIZE = 500  # entries per grouping page before it is split into numbered pages
NEWEST_ON_LANDING = 20
CO_OCCURRING = 10  # descriptors listed as co-occurring on a MeSH page
# NLM's check tags say who or what was studied (species, sex, age group), not what about:
# they are left out of the "most frequent" chart, and their MeSH pages list no papers (at
# 50,000 papers "Humans", "Female" and "Male" alone were 100,000 list lines).
CHECK_TAGS = (
    "Humans", "Animals", "Female", "Male", "Pregnancy",
    "Infant", "Infant, Newborn", "Child", "Child, Preschool", "Adolescent", "Young Adult",
    "Adult", "Middle Aged", "Aged", "Aged, 80 and over",
    "Mice", "Rats", "Cattle", "Dogs", "Swine", "Cats", "Rabbits", "Guinea Pigs",
    "Cricetinae", "Sheep", "Horses", "Chick Embryo",
)  # fmt: skip
MOST_FREQUENT_TERMS = 30  # on the MeSH index page, before the letters
MESH_OTHERS_MAX = 500  # papers indexed with a term (not as a major topic) listed on its page
GENERATED_DIRS = ("keywords", "mesh", "types", "years", "journals", "papers/index", "browse")
GENERATED_ROOT = ("index.md", "retracted.md", "status.md", "papers/index.md")


@dataclass
class IndexReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: int = 0
    papers: int = 0


# --- rendering (pure) -------------------------------------------------------------


def render_topic_pages(entries: Sequence[Entry], config: Config) -> dict[str, str]:
    lab = labels(config.site.language)
    entries = newest_first(entries)  # once: every group below keeps this order
    by_topic: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        for k in e.search_keywords:
            by_topic[k].append(e)
    names = {t.name: t for t in config.topics}
    for name in names:
        by_topic.setdefault(name, [])
    pages: dict[str, str] = {}
    index = [f"# {lab['topics']}", "", lab["topics_intro"], ""]
    index += [
        f"| {lab['topic']} | {lab['high']} | {lab['medium']} | {lab['low']} | {lab['total']} |"
    ]
    index += ["|---|---:|---:|---:|---:|"]
    for name in sorted(by_topic, key=str.casefold):
        papers = by_topic[name]
        counts = [sum(1 for e in papers if e.relevance == r) for r in RELEVANCES]
        slug = slugify(name)
        index.append(
            f"| [{escape_md(name)}]({slug}.md) | "
            + " | ".join(str(c) for c in counts)
            + f" | {len(papers)} |"
        )
        head: list[str] = []
        topic = names.get(name)
        if topic:
            if topic.description:
                head += [escape_md(topic.description, line_start=True), ""]
            # Markdown still runs inside inline <code>: escape_md keeps "genomic*" literal.
            head += [f"**{lab['query']}**: <code>{escape_md(topic.query)}</code>", ""]
        head += [f"{len(papers)} {lab['papers_count']}", ""]
        head += most_cited_here(papers, "../", lab)
        head += [lab["topic_ranking"], ""]
        sections = [(lab[r], [(e, "") for e in papers if e.relevance == r]) for r in RELEVANCES]
        pages.update(
            paginate(
                f"keywords/{slug}",
                name,
                head,
                [s for s in sections if s[1]],
                lab,
                PAGE_SIZE,
                extra={
                    "kb_kind": "topic",
                    "kb_slug": slug,
                    "kb_list": slug,
                    "description": (topic.description if topic else "")
                    or lab["topic_description"].format(name=name, n=len(papers)),
                },
            )
        )
    pages["keywords/index.md"] = page(lab["topics"], index, {"description": lab["topics_intro"]})
    return pages


def co_occurring(
    term: str, papers: Sequence[Entry], n: int = CO_OCCURRING
) -> list[tuple[str, int]]:
    """The descriptors that appear most often with ``term`` (ties by name)."""
    counts = Counter(chain.from_iterable(e.mesh for e in papers))
    counts.pop(term, None)
    return heapq.nsmallest(n, counts.items(), key=lambda kv: (-kv[1], kv[0]))


def render_mesh_pages(
    entries: Sequence[Entry], config: Config, share: tuple[int, int] = (0, 1)
) -> dict[str, str]:
    """The MeSH term pages and their index; with ``share`` ``(i, n)``, only every n-th
    term's page from the i-th on, and the index pages only in share 0."""
    lab = labels(config.site.language)
    entries = newest_first(entries)  # once: every group below keeps this order
    by_term: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        for term in e.mesh:
            by_term[term].append(e)
    pages: dict[str, str] = {}
    letters: dict[str, list[str]] = defaultdict(list)
    checks = set(CHECK_TAGS)
    mine, of = share
    for position, term in enumerate(sorted(by_term, key=lambda t: (t.casefold(), t))):
        papers = by_term[term]
        slug = slugify(term)
        first = term[:1].upper()
        letters[first if "A" <= first <= "Z" else "#"].append(
            f"- [{escape_md(term)}](../{slug}.md) ({len(papers)})"
        )
        if position % of != mine:
            continue
        if term in checks:
            note = lab["check_tag_note"].format(term=term, n=len(papers), total=len(entries))
            body = [f"# {escape_md(term)}", "", escape_md(note, line_start=True)]
            extra = {"kb_kind": "mesh", "kb_slug": slug, "kb_papers": len(papers)}
            extra["description"] = lab["mesh_description"].format(term=term, n=len(papers))
            pages[f"mesh/{slug}.md"] = page(term, body, extra)
            continue

        # Every paper with the term as a major topic; of the papers merely indexed with it,
        # the newest MESH_OTHERS_MAX (a term like "Breast Neoplasms" is on thousands, and
        # those lists were most of a large site's bytes). The qualifiers are on the paper.
        major = [(e, "") for e in papers if term in e.mesh_major]
        minor = [(e, "") for e in papers if term not in e.mesh_major]
        shown = minor[:MESH_OTHERS_MAX]
        head = [f"{len(papers)} {lab['papers_count']}", ""]
        if len(minor) > len(shown):
            note = lab["mesh_others_capped"].format(
                shown=len(shown), n=len(minor), major=len(major)
            )
            head += [note, ""]
        # over the papers this page lists: bounded work for a term on thousands of papers
        related = co_occurring(term, [e for e, _ in major] + [e for e, _ in shown])
        if related:
            links = ", ".join(f"[{escape_md(m)}]({slugify(m)}.md) ({c})" for m, c in related)
            head += [f"**{lab['co_occurring']}**: {links}", ""]
        others = lab["all_papers"] if not major else lab["papers"]
        pages.update(
            paginate(
                f"mesh/{slug}",
                term,
                head,
                [(f"{lab['major_topic']} ★", major)] if major else [],
                lab,
                PAGE_SIZE,
                tail=[(others, shown)] if shown else None,
                extra={
                    "kb_kind": "mesh",
                    "kb_slug": slug,
                    "kb_papers": len(papers),
                    "kb_list": slug,
                    "description": lab["mesh_description"].format(term=term, n=len(papers)),
                },
            )
        )
    if mine != 0:
        return pages
    # The index page names the letters and the most frequent terms; each letter's terms are
    # on a page of their own (mesh/index/<letter>.md), so no page lists every term.
    order = sorted(letters, key=lambda c: (c == "#", c))
    index = [f"# {lab['mesh_terms']}", "", lab["mesh_index_intro"], ""]
    index += [
        " · ".join(f"[{c}](index/{_letter_slug(c)}.md) ({len(letters[c])})" for c in order),
        "",
    ]
    top = heapq.nsmallest(
        MOST_FREQUENT_TERMS, by_term, key=lambda t: (-len(by_term[t]), t.casefold(), t)
    )
    if top:
        index += [f"## {lab['most_frequent']}", ""]
        index += [f"- [{escape_md(t)}]({slugify(t)}.md) ({len(by_term[t])})" for t in top]
    pages["mesh/index.md"] = page(
        lab["mesh_terms"], index, {"description": lab["mesh_index_intro"]}
    )
    for c in order:
        title = f"{lab['mesh_terms']}: {c}"
        body = [f"# {escape_md(title)}", "", lab["mesh_letter_intro"].format(letter=c), ""]
        body += [" · ".join(f"[{o}]({_letter_slug(o)}.md)" for o in order), ""]
        pages[f"mesh/index/{_letter_slug(c)}.md"] = page(title, [*body, *letters[c]])
    return pages


def _letter_slug(letter: str) -> str:
    return letter.lower() if letter != "#" else "other"


def render_papers_index(entries: Sequence[Entry], config: Config) -> dict[str, str]:
    lab = labels(config.site.language)
    # papers/index.md paginates into papers/index/part-N.md, one folder deeper.
    items = [(e, "") for e in newest_first(entries)]
    head = [f"{len(entries)} {lab['papers_count']}", ""]
    extra = {"description": lab["all_papers_intro"].format(n=len(entries))}
    return paginate(
        "papers/index", lab["all_papers"], head, [(None, items)], lab, PAGE_SIZE, extra=extra
    )


def _chart(chart: Chart | None, lab: dict[str, str]) -> list[str]:
    """A chart inline (one line of raw HTML: Python-Markdown passes it through), labelled
    for screen readers, and its numbers as a table a click away."""
    if chart is None:
        return []
    svg = chart.svg.replace("<svg ", f'<svg role="img" aria-label="{escape_html(chart.title)}" ', 1)
    table = [
        "| " + " | ".join(escape_md(h) for h in chart.header) + " |",
        "|" + "---|" + "---:|" * (len(chart.header) - 1),
        *("| " + " | ".join(escape_md(c) for c in row) + " |" for row in chart.rows),
    ]
    summary = f"{lab['chart_table']}: {escape_html(chart.title)}"
    return [
        f'<div class="kb-chart">{svg}</div>',
        "",
        f'<details class="kb-chart__data" markdown="1"><summary>{summary}</summary>',
        "",
        *table,
        "",
        "</details>",
        "",
    ]


MOST_CITED_HERE = 10  # papers in a "most cited in this knowledge base" list


def most_cited_here(entries: Sequence[Entry], prefix: str, lab: dict[str, str]) -> list[str]:
    """The papers most cited by the others of the knowledge base (ties: newest first), as
    a section; nothing when no paper here cites another."""
    cited = [e for e in entries if e.kb_cited_by]
    if not cited:
        return []
    newest = sorted(cited, key=lambda e: e.newest_key, reverse=True)
    top = sorted(newest, key=lambda e: -e.kb_cited_by)[:MOST_CITED_HERE]  # stable: ties newest
    out = [f"## {lab['most_cited_here']}", "", lab["most_cited_intro"], ""]
    out += [f"{line(e, prefix, lab)} · {lab['cited_here'].format(n=e.kb_cited_by)}" for e in top]
    return [*out, ""]


RISING = 10  # papers in the landing page's "rising papers"


def rising(entries: Sequence[Entry], lab: dict[str, str]) -> list[str]:
    """Papers of the knowledge base's two latest publication years with the highest RCR (a
    section; nothing without RCRs). The years come from the papers, not the clock, so the
    page is the same on any day."""
    years = [e.year for e in entries if e.year]
    if not years:
        return []
    since = max(years) - 1  # once: in the loop below it made the landing page O(N²)
    recent = [e for e in entries if e.rcr is not None and e.year and e.year >= since]
    if not recent:
        return []
    newest = sorted(recent, key=lambda e: e.newest_key, reverse=True)
    top = sorted(newest, key=lambda e: -(e.rcr or 0.0))[:RISING]
    out = [f"## {lab['rising']}", "", lab["rising_intro"], ""]
    out += [f"{line(e, '', lab)} · {lab['rcr_value'].format(r=f'{e.rcr:.2f}')}" for e in top]
    return [*out, ""]


def render_landing(
    entries: Sequence[Entry], config: Config, runs: Sequence[dict[str, Any]] = ()
) -> str:
    lab = labels(config.site.language)
    title = config.site.title
    body = [f"# {escape_md(title)}", ""]
    if config.site.description:
        body += [escape_md(config.site.description, line_start=True), ""]
    body += [lab["landing_intro"], ""]
    body += _whats_new(entries, config, runs, lab)
    topics = sorted(
        {k for e in entries for k in e.search_keywords} | {t.name for t in config.topics},
        key=str.casefold,
    )
    n_mesh = len({m for e in entries for m in e.mesh})
    n_retracted = sum(1 for e in entries if e.retracted)
    body += [
        f"## {lab['counts']}",
        "",
        f"- [{lab['all_papers']}](papers/index.md): {len(entries)}",
        f"- [{lab['topics']}](keywords/index.md): {len(topics)}",
        f"- [{lab['mesh_terms']}](mesh/index.md): {n_mesh}",
        f"- {lab['browse_by']}: [{lab['publication_types']}](types/index.md) · "
        f"[{lab['years']}](years/index.md) · [{lab['journals']}](journals/index.md)",
        f"- [{lab['retracted_page']}](retracted.md): {n_retracted}",
        f"- [{lab['status']}](status.md)",
        # feed.xml is written at build time, beside the site (raw HTML: not a docs page)
        f'- <a href="feed.xml" type="application/atom+xml">{lab["atom_feed"]}</a>: '
        f"{lab['feed_hint']}",
        "",
        f"| {lab['topic']} | {lab['high']} | {lab['medium']} | {lab['low']} | {lab['total']} |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in topics:
        papers = [e for e in entries if name in e.search_keywords]
        counts = " | ".join(str(sum(1 for e in papers if e.relevance == r)) for r in RELEVANCES)
        body.append(
            f"| [{escape_md(name)}](keywords/{slugify(name)}.md) | {counts} | {len(papers)} |"
        )
    totals = " | ".join(str(sum(1 for e in entries if e.relevance == r)) for r in RELEVANCES)
    body += [f"| **{lab['total']}** | {totals} | {len(entries)} |", ""]
    months = papers_per_month(
        entries, topics, lab["chart_months"], lab["chart_month"], lab["chart_other_topics"]
    )
    mesh = top_mesh(entries, lab["chart_mesh"], lab["mesh_term"], lab["papers"], CHECK_TAGS)
    if months or mesh:
        body += [f"## {lab['charts']}", "", *_chart(months, lab), *_chart(mesh, lab)]
    body += rising(entries, lab)
    body += most_cited_here(entries, "", lab)
    newest = sorted(entries, key=lambda e: (e.collected or "", e.newest_key), reverse=True)
    body += [f"## {lab['newest']}", ""]
    body += [line(e, "", lab) for e in newest[:NEWEST_ON_LANDING]]
    return page(title, body)


def _whats_new(
    entries: Sequence[Entry], config: Config, runs: Sequence[dict[str, Any]], lab: dict[str, str]
) -> list[str]:
    """Papers first collected on the day of the last harvest, per topic."""
    run = last_run(runs)
    if run is None:
        return []
    day = str(run.get("started", ""))[:10]
    new = [e for e in entries if (e.collected or "") >= day]
    out = [f"## {lab['whats_new']}", "", lab["whats_new_intro"].format(date=day, n=len(new)), ""]
    revised, retracted = run.get("revised") or [], run.get("retracted") or []
    if revised or retracted:
        by_pmid = {e.pmid: e for e in entries}
        line_ = lab["revised_line"].format(n=len(revised), m=len(retracted))
        out += [line_ + ("" if not retracted else ":"), ""]
        out += [line(by_pmid[p], "", lab) for p in retracted if p in by_pmid]
        out += [""] if retracted else []
    by_topic: dict[str, list[Entry]] = defaultdict(list)
    for e in new:
        for k in e.search_keywords:
            by_topic[k].append(e)
    for name in sorted(by_topic, key=str.casefold):
        papers = newest_first(by_topic[name])
        out += [f"### {escape_md(name)} ({len(papers)})", ""]
        out += [line(e, "", lab) for e in papers[:10]]
        if len(papers) > 10:
            out.append(f"- [{lab['more']}](keywords/{slugify(name)}.md)")
        out.append("")
    return out


def render_index_pages(
    entries: Sequence[Entry],
    config: Config,
    runs: Sequence[dict[str, Any]] = (),
    share: tuple[int, int] = (0, 1),
) -> dict[str, str]:
    """Every grouping page, keyed by its path relative to ``site_src`` (pure). With
    ``share`` ``(i, n)``: the i-th of n disjoint parts of them (MeSH pages, most of the
    work, are dealt out term by term; the other kinds go whole to one share each)."""
    lab = labels(config.site.language)
    # Sorted once: every group built from this order is already newest-first, so the
    # per-group sorts below run over sorted data (linear for Python's sort).
    entries = newest_first(entries)
    mine, of = share
    kinds = [
        lambda: {"index.md": render_landing(entries, config, runs)},
        lambda: render_topic_pages(entries, config),
        lambda: render_papers_index(entries, config),
        lambda: render_type_pages(entries, lab, PAGE_SIZE),
        lambda: render_year_pages(entries, lab, PAGE_SIZE),
        lambda: render_journal_pages(entries, lab, PAGE_SIZE),
        lambda: render_retracted_page(entries, lab),
        lambda: {"status.md": render_status(runs, config, lab)},
        lambda: {"browse/index.md": render_browse(entries, runs, lab)},
    ]
    pages = render_mesh_pages(entries, config, share)
    for i, kind in enumerate(kinds):
        if i % of == (of - 1 - mine):  # the last share, with the fewest MeSH terms, first
            pages.update(kind())
    return dict(sorted(pages.items()))


def render_browse(
    entries: Sequence[Entry], runs: Sequence[dict[str, Any]], lab: dict[str, str]
) -> str:
    """The "Browse by" section's own page: every other way into the collection."""
    years = {e.year for e in entries if e.year}
    journals = {e.journal for e in entries if e.journal}
    types = {t for e in entries for t in e.publication_types}
    retracted = sum(1 for e in entries if e.retracted)
    run = last_run(runs) or {}
    when = f" ({lab['status_last_run']}: {escape_md(str(run.get('started', ''))[:10])})"
    body = [f"# {lab['browse_by']}", "", lab["browse_intro"], ""]
    body += [
        f"- [{lab['publication_types']}](../types/index.md) ({len(types)})",
        f"- [{lab['years']}](../years/index.md) ({len(years)})",
        f"- [{lab['journals']}](../journals/index.md) ({len(journals)})",
        f"- [{lab['retracted_page']}](../retracted.md) ({retracted})",
        f"- [{lab['status']}](../status.md)" + (when if run else ""),
    ]
    return page(lab["browse_by"], body, {"description": lab["browse_intro"]})


# --- disk -------------------------------------------------------------------------


def _stale_generated_files(site_src: Path, keep: set[Path]) -> list[Path]:
    """Grouping pages an earlier run wrote (they carry the generated flag) that this run
    did not write: those are the pages of topics and terms that lost all their papers."""
    candidates = [site_src / rel for rel in GENERATED_ROOT]
    for sub in GENERATED_DIRS:  # (sorted as strings: Path comparisons were 1.5 s at 50k)
        candidates += sorted((site_src / sub).rglob("*.md"), key=str)
    found = []
    for p in (c for c in candidates if c not in keep):
        text = read_text(p)
        if text is None:
            continue
        try:
            meta, _ = split_page(text, str(p))
        except PageError:
            continue  # not ours to judge: never remove a page we cannot read
        if meta.get(GENERATED_FLAG) is True:
            found.append(p)
    return found


def with_citations(
    entries: Sequence[Entry], signals: Mapping[str, Mapping[str, Any]]
) -> list[Entry]:
    """The entries with their RCR and the number of papers of this knowledge base citing
    each (pure)."""
    _, cited_by = citation_graph(signals, {e.pmid for e in entries})
    out = []
    for e in entries:
        rcr = (signals.get(e.pmid) or {}).get("rcr")
        rcr = float(rcr) if isinstance(rcr, int | float) and not isinstance(rcr, bool) else None
        if e.pmid in cited_by or rcr is not None:
            e = dataclasses.replace(e, kb_cited_by=len(cited_by.get(e.pmid, ())), rcr=rcr)
        out.append(e)
    return out


def _generated_folders(site_src: Path) -> list[Path]:
    """``site_src`` and every folder of grouping pages under it."""
    found = [site_src]
    for sub in GENERATED_DIRS:
        for root, _, _ in os.walk(site_src / sub):
            found.append(Path(root))
    return found


def _write_share(
    site_src: Path,
    entries: Sequence[Entry],
    config: Config,
    runs: Sequence[dict[str, Any]],
    share: tuple[int, int],
) -> tuple[list[str], list[str]]:
    """Render one share of the grouping pages and write those that changed; return the
    pages of the share and those written."""
    pages = render_index_pages(entries, config, runs, share)
    written = [
        rel
        for rel, text in pages.items()
        if write_if_changed(site_src / rel, text, durable=False)  # derived: no fsync
    ]
    return list(pages), written


_SHARE_ARGS: tuple[Any, ...] = ()  # what forked workers render from (inherited, not pickled)


def _write_forked_share(share: tuple[int, int]) -> tuple[list[str], list[str]]:
    return _write_share(*_SHARE_ARGS, share)


def _shares(papers: int) -> int:
    """Processes that render the grouping pages: one per core (at most 4), from 2,000
    papers on (fewer render in a second)."""
    if papers < 2000 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def write_index_pages(
    site_src: Path,
    config: Config,
    metas: Mapping[str, Mapping[str, Any]] | None = None,
    signals: Mapping[str, Mapping[str, Any]] | None = None,
) -> IndexReport:
    """Regenerate every grouping page from the paper pages on disk and the run records
    (``metas``: their frontmatter by PMID, and ``signals``, the citation signals, when the
    caller has read them already). Large
    knowledge bases render in one process per core, each writing its share of pages."""
    global _SHARE_ARGS
    if signals is None:
        signals = load_signals(config.state_dir)
    entries = with_citations(load_entries(site_src, metas), signals)
    runs = load_run_records(config.state_dir)
    report = IndexReport(papers=len(entries))
    for folder in _generated_folders(site_src):  # what a killed run left half-written
        remove_temp_files(folder)  # (before the workers start writing theirs)
    n = _shares(len(entries))
    if n == 1:
        results = [_write_share(site_src, entries, config, runs, (0, 1))]
    else:
        _SHARE_ARGS = (site_src, entries, config, runs)
        try:
            with multiprocessing.get_context("fork").Pool(n) as pool:
                results = pool.map(_write_forked_share, [(i, n) for i in range(n)])
        finally:
            _SHARE_ARGS = ()
    rels = sorted(rel for done, _ in results for rel in done)
    written = {rel for _, w in results for rel in w}
    report.written = [rel for rel in rels if rel in written]
    report.unchanged = len(rels) - len(written)
    keep = {site_src / rel for rel in rels}
    report.removed = remove_files(_stale_generated_files(site_src, keep))
    return report
