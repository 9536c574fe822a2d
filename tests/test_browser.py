"""Search in a real headless Chromium over a small built site served on 127.0.0.1."""

from __future__ import annotations

import functools
import json
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from generator import pipeline
from generator.config.load import load_config
from generator.utils.clock import fixed_clock
from tests.conftest import write_kb

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
UNIQUE_WORD = "zorbamycin"
KOREAN_WORD = "엑소좀"

EXTRA_XML = f"""<?xml version="1.0" ?>
<PubmedArticleSet>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">39000001</PMID>
<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2024</Year>
<Month>Mar</Month></PubDate></JournalIssue><Title>Journal of Browser Tests</Title></Journal>
<ArticleTitle>A trial of an unusual antibiotic in tumour cells.</ArticleTitle>
<Abstract><AbstractText Label="RESULTS" NlmCategory="RESULTS">Only {UNIQUE_WORD} slowed the
growth of the cells.</AbstractText></Abstract>
<AuthorList><Author><LastName>Kim</LastName><ForeName>Minji</ForeName></Author></AuthorList>
<Language>eng</Language><PublicationTypeList><PublicationType>Journal Article</PublicationType>
</PublicationTypeList></Article></MedlineCitation></PubmedArticle>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">39000002</PMID>
<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2024</Year>
</PubDate></JournalIssue><Title>대한암학회지</Title></Journal>
<ArticleTitle>Exosomes in breast cancer patients in Korea.</ArticleTitle>
<Abstract><AbstractText>An English abstract about vesicles.</AbstractText></Abstract>
<AuthorList><Author><LastName>Park</LastName><ForeName>Jisoo</ForeName></Author></AuthorList>
<Language>kor</Language><PublicationTypeList><PublicationType>Journal Article</PublicationType>
</PublicationTypeList><VernacularTitle>유방암 환자의 {KOREAN_WORD} 분석</VernacularTitle></Article>
<OtherAbstract Type="Publisher" Language="kor"><AbstractText>종양 세포가 분비하는 {KOREAN_WORD}의
단백질을 분석하였다.</AbstractText></OtherAbstract></MedlineCitation></PubmedArticle>
</PubmedArticleSet>
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make system-deps installs it)")
    folder = tmp_path_factory.mktemp("browser")
    config = load_config(write_kb(folder / "kb"))
    extra = folder / "extra.xml"
    extra.write_text(EXTRA_XML, encoding="utf-8")
    pipeline.ingest(config, [extra], ["cancer"], clock=fixed_clock("2025-07-20"))
    signals = {"pmid": "39000001", "taken": "2026-02-28", "citations": 31, "clinical": 2,
               "rcr": 3.21, "percentile": 91.4, "provisional": False, "references": []}  # fmt: skip
    citing = {"pmid": "39000002", "taken": "2026-02-28", "citations": 0, "references": [39000001]}
    config.state_dir.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(signals), json.dumps(citing)]
    (config.state_dir / "citations.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    site_dir = folder / "site"
    pipeline.demo(config, site_dir, force=True)
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def search(page, url: str, query: str) -> list[str]:
    page.goto(url)
    page.keyboard.press("/")
    page.fill("#kb-search-input", query)
    page.wait_for_selector(".kb-search__title", timeout=15_000)
    return page.locator(".kb-search__title").all_inner_texts()


def test_a_word_only_in_one_abstract_finds_that_paper(page, site_url: str) -> None:
    titles = search(page, site_url, UNIQUE_WORD)
    assert titles == ["A trial of an unusual antibiotic in tumour cells."]
    assert page.errors == []


def test_a_korean_word_finds_its_paper(page, site_url: str) -> None:
    titles = search(page, site_url, KOREAN_WORD)
    assert titles == ["Exosomes in breast cancer patients in Korea."]


def test_a_result_opens_the_paper_page_with_the_hit_highlighted(page, site_url: str) -> None:
    search(page, site_url, UNIQUE_WORD)
    page.locator(".kb-search__title").first.click()
    page.wait_for_url("**/papers/39000001/**")
    assert "A trial of an unusual antibiotic" in page.locator("h1").inner_text()
    page.wait_for_selector("mark", timeout=10_000)
    assert UNIQUE_WORD in page.locator("mark").first.inner_text().lower()
    assert page.errors == []


def test_search_downloads_nothing_until_opened_and_escape_closes(page, site_url: str) -> None:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(site_url + "papers/40629355/")
    assert not [u for u in fetched if "/pagefind/" in u]
    page.keyboard.press("Control+k")
    page.wait_for_selector("#kb-search-input")
    assert [u for u in fetched if "/pagefind/" in u]
    page.keyboard.press("Escape")
    assert page.locator("#kb-search-dialog").is_hidden()
    assert page.errors == []


def test_the_search_dialog_is_modal_and_gives_focus_back(page, site_url: str) -> None:
    page.goto(site_url + "papers/40629355/")
    opener = page.locator(".kb-search__trigger")
    assert opener.get_attribute("aria-expanded") == "false"
    opener.click()
    page.wait_for_selector("#kb-search-input:focus")
    assert opener.get_attribute("aria-expanded") == "true"
    dialog = page.locator("#kb-search-dialog")
    assert dialog.get_attribute("aria-modal") == "true"
    label = page.locator("label[for='kb-search-input']").inner_text()
    assert label == "Search the papers"  # a real label, not only a placeholder
    page.fill("#kb-search-input", "exosomes")
    page.wait_for_selector(".kb-search__title", timeout=15_000)
    for _ in range(40):  # Tab never leaves the open dialog
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "document.getElementById('kb-search-dialog').contains(document.activeElement)"
        )
        assert inside
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(
            "document.getElementById('kb-search-dialog').contains(document.activeElement)"
        )
    page.keyboard.press("Escape")
    assert dialog.is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('kb-search__trigger')")
    assert opener.get_attribute("aria-expanded") == "false"
    assert page.errors == []


def test_filters_load_only_when_opened_and_narrow_the_results(page, site_url: str) -> None:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(site_url)
    page.keyboard.press("/")
    page.fill("#kb-search-input", "exosomes")
    page.wait_for_selector(".kb-search__title", timeout=15_000)
    page.wait_for_load_state("networkidle")
    assert not [u for u in fetched if "/filter/" in u]  # a search loads no filter data
    everything = page.locator("#kb-search-status").inner_text()
    page.locator(".kb-search__filters summary").click()
    page.wait_for_selector("select[data-kb-filter='topic'] option >> nth=1", state="attached")
    assert [u for u in fetched if "/filter/" in u]
    options = page.locator("select[data-kb-filter='relevance'] option").all_inner_texts()
    high = next(o for o in options if o.startswith("high"))
    page.select_option("select[data-kb-filter='relevance']", high.split(" (")[0])
    page.wait_for_function(
        "([before]) => document.getElementById('kb-search-status').textContent !== before",
        arg=[everything],
    )
    narrowed = page.locator("#kb-search-status").inner_text()
    n_all = int(everything.split()[0]) if everything[0].isdigit() else 1
    n_high = int(narrowed.split()[0]) if narrowed[0].isdigit() else (0 if "No" in narrowed else 1)
    assert n_high < n_all
    assert page.errors == []


def test_no_console_errors_on_landing_topic_and_mesh_pages(page, site_url: str) -> None:
    for path in ("", "keywords/", "keywords/cancer/", "mesh/", "mesh/exosomes/", "papers/"):
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
    assert page.errors == []


def test_landing_links_lead_to_pages_and_dark_mode_toggles(page, site_url: str) -> None:
    page.goto(site_url)
    assert page.locator(".kb-chart svg").count() == 2  # the charts render inline
    scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    # follow a topic link from the counts table under the charts
    page.locator("article table a", has_text="germline").first.click()
    page.wait_for_url("**/keywords/germline/")
    assert page.locator("h1").inner_text().strip().startswith("germline")
    # the list filter narrows the topic's papers in the browser
    total = page.locator("article li[data-f]").count()
    page.select_option("select[data-kb-filter-key='relevance']", "high")
    visible = page.locator("article li[data-f]:visible").count()
    assert 0 < visible < total
    # and a paper from the list opens
    page.locator("article li[data-f]:visible a").first.click()
    page.wait_for_url("**/papers/*/")
    # the palette toggle switches light ↔ dark
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    toggled = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    assert {scheme, toggled} == {"default", "slate"}
    assert page.errors == []


def test_retracted_list_and_status_are_reachable_from_the_landing_page(page, site_url: str):
    page.goto(site_url)
    for text, url in (("Retractions and corrections", "**/retracted/"), ("Status", "**/status/")):
        page.goto(site_url)
        page.locator("article a", has_text=text).first.click()
        page.wait_for_url(url)
    feed = page.request.get(site_url + "feed.xml")
    assert feed.ok and b"<feed" in feed.body()
    assert page.errors == []


def test_search_works_on_a_phone_sized_screen(browser, site_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site_url)
    assert page.locator(".kb-search__trigger").is_hidden()  # the wide box gives way...
    page.locator("button.kb-search__icon").click()  # ...to the header's search icon
    page.fill("#kb-search-input", UNIQUE_WORD)
    page.wait_for_selector(".kb-search__title", timeout=15_000)
    box = page.locator(".kb-search__panel").bounding_box()
    assert box is not None and box["width"] >= 380  # the dialog fills the screen
    assert page.locator(".kb-search__title").all_inner_texts() == [
        "A trial of an unusual antibiotic in tumour cells."
    ]
    assert errors == []
    context.close()


def test_the_css_icons_draw_their_shapes(page, site_url: str) -> None:
    # The header's icons are CSS masks (assets/kb/icons.css); an unreadable mask image
    # leaves a filled square where the magnifier or the theme toggle should be.
    for path in ("", "papers/40629355/"):
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        masks = page.evaluate(
            "[...document.querySelectorAll('header .kb-i')].map("
            "e => getComputedStyle(e).webkitMaskImage || getComputedStyle(e).maskImage)"
        )
        assert masks and all(m.startswith('url("data:image/svg+xml') for m in masks), masks


def test_a_paper_page_shows_its_citation_signals_and_says_when_there_are_none(
    page, site_url: str
) -> None:
    page.goto(site_url + "papers/39000001/")
    line = page.locator("[data-kb-signals]")
    line.wait_for(state="visible")
    text = line.inner_text()
    assert "Cited 31 times" in text and "2 by clinical articles" in text
    assert "Relative Citation Ratio 3.21 (NIH percentile 91.4)" in text
    assert "iCite, 2026-02-28" in text
    icite = line.locator("a", has_text="iCite")
    assert icite.get_attribute("href") == "https://icite.od.nih.gov/api/pubs/39000001"
    # the knowledge base's own citation graph: 39000002 cites it
    graph = line.locator("details")
    assert graph.locator("summary").inner_text() == "Cited by 1 paper in this knowledge base"
    graph.locator("summary").click()
    link = graph.locator("a")
    link.filter(has_text="Exosomes in breast cancer patients in Korea.").wait_for()
    assert link.get_attribute("href") == "../39000002/"
    page.goto(site_url + "papers/39000002/")
    citing = page.locator("[data-kb-signals]")
    citing.wait_for(state="visible")
    assert "Not cited yet" in citing.inner_text()
    assert "Cites 1 paper in this knowledge base" in citing.locator("summary").inner_text()
    page.goto(site_url + "papers/40036809/")  # a sample paper: never asked
    other = page.locator("[data-kb-signals]")
    other.wait_for(state="visible")
    assert "not available" in other.inner_text()


def test_a_paper_page_ends_with_the_papers_most_like_it_here(page, site_url: str) -> None:
    # the offline sample's pages have neighbours (MeSH, keywords, title words)
    page.goto(site_url + "papers/40629355/")
    section = page.get_by_role("region", name="Similar papers in this knowledge base")
    section.wait_for()
    links = section.locator("a")
    assert 1 <= links.count() <= 5
    first = links.first
    page.wait_for_function(
        "() => [...document.querySelectorAll('.kb-similar a')].every("
        "a => !a.textContent.startsWith('PMID '))"
    )  # each named by its paper's title
    href = first.get_attribute("href")
    assert href and href.startswith("../") and href != "../40629355/"
    title = first.inner_text()
    first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == title
    # it comes after the page's own text: the last section of the article
    assert page.go_back() is not None
    section.wait_for()
    assert page.evaluate(
        "() => document.querySelector('article').lastElementChild.classList.contains('kb-similar')"
    )
    assert page.errors == []  # type: ignore[attr-defined]


def _listed(page) -> list[int]:
    """The PMIDs of the list's visible items, top to bottom."""
    return page.evaluate(
        "() => [...document.querySelectorAll('article li[data-f]')]"
        ".filter(li => li.offsetParent !== null)"
        ".map(li => +/papers\\/(\\d+)\\//.exec(li.querySelector('a').href)[1])"
    )


