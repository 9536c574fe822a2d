"""Keep the knowledge base current from PubMed: search every topic, fetch each PMID once.

Order of a run:
1. per topic, its date window (:func:`topic_window`, pure) and every matching PMID
   (``esearch``, split by date when PubMed would list only 9,999);
2. which PMIDs need fetching (:func:`plan_fetch`, pure): new ones, ones a new topic
   matched, and ones still awaiting MeSH indexing within ``refresh_days``;
3. ``efetch`` in batches, each batch parsed and written as pages at once;
4. each topic's state advanced only when its pages are all written; a run record appended.

One failing topic does not lose the others' work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from generator.catalog import paper_metas
from generator.clock import Clock
from generator.config import Config, HarvestConfig, Topic
from generator.errors import KBError, MissingRecordsError
from generator.ingest import IngestReport, ingest_papers
from generator.llm import SummaryReport, summarize_batch
from generator.models import Paper
from generator.parse import parse_bytes
from generator.state import (
    HarvestState,
    TopicState,
    append_run_record,
    load_state,
    query_sha,
    save_state,
)

# MEDLINE statuses of records whose MeSH indexing is still to come.
AWAITING_INDEXING = frozenset({"In-Process", "In-Data-Review", "Publisher", "In-Process-NLM"})
NEVER_INDEXED = frozenset({"PubMed-not-MEDLINE", "OLDMEDLINE"})


class Client(Protocol):
    """What the harvester needs from :class:`generator.eutils.EutilsClient`."""

    def search_ids_split(
        self, term: str, mindate: dt.date, maxdate: dt.date, datetype: str = "edat"
    ) -> list[str]: ...

    def efetch(self, ids: Sequence[str], batch_size: int = 200) -> Iterable[bytes]: ...


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


@dataclass
class TopicResult:
    name: str
    query: str
    window: Window
    hits: int = 0
    new: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "query": self.query,
            "window": self.window.as_dict(),
            "hits": self.hits,
            "new": self.new,
            "updated": self.updated,
            "errors": self.errors,
            "ok": self.ok,
        }


@dataclass
class HarvestRun:
    started: str
    finished: str = ""
    dry_run: bool = False
    topics: list[TopicResult] = field(default_factory=list)
    fetched: int = 0
    refreshed: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)
    requests: dict[str, int] = field(default_factory=dict)
    summaries: SummaryReport = field(default_factory=SummaryReport)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.topics)

    def as_record(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "finished": self.finished,
            "ok": self.ok,
            "dry_run": self.dry_run,
            "fetched": self.fetched,
            "refreshed": self.refreshed,
            "new": len(self.ingest.created),
            "updated": len(self.ingest.updated),
            "requests": dict(sorted(self.requests.items())),
            "topics": [t.as_record() for t in self.topics],
            **({"summaries": self.summaries.as_record()} if self.summaries.mode == "llm" else {}),
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
    refresh: tuple[str, ...]

    @property
    def all(self) -> list[str]:
        return sorted({*self.new, *self.retopic, *self.refresh}, key=int)


def plan_fetch(
    matched: Mapping[str, set[str]],
    pages: Mapping[str, Mapping[str, Any]],
    today: dt.date,
    refresh_days: int,
) -> FetchPlan:
    """Which PMIDs to fetch, each once (pure)."""
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
    return FetchPlan(tuple(sorted(new, key=int)), tuple(sorted(retopic, key=int)), tuple(refresh))


def load_page_meta(site_src: Path) -> dict[str, dict[str, Any]]:
    """Frontmatter of every paper page, by PMID."""
    return paper_metas(site_src)


def harvest(
    config: Config,
    client: Client,
    clock: Clock,
    *,
    topic_names: Sequence[str] = (),
    since: dt.date | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> HarvestRun:
    """One harvest run over the configured topics (or ``topic_names``); ``clock`` gives
    today's date (the windows' end, new pages' dates) and the run record's times."""
    topics = _select_topics(config, topic_names)
    state = load_state(config.state_dir)
    today = clock.today()
    run = HarvestRun(started=clock.timestamp(), dry_run=dry_run)

    matched: dict[str, set[str]] = {}
    for topic in topics:
        window = topic_window(topic, state.topics.get(topic.name), config.harvest, today, since)
        result = TopicResult(topic.name, topic.query, window)
        run.topics.append(result)
        try:
            ids = client.search_ids_split(topic.query, window.start, window.end, window.datetype)
        except KBError as exc:
            result.errors.append(str(exc))
            progress(f"{topic.name}: search failed: {exc}")
            continue
        if topic.max_results is not None:
            ids = ids[: topic.max_results]
        result.ids, result.hits = list(ids), len(ids)
        for pmid in ids:
            matched.setdefault(pmid, set()).add(topic.name)
        progress(
            f"{topic.name}: {len(ids)} hits in {window.start}..{window.end} ({window.datetype})"
        )

    pages = load_page_meta(config.site_src)
    plan = plan_fetch(matched, pages, today, config.harvest.refresh_days)
    progress(
        f"to fetch: {len(plan.all)} ({len(plan.new)} new, {len(plan.retopic)} with a new topic, "
        f"{len(plan.refresh)} awaiting MeSH)"
    )
    if dry_run:
        run.finished = clock.timestamp()
        return run

    _fetch_and_write(config, client, plan, matched, today, run, progress)
    _tally(run)
    _advance_state(config, state, run, topics)
    run.requests = _requests(client)
    run.finished = clock.timestamp()
    append_run_record(config.state_dir, run.as_record())
    return run


def _select_topics(config: Config, names: Sequence[str]) -> list[Topic]:
    if not names:
        return list(config.topics)
    chosen = []
    for name in names:
        topic = config.topic(name)
        if topic is None:
            known = ", ".join(t.name for t in config.topics)
            raise KBError(f"--topic {name!r} is not in {config.path} (topics: {known})")
        chosen.append(topic)
    return chosen


def _fetch_and_write(
    config: Config,
    client: Client,
    plan: FetchPlan,
    matched: Mapping[str, set[str]],
    today: dt.date,
    run: HarvestRun,
    progress: Callable[[str], None],
) -> None:
    """Fetch the planned PMIDs batch by batch, writing each batch's pages at once.

    A failed batch is recorded against the topics that matched its PMIDs (so their
    state does not advance), and the other batches go on.
    """
    todo = plan.all
    size = config.harvest.batch_size
    refresh = set(plan.refresh)
    for start in range(0, len(todo), size):
        batch = todo[start : start + size]
        try:
            bodies = list(client.efetch(batch, batch_size=size))
        except MissingRecordsError as exc:
            bodies = [exc.document]
            _record_fetch_error(run, matched, set(exc.missing_ids), "not returned by efetch")
        except KBError as exc:
            _record_fetch_error(run, matched, set(batch), str(exc))
            progress(f"efetch failed for {batch[0]}..{batch[-1]}: {exc}")
            continue
        for body in bodies:
            records = [r for r in parse_bytes(body, name="efetch response") if isinstance(r, Paper)]
            summaries, llm = summarize_batch(records, config, config.state_dir)
            run.summaries.merge(llm)
            report = ingest_papers(
                records,
                config.site_src,
                config,
                today.isoformat(),
                keywords_for=lambda p: sorted(matched.get(p.pmid, ())),
                summaries=summaries,
            )
            _merge(run.ingest, report)
            run.fetched += len(records)
            run.refreshed += sum(1 for r in records if r.pmid in refresh)
        progress(f"fetched {min(start + size, len(todo))}/{len(todo)}")


def _record_fetch_error(
    run: HarvestRun, matched: Mapping[str, set[str]], lost: set[str], message: str
) -> None:
    hit = {t for pmid in lost for t in matched.get(pmid, ())}
    shown = ", ".join(sorted(lost, key=int)[:10]) + (", ..." if len(lost) > 10 else "")
    for result in run.topics:
        if result.name in hit:
            result.errors.append(f"fetch failed for {len(lost)} records ({shown}): {message}")


def _merge(total: IngestReport, part: IngestReport) -> None:
    total.created += part.created
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.filtered += part.filtered


def _tally(run: HarvestRun) -> None:
    created, updated = set(run.ingest.created), set(run.ingest.updated)
    for result in run.topics:
        result.new = sum(1 for pmid in result.ids if pmid in created)
        result.updated = sum(1 for pmid in result.ids if pmid in updated)


def _advance_state(
    config: Config,
    state: HarvestState,
    run: HarvestRun,
    topics: Sequence[Topic],
) -> None:
    by_name = {t.name: t for t in topics}
    for result in run.topics:
        if not result.ok:
            continue
        topic = by_name[result.name]
        old = state.topics.get(topic.name)
        sha = query_sha(topic.query)
        first = old.first_day if old and old.query_sha == sha else result.window.start.isoformat()
        state.topics[topic.name] = TopicState(sha, first, result.window.end.isoformat())
    save_state(config.state_dir, state)


def _requests(client: Client) -> dict[str, int]:
    stats = getattr(client, "stats", None)
    return dict(stats.requests) if stats is not None else {}
