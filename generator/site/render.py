"""The pages the MkDocs hook renders itself, each reused from a cache while its inputs stay.

At 50,000 papers a knowledge base has some 70,000 generated pages outside the navigation
(papers, MeSH terms, facet values, list continuations). MkDocs renders each in ~16 ms, on one
core, holds every rendered page in memory until the end of the build, and does it all again
every week although only the new papers changed. So the hook takes those pages out of MkDocs'
page loop (``InclusionLevel.EXCLUDED``: links to them still resolve and are still checked)
and renders them here, with MkDocs' own machinery so that they look exactly as MkDocs would
build them: ``Page.read_source`` and ``Page.render`` (Markdown with the site's extensions and
MkDocs' link resolution), ``get_context`` and the theme's Jinja environment, with the lean
page frame ``kb-lean.html``.

Each page's HTML is cached under a key that hashes everything it is made from: the page's
source text and path, the MkDocs configuration, the theme files, the generator's code and
the versions of MkDocs, Material, Markdown and Jinja2 (never file times). A page whose key is
in the cache is copied from it; the others are rendered in worker processes, one per core.
A cold cache only costs time; entries no page uses any more are deleted after each build.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import logging
import multiprocessing
import os
import posixpath
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.site.links import resolve_raw_links
from generator.utils.store import write_atomic

log = logging.getLogger(__name__)

GENERATED_DIRS = ("papers", "keywords", "mesh", "types", "years", "journals")
# The index page of each generated folder is in the navigation: MkDocs builds it (full frame).
NAV_PAGES = frozenset(f"{d}/index.md" for d in GENERATED_DIRS)
LEAN_TEMPLATE = "kb-lean.html"
RENDER_SCHEMA = 1  # bump when the cache layout or what a key covers changes
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the whole package: generator/
# [text](x.md) in Markdown, href="x.md" in the HTML the long lists are written in
_MD_LINK = re.compile(
    r'(?:\]\(|href=")(?![a-zA-Z][a-zA-Z0-9+.-]*:)([^)"\s#:]+\.md)(?:#[^)"\s]*)?[)"]'
)
# Text whose white space is content: left exactly as it is.
_VERBATIM = re.compile(r"(<(pre|textarea|script)\b.*?</\2\s*>)", re.S | re.I)
_INDENTED_LINES = re.compile(r"\n[ \t\n]+")
# The long lists of grouping pages: one raw HTML block each, blank lines around it
# (generator.site.listing.paginate writes them so).
_LIST_BLOCK = re.compile(r'(?<=\n\n)<ul class="kb-list">\n.*?\n</ul>(?=\n\n|\n?\Z)', re.S)
_LIFTED = "kb-lifted-list-{}"


def is_managed(src_uri: str) -> bool:
    """Whether the hook renders this page (a generated page outside the navigation)."""
    head, _, rest = src_uri.partition("/")
    return bool(rest) and head in GENERATED_DIRS and src_uri not in NAV_PAGES


def is_paper(src_uri: str) -> bool:
    return src_uri.startswith("papers/") and src_uri[7:-3].isdigit() and src_uri.endswith(".md")


_PERMALINK = re.compile(r'<a class="headerlink" href="#[^"]*" title="[^"]*">&para;</a>')


def drop_permalinks(html: str) -> str:
    """A paper page's headings without their ¶ permalinks (600 bytes a page, 30 MB at
    50,000 papers); every heading keeps its id, so ``#abstract`` still links."""
    return _PERMALINK.sub("", html)


def lift_lists(markdown: str) -> tuple[str, list[str]]:
    """Take the lists of papers out of a page's Markdown before it is converted: each is a
    raw HTML block, which Python-Markdown passes through unchanged, but only after parsing
    it tag by tag (half the time of a MeSH page, three quarters of a long facet page). Each
    list becomes a paragraph holding a placeholder; ``restore_lists`` puts it back."""
    if "kb-lifted-list-" in markdown:
        return markdown, []  # a page that names the placeholder itself: left whole
    lists: list[str] = []

    def lift(m: re.Match[str]) -> str:
        lists.append(m.group(0))
        return _LIFTED.format(len(lists) - 1)

    return _LIST_BLOCK.sub(lift, markdown), lists


def restore_lists(html: str, lists: Sequence[str]) -> str:
    """The converted page with its lists back where their placeholders were."""
    for i, block in enumerate(lists):
        html = html.replace(f"<p>{_LIFTED.format(i)}</p>", block, 1)
    return html


def linked_pages(src_uri: str, source: str) -> list[str]:
    """The site pages (``.md`` source paths) that ``source``'s Markdown links point to."""
    base = posixpath.dirname(src_uri)
    found = {posixpath.normpath(posixpath.join(base, m)) for m in _MD_LINK.findall(source)}
    return sorted(p for p in found if not p.startswith("../"))


def compact_html(html: str) -> str:
    """Drop the indentation and blank lines the templates leave (a third of a lean page):
    every run of white space that holds a line break becomes one line break, except inside
    ``<pre>``, ``<textarea>`` and ``<script>``. A line break is still white space, so the
    page reads and renders the same."""
    parts = _VERBATIM.split(html)
    out = []
    for i, part in enumerate(parts):
        kind = i % 3
        if kind == 0:
            out.append(_INDENTED_LINES.sub("\n", part))
        elif kind == 1:
            out.append(part)
    return "".join(out).strip() + "\n"


