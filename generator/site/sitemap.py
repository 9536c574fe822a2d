"""Sitemaps for search engines: every page of the site, 50,000 URLs a file at most.

MkDocs' own ``sitemap.xml`` lists only the pages MkDocs built itself (the navigation's): the
hook renders the rest. A sitemap needs absolute URLs, so with ``site.url`` in kb.yml the
build replaces it with a sitemap index (``sitemap.xml``) and its parts (``sitemap-1.xml`` …,
each at most ``MAX_URLS``, as the sitemaps protocol allows). Without ``site.url`` MkDocs'
file stays as it is. No ``lastmod``: the same pages give the same files.

``render_sitemaps`` is pure; ``write_sitemaps`` reads the built site's pages and writes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

MAX_URLS = 50_000  # the sitemaps protocol's limit per file
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def page_paths(site_dir: Path) -> list[str]:
    """Every page's URL path relative to the site root (``papers/123/``; ``""`` for the
    home page), sorted; the 404 page and the search index's files are not pages."""
    out = []
    for root, dirs, files in os.walk(site_dir):
        dirs[:] = sorted(d for d in dirs if not (root == str(site_dir) and d == "pagefind"))
        rel = Path(root).relative_to(site_dir).as_posix()
        if "index.html" in files:
            out.append("" if rel == "." else rel + "/")
    return sorted(out)


def render_sitemaps(paths: Sequence[str], base_url: str) -> dict[str, str]:
    """``{file name: XML}``: the index ``sitemap.xml`` and its parts (pure)."""
    base = base_url.rstrip("/") + "/"
    parts: dict[str, str] = {}
    for n, start in enumerate(range(0, max(len(paths), 1), MAX_URLS), start=1):
        urls = "".join(
            f"<url><loc>{escape(base + p)}</loc></url>\n" for p in paths[start : start + MAX_URLS]
        )
        parts[f"sitemap-{n}.xml"] = f'{_HEAD}<urlset xmlns="{_NS}">\n{urls}</urlset>\n'
    entries = "".join(f"<sitemap><loc>{escape(base + name)}</loc></sitemap>\n" for name in parts)
    index = f'{_HEAD}<sitemapindex xmlns="{_NS}">\n{entries}</sitemapindex>\n'
    return {"sitemap.xml": index, **parts}


def write_sitemaps(site_dir: Path, base_url: str | None) -> int:
    """Write the sitemap index and parts into the built site; return the URLs listed
    (0, and nothing written, without a base URL)."""
    if not base_url:
        return 0
    paths = page_paths(site_dir)
    for name, text in render_sitemaps(paths, base_url).items():
        (site_dir / name).write_text(text, encoding="utf-8")
    (site_dir / "sitemap.xml.gz").unlink(missing_ok=True)  # MkDocs' copy of its own
    return len(paths)
