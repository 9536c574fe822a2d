"""NIH iCite (https://icite.od.nih.gov/api): citation counts, the Relative Citation Ratio with
its NIH percentile, clinical citations and each paper's references, for PubMed ids.

Why iCite, not E-utilities' elink: one request answers for up to 1,000 PMIDs with every
signal at once, free and without a key, from NIH's Open Citation Collection; elink gives
link lists only (cited-by, references; no counts normalised by field, no RCR), one link set
per PMID, and shares NCBI's 3–10 requests a second with the harvest itself.

``parse_pubs`` is pure; :class:`IciteClient` does the HTTP: batches, a polite pace (at most
3 requests a second), retries of connection errors, timeouts, 429 and 5xx (Retry-After
honoured) until ``max_retries`` or ``retry_budget_s``, and checked answers.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from generator.pubmed.eutils import RateLimiter
from generator.utils.errors import KBError
from generator.utils.httputil import (
    SessionOwner,
    backoff_delay,
    retry_after_s,
    retryable_status,
    scrub_addresses,
)

logger = logging.getLogger(__name__)

FIELDS = (
    "pmid",
    "citation_count",
    "relative_citation_ratio",
    "nih_percentile",
    "cited_by_clin",
    "references",
    "provisional",
)
MAX_BATCH = 1000  # iCite's limit per request


class IciteError(KBError):
    """iCite did not answer usefully (after retries), or answered something unreadable."""


@dataclass(frozen=True)
class Signals:
    """One paper's citation signals as iCite gives them."""

    pmid: str
    citations: int
    rcr: float | None  # None: too recent to have one
    percentile: float | None
    clinical: int  # clinical articles citing it
    provisional: bool  # RCR computed from too few years to be final
    references: tuple[str, ...]  # PMIDs it cites (the knowledge base's own graph comes from these)

    def as_record(self) -> dict[str, Any]:
        return {
            "citations": self.citations,
            "rcr": self.rcr,
            "percentile": self.percentile,
            "clinical": self.clinical,
            "provisional": self.provisional,
            "references": list(self.references),
        }


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _pmids(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(sorted({str(v) for v in value if isinstance(v, int) and v > 0}, key=int))


def parse_pubs(body: bytes) -> dict[str, Signals]:
    """The ``data`` of a ``/api/pubs`` answer, by PMID (pure). ``IciteError`` when the
    answer is not the JSON iCite sends."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise IciteError(f"iCite answered something that is not JSON ({exc})") from None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise IciteError("iCite's answer has no list of papers ('data')")
    found: dict[str, Signals] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("pmid"), int):
            continue
        count = item.get("citation_count")
        clinical = item.get("cited_by_clin")
        found[str(item["pmid"])] = Signals(
            pmid=str(item["pmid"]),
            citations=count if isinstance(count, int) and count >= 0 else 0,
            rcr=_number(item.get("relative_citation_ratio")),
            percentile=_number(item.get("nih_percentile")),
            clinical=len(clinical) if isinstance(clinical, list) else 0,
            provisional=str(item.get("provisional", "")).lower() in ("yes", "true"),
            references=_pmids(item.get("references")),
        )
    return found


@dataclass(frozen=True)
class Batch:
    """What one request asked for and what came back (``missing``: PMIDs iCite does not
    know, e.g. too new, or not research articles it covers)."""

    asked: tuple[str, ...]
    found: dict[str, Signals]

    @property
    def missing(self) -> list[str]:
        return [p for p in self.asked if p not in self.found]


_RETRYABLE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class IciteClient(SessionOwner):
    """iCite's ``/api/pubs`` with batches, pacing and retries (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        rate_per_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 8,
        retry_budget_s: float = 120.0,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        timeout: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"iCite URL must be http(s): {base_url!r}")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        self.limiter = RateLimiter(rate_per_s, clock, sleep)
        self._clock, self._sleep = clock, sleep
        self.max_retries, self.retry_budget_s = max_retries, retry_budget_s
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self.timeout = timeout
        self._rng = rng or random.Random()
        self.requests = 0
        self.retries = 0

    def fetch(self, pmids: Sequence[str], batch_size: int = 500) -> Iterator[Batch]:
        """The signals of ``pmids``, one batch (one request) at a time."""
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}, got {batch_size}")
        for i in range(0, len(pmids), batch_size):
            asked = tuple(pmids[i : i + batch_size])
            yield Batch(asked, self._get(asked))

    def _get(self, pmids: Sequence[str]) -> dict[str, Signals]:
        url = f"{self.base_url}pubs"
        params = {"pmids": ",".join(pmids), "fl": ",".join(FIELDS), "format": "json"}
        what = f"iCite /pubs for {len(pmids)} PMIDs ({pmids[0]}…)"
        started, attempt, problem, retry_after = self._clock(), 0, "", None
        while True:
            if attempt:
                if retry_after is not None:
                    delay = min(retry_after, 300.0)
                else:
                    delay = backoff_delay(
                        attempt - 1, self.backoff_base, self.backoff_max, self._rng
                    )
                spent = self._clock() - started
                if attempt > self.max_retries or spent + delay > self.retry_budget_s:
                    raise IciteError(
                        f"{what}: gave up after {attempt} attempts in {spent:.0f} s; "
                        f"last problem: {problem}"
                    )
                self.retries += 1
                logger.warning("%s: %s; retry %d in %.1f s", what, problem, attempt, delay)
                if delay > 0:
                    self._sleep(delay)
            attempt += 1
            retry_after = None
            self.limiter.acquire()
            self.requests += 1
            try:
                response = self._session.get(url, params=params, timeout=self.timeout)
                body = response.content
            except _RETRYABLE as exc:
                problem = f"{type(exc).__name__}: {scrub_addresses(str(exc))}"
                continue
            except requests.RequestException as exc:
                raise IciteError(f"{what}: {scrub_addresses(str(exc))}") from None
            if response.status_code == 200:
                try:
                    return parse_pubs(body)
                except IciteError as exc:  # cut short or garbled in transit: ask again
                    problem = str(exc)
                    continue
            text = " ".join(body[:400].decode("utf-8", "replace").split())[:200]
            problem = f"HTTP {response.status_code}: {scrub_addresses(text)}".rstrip(": ")
            if retryable_status(response.status_code):
                retry_after = retry_after_s(response.headers)
                continue
            raise IciteError(f"{what}: {problem}")
