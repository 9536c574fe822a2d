"""Optional machine-written summaries from an OpenAI-compatible chat-completions endpoint.

With ``summary.mode: llm`` each paper with an abstract gets a 2–3 sentence summary in
``summary.language``, written by ``summary.llm.model`` at ``POST {base_url}/chat/completions``.
The default mode (``extractive``) never reaches this module's network code.

Order of a batch (:func:`summarize_batch`):

1. which papers need a summary: kept by the filters, with an abstract (pure);
2. each one's cache key (:func:`cache_key`, pure); a key found in ``state/summaries.json``
   costs nothing;
3. the others are requested, at most ``max_concurrency`` at a time, each with retries
   (:class:`LLMClient`);
4. a paper whose request failed for good keeps its extractive summary and is listed in the
   :class:`SummaryReport`; the cache is written (atomically, sorted) with what succeeded.

The cache key covers everything that changes the answer: the title and abstract sent, the
model, the prompt version (:data:`PROMPT_VERSION` plus ``summary.llm.prompt_version``), the
language and ``max_chars``.

The API key comes from the environment variable named by ``summary.llm.api_key_env`` only.
It is sent in the ``Authorization`` header and nowhere else: never in the cache, a page, a
log line, a run record or an error message (every such text is passed through
:func:`generator.pubmed.eutils.redact`).

Errors::

    KBError
    └── LLMError            one request failed for good (names the PMID, never the key)
        └── LLMRefused      401/403/404: every later request would fail the same way,
                            so the batch stops asking
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter

from generator.config.load import Config, LLMConfig
from generator.kb.pages import Summary
from generator.kb.score import filter_reason
from generator.kb.summarize import extractive_summary
from generator.pubmed.models import DeletedCitation, Paper
from generator.utils.errors import KBError
from generator.utils.httputil import (
    SessionOwner,
    backoff_delay,
    redact,
    retry_after_s,
    retryable_status,
)
from generator.utils.store import read_text, write_if_changed

logger = logging.getLogger(__name__)

PROMPT_VERSION = "1"  # bump whenever the prompt or the request changes: old answers expire
CACHE_FILE = "summaries.json"
CACHE_VERSION = 1
CHUNK_SIZE = 256  # papers held at once when summarising a stream (a baseline file: 30,000)
TEMPERATURE = 0.0

_RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,  # includes ConnectTimeout
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_REFUSED = (401, 403, 404)  # wrong key, no access, wrong URL or model: the same for every paper


class LLMError(KBError):
    """A summary request failed after all retries (the message names the PMID, not the key)."""


class LLMRefused(LLMError):
    """The endpoint refused the request (401/403/404); later requests would fail alike."""


class _Malformed(LLMError):
    """A 200 answer that is not a chat completion (retried: proxies garble answers)."""


# --------------------------------------------------------------------------- prompt (pure)

_SYSTEM = {
    "en": (
        "You summarise biomedical research papers for a researchers' reading list. "
        "Using only the title and abstract given, write a summary in English of 2 to 3 "
        "sentences: what was studied, how, and the main finding. Add nothing that the "
        "abstract does not say. Write plain sentences only: no heading, no preamble, no "
        "list, no Markdown. At most {max_chars} characters."
    ),
    "ko": (
        "당신은 연구자들의 논문 목록을 위해 생의학 연구 논문을 요약합니다. "
        "주어진 제목과 초록만 사용하여 한국어로 2~3문장의 요약을 작성하세요: 무엇을, "
        "어떻게 연구했으며 주요 결과가 무엇인지. 초록에 없는 내용은 덧붙이지 마세요. "
        "제목, 머리말, 목록, 마크다운 없이 평범한 문장만 쓰세요. 최대 {max_chars}자."
    ),
}
_USER = {
    "en": "Title: {title}\n\nAbstract:\n{abstract}",
    "ko": "제목: {title}\n\n초록:\n{abstract}",
}


def build_messages(paper: Paper, language: str, max_chars: int) -> list[dict[str, str]]:
    """The chat messages asking for ``paper``'s summary in ``language`` (``en`` or ``ko``)."""
    lang = language if language in _SYSTEM else "en"
    return [
        {"role": "system", "content": _SYSTEM[lang].format(max_chars=max_chars)},
        {
            "role": "user",
            "content": _USER[lang].format(title=paper.title or "", abstract=paper.abstract_text),
        },
    ]


