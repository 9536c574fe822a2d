"""Command line: ``python -m generator COMMAND`` (or the ``pubmed-kb`` script).

The CLI only parses options, loads the config, calls one library function in
:mod:`generator.pipeline`, and prints a summary. The project's own errors become
a clean message and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from generator import pipeline
from generator.config.load import load_config
from generator.config.model import Config
from generator.kb.harvest import HarvestRun
from generator.scaffold import NewKB, init_kb, installed_from_a_path, tool_spec
from generator.site.budget import PAGES_LIMIT, render_report
from generator.site.exports import FORMATS
from generator.site.linkcheck import check_site
from generator.utils.errors import KBError
from generator.utils.store import write_atomic

EXIT_OK, EXIT_PARTIAL, EXIT_ERROR = 0, 1, 2

EPILOG = """\
examples:
  python -m generator site                       harvest (or, offline, the sample) and build site/
  python -m generator harvest                    search PubMed for every topic, write new pages
  python -m generator harvest --topic cancer --since 2025-01-01 --dry-run
  python -m generator demo                       build site/ from the embedded sample (offline)
  python -m generator ingest pubmed.xml --keyword "cancer"
  python -m generator ingest downloads/ baseline/pubmed25n0001.xml.gz
  python -m generator import-papersurfer notes/      Paper Surfer notes → paper pages
  python -m generator import-papersurfer --from-config old/config.py   its settings → kb.yml
  python -m generator index                      rewrite topic, MeSH and landing pages
  python -m generator build                      index + mkdocs build --strict → site/
  python -m generator serve                      build + serve on http://127.0.0.1:8000/
  python -m generator check-links                every internal link and #anchor of site/
  python -m generator budget                     site/'s bytes by part; exit 2 over 1 GB
  python -m generator export --format bib -o kb.bib    every paper as one BibTeX file
  python -m generator export --format ris --topic cancer    one topic's papers as RIS
  python -m generator init my-kb --title "Our lab's reading list" --email me@lab.org
  python -m generator publish commit             a step of the publish workflow
  python -m generator migrate                    pages of an older tool → this page format
  python -m generator --config other/kb.yml build

exit codes: 0 success, 1 partly failed (some topics), 2 error (message on stderr)
"""

IMPORT_DESCRIPTION = """\
Import the notes of Paper Surfer, the old tool (folders of .md/.txt files,
recognised by their content), as one page per PMID. Copies are merged: the
earliest collection date, every search keyword, the old scores and relevances
(under `imported` in the frontmatter). Mangled encodings are repaired; text you
added to a note goes into the page's Notes. Offline a page is built from the
note, which the old tool may have truncated; --refresh fetches every record
from PubMed instead. Without --refresh, a page that already holds PubMed's
data is left alone.

