"""The harvester end to end against a real local E-utilities stand-in on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from generator import cli
from generator.config.load import parse_config
from generator.config.model import Config
from generator.kb.harvest import harvest
from generator.kb.harvest_plan import Window, needs_refresh, plan_fetch, topic_window
from generator.kb.pages import read_page_state, split_page
from generator.kb.state import TopicState, load_run_records, load_state, query_sha
from generator.pubmed.eutils import EutilsClient, RateLimiter
from generator.utils.clock import Clock, fixed_clock
from tests.eutils_standin import (
    ESEARCH_HEAD,
    EutilsStandin,
    Fault,
    minimal_article,
    synthetic_entries,
)

TODAY = dt.date(2026, 3, 1)
SECRET = "s3cr3t-api-key-0123456789"


def at(day: dt.date) -> Clock:
    """The clock of a run on ``day`` (noon UTC)."""
    return fixed_clock(dt.datetime.combine(day, dt.time(12)))


def make_config(tmp_path: Path, topics: list[dict], **harvest: object) -> Config:
    data = {
        "site": {"title": "Test KB"},
        "topics": topics,
        "harvest": {"since": "2026-01-01", "batch_size": 50, **harvest},
    }
    return parse_config(data, tmp_path, source="test")


class FakeTime:
    """A clock that only moves when something sleeps: rate limits cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def fast_client(base_url: str, api_key: str | None = None) -> EutilsClient:
    t = FakeTime()
    return EutilsClient(
        base_url,
        email="lab@example.org",
        api_key=api_key,
        limiter=RateLimiter(10.0, t.clock, t.sleep),
        clock=t.clock,
        sleep=t.sleep,
        timeout=5,
    )


def papers_on_disk(config: Config) -> dict[str, dict]:
    out = {}
    for path in sorted((config.site_src / "papers").glob("*.md")):
        out[path.stem] = split_page(path.read_text(encoding="utf-8"), str(path))[0]
    return out


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


OVERLAP = {
    "exosomes": [
        ("100", day("2026-01-05")),
        ("101", day("2026-01-10")),
        ("102", day("2026-02-01")),
    ],
    "vesicles": [
        ("101", day("2026-01-10")),
        ("102", day("2026-02-01")),
        ("103", day("2026-02-10")),
    ],
    "genomics": [("102", day("2026-02-01")), ("104", day("2026-02-20"))],
}
TOPICS = [{"name": k, "query": k} for k in OVERLAP]


def test_overlapping_topics_fetch_each_pmid_once_and_never_get_429(tmp_path: Path) -> None:
    standin = EutilsStandin(OVERLAP, make_record=minimal_article)
    config = make_config(tmp_path, TOPICS)
    # Real time and the real limiter against a stand-in that enforces NCBI's 10/s.
    with (
        standin.serve() as url,
        EutilsClient(url, email="lab@example.org", api_key=SECRET) as client,
    ):
        run = harvest(config, client, at(TODAY))
    assert run.ok and standin.rejected == 0
    fetched = standin.fetched_ids()
    assert sorted(fetched) == ["100", "101", "102", "103", "104"]  # each exactly once
    pages = papers_on_disk(config)
    assert sorted(pages) == ["100", "101", "102", "103", "104"]
    assert pages["102"]["search_keywords"] == ["exosomes", "genomics", "vesicles"]
    assert pages["100"]["collected"] == TODAY.isoformat()
    by_name = {t.name: t for t in run.topics}
    assert (by_name["exosomes"].hits, by_name["exosomes"].new) == (3, 3)
    assert by_name["genomics"].window == Window(day("2026-01-01"), TODAY, "crdt")
    # every request named the tool and the contact address
    assert all(r.params.get("tool") and r.params.get("email") for r in standin.requests)


