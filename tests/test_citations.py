"""Citation signals from iCite: the client against a loopback stand-in (batches, retries,
errors, missing ids), the refresh cadence, the state file, and a harvest that a failing
iCite leaves green."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from generator import pipeline
from generator.config.model import CitationsConfig
from generator.kb.citations import SIGNALS_FILE, due, load_signals, update_signals
from generator.kb.harvest import harvest
from generator.kb.state import load_run_records
from generator.pubmed.icite import IciteClient, IciteError, parse_pubs
from generator.site.index import write_index_pages
from tests.eutils_standin import EutilsStandin, minimal_article
from tests.icite_standin import Fault, IciteStandin, serve
from tests.test_harvest import TODAY, at, day, fast_client, make_config

CFG = CitationsConfig()


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(url: str, sleeps: Sleeps | None = None, **kw) -> IciteClient:  # type: ignore[no-untyped-def]
    return IciteClient(url, sleep=sleeps if sleeps is not None else Sleeps(), rate_per_s=1e6, **kw)


# ------------------------------------------------------------------------------ parsing


def test_parse_reads_icite_s_json_with_its_nulls_and_lists() -> None:
    body = json.dumps(
        {
            "data": [
                {
                    "pmid": 1,
                    "citation_count": 12,
                    "relative_citation_ratio": 2.5,
                    "nih_percentile": 88.1,
                    "cited_by_clin": [7, 8],
                    "references": [30, 4, 4, "x"],
                    "provisional": "Yes",
                },
                {"pmid": 2, "citation_count": 0, "relative_citation_ratio": None},
                {"pmid": "3"},  # not iCite's shape: skipped, not guessed
            ]
        }
    ).encode()
    found = parse_pubs(body)
    assert sorted(found) == ["1", "2"]
    one = found["1"]
    assert (one.citations, one.rcr, one.percentile, one.clinical) == (12, 2.5, 88.1, 2)
    assert one.provisional and one.references == ("4", "30")
    assert found["2"].rcr is None and found["2"].percentile is None
    for bad in (b"<html>busy</html>", b'{"meta": {}}', b'{"data": '):
        with pytest.raises(IciteError):
            parse_pubs(bad)


# ------------------------------------------------------------------------------ client


def test_batches_hold_at_most_the_batch_size_and_missing_ids_are_named() -> None:
    standin = IciteStandin()
    for p in range(1, 1201, 2):  # iCite knows the odd ones
        standin.add(p, citations=p)
    with serve(standin):
        batches = list(client(standin.url).fetch([str(p) for p in range(1, 1201)], 500))
    assert [len(r) for r in standin.requests] == [500, 500, 200]
    assert sum(len(b.found) for b in batches) == 600
    assert batches[0].missing[:3] == ["2", "4", "6"]
    assert batches[2].found["1199"].citations == 1199


def test_outages_are_retried_with_retry_after_and_backoff() -> None:
    standin = IciteStandin()
    standin.add(5, citations=3)
    standin.faults = [
        Fault(503, b"busy", {"Retry-After": "7"}),
        Fault(200, b"<html>maintenance</html>"),  # not JSON: asked again
        Fault(429, b"slow down"),
    ]
    sleeps = Sleeps()
    with serve(standin):
        c = client(standin.url, sleeps, rng=__import__("random").Random(1))
        (batch,) = c.fetch(["5"])
    assert batch.found["5"].citations == 3
    assert len(standin.requests) == 4 and c.retries == 3
    assert sleeps[0] == 7.0  # Retry-After honoured


def test_a_lasting_outage_gives_up_within_the_budget_and_a_400_at_once() -> None:
    standin = IciteStandin()
    standin.faults = [Fault(500) for _ in range(50)]
    with serve(standin):
        c = client(standin.url, max_retries=3, backoff_base=0.0)
        with pytest.raises(IciteError, match="gave up after 4 attempts"):
            list(c.fetch(["1"]))
        standin.faults = [Fault(400, b'{"error": "bad request"}')]
        with pytest.raises(IciteError, match="HTTP 400"):
            list(client(standin.url).fetch(["1"]))
    assert len(standin.requests) == 5


# ------------------------------------------------------------------------------ cadence


def test_due_asks_new_papers_first_then_the_stalest_by_age_of_the_paper() -> None:
    today = dt.date(2026, 3, 1)
    metas = {
        "1": {"year": 2025},  # recent, taken 30 days ago: due (28)
        "2": {"year": 2025},  # recent, taken 10 days ago: not due
        "3": {"year": 2010},  # old, taken 100 days ago: not due (182)
        "4": {"year": 2010},  # old, taken 200 days ago: due
        "5": {"year": 2025},  # never asked
    }
    ago = lambda n: (today - dt.timedelta(days=n)).isoformat()  # noqa: E731
    signals = {
        "1": {"taken": ago(30)},
        "2": {"taken": ago(10)},
        "3": {"taken": ago(100)},
        "4": {"taken": ago(200)},
    }
    assert due(metas, signals, today, CFG) == ["5", "4", "1"]


# ------------------------------------------------------------------------------ state


def test_signals_are_kept_a_line_per_paper_and_a_failure_keeps_the_last_values(
    tmp_path: Path,
) -> None:
    standin = IciteStandin()
    standin.add(1, citations=4, rcr=1.5, references=[2])
    standin.add(2, citations=9, rcr=None)
    metas = {"1": {"year": 2025}, "2": {"year": 2025}, "3": {"year": 2025}}
    with serve(standin):
        run = update_signals(tmp_path, metas, client(standin.url), dt.date(2026, 3, 1), CFG)
    assert (run.asked, run.updated, run.unknown, run.error) == (3, 2, ["3"], None)
    lines = (tmp_path / SIGNALS_FILE).read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["pmid"] for x in lines] == ["1", "2", "3"]
    kept = load_signals(tmp_path)
    assert kept["1"]["citations"] == 4 and kept["1"]["references"] == ["2"]
    assert kept["3"]["unknown"] is True

    # a month later iCite is down: nothing lost, the run says why
    standin.faults = [Fault(500) for _ in range(50)]
    with serve(standin):
        later = dt.date(2026, 4, 15)
        c = client(standin.url, max_retries=1, backoff_base=0.0)
        run = update_signals(tmp_path, metas, c, later, CFG)
    assert run.updated == 0 and "gave up" in (run.error or "")
    assert load_signals(tmp_path)["1"]["citations"] == 4

    # a paper removed from the knowledge base leaves the file
    with serve(IciteStandin()) as empty:
        update_signals(tmp_path, {"1": {"year": 2025}}, client(empty.url), later, CFG)
    assert sorted(load_signals(tmp_path)) == ["1"]


# ------------------------------------------------------------------------------ harvest


def _harvest(tmp_path: Path, icite: IciteStandin):  # type: ignore[no-untyped-def]
    standin = EutilsStandin(
        {"t": [("700", day("2026-02-10")), ("701", day("2026-02-11"))]},
        make_record=minimal_article,
        rate_limit=False,
    )
    config = make_config(tmp_path, [{"name": "t", "query": "t"}])
    with standin.serve() as url, serve(icite):
        ic = client(icite.url, max_retries=2, backoff_base=0.0)
        step = pipeline.citation_step(config, ic)
        run = harvest(config, fast_client(url), at(TODAY), signals=step)
    return config, run


def test_a_harvest_fills_the_signals_of_its_papers(tmp_path: Path) -> None:
    icite = IciteStandin()
    icite.add(700, citations=31, rcr=3.2, percentile=91.0, clinical=[1], references=[701])
    icite.add(701, citations=2, rcr=None)
    config, run = _harvest(tmp_path, icite)
    assert run.ok and run.citations["updated"] == 2 and "error" not in run.citations
    assert icite.requests == [["700", "701"]]  # one request for the run's papers
    signals = load_signals(config.state_dir)
    assert signals["700"]["rcr"] == 3.2 and signals["700"]["references"] == ["701"]
    record = load_run_records(config.state_dir)[-1]
    assert record["citations"]["requests"] == 1
    write_index_pages(config.site_src, config)
    status = (config.site_src / "status.md").read_text(encoding="utf-8")
    assert "Citation signals (NIH iCite)" in status and "2 of 2 papers updated" in status


def test_a_failing_icite_leaves_the_harvest_green_and_says_so(tmp_path: Path) -> None:
    icite = IciteStandin()
    icite.faults = [Fault(502, b"Bad Gateway") for _ in range(10)]
    config, run = _harvest(tmp_path, icite)
    assert run.ok  # the pages are harvested all the same
    assert sorted(p.stem for p in (config.site_src / "papers").glob("*.md")) == ["700", "701"]
    assert "HTTP 502" in run.citations["error"]
    assert any(w.startswith("citation signals:") for w in run.warnings)
    write_index_pages(config.site_src, config)
    status = (config.site_src / "status.md").read_text(encoding="utf-8")
    assert "iCite failed; the last values are kept" in status and "HTTP 502" in status


def test_no_test_and_no_offline_run_reaches_icite(tmp_path: Path) -> None:
    config = make_config(tmp_path, [{"name": "t", "query": "t"}])
    assert pipeline.citation_step(config) is None  # KB_CITATIONS=off (tests/conftest.py)


def test_the_knowledge_base_s_citation_graph_comes_from_references() -> None:
    from generator.kb.citations import citation_graph

    signals = {
        "10": {"references": [20, 30, 999, 10]},  # 999 is not here; a self-citation is dropped
        "20": {"references": [30]},
        "30": {},
    }
    cites, cited_by = citation_graph(signals, {"10", "20", "30", "40"})
    assert cites == {"10": ["20", "30"], "20": ["30"]}
    assert cited_by == {"20": ["10"], "30": ["10", "20"]}


def test_landing_and_topic_pages_list_the_papers_most_cited_here(tmp_path: Path) -> None:
    icite = IciteStandin()
    icite.add(700, citations=5, references=[701])  # 700 cites 701
    icite.add(701, citations=40)
    config, run = _harvest(tmp_path, icite)
    assert run.citations["updated"] == 2
    write_index_pages(config.site_src, config)
    landing = (config.site_src / "index.md").read_text(encoding="utf-8")
    assert "## Most cited in this knowledge base" in landing
    section = landing.split("## Most cited in this knowledge base")[1].split("## ")[0]
    assert "(papers/701.md)" in section and "cited by 1 here" in section
    assert "(papers/700.md)" not in section  # cited by no paper here
    topic = (config.site_src / "keywords" / "t.md").read_text(encoding="utf-8")
    assert "(../papers/701.md)" in topic.split("Most cited in this knowledge base")[1]


def test_the_landing_page_shows_rising_papers_by_rcr(tmp_path: Path) -> None:
    icite = IciteStandin()
    icite.add(700, citations=5, rcr=0.8)
    icite.add(701, citations=9, rcr=4.25)
    config, _ = _harvest(tmp_path, icite)
    write_index_pages(config.site_src, config)
    landing = (config.site_src / "index.md").read_text(encoding="utf-8")
    section = landing.split("## Rising papers")[1].split("\n## ")[0]
    lines = [x for x in section.splitlines() if x.startswith("- ")]
    assert "(papers/701.md)" in lines[0] and lines[0].endswith("RCR 4.25")
    assert "(papers/700.md)" in lines[1] and lines[1].endswith("RCR 0.80")