--from-config converts the old tool's config.py into a commented kb.yml (the
file is read, never run). A .py path given to --config on this command means
the same: --config names the knowledge base's kb.yml on every other command.
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
        "import-papersurfer",
        parents=[common],
        help="Paper Surfer notes → paper pages; its config.py → kb.yml",
        description=IMPORT_DESCRIPTION,
        epilog="examples:\n"
        "  python -m generator import-papersurfer ~/Obsidian/auto-papers/\n"
        "  python -m generator import-papersurfer notes/ --refresh\n"
        "  python -m generator import-papersurfer --config config.py          → ./kb.yml\n"
        "  python -m generator import-papersurfer --from-config config.py --output kb.yml notes/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="note files or folders of notes"
    )
    p.add_argument(
        "--refresh",
        action="store_true",
        help="fetch each paper from PubMed (network) instead of trusting the note's fields",
    )
    p.add_argument(
        "--from-config",
        type=Path,
        metavar="CONFIG.py",
        help="Paper Surfer's config.py: convert it into kb.yml (before importing any notes)",
    )
    p.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="where the converted kb.yml goes (default: the --config path, else ./kb.yml)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing --output file")
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
    p = sub.add_parser(
        "check-links",
        parents=[common],
        help="check every internal link and #anchor of the built site",
        description="Check that every internal link (href/src) of every HTML page in the "
        "built site resolves to a file, and every #anchor to an id. Lists each broken link "
        "with its page; exit 2 when any is broken.",
        epilog="example: python -m generator check-links --site-dir /tmp/site",
    )
    p.add_argument("--site-dir", type=Path, default=None, help="built site (default: site/)")
    p = sub.add_parser(
        "budget",
        parents=[common],
        help="the built site's bytes by part, against GitHub Pages' 1 GB; exit 2 when over",
        description="Report where the built site's bytes go (paper pages, grouping pages, "
        "citations, feeds, search index, assets), bytes per paper and how many papers "
        "GitHub Pages' 1 GB would hold; exit 2 when the site is over the limit (the publish "
        "workflow runs this before deploying).",
        epilog="example: python -m generator budget --site-dir /tmp/site",
    )
    p.add_argument("--site-dir", type=Path, default=None, help="built site (default: site/)")
    p.add_argument(
        "--limit", type=int, default=PAGES_LIMIT, help="bytes allowed (default: %(default)s)"
    )
    p = sub.add_parser(
        "export",
        parents=[common],
        help="every paper (or one topic's, one MeSH term's) as BibTeX, RIS or CSL-JSON",
        description="Write the citations of every paper of the knowledge base, or of one "
        "topic or MeSH descriptor, as one file: the same text the site's Download buttons "
        "make in the browser.",
        epilog="example: python -m generator export --format bib --topic cancer -o cancer.bib",
    )
    p.add_argument("--format", choices=FORMATS, default="bib", help="bib, ris or json (CSL-JSON)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--topic", default=None, help="only this topic's papers")
    group.add_argument("--mesh", default=None, help="only the papers with this MeSH descriptor")
    p.add_argument(
        "-o", "--output", type=Path, default=None, help="file to write (default: stdout)"
    )

    p = sub.add_parser(
        "init",
        help="lay out a new knowledge base in DIR (kb.yml, mkdocs.yml, workflows, README)",
        description="Lay out a new knowledge base: a commented kb.yml, mkdocs.yml naming the "
        "pubmed-kb plugin, the test and publish workflows pinned to this version of the tool, "
        ".gitignore and a README that says how to deploy. Options not given are asked for "
        "when a terminal is attached, else take their defaults. Nothing of the tool's code "
        "is copied.",
        epilog='example: python -m generator init my-kb --title "Exosome papers" '
        '--email me@lab.org --topic exosomes --query "exosomes[MeSH Terms]"',
    )
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--title", default=None, help="the site's title")
    p.add_argument("--language", default=None, help="en or ko (default en)")
    p.add_argument("--email", default=None, help="contact address NCBI asks for")
    p.add_argument("--topic", default=None, help="the first topic's name")
    p.add_argument("--query", default=None, help="the first topic's PubMed query")
    p.add_argument(
        "--tool-spec",
        default=None,
        help="what the workflows pip-install (default: pubmed-kb==<this version>)",
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite the files init writes (never pages)"
    )

    p = sub.add_parser(
        "publish",
        parents=[common],
        help="a step of the publish workflow: harvest [DATE] | commit | push",
        description="Run one step of the publish workflow in the knowledge base's folder "
        "(the tool's publish.sh): harvest (exit 0/1/2 as harvest), commit the paper pages "
        "and state as github-actions[bot], push (rebasing onto newer commits).",
    )
    p.add_argument("step", choices=("harvest", "commit", "push"))
    p.add_argument("since", nargs="?", default="", help="harvest only: YYYY-MM-DD")

    sub.add_parser(
        "migrate",
        parents=[common],
        help="bring paper pages an older tool wrote to this page format",
        description="Rewrite the paper pages an older version of the tool wrote in this "
        "version's page format, keeping every note; refuse (saying what to install) when "
        "a newer version wrote them. build, index and harvest do this by themselves.",
    )
    return parser


