"""The opt-in citation rule: points for a paper's RCR, at ingest and when signals change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import pipeline
from generator.config.load import parse_config
from generator.kb.harvest import harvest
from generator.kb.ingest import plan_page
from generator.kb.pages import split_page
from generator.kb.rescore import rescore_pages, rescore_text
from generator.kb.score import Score, citation_reason, with_citations
from generator.utils.errors import ConfigError
from generator.utils.i18n import labels
from tests.eutils_standin import EutilsStandin, minimal_article
from tests.icite_standin import IciteStandin, serve
from tests.test_citations import client
from tests.test_harvest import TODAY, at, day, fast_client
from tests.test_pages import OPTIONS, full_paper

LAB = labels("en")


def config(tmp_path: Path, weight: float | None = 0.2, **topic: object):  # type: ignore[no-untyped-def]
    scoring = {"weights": {"citations": weight}} if weight is not None else {}
    t = {"name": "t", "query": "t", **topic}
    data = {"site": {"title": "KB"}, "topics": [t], "scoring": scoring}
    return parse_config(data, tmp_path, source="test")


def test_the_rule_gives_a_quarter_of_the_weight_per_half_rcr_up_to_two(tmp_path: Path) -> None:
    scoring = config(tmp_path).scoring
    points = {
        rcr: (r.points if (r := citation_reason(rcr, scoring)) else 0.0)
        for rcr in (None, 0.0, 0.49, 0.5, 1.0, 1.49, 1.99, 2.0, 14.0)
    }
    assert points == {
        None: 0.0, 0.0: 0.0, 0.49: 0.0, 0.5: 0.05, 1.0: 0.1, 1.49: 0.1, 1.99: 0.15,
        2.0: 0.2, 14.0: 0.2,
    }  # fmt: skip
    assert citation_reason(3.0, scoring).detail == "≥ 2"  # type: ignore[union-attr]
    assert citation_reason(3.0, config(tmp_path, None).scoring) is None  # off by default


def test_the_rule_respects_caps_exclusions_and_the_clip(tmp_path: Path) -> None:
    scoring = config(tmp_path).scoring
    plain = Score(0.5, "medium", rules=0.5)
    assert with_citations(plain, 2.0, scoring).value == 0.7
    assert with_citations(plain, 2.0, scoring).relevance == "high"
    capped = Score(0.5, "low", rules=0.5, capped=True)
    assert with_citations(capped, 2.0, scoring).relevance == "low"
    assert with_citations(Score(0.9, "high", rules=1.2), 2.0, scoring).value == 1.0
    excluded = Score(0.0, "low", (pipeline_reason("excluded"),), capped=True)
    assert with_citations(excluded, 9.0, scoring).citations == 0.0


def pipeline_reason(rule: str):  # type: ignore[no-untyped-def]
    from generator.kb.score import Reason

    return Reason(rule, "x")


def test_a_weight_must_be_a_number(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"scoring\.weights\.citations"):
        config(tmp_path, "lots")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "topic",
    [
        {"priority_keywords": ["exosomes"]},  # rules' points
        {},  # no rule matched: "Why" is the no-rules sentence
        {"required_keywords": ["absent"], "priority_keywords": ["exosomes"]},  # capped
        {"exclude_keywords": ["exosomes"]},  # excluded: never points
    ],
)
def test_rescoring_a_page_gives_what_ingest_writes_with_those_signals(
    tmp_path: Path, topic: dict
) -> None:
    cfg = config(tmp_path, **topic)
    paper = full_paper()

    def page(rcr: float | None, c=cfg) -> str:  # type: ignore[no-untyped-def]
        return plan_page(paper, None, ["t"], c, "2026-03-01", OPTIONS, rcr=rcr)

    none, some, full = page(None), page(1.0), page(5.0)
    for start in (none, some, full):
        for rcr, want in ((None, none), (1.0, some), (1.2, some), (5.0, full)):
            assert rescore_text(start, rcr, cfg.scoring, LAB) == want
    # a page written while the rule was off is brought to the rule's page
    off = page(None, config(tmp_path, None, **topic))
    assert "score_rules" not in split_page(off)[0]
    assert rescore_text(off, 5.0, cfg.scoring, LAB) == full
    meta, body = split_page(full)
    if "exclude_keywords" not in topic:
        assert meta["score_citations"] == 0.2
        assert "; Relative Citation Ratio (NIH iCite) “≥ 2” +0.20" in body or (
            "- **Why**: t: Relative Citation Ratio (NIH iCite) “≥ 2” +0.20" in body
        )
    else:
        assert meta["score_citations"] == 0.0 and meta["relevance"] == "low"


def test_a_harvest_scores_pages_again_when_their_citations_move(tmp_path: Path) -> None:
    standin = EutilsStandin(
        {"t": [("700", day("2026-02-10")), ("701", day("2026-02-11"))]},
        make_record=minimal_article,
        rate_limit=False,
    )
    cfg = config(tmp_path)
    icite = IciteStandin()
    icite.add(700, citations=31, rcr=3.2)
    icite.add(701, citations=0, rcr=0.1)
    with standin.serve() as url, serve(icite):
        step = pipeline.citation_step(cfg, client(icite.url, max_retries=0))
        run = harvest(cfg, fast_client(url), at(TODAY), signals=step)
    # both were written before their signals came; 701's RCR earns nothing: not rewritten
    assert run.ok and run.citations["rescored"] == 1
    meta, body = split_page((cfg.site_src / "papers/700.md").read_text("utf-8"))
    assert meta["score_citations"] == 0.2 and meta["score"] == 0.2
    assert "Relative Citation Ratio (NIH iCite) “≥ 2” +0.20" in body
    low = split_page((cfg.site_src / "papers/701.md").read_text("utf-8"))[0]
    assert low["score_citations"] == 0.0
    # nothing moved: nothing is read or written again
    before = {p.name: p.stat().st_mtime_ns for p in (cfg.site_src / "papers").glob("*.md")}
    signals = {"700": {"rcr": 3.5}, "701": {"rcr": 0.2}}
    from generator.kb.catalog import paper_metas

    assert rescore_pages(cfg, paper_metas(cfg.site_src), signals) == []
    assert before == {p.name: p.stat().st_mtime_ns for p in (cfg.site_src / "papers").glob("*.md")}
    # the paper's RCR halves: its page loses points
    assert rescore_pages(cfg, paper_metas(cfg.site_src), {"700": {"rcr": 1.0}}) == ["700"]
    assert split_page((cfg.site_src / "papers/700.md").read_text("utf-8"))[0]["score"] == 0.1
    assert json.dumps(run.citations)  # the run record keeps it
