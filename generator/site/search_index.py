"""The search index: Pagefind over the paper pages, in shards searched together in the browser.

Pagefind holds every page it indexes in memory until it writes (about 0.2 MB a paper page),
and indexes everything again on every run. So the paper pages are split into shards of at
most ``SHARD_MAX`` papers, each indexed by its own Pagefind run, one at a time (memory is
bounded by a shard, whatever the size of the knowledge base), and each reused while its pages
stay the same: a shard's key hashes Pagefind's version and arguments and every page's PMID
and HTML. The browser searches the shards together (Pagefind's ``mergeIndex``); the list of
shards is ``pagefind/shards.json``, read when the search dialog first opens.

Shards are cut by halving over the day each paper was first collected, then its PMID: the
range of all (day, PMID) pairs is split in two until each part holds at most ``SHARD_MAX``
papers. The cut depends only on the papers present, so a cold build and a warm one agree. A
weekly run's papers carry that week's day, so they fall in the newest part, which holds the
last few weeks (or, in a knowledge base that grows slowly, whatever fits in one shard); the
shards of earlier weeks stay as they are, however old the PMIDs a run brings in (a widened
query, a late-indexed record). A first harvest, all collected on one day, is cut by PMID.

Layout of the built site::

    pagefind/shards.json          {"version": ..., "shards": ["s…/", ...]}
    pagefind/pagefind-ui.js …     the UI, pagefind.js and its worker (from one shard's run)
    pagefind/s<lo>-<hi>/          one shard (its range of day-and-PMID keys, in hex):
                                  pagefind-entry.json, its meta, index/, fragment/,
                                  filter/ and the WebAssembly search code
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from generator.utils.errors import BuildError

SHARD_MAX = 8000  # a shard of lean pages: ~1 GB of Pagefind memory; 8 shards at 50,000
PMID_SPACE = 1 << 27  # PMIDs are below 134 million for decades to come
DAY_SPACE = 1 << 16  # days since 1970: until the year 2149
_EPOCH = date(1970, 1, 1).toordinal()
SEARCH_DIR = "pagefind"
SHARDS_FILE = "shards.json"
# Files of a Pagefind run the browser loads once for the whole site, from SEARCH_DIR: the
# search API and its worker (assets/kb/search.js is the interface), and the highlighter.
UI_FILES = ("pagefind.js", "pagefind-worker.js", "pagefind-highlight.js")
# Pagefind's own interfaces, which the site does not use.
SKIPPED_FILES = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
)
EXTRA_ARGS = ("--exclude-selectors", ".headerlink")  # heading permalinks are not text


@dataclass(frozen=True)
class Shard:
    lo: int  # keys: day * PMID_SPACE + PMID
    hi: int  # exclusive
    pmids: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"s{self.lo:x}-{self.hi:x}"


def collection_day(collected: object) -> int:
    """Days from 1970-01-01 to a page's ``collected`` date (0 when it has none)."""
    try:
        day = date.fromisoformat(str(collected)[:10]).toordinal() - _EPOCH
    except ValueError:
        return 0
    return day if 0 <= day < DAY_SPACE else 0


def plan_shards(
    pmids: Sequence[int],
    max_size: int = SHARD_MAX,
    collected: Mapping[int, object] | None = None,
) -> list[Shard]:
    """Ranges of (collection day, PMID) holding at most ``max_size`` papers each, cut by
    halving (pure). Without ``collected`` dates every paper counts as day 0."""
    if any(p < 0 or p >= PMID_SPACE for p in pmids):
        raise ValueError(f"PMIDs must lie in [0, {PMID_SPACE})")
    days = {p: collection_day((collected or {}).get(p)) for p in pmids}
    ordered = sorted((days[p] * PMID_SPACE + p, p) for p in set(pmids))
    shards: list[Shard] = []

    def split(lo: int, hi: int, members: list[tuple[int, int]]) -> None:
        if not members:
            return
        if len(members) <= max_size or hi - lo == 1:
            shards.append(Shard(lo, hi, tuple(p for _, p in members)))
            return
        mid = (lo + hi) // 2
        cut = next((i for i, (k, _) in enumerate(members) if k >= mid), len(members))
        split(lo, mid, members[:cut])
        split(mid, hi, members[cut:])

    top = DAY_SPACE * PMID_SPACE if any(days.values()) else PMID_SPACE
    split(0, top, ordered)
    return shards


def paper_pages(site_dir: Path) -> dict[int, Path]:
    """The built paper pages: ``papers/<pmid>/index.html`` by PMID."""
    out = {}
    papers = site_dir / "papers"
    if papers.is_dir():
        with os.scandir(papers) as entries:
            for d in entries:
                page = os.path.join(d.path, "index.html")
                if d.name.isdigit() and os.path.isfile(page):
                    out[int(d.name)] = Path(page)
    return out


