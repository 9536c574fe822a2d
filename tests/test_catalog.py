"""The frontmatter catalog: parsed once, re-read only when a page's file changed."""

from __future__ import annotations

import hashlib
import os

import pytest

from generator.config.model import Config
from generator.kb import catalog
from generator.kb.pages import dump_page, split_page
from generator.utils.errors import PageError


def test_cache_is_used_until_a_page_changes(sample_kb: Config, monkeypatch) -> None:
    src = sample_kb.site_src
    first = catalog.paper_metas(src)
    assert len(first) == 30 and list(first) == sorted(first, key=int)
    assert catalog.cache_path(src).is_file()

    parsed: list[str] = []
    real = catalog.split_page
    monkeypatch.setattr(catalog, "split_page", lambda t, n: parsed.append(n) or real(t, n))
    assert catalog.paper_metas(src) == first
    assert parsed == []  # nothing changed: nothing parsed

    page = src / "papers" / "40629355.md"
    meta, body = split_page(page.read_text(encoding="utf-8"))
    meta["title"] = "Changed title"
    page.write_text(dump_page(meta, body), encoding="utf-8")
    st = os.stat(page)
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    again = catalog.paper_metas(src)
    assert parsed == [str(page)]
    assert again["40629355"]["title"] == "Changed title"

    (src / "papers" / "40629268.md").unlink()
    assert "40629268" not in catalog.paper_metas(src)


def test_a_damaged_cache_is_rebuilt_not_trusted(sample_kb: Config) -> None:
    src = sample_kb.site_src
    good = catalog.paper_metas(src)
    catalog.cache_path(src).write_text("{not json", encoding="utf-8")
    assert catalog.paper_metas(src) == good


def test_a_page_whose_pmid_is_not_its_name_is_an_error(sample_kb: Config) -> None:
    src = sample_kb.site_src
    meta, body = split_page((src / "papers" / "40629355.md").read_text(encoding="utf-8"))
    (src / "papers" / "123.md").write_text(dump_page(meta, body), encoding="utf-8")
    with pytest.raises(PageError, match=r"123\.md: frontmatter pmid '40629355'"):
        catalog.paper_metas(src)


def test_a_fresh_checkout_reuses_the_cache_by_content(sample_kb: Config, monkeypatch) -> None:
    """In CI every file has a new modification time: the cache (restored between runs)
    must still spare the YAML, and a real change must still be seen."""
    src = sample_kb.site_src
    first = catalog.paper_metas(src)
    for page in (src / "papers").glob("*.md"):  # what a new clone looks like
        st = os.stat(page)
        os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 7_000_000_000))
    parsed: list[str] = []
    real = catalog.split_page
    monkeypatch.setattr(catalog, "split_page", lambda t, n: parsed.append(n) or real(t, n))
    assert catalog.paper_metas(src) == first
    assert parsed == []

    page = src / "papers" / "40629355.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("title: ", "title: Renamed ", 1), encoding="utf-8")
    os.utime(page, ns=(os.stat(page).st_atime_ns, os.stat(page).st_mtime_ns))
    assert catalog.paper_metas(src)["40629355"]["title"].startswith("Renamed ")
    assert parsed == [str(page)]


def test_digests_name_each_pages_content(sample_kb: Config) -> None:
    src = sample_kb.site_src
    cold: dict[str, str] = {}
    catalog.paper_metas(src, cold)  # read the pages
    warm: dict[str, str] = {}
    catalog.paper_metas(src, warm)  # from the cache
    page = src / "papers" / "40629355.md"
    assert cold == warm and len(warm) == 30
    assert warm["40629355"] == hashlib.blake2b(page.read_bytes(), digest_size=16).hexdigest()
    meta, body = split_page(page.read_text(encoding="utf-8"))
    page.write_text(dump_page({**meta, "title": "Changed title"}, body), encoding="utf-8")
    changed: dict[str, str] = {}
    catalog.paper_metas(src, changed)
    assert {p for p in warm if changed[p] != warm[p]} == {"40629355"}
