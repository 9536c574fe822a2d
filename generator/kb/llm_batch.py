"""Summaries of a batch of papers from the LLM (:mod:`generator.kb.llm`), through a cache.

Order of a batch (:func:`summarize_batch`):

1. which papers need a summary: kept by the filters, with an abstract (pure);
2. each one's cache key (:func:`cache_key`, pure); a key found in ``state/summaries.json``
   costs nothing;
3. the others are requested, at most ``max_concurrency`` at a time, each with retries
   (:class:`LLMClient`);
4. a paper whose request failed for good keeps its extractive summary and is listed in the
   :class:`SummaryReport`; the cache is written (atomically, sorted) with what succeeded.

The cache key covers everything that changes the answer: the title and abstract sent,
the model, the prompt version (:data:`generator.kb.llm.PROMPT_VERSION` plus
``summary.llm.prompt_version``), the language and ``max_chars``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.config.model import Config, LLMConfig
from generator.kb.llm import (
    ChatClient,
    Completion,
    LLMClient,
    LLMError,
    LLMRefused,
    build_messages,
    cache_key,
    clean_summary,
    client_from_config,
    prompt_version,
    text_sha,
)
from generator.kb.pages import Summary
from generator.kb.score import filter_reason
from generator.kb.summarize import extractive_summary
from generator.pubmed.models import DeletedCitation, Paper
from generator.utils.errors import KBError
from generator.utils.store import read_text, write_if_changed

CACHE_FILE = "summaries.json"
CACHE_VERSION = 1
CHUNK_SIZE = 256  # papers held at once when summarising a stream (a baseline file: 30,000)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the cache

Cache = dict[str, dict[str, dict[str, Any]]]  # PMID → cache key → entry


def load_cache(cache_dir: Path) -> Cache:
    """``state/summaries.json`` as {PMID: {key: entry}}; empty when there is none."""
    path = cache_dir / CACHE_FILE
    text = read_text(path)
    if text is None:
        return {}
    try:
        data = json.loads(text)
        papers = data["summaries"]
        cache = {
            str(pmid): {str(k): dict(e) for k, e in entries.items() if isinstance(e["text"], str)}
            for pmid, entries in papers.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KBError(f"{path}: unreadable summary cache ({exc}); fix or delete it") from None
    return cache


def render_cache(cache: Cache) -> str:
    """The cache file's text: sorted keys, indented, one trailing newline (pure)."""
    data = {"version": CACHE_VERSION, "summaries": cache}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save_cache(cache_dir: Path, cache: Cache) -> bool:
    """Write the cache atomically when it changed; return whether it wrote."""
    return write_if_changed(cache_dir / CACHE_FILE, render_cache(cache))


def _remember(cache: Cache, pmid: str, key: str, entry: dict[str, Any]) -> None:
    # Answers for an older title/abstract can never be asked for again: drop them.
    kept = {k: e for k, e in cache.get(pmid, {}).items() if e.get("text_sha") == entry["text_sha"]}
    kept[key] = entry
    cache[pmid] = kept


# --------------------------------------------------------------------------- the batch


@dataclass
class SummaryReport:
    """What a batch of summaries cost and gave; ``failed`` maps PMID → why (these papers
    kept their extractive summary)."""

    mode: str = "extractive"
    model: str | None = None
    summarised: int = 0  # new machine-written summaries
    cached: int = 0  # served from the cache, no request
    no_abstract: int = 0  # nothing to summarise, no request
    requests: int = 0  # HTTP requests sent, retries included
    failed: dict[str, str] = field(default_factory=dict)

    def merge(self, other: SummaryReport) -> None:
        """Add ``other`` (e.g. the next efetch batch's report) to this one."""
        if other.mode != "extractive":
            self.mode, self.model = other.mode, other.model
        self.summarised += other.summarised
        self.cached += other.cached
        self.no_abstract += other.no_abstract
        self.requests += other.requests
        self.failed.update(other.failed)

    def summary(self) -> str:
        """One line for the CLI."""
        if self.mode != "llm":
            return "extractive"
        text = (
            f"{self.model}: {self.summarised} new, {self.cached} cached, "
            f"{len(self.failed)} failed, {self.requests} requests"
        )
        if self.failed:
            pmids = sorted(self.failed, key=int)
            shown = ", ".join(pmids[:10]) + (", ..." if len(pmids) > 10 else "")
            text += f" (extractive summary kept for PMID {shown})"
        return text

    def as_record(self) -> dict[str, Any]:
        """For the harvest run record (``state/runs.jsonl``)."""
        return {
            "mode": self.mode,
            "model": self.model,
            "summarised": self.summarised,
            "cached": self.cached,
            "no_abstract": self.no_abstract,
            "requests": self.requests,
            "failed": dict(sorted(self.failed.items(), key=lambda kv: int(kv[0]))),
        }


@dataclass(frozen=True)
class _Job:
    paper: Paper
    key: str
    sha: str
    messages: list[dict[str, str]]


