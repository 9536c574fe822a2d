"""Citation signals of the knowledge base's papers, kept in ``state/citations.jsonl``.

A harvest asks iCite (``generator.pubmed.icite``) for the papers that are *due*: those it has never
asked about (new papers), papers published in the last ``recent_years`` whose signals are
older than ``refresh_days`` (their counts move), and older papers after
``old_refresh_days``. The answers (citation count, RCR and NIH percentile, clinical
citations, the PMIDs each paper cites) are kept one JSON line per paper, sorted by PMID, so
a weekly commit of ``state/`` changes only the lines that changed. A failing iCite never
fails the harvest: the papers answered so far are kept, the others keep their last values,
and the run record (status page) says what went wrong.

``due`` is pure; ``load_signals``/``save_signals`` read and write the file;
``update_signals`` talks to iCite through the client it is given.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from generator.config.model import CitationsConfig
from generator.pubmed.icite import IciteClient
from generator.utils.errors import KBError
from generator.utils.store import read_text, write_if_changed

logger = logging.getLogger(__name__)

SIGNALS_FILE = "citations.jsonl"
SWITCH = "KB_CITATIONS"  # "off": skip iCite for this run (offline work, tests)
URL_VARIABLE = "ICITE_URL"  # a mirror or a local stand-in instead of citations.url


def switched_off() -> bool:
    return os.environ.get(SWITCH, "").strip().lower() in ("off", "0", "false", "no")


def icite_url(config: CitationsConfig) -> str:
    return os.environ.get(URL_VARIABLE) or config.url


def load_signals(state_dir: Path) -> dict[str, dict[str, Any]]:
    """Every paper's last signals by PMID (a line that cannot be read is skipped)."""
    text = read_text(state_dir / SIGNALS_FILE) or ""
    found: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and str(record.get("pmid", "")).isdigit():
            found[str(record["pmid"])] = record
    return found


def known_rcr(signals: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """The Relative Citation Ratio of each paper that has one, by PMID (pure)."""
    out = {}
    for pmid, record in signals.items():
        rcr = record.get("rcr")
        if isinstance(rcr, (int, float)) and not isinstance(rcr, bool):
            out[pmid] = float(rcr)
    return out


def save_signals(state_dir: Path, signals: Mapping[str, Mapping[str, Any]]) -> bool:
    """Write the signals, one line per paper in PMID order (atomic; False if unchanged)."""
    lines = [
        json.dumps(dict(signals[p]), ensure_ascii=False, sort_keys=True)
        for p in sorted(signals, key=int)
    ]
    return write_if_changed(state_dir / SIGNALS_FILE, "".join(f"{x}\n" for x in lines))


def due(
    metas: Mapping[str, Mapping[str, Any]],
    signals: Mapping[str, Mapping[str, Any]],
    today: dt.date,
    config: CitationsConfig,
) -> list[str]:
    """The PMIDs to ask iCite about this run: never asked first, then the stalest (pure)."""
    never: list[str] = []
    stale: list[tuple[str, str]] = []
    for pmid, meta in metas.items():
        record = signals.get(pmid)
        taken = _date(record.get("taken")) if record else None
        if taken is None:
            never.append(pmid)
            continue
        year = meta.get("year")
        recent = not isinstance(year, int) or today.year - year <= config.recent_years
        limit = config.refresh_days if recent else config.old_refresh_days
        if (today - taken).days >= limit:
            stale.append((taken.isoformat(), pmid))
    return sorted(never, key=int) + [p for _, p in sorted(stale, key=lambda t: (t[0], int(t[1])))]


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


@dataclass
class SignalsRun:
    """What one harvest did about citation signals (its run record's ``citations``)."""

    asked: int = 0
    updated: int = 0
    unknown: list[str] = field(default_factory=list)  # PMIDs iCite has no record of
    requests: int = 0
    retries: int = 0
    error: str | None = None
    skipped: str | None = None

    def as_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "asked": self.asked,
            "updated": self.updated,
            "unknown": len(self.unknown),
            "requests": self.requests,
            "retries": self.retries,
        }
        if self.error:
            record["error"] = self.error
        if self.skipped:
            record["skipped"] = self.skipped
        return record


def update_signals(
    state_dir: Path,
    metas: Mapping[str, Mapping[str, Any]],
    client: IciteClient,
    today: dt.date,
    config: CitationsConfig,
) -> SignalsRun:
    """Ask iCite for the due papers and keep the answers; never raises for iCite's
    trouble (the run says what happened, the last values stay)."""
    signals = load_signals(state_dir)
    todo = due(metas, signals, today, config)
    run = SignalsRun(asked=len(todo))
    taken = today.isoformat()
    try:
        for batch in client.fetch(todo, config.batch_size):
            for pmid, found in batch.found.items():
                signals[pmid] = {"pmid": pmid, "taken": taken, **found.as_record()}
                run.updated += 1
            for pmid in batch.missing:
                # asked and unknown: asked again on the same cadence, last values kept
                signals[pmid] = {**signals.get(pmid, {}), "pmid": pmid, "taken": taken}
                signals[pmid]["unknown"] = True
                run.unknown.append(pmid)
    except (KBError, requests.RequestException, ValueError) as exc:
        run.error = str(exc)
        logger.warning("citation signals: %s (the last values are kept)", exc)
    run.requests, run.retries = client.requests, client.retries
    for pmid in list(signals):
        if pmid not in metas:
            del signals[pmid]  # papers no longer in the knowledge base
    save_signals(state_dir, signals)
    return run


def citation_graph(
    signals: Mapping[str, Mapping[str, Any]], pmids: set[str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The knowledge base's own citation graph from the papers' references (pure): for each
    paper, the papers of ``pmids`` it cites and those that cite it, in PMID order. A paper
    added later is linked from the papers already here that cite it, as their references
    are kept whole."""
    cites: dict[str, list[str]] = {}
    cited_by: dict[str, list[str]] = {}
    for pmid in sorted(pmids, key=int):
        record = signals.get(pmid) or {}
        refs = record.get("references") or []
        here = sorted({str(r) for r in refs if str(r) in pmids and str(r) != pmid}, key=int)
        if here:
            cites[pmid] = here
            for target in here:
                cited_by.setdefault(target, []).append(pmid)
    return cites, cited_by
