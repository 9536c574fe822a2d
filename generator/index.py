"""Grouping pages from the paper pages on disk: landing page, topics, MeSH, all papers.

``load_entries`` reads the frontmatter of every paper page; ``render_index_pages``
is pure (entries in, ``{relative path: text}`` out); ``write_index_pages`` writes
what changed and removes generated pages that no longer have papers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.config import Config
from generator.errors import PageError
from generator.i18n import labels
from generator.markdown import escape_md
from generator.pages import dump_page, split_page
from generator.slug import slugify
from generator.store import iter_pages, read_text, remove_files, write_if_changed

PAGE_SIZE = 500  # entries per grouping page before it is split into numbered pages
NEWEST_ON_LANDING = 20
GENERATED_FLAG = "kb_generated"
RELEVANCES = ("high", "medium", "low")


@dataclass(frozen=True)
class Entry:
    """What a list needs to know about one paper (read from its frontmatter)."""

    pmid: str
    title: str
    journal: str | None = None
    year: int | None = None
    pub_date: str | None = None
    collected: str | None = None
    relevance: str = "low"
    score: float = 0.0
    retracted: bool = False
    search_keywords: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    mesh_major: tuple[str, ...] = ()

    @property
    def newest_key(self) -> tuple[str, int]:
        return (self.pub_date or "", int(self.pmid))


@dataclass
class IndexReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: int = 0
    papers: int = 0


def entry_from_meta(meta: dict[str, Any], name: str) -> Entry:
    """An :class:`Entry` from a paper page's frontmatter; ``PageError`` if unusable."""
    pmid = str(meta.get("pmid") or "")
    if not pmid.isdigit():
        raise PageError(f"{name}: frontmatter has no numeric pmid")

    def strings(key: str) -> tuple[str, ...]:
        value = meta.get(key) or []
        if not isinstance(value, list):
            raise PageError(f"{name}: {key} must be a list")
        return tuple(str(v) for v in value)

    relevance = str(meta.get("relevance") or "low")
    return Entry(
        pmid=pmid,
        title=str(meta.get("title") or pmid),
        journal=meta.get("journal"),
        year=meta.get("year"),
        pub_date=None if meta.get("pub_date") is None else str(meta["pub_date"]),
        collected=None if meta.get("collected") is None else str(meta["collected"]),
        relevance=relevance if relevance in RELEVANCES else "low",
        score=float(meta.get("score") or 0.0),
        retracted=bool(meta.get("retracted")),
        search_keywords=strings("search_keywords"),
        mesh=strings("mesh"),
        mesh_major=strings("mesh_major"),
    )


def load_entries(site_src: Path) -> list[Entry]:
    """Every paper page's entry, sorted by PMID."""
    entries = []
    for path in iter_pages(site_src / "papers"):
        if not path.stem.isdigit():
            continue  # papers/index.md and its numbered pages
        meta, _ = split_page(path.read_text(encoding="utf-8"), str(path))
        entries.append(entry_from_meta(meta, str(path)))
    return sorted(entries, key=lambda e: int(e.pmid))


# --- rendering (pure) -------------------------------------------------------------


def _newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: e.newest_key, reverse=True)


def _line(e: Entry, prefix: str, lab: dict[str, str], show_relevance: bool = True) -> str:
    badge = f"**⚠ {lab['retracted_title']}** · " if e.retracted else ""
    parts = [f"- {badge}[{escape_md(e.title)}]({prefix}papers/{e.pmid}.md)"]
    if e.journal:
        parts.append(f"*{escape_md(e.journal)}*")
    if e.year:
        parts.append(str(e.year))
    if show_relevance:
        parts.append(lab[e.relevance])
    return " · ".join(parts)


def _page(title: str, body: list[str], extra: dict[str, Any] | None = None) -> str:
    meta: dict[str, Any] = {"title": title, GENERATED_FLAG: True, **(extra or {})}
    return dump_page(meta, "\n".join(body).rstrip("\n") + "\n")


def _paginate(
    base: str, title: str, head: list[str], sections: list[tuple[str | None, list[str]]], lab
) -> dict[str, str]:
    """Split long lists over ``base.md``, ``base/page-2.md``, … keeping section headings."""
    flat = [(heading, line) for heading, lines in sections for line in lines]
    chunks = [flat[i : i + PAGE_SIZE] for i in range(0, len(flat), PAGE_SIZE)] or [[]]
    pages: dict[str, str] = {}
    n = len(chunks)
    for number, chunk in enumerate(chunks, start=1):
        path = f"{base}.md" if number == 1 else f"{base}/page-{number}.md"
        body = [f"# {escape_md(title)}", ""]
        if number == 1:
            body += head
        else:
            body += [f"{lab['page']} {number} / {n}", ""]
        current: str | None = None
        for heading, line in chunk:
            if heading and heading != current:
                body += ["", f"## {heading}", ""]
                current = heading
            body.append(_relink(line, depth=0 if number == 1 else 1))
        if n > 1:
            body += ["", _pager(base, number, n, lab)]
        pages[path] = _page(title if number == 1 else f"{title} ({number})", body)
    return pages


def _relink(line: str, depth: int) -> str:
    return line.replace("](../", "](" + "../" * (depth + 1)) if depth else line


def _pager(base: str, number: int, total: int, lab: dict[str, str]) -> str:
    stem = base.rsplit("/", 1)[-1]

    def href(k: int) -> str:
        if number == 1:
            return f"{stem}/page-{k}.md"
        return f"../{stem}.md" if k == 1 else f"page-{k}.md"

    links = []
    if number > 1:
        links.append(f"[← {lab['previous']}]({href(number - 1)})")
    links.append(f"{lab['page']} {number} / {total}")
    if number < total:
        links.append(f"[{lab['next']} →]({href(number + 1)})")
    return " · ".join(links)


