"""Citation meta tags (Google Scholar / Zotero) and the download buttons, in built pages.

One knowledge base is built for the module: the demo's pages plus one hand-made paper
page with every awkward value (markup in the title, quotes and ampersands in names, an
abbreviated page range, a collective author), published under a site URL.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from generator import pipeline
from generator.config.load import load_config
from generator.kb.pages import dump_page, split_page
from generator.site.formats import first_last_page
from generator.utils.journals import citation_journal
from tests.conftest import write_kb

PMID = "40629355"
EDGE_PMID = "99999999"
HOSTILE_TITLE = '</title><script>alert("x")</script> BRCA1 & <i>TP53</i> in "mice"'
EDGE_META = {
    "title": HOSTILE_TITLE,
    "author_names": [
        {"family": 'O"Brien <b>', "given": "Seán & Co"},
        {"literal": "The TRACERx Consortium"},
        {"family": "Kim"},
    ],
    "journal": "Nature & Nurture <i>",
    "journal_iso": "Nat Nurt",
    "volume": "12",
    "issue": "3 Suppl 1",
    "pages": "123-45",
    "pub_date": "2008-07",
    "epub_date": "2008-06-30",
    "doi": "10.1000/a&b",
    "language": ["eng", "fre"],
    "keywords": ['tumour "evolution"'],
    "mesh": ["Humans", "Mice, Nude"],
}
# one more page per page-range shape, to hold the template to the Python rule
PAGE_CASES = {
    "99999991": "1234-8",
    "99999992": "S12-5",
    "99999993": "e101-e109",
    "99999994": "e1234",
    "99999995": "123-45, 150",
    "99999996": "98-102",
    "99999997": "123–45",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, _sample_site_src: Path) -> Path:
    folder = tmp_path_factory.mktemp("citation")
    config = load_config(
        write_kb(folder / "kb", edit=lambda d: d["site"].update(url="https://lab.example.org/kb/"))
    )
    shutil.copytree(_sample_site_src, config.site_src)
    meta, body = split_page((config.site_src / "papers" / f"{PMID}.md").read_text("utf-8"))
    papers = config.site_src / "papers"
    edge = {**meta, **EDGE_META, "pmid": EDGE_PMID}
    (papers / f"{EDGE_PMID}.md").write_text(dump_page(edge, body), encoding="utf-8")
    for pmid, pages in PAGE_CASES.items():
        page = dump_page({**meta, "pmid": pmid, "pages": pages}, body)
        (papers / f"{pmid}.md").write_text(page, encoding="utf-8")
    return pipeline.build(config, folder / "site").site_dir


def head_meta(page: Path) -> dict[str, list[str]]:
    root = lxml.html.fromstring(page.read_bytes())
    found: dict[str, list[str]] = defaultdict(list)
    for el in root.xpath("//head/meta[starts-with(@name, 'citation_')]"):
        found[el.get("name")].append(el.get("content"))
    return dict(found)


def test_citation_tags_of_an_ordinary_paper(built: Path):
    tags = head_meta(built / "papers" / PMID / "index.html")
    meta, _ = split_page((built.parent / "kb" / "site_src" / "papers" / f"{PMID}.md").read_text())
    assert tags["citation_title"] == [meta["title"]]
    assert tags["citation_author"] == [f"{n['family']}, {n['given']}" for n in meta["author_names"]]
    assert tags["citation_journal_title"] == [citation_journal(meta["journal"])]
    assert tags["citation_journal_abbrev"] == [meta["journal_iso"]]
    assert tags["citation_publication_date"] == [meta["pub_date"].replace("-", "/")]
    assert tags["citation_doi"] == [meta["doi"]]
    assert tags["citation_pmid"] == [PMID]
    assert tags["citation_abstract_html_url"] == [f"https://lab.example.org/kb/papers/{PMID}/"]
    assert meta["language"] == ["eng"] and tags["citation_language"] == ["en"]  # ISO 639-1
    assert tags.get("citation_keywords", []) == meta["keywords"]  # author keywords, not MeSH
    assert "citation_firstpage" not in tags  # the sample has no pages


def test_citation_tags_escape_everything(built: Path):
    page = built / "papers" / EDGE_PMID / "index.html"
    tags = head_meta(page)
    assert tags["citation_title"] == [HOSTILE_TITLE]  # shown exactly, never as markup
    assert tags["citation_author"] == ['O"Brien <b>, Seán & Co', "The TRACERx Consortium", "Kim"]
    assert tags["citation_journal_title"] == ["Nature & Nurture <i>"]
    assert tags["citation_volume"] == ["12"]
    assert tags["citation_issue"] == ["3 Suppl 1"]
    assert tags["citation_publication_date"] == ["2008/07"]
    assert tags["citation_online_date"] == ["2008/06/30"]
    assert tags["citation_doi"] == ["10.1000/a&b"]
    assert tags["citation_language"] == ["en", "fr"]
    assert tags["citation_keywords"] == ['tumour "evolution"']
    html = page.read_text("utf-8")
    assert "<script>alert" not in html
    assert "<b>," not in html


@pytest.mark.parametrize(("pmid", "pages"), sorted(PAGE_CASES.items()))
def test_first_and_last_page_as_the_exports_give_them(built: Path, pmid: str, pages: str):
    """The template expands MEDLINE's abbreviated page ranges exactly as
    generator.site.exports.first_last_page does (``123-45`` → 123 and 145)."""
    tags = head_meta(built / "papers" / pmid / "index.html")
    first, last = first_last_page(pages)
    assert tags.get("citation_firstpage") == [first]
    assert tags.get("citation_lastpage") == ([last] if last else None)


def test_the_hostile_page_has_its_pages_expanded(built: Path):
    tags = head_meta(built / "papers" / EDGE_PMID / "index.html")
    assert (tags["citation_firstpage"], tags["citation_lastpage"]) == (["123"], ["145"])


def _row(page: Path) -> Any:
    root = lxml.html.fromstring(page.read_bytes())
    (row,) = root.xpath("//div[contains(@class, 'kb-downloads')]")
    return row


def test_paper_pages_mark_where_the_citation_buttons_go(built: Path):
    page = built / "papers" / PMID / "index.html"
    row = _row(page)
    assert row.get("data-pagefind-ignore") is not None  # not indexed as text of the paper
    assert row.get("data-kb-cite") == "cite.json" and row.get("data-kb-kind") == "cite"
    assert row.get("data-kb-name") == f"pmid-{PMID}"
    assert (page.parent / "cite.json").is_file()
    # the buttons need cite.js, which makes them (tests/test_cite_js.py clicks them)
    assert "assets/kb/cite.js" in page.read_text("utf-8")


def test_list_pages_mark_a_download_of_every_paper_of_the_list(built: Path):
    row = _row(built / "keywords" / "cancer" / "index.html")
    assert (row.get("data-kb-cite"), row.get("data-kb-name")) == ("list", "cancer")
    (feed,) = row.xpath(".//a")
    assert feed.get("href") == "feed.xml"  # a topic also has its feed, as plain HTML
    row = _row(built / "mesh" / "neoplasms" / "index.html")
    assert (row.get("data-kb-cite"), row.get("data-kb-name")) == ("list", "neoplasms")
    assert row.xpath(".//a") == []
    assert _row(built / "types" / "review" / "index.html").get("data-kb-name") == "types-review"
    # lists of lists have none
    index = lxml.html.fromstring((built / "mesh" / "index.html").read_bytes())
    assert not index.xpath("//div[contains(@class, 'kb-downloads')]")


def test_no_citation_tags_outside_paper_pages(built: Path):
    for page in (built / "index.html", built / "keywords" / "cancer" / "index.html"):
        assert head_meta(page) == {}


def test_korean_site_uses_korean_labels(tmp_path: Path, _sample_site_src: Path):
    config = load_config(write_kb(tmp_path / "kb", edit=lambda d: d["site"].update(language="ko")))
    shutil.copytree(_sample_site_src, config.site_src)
    site = pipeline.build(config, tmp_path / "site").site_dir
    root = lxml.html.fromstring((site / "papers" / PMID / "index.html").read_bytes())
    assert root.xpath("//div[contains(@class, 'kb-downloads')]")[0].get("data-kb-kind") == "cite"
    assert root.get("lang") == "ko"  # cite.js takes its words (Korean) from the page's language
    topic = lxml.html.fromstring((site / "keywords" / "cancer" / "index.html").read_bytes())
    (feed,) = topic.xpath("//div[contains(@class, 'kb-downloads')]//a")
    assert feed.text == "Atom 피드"
