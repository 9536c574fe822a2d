"""The building blocks of every list page: entries read from frontmatter, list lines,
generated-page frontmatter and pagination (pure, except :func:`load_entries`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from generator.kb.catalog import paper_metas
from generator.utils.errors import PageError
from generator.utils.journals import list_journal
from generator.utils.markdown import escape_html, escape_md

GENERATED_FLAG = "kb_generated"
RELEVANCES = ("high", "medium", "low")
CONCERN_TYPES = ("ExpressionOfConcernIn",)
ERRATUM_TYPES = ("ErratumIn",)


@dataclass(frozen=True)
class Entry:
    """What a list needs to know about one paper (read from its frontmatter)."""

    pmid: str
    title: str
    journal: str | None = None
    journal_iso: str | None = None
    year: int | None = None
    pub_date: str | None = None
    collected: str | None = None
    relevance: str = "low"
    score: float = 0.0
    retracted: bool = False
    search_keywords: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    mesh_major: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    mesh_qualifiers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    correction_types: tuple[str, ...] = ()
    kb_cited_by: int = 0  # papers of this knowledge base citing it (generator.kb.citations)
    rcr: float | None = None  # iCite's Relative Citation Ratio, when known

    # Cached: a paper appears in a dozen lists (topics, MeSH terms, facets), about
    # 200,000 list lines at 10,000 papers. (cached_property writes the instance
    # __dict__ directly, so it works on a frozen dataclass.)
    @cached_property
    def newest_key(self) -> tuple[str, int]:
        return (self.pub_date or "", int(self.pmid))

    @cached_property
    def _qualifier_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.mesh_qualifiers)

    def qualifiers(self, descriptor: str) -> tuple[str, ...]:
        return self._qualifier_map.get(descriptor, ())

    @cached_property
    def escaped(self) -> tuple[str, str]:
        """The escaped title and the escaped journal (its abbreviation, emphasised)."""
        name = list_journal(self.journal, self.journal_iso)
        journal = f"*{escape_md(name)}*" if name else ""
        return escape_md(self.title), journal

    @cached_property
    def html_title(self) -> str:
        """The title, escaped for HTML, closing its link, with the year after it."""
        return f"{escape_html(self.title)}</a>" + (f" · {self.year}" if self.year else "")

    @cached_property
    def concern(self) -> bool:
        return any(t in CONCERN_TYPES for t in self.correction_types)

    @cached_property
    def erratum(self) -> bool:
        return any(t in ERRATUM_TYPES for t in self.correction_types)


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

    quals = meta.get("mesh_qualifiers") or {}
    if not isinstance(quals, dict):
        raise PageError(f"{name}: mesh_qualifiers must be a mapping")
    corrections = meta.get("corrections") or []
    relevance = str(meta.get("relevance") or "low")
    year = meta.get("year")
    return Entry(
        pmid=pmid,
        title=str(meta.get("title") or pmid),
        journal=None if meta.get("journal") is None else str(meta["journal"]),
        journal_iso=None if meta.get("journal_iso") is None else str(meta["journal_iso"]),
        year=year if isinstance(year, int) else None,
        pub_date=None if meta.get("pub_date") is None else str(meta["pub_date"]),
        collected=None if meta.get("collected") is None else str(meta["collected"]),
        relevance=relevance if relevance in RELEVANCES else "low",
        score=float(meta.get("score") or 0.0),
        retracted=bool(meta.get("retracted")),
        search_keywords=strings("search_keywords"),
        mesh=strings("mesh"),
        mesh_major=strings("mesh_major"),
        publication_types=strings("publication_types"),
        mesh_qualifiers=tuple(
            (str(k), tuple(str(q) for q in v or ())) for k, v in sorted(quals.items())
        ),
        correction_types=tuple(
            str(c.get("type")) for c in corrections if isinstance(c, dict) and c.get("type")
        ),
    )


def load_entries(
    site_src: Path, metas: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Entry]:
    """Every paper page's entry, sorted by PMID (``metas``: the frontmatter by PMID, if read)."""
    if metas is None:
        metas = paper_metas(site_src)
    return [entry_from_meta(meta, f"papers/{pmid}.md") for pmid, meta in metas.items()]


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: e.newest_key, reverse=True)


