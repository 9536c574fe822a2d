"""Keep the knowledge base current from PubMed: search every topic, fetch each PMID once.

Order of a run (the pure planning steps are :mod:`generator.kb.harvest_plan`'s):
1. per topic, its date window (``topic_window``; on the create date ``crdt`` by default)
   and every matching PMID (``esearch``, split by date, and a single day by PMID range,
   when PubMed would list only 9,999). A query PubMed widened (a phrase or field not
   found, a quoted phrase that lost its quotes: ``query_problems``) fails its topic
   unless the topic sets ``allow_query_warnings``;
2. per topic harvested before, the stored papers PubMed modified since (``datetype=mdat``
   over the same window: retractions, errata, MeSH indexing, abstracts added later);
3. which PMIDs need fetching (``plan_fetch``): new ones, ones a new topic matched, revised
   ones, ones still awaiting MeSH indexing within ``refresh_days``, and ones efetch
   withheld on earlier runs;
4. ``efetch`` in batches, each batch parsed and written as pages at once; ids a batch
   left out are asked once more on their own, then skipped with a note and retried on
   the next runs (given up after ``missing_give_up_runs``): they never hold a window back;
5. each topic's state advanced only when its pages are all written; a run record appended.

One failing topic does not lose the others' work.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from generator.config.model import Config, Topic
from generator.kb.catalog import paper_metas
from generator.kb.citations import known_rcr, load_signals
from generator.kb.harvest_plan import (
    FetchPlan,
    Window,
    plan_fetch,
    query_problems,
    topic_window,
    update_missing,
    widened_message,
)
from generator.kb.ingest import IngestReport, ingest_papers
from generator.kb.llm_batch import SummaryReport, summarize_batch
from generator.kb.state import (
    HarvestState,
    TopicState,
    append_run_record,
    load_state,
    query_sha,
    save_state,
)
from generator.pubmed.models import Paper
from generator.pubmed.parse import parse_bytes
from generator.pubmed.protocol import SearchOutcome
from generator.utils.clock import Clock
from generator.utils.errors import KBError, MissingRecordsError

logger = logging.getLogger(__name__)


NO_EMAIL = (
    "no e-mail address for NCBI: set `email:` in kb.yml or NCBI_EMAIL (NCBI asks every "
    "tool for one, to reach its user before blocking it)"
)


class Client(Protocol):
    """What the harvester needs from :class:`generator.pubmed.eutils.EutilsClient`."""

    def search(
        self, term: str, mindate: dt.date, maxdate: dt.date, datetype: str = "crdt"
    ) -> SearchOutcome: ...

    def efetch(self, ids: Sequence[str], batch_size: int = 200) -> Iterable[bytes]: ...


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
    translation: str | None = None  # PubMed's QueryTranslation of the query
    query_errors: list[str] = field(default_factory=list)  # its ErrorList
    query_warnings: list[str] = field(default_factory=list)  # its WarningList
    notes: list[str] = field(default_factory=list)  # what went differently, without failing

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
            "translation": self.translation,
            "query_errors": self.query_errors,
            "query_warnings": self.query_warnings,
            "notes": self.notes,
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
    missing: list[str] = field(default_factory=list)  # withheld by efetch this run
    given_up: list[str] = field(default_factory=list)  # withheld too often: no longer asked
    revised: list[str] = field(default_factory=list)  # stored pages PubMed's changes rewrote
    retracted: list[str] = field(default_factory=list)  # of those, newly retracted
    warnings: list[str] = field(default_factory=list)  # about the run as a whole
    citations: dict[str, Any] = field(default_factory=dict)  # generator.kb.citations.SignalsRun

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
            "missing": self.missing,
            "given_up": self.given_up,
            "revised": self.revised,
            "retracted": self.retracted,
            "warnings": self.warnings,
            **({"summaries": self.summaries.as_record()} if self.summaries.mode == "llm" else {}),
            **({"citations": self.citations} if self.citations else {}),
        }


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
    signals: Callable[[dt.date], dict[str, Any]] | None = None,
) -> HarvestRun:
    """One harvest run over the configured topics (or ``topic_names``); ``clock`` gives
    today's date (the windows' end, new pages' dates) and the run record's times;
    ``signals`` (after the pages are written) updates the citation signals and returns
    what it did, never raising."""
    topics = _select_topics(config, topic_names)
    state = load_state(config.state_dir)
    today = clock.today()
    run = HarvestRun(started=clock.timestamp(), dry_run=dry_run)
    if not getattr(client, "email", "?"):
        run.warnings.append(NO_EMAIL)
        logger.warning("%s", NO_EMAIL)
        progress(f"warning: {NO_EMAIL}")

    matched: dict[str, set[str]] = {}
    for topic in topics:
        window = topic_window(topic, state.topics.get(topic.name), config.harvest, today, since)
        result = TopicResult(topic.name, topic.query, window)
        run.topics.append(result)
        ids = _search_topic(client, topic, result, progress)
        for pmid in ids:
            matched.setdefault(pmid, set()).add(topic.name)

    pages = load_page_meta(config.site_src)
    revised = set() if dry_run else _search_revisions(client, config, state, topics, run, today)
    retry = state.retry_ids() if not topic_names else []
    for pmid in retry:
        matched.setdefault(pmid, set()).update(state.missing[pmid].topics)
    plan = plan_fetch(matched, pages, today, config.harvest.refresh_days, revised, retry)
    progress(
        f"to fetch: {len(plan.all)} ({len(plan.new)} new, {len(plan.retopic)} with a new topic, "
        f"{len(plan.revise)} revised in PubMed, {len(plan.refresh)} awaiting MeSH, "
        f"{len(plan.retry)} withheld before)"
    )
    if dry_run:
        run.finished = clock.timestamp()
        return run

    received = _fetch_and_write(config, client, plan, matched, pages, today, run, progress)
    _tally(run, plan)
    state.missing = update_missing(
        state.missing,
        received,
        run.missing,
        matched,
        today,
        config.harvest.missing_give_up_runs,
    )
    run.given_up = sorted(
        (p for p in run.missing if state.missing[p].given_up == today.isoformat()), key=int
    )
    _note_missing(run, matched, state)
    _advance_state(config, state, run, topics)
    if signals is not None:
        run.citations = signals(today)
        if run.citations.get("error"):
            run.warnings.append(
                f"citation signals: {run.citations['error']} (the last values are kept)"
            )
        progress(f"citation signals: {run.citations}")
    run.requests = _requests(client)
    run.finished = clock.timestamp()
    append_run_record(config.state_dir, run.as_record())
    return run


def _search_topic(
    client: Client, topic: Topic, result: TopicResult, progress: Callable[[str], None]
) -> list[str]:
    """Search one topic over its window; the ids to harvest ([] when it failed)."""
    window = result.window
    try:
        outcome = client.search(topic.query, window.start, window.end, window.datetype)
    except KBError as exc:
        result.errors.append(str(exc))
        progress(f"{topic.name}: search failed: {exc}")
        return []
    result.translation = outcome.translation
    result.query_errors, result.query_warnings = list(outcome.errors), list(outcome.warnings)
    result.notes += outcome.notes
    span = f"{window.start}..{window.end} ({window.datetype})"
    searched = f"PubMed searched: {outcome.translation}" if outcome.translation else ""
    problems = query_problems(outcome)
    if problems and not topic.allow_query_warnings:
        result.errors.append(widened_message(problems, outcome.translation))
        progress(f"{topic.name}: NOT harvested, {result.errors[-1]}")
        return []
    if problems:
        result.notes.append(f"widened query accepted (allow_query_warnings): {'; '.join(problems)}")
    ids = outcome.ids
    if topic.max_results is not None:
        ids = ids[: topic.max_results]
    result.ids, result.hits = list(ids), len(ids)
    progress(f"{topic.name}: {len(ids)} hits in {span}; {searched}".rstrip("; "))
    for note in result.notes:
        progress(f"{topic.name}: note: {note}")
    return result.ids


def _search_revisions(
    client: Client,
    config: Config,
    state: HarvestState,
    topics: Sequence[Topic],
    run: HarvestRun,
    today: dt.date,
) -> set[str]:
    """PMIDs each topic harvested before that PubMed modified since its last success.

    Searched on the modification date (``mdat``, a record's ``DateRevised``, PubMed's
    ``[lr]``) from the topic's last success to today; the caller keeps only those with a
    page on disk. One search per topic and run. A failed search
    fails its topic, so the window is searched again next run.
    """
    if not config.harvest.revisions:
        return set()
    found: set[str] = set()
    for topic, result in zip(topics, run.topics, strict=True):
        old = state.topics.get(topic.name)
        if not result.ok or old is None or old.query_sha != query_sha(topic.query):
            continue  # a topic's first harvest fetches every paper it has anyway
        # From the last run's day on: a record modified that day may have changed after
        # it was fetched; one modified earlier was fetched as it is.
        start = min(dt.date.fromisoformat(old.last_success), today)
        try:
            outcome = client.search(topic.query, start, today, "mdat")
        except KBError as exc:
            result.errors.append(f"search for revised records failed: {exc}")
            continue
        found.update(outcome.ids)
    return found


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
    pages: Mapping[str, Mapping[str, Any]],
    today: dt.date,
    run: HarvestRun,
    progress: Callable[[str], None],
) -> set[str]:
    """Fetch the planned PMIDs batch by batch, writing each batch's pages at once; return
    the PMIDs received.

    A failed batch is recorded against the topics that matched its PMIDs (so their
    state does not advance), and the other batches go on. Ids a batch left out are asked
    once more on their own; those still missing go to ``run.missing``.
    """
    received: set[str] = set()
    todo = plan.all
    size = config.harvest.batch_size
    refresh = set(plan.refresh)
    # the citation rule (opt-in) scores new and revised papers with the RCRs known now
    rcr = known_rcr(load_signals(config.state_dir)) if config.scoring.weights.citations else None
    for start in range(0, len(todo), size):
        batch = todo[start : start + size]
        try:
            bodies = _fetch_batch(client, batch, size, run, progress)
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
                rcr=rcr,
            )
            _merge(run.ingest, report)
            received.update(r.pmid for r in records)
            run.fetched += len(records)
            run.refreshed += sum(1 for r in records if r.pmid in refresh)
            run.retracted += [
                r.pmid
                for r in records
                if r.retracted and r.pmid in pages and not pages[r.pmid].get("retracted")
            ]
        progress(f"fetched {min(start + size, len(todo))}/{len(todo)}")
    return received


def _fetch_batch(
    client: Client,
    batch: list[str],
    size: int,
    run: HarvestRun,
    progress: Callable[[str], None],
) -> list[bytes]:
    """One batch's documents; ids efetch left out are asked once more on their own."""
    try:
        return list(client.efetch(batch, batch_size=size))
    except MissingRecordsError as exc:
        bodies, missing = [exc.document], list(exc.missing_ids)
    try:
        bodies += list(client.efetch(missing, batch_size=len(missing)))
        missing = []
    except MissingRecordsError as again:
        bodies.append(again.document)
        missing = list(again.missing_ids)
    except KBError as exc:
        progress(f"efetch of {len(missing)} left-out records failed: {exc}")
    if missing:
        progress(f"efetch did not return {len(missing)} records: {', '.join(missing[:10])}")
        run.missing += missing
    return bodies


