"""Parsed papers → paper pages in ``site_src/papers/``.

``plan_page`` is pure (old page text in, new page text out); ``ingest_papers``
does the reading and writing. A page keeps every topic that ever matched it,
its first collection date, and the user's notes; its ``updated`` date moves
only when its content really changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.config.model import Config
from generator.kb.llm_batch import SummaryReport, summarize_batch
from generator.kb.pages import (
    PageOptions,
    PageState,
    Summary,
    extract_notes,
    paper_path,
    read_page_state,
    render_paper_page,
    split_page,
)
from generator.kb.score import filter_reason, score_paper
from generator.pubmed.models import DeletedCitation, Paper
from generator.pubmed.parse import iter_records
from generator.utils.errors import PageError
from generator.utils.store import read_text, remove_files, remove_temp_files, write_atomic


@dataclass
class IngestReport:
    """What an ingest did, PMID by PMID."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    filtered: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept_deleted: list[str] = field(default_factory=list)  # deleted upstream, but has notes
    llm: SummaryReport = field(default_factory=SummaryReport)  # summary.mode: llm

    @property
    def written(self) -> list[str]:
        return self.created + self.updated

    def summary(self) -> str:
        parts = [
            f"{len(self.created)} new",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.filtered:
            parts.append(f"{len(self.filtered)} filtered out")
        if self.deleted or self.kept_deleted:
            parts.append(f"{len(self.deleted)} deleted")
        if self.kept_deleted:
            parts.append(f"{len(self.kept_deleted)} deleted upstream but kept for their notes")
        return ", ".join(parts)


def plan_page(
    paper: Paper,
    existing: str | None,
    new_keywords: Sequence[str],
    config: Config,
    today: str,
    options: PageOptions,
    first_collected: str | None = None,
    name: str = "<page>",
    summary: Summary | None = None,
    rcr: float | None = None,
) -> str:
    """The page text ``paper`` should have now (pure).

    Topics accumulate; ``collected`` never changes once set; ``updated`` becomes
    ``today`` only when anything else on the page changed.
    """
    state = read_page_state(existing, name) if existing is not None else PageState()
    if existing is None and first_collected:
        state = PageState(collected=first_collected, updated=first_collected)
    keywords = tuple(dict.fromkeys([*state.search_keywords, *new_keywords]))
    state = dataclasses.replace(state, search_keywords=keywords)
    topics = [t for t in (config.topic(k) for k in keywords) if t is not None]
    score = score_paper(paper, topics, config.scoring, config.high_impact_journals, rcr)
    text = render_paper_page(paper, state, score, today, options, summary)
    if existing is not None and text != existing:
        text = render_paper_page(
            paper, dataclasses.replace(state, updated=today), score, today, options, summary
        )
    return text


def ingest_papers(
    papers: Iterable[Paper | DeletedCitation],
    site_src: Path,
    config: Config,
    today: str,
    keywords_for: Callable[[Paper], Sequence[str]] = lambda p: (),
    options: PageOptions | None = None,
    first_collected: Mapping[str, str] | None = None,
    summaries: Mapping[str, Summary] | None = None,
    rcr: Mapping[str, float] | None = None,
) -> IngestReport:
    """Write (or leave alone) one page per paper; handle DeleteCitation entries.

    ``summaries`` (by PMID) replaces the extractive summary, e.g. with a cached
    machine-written one.
    """
    options = options or PageOptions(
        language=config.site.language, summary_max_chars=config.summary.max_chars
    )
    report = IngestReport()
    remove_temp_files(site_src / "papers")  # what a killed run left half-written
    for record in papers:
        if isinstance(record, DeletedCitation):
            _delete(site_src / paper_path(record.pmid), record.pmid, report)
            continue
        reason = filter_reason(record, config.scoring.filters)
        if reason:
            report.filtered.append((record.pmid, reason))
            continue
        path = site_src / paper_path(record.pmid)
        existing = read_text(path)
        text = plan_page(
            record,
            existing,
            keywords_for(record),
            config,
            today,
            options,
            (first_collected or {}).get(record.pmid),
            name=str(path),
            summary=(summaries or {}).get(record.pmid),
            rcr=(rcr or {}).get(record.pmid),
        )
        if text == existing:
            report.unchanged.append(record.pmid)
            continue
        write_atomic(path, text)
        (report.created if existing is None else report.updated).append(record.pmid)
    return report


def _delete(path: Path, pmid: str, report: IngestReport) -> None:
    existing = read_text(path)
    if existing is None:
        return
    _, body = split_page(existing, str(path))
    if extract_notes(body).strip():
        report.kept_deleted.append(pmid)  # never throw away what the user wrote
        return
    remove_files([path])
    report.deleted.append(pmid)


def validate_files(paths: Sequence[Path]) -> int:
    """Parse every file once, streaming, so that a broken one stops the run before
    anything is written. Returns the number of records seen."""
    return sum(sum(1 for _ in iter_records(p)) for p in paths)


def collect_xml_files(paths: Sequence[Path]) -> list[Path]:
    """Expand folders into their ``.xml`` / ``.xml.gz`` files, sorted; keep file order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(
                f for f in p.rglob("*") if f.is_file() and f.name.endswith((".xml", ".xml.gz"))
            )
        elif p.exists():
            out.append(p)
        else:
            raise PageError(f"{p}: no such file or folder")
    return out


def ingest_files(
    paths: Sequence[Path],
    config: Config,
    today: str,
    keywords: Sequence[str] = (),
    options: PageOptions | None = None,
    first_collected: Mapping[str, str] | None = None,
    keywords_by_pmid: Mapping[str, Sequence[str]] | None = None,
) -> IngestReport:
    """Ingest PubMed XML files/folders: validate all first, then write pages."""
    files = collect_xml_files(paths)
    validate_files(files)

    def keywords_for(p: Paper) -> Sequence[str]:
        return [*keywords, *((keywords_by_pmid or {}).get(p.pmid, ()))]

    def records() -> Iterable[Paper | DeletedCitation]:
        for f in files:
            yield from iter_records(f)

    summaries, llm = summarize_batch(records(), config, config.state_dir)  # llm mode only
    report = ingest_papers(
        records(), config.site_src, config, today, keywords_for, options, first_collected, summaries
    )
    report.llm = llm
    return report