def _attr(value: str) -> str:
    return escape_html(value).replace("{", "&#123;").replace("}", "&#125;")


def line(e: Entry, prefix: str, lab: dict[str, str], show_relevance: bool = True) -> str:
    """One Markdown list item for a short list (the landing page, retractions): badges,
    linked title, journal (abbreviated), year, relevance."""
    title, journal = e.escaped
    badges = ""
    if e.retracted:
        badges = f"**⚠ {lab['retracted_title']}** · "
    elif e.concern:
        badges = f"**⚠ {lab['concern_badge']}** · "
    parts = [f"- {badges}[{title}]({prefix}papers/{e.pmid}.md)"]
    if journal:
        parts.append(journal)
    if e.year:
        parts.append(str(e.year))
    if show_relevance:
        parts.append(lab[e.relevance])
    return " · ".join(parts)


def item_html(e: Entry, prefix: str, lab: dict[str, str], legend: dict[str, int], note: str) -> str:
    """One item of a long list (topics, MeSH terms, facets, all papers) as HTML: badges,
    linked title and year, and ``data-f`` for the filter (relevance, year or "-", then the
    numbers of the paper's types in the page's ``legend``).

    These are most of a large site's bytes and build time (950,000 items at 50,000
    papers), so they say only what picks the paper out (the journal is on its page;
    relevance shows as a bold title and in the filter) and are written as HTML, which
    Markdown passes through: a list of 1,000 items as Markdown took 400 ms to render.
    The link keeps the page's source path (``….md``); the MkDocs hook turns it into the
    page's URL, as MkDocs does for Markdown links (``generator.site.links``).
    """
    badge = ""
    if e.retracted:
        badge = f"<strong>⚠ {escape_html(lab['retracted_title'])}</strong> · "
    elif e.concern:
        badge = f"<strong>⚠ {escape_html(lab['concern_badge'])}</strong> · "
    extra = f" · {escape_html(note)}" if note else ""
    types = " ".join([str(legend[t]) for t in e.publication_types])
    data = f"{e.relevance} {e.year or '-'} {types}" if types else f"{e.relevance} {e.year or '-'}"
    return (
        f'<li data-f="{data}">{badge}<a href="{prefix}papers/{e.pmid}.md">'
        f"{e.html_title}{extra}</li>"
    )


