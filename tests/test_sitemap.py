"""Sitemaps list every page of the site (MkDocs' own lists only the navigation's)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from generator.site import sitemap
from generator.site.sitemap import page_paths, render_sitemaps, write_sitemaps
from tests.conftest import DemoSite

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_parts_hold_at_most_the_protocols_limit(monkeypatch) -> None:
    monkeypatch.setattr(sitemap, "MAX_URLS", 2)
    files = render_sitemaps(["", "a/", "b/", "c&d/", "e/"], "https://lab.example.org/kb")
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap.xml"]
    index = etree.fromstring(files["sitemap.xml"].encode())
    assert index.xpath("//s:loc/text()", namespaces=NS) == [
        f"https://lab.example.org/kb/sitemap-{n}.xml" for n in (1, 2, 3)
    ]
    urls = []
    for n in (1, 2, 3):
        part = etree.fromstring(files[f"sitemap-{n}.xml"].encode())
        urls += part.xpath("//s:loc/text()", namespaces=NS)
    assert urls == [f"https://lab.example.org/kb/{p}" for p in ("", "a/", "b/", "c&d/", "e/")]


def test_every_page_of_the_demo_is_listed(demo_site: DemoSite, tmp_path: Path) -> None:
    site = demo_site.site_dir
    paths = page_paths(site)
    assert "" in paths and "papers/40629355/" in paths and "mesh/neoplasms/" in paths
    assert not [p for p in paths if p.startswith("pagefind")]
    copy = tmp_path / "site"
    copy.mkdir()
    for p in paths:
        (copy / p).mkdir(parents=True, exist_ok=True)
        (copy / p / "index.html").write_text("x", encoding="utf-8")
    assert write_sitemaps(copy, None) == 0 and not (copy / "sitemap.xml").exists()
    assert write_sitemaps(copy, "https://lab.example.org/kb/") == len(paths)
    (part,) = [f for f in copy.glob("sitemap-*.xml")]
    listed = etree.parse(str(part)).getroot().xpath("//s:loc/text()", namespaces=NS)
    assert len(listed) == len(paths) and "https://lab.example.org/kb/papers/40629355/" in listed