def _hash_tree(h: Any, folder: Path, suffixes: tuple[str, ...]) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts:
            h.update(path.relative_to(folder).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def code_fingerprint() -> str:
    """The generator's code and theme, and the versions of what renders with them."""
    h = hashlib.sha256(f"render-schema {RENDER_SCHEMA}\0".encode())
    for name in ("mkdocs", "mkdocs-material", "markdown", "jinja2", "pymdown-extensions"):
        h.update(f"{name}={_version(name)}\0".encode())
    _hash_tree(h, PACKAGE_DIR, (".py", ".html", ".js", ".css", ".svg", ".yml"))
    return h.hexdigest()


# MkDocs settings that cannot change a page's HTML (paths, server, validation levels).
_IRRELEVANT = frozenset(
    {
        "config_file_path",
        "dev_addr",
        "docs_dir",
        "site_dir",
        "strict",
        "validation",
        "watch",
        "hooks",
        "plugins",
        "exclude_docs",
        "draft_docs",
        "not_in_nav",
    }
)


def _plain(value: Any) -> Any:
    """A JSON-able, order-stable picture of a config value."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if callable(value):  # e.g. toc's slugify: its name, not its address in memory
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', '?')}"
    return repr(value)


def config_fingerprint(config: Any) -> str:
    """The MkDocs configuration as far as it shapes a page (after the hook's ``on_config``)."""
    picture = {k: _plain(v) for k, v in config.items() if k not in _IRRELEVANT}
    picture["theme"] = {
        "name": config.theme.name,
        "vars": _plain(dict(config.theme.items())),
        "dirs": [Path(d).name for d in config.theme.dirs],
    }
    text = json.dumps(picture, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def page_key(fingerprint: str, src_uri: str, source: bytes) -> str:
    """The cache key of one page: its path and source under one build fingerprint."""
    h = hashlib.sha256(fingerprint.encode() + b"\0" + src_uri.encode() + b"\0")
    h.update(source)
    return h.hexdigest()


# --- the cache on disk ------------------------------------------------------------


@dataclass
class RenderCache:
    """Rendered pages by key under ``root`` (``<key[:2]>/<key>.html``), and an index
    (``index.json``: src_uri → key and the pages it links to) from the last build."""

    root: Path
    index: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path) -> RenderCache:
        cache = cls(root)
        try:
            data = json.loads((root / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cache  # none yet, or damaged: everything is rendered again
        if isinstance(data, dict) and data.get("schema") == RENDER_SCHEMA:
            pages = data.get("pages")
            cache.index = pages if isinstance(pages, dict) else {}
        return cache

    def path(self, key: str) -> str:
        return os.path.join(self._root, key[:2], key + ".html")

    @property
    def _root(self) -> str:
        return str(self.root)

    def save(self, pages: dict[str, dict[str, Any]]) -> int:
        """Record this build's pages and delete every cached page no page uses; return how
        many were deleted."""
        self.index = dict(sorted(pages.items()))
        write_atomic(
            self.root / "index.json",
            json.dumps({"schema": RENDER_SCHEMA, "pages": self.index}, separators=(",", ":")),
        )
        keep = {e["key"] + ".html" for e in self.index.values()}
        removed = 0
        with os.scandir(self.root) as subs:
            for sub in subs:
                if not sub.is_dir():
                    continue
                with os.scandir(sub.path) as files:
                    for f in files:
                        if f.name.endswith(".html") and f.name not in keep:
                            os.unlink(f.path)
                            removed += 1
        return removed


# --- rendering (inside a MkDocs build) ----------------------------------------------


@dataclass
class RenderJob:
    """What a worker needs to render pages: MkDocs' own objects from the running build."""

    config: Any
    files: Any
    nav: Any
    env: Any
    cache: RenderCache
    escape_meta: Any  # callable(page) -> None, the hook's escaping of title/description
    doc_pages: list[Any] = field(default_factory=list)  # the template's ``pages``
    urls: dict[str, str] = field(default_factory=dict)  # source path → URL, every page

    def __post_init__(self) -> None:
        # get_context() would otherwise list the documentation pages once per page: O(N²)
        if not self.doc_pages:
            self.doc_pages = list(self.files.documentation_pages())
        if not self.urls:
            self.urls = page_urls(self.files)


def page_urls(files: Any) -> dict[str, str]:
    """Every documentation page's URL by its source path (for ``generator.site.links``)."""
    return {f.src_uri: f.url for f in files if f.src_uri.endswith(".md")}


_JOB: RenderJob | None = None  # set before the workers fork; they inherit it


class _WarningCollector(logging.Handler):
    """Keeps the warnings a worker's MkDocs logs, to be logged again by the parent (where
    ``--strict`` counts them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[tuple[int, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelno, record.name, record.getMessage()))


def render_page(job: RenderJob, src_uri: str) -> str:
    """One page's HTML, as MkDocs would build it with the lean frame."""
    from mkdocs.commands.build import get_context
    from mkdocs.structure.pages import Page

    file = job.files.get_file_from_path(src_uri)
    page = Page(None, file, job.config)
    try:
        page.read_source(job.config)
        job.escape_meta(page)
        page.markdown, lists = lift_lists(page.markdown or "")
        page.render(job.config, job.files)
        page.content = restore_lists(page.content or "", lists)
        page.content = resolve_raw_links(page.content, src_uri, file.url, job.urls)
        context = get_context(job.nav, job.doc_pages, job.config, page)
        template = job.env.get_template(page.meta.get("template", LEAN_TEMPLATE))
        html = compact_html(template.render(context))
        return drop_permalinks(html) if is_paper(src_uri) else html
    finally:
        file.page = None  # a rendered page is written out, not kept


def _render_chunk(items: Sequence[tuple[str, str]]) -> list[tuple[int, str, str]]:
    """Render ``(src_uri, key)`` pairs into the cache (in a worker); return its warnings."""
    job = _JOB
    assert job is not None
    collector = _WarningCollector()
    mk = logging.getLogger("mkdocs")
    mk.addHandler(collector)
    try:
        for src_uri, key in items:
            html = render_page(job, src_uri)
            # Not flushed page by page (0.7 ms each: 40 s of a cold 60,000-page build): the
            # index that names these pages is written durably after them (RenderCache.save),
            # and on ext4 and XFS that flush commits the pages' data before the index's
            # rename. The cache is derived: deleting it only costs one full build.
            write_atomic(Path(job.cache.path(key)), html, durable=False)
    finally:
        mk.removeHandler(collector)
    return collector.messages


@dataclass(frozen=True)
class RenderReport:
    pages: int
    rendered: int
    reused: int
    removed: int


def _workers(n: int) -> int:
    if n < 200 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8, n // 100))


def render_managed_pages(
    job: RenderJob, src_uris: Iterable[str], fingerprint: str, site_dir: Path
) -> RenderReport:
    """Render (or reuse) every managed page, then put each in ``site_dir``.

    A page is reused when the cache holds its key and every page its source links to is
    still in the site (a reused page must never point at a page that is gone). At 50,000
    papers this runs over 70,000 pages every build, so it stays with plain strings.
    """
    global _JOB
    by_uri = {f.src_uri: f for f in job.files}
    entries: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, str]] = []
    for src_uri in sorted(src_uris):
        file = by_uri[src_uri]
        with open(file.abs_src_path, "rb") as fh:
            source = fh.read()
        key = page_key(fingerprint, src_uri, source)
        cached = job.cache.index.get(src_uri)
        if isinstance(cached, dict) and cached.get("key") == key:
            links = cached.get("links") or []
            reuse = all(p in by_uri for p in links) and os.path.isfile(job.cache.path(key))
        else:
            links = linked_pages(src_uri, source.decode("utf-8", "replace"))
            reuse = False
        entries[src_uri] = {"key": key, "links": links}
        if not reuse:
            todo.append((src_uri, key))
    _JOB = job
    try:
        warnings = _render_all(todo)
    finally:
        _JOB = None
    for level, name, message in warnings:
        logging.getLogger(name).log(level, message)
    made: set[str] = set()
    site = str(site_dir)
    for src_uri, entry in entries.items():
        dest = os.path.join(site, by_uri[src_uri].dest_uri)
        folder = os.path.dirname(dest)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        _place(job.cache.path(entry["key"]), dest)
    removed = job.cache.save(entries)
    report = RenderReport(len(entries), len(todo), len(entries) - len(todo), removed)
    write_atomic(job.cache.root / LAST_BUILD, json.dumps(dataclasses.asdict(report)) + "\n")
    return report


def paper_render_keys(root: Path) -> dict[int, str]:
    """The render key of every paper page of the last build, by PMID (the search index
    names pages by them)."""
    keys = {}
    for src_uri, entry in RenderCache.open(root).index.items():
        if is_paper(src_uri) and isinstance(entry, dict) and entry.get("key"):
            keys[int(src_uri[7:-3])] = entry["key"]
    return keys


LAST_BUILD = "last-build.json"


def last_render_report(root: Path) -> RenderReport | None:
    """What the last build's hook rendered and reused (read by the build command: the hook
    runs inside the ``mkdocs build`` process)."""
    try:
        data = json.loads((root / LAST_BUILD).read_text(encoding="utf-8"))
        return RenderReport(**data)
    except (OSError, ValueError, TypeError):
        return None


def _render_all(todo: list[tuple[str, str]]) -> list[tuple[int, str, str]]:
    workers = _workers(len(todo))
    if workers == 1:
        return _render_chunk(todo)
    chunks = [todo[i::workers] for i in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(_render_chunk, chunks)
    return [w for r in results for w in r]


def _place(cached: str, dest: str) -> None:
    """Put a cached page at ``dest`` in the site (its folder exists): a hard link (no bytes
    copied) where the file system allows it, else a copy."""
    try:
        os.link(cached, dest)
    except OSError:
        shutil.copyfile(cached, dest)
