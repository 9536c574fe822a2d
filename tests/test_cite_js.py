"""The browser's citations (theme/assets/kb/cite.js) are byte for byte the Python renderers'.

The site stores one ``cite.json`` per paper and the browser makes BibTeX, RIS and CSL-JSON
from it. ``generator/site/exports.py`` is the reference: for every demo paper and a table of
awkward records, the JavaScript must give the same text, alone and in bulk, in English and
Korean; and the buttons must download exactly that, following a list over all its pages.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import generator.site.index
from generator import pipeline
from generator.config.load import load_config
from generator.site.exports import read_papers
from generator.site.formats import (
    citation_key,
    cite_record,
    render_bibtex,
    render_csl_json,
    render_ris,
)
from generator.utils.i18n import labels
from tests.conftest import REPO, write_kb
from tests.test_browser import ARGS, CHROMIUM
from tests.test_exports import NASTY_TITLE, paper

pytestmark = pytest.mark.browser

CITE_JS = REPO / "generator" / "site" / "theme" / "assets" / "kb" / "cite.js"

AWKWARD: list[dict[str, Any]] = [
    paper(),
    paper(pmid="2", retracted=True, is_book=True, journal_iso="Bk"),
    paper(pmid="3", title="Unbalanced } brace { here and {BRCA1}", pages="S12-5; 150"),
    paper(pmid="4", author_names=[{"literal": "The Cancer Genome Atlas and Friends"}]),
    paper(pmid="5", author_names=[], pub_date=None, year=1999, pages=None, doi=None),
    paper(pmid="6", title="Ωmega-3 and ΔNp63 in Ελλάδα: 𝐁old 𝐂aps", keywords=["a, b", "c"]),
    paper(pmid="7", pub_date="2008", language=["eng", "fre"], pmcid=None),
    paper(pmid="8", pub_date="2021-11", pages="e1234-e1240, 17-9", volume=None),
    paper(
        pmid="9", author_names=[{"family": "Smith and Wesson", "given": "A, B", "suffix": "3rd"}]
    ),
    paper(pmid="10", title=NASTY_TITLE.upper(), doi="10.1/{x}\\y", journal=None, journal_iso=None),
    {"pmid": "11", "title": "Bare"},
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make system-deps installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def js(browser):
    """A blank page with cite.js loaded: call its renderers with Python's records."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(CITE_JS))

    def run(fmt: str, metas: list[dict[str, Any]], language: str = "en") -> str:
        records = [cite_record(m) for m in metas]
        label = labels(language)["retracted_title"]
        return page.evaluate(
            "([fmt, records, label]) => window.kbCite.render[fmt](records, label)",
            [fmt, records, label],
        )

    run.page = page  # type: ignore[attr-defined]
    yield run
    context.close()


PY = {"bib": render_bibtex, "ris": render_ris}


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("fmt", ["bib", "ris"])
def test_each_awkward_record_alone_and_all_together(js, fmt: str, language: str) -> None:
    for meta in AWKWARD:
        assert js(fmt, [meta], language) == PY[fmt]([meta], language), meta["pmid"]
    assert js(fmt, AWKWARD, language) == PY[fmt](AWKWARD, language)


def test_csl_json_download_is_the_python_text(js) -> None:
    for meta in AWKWARD:
        assert js("json", [meta]) == render_csl_json([meta]), meta["pmid"]
    assert js("json", AWKWARD) == render_csl_json(AWKWARD)


def test_the_scripts_words_are_the_generators(js) -> None:
    words = js.page.evaluate("() => window.kbCite.WORDS")
    for language in ("en", "ko"):
        assert words[language]["retracted"] == labels(language)["retracted_title"]


def test_every_demo_paper(js, _sample_site_src: Path) -> None:
    papers = read_papers(_sample_site_src)
    assert len(papers) == 30
    for fmt, render in PY.items():
        assert js(fmt, papers) == render(papers)
    assert js("json", papers) == render_csl_json(papers)


# --- the buttons on a built site ----------------------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def small_pages_site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The demo with lists split every 4 papers, so that a download must follow pages."""
    folder = tmp_path_factory.mktemp("cite-js")
    config = load_config(write_kb(folder / "kb"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(generator.site.index, "PAGE_SIZE", 4)
        pipeline.demo(config, folder / "site")
    handler = functools.partial(_Quiet, directory=str(folder / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/", config.site_src
    server.shutdown()
    server.server_close()


def _download(browser, url: str, fmt: str) -> tuple[str, str]:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    with page.expect_download(timeout=30_000) as info:
        page.click(f".kb-downloads [data-kb-format={fmt}]")
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8")
    name = download.suggested_filename
    context.close()
    assert errors == []
    return name, text


def test_a_paper_pages_buttons_download_its_citation(browser, small_pages_site) -> None:
    url, site_src = small_pages_site
    meta = next(m for m in read_papers(site_src) if m["pmid"] == "40629355")
    name, text = _download(browser, f"{url}papers/40629355/", "bib")
    assert (name, text) == ("pmid-40629355.bib", render_bibtex([meta]))
    name, text = _download(browser, f"{url}papers/40629355/", "json")
    assert (name, json.loads(text)) == ("pmid-40629355.json", json.loads(render_csl_json([meta])))


def test_a_list_download_follows_every_page_of_the_list(browser, small_pages_site) -> None:
    url, site_src = small_pages_site
    members = [m for m in read_papers(site_src) if "cancer" in m["search_keywords"]]
    assert len(members) > 4  # the list has several pages
    name, text = _download(browser, f"{url}keywords/cancer/", "ris")
    assert (name, text) == ("cancer.ris", render_ris(members))
    # from a later page too: the download is the whole list, not the page
    _, text = _download(browser, f"{url}keywords/cancer/part-1/", "bib")
    assert text == render_bibtex(sorted(members, key=citation_key))
