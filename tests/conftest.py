"""Shared fixtures: isolated knowledge bases in tmp, one shared demo build, Markdown rendering.

No test writes into the repository's own ``site_src/`` or ``site/``: every knowledge base
is a copy of ``kb.yml`` and ``mkdocs.yml`` (which names the installed ``pubmed-kb``
plugin) in a temporary folder.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown
import pytest
import yaml

from generator import pipeline
from generator.config.load import load_config
from generator.config.model import Config
from generator.kb.ingest import IngestReport
from generator.site.build import SiteBuild
from generator.site.search_index import SearchReport
from generator.utils.clock import NOW_ENV

REPO = Path(__file__).resolve().parents[1]
SAMPLE_XML = REPO / "generator" / "sample" / "pubmed_sample.xml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# "Now" for every test, in this process and the ones it starts (the CLI, publish.sh):
# a test means the same thing on any day. Tests that need another day set their own.
TEST_NOW = "2026-03-01T12:00:00+00:00"


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NOW_ENV, TEST_NOW)
    monkeypatch.delenv("KB_SITE_URL", raising=False)  # a test that wants it sets it
    # No test reaches NIH's iCite: tests of the citation signals give the harvest a
    # client of the loopback stand-in (tests/icite_standin.py).
    monkeypatch.setenv("KB_CITATIONS", "off")
    monkeypatch.delenv("ICITE_URL", raising=False)


def write_kb(
    folder: Path,
    kb_text: str | None = None,
    edit: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """Write ``kb.yml`` (the shipped one, ``kb_text``, or the shipped one after ``edit``)
    and the shipped ``mkdocs.yml`` (it names the installed ``pubmed-kb`` plugin); return
    the ``kb.yml`` path."""
    folder.mkdir(parents=True, exist_ok=True)
    if kb_text is None:
        kb_text = (REPO / "kb.yml").read_text(encoding="utf-8")
    if edit is not None:
        data = yaml.safe_load(kb_text)
        edit(data)
        kb_text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    (folder / "kb.yml").write_text(kb_text, encoding="utf-8")
    mk = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert "  - pubmed-kb\n" in mk, "mkdocs.yml no longer names the pubmed-kb plugin"
    (folder / "mkdocs.yml").write_text(mk, encoding="utf-8")
    return folder / "kb.yml"


@pytest.fixture
def make_kb(tmp_path: Path) -> Callable[..., Config]:
    """Factory: ``make_kb(kb_text=None, edit=None, name="kb")`` → a loaded :class:`Config`
    for a fresh knowledge base in ``tmp_path / name`` (site_src and site inside it)."""

    def make(
        kb_text: str | None = None,
        edit: Callable[[dict[str, Any]], None] | None = None,
        name: str = "kb",
    ) -> Config:
        return load_config(write_kb(tmp_path / name, kb_text, edit))

    return make


@pytest.fixture
def kb(make_kb: Callable[..., Config]) -> Config:
    """A fresh knowledge base with the shipped kb.yml and nothing in it yet."""
    return make_kb()


def _no_mkdocs(
    config: Config,
    site_dir: Path | None = None,
    strict: bool = True,
    papers: Any = None,
    signals: Any = None,
    page_keys: Any = None,
) -> SiteBuild:
    out = site_dir or config.site_src.parent / "site"
    return SiteBuild(out, 0.0, None, SearchReport(0, 0, 0, 0), 0.0, 0.0)


@pytest.fixture(scope="session")
def _sample_site_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    config = load_config(write_kb(folder / "kb"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "build_site", _no_mkdocs)
        pipeline.demo(config)
    return config.site_src


@pytest.fixture
def sample_kb(kb: Config, _sample_site_src: Path) -> Config:
    """A fresh knowledge base holding the demo's site_src (sample pages + grouping pages),
    made without running MkDocs; each test gets its own copy to change."""
    shutil.copytree(_sample_site_src, kb.site_src)
    return kb


@dataclass(frozen=True)
class DemoSite:
    config: Config
    site_src: Path
    site_dir: Path
    report: IngestReport


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    """``pipeline.demo`` for the shipped kb.yml, built once by a real ``mkdocs build --strict``.

    Read-only: tests must not change its files.
    """
    folder = tmp_path_factory.mktemp("demo")
    config = load_config(write_kb(folder / "kb"))
    site_dir = folder / "site"
    report, build = pipeline.demo(config, site_dir)
    assert build.site_dir == site_dir
    return DemoSite(config, config.site_src, site_dir, report)


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` as {posix relative path: bytes}."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def mtimes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file()
    }


# --- Markdown, rendered exactly as MkDocs would --------------------------------------


def _mkdocs_extensions() -> tuple[list[str], dict[str, Any]]:
    data = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    names, configs = [], {}
    for item in data["markdown_extensions"]:
        if isinstance(item, dict):
            ((name, options),) = item.items()
            names.append(name)
            configs[name] = options or {}
        else:
            names.append(item)
    return names, configs


@pytest.fixture(scope="session")
def render_md() -> Callable[[str], str]:
    """Markdown → HTML through Python-Markdown with mkdocs.yml's extensions."""
    names, configs = _mkdocs_extensions()
    assert {"admonition", "attr_list", "md_in_html", "tables", "toc"} <= set(names)

    def render(text: str) -> str:
        md = markdown.Markdown(extensions=names, extension_configs=configs)
        return md.convert(text)

    return render


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@dataclass(frozen=True)
class Html:
    tags: list[tuple[str, dict[str, str | None]]]
    text: str

    def tag_names(self) -> list[str]:
        return [t for t, _ in self.tags]

    def hrefs(self) -> list[str]:
        return [a.get("href") or "" for t, a in self.tags if t == "a"]


def parse_html(source: str) -> Html:
    """Start tags (with attributes) and the visible text (entities decoded) of ``source``."""
    p = _Collect()
    p.feed(source)
    p.close()
    return Html(p.tags, "".join(p.text))


MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
HTML_LINK = re.compile(r'href="([^"]+)"')


def md_links(text: str) -> list[str]:
    """The targets of the links in generated Markdown: inline Markdown links and the
    ``href``s of the lists written as HTML, in order."""
    found = [(m.start(), m.group(1)) for m in MD_LINK.finditer(text)]
    found += [(m.start(), m.group(1)) for m in HTML_LINK.finditer(text)]
    return [html.unescape(link) for _, link in sorted(found)]


# --- opt-in tests against the real NCBI servers ---------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-network",
        action="store_true",
        default=False,
        help="also run the tests marked 'network' (they reach the real NCBI E-utilities)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-network"):
        return
    skip = pytest.mark.skip(reason="reaches the real NCBI servers: run with --run-network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)
