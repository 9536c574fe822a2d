"""The built site: golden site_src for the demo, and real ``mkdocs build --strict`` runs.

Golden output
-------------
``tests/golden/sample_site_src/`` holds the exact ``site_src/`` that ``pipeline.demo``
writes for the shipped ``kb.yml``. After an intended change to the pages, review the
difference and rewrite the folder with::

    UPDATE_GOLDEN=1 pytest tests/test_site.py -k golden

then read ``git diff tests/golden`` before committing it.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from generator import pipeline
from generator.config.load import load_config
from generator.config.model import Config
from generator.kb.ingest import ingest_papers
from generator.kb.pages import split_page
from generator.pubmed.models import AbstractSection, Journal, MeshHeading, Paper
from generator.sample import load_sample
from generator.utils.slug import slugify
from tests.conftest import DemoSite, tree_bytes, write_kb

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample_site_src"
KNOWN_TITLE = "Tumor-derived exosomes and their application in cancer treatment."


def test_demo_site_src_matches_the_golden_output(demo_site: DemoSite):
    produced = tree_bytes(demo_site.site_src)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(demo_site.site_src, GOLDEN)
    if not GOLDEN.is_dir():
        pytest.fail(f"{GOLDEN} is missing: run UPDATE_GOLDEN=1 pytest tests/test_site.py")
    golden = tree_bytes(GOLDEN)
    assert sorted(produced) == sorted(golden), "the list of files differs"
    different = [name for name in sorted(produced) if produced[name] != golden[name]]
    assert different == [], f"{len(different)} files differ, first: {different[:5]}"


def test_demo_report(demo_site: DemoSite):
    assert len(demo_site.report.created) == 30
    assert demo_site.report.summary() == "30 new, 0 updated, 0 unchanged"


def test_demo_pages_use_the_sample_dates_and_topics(demo_site: DemoSite):
    sample = load_sample()
    for pmid, collected in sample.collected.items():
        meta, _ = split_page((demo_site.site_src / "papers" / f"{pmid}.md").read_text("utf-8"))
        assert meta["collected"] == meta["updated"] == collected
        assert tuple(meta["search_keywords"]) == tuple(
            sorted(sample.topics_by_pmid[pmid], key=str.casefold)
        )


def test_the_site_is_built(demo_site: DemoSite):
    site = demo_site.site_dir
    assert (site / "index.html").is_file()
    assert (site / "404.html").is_file()
    papers = sorted(p.parent.name for p in (site / "papers").glob("*/index.html"))
    papers = [p for p in papers if p.isdigit()]
    assert len(papers) >= 20
    assert papers == sorted(load_sample().collected)
    for topic in demo_site.config.topics:
        assert (site / "keywords" / slugify(topic.name) / "index.html").is_file(), topic.name
    assert (site / "keywords" / "index.html").is_file()
    assert (site / "mesh" / "index.html").is_file()
    for term in ("Exosomes", "Humans", "Aged, 80 and over", "Breast Neoplasms"):
        assert (site / "mesh" / slugify(term) / "index.html").is_file(), term
    assert (site / "papers" / "index.html").is_file()


def pagefind_shards(site: Path) -> list[Path]:
    """The search index's shard folders, in the order shards.json lists them."""
    manifest = json.loads((site / "pagefind" / "shards.json").read_text(encoding="utf-8"))
    return [site / "pagefind" / name for name in manifest["shards"]]


def pagefind_records(site: Path) -> list[dict]:
    """Every page Pagefind indexed (in every shard): its url, text content and metadata."""
    records = []
    for shard in pagefind_shards(site):
        for fragment in sorted((shard / "fragment").glob("*.pf_fragment")):
            data = gzip.decompress(fragment.read_bytes())
            assert data.startswith(b"pagefind_dcd"), fragment
            records.append(json.loads(data[len(b"pagefind_dcd") :]))
    return records


def test_the_search_index_has_the_papers(demo_site: DemoSite):
    lang = demo_site.config.site.language
    shards = pagefind_shards(demo_site.site_dir)
    counts = [
        json.loads((s / "pagefind-entry.json").read_text())["languages"][lang]["page_count"]
        for s in shards
    ]
    assert sum(counts) == 30
    records = {r["url"]: r for r in pagefind_records(demo_site.site_dir)}
    assert len(records) == 30  # paper pages only
    known = records["/papers/40629355/"]
    assert known["meta"]["title"] == KNOWN_TITLE
    assert known["content"].startswith(KNOWN_TITLE)
    assert "¶" not in known["content"]
    assert {r["meta"]["title"] for r in records.values()} >= {KNOWN_TITLE}


def _title_element(page: Path) -> str:
    match = re.search(r"<title>(.*?)</title>", page.read_text("utf-8"), re.S)
    assert match, page
    return html.unescape(match.group(1))