def _wanted(
    records: Iterable[Paper | DeletedCitation], config: Config, report: SummaryReport
) -> Iterator[Paper]:
    """Papers that get a page and have an abstract to summarise."""
    for record in records:
        if not isinstance(record, Paper):
            continue
        if filter_reason(record, config.scoring.filters):
            continue
        if not any(s.text for s in record.abstract):
            report.no_abstract += 1
            continue
        yield record


def _chunks(items: Iterable[Paper], size: int) -> Iterator[list[Paper]]:
    chunk: list[Paper] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def summarize_batch(
    papers: Iterable[Paper | DeletedCitation],
    config: Config,
    cache_dir: Path,
    client: ChatClient | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, Summary], SummaryReport]:
    """Summaries by PMID for ``papers`` (for ``ingest_papers(summaries=...)``), and a report.

    In ``extractive`` mode: ``({}, SummaryReport())`` at once; ``papers`` is not even read.
    In ``llm`` mode every paper with an abstract gets a :class:`Summary`: the cached or new
    machine-written one, or, when its request failed, the extractive one (listed in the
    report's ``failed``). Never raises for a paper's failure. ``client`` defaults to one
    built from the config and the environment (``environ``), made only when needed.
    """
    llm = config.summary.llm
    if config.summary.mode != "llm" or llm is None:
        return {}, SummaryReport()
    language = config.summary.language or config.site.language
    version = prompt_version(llm)
    max_chars = config.summary.max_chars
    report = SummaryReport(mode="llm", model=llm.model)
    cache = load_cache(cache_dir)
    summaries: dict[str, Summary] = {}
    own: LLMClient | None = None
    start_requests = client.requests if client is not None else 0
    try:
        for chunk in _chunks(_wanted(papers, config, report), CHUNK_SIZE):
            jobs: list[_Job] = []
            for paper in chunk:
                sha = text_sha(paper)
                key = cache_key(sha, llm.model, version, language, max_chars)
                hit = cache.get(paper.pmid, {}).get(key)
                if hit is not None:
                    summaries[paper.pmid] = Summary(hit["text"], "llm", llm.model)
                    report.cached += 1
                else:
                    messages = build_messages(paper, language, max_chars)
                    jobs.append(_Job(paper, key, sha, messages))
            if not jobs:
                continue
            if client is None:
                client = own = client_from_config(llm, environ)
            results = _request_all(client, llm, jobs)
            for job in jobs:  # in paper order: a later version of a PMID wins
                result = results[job.key]
                pmid = job.paper.pmid
                text = (
                    clean_summary(result.text, max_chars) if isinstance(result, Completion) else ""
                )
                if text:
                    entry = {
                        "text": text,
                        "model": llm.model,
                        "prompt_version": version,
                        "language": language,
                        "max_chars": max_chars,
                        "text_sha": job.sha,
                    }
                    _remember(cache, pmid, job.key, entry)
                    summaries[pmid] = Summary(text, "llm", llm.model)
                    report.summarised += 1
                    report.failed.pop(pmid, None)
                    continue
                why = str(result) if isinstance(result, Exception) else "empty summary"
                logger.warning("summary for PMID %s failed, extractive kept: %s", pmid, why)
                report.failed[pmid] = why
                fallback = extractive_summary(job.paper, max_chars)
                if fallback:
                    summaries[pmid] = Summary(fallback)
            save_cache(cache_dir, cache)
    finally:
        if client is not None:
            report.requests = client.requests - start_requests
        if own is not None:
            own.close()
    return summaries, report


def _request_all(
    client: ChatClient, llm: LLMConfig, jobs: Sequence[_Job]
) -> dict[str, Completion | LLMError]:
    """Every job's answer (or error) by cache key; at most ``max_concurrency`` in flight.

    After a refusal (401/403/404) the jobs not yet started are not sent.
    """
    refused: list[LLMRefused] = []
    guard = threading.Lock()

    def one(job: _Job) -> Completion | LLMError:
        with guard:
            if refused:
                return LLMError(f"PMID {job.paper.pmid}: not sent after: {refused[0]}")
        try:
            return client.complete(llm.model, job.messages, what=f"PMID {job.paper.pmid}")
        except LLMRefused as exc:
            with guard:
                refused.append(exc)
            return exc
        except LLMError as exc:
            return exc
        except Exception as exc:  # never crash the run for one paper; no text: it may hold anything
            return LLMError(f"PMID {job.paper.pmid}: unexpected {type(exc).__name__}")

    unique = {job.key: job for job in jobs}  # one request per distinct question
    workers = max(1, min(llm.max_concurrency, len(unique)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm")
    try:
        futures: dict[str, Future[Completion | LLMError]] = {
            key: pool.submit(one, job) for key, job in unique.items()
        }
        results = {key: future.result() for key, future in futures.items()}
    except BaseException:
        # Ctrl-C: do not send what has not started; the answers already in are lost
        # only for this chunk (earlier chunks are in the cache).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
