"""Harvest N records end to end from a local E-utilities stand-in that enforces NCBI's limits.

Reports requests, wall time, time spent waiting for the rate limiter, 429s, pages written,
and a second run (which must fetch nothing). Real time, real limiter, real pages on disk.

    python bench/bench_harvest.py                 # 10,000 records, 3 topics, with an API key
    python bench/bench_harvest.py --no-key        # NCBI's 3 requests/s
    python bench/bench_harvest.py -n 2000 --batch-size 500
    python bench/bench_harvest.py --habits        # requests each live-PubMed habit costs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.config.load import parse_config
from generator.kb.harvest import harvest
from generator.pubmed.eutils import EutilsClient
from generator.utils.clock import fixed_clock
from tests.eutils_standin import (
    EutilsStandin,
    Fault,
    minimal_article,
    retracted_article,
    synthetic_entries,
)


def run(n: int, batch_size: int, api_key: str | None) -> dict:
    start, end = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    entries = synthetic_entries(n, start, end)
    # three overlapping topics: all papers, the first half, every third paper
    searches = {"all": entries, "half": entries[: n // 2], "third": entries[::3]}
    mesh = (
        '<MeshHeadingList><MeshHeading><DescriptorName UI="D006801" MajorTopicYN="N">'
        "Humans</DescriptorName></MeshHeading></MeshHeadingList>"
    )

    def record(pmid: str) -> str:  # indexed for MeSH, so the second run has nothing to refresh
        xml = minimal_article(pmid, edat=start)
        return xml.replace("</MedlineJournalInfo>", "</MedlineJournalInfo>" + mesh)

    standin = EutilsStandin(searches, make_record=record)
    topics = [{"name": k, "query": k} for k in searches]
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(
            {
                "site": {"title": "bench"},
                "topics": topics,
                "harvest": {"since": start.isoformat(), "batch_size": batch_size},
            },
            Path(tmp),
        )
        today = end + dt.timedelta(days=1)
        with standin.serve() as url:
            client = EutilsClient(url, email="bench@example.org", api_key=api_key)
            t0 = time.perf_counter()
            first = harvest(config, client, fixed_clock(today))
            wall = time.perf_counter() - t0
            stats = client.stats
            standin.reset_log()
            t1 = time.perf_counter()
            second_client = EutilsClient(url, email="bench@example.org", api_key=api_key)
            second = harvest(config, second_client, fixed_clock(today))
            wall2 = time.perf_counter() - t1
        pages = len(list((config.site_src / "papers").glob("*.md")))
    return {
        "records": n,
        "batch_size": batch_size,
        "api_key": bool(api_key),
        "requests": dict(stats.requests),
        "total_requests": stats.total_requests,
        "wall_s": round(wall, 2),
        "limiter_wait_s": round(stats.limiter_wait_s, 2),
        "limiter_share": round(stats.limiter_wait_s / wall, 3) if wall else 0,
        "throttled_429": stats.throttled,
        "retries": stats.retries,
        "pages": pages,
        "fetched": first.fetched,
        "ok": first.ok and second.ok,
        "second_run_requests": dict(standin.counts),
        "second_run_fetched": second.fetched,
        "second_run_wall_s": round(wall2, 2),
    }


def habits() -> dict:
    """Requests one harvest of a 100-record topic costs, alone and with each habit of the
    live PubMed played by the stand-in (no rate limit: counts, not time)."""
    start, today = dt.date(2026, 1, 1), dt.date(2026, 3, 1)
    base = synthetic_entries(100, start, dt.date(2026, 2, 27))

    def one(setup, second_run=None) -> dict:
        standin = EutilsStandin({"t": base}, make_record=minimal_article, rate_limit=False)
        setup(standin)
        with tempfile.TemporaryDirectory() as tmp, standin.serve() as url:
            config = parse_config(
                {
                    "site": {"title": "bench"},
                    "topics": [{"name": "t", "query": "t"}],
                    "harvest": {"since": start.isoformat()},
                },
                Path(tmp),
            )
            client = EutilsClient(url, email="b@example.org", sleep=lambda _: None)
            harvest(config, client, fixed_clock(today))
            counts = dict(standin.counts)
            if second_run is not None:
                second_run(standin)
                standin.reset_log()
                later = fixed_clock(today + dt.timedelta(days=7))
                harvest(config, EutilsClient(url, email="b@example.org"), later)
                counts = {f"second run {k}": v for k, v in standin.counts.items()}
        return counts

    flood = [(str(40_000_000 + i), dt.date(2026, 2, 14)) for i in range(10_000)]
    return {
        "plain": one(lambda s: None),
        "outage <ERROR> answered twice": one(
            lambda s: s.add_fault("esearch", Fault.eutils_error("Search Backend failed"), 2)
        ),
        "one PMID withheld for good": one(lambda s: s.withhold([base[5][0]])),
        "a day with 10,000 more hits": one(lambda s: s.add_search("t", base + flood)),
        "plain, second run a week later": one(lambda s: None, lambda s: None),
        "second run after a retraction": one(
            lambda s: None,
            lambda s: s.revise(
                base[5][0], retracted_article(base[5][0], "1", dt.date(2026, 3, 4)), "2026-03-04"
            ),
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--batch-size", type=int, default=200)
    ap.add_argument("--no-key", action="store_true", help="3 requests/s instead of 10")
    ap.add_argument("--habits", action="store_true", help="requests per live-PubMed habit")
    args = ap.parse_args()
    if args.habits:
        print(json.dumps(habits(), indent=2))
        return
    result = run(args.n, args.batch_size, None if args.no_key else "bench-key")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
