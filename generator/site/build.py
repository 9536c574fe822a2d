"""Build and serve the static site: MkDocs (with the hook's cached pages), then the search
index, the citation exports and the feeds.

The only module that runs MkDocs (Pagefind runs from ``generator.site.search_index``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from generator.config.model import Config
from generator.kb.citations import citation_graph, load_signals
from generator.site.exports import read_papers, write_exports
from generator.site.feeds import write_feeds
from generator.site.render import RenderReport, last_render_report, paper_render_keys
from generator.site.search_index import SearchReport, build_search_index
from generator.site.sitemap import write_sitemaps
from generator.site.sortkeys import write_sort_keys
from generator.utils.errors import BuildError
from generator.utils.i18n import labels


def mkdocs_file(config: Config) -> Path:
    """``mkdocs.yml`` beside the kb config (the repository root)."""
    base = config.path.parent if config.path else Path.cwd()
    path = base / "mkdocs.yml"
    if not path.exists():
        raise BuildError(f"{path}: not found (mkdocs.yml must sit beside {config.path})")
    return path


def _env(config: Config) -> dict[str, str]:
    env = dict(os.environ)
    env["NO_MKDOCS_2_WARNING"] = "1"  # Material's end-of-life banner, on every build
    if config.path:
        env["KB_CONFIG"] = str(config.path)
    env.pop("NCBI_API_KEY", None)  # nothing in the site build needs it
    return env


def _finish(proc: subprocess.Popen[str], what: str) -> None:
    out, err = proc.communicate()
    if proc.returncode != 0:
        detail = (err or out).strip()
        raise BuildError(f"{what} failed (exit {proc.returncode}):\n{detail}")


def _start(cmd: list[str], config: Config) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cmd, env=_env(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _run(cmd: list[str], config: Config, what: str) -> None:
    _finish(_start(cmd, config), what)


def cache_dir(config: Config) -> Path:
    """What later builds reuse (rendered pages, search shards): ``.kb-cache/`` beside
    ``site_src``. Never committed; deleting it costs one full build's time, nothing else."""
    return config.site_src.parent / ".kb-cache"


@dataclass(frozen=True)
class SiteBuild:
    """What one build did, for the command line's report."""

    site_dir: Path
    mkdocs_s: float
    pages: RenderReport | None
    search: SearchReport
    search_s: float
    rest_s: float  # citations, feeds and sitemaps (while the search index is built)

    def summary(self) -> str:
        pages = (
            f"{self.pages.rendered:,} of {self.pages.pages:,} generated pages rendered, "
            f"the rest reused"
            if self.pages
            else "pages rendered by MkDocs"
        )
        shards = f"{self.search.indexed} of {self.search.shards} search shards indexed"
        return (
            f"mkdocs {self.mkdocs_s:.0f} s ({pages}); search {self.search_s:.0f} s ({shards}); "
            f"citations, feeds, sitemaps {self.rest_s:.0f} s"
        )


def collection_dates(papers: list[dict[str, Any]]) -> dict[int, object]:
    """Each paper's first collection date by PMID (the search index's shards follow it)."""
    return {int(p["pmid"]): p.get("collected") for p in papers if str(p.get("pmid")).isdigit()}


def build_site(
    config: Config,
    site_dir: Path | None = None,
    strict: bool = True,
    papers: list[dict[str, Any]] | None = None,
    signals: Mapping[str, Mapping[str, Any]] | None = None,
    page_keys: Mapping[str, str] | None = None,
) -> SiteBuild:
    """``mkdocs build`` (strict by default), then the search index, the citation exports
    and the Atom feeds.

    The search index (Pagefind, separate processes, one shard at a time) is built in a
    thread while this one writes the exports and feeds. ``papers`` (the pages'
    frontmatter) and ``page_keys`` (their content digests by PMID, the keys of their
    cached ``cite.json``) spare reading them again when the caller has.
    """
    mk = mkdocs_file(config)
    out = (site_dir or mk.parent / "site").resolve()
    cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(mk), "-d", str(out)]
    if strict:
        cmd.append("--strict")
    t0 = time.monotonic()
    _run(cmd, config, "mkdocs build")
    t1 = time.monotonic()
    pages = last_render_report(cache_dir(config) / "render")

    keys = paper_render_keys(cache_dir(config) / "render")
    if papers is None:  # the pages' frontmatter, read once for all
        digests: dict[str, str] = {}
        papers, page_keys = read_papers(config.site_src, digests), digests
    collected = collection_dates(papers)

    def index() -> tuple[SearchReport, float]:
        start = time.monotonic()
        report = build_search_index(
            out, cache_dir(config) / "search", _env(config), keys, collected
        )
        return report, time.monotonic() - start

    with ThreadPoolExecutor(max_workers=1) as pool:
        search = pool.submit(index)
        if signals is None:  # citation signals, shown from cite.json
            signals = load_signals(config.state_dir)
        graph = citation_graph(signals, {str(p["pmid"]) for p in papers})
        heading = labels(config.site.language)["abstract"]  # the pages' abstract section
        from generator.kb.similar import similar_in  # NumPy + SciPy: 0.2 s, for builds only

        metas = {str(p["pmid"]): p for p in papers}
        similar = similar_in(config.site_src, heading, metas)
        write_exports(
            papers, config, out, cache_dir(config) / "cite", signals, graph, similar, page_keys
        )
        write_sort_keys(out, papers, signals)  # lists ordered by citations; search results
        write_feeds(papers, config, out)  # Atom: feed.xml and keywords/<slug>/feed.xml
        write_sitemaps(out, config.site.url)  # every page, when the site's URL is known
        rest = time.monotonic() - t1
        search_report, search_s = search.result()
    return SiteBuild(out, t1 - t0, pages, search_report, search_s, rest)


def serve_site(site_dir: Path, address: str = "127.0.0.1:8000") -> int:
    """Serve a built site over HTTP (search needs http, not file://) until interrupted."""
    host, _, port = address.rpartition(":")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site_dir))
    with ThreadingHTTPServer((host or "127.0.0.1", int(port)), handler) as server:
        print(f"serving {site_dir} on http://{host or '127.0.0.1'}:{port}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
