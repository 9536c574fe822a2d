"""A stand-in for NIH iCite's ``/api/pubs`` on 127.0.0.1, for tests: real HTTP, iCite's JSON.

What it has learnt of the real service (https://icite.od.nih.gov/api): ``GET /api/pubs``
with ``pmids=a,b,c`` (up to 1,000), ``fl`` (the fields wanted) and ``format=json``; the
answer is ``{"meta": …, "links": …, "data": [one object per PMID it knows]}`` — PMIDs it does
not know are simply absent, in any order; ``relative_citation_ratio`` and
``nih_percentile`` are null for papers too recent to have one; ``provisional`` is "Yes" or
"No"; ``cited_by_clin``, ``cited_by`` and ``references`` are lists of integer PMIDs.
Over 1,000 PMIDs it answers 400. ``faults`` are served first, one per request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Fault:
    status: int = 500
    body: bytes = b"Internal Server Error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class IciteStandin:
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[list[str]] = field(default_factory=list)  # the PMIDs of each request
    url: str = ""

    def add(self, pmid: int, citations: int = 0, rcr: float | None = 1.0, **more: Any) -> None:
        self.records[pmid] = {
            "pmid": pmid,
            "citation_count": citations,
            "relative_citation_ratio": rcr,
            "nih_percentile": more.pop("percentile", 50.0 if rcr is not None else None),
            "cited_by_clin": more.pop("clinical", []),
            "cited_by": more.pop("cited_by", []),
            "references": more.pop("references", []),
            "provisional": more.pop("provisional", "No"),
            "year": more.pop("year", 2024),
            **more,
        }

    def answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        parsed = urlparse(path)
        if parsed.path.rstrip("/") != "/api/pubs":
            return 404, b'{"error": "not found"}', {}
        query = parse_qs(parsed.query)
        pmids = [p for p in ",".join(query.get("pmids", [""])).split(",") if p]
        self.requests.append(pmids)
        if self.faults:
            f = self.faults.pop(0)
            return f.status, f.body, f.headers
        if len(pmids) > 1000:
            return 400, b'{"error": "too many pmids"}', {}
        fields = [f for f in ",".join(query.get("fl", [""])).split(",") if f]
        data = []
        for p in reversed(pmids):  # any order
            record = self.records.get(int(p)) if p.isdigit() else None
            if record is not None:
                data.append({k: v for k, v in record.items() if not fields or k in fields})
        body = {"meta": {"pmids": ",".join(pmids)}, "links": {"self": path}, "data": data}
        return 200, json.dumps(body).encode(), {"Content-Type": "application/json"}


@contextmanager
def serve(standin: IciteStandin) -> Iterator[IciteStandin]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, headers = standin.answer(self.path)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    standin.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