def test_second_run_refinds_papers_in_the_overlap_without_fetching_or_rewriting(
    tmp_path: Path,
) -> None:
    # 105 and 106 entered PubMed the day before and the day of the first run: the second
    # run's window restarts 3 days before that run, so it finds both again.
    searches = {k: list(v) for k, v in OVERLAP.items()}
    searches["exosomes"] += [("105", TODAY - dt.timedelta(days=1)), ("106", TODAY)]
    standin = EutilsStandin(searches, make_record=minimal_article, rate_limit=False)
    config = make_config(tmp_path, TOPICS)
    with standin.serve() as url:
        harvest(config, fast_client(url), at(TODAY))
        before = snapshot(config.site_src)
        standin.reset_log()
        run = harvest(config, fast_client(url), at(TODAY + dt.timedelta(days=7)))
    assert run.ok
    exosomes = run.topics[0]
    assert exosomes.window.start == TODAY - dt.timedelta(days=3)
    assert sorted(exosomes.ids) == ["105", "106"]  # found again, inside the overlap
    # One search per topic, and one for records modified since the last run: 106 was
    # modified (created) on the last run's day, perhaps after it was fetched, so it is
    # fetched again, and found unchanged.
    assert standin.counts["esearch"] == 2 * len(TOPICS)
    assert standin.fetched_ids() == ["106"]
    assert run.fetched == 1 and (exosomes.new, exosomes.updated) == (0, 0) and run.revised == []
    assert snapshot(config.site_src) == before  # same bytes, same mtimes: nothing rewritten


def test_new_topic_match_accumulates_keywords_and_keeps_collected_and_notes(
    tmp_path: Path,
) -> None:
    standin = EutilsStandin({"a": [("200", day("2026-01-05"))]}, make_record=minimal_article)
    standin.rate_limit = False
    config = make_config(tmp_path, [{"name": "a", "query": "a"}])
    with standin.serve() as url:
        harvest(config, fast_client(url), at(TODAY))
        page = config.site_src / "papers" / "200.md"
        page.write_text(page.read_text(encoding="utf-8") + "My own note.\n", encoding="utf-8")
        standin.add_search("b", [("200", day("2026-01-05"))])
        config2 = make_config(tmp_path, [{"name": "a", "query": "a"}, {"name": "b", "query": "b"}])
        later = TODAY + dt.timedelta(days=30)
        harvest(config2, fast_client(url), at(later))
    state = read_page_state(page.read_text(encoding="utf-8"))
    assert state.search_keywords == ("a", "b")
    assert state.collected == TODAY.isoformat()
    assert state.updated == later.isoformat()
    assert state.notes == "My own note."


def test_topic_with_more_than_10000_hits_is_harvested_completely(tmp_path: Path) -> None:
    entries = synthetic_entries(10_050, day("2026-01-01"), day("2026-02-28"))
    standin = EutilsStandin({"big": entries}, make_record=minimal_article, rate_limit=False)
    config = make_config(tmp_path, [{"name": "big", "query": "big"}], batch_size=2000)
    with standin.serve() as url:
        run = harvest(config, fast_client(url), at(TODAY))
    assert run.ok
    assert run.topics[0].hits == 10_050
    assert len(list((config.site_src / "papers").glob("*.md"))) == 10_050
    assert len(standin.fetched_ids()) == 10_050 == len(set(standin.fetched_ids()))


def test_failing_topic_keeps_the_others_work_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin = EutilsStandin(OVERLAP, make_record=minimal_article, rate_limit=False)
    standin.add_fault("esearch", Fault.http(400))  # the first topic's search fails for good
    config_path = tmp_path / "kb.yml"
    config_path.write_text(
        json.dumps(
            {
                "site": {"title": "T"},
                "topics": TOPICS,
                "harvest": {"since": "2026-01-01"},
            }
        ),
        encoding="utf-8",
    )
    with standin.serve() as url:
        monkeypatch.setenv("NCBI_EUTILS_URL", url)
        monkeypatch.setenv("NCBI_API_KEY", SECRET)
        code = cli.run(["harvest", "--config", str(config_path)])
    assert code == cli.EXIT_PARTIAL
    state = load_state(tmp_path / "state")
    assert set(state.topics) == {"vesicles", "genomics"}  # the failed topic did not advance
    assert sorted(p.stem for p in (tmp_path / "site_src" / "papers").glob("*.md")) == [
        "101",
        "102",
        "103",
        "104",
    ]
    record = load_run_records(tmp_path / "state")[-1]
    assert record["ok"] is False
    failed = next(t for t in record["topics"] if t["name"] == "exosomes")
    assert failed["errors"] and failed["hits"] == 0