def render_topic_pages(entries: Sequence[Entry], config: Config) -> dict[str, str]:
    lab = labels(config.site.language)
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
        sections = [
            (
                lab[r],
                [_line(e, "../", lab, False) for e in _newest_first(papers) if e.relevance == r],
            )
            for r in RELEVANCES
        ]
        pages.update(_paginate(f"keywords/{slug}", name, head, [s for s in sections if s[1]], lab))
    pages["keywords/index.md"] = _page(lab["topics"], index)
    return pages


def render_mesh_pages(entries: Sequence[Entry], config: Config) -> dict[str, str]:
    lab = labels(config.site.language)
    by_term: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        for term in e.mesh:
            by_term[term].append(e)
    pages: dict[str, str] = {}
    letters: dict[str, list[str]] = defaultdict(list)
    for term in sorted(by_term, key=lambda t: (t.casefold(), t)):
        papers = by_term[term]
        slug = slugify(term)
        first = term[:1].upper()
        letters[first if "A" <= first <= "Z" else "#"].append(
            f"- [{escape_md(term)}]({slug}.md) ({len(papers)})"
        )
        major = [e for e in _newest_first(papers) if term in e.mesh_major]
        minor = [e for e in _newest_first(papers) if term not in e.mesh_major]
        sections = [
            (f"{lab['major_topic']} ★", [_line(e, "../", lab) for e in major]),
            (
                lab["all_papers"] if not major else lab["papers"],
                [_line(e, "../", lab) for e in minor],
            ),
        ]
        head = [f"{len(papers)} {lab['papers_count']}", ""]
        pages.update(_paginate(f"mesh/{slug}", term, head, [s for s in sections if s[1]], lab))
    order = sorted(letters, key=lambda c: (c == "#", c))
    index = [f"# {lab['mesh_terms']}", "", lab["mesh_index_intro"], ""]
    index += [" · ".join(f"[{c}](#{_anchor(c)})" for c in order), ""]
    for c in order:
        index += [f"## {c} {{#{_anchor(c)}}}", "", *letters[c], ""]
    pages["mesh/index.md"] = _page(lab["mesh_terms"], index)
    return pages


def _anchor(letter: str) -> str:
    return "letter-" + (letter.lower() if letter != "#" else "other")


def render_papers_index(entries: Sequence[Entry], config: Config) -> dict[str, str]:
    lab = labels(config.site.language)
    lines = [_line(e, "../", lab) for e in _newest_first(entries)]
    head = [f"{len(entries)} {lab['papers_count']}", ""]
    pages = _paginate("papers/index", lab["all_papers"], head, [(None, lines)], lab)
    # papers/index.md paginates into papers/index/page-N.md: links go one level deeper.
    return pages


def render_landing(entries: Sequence[Entry], config: Config) -> str:
    lab = labels(config.site.language)
    title = config.site.title
    body = [f"# {escape_md(title)}", ""]
    if config.site.description:
        body += [escape_md(config.site.description, line_start=True), ""]
    body += [lab["landing_intro"], ""]
    n_mesh = len({m for e in entries for m in e.mesh})
    n_topics = len(
        {k for e in entries for k in e.search_keywords} | {t.name for t in config.topics}
    )
    body += [
        f"## {lab['counts']}",
        "",
        f"- [{lab['all_papers']}](papers/index.md): {len(entries)}",
        f"- [{lab['topics']}](keywords/index.md): {n_topics}",
        f"- [{lab['mesh_terms']}](mesh/index.md): {n_mesh}",
        "",
        f"| {lab['relevance']} | {lab['papers']} |",
        "|---|---:|",
    ]
    for r in RELEVANCES:
        body.append(f"| {lab[r]} | {sum(1 for e in entries if e.relevance == r)} |")
    newest = sorted(entries, key=lambda e: (e.collected or "", e.newest_key), reverse=True)
    body += ["", f"## {lab['newest']}", ""]
    body += [_line(e, "", lab) for e in newest[:NEWEST_ON_LANDING]]
    return _page(title, body)


def render_index_pages(entries: Sequence[Entry], config: Config) -> dict[str, str]:
    """Every grouping page, keyed by its path relative to ``site_src`` (pure)."""
    pages = {"index.md": render_landing(entries, config)}
    pages.update(render_topic_pages(entries, config))
    pages.update(render_mesh_pages(entries, config))
    pages.update(render_papers_index(entries, config))
    return dict(sorted(pages.items()))


def _generated_files(site_src: Path) -> list[Path]:
    """Grouping pages an earlier run wrote (they carry the generated flag)."""
    found = []
    candidates = [site_src / "index.md", *(site_src / "papers" / "index").rglob("*.md")]
    for sub in ("keywords", "mesh"):
        candidates += list((site_src / sub).rglob("*.md"))
    candidates.append(site_src / "papers" / "index.md")
    for p in candidates:
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


def write_index_pages(site_src: Path, config: Config) -> IndexReport:
    """Regenerate every grouping page from the paper pages on disk."""
    entries = load_entries(site_src)
    pages = render_index_pages(entries, config)
    report = IndexReport(papers=len(entries))
    for rel, text in pages.items():
        if write_if_changed(site_src / rel, text):
            report.written.append(rel)
        else:
            report.unchanged += 1
    keep = {site_src / rel for rel in pages}
    report.removed = remove_files([p for p in _generated_files(site_src) if p not in keep])
    return report