def _yaml_scalar(value: Any) -> str:
    """A YAML scalar for a str, bool or int. A JSON string is a valid YAML double-quoted
    scalar, except that YAML would read the line separators U+2028/9 as line breaks."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = json.dumps(str(value), ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page(title: str, body: list[str], extra: dict[str, Any] | None = None) -> str:
    """A generated page: title and the generated flag in its frontmatter.

    The frontmatter of these pages is a handful of scalars, written directly: PyYAML's
    representer was a fifth of the time of an ``index`` rerun at 10,000 papers (8,000
    grouping pages). Tests read every such page back with the YAML loader.
    """
    meta: dict[str, Any] = {"title": title, GENERATED_FLAG: True, **(extra or {})}
    head = "\n".join(f"{key}: {_yaml_scalar(value)}" for key, value in meta.items())
    return f"---\n{head}\n---\n\n" + "\n".join(body).rstrip("\n") + "\n"


# Frontmatter of a list's first page that changes with the list's size: never on its parts.
VOLATILE_META = frozenset({"description", "kb_papers"})

Item = tuple[Entry, str]  # a paper and the note shown after it ("" for none)


def filter_mark(types: Sequence[str]) -> str:
    """Where the filter script puts its menus, with the page's publication types (numbered
    by their place here; items refer to them by number in ``data-t``)."""
    return f'<div class="kb-filter" data-kb-filter data-kb-types="{_attr("|".join(types))}"></div>'


def paginate(
    base: str,
    title: str,
    head: list[str],
    sections: list[tuple[str | None, list[Item]]],
    lab: dict[str, str],
    page_size: int,
    extra: dict[str, Any] | None = None,
    tail: list[tuple[str | None, list[Item]]] | None = None,
) -> dict[str, str]:
    """A list of papers (newest first, in sections) as ``base.md`` and, when it is long,
    archive pages ``base/part-<k>.md`` that keep their content while the list grows.
    ``tail`` sections follow the list on ``base.md`` only (never cut into parts).

    Pages are cut from the *oldest* end, ``page_size`` papers each: part 1 holds the
    oldest papers, part 2 the next, and ``base.md`` the newest (between ``page_size`` and
    twice that). New papers, which sort newest, change ``base.md`` and once in a while add
    a part; the parts already there stay byte for byte the same, so a weekly build renders
    one page of a long list, not all of them. A part is named by the dates it covers, not
    by its number counted from the newest, which would change every week.
    """
    flat = [(heading, item) for heading, items in sections for item in items]
    oldest_first = flat[::-1]
    full = len(oldest_first) // page_size
    if full <= 1:
        chunks = [flat]
    else:
        archived = [oldest_first[i * page_size : (i + 1) * page_size] for i in range(full - 1)]
        newest = oldest_first[(full - 1) * page_size :]
        chunks = [newest[::-1], *(c[::-1] for c in reversed(archived))]  # newest page first
    tail_items = [(heading, item) for heading, items in tail or [] for item in items]
    chunks[0] = [*chunks[0], *tail_items]
    parts = len(chunks) - 1  # archive parts: part-1 (oldest) … part-<parts>
    pages: dict[str, str] = {}
    for index, chunk in enumerate(chunks):
        part = 0 if index == 0 else parts - index + 1  # 0: base.md
        path = f"{base}.md" if part == 0 else f"{base}/part-{part}.md"
        prefix = "../" if part == 0 else "../../"
        span = _date_span(chunk)
        name = title if part == 0 else f"{title} ({span})"
        body = [f"# {escape_md(name)}", ""]
        body += head if part == 0 else [lab["older_papers_span"].format(span=span), ""]
        types = sorted({t for _, (e, _) in chunk for t in e.publication_types})
        legend = {t: i for i, t in enumerate(types)}
        if chunk:
            body += [filter_mark(types), ""]
        for heading, items in _runs(chunk):
            if heading:
                body += ["", f"## {heading}", ""]
            # one raw HTML block: a blank line before and after, none inside
            body += ['<ul class="kb-list">']
            body += [item_html(e, prefix, lab, legend, note) for e, note in items]
            body += ["</ul>", ""]
        if parts:
            body += ["", _pager(base, part, parts, lab)]
        if part == 0:
            pages[path] = page(name, body, extra)
        else:
            # An archive part keeps its bytes while the list grows (so a weekly build does
            # not render it again): nothing in it may name the list's current size.
            stable = {k: v for k, v in (extra or {}).items() if k not in VOLATILE_META}
            stable["description"] = lab["older_papers_span"].format(span=span)
            pages[path] = page(name, body, stable)
    return pages


def _runs(chunk: Sequence[tuple[str | None, Item]]) -> list[tuple[str | None, list[Item]]]:
    """The chunk's items grouped by consecutive heading."""
    runs: list[tuple[str | None, list[Item]]] = []
    for heading, item in chunk:
        if not runs or runs[-1][0] != heading:
            runs.append((heading, []))
        runs[-1][1].append(item)
    return runs


def _date_span(chunk: Sequence[tuple[str | None, Item]]) -> str:
    """``2023-02 – 2023-06``: the publication months a part covers."""
    dates = sorted((e.pub_date or "")[:7] for _, (e, _) in chunk if e.pub_date)
    if not dates:
        return "–"
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} – {dates[-1]}"


def _pager(base: str, part: int, parts: int, lab: dict[str, str]) -> str:
    """Links to the newer and the older page (``rel`` prev/next: newer/older), which let
    cite.js follow a list to its end. ``part`` 0 is ``base.md``."""
    stem = base.rsplit("/", 1)[-1]

    def href(target: int) -> str:
        if part == 0:
            return f"{stem}/part-{target}.md"
        return f"../{stem}.md" if target == 0 else f"part-{target}.md"

    newer = None if part == 0 else (0 if part == parts else part + 1)
    older = parts if part == 0 else (part - 1 if part > 1 else None)
    links = []
    if newer is not None:
        links.append(f'[← {lab["newer"]}]({href(newer)}){{: rel="prev" }}')
    if older is not None:
        links.append(f'[{lab["older"]} →]({href(older)}){{: rel="next" }}')
    return " · ".join(links) + "\n{: .kb-pager }"
