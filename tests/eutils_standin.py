"""A local stand-in for NCBI E-utilities (PubMed esearch, efetch): for tests, bench, smoke runs.

It answers like NCBI where the harvester cares and counts and records what it was sent::

    standin = EutilsStandin(
        searches={"asthma": [("31000001", date(2024, 1, 2)), ("31000002", "2024/03/09")]},
        records={"31000001": "<PubmedArticle>...</PubmedArticle>"},
        make_record=minimal_article,  # records for ids not in ``records``; None: left out
    )
    base_url = standin.register(httpserver)  # on a pytest_httpserver.HTTPServer, or
    with standin.serve() as base_url:        # on its own ThreadingHTTPServer on 127.0.0.1
        client = EutilsClient(base_url, ...)
    standin.counts["efetch"], standin.requests[0].params["tool"], standin.fetched_ids()

What it plays:

* ``esearch.fcgi`` (GET or POST): a term matches a key of ``searches`` exactly (whitespace
  normalised), else ``any_term`` if given, else the answer carries
  ``ErrorList/PhraseNotFound`` and ``WarningList/OutputMessage`` as NCBI's does. Each entry is
  ``(pmid, date)`` — that one date stands for whichever ``datetype`` is asked — or
  ``(pmid, {"edat": ..., "crdt": ...})`` with a date per datetype (``"*"`` for the others).
  ``mindate`` and ``maxdate`` (``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD``, inclusive, given
  together) filter on it. A term ``(T) AND lo:hi[uid]`` is ``T`` limited to that PMID range.
  ``retstart``/``retmax`` (default 20) page in the order entries were given; at most the
  first 9,999 are listed and ``retstart`` above 9,998 gives NCBI's ``<ERROR>``.
  ``usehistory=y`` stores the result in a ``WebEnv`` (a new one, or the one passed) under the
  next ``query_key``; a passed ``query_key`` intersects the term with that stored set.
* ``efetch.fcgi`` (GET or POST, ``db=pubmed``, ``retmode=xml``): ``id=`` a comma list, or
  ``WebEnv``/``query_key`` with ``retstart``/``retmax``; answers a ``PubmedArticleSet`` (with
  PubMed's DOCTYPE) of the known records in the order asked. Unknown ids are left out, as
  NCBI leaves out deleted PMIDs, unless ``make_record`` builds them.
* NCBI's rate limit: more than 3 requests in a sliding second per client address without
  ``api_key``, 10 per key with one (rejected requests count too) → HTTP 429 with NCBI's
  JSON body, which echoes the key or address as NCBI does.
* Faults on demand (:meth:`EutilsStandin.add_fault`): an HTTP status, a delay, a body cut
  short, an ``<ERROR>`` answer at HTTP 200 (NCBI's outages), for the next request(s).
* The live service's habits: a search may drop terms PubMed does not know and run the rest
  (``add_search(..., not_found=...)``: hits plus ``ErrorList/PhraseNotFound``); count more
  ids than it lists (``unlisted=``); efetch may leave out PMIDs it cannot serve
  (:meth:`EutilsStandin.withhold`); a stored record may be revised later with a new
  modification date (:meth:`EutilsStandin.revise`, found by ``datetype=mdat``).

It is not PubMed: no query syntax, no sort orders, no ``esummary``/``elink``/``epost``.

Run ``python -m tests.eutils_standin --help`` to serve a synthetic corpus from the command
line (for a ``make publish`` smoke run with ``NCBI_EUTILS_URL`` pointing at it).
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import json
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

DEFAULT_PREFIX = "/entrez/eutils/"
LIST_CAP = 9999  # PubMed esearch lists the first 9,999 ids of a result
WINDOW_S = 1.0

Entry = tuple[str, "date | str | Mapping[str, date | str]"]
Dates = dict[str, date]  # datetype → date; "*" stands for every datetype not named
UID_TERM = re.compile(r"\((?P<term>.*)\) AND (?P<lo>\d+):(?P<hi>\d+)\[uid\]", re.IGNORECASE)

ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EFETCH_HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
RETSTART_ERROR = (
    "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. For PubMed, "
    "ESearch can only retrieve the first 9,999 records matching the query. To obtain more "
    "than 9,999 PubMed records, consider using EDirect that contains additional logic to "
    "batch PubMed search results automatically so that an arbitrary number can be retrieved. "
    "For details see https://www.ncbi.nlm.nih.gov/books/NBK25499/"
)


class StandinResponse(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or to) the normal answer of one request.

    ``status`` answers that HTTP status at once (``body`` or a default body; for 429 NCBI's
    JSON); ``delay_s`` sleeps before answering (past a client's timeout, say); ``truncate_to``
    cuts the normal body to that many bytes while keeping HTTP framing intact.
    """

    status: int | None = None
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    truncate_to: int | None = None
    error: str | None = None  # answer HTTP 200 with this <ERROR> text

    @classmethod
    def http(cls, status: int, *, retry_after: str | float | None = None) -> Fault:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(status=status, headers=headers)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        return cls(delay_s=seconds)

    @classmethod
    def truncate(cls, n_bytes: int) -> Fault:
        return cls(truncate_to=n_bytes)

    @classmethod
    def eutils_error(cls, message: str) -> Fault:
        """An ``<ERROR>`` answer at HTTP 200, as NCBI sends during outages."""
        return cls(error=message)


