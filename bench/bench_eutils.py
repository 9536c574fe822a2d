"""Benchmark the E-utilities client: harvest N ids and records from the local stand-in.

    python bench/bench_eutils.py [--records 10000] [--batch-size 200] [--mode both|key|nokey]

The stand-in (tests/eutils_standin.py) enforces NCBI's limits in real time (HTTP 429 past
3 requests/s without an API key, 10 with one), so the run shows what the rate limiter costs:
the number of requests, the wall time, and the share of it spent waiting in the limiter.
The corpus is ``--records`` entries spread over one year, so a count above 9,999 makes the
client split the date window, as it must against PubMed.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.pubmed.eutils import EutilsClient
from generator.pubmed.protocol import parse_efetch_pmids
from tests.eutils_standin import EutilsStandin, minimal_article, synthetic_entries

TERM = "bench[tiab]"
START, END = date(2025, 1, 1), date(2025, 12, 31)


def run(records: int, batch_size: int, api_key: str | None) -> dict[str, object]:
    """One harvest (split search + batched efetch) against a rate-limited stand-in."""
    entries = synthetic_entries(records, START, END)
    dates = dict(entries)
    standin = EutilsStandin(
        {TERM: entries}, make_record=lambda pmid: minimal_article(pmid, edat=dates[pmid])
    )
    with (
        standin.serve() as base_url,
        EutilsClient(base_url, email="bench@example.org", api_key=api_key) as client,
    ):
        started = time.monotonic()
        ids = client.search_ids_split(TERM, START, END)
        searched = time.monotonic()
        fetched = 0
        size = 0
        for body in client.efetch(ids, batch_size=batch_size):
            fetched += len(parse_efetch_pmids(body))
            size += len(body)
        wall = time.monotonic() - started
        stats = client.stats
    assert len(ids) == len(set(ids)) == records, "ids lost or repeated"
    assert fetched == records, "records lost"
    assert sorted(standin.fetched_ids()) == sorted(ids), "a PMID fetched twice or never"
    return {
        "mode": "api_key (10/s)" if api_key else "no key (3/s)",
        "esearch": stats.requests.get("esearch", 0),
        "efetch": stats.requests.get("efetch", 0),
        "requests": stats.total_requests,
        "search_s": searched - started,
        "wall_s": wall,
        "limiter_s": stats.limiter_wait_s,
        "limiter_share": stats.limiter_wait_s / wall if wall else 0.0,
        "floor_s": (stats.total_requests - 1) * client.limiter.interval_s,
        "http_429": standin.rejected,
        "retries": stats.retries,
        "mb": size / 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--mode", choices=("both", "key", "nokey"), default="both")
    args = parser.parse_args(argv)
    modes = {"both": (None, "bench-key"), "key": ("bench-key",), "nokey": (None,)}[args.mode]
    print(f"{args.records} ids and records, efetch batches of {args.batch_size}, stand-in")
    header = (
        f"{'mode':<16}{'esearch':>8}{'efetch':>7}{'total':>6}{'wall s':>8}{'floor s':>8}"
        f"{'limiter s':>10}{'limiter %':>10}{'429s':>5}{'retries':>8}{'MB':>7}"
    )
    print(header)
    for key in modes:
        r = run(args.records, args.batch_size, key)
        print(
            f"{r['mode']:<16}{r['esearch']:>8}{r['efetch']:>7}{r['requests']:>6}"
            f"{r['wall_s']:>8.1f}{r['floor_s']:>8.1f}{r['limiter_s']:>10.1f}"
            f"{100 * r['limiter_share']:>9.0f}%{r['http_429']:>5}{r['retries']:>8}{r['mb']:>7.1f}",
            flush=True,
        )
    print("floor s: (requests - 1) x the limiter's spacing, the least time the rate allows")


if __name__ == "__main__":
    main()
