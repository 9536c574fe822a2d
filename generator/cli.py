"""Command line: ``python -m generator COMMAND`` (or the ``pubmed-kb`` script).

The CLI only parses options, loads the config, calls one library function in
:mod:`generator.pipeline`, and prints a summary. The project's own errors become
a clean message and exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from generator import pipeline
from generator.config import Config, load_config
from generator.errors import KBError
from generator.harvest import HarvestRun

EXIT_OK, EXIT_PARTIAL, EXIT_ERROR = 0, 1, 2

EPILOG = """\
examples:
  python -m generator site                       harvest (or, offline, the sample) and build site/
  python -m generator harvest                    search PubMed for every topic, write new pages
  python -m generator harvest --topic cancer --since 2025-01-01 --dry-run
  python -m generator demo                       build site/ from the embedded sample (offline)
  python -m generator ingest pubmed.xml --keyword "cancer"
  python -m generator ingest downloads/ baseline/pubmed25n0001.xml.gz
  python -m generator index                      rewrite topic, MeSH and landing pages
  python -m generator build                      index + mkdocs build --strict → site/
  python -m generator serve                      build + serve on http://127.0.0.1:8000/
  python -m generator --config other/kb.yml build

exit codes: 0 success, 1 partly failed (some topics), 2 error (message on stderr)
"""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        default=argparse.SUPPRESS,
        help="the knowledge base's YAML config (default: ./kb.yml)",
    )
    parser = argparse.ArgumentParser(
        prog="python -m generator",
        description="Build a browsable, searchable knowledge base of PubMed papers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "ingest",
        parents=[common],
        help="PubMed XML files, folders or .xml.gz → paper pages",
        description="Parse PubMed XML (efetch output, baseline/update files, .gz) into "
        "paper pages. Every file is checked before anything is written.",
        epilog='example: python -m generator ingest efetch.xml --keyword "cancer"',
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument(
        "--keyword",
        action="append",
        default=[],
        metavar="NAME",
        help="attribute the papers to this topic (repeatable)",
    )
    p = sub.add_parser(
        "harvest",
        parents=[common],
        help="search PubMed for every topic and write new and changed pages",
        description="Search each topic's query over its date window (by Entrez date), "
        "fetch every new PMID once, and write its page. NCBI_API_KEY, NCBI_EMAIL and "
        "NCBI_EUTILS_URL are read from the environment.",
        epilog="example: python -m generator harvest --topic cancer --since 2025-01-01",
    )
    p.add_argument(
        "--topic", action="append", default=[], metavar="NAME", help="only this topic (repeatable)"
    )
    p.add_argument(
        "--since",
        type=_date,
        metavar="YYYY-MM-DD",
        help="search from this date instead of the last successful run",
    )
    p.add_argument("--dry-run", action="store_true", help="search and report; write nothing")
    p = sub.add_parser(
        "site",
        parents=[common],
        help="the main job: harvest from PubMed (or the sample, offline), then build site/",
        description="Harvest from PubMed when E-utilities answers, otherwise build from the "
        "embedded sample, then build site/. It says which it did.",
        epilog="example: python -m generator site --config other/kb.yml",
    )
    p.add_argument("--site-dir", type=Path, default=None, help="output folder (default: site/)")
    sub.add_parser(
        "index",
        parents=[common],
        help="grouping pages (topics, MeSH, landing) from the pages on disk",
        description="Rewrite the landing, topic, MeSH and all-papers pages from the "
        "paper pages in site_src/papers/. Unchanged pages are not touched.",
        epilog="example: python -m generator index --config other/kb.yml",
    )
    p = sub.add_parser(
        "build",
        parents=[common],
        help="index, then mkdocs build --strict → site/",
        description="Run index, then build the static site with MkDocs (strict).",
        epilog="example: python -m generator build --site-dir /tmp/site",
    )
    p.add_argument("--site-dir", type=Path, default=None, help="output folder (default: site/)")
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="build, then serve site/ on http://127.0.0.1:8000/",
        description="Run build, then serve site/ over HTTP (search needs http, not "
        "file://). Rebuild to see changes.",
        epilog="example: python -m generator serve --address 127.0.0.1:8001",
    )
    p.add_argument("--address", default="127.0.0.1:8000", help="host:port (default: %(default)s)")
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="build site/ from the embedded sample (no network, no key)",
        description="Write the 30-paper embedded sample into site_src/ and build site/. "
        "Refuses to mix the sample into a knowledge base that holds harvested papers.",
        epilog="example: python -m generator demo --site-dir /tmp/demo-site",
    )
    p.add_argument("--site-dir", type=Path, default=None, help="output folder (default: site/)")
    p.add_argument(
        "--force", action="store_true", help="add the sample even to a real knowledge base"
    )
    return parser


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _print_harvest(run: HarvestRun) -> None:
    for t in run.topics:
        status = "ok" if t.ok else "FAILED"
        print(
            f"  {t.name}: {status}, {t.hits} hits ({t.window.start}..{t.window.end}), "
            f"{t.new} new, {t.updated} updated"
        )
        for error in t.errors:
            print(f"    error: {error}")
    total = sum(run.requests.values())
    print(
        f"harvest: {len(run.ingest.created)} new, {len(run.ingest.updated)} updated, "
        f"{run.fetched} fetched ({run.refreshed} refreshed), {total} requests"
        + (" (dry run: nothing written)" if run.dry_run else "")
    )


def _load(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None) or Path("kb.yml"))


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        config = _load(args)
        if args.command == "ingest":
            report = pipeline.ingest(config, args.paths, args.keyword)
            print(f"ingest: {report.summary()} → {config.site_src / 'papers'}")
            for pmid, reason in report.filtered:
                print(f"  filtered out {pmid}: {reason}")
        elif args.command == "harvest":
            run = pipeline.harvest(config, args.topic, args.since, args.dry_run)
            _print_harvest(run)
            return EXIT_OK if run.ok else EXIT_PARTIAL
        elif args.command == "site":
            return _site(config, args.site_dir)
        elif args.command == "index":
            r = pipeline.index(config)
            print(
                f"index: {r.papers} papers; {len(r.written)} grouping pages written, "
                f"{r.unchanged} unchanged, {r.removed} removed"
            )
        elif args.command == "build":
            b = pipeline.build(config, args.site_dir)
            print(f"build: {b.index.papers} papers → {b.site_dir}")
        elif args.command == "serve":
            return pipeline.serve(config, args.address)
        elif args.command == "demo":
            report, b = pipeline.demo(config, args.site_dir, force=args.force)
            print(
                "demo: built from the EMBEDDED SAMPLE (offline; abstracts not included): "
                f"{b.index.papers} papers ({report.summary()}) → {b.site_dir}"
            )
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted: pages already written are complete; rerun to finish", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _site(config: Config, site_dir: Path | None) -> int:
    why_not = pipeline.pubmed_reachable(config)
    if why_not is not None:
        print(f"site: PubMed is not reachable ({why_not})")
        print("site: building from the EMBEDDED SAMPLE instead (30 papers, no abstracts)")
        _, b = pipeline.demo(config, site_dir)
        print(f"site: built from the EMBEDDED SAMPLE: {b.index.papers} papers → {b.site_dir}")
        return EXIT_OK
    removed = pipeline.remove_sample_pages(config.site_src)
    if removed:
        print(f"site: removed {removed} sample pages before harvesting real ones")
    print("site: PubMed answers; HARVESTING from PubMed")
    run = pipeline.harvest(config)
    _print_harvest(run)
    b = pipeline.build(config, site_dir)
    print(f"site: built from PUBMED: {b.index.papers} papers → {b.site_dir}")
    return EXIT_OK if run.ok else EXIT_PARTIAL


def main() -> None:
    sys.exit(run())