def test_interrupted_run_leaves_no_broken_page_and_rerun_completes(tmp_path: Path) -> None:
    entries = [(str(300 + i), day("2026-01-10")) for i in range(120)]
    standin = EutilsStandin({"t": entries}, make_record=minimal_article, rate_limit=False)
    config = make_config(tmp_path, [{"name": "t", "query": "t"}], batch_size=50)
    seen: list[str] = []

    def interrupt(message: str) -> None:
        seen.append(message)
        if message.startswith("fetched 50/"):
            raise KeyboardInterrupt  # the user presses Ctrl-C after the first batch

    with standin.serve() as url:
        with pytest.raises(KeyboardInterrupt):
            harvest(config, fast_client(url), at(TODAY), progress=interrupt)
        written = papers_on_disk(config)  # every page on disk parses
        assert 0 < len(written) < 120
        assert not list((config.site_src / "papers").glob(".*.tmp"))
        assert load_state(config.state_dir).topics == {}  # state not advanced
        run = harvest(config, fast_client(url), at(TODAY))
    assert run.ok
    assert len(papers_on_disk(config)) == 120
    assert load_state(config.state_dir).topics["t"].last_success == TODAY.isoformat()


def test_withheld_pmid_is_retried_alone_skipped_then_given_up_without_holding_back(
    tmp_path: Path,
) -> None:
    # Live efetch silently leaves out PMIDs it cannot serve; some never come back.
    entries = [(str(p), day("2026-01-02")) for p in (400, 401, 402, 403)]
    standin = EutilsStandin({"t": entries}, make_record=minimal_article, rate_limit=False)
    standin.withhold(["402"])  # for good
    standin.withhold(["403"], times=1)  # left out of the big batch only
    config = make_config(tmp_path, [{"name": "t", "query": "t"}], missing_give_up_runs=3)
    with standin.serve() as url:
        run = harvest(config, fast_client(url), at(TODAY))
        # 403 came back when asked again on its own; 402 did not: skipped, with a note,
        # and the topic's window advances (it never holds a topic back).
        assert run.ok and run.missing == ["402"] and run.given_up == []
        assert sorted(papers_on_disk(config)) == ["400", "401", "403"]
        assert standin.fetched_ids()[-2:] == ["402", "403"]  # the second, smaller batch
        assert run.topics[0].notes == [
            "1 records not returned by efetch (402); asked again next run"
        ]
        state = load_state(config.state_dir)
        assert state.topics["t"].last_success == TODAY.isoformat()
        assert state.missing["402"].runs == 1 and state.missing["402"].topics == ("t",)
        record = load_run_records(config.state_dir)[-1]
        assert record["missing"] == ["402"] and record["ok"] is True

        # Later runs ask for 402 again even though the topic's window has moved on...
        for n in (2, 3):
            standin.reset_log()
            later = at(TODAY + dt.timedelta(days=7 * n))
            run = harvest(config, fast_client(url), later)
            assert "402" in standin.fetched_ids(answered_only=False)
        # ...and give up after missing_give_up_runs, saying so.
        assert run.given_up == ["402"] and "given up after 3 runs: 402" in run.topics[0].notes[0]
        assert (
            load_state(config.state_dir).missing["402"].given_up
            == (TODAY + dt.timedelta(days=21)).isoformat()
        )
        standin.reset_log()
        harvest(config, fast_client(url), at(TODAY + dt.timedelta(days=28)))
        assert "402" not in standin.fetched_ids(answered_only=False)


def test_a_withheld_pmid_served_later_gets_its_page_and_topic(tmp_path: Path) -> None:
    standin = EutilsStandin(
        {"t": [("500", day("2026-01-02")), ("501", day("2026-01-02"))]},
        make_record=minimal_article,
        rate_limit=False,
    )
    standin.withhold(["501"], times=2)  # the batch and the retry alone
    config = make_config(tmp_path, [{"name": "t", "query": "t"}])
    with standin.serve() as url:
        assert harvest(config, fast_client(url), at(TODAY)).missing == ["501"]
        run = harvest(config, fast_client(url), at(TODAY + dt.timedelta(days=30)))
    assert run.missing == [] and "501" in run.ingest.created
    assert papers_on_disk(config)["501"]["search_keywords"] == ["t"]
    assert load_state(config.state_dir).missing == {}


