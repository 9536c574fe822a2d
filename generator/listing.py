"""The building blocks of every list page: entries read from frontmatter, list lines,
generated-page frontmatter and pagination (pure, except :func:`load_entries`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from generator.catalog import paper_metas
from generator.errors import PageError
from generator.markdown import escape_html, escape_md

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
        name = self.journal_iso or self.journal
        journal = f"*{escape_md(name)}*" if name else ""
        return escape_md(self.title), journal

    @property
    def concern(self) -> bool:
        return any(t in CONCERN_TYPES for t in self.correction_types)

    @property
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


def load_entries(site_src: Path) -> list[Entry]:
    """Every paper page's entry, sorted by PMID."""
    return [
        entry_from_meta(meta, f"papers/{pmid}.md") for pmid, meta in paper_metas(site_src).items()
    ]


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: e.newest_key, reverse=True)


def _attr(value: str) -> str:
    return escape_html(value).replace("{", "&#123;").replace("}", "&#125;")


def line(
    e: Entry,
    prefix: str,
    lab: dict[str, str],
    show_relevance: bool = True,
    note: str = "",
    legend: dict[str, int] | None = None,
) -> str:
    """One list item: badges, linked title, journal (abbreviated), year, relevance.

    On a filterable list (``legend`` given: the page's publication types, numbered), the
    long lists of topics, MeSH terms and facets, an item is only what picks the paper out:
    badges, title and year (the journal is on the paper's page; relevance shows as bold
    titles and in the filter, which reads ``data-f``: relevance, year and the numbers of
    the item's types in the page's legend). These lines are most of a large site's lists:
    950,000 of them at 50,000 papers.
    """
    title, journal = e.escaped
    badges = ""
    if e.retracted:
        badges = f"**⚠ {lab['retracted_title']}** · "
    elif e.concern:
        badges = f"**⚠ {lab['concern_badge']}** · "
    parts = [f"- {badges}[{title}]({prefix}papers/{e.pmid}.md)"]
    if journal and legend is None:
        parts.append(journal)
    if e.year:
        parts.append(str(e.year))
    if show_relevance and legend is None:
        parts.append(lab[e.relevance])
    if note:
        parts.append(note)
    text = " · ".join(parts)
    if legend is None:
        return text
    # What the filter reads, in one attribute: relevance, year ("-" if none), then the
    # numbers of the item's types in the page's legend. attr_list reads block attributes
    # from the item's last line.
    data = " ".join(
        [e.relevance, str(e.year or "-"), *(str(legend[t]) for t in e.publication_types)]
    )
    return text + f'\n    {{: data-f="{data}" }}'


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
    filterable: bool = False,
    show_relevance: bool = True,
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
        legend: dict[str, int] | None = None
        if filterable and chunk:
            types = sorted({t for _, (e, _) in chunk for t in e.publication_types})
            legend = {t: i for i, t in enumerate(types)}
            body += [filter_mark(types), ""]
        current: str | None = None
        for heading, (e, note) in chunk:
            if heading and heading != current:
                body += ["", f"## {heading}", ""]
                current = heading
            body.append(line(e, prefix, lab, show_relevance, note, legend))
        if parts:
            body += ["", _pager(base, part, parts, lab)]
        pages[path] = page(name, body, extra)
    return pages


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
