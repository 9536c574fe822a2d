"""axe-core over every page type of the built demo, light and dark, desktop and phone, and
with the search dialog open; and the paper page's citation line on a phone's first screen.

axe-core is what browsers' accessibility tooling runs (Lighthouse, Deque's extensions);
``axe-playwright-python`` bundles it and runs it in the page through Playwright.
"""

from __future__ import annotations

import pytest

from tests.test_browser import browser, site_url  # noqa: F401  (module-scoped fixtures)

pytestmark = pytest.mark.browser

# One page of each type the site has (the extra papers of test_browser's site included).
PAGE_TYPES = {
    "landing": "",
    "topics index": "keywords/",
    "topic": "keywords/cancer/",
    "MeSH index": "mesh/",
    "MeSH letter": "mesh/index/e/",
    "MeSH term": "mesh/exosomes/",
    "all papers": "papers/",
    "paper": "papers/40629355/",
    "paper with many authors": "papers/40623177/",
    "browse": "browse/",
    "types index": "types/",
    "years index": "years/",
    "year": "years/2025/",
    "journals index": "journals/",
    "retractions": "retracted/",
    "status": "status/",
}
SCREENS = {"desktop": (1280, 900), "phone": (390, 844)}
SERIOUS = ("serious", "critical")


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    found = []
    for v in result.response["violations"]:
        if v.get("impact") in SERIOUS:
            targets = [", ".join(map(str, n.get("target", []))) for n in v["nodes"][:3]]
            found.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {targets}")
    return found


def open_page(browser, url: str, screen: str, scheme: str):  # noqa: F811
    width, height = SCREENS[screen]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=screen == "phone",
        color_scheme="dark" if scheme == "slate" else "light",
    )
    page = context.new_page()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    # the scheme Material applies (its palette follows prefers-color-scheme on first visit)
    page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
    return context, page


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_no_serious_axe_violation_on_any_page_type(
    browser,  # noqa: F811
    site_url: str,  # noqa: F811
    scheme: str,
    screen: str,
) -> None:
    problems = {}
    for name, path in PAGE_TYPES.items():
        context, page = open_page(browser, site_url + path, screen, scheme)
        try:
            found = violations(page)
        finally:
            context.close()
        if found:
            problems[name] = found
    assert problems == {}


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_no_serious_axe_violation_with_the_search_dialog_open(
    browser,  # noqa: F811
    site_url: str,  # noqa: F811
    scheme: str,
) -> None:
    context, page = open_page(browser, site_url + "keywords/cancer/", "desktop", scheme)
    try:
        page.keyboard.press("/")
        page.fill("#kb-search-input", "exosomes")
        page.wait_for_selector(".kb-search__title", timeout=15_000)
        page.locator(".kb-search__filters summary").click()
        assert violations(page) == []
    finally:
        context.close()


def test_the_citation_line_is_on_a_phones_first_screen(browser, site_url: str) -> None:  # noqa: F811
    # The demo's paper with the most authors: its journal, year and DOI come right under
    # the title, not two screens down after the author list.
    context, page = open_page(browser, site_url + "papers/40623177/", "phone", "default")
    try:
        line = page.locator("p.kb-citation")
        box = line.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844
        text = line.inner_text()
        assert "et al." in text and "PMID" in text
        assert page.locator("p.kb-citation em").inner_text()  # the journal's abbreviation
    finally:
        context.close()


def test_the_landing_title_names_the_site_once(browser, site_url: str) -> None:  # noqa: F811
    context, page = open_page(browser, site_url, "desktop", "default")
    try:
        title = page.title()
        heading = page.locator("h1").first.inner_text().strip().rstrip("¶")
        assert title == heading  # the site's title, not "title - title"
    finally:
        context.close()
