"""Atom feeds, read back by feedparser (a real, lenient-but-honest feed parser)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.html
import pytest
from lxml import etree

from generator.config.model import Config
from generator.site.feeds import MAX_ENTRIES, FeedSpec, build_feeds, render_feed
from generator.utils.errors import KBError
from generator.utils.slug import slugify
from tests.conftest import DemoSite


def paper(pmid: int, collected: str, pub_date: str = "2025-01-01", **changes: Any) -> dict:
    meta = {
        "pmid": str(pmid),
        "title": f"Paper {pmid} <b>&amp; friends</b>",
        "author_names": [{"family": "Kim", "given": "Ji-hoon"}, {"literal": "The XYZ Group"}],
        "journal": "J Test",
        "pub_date": pub_date,
        "collected": collected,
        "updated": collected,
        "search_keywords": ["cancer"],
        "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        "description": "What it found.",
    }
    meta.update(changes)
    return meta


def parse(text: str) -> feedparser.FeedParserDict:
    feed = feedparser.parse(text.encode("utf-8"))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_newest_first_by_collected_then_pub_date_then_pmid():
    papers = [
        paper(1, "2025-07-01"),
        paper(2, "2025-07-03", "2024-01-01"),
        paper(3, "2025-07-03", "2025-05-01"),
        paper(4, "2025-07-03", "2025-05-01"),
        paper(5, "2025-06-30", "2026-01-01"),
    ]
    feed = parse(render_feed(papers, FeedSpec("feed.xml", "", "KB"), site_title="KB"))
    pmids = [e.id.rstrip("/").rsplit("/", 1)[1] for e in feed.entries]
    assert pmids == ["4", "3", "2", "1", "5"]


def test_at_most_fifty_entries_and_updated_from_the_data():
    papers = [paper(i, f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}") for i in range(1, 121)]
    text = render_feed(papers, FeedSpec("feed.xml", "", "KB"), site_title="KB")
    feed = parse(text)
    assert len(feed.entries) == MAX_ENTRIES
    newest = max(p["collected"] for p in papers)
    assert feed.feed.updated == f"{newest}T00:00:00Z"
    # the clock plays no part: the same papers give the same bytes
    assert render_feed(papers, FeedSpec("feed.xml", "", "KB"), site_title="KB") == text


def test_entry_fields_and_escaping():
    papers = [paper(7, "2025-07-01", retracted=True)]
    feed = parse(render_feed(papers, FeedSpec("feed.xml", "", "KB & co"), site_title="KB & co"))
    assert feed.feed.title == "KB & co"
    (entry,) = feed.entries
    assert entry.title == "Retracted publication: Paper 7 <b>&amp; friends</b>"  # text, not markup
    assert entry.id == "https://pubmed.ncbi.nlm.nih.gov/7/"
    assert entry.link == "papers/7/"
    assert entry.published == "2025-07-01T00:00:00Z"
    assert [a.name for a in entry.authors] == ["Ji-hoon Kim", "The XYZ Group"]
    assert [t.term for t in entry.tags] == ["cancer"]
    assert entry.summary == "J Test · 2025-01-01. What it found."


def test_relative_links_without_a_site_url(kb: Config):
    feeds = build_feeds([paper(1, "2025-07-01")], kb)
    site = parse(feeds["feed.xml"])
    assert site.entries[0].link == "papers/1/"
    assert site.feed.id.startswith("urn:uuid:")
    topic = parse(feeds["keywords/cancer/feed.xml"])
    assert topic.entries[0].link == "../../papers/1/"  # from keywords/cancer/feed.xml
    assert {link.rel: link.href for link in topic.feed.links} == {
        "self": "../../keywords/cancer/feed.xml",
        "alternate": "../../keywords/cancer/",
    }
    # the links resolve to the paper page from the feed's own URL
    base = "https://example.org/kb/keywords/cancer/feed.xml"
    assert urljoin(base, topic.entries[0].link) == "https://example.org/kb/papers/1/"


def test_absolute_links_with_a_site_url(make_kb):
    config = make_kb(edit=lambda d: d["site"].update(url="https://lab.example.org/kb"))
    feeds = build_feeds([paper(1, "2025-07-01")], config)
    site = parse(feeds["feed.xml"])
    assert site.feed.id == "https://lab.example.org/kb/feed.xml"
    assert site.entries[0].link == "https://lab.example.org/kb/papers/1/"
    links = {link.rel: link.href for link in site.feed.links}
    assert links == {
        "self": "https://lab.example.org/kb/feed.xml",
        "alternate": "https://lab.example.org/kb/",
    }
    topic = parse(feeds["keywords/cancer/feed.xml"])
    assert topic.feed.id == "https://lab.example.org/kb/keywords/cancer/feed.xml"
    assert topic.entries[0].link == "https://lab.example.org/kb/papers/1/"


def test_one_feed_per_topic_even_without_papers(kb: Config):
    feeds = build_feeds([paper(1, "2025-07-01", search_keywords=["germline"])], kb)
    expected = {"feed.xml"} | {f"keywords/{slugify(t.name)}/feed.xml" for t in kb.topics}
    assert {rel for rel in feeds if rel.endswith("feed.xml")} == expected
    empty = parse(feeds["keywords/cancer/feed.xml"])
    assert empty.entries == []
    assert empty.feed.updated == "2025-07-01T00:00:00Z"  # the knowledge base's newest date
    assert len(parse(feeds["keywords/germline/feed.xml"]).entries) == 1


def test_control_characters_do_not_break_the_feed():
    papers = [paper(1, "2025-07-01", title="bad \x0b char \x00 here")]
    feed = parse(render_feed(papers, FeedSpec("feed.xml", "", "KB"), site_title="KB"))
    assert feed.entries[0].title == "bad char here"


@pytest.fixture(scope="module")
def demo_feeds(demo_site: DemoSite) -> dict[str, Path]:
    site = demo_site.site_dir
    return {p.relative_to(site).as_posix(): p for p in site.rglob("feed.xml")}


def test_demo_site_feeds_are_valid_atom(demo_site: DemoSite, demo_feeds: dict[str, Path]):
    assert "feed.xml" in demo_feeds
    topics = {p.parent.name for p in (demo_site.site_dir / "keywords").glob("*/index.html")}
    assert {f"keywords/{t}/feed.xml" for t in topics} <= set(demo_feeds)
    schema_free = etree.XMLParser(resolve_entities=False, no_network=True)
    for rel, path in demo_feeds.items():
        root = etree.parse(str(path), schema_free).getroot()
        assert root.tag == "{http://www.w3.org/2005/Atom}feed", rel
        feed = parse(path.read_text("utf-8"))
        for entry in feed.entries:
            # every entry links to a paper page that was built
            target = (path.parent / entry.link / "index.html").resolve()
            assert target.is_file(), (rel, entry.link)


def test_demo_site_feed_is_newest_first(demo_site: DemoSite, demo_feeds: dict[str, Path]):
    feed = parse(demo_feeds["feed.xml"].read_text("utf-8"))
    assert len(feed.entries) == 30
    keys = [(e.published, e.id) for e in feed.entries]
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)


def test_the_sites_own_pages_and_topics_link_the_site_feed(demo_site: DemoSite):
    site = demo_site.site_dir
    for page in (site / "index.html", site / "mesh" / "index.html", site / "status" / "index.html"):
        html = page.read_text("utf-8")
        assert 'rel="alternate" type="application/atom+xml"' in html
        assert 'feed.xml"' in html
    # not the ~60,000 paper and term pages of a large site (120 bytes each)
    for page in (site / "papers" / "40629355" / "index.html", site / "mesh" / "neoplasms"):
        html = (page if page.suffix else page / "index.html").read_text("utf-8")
        assert "application/atom+xml" not in html
    topic = (site / "keywords" / "cancer" / "index.html").read_text("utf-8")
    assert topic.count('type="application/atom+xml"') == 2
    assert 'href="feed.xml"' in topic  # its own feed, beside it


def test_material_finds_a_sitemap_beside_every_feed_link(demo_site: DemoSite):
    """Material's JavaScript fetches sitemap.xml beside every <link rel="alternate"> (it
    takes them for translations): each must exist, or the page logs a 404."""
    site = demo_site.site_dir
    pages = [p for p in site.rglob("index.html") if "pagefind" not in p.parts]
    checked = 0
    for page in pages:
        root = lxml.html.fromstring(page.read_bytes())
        for href in root.xpath("//link[@rel='alternate']/@href"):
            target = (page.parent / href).resolve().parent / "sitemap.xml"
            assert target.is_file(), (page.relative_to(site), href)
            checked += 1
    assert checked > 10
    stub = site / "keywords" / "cancer" / "sitemap.xml"
    assert (
        etree.parse(str(stub)).getroot().tag
        == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    )


def test_the_pages_url_from_the_workflow_makes_every_link_absolute(make_kb, monkeypatch):
    # publish.yml passes GitHub Pages' URL as KB_SITE_URL when kb.yml names none: a feed
    # item forwarded by e-mail or a chat bot must still link somewhere.
    monkeypatch.setenv("KB_SITE_URL", "https://lab.github.io/kb")
    config = make_kb()
    assert config.site.url == "https://lab.github.io/kb"
    feeds = build_feeds([paper(1, "2025-07-01", authors=["Ji-hoon Kim"])], config)
    for text in feeds.values():
        if "<feed" not in text:
            continue  # the stand-in sitemaps beside the feeds
        feed = parse(text)
        hrefs = [link.href for link in feed.feed.links] + [e.link for e in feed.entries]
        assert all(h.startswith("https://lab.github.io/kb/") for h in hrefs), hrefs
    entry = parse(feeds["feed.xml"]).entries[0]
    assert entry.summary.endswith("What it found.") and entry.authors[0].name == "Ji-hoon Kim"


def test_a_site_url_in_kb_yml_wins_over_the_workflows(make_kb, monkeypatch):
    monkeypatch.setenv("KB_SITE_URL", "https://lab.github.io/kb")
    config = make_kb(edit=lambda d: d["site"].update(url="https://kb.lab.org/"))
    assert config.site.url == "https://kb.lab.org/"
    monkeypatch.setenv("KB_SITE_URL", "lab.github.io")
    with pytest.raises(KBError, match="KB_SITE_URL"):
        make_kb(name="other")
