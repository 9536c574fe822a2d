"""Measure in-browser search on a built site: time to the first result and bytes transferred.

    python bench/bench_search.py SITE_DIR [--queries FILE.json] [--query Q ...] [--json OUT]

Serves SITE_DIR on 127.0.0.1 (stdlib ``http.server`` in a thread, counting the bytes of every
response body it sends) and drives headless Chromium (Playwright with ``/usr/bin/chromium``).
For each query, in a fresh browser context (empty cache): load the landing page, type the
query at once, and time from typing to the first result on screen; then run every other query
in the same page ("later" queries, index already loaded). Bytes are counted by the server:
until the page's ``load`` event, then per query until the network has been quiet for 0.5 s.
A gzip estimate (what a server that compresses, such as GitHub Pages, would send) is given
beside the raw bytes.

The search UI is detected: pubmed-kb's dialog (``#kb-search-input``, ``.kb-search__result``),
Pagefind's default UI (input ``.pagefind-ui__search-input``, results
``.pagefind-ui__result``) or Material's built-in search (``.md-search__input``,
``.md-search-result__item``); ``--input-selector`` / ``--result-selector`` override both.
Queries come from ``--query`` (repeatable, ``kind=text`` or just ``text``) or a JSON object
``{kind: text}`` such as ``bench/synth.py`` writes (``OUT.queries.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import json
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PAGEFIND = (".pagefind-ui__search-input", ".pagefind-ui__result")
MATERIAL = (".md-search__input", ".md-search-result__item")
OPENER = "[data-kb-search-open]"  # pubmed-kb's header button: its dialog on Pagefind's API
KB_DIALOG = ("#kb-search-input", ".kb-search__result")
DEFAULT_QUERIES = {
    "abstract word": "metastasis",
    "MeSH term": "Exosomes",
    "author": "Kim",
    "Korean word": "엑소좀",
}
QUIET_S = 0.5
# True once the query is answered: a result on screen, or the UI saying there is none.
_ANSWERED_JS = """([res, query]) => {
  const shown = [...document.querySelectorAll(res)].some(e => e.getClientRects().length);
  if (shown) return true;
  const pf = document.querySelector(".pagefind-ui__message");
  if (pf && /^no results/i.test(pf.textContent.trim()) && pf.textContent.includes(query))
    return true;
  const kb = document.querySelector("#kb-search-status");
  if (kb && /^no results/i.test(kb.textContent.trim())) return true;
  const md = document.querySelector(".md-search-result__meta");
  return !!(md && /^no matching/i.test(md.textContent.trim()));
}"""


# --- the server --------------------------------------------------------------------


class Traffic:
    """Every response the server sent: (time, path, body bytes, gzip-estimated bytes)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.Lock()
        self.log: list[tuple[float, str, int, int]] = []
        self._gz: dict[str, int] = {}

    def add(self, path: str, size: int) -> None:
        with self.lock:
            self.log.append((time.monotonic(), path, size, self._gzip_size(path, size)))

    def _gzip_size(self, path: str, size: int) -> int:
        if path not in self._gz:
            file = self.root / path.split("?")[0].lstrip("/")
            if file.is_dir():
                file = file / "index.html"
            try:
                data = file.read_bytes()
                self._gz[path] = min(size, len(gzip.compress(data, 6)))
            except OSError:
                self._gz[path] = size
        return self._gz[path]

    def mark(self) -> int:
        with self.lock:
            return len(self.log)

    def since(self, mark: int) -> tuple[int, int, int]:
        """(requests, bytes, gzip bytes) after ``mark``."""
        with self.lock:
            part = self.log[mark:]
        return len(part), sum(p[2] for p in part), sum(p[3] for p in part)

    def paths_since(self, mark: int) -> list[str]:
        with self.lock:
            return [p[1] for p in self.log[mark:]]

    def wait_quiet(self, quiet: float = QUIET_S, limit: float = 30.0) -> None:
        """Until no response has been sent for ``quiet`` seconds (at most ``limit``)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            with self.lock:
                last = self.log[-1][0] if self.log else 0.0
            if time.monotonic() - last >= quiet:
                return
            time.sleep(0.05)


def _handler(root: Path, traffic: Traffic) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {  # noqa: RUF012 - http.server's own class attribute
            **SimpleHTTPRequestHandler.extensions_map,
            ".wasm": "application/wasm",
            ".js": "text/javascript",
            ".json": "application/json",
        }

        def copyfile(self, source: Any, outputfile: Any) -> None:
            size = 0
            while chunk := source.read(64 * 1024):
                outputfile.write(chunk)
                size += len(chunk)
            traffic.add(self.path, size)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return functools.partial(Handler, directory=str(root))  # type: ignore[return-value]


@contextlib.contextmanager
def serve(root: Path) -> Iterator[tuple[str, Traffic]]:
    traffic = Traffic(root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, traffic))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", traffic
    finally:
        server.shutdown()
        server.server_close()


# --- the browser -------------------------------------------------------------------


@dataclass
class QueryResult:
    kind: str
    query: str
    first_after_load: bool
    ms: float | None  # typing → first result (or "no results") on screen; None: timed out
    requests: int
    bytes: int
    gzip_bytes: int
    message: str = ""
    hit: bool = False  # the first result's text contains the query (case-insensitive)


@dataclass
class Session:
    order: list[str]
    engine: str
    load_ms: float
    load_requests: int
    load_bytes: int
    load_gzip_bytes: int
    first_result_from_navigation_ms: float | None
    open_search: dict[str, Any] = field(default_factory=dict)  # opening the search dialog
    queries: list[QueryResult] = field(default_factory=list)


@dataclass(frozen=True)
class UI:
    engine: str
    input: str
    result: str
    opener: str | None = None  # clicked first when the input only exists after it


def detect_ui(page: Any, timeout_ms: float) -> UI:
    """Pagefind's UI on the page, else a button that opens it, else Material's search."""
    page.wait_for_selector(
        ", ".join((PAGEFIND[0], OPENER, MATERIAL[0])), state="attached", timeout=timeout_ms
    )
    if page.locator(PAGEFIND[0]).count():
        return UI("pagefind", *PAGEFIND)
    if page.locator(OPENER).count():
        return UI("pagefind (pubmed-kb dialog)", *KB_DIALOG, opener=OPENER)
    return UI("material (lunr)", *MATERIAL)


def open_search(page: Any, traffic: Traffic, ui: UI, timeout_ms: float) -> dict[str, Any]:
    """Click the opener; time and bytes until the search input is ready."""
    if not ui.opener:
        return {}
    mark = traffic.mark()
    t0 = time.perf_counter()
    page.locator(f"{ui.opener} >> visible=true").first.click()
    page.wait_for_selector(ui.input, state="visible", timeout=timeout_ms)
    ms = (time.perf_counter() - t0) * 1000
    traffic.wait_quiet()
    requests, size, gz = traffic.since(mark)
    return {"ms": round(ms, 1), "requests": requests, "bytes": size, "gzip_bytes": gz}


def run_query(
    page: Any,
    traffic: Traffic,
    kind: str,
    query: str,
    inp: str,
    res: str,
    first: bool,
    timeout_ms: float,
) -> tuple[QueryResult, float | None]:
    """Type ``query``; the result and the ``perf_counter`` time its first result showed."""
    box = page.locator(inp).first
    if not first:
        box.fill("")
        box.press("End")
        with contextlib.suppress(Exception):
            page.wait_for_function(
                "sel => document.querySelectorAll(sel).length === 0", arg=res, timeout=5000
            )
        traffic.wait_quiet(0.2, 5)
    mark = traffic.mark()
    t0 = time.perf_counter()
    box.fill(query)
    box.press("End")  # a keyup, for UIs that listen to keys rather than input events
    ms: float | None
    at: float | None
    try:
        page.wait_for_function(_ANSWERED_JS, arg=[res, query], timeout=timeout_ms, polling="raf")
        at = time.perf_counter()
        ms = (at - t0) * 1000
    except Exception:
        at = ms = None
    traffic.wait_quiet()
    requests, size, gz = traffic.since(mark)
    message, hit = "", False
    if ms is not None:
        if page.locator(res).count():
            text = page.locator(res).first.inner_text()
            hit = query.casefold() in " ".join(text.split()).casefold()
        else:
            at = None  # answered, but with nothing to show
        for sel in ("#kb-search-status", ".pagefind-ui__message", ".md-search-result__meta"):
            loc = page.locator(sel)
            if loc.count():
                message = " ".join(loc.first.inner_text().split())
                break
    result = QueryResult(kind, query, first, ms and round(ms, 1), requests, size, gz, message, hit)
    return result, at


def run_session(
    browser: Any,
    base: str,
    traffic: Traffic,
    queries: list[tuple[str, str]],
    custom: UI | None,
    path: str,
    timeout_ms: float,
) -> Session:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        mark = traffic.mark()
        t_nav = time.perf_counter()
        page.goto(base + path, wait_until="load", timeout=timeout_ms)
        load_ms = (time.perf_counter() - t_nav) * 1000
        load_requests, load_bytes, load_gz = traffic.since(mark)
        if custom:
            ui = custom
            page.wait_for_selector(ui.opener or ui.input, state="attached", timeout=timeout_ms)
        else:
            ui = detect_ui(page, timeout_ms)
        opened = open_search(page, traffic, ui, timeout_ms)
        session = Session(
            order=[q for _, q in queries],
            engine=ui.engine,
            open_search=opened,
            load_ms=round(load_ms, 1),
            load_requests=load_requests,
            load_bytes=load_bytes,
            load_gzip_bytes=load_gz,
            first_result_from_navigation_ms=None,
        )
        for i, (kind, query) in enumerate(queries):
            r, at = run_query(page, traffic, kind, query, ui.input, ui.result, i == 0, timeout_ms)
            session.queries.append(r)
            if i == 0 and at is not None:
                session.first_result_from_navigation_ms = round((at - t_nav) * 1000, 1)
            print(
                f"  {'first' if i == 0 else 'later'} {kind} {query!r}: "
                f"{'timeout' if r.ms is None else f'{r.ms:.0f} ms'}, {r.requests} requests, "
                f"{r.bytes / 1e3:.1f} KB; {r.message}",
                flush=True,
            )
        return session
    finally:
        context.close()


def run(
    site: Path,
    queries: dict[str, str],
    custom: UI | None = None,
    path: str = "/",
    timeout_s: float = 180,
    rotate: bool = True,
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    items = list(queries.items())
    orders = [items[i:] + items[:i] for i in range(len(items))] if rotate else [items]
    sessions = []
    with serve(site) as (base, traffic), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for order in orders:
                print(f"session: {order[0][0]} first", flush=True)
                sessions.append(
                    run_session(browser, base, traffic, order, custom, path, timeout_s * 1000)
                )
        finally:
            browser.close()
    result = {
        "site": str(site),
        "engine": sessions[0].engine if sessions else None,
        "queries": queries,
        "sessions": [asdict(s) for s in sessions],
        "summary": summarize(sessions),
    }
    result["markdown"] = markdown(result)
    return result


def summarize(sessions: list[Session]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in sessions:
        for q in s.queries:
            row = out.setdefault(q.kind, {"query": q.query, "first": [], "later": []})
            row["first" if q.first_after_load else "later"].append(asdict(q))
    for row in out.values():
        for key in ("first", "later"):
            done = [q for q in row[key] if q["ms"] is not None]
            row[f"{key}_ms_median"] = (
                round(statistics.median(q["ms"] for q in done), 1) if done else None
            )
            row[f"{key}_bytes_median"] = (
                round(statistics.median(q["bytes"] for q in row[key])) if row[key] else None
            )
            row[f"{key}_gzip_bytes_median"] = (
                round(statistics.median(q["gzip_bytes"] for q in row[key])) if row[key] else None
            )
            row[f"{key}_timeouts"] = len(row[key]) - len(done)
        row["message"] = next((q["message"] for q in row["first"] + row["later"]), "")
    if sessions:
        out["_page_load"] = {
            "ms_median": round(statistics.median(s.load_ms for s in sessions), 1),
            "bytes": sessions[0].load_bytes,
            "gzip_bytes": sessions[0].load_gzip_bytes,
        }
        opened = [s.open_search for s in sessions if s.open_search]
        if opened:
            out["_open_search"] = {
                "ms_median": round(statistics.median(o["ms"] for o in opened), 1),
                "bytes": opened[0]["bytes"],
                "gzip_bytes": opened[0]["gzip_bytes"],
            }
    return out


def _kb(n: int | None) -> str:
    return "–" if n is None else f"{n / 1e3:,.1f}"


def markdown(result: dict[str, Any]) -> str:
    summary = result["summary"]
    load = summary.get("_page_load", {})
    opened = summary.get("_open_search")
    lines = [
        f"Search ({result['engine']}): page load {load.get('ms_median', '?')} ms, "
        f"{_kb(load.get('bytes'))} KB ({_kb(load.get('gzip_bytes'))} KB gzipped)"
        + (
            f"; opening the search dialog {opened['ms_median']:,.0f} ms, "
            f"{_kb(opened['bytes'])} KB ({_kb(opened['gzip_bytes'])} KB gzipped)."
            if opened
            else "."
        ),
        "",
        "| query | first query after load: ms | KB (gzip) | later query: ms | KB (gzip) "
        "| results |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind, row in summary.items():
        if kind.startswith("_"):
            continue

        def ms(key: str, row: dict[str, Any] = row) -> str:
            value, timeouts = row[f"{key}_ms_median"], row[f"{key}_timeouts"]
            text = "–" if value is None else f"{value:,.0f}"
            return text + (f" ({timeouts} timed out)" if timeouts else "")

        lines.append(
            f"| {kind}: `{row['query']}` | {ms('first')} | {_kb(row['first_bytes_median'])} "
            f"({_kb(row['first_gzip_bytes_median'])}) | {ms('later')} | "
            f"{_kb(row['later_bytes_median'])} ({_kb(row['later_gzip_bytes_median'])}) "
            f"| {row['message']} |"
        )
    return "\n".join(lines)


def parse_queries(args: argparse.Namespace) -> dict[str, str]:
    queries: dict[str, str] = {}
    if args.queries:
        queries.update(json.loads(args.queries.read_text(encoding="utf-8")))
    for i, q in enumerate(args.query or []):
        kind, sep, text = q.partition("=")
        queries[kind if sep else f"query {i + 1}"] = text if sep else q
    return queries or dict(DEFAULT_QUERIES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time in-browser search on a built site (headless Chromium).",
        epilog="example: python bench/bench_search.py site --query 'Korean word=엑소좀'",
    )
    parser.add_argument("site", type=Path, help="the built site folder")
    parser.add_argument("--queries", type=Path, help="JSON object {kind: query}")
    parser.add_argument("--query", action="append", help="KIND=TEXT or TEXT (repeatable)")
    parser.add_argument("--input-selector", help="CSS selector of the search input")
    parser.add_argument("--result-selector", help="CSS selector of one search result")
    parser.add_argument("--open-selector", help="CSS selector of a button to click first")
    parser.add_argument("--path", default="/", help="page to open (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per wait")
    parser.add_argument(
        "--no-rotate", action="store_true", help="one session only (first query first)"
    )
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    if bool(args.input_selector) != bool(args.result_selector):
        parser.error("give both --input-selector and --result-selector, or neither")
    custom = (
        UI("custom", args.input_selector, args.result_selector, args.open_selector)
        if args.input_selector
        else None
    )
    if not (args.site / "index.html").is_file():
        parser.error(f"{args.site}: no index.html (build the site first)")
    result = run(
        args.site.resolve(),
        parse_queries(args),
        custom,
        args.path,
        args.timeout,
        rotate=not args.no_rotate,
    )
    print()
    print(result["markdown"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
