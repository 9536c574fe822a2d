"""Paper Surfer notes on disk → paper pages; its ``config.py`` → ``kb.yml``.

The reading and writing around :mod:`generator.papersurfer.notes`. Every note is read and
every page planned in memory first (and, with ``--refresh``, every record fetched),
then the pages that changed are written atomically, so a rerun leaves every page
byte-identical.

A page keeps the earliest collection date of all its notes and of the page already
on disk, every search keyword, the old scores and relevances under the frontmatter
key ``imported``, and what the user wrote (in the notes and on the page) in its Notes
section. A page that already holds PubMed's data is never overwritten with a note's
(possibly truncated) fields: the import leaves it as it is and says so, unless
``--refresh`` fetched the record again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from generator.config.model import Config
from generator.kb.pages import (
    PageOptions,
    PageState,
    paper_path,
    read_page_state,
    render_paper_page,
)
from generator.kb.score import score_paper
from generator.papersurfer.convert import ConfigConversion, convert_config
from generator.papersurfer.notes import (
    NotANote,
    Note,
    NoteGroup,
    build_paper,
    group_notes,
    merge_imported,
    merge_notes,
    parse_note,
)
from generator.papersurfer.text import decode_text
from generator.pubmed.models import Paper
from generator.pubmed.parse import parse_bytes
from generator.utils.errors import KBError, MissingRecordsError
from generator.utils.i18n import labels
from generator.utils.store import read_text, write_atomic

NOTE_SUFFIXES = (".md", ".markdown", ".txt")

Fetch = Callable[[Sequence[str]], tuple[dict[str, Paper], tuple[str, ...]]]


class _Efetcher(Protocol):
    def efetch(self, ids: Sequence[str], batch_size: int = 200) -> Any: ...


@dataclass
class ImportReport:
    """What an import did: files, notes, pages."""

    files: int = 0
    notes: list[str] = field(default_factory=list)  # names of the notes read
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    repaired: list[tuple[str, str]] = field(default_factory=list)  # (file, what)
    papers: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (pmid, why) left as it was
    refreshed: list[str] = field(default_factory=list)
    not_refreshed: list[tuple[str, str]] = field(default_factory=list)  # (pmid, why)

    @property
    def duplicates_merged(self) -> int:
        """Notes beyond the first for each paper (copies and re-runs of the old tool)."""
        return len(self.notes) - self.papers

    def summary(self) -> str:
        return (
            f"{len(self.notes)} notes read ({self.files} files, {len(self.skipped)} skipped), "
            f"{self.papers} papers ({self.duplicates_merged} duplicate notes merged), "
            f"{len(self.repaired)} with a repaired encoding; pages: {len(self.created)} new, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.kept)} left as they were"
        )


# --------------------------------------------------------------------------- reading


def collect_note_files(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """``(file, name)`` for every candidate file, sorted within each folder.

    A folder's files are named relative to the folder's parent (``notes/2025-07-15/…``),
    a file given by itself by its own name. Hidden files and folders (``.obsidian/``,
    ``.DS_Store``) are passed over.
    """
    out: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for p in paths:
        if p.is_dir():
            root = p.resolve()
            for f in sorted(root.rglob("*")):
                rel = f.relative_to(root)
                hidden = any(part.startswith(".") for part in rel.parts)
                if f.is_file() and not hidden and f not in seen:
                    seen.add(f)
                    out.append((f, f"{root.name}/{rel.as_posix()}"))
        elif p.is_file():
            if p.resolve() not in seen:
                seen.add(p.resolve())
                out.append((p.resolve(), p.name))
        else:
            raise KBError(f"{p}: no such file or folder")
    return out


def read_notes(paths: Sequence[Path], report: ImportReport) -> list[Note]:
    """Every Paper Surfer note under ``paths``; other files are skipped with a reason."""
    notes = []
    explicit = {p.resolve() for p in paths if p.is_file()}
    for path, name in collect_note_files(paths):
        report.files += 1
        if path not in explicit and path.suffix.lower() not in NOTE_SUFFIXES:
            report.skipped.append((name, f"not a {'/'.join(NOTE_SUFFIXES)} file"))
            continue
        data = path.read_bytes()
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            report.skipped.append((name, "a binary file"))
            continue
        text, repairs = decode_text(data)
        try:
            note = parse_note(text, name, folder=path.parent.name)
        except NotANote as exc:
            report.skipped.append((name, str(exc)))
            continue
        if repairs:
            report.repaired.append((name, "; ".join(repairs)))
        notes.append(note)
        report.notes.append(name)
    return notes


def fetch_papers(
    client: _Efetcher, pmids: Sequence[str], batch_size: int = 200
) -> tuple[dict[str, Paper], tuple[str, ...]]:
    """PubMed's records for ``pmids`` and the ids PubMed did not return (deleted ones)."""
    papers: dict[str, Paper] = {}
    missing: list[str] = []
    ids = list(pmids)
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        try:
            bodies = list(client.efetch(batch, batch_size=len(batch)))
        except MissingRecordsError as exc:
            bodies = [exc.document]
            missing += exc.missing_ids
        for body in bodies:
            for record in parse_bytes(body, name="efetch response"):
                if isinstance(record, Paper):
                    papers[record.pmid] = record
    return papers, tuple(missing)