def test_truncated_efetch_is_retried_and_esearch_error_fails_the_topic(tmp_path: Path) -> None:
    standin = EutilsStandin(OVERLAP, make_record=minimal_article, rate_limit=False)
    # the first topic's search: HTTP 200 carrying NCBI's <ERROR> element
    error = (
        ESEARCH_HEAD + "<eSearchResult><ERROR>Empty term and query_key - nothing todo"
        "</ERROR></eSearchResult>\n"
    ).encode()
    standin.add_fault("esearch", Fault(status=200, body=error))
    standin.add_fault("efetch", Fault.truncate(300))
    config = make_config(tmp_path, TOPICS)
    with standin.serve() as url:
        run = harvest(config, fast_client(url), at(TODAY))
    by_name = {t.name: t for t in run.topics}
    assert not run.ok and not by_name["exosomes"].ok
    assert "Empty term and query_key" in by_name["exosomes"].errors[0]
    assert by_name["vesicles"].ok and by_name["genomics"].ok
    # the cut-short efetch answer was retried, not taken as a short batch: every paper the
    # other topics found is on disk; 100 (only the failed topic's) is not
    assert sorted(papers_on_disk(config)) == ["101", "102", "103", "104"]
    assert standin.counts["efetch"] == 2
    assert set(load_state(config.state_dir).topics) == {"vesicles", "genomics"}


def test_api_key_never_reaches_pages_state_or_run_records(tmp_path: Path) -> None:
    standin = EutilsStandin(OVERLAP, make_record=minimal_article, rate_limit=False)
    config = make_config(tmp_path, TOPICS)
    with standin.serve() as url:
        harvest(config, fast_client(url, api_key=SECRET), at(TODAY))
    assert SECRET in standin.sent_text()  # it was sent to the server...
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written
    for p in written:  # ...and is nowhere on disk
        assert SECRET not in p.read_text(encoding="utf-8", errors="replace"), p


def test_changed_query_is_reharvested_from_its_start(tmp_path: Path) -> None:
    standin = EutilsStandin(
        {"old": [("500", day("2026-01-03"))], "new": [("501", day("2026-01-03"))]},
        make_record=minimal_article,
        rate_limit=False,
    )
    config = make_config(tmp_path, [{"name": "t", "query": "old"}])
    with standin.serve() as url:
        harvest(config, fast_client(url), at(TODAY))
        changed = make_config(tmp_path, [{"name": "t", "query": "new"}])
        run = harvest(changed, fast_client(url), at(TODAY + dt.timedelta(days=60)))
    assert run.topics[0].window.start == day("2026-01-01")
    assert sorted(papers_on_disk(changed)) == ["500", "501"]
    assert load_state(changed.state_dir).topics["t"].query_sha == query_sha("new")