def _ask(value: str | None, prompt: str, default: str) -> str:
    """An option's value, else the answer to a prompt on a terminal, else the default."""
    if value is not None:
        return value
    if sys.stdin.isatty():
        answer = input(f"{prompt} [{default}]: ").strip()
        return answer or default
    return default


def _init(args: argparse.Namespace) -> int:
    d = NewKB()
    kb = NewKB(
        title=_ask(args.title, "Site title", d.title),
        language=_ask(args.language, "Language (en or ko)", d.language),
        email=_ask(args.email, "Contact e-mail for NCBI", d.email),
        topic=_ask(args.topic, "First topic's name", d.topic),
        query=_ask(args.query, "Its PubMed query", d.query),
    )
    spec = args.tool_spec or tool_spec()
    written = init_kb(args.dir, kb, spec, force=args.force)
    print(f"init: a new knowledge base in {args.dir}: {', '.join(written)}")
    print(f"init: its workflows install {spec}")
    if args.tool_spec is None and installed_from_a_path():
        print(
            "init: note: this copy of the tool was installed from a folder or a file, which "
            "GitHub's runners cannot reach; if that version is not on the package index, run "
            "init again with --force --tool-spec 'pubmed-kb @ git+https://github.com/OWNER/"
            "pubmed-kb@COMMIT'"
        )
    print(f"init: next: cd {args.dir} && python -m generator demo (then harvest; see README.md)")
    return EXIT_OK


def _publish(config: Config, step: str, since: str) -> int:
    script = Path(__file__).resolve().parent / "publish.sh"
    env = dict(os.environ)
    env["KB_ROOT"] = str(config.path.parent if config.path else Path.cwd())
    env["PY"] = sys.executable
    args = [step, since] if step == "harvest" and since else [step]
    return subprocess.run(["bash", str(script), *args], env=env).returncode


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
        if t.translation:
            print(f"    PubMed searched: {t.translation}")
        for error in t.errors:
            print(f"    error: {error}")
        for note in t.notes:
            print(f"    note: {note}")
    for warning in run.warnings:
        print(f"warning: {warning}")
    if run.revised or run.retracted:
        print(f"revised in PubMed: {len(run.revised)}; newly retracted: {len(run.retracted)}")
    if run.missing:
        print(f"not returned by efetch (asked again next run): {', '.join(run.missing[:20])}")
    total = sum(run.requests.values())
    print(
        f"harvest: {len(run.ingest.created)} new, {len(run.ingest.updated)} updated, "
        f"{run.fetched} fetched ({run.refreshed} refreshed), {total} requests"
        + (" (dry run: nothing written)" if run.dry_run else "")
    )
    if run.summaries.mode == "llm":
        print(f"summaries: {run.summaries.summary()}")


