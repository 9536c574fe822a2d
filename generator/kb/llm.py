"""Optional machine-written summaries from an OpenAI-compatible chat-completions endpoint.

With ``summary.mode: llm`` each paper with an abstract gets a 2–3 sentence summary in
``summary.language``, written by ``summary.llm.model`` at ``POST {base_url}/chat/completions``.
The default mode (``extractive``) never reaches this module's network code.

A batch of papers is summarised by :mod:`generator.kb.llm_batch` (with the cache).

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter

from generator.config.model import LLMConfig
from generator.pubmed.models import Paper
from generator.utils.errors import KBError
from generator.utils.httputil import (
    SessionOwner,
    backoff_delay,
    redact,
    retry_after_s,
    retryable_status,
)

logger = logging.getLogger(__name__)

PROMPT_VERSION = "1"  # bump whenever the prompt or the request changes: old answers expire


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
    """What :func:`generator.kb.llm_batch.summarize_batch` needs from :class:`LLMClient`."""

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