# --------------------------------------------------------------------------- planning


def _holds_pubmed_data(meta: Mapping[str, Any]) -> bool:
    """Whether a page's content came from PubMed (not from a note, nor the sample)."""
    imported = meta.get("imported")
    from_note = isinstance(imported, Mapping) and imported.get("refreshed") is False
    return not (from_note or meta.get("sample"))


def plan_imported_page(
    paper: Paper,
    group: NoteGroup,
    existing: str | None,
    config: Config,
    today: str,
    options: PageOptions,
    refreshed: bool,
    name: str = "<page>",
) -> tuple[str | None, str | None]:
    """``(page text, None)``, or ``(None, why)`` when the page must stay as it is (pure).

    ``refreshed``: ``paper`` is PubMed's record, not built from the notes.
    """
    lab = labels(options.language)
    state = read_page_state(existing, name) if existing is not None else PageState()
    # A page that holds PubMed's data keeps saying so, even when these notes came offline.
    pubmed_page = existing is not None and _holds_pubmed_data(state.meta)
    imported = merge_imported(state.meta.get("imported"), group.imported(refreshed or pubmed_page))
    keywords = tuple(dict.fromkeys([*state.search_keywords, *group.search_keywords]))
    collected = min((d for d in (state.collected, group.collected) if d), default=today)
    notes = merge_notes(state.notes, group.user_texts(), lab["imported_note_from"])
    if pubmed_page and not refreshed:
        old = state.meta.get("imported")
        if (
            old == imported
            and keywords == state.search_keywords
            and collected == state.collected
            and notes == state.notes
        ):
            return existing, None
        return None, (
            "the page holds PubMed's data; import with --refresh to add these notes' "
            "history, keywords and text to it"
        )
    updated = state.updated or (today if refreshed else group.last_collected) or today
    state = PageState(
        search_keywords=keywords,
        collected=collected,
        updated=updated,
        notes=notes,
        meta={"imported": imported},
    )
    topics = [t for t in (config.topic(k) for k in keywords) if t is not None]
    score = score_paper(paper, topics, config.scoring, config.high_impact_journals)
    options = dataclasses.replace(options, notice=None if refreshed else lab["imported_notice"])
    text = render_paper_page(paper, state, score, today, options)
    if existing is not None and text != existing:
        state = dataclasses.replace(state, updated=today)
        text = render_paper_page(paper, state, score, today, options)
    return text, None


def import_notes(
    paths: Sequence[Path], config: Config, today: str, fetch: Fetch | None = None
) -> ImportReport:
    """Paper Surfer notes (files or folders) → one page per PMID in ``site_src/papers``.

    ``fetch`` (``--refresh``) returns PubMed's records for the PMIDs and the ids it did
    not return; those pages are then built from PubMed's data instead of the notes'.
    """
    report = ImportReport()
    groups = group_notes(read_notes(paths, report))
    report.papers = len(groups)
    fetched: dict[str, Paper] = {}
    if fetch is not None and groups:
        fetched, missing = fetch([g.pmid for g in groups])
        report.not_refreshed += [
            (pmid, "PubMed did not return it (deleted?); built from the note") for pmid in missing
        ]
    options = PageOptions(language=config.site.language, summary_max_chars=config.summary.max_chars)
    plans: list[tuple[str, Path, str | None, str]] = []
    for group in groups:
        refreshed = group.pmid in fetched
        paper = fetched[group.pmid] if refreshed else build_paper(group.source)
        path = config.site_src / paper_path(group.pmid)
        existing = read_text(path)
        text, why = plan_imported_page(
            paper, group, existing, config, today, options, refreshed, name=str(path)
        )
        if why is not None:
            report.kept.append((group.pmid, why))
            continue
        if refreshed:
            report.refreshed.append(group.pmid)
        plans.append((group.pmid, path, existing, text))  # type: ignore[arg-type]
    for pmid, path, existing, text in plans:
        if text == existing:
            report.unchanged.append(pmid)
            continue
        write_atomic(path, text)
        (report.created if existing is None else report.updated).append(pmid)
    return report


# --------------------------------------------------------------------------- config.py


def write_converted_config(source: Path, output: Path, force: bool = False) -> ConfigConversion:
    """Convert Paper Surfer's ``config.py`` at ``source`` into ``kb.yml`` at ``output``.

    Refuses to overwrite ``output`` unless ``force``. The old file is read, never run.
    """
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise KBError(f"{source}: no such file") from None
    if output.exists() and not force:
        raise KBError(f"{output} already exists; pass --force to overwrite it")
    text, _ = decode_text(data)
    conversion = convert_config(text, source.name)
    write_atomic(output, conversion.yaml_text)
    return conversion