def _load(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None) or Path("kb.yml"))


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "import-papersurfer":
            return _import_papersurfer(args)
        if args.command == "init":
            return _init(args)
        config = _load(args)
        if args.command == "ingest":
            report = pipeline.ingest(config, args.paths, args.keyword)
            print(f"ingest: {report.summary()} → {config.site_src / 'papers'}")
            for pmid, reason in report.filtered:
                print(f"  filtered out {pmid}: {reason}")
            if report.llm.mode == "llm":
                print(f"summaries: {report.llm.summary()}")
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
            print(f"build: {b.site.summary()}")
            print(render_report(b.budget))
        elif args.command == "budget":
            site = args.site_dir or (config.path.parent if config.path else Path.cwd()) / "site"
            measured = pipeline.budget(site)
            measured = dataclasses.replace(measured, limit=args.limit)
            print(render_report(measured))
            return EXIT_ERROR if measured.over else EXIT_OK
        elif args.command == "serve":
            return pipeline.serve(config, args.address)
        elif args.command == "demo":
            report, b = pipeline.demo(config, args.site_dir, force=args.force)
            print(
                "demo: built from the EMBEDDED SAMPLE (offline; abstracts not included): "
                f"{b.index.papers} papers ({report.summary()}) → {b.site_dir}"
            )
            print(render_report(b.budget))
        elif args.command == "publish":
            return _publish(config, args.step, args.since)
        elif args.command == "migrate":
            m = pipeline.migrate(config)
            print(f"migrate: {len(m.migrated)} paper pages rewritten in page format {m.to_schema}")
        elif args.command == "check-links":
            return _check_links(config, args.site_dir)
        elif args.command == "export":
            text, n = pipeline.export(config, args.format, args.topic, args.mesh)
            if args.output is None:
                sys.stdout.write(text)
            else:
                write_atomic(args.output, text)
                print(f"export: {n} papers → {args.output}", file=sys.stderr)
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted: pages already written are complete; rerun to finish", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _check_links(config: Config, site_dir: Path | None) -> int:
    site_dir = site_dir or (config.path.parent if config.path else Path.cwd()) / "site"
    report = check_site(site_dir)
    for broken in report.broken:
        print(f"  {broken}", file=sys.stderr)
    summary = f"{report.pages} pages, {report.links} internal links, {len(report.broken)} broken"
    print(f"check-links: {summary}", file=sys.stderr if report.broken else sys.stdout)
    return EXIT_OK if report.ok else EXIT_ERROR


def _import_papersurfer(args: argparse.Namespace) -> int:
    kb_path: Path | None = getattr(args, "config", None)
    old = args.from_config
    if kb_path is not None and kb_path.suffix == ".py":
        if old is not None:
            raise KBError("give Paper Surfer's config.py once: --from-config or --config")
        old, kb_path = kb_path, None
    if old is None and not args.paths:
        raise KBError("nothing to import: give note files or folders, or --from-config config.py")
    if old is None and args.output is not None:
        raise KBError("--output is where the converted config goes: use it with --from-config")
    if old is not None:
        output = args.output or kb_path or Path("kb.yml")
        conversion = pipeline.convert_papersurfer_config(old, output, force=args.force)
        print(
            f"import-papersurfer: {old} → {output}: {len(conversion.converted)} settings "
            f"converted, {len(conversion.not_converted)} not (listed at the end of the file)"
        )
        kb_path = output
    if args.paths:
        config = load_config(kb_path or Path("kb.yml"))
        report = pipeline.import_papersurfer(config, args.paths, refresh=args.refresh)
        print(f"import-papersurfer: {report.summary()} → {config.site_src / 'papers'}")
        if args.refresh:
            print(f"  refreshed from PubMed: {len(report.refreshed)}")
        for name, why in report.repaired:
            print(f"  repaired {name}: {why}")
        _print_skipped(report.skipped)
        for pmid, why in [*report.kept, *report.not_refreshed]:
            print(f"  {pmid}: {why}")
    return EXIT_OK


def _print_skipped(skipped: list[tuple[str, str]], limit: int = 20) -> None:
    """Every skipped file with its reason; past ``limit``, a count per reason and a few."""
    if len(skipped) <= limit:
        for name, why in skipped:
            print(f"  skipped {name}: {why}")
        return
    by_reason: dict[str, list[str]] = {}
    for name, why in skipped:
        by_reason.setdefault(why, []).append(name)
    for why, names in by_reason.items():
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        print(f"  skipped {len(names)} files: {why} ({shown})")


def _site(config: Config, site_dir: Path | None) -> int:
    why_not = pipeline.pubmed_reachable(config)
    if why_not is not None:
        short = why_not if len(why_not) <= 200 else why_not[:199] + "…"
        print(f"site: PubMed is not reachable ({short})")
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
    print(render_report(b.budget))
    return EXIT_OK if run.ok else EXIT_PARTIAL


def main() -> None:
    sys.exit(run())
