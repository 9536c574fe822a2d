"""site.language: ko applies to the theme and to every word the generator writes."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from generator import pipeline
from generator.config.load import load_config
from generator.utils.i18n import LABELS
from tests.conftest import write_kb


@pytest.fixture(scope="module")
def korean_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ko")
    config = load_config(write_kb(folder / "kb", edit=lambda d: d["site"].update(language="ko")))
    _, build = pipeline.demo(config, folder / "site")
    return build.site_dir


def test_theme_language_and_navigation_are_korean(korean_site: Path) -> None:
    root = lxml.html.fromstring((korean_site / "index.html").read_bytes())
    assert root.get("lang") == "ko"
    tabs = [t.strip() for t in root.xpath("//nav[contains(@class,'md-tabs')]//a/text()")]
    assert {"홈", "주제", "MeSH 용어", "모든 논문", "둘러보기"} <= set(tabs)
    assert "상태" not in tabs  # the status page sits under "browse", not in a tab
    assert root.xpath("//button[contains(@class,'kb-search__trigger')]/@aria-label") == ["검색"]


def test_generated_words_are_korean(korean_site: Path) -> None:
    ko, en = LABELS["ko"], LABELS["en"]
    paper = lxml.html.fromstring((korean_site / "papers" / "40629355" / "index.html").read_bytes())
    headings = [h.text_content().strip().rstrip("¶") for h in paper.xpath("//article//h2")]
    # ("Notes" shows only over notes the reader wrote: the demo has none)
    for key in ("summary", "paper_information", "abstract", "collection", "metadata"):
        assert ko[key] in headings, key
        assert en[key] not in headings, key
    text = paper.text_content()
    assert ko["abstract_offline"] in text and en["abstract_offline"] not in text
    landing = lxml.html.fromstring((korean_site / "index.html").read_bytes()).text_content()
    assert ko["counts"] in landing and ko["newest"] in landing
    status = (korean_site / "status" / "index.html").read_text(encoding="utf-8")
    assert ko["status_never"] in status
