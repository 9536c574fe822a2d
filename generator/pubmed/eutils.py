"""NCBI E-utilities client for PubMed: esearch (history paging, date splitting) and efetch.

The requests and answers themselves, as data, are :mod:`generator.pubmed.protocol`'s
pure functions; only :class:`EutilsClient` touches the network. The client takes its
session, rate limiter, clock, sleep and random generator as arguments, so retries and rate
limiting are tested without waiting.

NCBI's rules this module follows:

* At most 3 requests per second per site without an API key, 10 with one; beyond that
  NCBI answers HTTP 429 (:class:`RateLimiter` keeps every client under the limit).
* Every request names ``tool`` and ``email``; ``api_key`` when there is one. The key never
  appears in an exception message, a log line or a ``repr``.
* esearch lists at most the first 9,999 ids of a PubMed result (``retstart`` above 9,998
  is an error), so larger results are split by date window (:meth:`search_ids_split`).
* Every request is a POST (NCBI accepts POST on all E-utilities and advises it for long id
  lists and terms), so neither ids nor the key sit in a URL, where server, proxy and
  urllib3 debug logs would keep them.
* An efetch batch that comes back cut short is retried; one that lacks records raises
  :class:`MissingRecordsError` naming the missing ids.

What the live service does that a naive client gets wrong (each is played by the
stand-in in ``tests/eutils_standin.py``):

* Outages arrive as HTTP 200 with ``<ERROR>Search Backend failed: ...</ERROR>`` (or
  "Database is not supported", "address table is empty"). Those texts are transient and
  retried like a 5xx (:func:`is_transient_error`); every other ``<ERROR>`` (a query NCBI
  cannot run, ``retstart`` past 9,998, an expired history set) fails at once.
* Retries of transient trouble (connection errors, timeouts, 429, 5xx, bodies cut short,
  transient ``<ERROR>``s) go on for ``retry_budget_s`` (default five minutes) of waiting,
  honouring ``Retry-After``; then the request fails.
* A term PubMed does not know is dropped and the rest of the query is run: the answer has
  hits plus ``ErrorList/PhraseNotFound`` (or ``FieldNotFound``; a quoted phrase that lost
  its quotes is in ``WarningList/QuotedPhraseNotFound``). :class:`SearchOutcome` carries
  them and the ``QueryTranslation`` so the harvester can refuse a widened query.
* esearch has listed fewer ids than its ``Count``: the listing ends, with a note.
* A single day with more than 9,999 hits is split by PMID range (``lo:hi[uid]``).
* A 429 answer without a key echoes the caller's IP address: addresses are scrubbed from
  every message, like the key and the e-mail address.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

import requests

from generator.pubmed.protocol import (
    DEFAULT_BASE_URL,
    DEFAULT_TOOL,
    EFETCH_BATCH_SIZE,
    EFETCH_MAX_BATCH,
    PUBMED_LIST_CAP,
    RATE_WITH_KEY,
    RATE_WITHOUT_KEY,
    UID_MAX,
    MalformedBody,
    SearchOutcome,
    SearchResult,
    TransientError,
    build_efetch_params,
    build_esearch_params,
    check_pmids,
    describe_request,
    format_date,
    parse_efetch_pmids,
    parse_esearch,
    redacted_url,
    split_date_window,
)
from generator.utils.errors import (
    EutilsError,
    EutilsResponseError,
    MissingRecordsError,
    ResultTooLarge,
)
from generator.utils.httputil import (
    SessionOwner,
    backoff_delay,
    redact,
    retry_after_s,
    retryable_status,
    scrub_addresses,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


_RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,  # includes ConnectTimeout
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,  # connection dropped mid-body
    requests.exceptions.ContentDecodingError,
)


# --------------------------------------------------------------------------- rate limiting


class RateLimiter:
    """Spaces request starts so that no 1-second window ever holds more than ``rate_per_s``.

    Strategy: even spacing, not bursts. Each :meth:`acquire` reserves the next start slot,
    at least ``(1 + margin_s) / rate_per_s`` seconds after the previous one. So any
    ``rate_per_s + 1`` consecutive starts span at least ``1 + margin_s`` seconds, and the
    ``margin_s`` of slack absorbs network jitter (a request that leaves on time but arrives
    late next to one that arrives early). Spacing suits every counting scheme NCBI might use
    (fixed window, sliding window, token or leaky bucket), where a burst of ``rate_per_s``
    requests at once would trip a leaky bucket.

    One limiter is shared by all calls of a client (and may be shared between clients);
    reservations are taken under a lock and the sleep happens outside it, so threads queue
    in slot order. ``waited_s`` adds up the time callers were told to wait.
    """

    def __init__(
        self,
        rate_per_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        margin_s: float = 0.1,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"rate_per_s must be positive, got {rate_per_s!r}")
        if margin_s < 0:
            raise ValueError(f"margin_s must not be negative, got {margin_s!r}")
        self.rate_per_s = float(rate_per_s)
        self.interval_s = (1.0 + margin_s) / self.rate_per_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start: float | None = None
        self.waited_s = 0.0
        self.acquired = 0

    def acquire(self) -> float:
        """Block until the caller may start a request; return the seconds waited."""
        with self._lock:
            now = self._clock()
            start = now if self._next_start is None else max(now, self._next_start)
            self._next_start = start + self.interval_s
            wait = start - now
            self.waited_s += wait
            self.acquired += 1
        if wait > 0:
            self._sleep(wait)
        return wait

    def __repr__(self) -> str:
        return f"RateLimiter(rate_per_s={self.rate_per_s:g}, interval_s={self.interval_s:.4f})"


# --------------------------------------------------------------------------- the client


@dataclass(frozen=True)
class ClientStats:
    """A snapshot of a client's counters.

    ``requests`` counts HTTP requests sent per endpoint, retries included; ``throttled``
    counts HTTP 429 answers; ``backoff_s`` the seconds slept between retries;
    ``limiter_wait_s`` the seconds the rate limiter held requests back.
    """

    requests: Mapping[str, int] = field(default_factory=dict)
    retries: int = 0
    throttled: int = 0
    backoff_s: float = 0.0
    limiter_wait_s: float = 0.0

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


class EutilsClient(SessionOwner):
    """PubMed over NCBI E-utilities, with rate limiting, retries and checked answers.

    Retries cover connection errors, timeouts, HTTP 429 and 5xx, answers cut short and
    transient ``<ERROR>`` answers; the wait is ``Retry-After`` when the server sends one
    (capped at ``retry_after_max``), else exponential backoff with full jitter. They stop
    after ``max_retries`` or once ``retry_budget_s`` seconds have passed since the first
    attempt, whichever comes first. Other 4xx answers and other ``<ERROR>``s fail at once.
    Every failure names the request without the API key, e-mail or IP addresses.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        email: str | None = None,
        tool: str = DEFAULT_TOOL,
        api_key: str | None = None,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 15,
        retry_budget_s: float = 300.0,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        retry_after_max: float = 300.0,
        timeout: float = 30.0,
        rng: random.Random | None = None,
        page_size: int = PUBMED_LIST_CAP,
    ) -> None:
        base_url = base_url or DEFAULT_BASE_URL
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"E-utilities base URL must be http(s): {base_url!r}")
        if max_retries < 0:
            raise ValueError(f"max_retries must not be negative, got {max_retries}")
        if retry_budget_s < 0:
            raise ValueError(f"retry_budget_s must not be negative, got {retry_budget_s}")
        if not 1 <= page_size <= PUBMED_LIST_CAP:
            raise ValueError(f"page_size must be 1..{PUBMED_LIST_CAP}, got {page_size}")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.email = email or None
        self.tool = tool
        self._api_key = api_key or None
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        rate = RATE_WITH_KEY if self._api_key else RATE_WITHOUT_KEY
        self.limiter = limiter if limiter is not None else RateLimiter(rate, clock, sleep)
        self._sleep = sleep
        self._clock = clock
        self.max_retries = max_retries
        self.retry_budget_s = retry_budget_s
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.timeout = timeout
        self._rng = rng if rng is not None else random.Random()
        self.page_size = page_size
        self._lock = threading.Lock()
        self._requests: dict[str, int] = {}
        self._retries = 0
        self._throttled = 0
        self._backoff_s = 0.0

    # ----------------------------------------------------------------- bookkeeping

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    @property
    def stats(self) -> ClientStats:
        with self._lock:
            return ClientStats(
                requests=dict(self._requests),
                retries=self._retries,
                throttled=self._throttled,
                backoff_s=self._backoff_s,
                limiter_wait_s=self.limiter.waited_s,
            )

    def __repr__(self) -> str:
        key = "***" if self._api_key else None
        return (
            f"EutilsClient(base_url={self.base_url!r}, tool={self.tool!r}, "
            f"email={self.email!r}, api_key={key}, rate_per_s={self.limiter.rate_per_s:g})"
        )

    def _identity(self) -> dict[str, str]:
        params = {"tool": self.tool}
        if self.email:
            params["email"] = self.email
        if self._api_key:
            params["api_key"] = self._api_key
        return params

    def _scrub(self, text: str) -> str:
        return scrub_addresses(redact(redact(text, self._api_key), self.email))

    # ----------------------------------------------------------------- one request

    def _call(self, endpoint: str, params: Mapping[str, str], parse: Callable[[bytes], T]) -> T:
        """POST one request (with retries) and return ``parse(body)`` of the 200 answer."""
        described = describe_request(endpoint, params)
        url = f"{self.base_url}{endpoint}.fcgi"
        form = {**params, **self._identity()}
        shown = f"POST {redacted_url(url, {k: v for k, v in form.items() if k != 'id'})}"
        started = self._clock()
        last_problem = ""
        malformed = False
        retry_after: float | None = None
        attempt = 0
        while True:
            if attempt:
                delay = self._retry_delay(attempt - 1, retry_after, last_problem)
                if attempt > self.max_retries or (
                    self._clock() - started + delay > self.retry_budget_s
                ):
                    break
                self._wait_before_retry(attempt - 1, delay, described, last_problem)
            attempt += 1
            retry_after, malformed = None, False
            self.limiter.acquire()
            with self._lock:
                self._requests[endpoint] = self._requests.get(endpoint, 0) + 1
            try:
                response = self._session.post(url, data=form, timeout=self.timeout)
                body = response.content
            except _RETRYABLE_EXCEPTIONS as exc:
                last_problem = f"{type(exc).__name__}: {self._scrub(str(exc))}"
                continue
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {self._scrub(str(exc))}"
                raise EutilsError(f"{described}: request failed: {problem} ({shown})") from None
            status = response.status_code
            if status == 200:
                try:
                    return parse(body)
                except MalformedBody as exc:
                    malformed = True
                    last_problem = self._scrub(str(exc))
                    continue
                except TransientError as exc:
                    last_problem = self._scrub(str(exc))
                    continue
                except EutilsResponseError as exc:
                    raise EutilsResponseError(f"{described}: {self._scrub(str(exc))}") from None
            snippet = self._snippet(body)
            problem = f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}"
            if retryable_status(status):
                if status == 429:
                    with self._lock:
                        self._throttled += 1
                retry_after = retry_after_s(response.headers)
                last_problem = problem
                continue
            raise EutilsError(f"{described}: {problem} ({shown})")
        tries = f"{attempt} attempt" + ("s" if attempt != 1 else "")
        spent = f"{tries} in {self._clock() - started:.0f} s"
        if malformed:
            raise EutilsResponseError(f"{described}: {last_problem} (gave up after {spent})")
        raise EutilsError(
            f"{described}: gave up after {spent}; last problem: {last_problem} ({shown})"
        )

    def _retry_delay(self, retry: int, retry_after: float | None, problem: str) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        delay = backoff_delay(retry, self.backoff_base, self.backoff_max, self._rng)
        if problem.startswith("HTTP 429"):
            # A 429 means NCBI's one-second window is full: retrying sooner than a
            # second later only spends another request of the next window.
            delay = max(delay, 1.0)
        return delay

    def _wait_before_retry(self, retry: int, delay: float, described: str, problem: str) -> None:
        with self._lock:
            self._retries += 1
            self._backoff_s += delay
        logger.warning(
            "%s: %s; retry %d/%d in %.2f s",
            described,
            problem,
            retry + 1,
            self.max_retries,
            delay,
        )
        if delay > 0:
            self._sleep(delay)

    def _snippet(self, body: bytes, limit: int = 200) -> str:
        text = " ".join(body[: limit * 4].decode("utf-8", errors="replace").split())
        if len(text) > limit:
            text = text[: limit - 3] + "..."
        return self._scrub(text)

    # ----------------------------------------------------------------- esearch

    def esearch(
        self,
        term: str,
        *,
        mindate: date | str | None = None,
        maxdate: date | str | None = None,
        datetype: str = "edat",
        retmax: int = PUBMED_LIST_CAP,
        retstart: int = 0,
        usehistory: bool = True,
        webenv: str | None = None,
        query_key: str | int | None = None,
    ) -> SearchResult:
        """One esearch request; ErrorList/WarningList entries are logged and returned."""
        params = build_esearch_params(
            term, mindate, maxdate, datetype, retstart, retmax, usehistory, webenv, query_key
        )
        result = self._call("esearch", params, parse_esearch)
        for warning in (*result.errors, *result.warnings):
            logger.warning("%s: NCBI says %s", describe_request("esearch", params), warning)
        return result

    def search_all_ids(
        self,
        term: str,
        mindate: date | str | None = None,
        maxdate: date | str | None = None,
        datetype: str = "edat",
        *,
        page_size: int | None = None,
    ) -> list[str]:
        """Every id of a search, paged ``page_size`` at a time through the history server.

        Raises :class:`ResultTooLarge` (after the first page) when the search matches more
        than PubMed lists; :meth:`search` handles that by date window and PMID range.
        """
        return self._list(SearchOutcome(), term, mindate, maxdate, datetype, page_size)

    def _list(
        self,
        outcome: SearchOutcome,
        term: str,
        mindate: date | str | None,
        maxdate: date | str | None,
        datetype: str,
        page_size: int | None = None,
    ) -> list[str]:
        """The ids of one search that PubMed can list whole; what it says goes to ``outcome``.

        A listing that ends before ``Count`` (PubMed has listed fewer ids than it counted,
        and counts that change between pages) is kept, with a note in ``outcome``.
        """
        page = min(page_size or self.page_size, PUBMED_LIST_CAP)
        first = self.esearch(
            term, mindate=mindate, maxdate=maxdate, datetype=datetype, retmax=page, retstart=0
        )
        outcome.absorb(first)
        described = describe_request(
            "esearch", build_esearch_params(term, mindate, maxdate, datetype)
        )
        if first.count > PUBMED_LIST_CAP:
            raise ResultTooLarge(
                f"{described}: {first.count} matches, but PubMed lists at most "
                f"{PUBMED_LIST_CAP}; narrow the query or split its date window",
                count=first.count,
                cap=PUBMED_LIST_CAP,
            )
        ids = dict.fromkeys(first.ids)
        retstart = len(first.ids)
        while retstart < first.count and first.ids:
            result = self.esearch(
                term,
                mindate=mindate,
                maxdate=maxdate,
                datetype=datetype,
                retmax=page,
                retstart=retstart,
                webenv=first.webenv,
                query_key=first.query_key if first.webenv else None,
            )
            if not result.ids:
                break
            ids.update(dict.fromkeys(result.ids))
            retstart += len(result.ids)
        if len(ids) != first.count:
            # PubMed changed between pages, or listed fewer ids than it counted; the next
            # harvest's overlap catches up, so this is a note, not a failure.
            note = f"{described}: PubMed counted {first.count} but listed {len(ids)} ids"
            logger.warning("%s", note)
            outcome.notes.append(note)
        return list(ids)

    def search(
        self, term: str, mindate: date, maxdate: date, datetype: str = "crdt"
    ) -> SearchOutcome:
        """Every id of a search over ``[mindate, maxdate]``, with PubMed's translation of the
        query and its ErrorList/WarningList.

        The date window is halved while PubMed would list only 9,999; a single day still
        over the cap is listed by PMID range (``(term) AND lo:hi[uid]``, ranges halved
        likewise). Windows are searched in date order; ids are kept in first-seen order
        without duplicates.
        """
        if isinstance(mindate, datetime) or isinstance(maxdate, datetime):
            mindate, maxdate = _as_date(mindate), _as_date(maxdate)
        if not isinstance(mindate, date) or not isinstance(maxdate, date):
            raise TypeError("search needs datetime.date bounds")
        if mindate > maxdate:
            raise ValueError(f"mindate {mindate} is after maxdate {maxdate}")
        outcome = SearchOutcome()
        seen: dict[str, None] = {}
        pending = [(mindate, maxdate)]
        while pending:
            lo, hi = pending.pop()
            try:
                seen.update(dict.fromkeys(self._list(outcome, term, lo, hi, datetype)))
            except ResultTooLarge as exc:
                if lo == hi:
                    outcome.notes.append(
                        f"{format_date(lo)}: {exc.count} hits in one day, listed by PMID range"
                    )
                    self._list_by_uid(outcome, seen, term, lo, datetype)
                    continue
                first, second = split_date_window(lo, hi)
                pending += [second, first]  # popped first-half first: date order
        outcome.ids = list(seen)
        return outcome

    def _list_by_uid(
        self, outcome: SearchOutcome, seen: dict[str, None], term: str, day: date, datetype: str
    ) -> None:
        """List one day's hits in PMID ranges small enough for PubMed to list whole."""
        pending = [(1, UID_MAX)]
        while pending:
            lo, hi = pending.pop()
            try:
                ids = self._list(outcome, f"({term}) AND {lo}:{hi}[uid]", day, day, datetype)
            except ResultTooLarge:
                mid = (lo + hi) // 2  # a range of one PMID has at most one hit: never here
                pending += [(mid + 1, hi), (lo, mid)]
                continue
            seen.update(dict.fromkeys(ids))

    def search_ids_split(
        self, term: str, mindate: date, maxdate: date, datetype: str = "edat"
    ) -> list[str]:
        """The ids of :meth:`search` (for callers that need only the ids)."""
        return self.search(term, mindate, maxdate, datetype).ids

    # ----------------------------------------------------------------- efetch

    def efetch(self, ids: Sequence[str], batch_size: int = EFETCH_BATCH_SIZE) -> Iterator[bytes]:
        """PubMed XML for ``ids``, one ``PubmedArticleSet`` document per batch, by POST.

        Duplicate ids are fetched once. Each batch is checked: a body cut short is retried,
        then raises EutilsResponseError naming the batch's first and last id; a batch lacking
        records raises :class:`MissingRecordsError` with ``missing_ids`` and the ``document``.
        Ids are checked here, before any request; the batches come lazily.
        """
        if not 1 <= batch_size <= EFETCH_MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{EFETCH_MAX_BATCH}, got {batch_size}")
        unique = check_pmids(ids)
        return self._efetch_batches(unique, batch_size)

    def _efetch_batches(self, ids: list[str], batch_size: int) -> Iterator[bytes]:
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            params = build_efetch_params(batch)
            body, pmids = self._call("efetch", params, _body_and_pmids)
            got = set(pmids)
            missing = tuple(i for i in batch if i not in got)
            if missing:
                shown = ", ".join(missing[:20]) + (", ..." if len(missing) > 20 else "")
                raise MissingRecordsError(
                    f"{describe_request('efetch', params)}: {len(missing)} of {len(batch)} "
                    f"records missing (deleted or not yet public?): {shown}",
                    missing_ids=missing,
                    document=body,
                )
            yield body


def _body_and_pmids(body: bytes) -> tuple[bytes, tuple[str, ...]]:
    return body, parse_efetch_pmids(body)


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def client_from_env(
    config_eutils_url: str | None = None,
    config_email: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    **kwargs: object,
) -> EutilsClient:
    """A client configured from the environment and the config file.

    * base URL: ``NCBI_EUTILS_URL`` if set (so a test or smoke run can point any config at
      a local stand-in), else the config's URL, else NCBI's.
    * email: the config's, else ``NCBI_EMAIL``.
    * API key: only ``NCBI_API_KEY`` (a secret never belongs in a committed config); with a
      key the client allows itself 10 requests/s, without one 3.

    Other keyword arguments go to :class:`EutilsClient`.
    """
    env = os.environ if environ is None else environ
    base_url = (env.get("NCBI_EUTILS_URL") or "").strip() or config_eutils_url or None
    email = config_email or (env.get("NCBI_EMAIL") or "").strip() or None
    api_key = (env.get("NCBI_API_KEY") or "").strip() or None
    return EutilsClient(base_url, email=email, api_key=api_key, **kwargs)  # type: ignore[arg-type]
