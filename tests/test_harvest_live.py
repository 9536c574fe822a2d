"""The harvester against the live PubMed's habits, each played by the local stand-in.

Late-added records (an old Entrez date, a recent create date), queries PubMed widens,
records revised or retracted after harvest, PMIDs efetch withholds, short id lists, a day
over 9,999 hits, outages as ``<ERROR>`` answers, and 429 bodies that echo the caller's
address. The last test plays all of them in one knowledge base.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from generator.kb.harvest import harvest
from generator.kb.pages import split_page
from generator.kb.state import load_run_records, load_state, query_sha
from generator.pubmed.eutils import EutilsClient, RateLimiter
from generator.site.index import write_index_pages
from tests.eutils_standin import EutilsStandin, Fault, minimal_article, retracted_article
from tests.test_harvest import TODAY, FakeTime, at, day, fast_client, make_config, papers_on_disk


def page_text(config, pmid: str) -> str:
    return (config.site_src / "papers" / f"{pmid}.md").read_text(encoding="utf-8")


def test_late_added_record_is_found_on_the_create_date_and_missed_on_the_entrez_date(
    tmp_path: Path,
) -> None:
    # NLM sets the Entrez date of a record added over a year after publication to its
    # publication date: only the create date says it entered PubMed last week.
    late = {"edat": "2024/05/01", "pdat": "2024/05/01", "crdt": "2026-02-20"}
    searches = {"t": [("600", day("2026-02-10")), ("601", late)]}
    standin = EutilsStandin(searches, make_record=minimal_article, rate_limit=False)
    with standin.serve() as url:
        crdt = make_config(tmp_path / "crdt", [{"name": "t", "query": "t"}])
        assert harvest(crdt, fast_client(url), at(TODAY)).topics[0].ids == ["600", "601"]
        edat = make_config(tmp_path / "edat", [{"name": "t", "query": "t"}], datetype="edat")
        assert harvest(edat, fast_client(url), at(TODAY)).topics[0].ids == ["600"]
    assert sorted(papers_on_disk(crdt)) == ["600", "601"]


def test_a_kb_moving_from_edat_to_crdt_continues_its_window(tmp_path: Path) -> None:
    # A state file written while edat was the default: no datetype recorded.
    config = make_config(tmp_path, [{"name": "t", "query": "t"}])
    config.state_dir.mkdir(parents=True)
    old = {"query_sha": query_sha("t"), "first_day": "2026-01-01", "last_success": "2026-02-20"}
    (config.state_dir / "harvest.json").write_text(
        json.dumps({"version": 1, "topics": {"t": old}}), encoding="utf-8"
    )
    searches = {"t": [("610", day("2026-01-15")), ("611", day("2026-02-25"))]}
    standin = EutilsStandin(searches, make_record=minimal_article, rate_limit=False)
    with standin.serve() as url:
        run = harvest(config, fast_client(url), at(TODAY))
    window = run.topics[0].window
    # No gap (from the last success minus the overlap) and no full re-harvest.
    assert (window.start, window.datetype) == (day("2026-02-17"), "crdt")
    assert run.topics[0].ids == ["611"]
    state = load_state(config.state_dir).topics["t"]
    assert (state.first_day, state.datetype) == ("2026-01-01", "crdt")


@pytest.mark.parametrize(
    ("kind", "entry"),
    [
        ("not_found", "PhraseNotFound: zzyxq"),
        ("quoted_not_found", "QuotedPhraseNotFound: tumour-derived exosomez"),
    ],
)
def test_widened_query_fails_its_topic_and_says_what_pubmed_searched(
    tmp_path: Path, kind: str, entry: str
) -> None:
    standin = EutilsStandin(make_record=minimal_article, rate_limit=False)
    # PubMed dropped the unknown term and ran the rest: many unrelated hits.
    standin.add_search(
        "exosomes AND zzyxq", [("620", day("2026-02-01"))], **{kind: [entry.split(": ")[1]]}
    )
    standin.add_search("genomics", [("621", day("2026-02-01"))])
    topics = [{"name": "bad", "query": "exosomes AND zzyxq"}, {"name": "good", "query": "genomics"}]
    config = make_config(tmp_path, topics)
    with standin.serve() as url:
        run = harvest(config, fast_client(url), at(TODAY))
    bad, good = run.topics
    assert not bad.ok and good.ok and not run.ok
    assert (
        entry in bad.errors[0]
        and "exosomes AND zzyxq AND 2026/01/01:2026/03/01[crdt]" in bad.errors[0]
    )
    assert "allow_query_warnings" in bad.errors[0]
    assert sorted(papers_on_disk(config)) == ["621"]  # no unrelated paper
    assert "bad" not in load_state(config.state_dir).topics  # searched again next run
    record = load_run_records(config.state_dir)[-1]["topics"][0]
    assert record["translation"] == "exosomes AND zzyxq AND 2026/01/01:2026/03/01[crdt]"
    assert entry in record["query_errors"] + record["query_warnings"]
    write_index_pages(config.site_src, config)
    status = (config.site_src / "status.md").read_text(encoding="utf-8")
    assert "What PubMed searched" in status and "exosomes AND zzyxq AND 2026/01/01" in status
    assert entry.replace("-", "\\-") in status or entry in status


def test_a_topic_may_accept_a_widened_query(tmp_path: Path) -> None:
    standin = EutilsStandin(make_record=minimal_article, rate_limit=False)
    standin.add_search("exosomes AND zzyxq", [("630", day("2026-02-01"))], not_found=["zzyxq"])
    topic = {"name": "t", "query": "exosomes AND zzyxq", "allow_query_warnings": True}
    config = make_config(tmp_path, [topic])
    with standin.serve() as url:
        run = harvest(config, fast_client(url), at(TODAY))
    assert run.ok and run.topics[0].ids == ["630"]
    assert run.topics[0].notes == [
        "widened query accepted (allow_query_warnings): PhraseNotFound: zzyxq"
    ]


def test_dry_run_prints_hits_and_translation_before_anything_is_fetched(tmp_path: Path) -> None:
    standin = EutilsStandin(make_record=minimal_article, rate_limit=False)
    standin.add_search("exosomes", [("640", day("2026-02-01")), ("641", day("2026-02-02"))])
    standin.add_search("exosomes AND zzyxq", [("642", day("2026-02-01"))], not_found=["zzyxq"])
    topics = [{"name": "a", "query": "exosomes"}, {"name": "b", "query": "exosomes AND zzyxq"}]
    config = make_config(tmp_path, topics)
    lines: list[str] = []
    with standin.serve() as url:
        harvest(config, fast_client(url), at(TODAY), dry_run=True, progress=lines.append)
    assert standin.counts["efetch"] == 0 and not (config.site_src / "papers").exists()
    assert (
        "a: 2 hits in 2026-01-01..2026-03-01 (crdt); "
        "PubMed searched: exosomes AND 2026/01/01:2026/03/01[crdt]"
    ) in lines
    assert any(
        line.startswith("b: NOT harvested") and "PhraseNotFound: zzyxq" in line for line in lines
    )


def test_record_retracted_after_harvest_is_refetched_rewritten_and_reported(
    tmp_path: Path,
) -> None:
    entries = [(str(p), day("2026-02-01")) for p in (700, 701, 702)]
    standin = EutilsStandin({"t": entries}, make_record=minimal_article, rate_limit=False)
    config = make_config(tmp_path, [{"name": "t", "query": "t"}])
    with standin.serve() as url:
        harvest(config, fast_client(url), at(TODAY))
        path = config.site_src / "papers" / "701.md"
        path.write_text(
            path.read_text(encoding="utf-8") + "\nMy reading notes.\n", encoding="utf-8"
        )
        # Four days later PubMed links a retraction notice to 701.
        standin.revise("701", retracted_article("701", "799", day("2026-03-05")), "2026-03-05")
        standin.reset_log()
        run = harvest(config, fast_client(url), at(TODAY + dt.timedelta(days=7)))
    assert run.ok and run.revised == ["701"] and run.retracted == ["701"]
    # One more search (mdat) per topic; only the revised stored paper is fetched.
    assert standin.counts["esearch"] == 2 and standin.fetched_ids() == ["701"]
    mdat = [r.params for r in standin.requests if r.params.get("datetype") == "mdat"]
    assert [(p["mindate"], p["maxdate"]) for p in mdat] == [("2026/03/01", "2026/03/08")]
    meta, body = split_page(page_text(config, "701"), "701.md")
    assert meta["retracted"] is True and meta["collected"] == TODAY.isoformat()
    assert meta["search_keywords"] == ["t"]  # kept, though no topic search listed it now
    assert meta["updated"] == (TODAY + dt.timedelta(days=7)).isoformat()
    assert "My reading notes." in body and "!!! danger" in body
    write_index_pages(config.site_src, config)
    landing = (config.site_src / "index.md").read_text(encoding="utf-8")
    assert "1 papers revised in PubMed since they were collected; 1 newly retracted:" in landing
    assert "(papers/701.md)" in landing.split("newly retracted:")[1]
    status = (config.site_src / "status.md").read_text(encoding="utf-8")
    assert "1 newly retracted" in status and "[701](papers/701.md)" in status


def test_short_id_list_is_accepted_with_a_note(tmp_path: Path) -> None:
    standin = EutilsStandin(make_record=minimal_article, rate_limit=False)
    entries = [(str(650 + i), day("2026-02-01")) for i in range(5)]
    standin.add_search("t", entries, unlisted=["653", "654"])
    config = make_config(tmp_path, [{"name": "t", "query": "t"}])
    with standin.serve() as url:
        run = harvest(config, fast_client(url), at(TODAY))
    assert run.ok and run.topics[0].hits == 3
    assert "PubMed counted 5 but listed 3 ids" in run.topics[0].notes[0]
    assert load_state(config.state_dir).topics["t"].last_success == TODAY.isoformat()


def test_429_echoing_the_ip_address_never_reaches_the_run_record(tmp_path: Path) -> None:
    standin = EutilsStandin({"t": [("660", day("2026-02-01"))]}, make_record=minimal_article)
    standin.add_fault("esearch", Fault.http(429), times=50)
    config = make_config(tmp_path, [{"name": "t", "query": "t"}])
    t = FakeTime()
    with standin.serve() as url:
        client = EutilsClient(
            url,
            limiter=RateLimiter(3.0, t.clock, t.sleep),
            clock=t.clock,
            sleep=t.sleep,
            max_retries=3,
        )
        run = harvest(config, client, at(TODAY))
    assert not run.ok and "API rate limit exceeded" in run.topics[0].errors[0]
    text = (config.state_dir / "runs.jsonl").read_text(encoding="utf-8")
    assert '\\"api-key\\":\\"<address>\\"' in text and '\\"api-key\\":\\"127.0.0.1\\"' not in text
    assert run.warnings and "no e-mail address" in run.warnings[0]  # warned once per run


def test_one_harvest_meets_every_habit_of_the_live_pubmed(tmp_path: Path) -> None:
    """Late-added record, widened query, outage <ERROR>, withheld PMID, short list, a day
    with 10,000 hits, 429s: full recall of what can be fetched, nothing unrelated; then
    a retraction between two runs. The status page tells the user all of it."""
    flood_day = day("2026-02-14")
    flood = [(str(40_000_000 + i), flood_day) for i in range(10_000)]
    standin = EutilsStandin(make_record=minimal_article, limits=(3, 10))
    standin.add_search(
        "exosomes",
        [("800", day("2026-01-10")), ("801", {"edat": "2023/01/01", "crdt": "2026-02-03"})]
        + [(str(802 + i), day("2026-02-01")) for i in range(4)],
        unlisted=["805"],  # counted 6, listed 5 (accepted, with a note)
    )
    standin.add_search("genomics", [*flood, ("810", day("2026-02-20"))])
    standin.add_search("vesicles AND zzyxq", [("900", day("2026-02-01"))], not_found=["zzyxq"])
    standin.add_fault(
        "esearch", Fault.eutils_error("Search Backend failed: address table is empty")
    )
    standin.add_fault("esearch", Fault.http(503), times=2)
    standin.withhold(["803"])
    topics = [
        {"name": "exosomes", "query": "exosomes"},
        {"name": "genomics", "query": "genomics"},
        {"name": "typo", "query": "vesicles AND zzyxq"},
    ]
    config = make_config(tmp_path, topics, batch_size=500)
    # Retries do not wait in real time here; the real limiter still paces every request.
    with standin.serve() as url:
        client = EutilsClient(
            url,
            email="lab@example.org",
            api_key="k" * 36,
            limiter=RateLimiter(10.0),
            sleep=lambda _: None,
            retry_budget_s=60,
        )
        run = harvest(config, client, at(TODAY))
        expected = {"800", "801", "802", "804", "810", *(pmid for pmid, _ in flood)}
        assert set(papers_on_disk(config)) == expected  # 803 withheld, 805 never listed
        assert [t.ok for t in run.topics] == [True, True, False]
        assert run.missing == ["803"] and "900" not in papers_on_disk(config)
        assert any("listed by PMID range" in n for n in run.topics[1].notes)

        standin.revise("802", retracted_article("802", "899", day("2026-03-04")), "2026-03-04")
        second = harvest(config, client, at(TODAY + dt.timedelta(days=7)))
    assert second.retracted == ["802"] and "!!! danger" in page_text(config, "802")
    write_index_pages(config.site_src, config)
    status = (config.site_src / "status.md").read_text(encoding="utf-8")
    assert "1 newly retracted" in status and "[802](papers/802.md)" in status
    assert "[803](https://pubmed.ncbi.nlm.nih.gov/803/)" in status  # still withheld
    assert "PhraseNotFound: zzyxq" in status and "vesicles AND zzyxq AND" in status


def test_the_retry_budget_comes_from_kb_yml(tmp_path: Path, monkeypatch) -> None:
    from generator.pipeline import make_client

    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    config = make_config(tmp_path, [{"name": "t", "query": "t"}], retry_budget_s=42)
    with make_client(config) as client:
        assert client.retry_budget_s == 42
    with make_client(config, retry_budget_s=0) as client:  # the reachability probe's choice
        assert client.retry_budget_s == 0
