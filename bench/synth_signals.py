"""Synthetic iCite signals for a benchmark knowledge base: ``state/citations.jsonl`` with a
line per paper (citation count, RCR, NIH percentile, clinical citations, references), so
that the cost of showing signals and the in-KB citation graph can be measured.

    python bench/synth_signals.py KB_DIR [--seed S] [--refs-here F]

Each paper cites ~40 PMIDs, of which ``--refs-here`` (default 0.1) are papers of the
knowledge base (older ones, by PMID), the rest outside it. Depends only on the PMIDs and
the seed.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kb", type=Path, help="the folder holding site_src/ and state/")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--refs-here", type=float, default=0.1)
    args = parser.parse_args()
    pmids = sorted(int(p.stem) for p in (args.kb / "site_src" / "papers").glob("[0-9]*.md"))
    rng = random.Random(args.seed)
    lines = []
    for i, pmid in enumerate(pmids):
        n_refs = rng.randint(20, 60)
        here = [rng.choice(pmids[:i]) for _ in range(int(n_refs * args.refs_here))] if i else []
        outside = [rng.randint(1_000_000, 30_000_000) for _ in range(n_refs - len(here))]
        rcr = round(rng.lognormvariate(0, 1), 2) if rng.random() > 0.2 else None
        record = {
            "pmid": str(pmid),
            "taken": "2026-01-08",
            "citations": int(rng.expovariate(1 / 15)),
            "clinical": int(rng.expovariate(1 / 1.5)),
            "rcr": rcr,
            "percentile": round(rng.uniform(1, 99), 1) if rcr is not None else None,
            "provisional": rng.random() < 0.3,
            "references": sorted({str(r) for r in here + outside}, key=int),
        }
        lines.append(json.dumps(record, sort_keys=True))
    out = args.kb / "state" / "citations.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"{x}\n" for x in lines), encoding="utf-8")
    print(f"synth_signals: {len(lines)} papers → {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
