"""The harvester's memory on disk: per-topic state and the log of run records.

``state/harvest.json`` (committed with the pages) says, per topic, which query was
harvested, on which date type and up to which day it succeeded, and which PMIDs efetch
withheld (retried on later runs, given up after ``harvest.missing_give_up_runs``);
``state/runs.jsonl`` holds one JSON record per run for the status page. Both are
written atomically, sorted, and never contain the API key (nothing secret is passed in).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generator.utils.errors import KBError
from generator.utils.store import read_text, write_atomic

STATE_FILE = "harvest.json"
RUNS_FILE = "runs.jsonl"
STATE_VERSION = 1


@dataclass(frozen=True)
class TopicState:
    query_sha: str
    first_day: str  # start of the first window harvested for this query
    last_success: str  # the last day (window end) harvested completely
    # The date type of that window. A state written before crdt became the default has
    # none (it was edat); a window continues from last_success whatever the type, so a
    # change of type leaves no gap and starts no full re-harvest.
    datetype: str = ""


@dataclass(frozen=True)
class MissingRecord:
    """A PMID a topic matched that efetch did not return."""

    first_seen: str  # the day of the run that first missed it
    runs: int  # runs that asked for it and did not get it
    topics: tuple[str, ...]  # the topics that matched it (its page's search keywords)
    given_up: str = ""  # the day it stopped being asked for, once runs reached the limit


@dataclass
class HarvestState:
    topics: dict[str, TopicState] = field(default_factory=dict)
    missing: dict[str, MissingRecord] = field(default_factory=dict)

    def retry_ids(self) -> list[str]:
        """Withheld PMIDs still to ask for (not given up), in PMID order."""
        return sorted((p for p, m in self.missing.items() if not m.given_up), key=int)


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
            name: TopicState(
                t["query_sha"], t["first_day"], t["last_success"], t.get("datetype", "")
            )
            for name, t in data.get("topics", {}).items()
        }
        missing = {
            pmid: MissingRecord(
                m["first_seen"], int(m["runs"]), tuple(m.get("topics", ())), m.get("given_up", "")
            )
            for pmid, m in data.get("missing", {}).items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KBError(f"{path}: unreadable harvest state ({exc}); fix or delete it") from None
    return HarvestState(topics, missing)


def save_state(state_dir: Path, state: HarvestState) -> None:
    data: dict[str, Any] = {
        "version": STATE_VERSION,
        "topics": {name: asdict(t) for name, t in sorted(state.topics.items())},
    }
    if state.missing:
        data["missing"] = {
            pmid: {**asdict(m), "topics": list(m.topics)}
            for pmid, m in sorted(state.missing.items(), key=lambda kv: int(kv[0]))
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