def build_request(
    model: str, messages: Sequence[Mapping[str, str]], temperature: float = TEMPERATURE
) -> dict[str, Any]:
    """The JSON body of one chat-completions request."""
    return {"model": model, "messages": [dict(m) for m in messages], "temperature": temperature}


def prompt_version(llm: LLMConfig) -> str:
    """The code's :data:`PROMPT_VERSION`, plus the config's own tag when it sets one."""
    return f"{PROMPT_VERSION}+{llm.prompt_version}" if llm.prompt_version else PROMPT_VERSION


def text_sha(paper: Paper) -> str:
    """A fingerprint of what the model reads: the title and the abstract."""
    text = f"{paper.title or ''}\n{paper.abstract_text}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def cache_key(sha: str, model: str, version: str, language: str, max_chars: int) -> str:
    """The key of one answer within a PMID's cache entries: anything that changes the
    answer changes the key."""
    parts = json.dumps([sha, model, version, language, max_chars], ensure_ascii=False)
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- answers (pure)


@dataclass(frozen=True)
class Completion:
    text: str
    model: str | None = None  # the model the server says answered


def parse_completion(body: bytes) -> Completion:
    """The assistant's text from a chat-completions answer; :class:`LLMError` if none."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Malformed(f"answer is not JSON ({exc})") from None
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise _Malformed("answer has no choices[0].message.content") from None
    if not isinstance(content, str) or not content.strip():
        raise _Malformed("answer's message content is empty")
    model = data.get("model")
    return Completion(content, model if isinstance(model, str) else None)


_LEADING_LABEL = re.compile(r"^\s*(?:\*\*)?(?:summary|요약)(?:\*\*)?\s*[:：]\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")


def clean_summary(text: str, max_chars: int) -> str:
    """One paragraph of at most ``max_chars``: whitespace collapsed, a leading "Summary:"
    dropped, whole sentences kept while they fit (else cut at a word, with "…")."""
    text = " ".join(_LEADING_LABEL.sub("", text).split())
    if len(text) <= max_chars:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > max_chars:
            break
        kept = candidate
    if kept:
        return kept
    cut = text[: max_chars - 1].rsplit(" ", 1)[0] or text[: max_chars - 1]
    return cut.rstrip(",;:") + "…"


def _error_snippet(body: bytes, limit: int = 200) -> str:
    """The server's own error message if it sent one (OpenAI's ``error.message``), else the
    start of the body."""
    text = body[: limit * 8].decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            text = str(data["error"].get("message") or text)
    except ValueError:
        pass
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- the client


class ChatClient(Protocol):
    """What :func:`summarize_batch` needs from :class:`LLMClient`."""

    @property
    def requests(self) -> int: ...

    def complete(
        self, model: str, messages: Sequence[Mapping[str, str]], what: str = "request"
    ) -> Completion: ...

    def close(self) -> None: ...


class LLMClient(SessionOwner):
    """``POST {base_url}/chat/completions`` with retries; thread-safe.

    Retries (up to ``max_retries`` after the first attempt) cover connection errors,
    timeouts, HTTP 429 and 5xx, and 200 answers that are not a completion; the wait is
    ``Retry-After`` when the server sends one (capped at ``retry_after_max``), else
    exponential backoff with full jitter. 401/403/404 raise :class:`LLMRefused`, other
    4xx :class:`LLMError` at once. No message ever holds the API key.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        max_retries: int = 3,
        timeout_s: float = 60.0,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        retry_after_max: float = 120.0,
        pool_size: int = 4,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"chat-completions base URL must be http(s): {base_url!r}")
        if max_retries < 0:
            raise ValueError(f"max_retries must not be negative, got {max_retries}")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self._api_key = api_key or None
        self._own_session = session is None
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_maxsize=max(pool_size, 1))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._session = session
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self._lock = threading.Lock()
        self._requests = 0
        self.retries = 0
        self.throttled = 0

    @property
    def requests(self) -> int:
        """HTTP requests sent so far, retries included."""
        with self._lock:
            return self._requests

    def __repr__(self) -> str:
        key = "***" if self._api_key else None
        return f"LLMClient(url={self.url!r}, api_key={key})"

    def _scrub(self, text: str) -> str:
        return redact(text, self._api_key)

    def complete(
        self, model: str, messages: Sequence[Mapping[str, str]], what: str = "request"
    ) -> Completion:
        """One chat completion (with retries); ``what`` names it in errors (``PMID 123``)."""
        payload = build_request(model, messages)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        described = f"{what}: POST {self.url}"
        attempts = self.max_retries + 1
        last_problem = ""
        retry_after: float | None = None
        for attempt in range(attempts):
            if attempt:
                self._wait(attempt - 1, retry_after, described, last_problem)
            retry_after = None
            with self._lock:
                self._requests += 1
            try:
                response = self._session.post(
                    self.url, json=payload, headers=headers, timeout=self.timeout_s
                )
                body = response.content
            except _RETRYABLE_EXCEPTIONS as exc:
                last_problem = f"{type(exc).__name__}: {self._scrub(str(exc))}"
                continue
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {self._scrub(str(exc))}"
                raise LLMError(self._scrub(f"{described}: {problem}")) from None
            status = response.status_code
            if status == 200:
                try:
                    answer = parse_completion(body)
                except _Malformed as exc:
                    last_problem = str(exc)
                    continue
                return Completion(self._scrub(answer.text), answer.model)
            if status in (401, 403):
                # No body: some servers quote part of a wrong key back.
                raise LLMRefused(f"{described}: HTTP {status}: the endpoint refused the API key")
            snippet = self._scrub(_error_snippet(body))
            problem = f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}"
            if retryable_status(status):
                if status == 429:
                    with self._lock:
                        self.throttled += 1
                retry_after = retry_after_s(response.headers)
                last_problem = problem
                continue
            error = LLMRefused if status in _REFUSED else LLMError
            raise error(self._scrub(f"{described}: {problem}"))
        tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
        raise LLMError(self._scrub(f"{described}: gave up after {tries}; last: {last_problem}"))

    def _wait(self, retry: int, retry_after: float | None, described: str, problem: str) -> None:
        if retry_after is not None:
            delay = min(retry_after, self.retry_after_max)
        else:
            delay = backoff_delay(retry, self.backoff_base, self.backoff_max, self._rng)
        with self._lock:
            self.retries += 1
        logger.warning(
            "%s: %s; retry %d/%d in %.2f s",
            described,
            self._scrub(problem),
            retry + 1,
            self.max_retries,
            delay,
        )
        if delay > 0:
            self._sleep(delay)


def client_from_config(
    llm: LLMConfig, environ: Mapping[str, str] | None = None, **kwargs: Any
) -> LLMClient:
    """A client for ``summary.llm``; the key is read from ``llm.api_key_env`` only (a local
    server without a key is fine). Other keyword arguments go to :class:`LLMClient`."""
    env = os.environ if environ is None else environ
    api_key = (env.get(llm.api_key_env) or "").strip() or None
    options: dict[str, Any] = {
        "max_retries": llm.max_retries,
        "timeout_s": llm.timeout_s,
        "pool_size": llm.max_concurrency,
        **kwargs,
    }
    return LLMClient(llm.base_url, api_key=api_key, **options)


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