def _sort_keys(page, site_url: str) -> dict[int, tuple[int, int, float | None]]:
    table = page.evaluate(f"() => fetch('{site_url}assets/kb/sortkeys.json').then(r => r.json())")
    out, pmid = {}, 0
    for i, delta in enumerate(table["pmid"]):
        pmid += delta
        out[pmid] = (table["date"][i], table["cites"][i], table["rcr"][i])
    return out


def test_a_list_orders_by_citations_newest_relevance_and_back(page, site_url: str) -> None:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(site_url + "keywords/cancer/")
    page.wait_for_selector("select[data-kb-filter-key='order']")
    as_listed = _listed(page)
    n = len(as_listed)
    assert {39000001, 39000002} <= set(as_listed) and not [u for u in fetched if "sortkeys" in u]
    keys = _sort_keys(page, site_url)

    page.select_option("select[data-kb-filter-key='order']", "cites")
    page.wait_for_selector("ul.kb-list--sorted:visible")
    cited = _listed(page)
    assert cited[:2] == [39000001, 39000002]  # 31 citations, then 0; the rest unknown
    assert sorted(cited) == sorted(as_listed)
    assert f"{n - 2} no citation data" in page.locator(".kb-filter__note").inner_text()
    assert page.locator("article h2:visible", has_text="High").count() == 0  # one list now

    page.select_option("select[data-kb-filter-key='order']", "newest")
    newest = _listed(page)
    assert newest == sorted(as_listed, key=lambda p: (keys[p][0], p), reverse=True)

    rank = {"high": 0, "medium": 1, "low": 2}
    relevance = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('article li[data-f]')].map("
        "li => [+/papers\\/(\\d+)\\//.exec(li.querySelector('a').href)[1],"
        " li.dataset.f.split(' ')[0]]))"
    )
    page.select_option("select[data-kb-filter-key='order']", "relevance")
    by_relevance = _listed(page)
    expected = sorted(as_listed, key=lambda p: (-rank[relevance[str(p)]], keys[p][0], p))
    assert by_relevance == expected[::-1]

    # the filters still narrow the ordered list, and "As listed" puts every item back
    page.select_option("select[data-kb-filter-key='relevance']", "low")
    low = _listed(page)
    assert 0 < len(low) < n and all(relevance[str(p)] == "low" for p in low)
    page.select_option("select[data-kb-filter-key='relevance']", "")
    page.select_option("select[data-kb-filter-key='order']", "")
    assert _listed(page) == as_listed
    assert page.locator("ul.kb-list--sorted:visible").count() == 0
    assert len([u for u in fetched if "sortkeys" in u]) == 2  # once by the list, once here
    assert page.errors == []  # type: ignore[attr-defined]


