"""Ingest PubMed XML with a topic list per paper (a bench helper).

    python bench/ingest_topics.py --config KB.yml XML TOPICS.json [--today YYYY-MM-DD]

``python -m generator ingest`` attributes every paper to the same ``--keyword``s; the
synthetic knowledge bases of ``bench/synth.py`` give each paper its own 1–3 topics
(``OUT.topics.json``: PMID → topics). This calls the library's ``ingest_files`` with
``keywords_by_pmid``, as the demo command does, and prints the same summary as the CLI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from generator.config.load import load_config
from generator.kb.ingest import ingest_files
from generator.utils.errors import KBError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=Path("kb.yml"))
    parser.add_argument("xml", type=Path, nargs="+", help="PubMed XML files (.xml, .xml.gz)")
    parser.add_argument("--topics", type=Path, required=True, help="JSON: PMID → topic names")
    parser.add_argument(
        "--today",
        default="2026-01-01",
        help="the collection date written on new pages (fixed, so runs compare byte for byte)",
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        topics = json.loads(args.topics.read_text(encoding="utf-8"))
        unknown = {t for names in topics.values() for t in names if config.topic(t) is None}
        if unknown:
            raise KBError(f"{args.topics}: topics not in {args.config}: {sorted(unknown)}")
        report = ingest_files(args.xml, config, args.today, keywords_by_pmid=topics)
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"ingest: {report.summary()} → {config.site_src / 'papers'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