@dataclass
class RecordedRequest:
    """One request as received. ``params`` merges query string and form body (last wins)."""

    at: float
    endpoint: str
    method: str
    path: str
    query: str
    body: bytes
    params: dict[str, str]
    client: str
    status: int | None = None  # set once answered
    faulted: bool = False


class EutilsStandin:
    """The stand-in's state and request handling, independent of the HTTP server in front.

    ``searches`` maps a term to its ``(pmid, date)`` entries; ``records`` maps a PMID to one
    ``<PubmedArticle>``/``<PubmedBookArticle>`` element as XML text; ``make_record(pmid)``
    builds records for other ids. ``rate_limit=False`` turns NCBI's 429 enforcement off
    (for tests whose injected sleep makes the client send faster than real time);
    ``retry_after`` adds that ``Retry-After`` header to 429 answers (NCBI's carry none).
    """

    def __init__(
        self,
        searches: Mapping[str, Sequence[Entry]] | None = None,
        records: Mapping[str, str] | None = None,
        *,
        make_record: Callable[[str], str] | None = None,
        any_term: Sequence[Entry] | None = None,
        rate_limit: bool = True,
        limits: tuple[int, int] = (3, 10),
        retry_after: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._searches: dict[str, list[tuple[str, Dates]]] = {}
        self._search_notes: dict[str, tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]] = {}
        self._withheld: dict[str, int | None] = {}
        self._revised: dict[str, date] = {}
        for term, entries in (searches or {}).items():
            self.add_search(term, entries)
        self._any_term = _entries(any_term) if any_term is not None else None
        self._records: dict[str, str] = dict(records or {})
        self.make_record = make_record
        self.rate_limit = rate_limit
        self.limits = limits
        self.retry_after = retry_after
        self._clock = clock
        self._arrivals: dict[str, deque[float]] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._histories: dict[str, list[list[tuple[str, Dates]]]] = {}
        self.requests: list[RecordedRequest] = []
        self.counts: Counter[str] = Counter()
        self.rejected = 0  # 429 answers from the rate limit (not from faults)

    # ----------------------------------------------------------------- set-up

    def add_search(
        self,
        term: str,
        entries: Sequence[Entry],
        *,
        not_found: Sequence[str] = (),
        quoted_not_found: Sequence[str] = (),
        unlisted: Sequence[str] = (),
    ) -> None:
        """Let ``term`` match ``entries`` (``(pmid, date)``; date as ``date`` or YYYY/MM/DD,
        or a mapping datetype → date).

        ``not_found`` plays PubMed dropping unknown terms and running the rest: the answer
        lists the hits *and* ``ErrorList/PhraseNotFound`` for each; ``quoted_not_found``
        adds ``WarningList/QuotedPhraseNotFound``. ``unlisted`` plays esearch counting more
        ids than it lists: ``Count`` includes these PMIDs, the id list never shows them.
        """
        key = _norm_term(term)
        with self._lock:
            self._searches[key] = _entries(entries)
            self._search_notes[key] = (
                tuple(not_found),
                tuple(quoted_not_found),
                frozenset(str(p) for p in unlisted),
            )

    def withhold(self, pmids: Sequence[str], times: int | None = None) -> None:
        """efetch leaves these PMIDs out (of the next ``times`` answers naming each; None:
        always), as NCBI leaves out records it cannot serve."""
        with self._lock:
            for pmid in pmids:
                self._withheld[str(pmid)] = times

    def revise(self, pmid: str, xml: str, modified: date | str) -> None:
        """Replace a record with a revised version that ``datetype=mdat`` finds on ``modified``
        (a retraction notice, MeSH indexing, an added abstract)."""
        with self._lock:
            self._records[str(pmid)] = xml
            self._revised[str(pmid)] = _parse_date(modified, end=False)

    def add_records(self, records: Mapping[str, str]) -> None:
        """Add or replace records (PMID → ``<PubmedArticle>`` XML text)."""
        with self._lock:
            self._records.update(records)

    def add_fault(self, endpoint: str, fault: Fault, times: int = 1) -> None:
        """Apply ``fault`` to the next ``times`` requests to ``endpoint`` (esearch/efetch)."""
        with self._lock:
            self._faults.setdefault(endpoint, deque()).extend([fault] * times)

    def reset_log(self) -> None:
        """Forget recorded requests, counts and rate-limit history (not corpus or histories)."""
        with self._lock:
            self.requests.clear()
            self.counts.clear()
            self.rejected = 0
            self._arrivals.clear()

    # ----------------------------------------------------------------- introspection

    def fetched_ids(self, *, answered_only: bool = True) -> list[str]:
        """Every id asked of efetch by ``id=``, in order, repeats kept.

        With ``answered_only`` only requests answered normally (HTTP 200, no fault) count,
        so a test can assert each PMID was *delivered* once despite retries.
        """
        with self._lock:
            requests = list(self.requests)
        ids: list[str] = []
        for req in requests:
            if req.endpoint != "efetch" or "id" not in _lower(req.params):
                continue
            if answered_only and (req.status != 200 or req.faulted):
                continue
            ids += _split_ids(_lower(req.params)["id"])
        return ids

    def sent_text(self) -> str:
        """All query strings and bodies received, joined (to look for things that leaked)."""
        with self._lock:
            requests = list(self.requests)
        return "\n".join(
            f"{r.path}?{r.query}\n{r.body.decode('utf-8', 'replace')}" for r in requests
        )

    # ----------------------------------------------------------------- handling

    def handle(
        self,
        method: str,
        path: str,
        query: str | bytes,
        body: bytes = b"",
        *,
        client: str = "127.0.0.1",
        content_type: str = "",
    ) -> StandinResponse:
        """Answer one HTTP request (the servers in front call this)."""
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        endpoint = path.rsplit("/", 1)[-1].removesuffix(".fcgi")
        params = dict(parse_qsl(query, keep_blank_values=True))
        if method == "POST" and "multipart" not in content_type:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        record = RecordedRequest(self._clock(), endpoint, method, path, query, body, params, client)
        p = _lower(params)
        with self._lock:
            self.requests.append(record)
            self.counts[endpoint] += 1
            throttled = self._throttle(p.get("api_key") or "", client, record.at)
            queue = self._faults.get(endpoint)
            fault = queue.popleft() if queue and throttled is None else None
        if throttled is not None:
            record.status = throttled.status
            return throttled
        if fault is not None:
            record.faulted = True
            if fault.delay_s:
                time.sleep(fault.delay_s)
        if fault is not None and fault.error is not None:
            make = _esearch_error if endpoint == "esearch" else _efetch_error
            response = make(fault.error)
        elif fault is not None and fault.status is not None:
            response = StandinResponse(
                fault.status,
                {"Content-Type": "text/plain", **fault.headers},
                fault.body if fault.body is not None else _default_body(fault.status, p, client),
            )
            if fault.status == 429 and fault.body is None:
                response.headers["Content-Type"] = "application/json"
        elif endpoint == "esearch":
            response = self._esearch(p)
        elif endpoint == "efetch":
            response = self._efetch(p)
        else:
            response = _text(404, f"no such E-utility: {path}")
        if fault is not None and fault.truncate_to is not None:
            response = response._replace(body=response.body[: fault.truncate_to])
            response.headers.update(fault.headers)
        record.status = response.status
        return response

    def _throttle(self, api_key: str, client: str, now: float) -> StandinResponse | None:
        """NCBI's per-second limit, as a sliding window over arrivals (call under the lock)."""
        if not self.rate_limit:
            return None
        who = api_key or client
        limit = self.limits[1] if api_key else self.limits[0]
        window = self._arrivals.setdefault(f"key:{api_key}" if api_key else f"ip:{client}", deque())
        while window and window[0] <= now - WINDOW_S:
            window.popleft()
        window.append(now)  # NCBI counts rejected requests too
        if len(window) <= limit:
            return None
        self.rejected += 1
        body = json.dumps(
            {
                "error": "API rate limit exceeded",
                "api-key": who,
                "count": str(len(window)),
                "limit": str(limit),
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
        }
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        return StandinResponse(429, headers, body)

    def _esearch(self, p: dict[str, str]) -> StandinResponse:
        if p.get("db", "pubmed") != "pubmed":
            return _esearch_error(f"stand-in serves db=pubmed only, not {p.get('db')!r}")
        try:
            retstart = int(p.get("retstart") or 0)
            retmax = int(p.get("retmax") or 20)
        except ValueError:
            return _esearch_error("retstart and retmax must be integers")
        try:
            window = _date_window(p.get("mindate"), p.get("maxdate"))
        except ValueError as exc:
            return _esearch_error(str(exc))
        term = _norm_term(p.get("term", ""))
        uid_range = None
        if match := UID_TERM.fullmatch(term):
            term, uid_range = match["term"], (int(match["lo"]), int(match["hi"]))
        datetype = (p.get("datetype") or "pdat").lower()
        webenv, query_key = p.get("webenv"), p.get("query_key")
        errors: list[tuple[str, str]] = []
        warnings: list[tuple[str, str]] = []
        unlisted: frozenset[str] = frozenset()
        with self._lock:
            if query_key:
                sets = self._histories.get(webenv or "")
                if sets is None:
                    return _esearch_error(f"Unknown WebEnv: {webenv!r}")
                if not query_key.isdigit() or not 1 <= int(query_key) <= len(sets):
                    return _esearch_error(f"Unable to obtain query #{query_key}")
                stored = sets[int(query_key) - 1]
            else:
                stored = None
            if term:
                entries = self._searches.get(term, self._any_term)
                if entries is None:
                    entries = []
                    errors.append(("PhraseNotFound", term))
                    warnings.append(("OutputMessage", "No items found."))
                else:
                    notes = self._search_notes.get(term, ((), (), frozenset()))
                    not_found, quoted, unlisted = notes
                    errors += [("PhraseNotFound", t) for t in not_found]
                    warnings += [("QuotedPhraseNotFound", t) for t in quoted]
                if stored is not None:
                    keep = {pmid for pmid, _ in stored}
                    entries = [e for e in entries if e[0] in keep]
            elif stored is not None:
                entries = stored
            else:
                return _esearch_error("Empty term and query_key - nothing todo")
            if uid_range is not None:
                entries = [e for e in entries if uid_range[0] <= int(e[0]) <= uid_range[1]]
            if window is not None:
                entries = [
                    e for e in entries if window[0] <= self._date_of(e, datetype) <= window[1]
                ]
            if retstart > LIST_CAP - 1:
                return _esearch_error(RETSTART_ERROR)
            if p.get("usehistory") == "y":
                if not webenv or webenv not in self._histories:
                    webenv = f"MCID_standin_{len(self._histories) + 1:06d}"
                    self._histories[webenv] = []
                self._histories[webenv].append(list(entries))
                query_key = str(len(self._histories[webenv]))
            else:
                webenv = query_key = None
        count = len(entries)
        if unlisted:
            entries = [e for e in entries if e[0] not in unlisted]
        ids = [pmid for pmid, _ in entries[retstart : min(retstart + retmax, LIST_CAP)]]
        translation = term or f"#{p.get('query_key')}"
        if uid_range is not None:
            translation = f"({translation}) AND {uid_range[0]}:{uid_range[1]}[uid]"
        if window is not None:
            translation += f" AND {_fmt(window[0])}:{_fmt(window[1])}[{datetype}]"
        parts = [
            f"<Count>{count}</Count><RetMax>{len(ids)}</RetMax>",
            f"<RetStart>{retstart}</RetStart>",
        ]
        if webenv:
            parts.append(f"<QueryKey>{query_key}</QueryKey><WebEnv>{escape(webenv)}</WebEnv>")
        parts.append("<IdList>" + "".join(f"<Id>{i}</Id>" for i in ids) + "</IdList>")
        parts.append(f"<TranslationSet/><QueryTranslation>{escape(translation)}</QueryTranslation>")
        if errors:
            parts.append(_xml_list("ErrorList", errors))
        if warnings:
            parts.append(_xml_list("WarningList", warnings))
        xml = ESEARCH_HEAD + "<eSearchResult>" + "".join(parts) + "</eSearchResult>\n"
        return StandinResponse(200, {"Content-Type": "text/xml; charset=UTF-8"}, xml.encode())

    def _efetch(self, p: dict[str, str]) -> StandinResponse:
        if p.get("db", "pubmed") != "pubmed":
            return _efetch_error(f"stand-in serves db=pubmed only, not {p.get('db')!r}")
        if p.get("retmode") != "xml":
            return _text(400, "stand-in efetch serves retmode=xml only")
        if p.get("id", "").strip():
            ids = list(dict.fromkeys(_split_ids(p["id"])))
        elif p.get("webenv") and p.get("query_key"):
            with self._lock:
                sets = self._histories.get(p["webenv"])
                key = p["query_key"]
                if sets is None or not key.isdigit() or not 1 <= int(key) <= len(sets):
                    return _efetch_error(f"Unable to obtain query #{key}")
                stored = sets[int(key) - 1]
            try:
                retstart = int(p.get("retstart") or 0)
                retmax = int(p.get("retmax") or 20)
            except ValueError:
                return _efetch_error("retstart and retmax must be integers")
            ids = [pmid for pmid, _ in stored[retstart : retstart + retmax]]
        else:
            return _efetch_error("Empty id list - nothing todo")
        with self._lock:
            known = {i: self._records[i] for i in ids if i in self._records}
            held = set()
            for pmid in ids:
                if pmid in self._withheld:
                    held.add(pmid)
                    left = self._withheld[pmid]
                    if left is not None:
                        if left <= 1:
                            del self._withheld[pmid]
                        else:
                            self._withheld[pmid] = left - 1
        parts = []
        for pmid in ids:
            if pmid in held:
                continue
            xml = known.get(pmid)
            if xml is None and self.make_record is not None:
                xml = self.make_record(pmid)
            if xml is not None:
                parts.append(xml.strip())
        xml = EFETCH_HEAD + "<PubmedArticleSet>\n" + "\n".join(parts) + "\n</PubmedArticleSet>\n"
        return StandinResponse(200, {"Content-Type": "text/xml; charset=UTF-8"}, xml.encode())

    def _date_of(self, entry: tuple[str, Dates], datetype: str) -> date:
        """An entry's date for ``datetype``; a revised record's ``mdat`` is its revision day."""
        pmid, dates = entry
        if datetype == "mdat" and pmid in self._revised:
            return self._revised[pmid]
        return dates.get(datetype) or dates.get("*") or dates.get("crdt") or min(dates.values())

    # ----------------------------------------------------------------- servers in front

    def register(self, httpserver: Any, prefix: str = DEFAULT_PREFIX) -> str:
        """Answer ``{prefix}esearch.fcgi`` and ``efetch.fcgi`` on a pytest-httpserver server.

        Returns the base URL to give the client. A ``threaded=True`` server lets a delayed
        answer overlap the client's retry.
        """
        from werkzeug import Request, Response

        def respond(request: Request) -> Response:
            answer = self.handle(
                request.method,
                request.path,
                request.query_string,
                request.get_data(),
                client=request.remote_addr or "",
                content_type=request.content_type or "",
            )
            return Response(answer.body, status=answer.status, headers=answer.headers)

        prefix = _norm_prefix(prefix)
        pattern = re.compile("^" + re.escape(prefix) + r"(esearch|efetch)\.fcgi$")
        httpserver.expect_request(pattern).respond_with_handler(respond)
        return httpserver.url_for(prefix)

    @contextlib.contextmanager
    def serve(
        self, host: str = "127.0.0.1", port: int = 0, prefix: str = DEFAULT_PREFIX
    ) -> Iterator[str]:
        """Serve on a stdlib ``ThreadingHTTPServer`` in a thread; yield the base URL."""
        server = self.make_server(host, port, prefix)
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="eutils-standin", daemon=True
        )
        thread.start()
        try:
            yield f"http://{host}:{server.server_port}{_norm_prefix(prefix)}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def make_server(
        self, host: str = "127.0.0.1", port: int = 0, prefix: str = DEFAULT_PREFIX
    ) -> ThreadingHTTPServer:
        """A stdlib ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive) bound to this stand-in."""
        standin = self
        prefix = _norm_prefix(prefix)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, a keep-alive client's
            # delayed ACK would stall every answer by ~40 ms.
            disable_nagle_algorithm = True

            def _answer(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if path.startswith(prefix):
                    answer = standin.handle(
                        self.command,
                        path,
                        query,
                        body,
                        client=self.client_address[0],
                        content_type=self.headers.get("Content-Type", ""),
                    )
                else:
                    answer = _text(404, f"no such path: {path}")
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client that timed out and hung up on a delayed answer is expected.
                pass

        return Server((host, port), Handler)


# --------------------------------------------------------------------------- records


def minimal_article(
    pmid: str,
    *,
    edat: date | None = None,
    title: str | None = None,
    abstract: str | None = None,
) -> str:
    """A small but DTD-shaped ``<PubmedArticle>`` for ``pmid`` (a ``make_record`` default)."""
    day = edat or date(2024, 1, 1)
    title = title or f"Stand-in record {pmid}: a synthetic title."
    abstract = abstract or (
        f"Background: record {pmid} was made by the E-utilities stand-in. "
        "Results: it has a title, an abstract, one author and one journal."
    )
    ymd = f"<Year>{day.year}</Year><Month>{day.month:02d}</Month><Day>{day.day:02d}</Day>"
    return (
        '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID>'
        f"<DateRevised>{ymd}</DateRevised>"
        '<Article PubModel="Print"><Journal><ISSN IssnType="Print">0000-0000</ISSN>'
        '<JournalIssue CitedMedium="Print"><Volume>1</Volume><Issue>1</Issue>'
        f"<PubDate><Year>{day.year}</Year></PubDate></JournalIssue>"
        "<Title>Journal of Stand-in Studies</Title>"
        "<ISOAbbreviation>J Standin Stud</ISOAbbreviation></Journal>"
        f"<ArticleTitle>{escape(title)}</ArticleTitle>"
        f"<Abstract><AbstractText>{escape(abstract)}</AbstractText></Abstract>"
        '<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Doe</LastName>'
        "<ForeName>Jane</ForeName><Initials>J</Initials></Author></AuthorList>"
        "<Language>eng</Language><PublicationTypeList>"
        '<PublicationType UI="D016428">Journal Article</PublicationType>'
        "</PublicationTypeList></Article>"
        "<MedlineJournalInfo><Country>United States</Country>"
        "<MedlineTA>J Standin Stud</MedlineTA><NlmUniqueID>0000000</NlmUniqueID>"
        "</MedlineJournalInfo></MedlineCitation>"
        f'<PubmedData><History><PubMedPubDate PubStatus="entrez">{ymd}</PubMedPubDate>'
        "</History><PublicationStatus>ppublish</PublicationStatus>"
        f'<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList>'
        "</PubmedData></PubmedArticle>"
    )


def retracted_article(pmid: str, notice_pmid: str, revised: date, **kwargs: Any) -> str:
    """:func:`minimal_article` as PubMed shows it once retracted: a ``RetractionIn`` link to
    the notice, the "Retracted Publication" type, and ``DateRevised`` of the change."""
    xml = minimal_article(pmid, **kwargs)
    ymd = f"<Year>{revised.year}</Year><Month>{revised.month:02d}</Month>"
    ymd += f"<Day>{revised.day:02d}</Day>"
    xml = re.sub(r"<DateRevised>.*?</DateRevised>", f"<DateRevised>{ymd}</DateRevised>", xml)
    xml = xml.replace(
        "</PublicationTypeList>",
        '<PublicationType UI="D016441">Retracted Publication</PublicationType>'
        "</PublicationTypeList>",
    )
    return xml.replace(
        "</MedlineJournalInfo>",
        '</MedlineJournalInfo><CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
        f"<RefSource>J Standin Stud. {revised.year}</RefSource>"
        f'<PMID Version="1">{notice_pmid}</PMID></CommentsCorrections></CommentsCorrectionsList>',
    )


def synthetic_entries(
    n: int, start: date, end: date, *, first_pmid: int = 30_000_000
) -> list[tuple[str, date]]:
    """``n`` entries with consecutive PMIDs, their dates spread evenly over ``[start, end]``."""
    if n <= 0:
        return []
    days = (end - start).days
    if days < 0:
        raise ValueError(f"start {start} is after end {end}")
    return [(str(first_pmid + i), start + timedelta(days=(i * (days + 1)) // n)) for i in range(n)]


# --------------------------------------------------------------------------- helpers


def _entries(entries: Sequence[Entry]) -> list[tuple[str, Dates]]:
    out = []
    for pmid, when in entries:
        if isinstance(when, Mapping):
            dates = {k.lower(): _parse_date(v, end=False) for k, v in when.items()}
        else:
            dates = {"*": _parse_date(when, end=False)}
        out.append((str(pmid), dates))
    return out


def _norm_term(term: str) -> str:
    return " ".join(term.split())


def _norm_prefix(prefix: str) -> str:
    prefix = "/" + prefix.strip("/") + "/"
    return "/" if prefix == "//" else prefix


def _lower(params: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in params.items()}


def _split_ids(text: str) -> list[str]:
    return [i for i in re.split(r"[,\s]+", text) if i]


def _fmt(d: date) -> str:
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


def _parse_date(value: date | str, *, end: bool) -> date:
    """``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD`` (``-`` also accepted); ``end`` picks the last day."""
    if isinstance(value, date):
        return value
    parts = [int(x) for x in re.split(r"[/-]", value.strip())]
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"bad date {value!r}")
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (12 if end else 1)
    last_day = calendar.monthrange(year, month)[1]
    day = parts[2] if len(parts) > 2 else (last_day if end else 1)
    return date(year, month, day)


def _date_window(mindate: str | None, maxdate: str | None) -> tuple[date, date] | None:
    if not mindate and not maxdate:
        return None
    if not mindate or not maxdate:
        raise ValueError("mindate and maxdate must be given together")
    try:
        return _parse_date(mindate, end=False), _parse_date(maxdate, end=True)
    except ValueError:
        raise ValueError(f"Invalid date range: {mindate!r} to {maxdate!r}") from None


def _xml_list(tag: str, items: list[tuple[str, str]]) -> str:
    inner = "".join(f"<{name}>{escape(text)}</{name}>" for name, text in items)
    return f"<{tag}>{inner}</{tag}>"


def _esearch_error(message: str) -> StandinResponse:
    xml = ESEARCH_HEAD + f"<eSearchResult><ERROR>{escape(message)}</ERROR></eSearchResult>\n"
    return StandinResponse(200, {"Content-Type": "text/xml; charset=UTF-8"}, xml.encode())


def _efetch_error(message: str) -> StandinResponse:
    xml = f'<?xml version="1.0" ?>\n<eFetchResult><ERROR>{escape(message)}</ERROR></eFetchResult>\n'
    return StandinResponse(200, {"Content-Type": "text/xml; charset=UTF-8"}, xml.encode())


def _text(status: int, message: str) -> StandinResponse:
    return StandinResponse(status, {"Content-Type": "text/plain"}, message.encode())


def _default_body(status: int, p: Mapping[str, str], client: str) -> bytes:
    if status == 429:
        who = p.get("api_key") or client
        return json.dumps(
            {"error": "API rate limit exceeded", "api-key": who, "count": "4", "limit": "3"},
            separators=(",", ":"),
        ).encode()
    return f"<html><body><h1>{status}</h1><p>stand-in fault</p></body></html>".encode()


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a synthetic corpus until interrupted (for smoke runs by hand or from make)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--count", type=int, default=300, help="synthetic records per search")
    parser.add_argument("--start", default="2024/01/01", help="first entry date (YYYY/MM/DD)")
    parser.add_argument("--end", default="2024/12/31", help="last entry date (YYYY/MM/DD)")
    parser.add_argument("--first-pmid", type=int, default=30_000_000)
    parser.add_argument(
        "--term",
        action="append",
        default=[],
        help="answer only this term (repeatable); "
        "without --term every term matches the synthetic corpus",
    )
    parser.add_argument("--no-rate-limit", action="store_true", help="never answer 429")
    args = parser.parse_args(argv)
    entries = synthetic_entries(
        args.count,
        _parse_date(args.start, end=False),
        _parse_date(args.end, end=True),
        first_pmid=args.first_pmid,
    )
    dates = dict(entries)
    standin = EutilsStandin(
        searches={t: entries for t in args.term},
        any_term=None if args.term else entries,
        make_record=lambda pmid: minimal_article(pmid, edat=dates.get(pmid)),
        rate_limit=not args.no_rate_limit,
    )
    with standin.serve(args.host, args.port) as base_url:
        print(f"E-utilities stand-in at {base_url} (NCBI_EUTILS_URL={base_url})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
