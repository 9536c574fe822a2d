"""What a harvest asks PubMed for (pure): each topic's date window, which stored papers are
due a refresh, which PMIDs to fetch, and whether PubMed widened a query.

:mod:`generator.kb.harvest` runs the plan: searches, fetches and writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.config.model import HarvestConfig, Topic
from generator.kb.state import (
    MissingRecord,
    TopicState,
    query_sha,
)
from generator.pubmed.protocol import SearchOutcome

# ErrorList/WarningList entries that mean PubMed searched something other than the query.
WIDENING = ("PhraseNotFound", "FieldNotFound", "QuotedPhraseNotFound")


# MEDLINE statuses of records whose MeSH indexing is still to come.
AWAITING_INDEXING = frozenset({"In-Process", "In-Data-Review", "Publisher", "In-Process-NLM"})
NEVER_INDEXED = frozenset({"PubMed-not-MEDLINE", "OLDMEDLINE"})


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date
    datetype: str

    def as_dict(self) -> dict[str, str]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "datetype": self.datetype,
        }


def topic_window(
    topic: Topic,
    state: TopicState | None,
    harvest: HarvestConfig,
    today: dt.date,
    since: dt.date | None = None,
) -> Window:
    """The date window to search for ``topic`` this run (pure).

    ``since`` (the command line's ``--since``) wins; a fixed ``pdat`` range is searched
    whole every run; otherwise a topic continues from its last success minus the
    overlap, unless its query changed, when it starts again from the beginning.
    """
    if harvest.datetype == "pdat" and harvest.until is not None:
        start = since or harvest.since or harvest.until - dt.timedelta(days=harvest.lookback_days)
        return Window(start, harvest.until, "pdat")
    first = harvest.since or today - dt.timedelta(days=harvest.lookback_days)
    if since is not None:
        start = since
    elif state is not None and state.query_sha == query_sha(topic.query):
        last = dt.date.fromisoformat(state.last_success)
        start = max(first, last - dt.timedelta(days=harvest.overlap_days))
        start = min(start, last)
    else:
        start = first
    return Window(min(start, today), today, harvest.datetype)


def needs_refresh(meta: Mapping[str, Any], today: dt.date, refresh_days: int) -> bool:
    """True for a page still awaiting MeSH indexing whose Entrez date is recent (pure)."""
    if meta.get("sample"):
        return False
    status = meta.get("citation_status")
    if status in NEVER_INDEXED:
        return False
    if status not in AWAITING_INDEXING and meta.get("mesh"):
        return False
    added = meta.get("entrez_date") or meta.get("collected")
    try:
        added_day = dt.date.fromisoformat(str(added)[:10])
    except ValueError:
        return False
    return (today - added_day).days <= refresh_days


@dataclass(frozen=True)
class FetchPlan:
    new: tuple[str, ...]
    retopic: tuple[str, ...]  # on disk, but a topic it did not list matched it
    refresh: tuple[str, ...]  # on disk, awaiting MeSH indexing
    revise: tuple[str, ...] = ()  # on disk, modified in PubMed since the last run
    retry: tuple[str, ...] = ()  # withheld by efetch on an earlier run

    @property
    def all(self) -> list[str]:
        return sorted({*self.new, *self.retopic, *self.refresh, *self.revise, *self.retry}, key=int)


def plan_fetch(
    matched: Mapping[str, set[str]],
    pages: Mapping[str, Mapping[str, Any]],
    today: dt.date,
    refresh_days: int,
    revised: Iterable[str] = (),
    retry: Iterable[str] = (),
) -> FetchPlan:
    """Which PMIDs to fetch, each once (pure). ``revised``: PMIDs PubMed modified lately
    (only those with a page count); ``retry``: PMIDs efetch withheld before."""
    new, retopic = [], []
    for pmid, topics in matched.items():
        meta = pages.get(pmid)
        if meta is None or meta.get("sample"):
            new.append(pmid)
        elif not topics <= set(meta.get("search_keywords") or []):
            retopic.append(pmid)
    planned = {*new, *retopic}
    refresh = [
        pmid
        for pmid, meta in pages.items()
        if pmid not in planned and needs_refresh(meta, today, refresh_days)
    ]
    planned.update(refresh)
    revise = sorted(
        {p for p in revised if p in pages and not pages[p].get("sample")} - planned, key=int
    )
    again = sorted(set(retry) - planned - set(revise), key=int)
    return FetchPlan(
        tuple(sorted(new, key=int)),
        tuple(sorted(retopic, key=int)),
        tuple(refresh),
        tuple(revise),
        tuple(again),
    )


def query_problems(outcome: SearchOutcome) -> list[str]:
    """The ErrorList/WarningList entries that say PubMed widened the query (pure)."""
    return [e for e in (*outcome.errors, *outcome.warnings) if e.split(":", 1)[0] in WIDENING]


def widened_message(problems: Sequence[str], translation: str | None) -> str:
    """Why a topic whose query PubMed widened was not harvested (pure)."""
    searched = f"“{translation}”" if translation else "what was left of it"
    return (
        f"PubMed did not run the query as written ({'; '.join(problems)}) and searched "
        f"{searched} instead: fix the query, or set allow_query_warnings: true on the "
        "topic to accept the widened search"
    )


def update_missing(
    missing: Mapping[str, MissingRecord],
    received: Iterable[str],
    withheld: Iterable[str],
    matched: Mapping[str, set[str]],
    today: dt.date,
    give_up_runs: int,
) -> dict[str, MissingRecord]:
    """The withheld-PMID ledger after a run (pure): PMIDs ``received`` leave it; PMIDs
    withheld again count one more run and are given up at ``give_up_runs``."""
    out = dict(missing)
    withheld = set(withheld)
    for pmid in set(received) - withheld:
        out.pop(pmid, None)
    for pmid in withheld:
        old = out.get(pmid)
        runs = (old.runs if old else 0) + 1
        topics = tuple(sorted({*(old.topics if old else ()), *matched.get(pmid, ())}))
        first = old.first_seen if old else today.isoformat()
        given_up = today.isoformat() if runs >= give_up_runs else ""
        out[pmid] = MissingRecord(first, runs, topics, given_up)
    return out