def test_search_results_show_citations_and_rcr(page, site_url: str) -> None:
    search(page, site_url, UNIQUE_WORD)
    where = page.locator(".kb-search__where").first
    where.wait_for()
    page.wait_for_function(
        "() => document.querySelector('.kb-search__where').textContent.includes('RCR')"
    )
    assert where.inner_text() == "Journal of Browser Tests · 2024 · cited 31 · RCR 3.21"
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def paged_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample with lists of eight papers a page (their older pages are archive parts)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make system-deps installs it)")
    import generator.site.index

    folder = tmp_path_factory.mktemp("paged")
    config = load_config(write_kb(folder / "kb"))
    site_dir = folder / "site"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(generator.site.index, "PAGE_SIZE", 8)
        pipeline.demo(config, site_dir, force=True)
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_the_whole_of_a_long_list_comes_onto_one_page_to_be_ordered(
    page, paged_site_url: str
) -> None:
    page.goto(paged_site_url + "papers/")
    first_page = _listed(page)
    assert 8 <= len(first_page) < 30
    page.locator(".kb-filter__whole").click()
    note = page.locator(".kb-filter__note")
    note.filter(has_text="All 30 papers of the list are here").wait_for()
    everything = _listed(page)
    assert everything[: len(first_page)] == first_page and len(set(everything)) == 30
    assert page.locator(".kb-pager:visible").count() == 0
    assert "30 / 30 shown" in page.locator(".kb-filter__count").inner_text()
    keys = _sort_keys(page, paged_site_url)
    page.select_option("select[data-kb-filter-key='order']", "newest")
    assert _listed(page) == sorted(everything, key=lambda p: (keys[p][0], p), reverse=True)
    # a paper that came from an older page opens from here
    oldest = everything[-1]
    page.locator(f"article a[href$='/papers/{oldest}/']").click()
    page.wait_for_url(f"**/papers/{oldest}/")
    assert page.errors == []  # type: ignore[attr-defined]
