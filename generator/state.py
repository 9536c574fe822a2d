"""The harvester's memory on disk: per-topic state and the log of run records.

``state/harvest.json`` (committed with the pages) says, per topic, which query was
harvested and up to which day it succeeded; ``state/runs.jsonl`` holds one JSON
record per run for the status page. Both are written atomically, sorted, and
never contain the API key (nothing secret is ever passed in).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import KBError
from generator.store import read_text, write_atomic

STATE_FILE = "harvest.json"
RUNS_FILE = "runs.jsonl"
STATE_VERSION = 1


@dataclass(frozen=True)
class TopicState:
    query_sha: str
    first_day: str  # start of the first window harvested for this query
    last_success: str  # the last day (window end) harvested completely


@dataclass
class HarvestState:
    topics: dict[str, TopicState] = field(default_factory=dict)


def query_sha(query: str) -> str:
    """A short fingerprint of a topic's query (whitespace-insensitive)."""
    return hashlib.sha256(" ".join(query.split()).encode()).hexdigest()[:16]


def load_state(state_dir: Path) -> HarvestState:
    path = state_dir / STATE_FILE
    text = read_text(path)
    if text is None:
        return HarvestState()
    try:
        data = json.loads(text)
        topics = {
            name: TopicState(t["query_sha"], t["first_day"], t["last_success"])
            for name, t in data.get("topics", {}).items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KBError(f"{path}: unreadable harvest state ({exc}); fix or delete it") from None
    return HarvestState(topics)


def save_state(state_dir: Path, state: HarvestState) -> None:
    data = {
        "version": STATE_VERSION,
        "topics": {name: asdict(t) for name, t in sorted(state.topics.items())},
    }
    write_atomic(state_dir / STATE_FILE, json.dumps(data, indent=2, sort_keys=True) + "\n")


def append_run_record(state_dir: Path, record: dict[str, Any]) -> None:
    """Add one run record (a JSON line); the file is rewritten atomically."""
    path = state_dir / RUNS_FILE
    old = read_text(path) or ""
    line = json.dumps(record, sort_keys=True, ensure_ascii=False)
    write_atomic(path, old + line + "\n")


def load_run_records(state_dir: Path) -> list[dict[str, Any]]:
    """Every run record, oldest first; a damaged line is reported, not skipped."""
    path = state_dir / RUNS_FILE
    records = []
    for number, line in enumerate((read_text(path) or "").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            raise KBError(f"{path}: line {number}: not JSON ({exc})") from None
    return records
