"""The library behind each CLI command: config in, a report out.

Order of work, top to bottom: parse → score/render → write pages → index → site.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.config.model import Config
from generator.kb.catalog import paper_metas
from generator.kb.citations import icite_url, load_signals, switched_off, update_signals
from generator.kb.harvest import HarvestRun
from generator.kb.harvest import harvest as run_harvest
from generator.kb.ingest import IngestReport, ingest_files
from generator.kb.pages import PageOptions, split_page
from generator.kb.rescore import rescore_pages
from generator.kb.upgrade import MigrationReport, migrate_kb, write_record
from generator.papersurfer.convert import ConfigConversion
from generator.papersurfer.importer import (
    ImportReport,
    fetch_papers,
    import_notes,
    write_converted_config,
)
from generator.pubmed.eutils import EutilsClient, client_from_env
from generator.pubmed.icite import IciteClient
from generator.sample import load_sample
from generator.site.budget import SiteBudget, measure_site
from generator.site.build import SiteBuild, build_site, serve_site
from generator.site.exports import mesh_groups, read_papers, render_export, topic_groups
from generator.site.index import IndexReport, write_index_pages
from generator.utils.clock import Clock, system_clock
from generator.utils.errors import KBError
from generator.utils.store import iter_pages, remove_files

log = logging.getLogger(__name__)


def ingest(
    config: Config,
    paths: Sequence[Path],
    keywords: Sequence[str] = (),
    clock: Clock | None = None,
) -> IngestReport:
    """PubMed XML files or folders → paper pages (all files validated before any write);
    ``clock`` (default: :func:`~generator.utils.clock.system_clock`) dates new pages."""
    unknown = [k for k in keywords if config.topic(k) is None]
    if unknown:
        names = ", ".join(t.name for t in config.topics)
        raise KBError(f"--keyword {unknown[0]!r} is not a topic in {config.path} (topics: {names})")
    canonical = [config.topic(k).name for k in keywords]  # type: ignore[union-attr]
    return ingest_files(paths, config, (clock or system_clock()).today_iso(), canonical)


def migrate(config: Config) -> MigrationReport:
    """Bring the paper pages an older tool wrote to this tool's page format (or refuse,
    saying what to install, when a newer tool wrote them)."""
    return migrate_kb(config.site_src, config.state_dir, paper_metas(config.site_src))


def current_metas(
    config: Config, digests: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """The paper pages' frontmatter by PMID, every page in this tool's format (their
    content digests into ``digests`` when given)."""
    metas = paper_metas(config.site_src, digests)
    report = migrate_kb(config.site_src, config.state_dir, metas)
    if report.migrated:
        log.warning(
            "migrated %d paper pages to page format %d (commit them)",
            len(report.migrated),
            report.to_schema,
        )
        metas = paper_metas(config.site_src, digests)
    return metas


def index(config: Config) -> IndexReport:
    """Grouping pages from the paper pages on disk."""
    return write_index_pages(config.site_src, config, current_metas(config))


@dataclass(frozen=True)
class BuildReport:
    index: IndexReport
    site: SiteBuild
    budget: SiteBudget

    @property
    def site_dir(self) -> Path:
        return self.site.site_dir


def build(config: Config, site_dir: Path | None = None) -> BuildReport:
    """Index, then ``mkdocs build --strict`` and the rest of the site; measure its bytes."""
    digests: dict[str, str] = {}  # the pages' content: keys of their cite.json
    metas = current_metas(config, digests)  # read once for the index and the citations
    signals = load_signals(config.state_dir)  # likewise the citation signals
    report = write_index_pages(config.site_src, config, metas, signals)
    papers = list(metas.values())
    built = build_site(config, site_dir, papers=papers, signals=signals, page_keys=digests)
    write_record(config.state_dir)  # this tool and page format built it last
    return BuildReport(report, built, measure_site(built.site_dir))


def budget(site_dir: Path) -> SiteBudget:
    """The byte budget of a built site."""
    if not site_dir.is_dir():
        raise KBError(f"{site_dir}: no built site (run python -m generator build)")
    return measure_site(site_dir)


def export(
    config: Config, fmt: str, topic: str | None = None, mesh: str | None = None
) -> tuple[str, int]:
    """Every paper of the knowledge base (or of one topic or MeSH term) as one BibTeX, RIS
    or CSL-JSON text; returns the text and the number of papers."""
    papers = read_papers(config.site_src)
    if topic is not None:
        known = config.topic(topic)
        name = known.name if known else topic
        papers = topic_groups(papers, config).get(name, [])
        if known is None and not papers:
            names = ", ".join(t.name for t in config.topics)
            raise KBError(f"--topic {topic!r}: no such topic (topics: {names})")
    if mesh is not None:
        groups = mesh_groups(papers)
        if mesh not in groups:
            raise KBError(f"--mesh {mesh!r}: no paper here has this MeSH descriptor")
        papers = groups[mesh]
    return render_export(papers, fmt, config.site.language), len(papers)


def real_papers(site_src: Path) -> list[str]:
    """PMIDs of pages that did not come from the embedded sample."""
    found = []
    for path in iter_pages(site_src / "papers"):
        if path.stem.isdigit():
            meta, _ = split_page(path.read_text(encoding="utf-8"), str(path))
            if not meta.get("sample"):
                found.append(path.stem)
    return found


def demo(
    config: Config, site_dir: Path | None = None, force: bool = False
) -> tuple[IngestReport, BuildReport]:
    """Build the site from the embedded sample (no network, no key)."""
    existing = real_papers(config.site_src)
    if existing and not force:
        raise KBError(
            f"{config.site_src} already holds {len(existing)} harvested papers; the demo "
            "would mix sample pages into them. Use another --config (paths.site_src) "
            "or pass --force."
        )
    sample = load_sample()
    options = PageOptions(
        language=config.site.language,
        summary_max_chars=config.summary.max_chars,
        abstract_omitted=True,
        sample=True,
    )
    # Dates come from the sample, so the demo's pages are the same on any day.
    today = max(sample.collected.values())
    report = ingest_files(
        [sample.xml_path],
        config,
        today,
        options=options,
        first_collected=sample.collected,
        keywords_by_pmid=sample.topics_by_pmid,
    )
    return report, build(config, site_dir)


def serve(config: Config, address: str, site_dir: Path | None = None) -> int:
    """Build, then serve ``site/`` locally (search works over http only)."""
    return serve_site(build(config, site_dir).site_dir, address)


def make_client(config: Config, **kwargs: object) -> EutilsClient:
    """An E-utilities client from the config and the environment (NCBI_* variables)."""
    kwargs.setdefault("retry_budget_s", config.harvest.retry_budget_s)
    return client_from_env(config.eutils_url, config.email, **kwargs)


def harvest(
    config: Config,
    topics: Sequence[str] = (),
    since: dt.date | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] = print,
    client: EutilsClient | None = None,
    clock: Clock | None = None,
    icite: IciteClient | None = None,
) -> HarvestRun:
    """Search PubMed for every topic and write new and changed pages, then update the
    citation signals (``icite``: a client for them, else one made from kb.yml)."""
    if not dry_run:
        current_metas(config)  # pages of an older format first: the run commits them
    with client or make_client(config) as c:
        run = run_harvest(
            config,
            c,
            clock or system_clock(),
            topic_names=topics,
            since=since,
            dry_run=dry_run,
            progress=progress,
            signals=None if dry_run else citation_step(config, icite),
        )
    if not dry_run:
        write_record(config.state_dir)
    return run


def citation_step(
    config: Config, icite: IciteClient | None = None
) -> Callable[[dt.date], dict[str, Any]] | None:
    """The harvest's last step: citation signals for the papers due (None when kb.yml's
    ``citations.enabled`` is false, or ``KB_CITATIONS=off`` and no client is given)."""
    if not config.citations.enabled or (icite is None and switched_off()):
        return None

    def step(today: dt.date) -> dict[str, Any]:
        with icite or IciteClient(icite_url(config.citations)) as c:
            metas = paper_metas(config.site_src)
            record = update_signals(config.state_dir, metas, c, today, config.citations)
        out = record.as_record()
        if config.scoring.weights.citations:  # the citation rule: pages whose points moved
            rescored = rescore_pages(config, metas, load_signals(config.state_dir))
            out["rescored"] = len(rescored)
        return out

    return step


def pubmed_reachable(config: Config) -> str | None:
    """``None`` when E-utilities answers a trivial search, else why not."""
    try:
        with make_client(config, max_retries=0, timeout=10) as c:
            c.esearch("pubmed[sb]", retmax=0, usehistory=False)
    except KBError as exc:
        return str(exc)
    return None


def remove_sample_pages(site_src: Path) -> int:
    """Delete the embedded sample's pages (before real papers are harvested)."""
    doomed = []
    for path in iter_pages(site_src / "papers"):
        if path.stem.isdigit():
            meta, _ = split_page(path.read_text(encoding="utf-8"), str(path))
            if meta.get("sample"):
                doomed.append(path)
    return remove_files(doomed)


def import_papersurfer(
    config: Config,
    paths: Sequence[Path],
    refresh: bool = False,
    client: EutilsClient | None = None,
    clock: Clock | None = None,
) -> ImportReport:
    """Paper Surfer notes (files or folders) → paper pages, one per PMID.

    With ``refresh``, each paper's record is fetched from PubMed first (all of them
    before any page is written), so titles and abstracts the old tool cut short are whole.
    """
    today = (clock or system_clock()).today_iso()
    if not refresh:
        return import_notes(paths, config, today)
    with client or make_client(config) as c:
        return import_notes(
            paths, config, today, fetch=lambda ids: fetch_papers(c, ids, config.harvest.batch_size)
        )


def convert_papersurfer_config(source: Path, output: Path, force: bool = False) -> ConfigConversion:
    """Paper Surfer's ``config.py`` (read with ``ast``, never run) → a commented ``kb.yml``."""
    return write_converted_config(source, output, force)