def _note_missing(run: HarvestRun, matched: Mapping[str, set[str]], state: HarvestState) -> None:
    """Tell each topic which of its PMIDs efetch withheld (a note: the window advances)."""
    for result in run.topics:
        mine = [p for p in run.missing if result.name in matched.get(p, ())]
        if not mine:
            continue
        shown = ", ".join(mine[:10]) + (", ..." if len(mine) > 10 else "")
        gave_up = [p for p in mine if state.missing[p].given_up]
        tail = (
            f"; given up after {state.missing[gave_up[0]].runs} runs: {', '.join(gave_up)}"
            if gave_up
            else "; asked again next run"
        )
        result.notes.append(f"{len(mine)} records not returned by efetch ({shown}){tail}")


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


def _tally(run: HarvestRun, plan: FetchPlan) -> None:
    created, updated = set(run.ingest.created), set(run.ingest.updated)
    for result in run.topics:
        result.new = sum(1 for pmid in result.ids if pmid in created)
        result.updated = sum(1 for pmid in result.ids if pmid in updated)
    changed_upstream = {*plan.revise, *plan.refresh}
    run.revised = sorted(updated & changed_upstream, key=int)
    run.retracted = sorted(set(run.retracted), key=int)


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
        end = result.window.end.isoformat()
        state.topics[topic.name] = TopicState(sha, first, end, result.window.datetype)
    save_state(config.state_dir, state)


def _requests(client: Client) -> dict[str, int]:
    stats = getattr(client, "stats", None)
    return dict(stats.requests) if stats is not None else {}