def test_refresh_refetches_papers_awaiting_mesh_and_updates_in_place(tmp_path: Path) -> None:
    in_process = minimal_article("600", edat=day("2026-02-01")).replace(
        'Status="MEDLINE"', 'Status="In-Process"'
    )
    standin = EutilsStandin(
        {"t": [("600", day("2026-02-01"))]}, records={"600": in_process}, rate_limit=False
    )
    config = make_config(tmp_path, [{"name": "t", "query": "t"}])
    mesh = (
        '<MeshHeadingList><MeshHeading><DescriptorName UI="D055354" MajorTopicYN="Y">'
        "Exosomes</DescriptorName></MeshHeading></MeshHeadingList>"
    )
    indexed = minimal_article("600", edat=day("2026-02-01")).replace(
        "</MedlineJournalInfo>", "</MedlineJournalInfo>" + mesh
    )
    with standin.serve() as url:
        harvest(config, fast_client(url), at(TODAY))
        page = config.site_src / "papers" / "600.md"
        page.write_text(page.read_text(encoding="utf-8") + "keep me\n", encoding="utf-8")
        standin.add_records({"600": indexed})
        standin.reset_log()
        later = TODAY + dt.timedelta(days=20)  # the search window no longer holds it
        run = harvest(config, fast_client(url), at(later), since=later)
    assert run.refreshed == 1 and standin.fetched_ids() == ["600"]
    meta, body = split_page(page.read_text(encoding="utf-8"))
    assert meta["mesh"] == ["Exosomes"] and meta["citation_status"] == "MEDLINE"
    assert body.rstrip().endswith("keep me")


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    standin = EutilsStandin(OVERLAP, make_record=minimal_article, rate_limit=False)
    config = make_config(tmp_path, TOPICS)
    with standin.serve() as url:
        run = harvest(config, fast_client(url), at(TODAY), dry_run=True)
    assert [t.hits for t in run.topics] == [3, 3, 2]
    assert standin.counts["efetch"] == 0
    assert not any(tmp_path.rglob("*.md")) and not (tmp_path / "state").exists()


# --- pure parts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "harvest_cfg", "since", "expected"),
    [
        (None, {"since": "2026-01-01"}, None, ("2026-01-01", "2026-03-01", "crdt")),
        (None, {"lookback_days": 10}, None, ("2026-02-19", "2026-03-01", "crdt")),
        (
            TopicState(query_sha("q"), "2026-01-01", "2026-02-20"),
            {"since": "2026-01-01", "overlap_days": 3},
            None,
            ("2026-02-17", "2026-03-01", "crdt"),
        ),
        (  # the query changed: start again
            TopicState(query_sha("other"), "2026-01-01", "2026-02-20"),
            {"since": "2026-01-01"},
            None,
            ("2026-01-01", "2026-03-01", "crdt"),
        ),
        (None, {"since": "2026-01-01"}, "2025-06-01", ("2025-06-01", "2026-03-01", "crdt")),
        (
            None,
            {"since": "2020-01-01", "until": "2020-12-31", "datetype": "pdat"},
            None,
            ("2020-01-01", "2020-12-31", "pdat"),
        ),
    ],
)
def test_topic_window(state, harvest_cfg, since, expected, tmp_path: Path) -> None:
    config = make_config(tmp_path, [{"name": "t", "query": "q"}], **harvest_cfg)
    if "since" not in harvest_cfg:
        config = parse_config(
            {
                "site": {"title": "T"},
                "topics": [{"name": "t", "query": "q"}],
                "harvest": harvest_cfg,
            },
            tmp_path,
        )
    window = topic_window(
        config.topics[0], state, config.harvest, TODAY, day(since) if since else None
    )
    assert (window.start.isoformat(), window.end.isoformat(), window.datetype) == expected


def test_plan_fetch_and_refresh_rules() -> None:
    pages = {
        "1": {"search_keywords": ["a"], "mesh": ["X"], "citation_status": "MEDLINE"},
        "2": {
            "search_keywords": ["a"],
            "mesh": [],
            "citation_status": "In-Process",
            "entrez_date": "2026-02-15",
        },
        "3": {
            "search_keywords": ["a"],
            "mesh": [],
            "citation_status": "In-Process",
            "entrez_date": "2025-01-01",
        },  # too old to refresh
        "4": {
            "search_keywords": ["a"],
            "mesh": [],
            "citation_status": "PubMed-not-MEDLINE",
            "entrez_date": "2026-02-15",
        },  # never gets MeSH
    }
    plan = plan_fetch({"1": {"a"}, "5": {"a"}, "3": {"a", "b"}}, pages, TODAY, 120)
    assert plan.new == ("5",) and plan.retopic == ("3",) and plan.refresh == ("2",)
    # a page awaiting MeSH is refreshed also when this run's search found it again
    again = plan_fetch({"2": {"a"}}, pages, TODAY, 120)
    assert again.new == () and again.retopic == () and again.refresh == ("2",)
    assert not needs_refresh({"sample": True, "mesh": []}, TODAY, 120)
