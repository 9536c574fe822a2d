"""Link integrity of the built site: every internal link and anchor resolves."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import cli
from generator.site.linkcheck import check_site, resolve
from tests.conftest import DemoSite


@pytest.mark.parametrize(
    ("page", "href", "target"),
    [
        ("papers/1/index.html", "../../keywords/cancer/", ("keywords/cancer/index.html", "")),
        ("papers/1/index.html", "cite.bib", ("papers/1/cite.bib", "")),
        ("papers/1/index.html", "#abstract", ("papers/1/index.html", "abstract")),
        ("papers/1/index.html", "./", ("papers/1/index.html", "")),
        ("papers/1/index.html", "/mesh/#letter-a", ("mesh/index.html", "letter-a")),
        ("index.html", ".", ("index.html", "")),
        ("index.html", "/", ("index.html", "")),
        ("index.html", "assets/x.css?v=3", ("assets/x.css", "")),
        ("index.html", "a%20b/", ("a b/index.html", "")),
        ("index.html", "../outside.html", ("../outside.html", "")),
    ],
)
def test_resolve(page: str, href: str, target: tuple[str, str]):
    assert resolve(page, href) == target


@pytest.mark.parametrize(
    "href",
    ["https://pubmed.ncbi.nlm.nih.gov/1/", "http://x", "mailto:a@b.org", "javascript:void(0)",
     "data:image/png;base64,AAAA", "//cdn.example.org/x.js"],
)  # fmt: skip
def test_external_links_are_not_checked(href: str):
    assert resolve("index.html", href) is None


def test_the_demo_site_has_no_broken_link(demo_site: DemoSite):
    report = check_site(demo_site.site_dir)
    assert report.pages > 100
    assert report.links > 1000
    assert report.broken == [], "\n".join(str(b) for b in report.broken[:20])


@pytest.fixture
def broken_site(demo_site: DemoSite, tmp_path: Path) -> Path:
    """A copy of the demo site with three links broken on purpose."""
    site = tmp_path / "site"
    shutil.copytree(demo_site.site_dir, site, ignore=shutil.ignore_patterns("pagefind"))
    page = site / "papers" / "40629355" / "index.html"
    html = page.read_text("utf-8")
    assert (page.parent / "cite.json").is_file()
    bad = '<a href="cite.rsi">x</a><a href="../../mesh/#no-such-letter">x</a></article>'
    html = html.replace("</article>", bad, 1)
    page.write_text(html, "utf-8")
    (site / "keywords" / "cancer" / "feed.xml").unlink()
    return site


def test_broken_links_are_reported_with_their_page(broken_site: Path):
    report = check_site(broken_site)
    found = {(b.page, b.href) for b in report.broken}
    assert ("papers/40629355/index.html", "cite.rsi") in found
    assert ("papers/40629355/index.html", "../../mesh/#no-such-letter") in found
    assert ("keywords/cancer/index.html", "feed.xml") in found
    reasons = {b.href: b.reason for b in report.broken}
    assert reasons["cite.rsi"] == "no file papers/40629355/cite.rsi"
    assert reasons["../../mesh/#no-such-letter"] == "no id 'no-such-letter' in mesh/index.html"


def test_cli_check_links(broken_site: Path, demo_site: DemoSite, capsys: pytest.CaptureFixture):
    config = ["--config", str(demo_site.config.path)]
    assert cli.run(["check-links", *config, "--site-dir", str(demo_site.site_dir)]) == 0
    assert "0 broken" in capsys.readouterr().out
    assert cli.run(["check-links", *config, "--site-dir", str(broken_site)]) == 2
    err = capsys.readouterr().err
    assert "papers/40629355/index.html: cite.rsi (no file papers/40629355/cite.rsi)" in err
    assert "3 broken" in err


def test_cli_check_links_without_a_site(tmp_path: Path, demo_site: DemoSite, capsys):
    code = cli.run(
        ["check-links", "--config", str(demo_site.config.path), "--site-dir", str(tmp_path / "x")]
    )
    assert code == 2
    assert "no built site" in capsys.readouterr().err