def test_site_name_and_page_titles(demo_site: DemoSite):
    site_title = demo_site.config.site.title
    assert _title_element(demo_site.site_dir / "index.html") == site_title  # once, not twice
    paper = _title_element(demo_site.site_dir / "papers" / "40629355" / "index.html")
    assert paper == f"{KNOWN_TITLE} - {site_title}"
    text = (demo_site.site_dir / "index.html").read_text("utf-8")
    assert f'lang="{demo_site.config.site.language}"' in text


def test_the_navigation_comes_from_kb_yml(demo_site: DemoSite):
    text = (demo_site.site_dir / "index.html").read_text("utf-8")
    for label, href in [
        ("Topics", "keywords/"),
        ("MeSH terms", "mesh/"),
        ("All papers", "papers/"),
    ]:
        assert re.search(rf'href="{href}"[^>]*>\s*{label}', text), label


def test_nothing_was_written_into_the_repository(demo_site: DemoSite):
    repo = Path(__file__).resolve().parents[1]
    assert repo not in demo_site.site_src.parents
    assert repo not in demo_site.site_dir.parents


# --- a hostile paper through a real strict build -------------------------------------

HOSTILE_TITLE = '</title><script>alert("t")</script> "Quotes" & <b>bold</b> {{ jinja }} *x*'
HOSTILE_ABSTRACT = 'Values "x" </p><script>alert("d")</script> ended. ' * 3
HOSTILE_TOPIC = "RNA, Transfer / ../../etc 🧬"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> tuple[Config, Path]:

    folder = tmp_path_factory.mktemp("hostile")

    def edit(data):
        data["site"]["title"] = "KB one & two"
        data["topics"].append({"name": HOSTILE_TOPIC, "query": "x[tiab]"})

    config = load_config(write_kb(folder / "kb", edit=edit))
    paper = Paper(
        pmid="99999999",
        title=HOSTILE_TITLE,
        abstract=(AbstractSection(HOSTILE_ABSTRACT),),
        journal=Journal(title="<script>alert('j')</script>"),
        mesh=(
            MeshHeading("RNA, Transfer"),
            MeshHeading("RNA/Transfer"),
            MeshHeading("../../etc"),
            MeshHeading("유방암"),
            MeshHeading("<script>alert('m')</script>"),
        ),
        pub_date="2025-07-08",
    )
    ingest_papers([paper], config.site_src, config, "2025-07-20", lambda p: [HOSTILE_TOPIC])
    build = pipeline.build(config, folder / "site")
    return config, build.site_dir


def test_hostile_text_never_becomes_html(hostile_site):
    _, site = hostile_site
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        text = page.read_text("utf-8")
        assert "<script>alert" not in text, page
        assert "<b>bold</b>" not in text, page
        assert "<i>" not in text, page


def test_hostile_title_is_shown_exactly(hostile_site):
    config, site = hostile_site
    page = site / "papers" / "99999999" / "index.html"
    assert _title_element(page) == f"{HOSTILE_TITLE} - {config.site.title}"
    text = page.read_text("utf-8")
    description = re.search(r'<meta name="description" content="([^"]*)">', text)
    assert description
    assert html.unescape(description.group(1)).startswith('Values "x" </p><script>')
    (record,) = pagefind_records(site)
    assert record["url"] == "/papers/99999999/"
    assert record["meta"]["title"] == HOSTILE_TITLE


def test_hostile_terms_get_pages(hostile_site):
    _, site = hostile_site
    assert (site / "keywords" / slugify(HOSTILE_TOPIC) / "index.html").is_file()
    for term in ("RNA, Transfer", "RNA/Transfer", "../../etc", "유방암"):
        assert (site / "mesh" / slugify(term) / "index.html").is_file(), term
    assert not (site.parent / "etc").exists()


def test_every_label_names_an_element_of_its_page(demo_site: DemoSite):
    # The Nu Html Checker's error on Material's navigation of not_in_nav pages: a <label
    # for=X> with no element X (173 pages of the demo once). Every page type checked.
    import lxml.html

    pages = sorted(demo_site.site_dir.rglob("index.html"))
    assert len(pages) > 200
    broken, checked = [], 0
    for path in pages:
        root = lxml.html.fromstring(path.read_bytes())
        ids = set(root.xpath("//@id"))
        labels = root.xpath("//label/@for")
        checked += len(labels)
        missing = [f for f in labels if f not in ids]
        if missing:
            broken.append((str(path.relative_to(demo_site.site_dir)), missing[:3]))
    assert checked > 100  # Material's drawer, search and navigation labels were looked at
    assert broken == []


def test_the_theme_files_no_page_loads_are_left_out(demo_site: DemoSite) -> None:
    assets = demo_site.site_dir / "assets"
    assert not (assets / "javascripts" / "lunr").exists()  # Pagefind searches, not lunr
    assert not list(assets.rglob("*.map"))  # source maps: devtools only
    assert list((assets / "javascripts").glob("bundle.*.min.js"))  # the theme itself stays
    assert list((assets / "stylesheets").glob("main.*.min.css"))