def pagefind_version() -> str:
    try:
        return importlib.metadata.version("pagefind")
    except importlib.metadata.PackageNotFoundError:
        return "?"


def shard_key(
    shard: Shard, pages: dict[int, Path], page_keys: Mapping[int, str] | None = None
) -> str:
    """What a shard's index is made from: Pagefind's version and arguments, and each page.
    A page is named by the hook's render key where there is one (its HTML is a function of
    it: no need to read 50,000 pages again), else by a hash of its HTML."""
    h = hashlib.sha256(f"pagefind {pagefind_version()} {EXTRA_ARGS}\0".encode())
    for pmid in shard.pmids:
        h.update(f"{pmid}\0".encode())
        known = (page_keys or {}).get(pmid)
        if known:
            h.update(b"render:" + known.encode())
        else:
            h.update(hashlib.sha256(pages[pmid].read_bytes()).digest())
    return h.hexdigest()


def pagefind_command(site: Path, output: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(site),
        "--output-path",
        str(output),
        "--silent",
        *EXTRA_ARGS,
    ]


def _link_tree(src: Path, dest: Path, skip: tuple[str, ...] = ()) -> None:
    """Hard-link (else copy) every file under ``src`` to the same place under ``dest``.
    Plain ``os`` calls: at 50,000 papers the shards hold 50,000 files."""
    top = str(src)
    for root, dirs, names in os.walk(top):
        rel = os.path.relpath(root, top)
        if rel == ".":
            dirs[:] = [d for d in dirs if d not in skip]
            names = [n for n in names if n not in skip]
        target = os.path.normpath(os.path.join(dest, rel))
        os.makedirs(target, exist_ok=True)
        for name in names:
            try:
                os.link(os.path.join(root, name), os.path.join(target, name))
            except OSError:
                shutil.copyfile(os.path.join(root, name), os.path.join(target, name))


def _index_shard(shard: Shard, pages: dict[int, Path], out: Path, env: dict[str, str]) -> None:
    """Run Pagefind over one shard's pages (hard links in a scratch folder) into ``out``."""
    scratch = out.with_name(out.name + ".site")
    partial = out.with_name(out.name + ".partial")
    for leftover in (scratch, partial):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        for pmid in shard.pmids:
            target = scratch / "papers" / str(pmid) / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(pages[pmid], target)
            except OSError:
                shutil.copyfile(pages[pmid], target)
        proc = subprocess.run(
            pagefind_command(scratch, partial), env=env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip()
            raise BuildError(
                f"pagefind failed on shard {shard.name} (exit {proc.returncode}):\n{detail}"
            )
        partial.rename(out)  # complete, or not there at all
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(partial, ignore_errors=True)


@dataclass(frozen=True)
class SearchReport:
    papers: int
    shards: int
    indexed: int  # shards Pagefind ran on this build
    reused: int


def build_search_index(
    site_dir: Path,
    cache_dir: Path,
    env: dict[str, str] | None = None,
    page_keys: Mapping[int, str] | None = None,
    collected: Mapping[int, object] | None = None,
) -> SearchReport:
    """Index every paper page of ``site_dir`` into ``site_dir/pagefind/``, shard by shard,
    reusing the shards in ``cache_dir`` whose pages did not change (``page_keys``: the
    render key of each paper page, by PMID, when the hook rendered it; ``collected``: each
    paper's first collection date, which places it in a shard)."""
    env = env or dict(os.environ)
    pages = paper_pages(site_dir)
    shards = plan_shards(list(pages), SHARD_MAX, collected)
    cache_dir.mkdir(parents=True, exist_ok=True)
    out_root = site_dir / SEARCH_DIR
    shutil.rmtree(out_root, ignore_errors=True)
    keys = []
    indexed = 0
    for shard in shards:  # one Pagefind process at a time: memory is one shard's
        key = shard_key(shard, pages, page_keys)
        keys.append(key)
        cached = cache_dir / key
        if not (cached / "pagefind-entry.json").is_file():
            shutil.rmtree(cached, ignore_errors=True)
            _index_shard(shard, pages, cached, env)
            indexed += 1
        skip = UI_FILES + SKIPPED_FILES
        _link_tree(cached, out_root / shard.name, skip=skip)
        if shard is shards[0]:
            for name in UI_FILES:
                _link_tree_file(cached / name, out_root / name)
    manifest = {"version": pagefind_version(), "shards": [f"{s.name}/" for s in shards]}
    out_root.mkdir(parents=True, exist_ok=True)
    (out_root / SHARDS_FILE).write_text(json.dumps(manifest) + "\n", encoding="utf-8")
    for old in cache_dir.iterdir():  # shards no build uses any more
        if old.name not in keys:
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
    return SearchReport(len(pages), len(shards), indexed, len(shards) - indexed)


def _link_tree_file(src: Path, dest: Path) -> None:
    if not src.is_file():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)
