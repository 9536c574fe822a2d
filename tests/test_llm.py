"""Machine-written summaries (summary.mode: llm) against a real chat-completions server on
127.0.0.1: prompt, cache, retries, fallback, concurrency, and the key kept out of every file."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import cli, pipeline
from generator.config.load import parse_config
from generator.config.model import Config
from generator.kb import llm
from generator.kb.llm import (
    Completion,
    LLMError,
    build_messages,
    cache_key,
    clean_summary,
    client_from_config,
    parse_completion,
)
from generator.kb.llm_batch import CACHE_FILE, load_cache, render_cache, summarize_batch
from generator.kb.pages import split_page
from generator.kb.state import load_run_records
from generator.pubmed.models import AbstractSection, Paper
from generator.utils.clock import fixed_clock
from generator.utils.errors import ConfigError, KBError
from tests.eutils_standin import EutilsStandin, minimal_article

SECRET = "sk-test-0123456789abcdefSECRET"
MODEL = "test-model-1"


# --------------------------------------------------------------------------- the server


@dataclass
class Answer:
    """One scripted answer; ``body=None`` means a completion from the default reply."""

    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    json: dict[str, Any]

    @property
    def pmid(self) -> str | None:
        m = re.search(r"record (\d+)", self.json["messages"][-1]["content"])
        return m.group(1) if m else None


def default_reply(request: dict[str, Any]) -> str:
    user = request["messages"][-1]["content"]
    m = re.search(r"record (\d+)", user)
    pmid = m.group(1) if m else "?"
    return f"Machine summary of record {pmid}. It found what it found.\n\nA third sentence."


class ChatServer:
    """Speaks ``POST /v1/chat/completions`` like an OpenAI-compatible server.

    Answers come from ``script`` (one per request, in order) and then from ``always`` (if
    set) or a success built by ``reply``. Every request is recorded; ``max_in_flight`` is
    the most requests it was answering at the same moment.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.script: deque[Answer] = deque()
        self.always: Answer | None = None
        self.reply = default_reply
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        body = json.loads(raw)
        with self.lock:
            self.seen.append(Seen(path, headers, body))
            if path != "/v1/chat/completions":
                return Answer(404, b'{"error": {"message": "no such route"}}')
            scripted = self.script.popleft() if self.script else self.always
        if scripted is not None and scripted.body is not None:
            return scripted
        content = self.reply(body)
        data = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": body["model"] + "-served",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        }
        base = scripted or Answer(delay=self.delay)
        return Answer(base.status, json.dumps(data).encode(), base.headers, base.delay)

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    a = outer.answer(self.path, dict(self.headers.items()), raw)
                    time.sleep(a.delay)
                    assert a.body is not None
                    self.send_response(a.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(a.body)))
                    for k, v in a.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(a.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/v1"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def count(self) -> int:
        with self.lock:
            return len(self.seen)


@pytest.fixture
def chat() -> Iterator[tuple[ChatServer, str]]:
    server = ChatServer()
    with server.serve() as url:
        yield server, url


# --------------------------------------------------------------------------- helpers


def llm_config(tmp_path: Path, base_url: str, site_language: str = "en", **llm_keys: Any):
    summary = llm_keys.pop("summary", {})
    data = {
        "site": {"title": "T", "language": site_language},
        "topics": [{"name": "t", "query": "t"}],
        "summary": {
            "mode": "llm",
            **summary,
            "llm": {"base_url": base_url, "model": MODEL, "max_retries": 2, **llm_keys},
        },
    }
    return parse_config(data, tmp_path, source="test")


def paper(pmid: str, abstract: str | None = None, title: str | None = None) -> Paper:
    text = abstract or f"Background: record {pmid} is a test. Results: it has an abstract."
    return Paper(
        pmid=pmid,
        title=title or f"Test record {pmid}",
        abstract=(AbstractSection(text),) if text else (),
    )


def fast_client(config: Config, sleeps: list[float] | None = None, **kwargs: Any):
    assert config.summary.llm is not None
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return client_from_config(config.summary.llm, environ={}, sleep=record, **kwargs)


def write_xml(path: Path, *records: str) -> Path:
    path.write_text("<PubmedArticleSet>" + "".join(records) + "</PubmedArticleSet>")
    return path


def every_file_text(folder: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()
    )


# --------------------------------------------------------------------------- config


def test_llm_config_keys_and_defaults(tmp_path):
    config = llm_config(tmp_path, "https://llm.example.org/v1", site_language="ko")
    s = config.summary
    assert s.mode == "llm"
    assert s.language == "ko"  # defaults to site.language
    assert s.llm is not None
    assert s.llm.base_url == "https://llm.example.org/v1"
    assert s.llm.model == MODEL
    assert s.llm.api_key_env == "OPENAI_API_KEY"
    assert s.llm.max_concurrency == 4
    assert s.llm.max_retries == 2
    assert s.llm.prompt_version is None
    en = llm_config(tmp_path, "http://x/v1", site_language="ko", summary={"language": "en"})
    assert en.summary.language == "en"
    default = parse_config(
        {"site": {"title": "T"}, "topics": [{"name": "a", "query": "b"}]}, tmp_path
    )
    assert default.summary.mode == "extractive"
    assert default.summary.llm is None
    assert default.summary.language == "en"


def test_the_shipped_kb_yml_and_readme_document_the_llm_keys():
    repo = Path(__file__).resolve().parents[1]
    text = (repo / "kb.yml").read_text(encoding="utf-8")
    section = re.search(r"\nsummary:.*?(?=\n[a-z_]+:)", text, re.DOTALL)
    assert section is not None
    keys = ("language", "llm", "base_url", "model", "api_key_env", "max_concurrency")
    for key in (*keys, "timeout_s", "max_retries", "prompt_version", "state/summaries.json"):
        assert key in section.group(0), key
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert "api_key_env" in readme and "state/summaries.json" in readme


def _errors(summary: Any) -> list[str]:
    data = {"site": {"title": "T"}, "topics": [{"name": "a", "query": "b"}], "summary": summary}
    with pytest.raises(ConfigError) as info:
        parse_config(data, Path("/kb"), source="kb.yml")
    return info.value.errors


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (
            {"mode": "llm"},
            {
                "summary.llm.base_url: required when summary.mode is llm",
                "summary.llm.model: required when summary.mode is llm",
            },
        ),
        (
            {"mode": "llm", "llm": {"model": "m"}},
            {"summary.llm.base_url: required when summary.mode is llm"},
        ),
        (
            {"mode": "llm", "llm": {"base_url": "ftp://x", "model": "m"}},
            {"summary.llm.base_url: expected an http(s) URL, got 'ftp://x'"},
        ),
        (
            {"mode": "llm", "llm": {"base_url": "http://x", "model": "m", "max_concurrency": 0}},
            {"summary.llm.max_concurrency: must be >= 1"},
        ),
        (
            {"mode": "llm", "llm": {"base_url": "http://x", "model": "m", "timeout_s": 0}},
            {"summary.llm.timeout_s: must be > 0"},
        ),
        (
            {"mode": "llm", "llm": {"base_url": "http://x", "model": "m", "max_retries": -1}},
            {"summary.llm.max_retries: must be >= 0"},
        ),
        ({"mode": "gpt"}, {"summary.mode: expected one of extractive, llm, got 'gpt'"}),
        ({"language": "fr"}, {"summary.language: expected one of en, ko, got 'fr'"}),
        ({"llm": True}, {"summary.llm: expected a mapping, got a boolean"}),
    ],
)
def test_llm_config_errors_name_their_path(summary, expected):
    assert set(_errors(summary)) == expected


def test_unknown_llm_keys_are_rejected():
    errors = _errors({"mode": "llm", "llm": {"base_url": "http://x", "model": "m", "temp": 1}})
    assert len(errors) == 1
    assert errors[0].startswith("summary.llm.temp: unknown key (allowed: api_key_env, base_url")


@pytest.mark.parametrize(
    ("llm_block", "path"),
    [
        ({"base_url": "http://x", "model": "m", "api_key": SECRET}, "summary.llm.api_key"),
        ({"base_url": "http://x", "model": "m", "api_key_env": SECRET}, "summary.llm.api_key_env"),
        (
            {"base_url": "http://x", "model": "m", "api_key_env": "sk-a b"},
            "summary.llm.api_key_env",
        ),
    ],
)
def test_a_key_pasted_into_the_config_is_refused_without_echoing_it(llm_block, path):
    errors = _errors({"mode": "llm", "llm": llm_block})
    assert [e.split(":")[0] for e in errors] == [path]
    assert SECRET not in str(errors) and "sk-a b" not in str(errors)


# --------------------------------------------------------------------------- pure parts


def test_prompts_in_english_and_korean():
    p = paper("7", "We studied X. X helped.")
    en = build_messages(p, "en", 300)
    assert [m["role"] for m in en] == ["system", "user"]
    assert "in English of 2 to 3 sentences" in en[0]["content"]
    assert "At most 300 characters" in en[0]["content"]
    assert en[1]["content"] == "Title: Test record 7\n\nAbstract:\nWe studied X. X helped."
    ko = build_messages(p, "ko", 300)
    assert "한국어로 2~3문장의 요약" in ko[0]["content"]
    assert "최대 300자" in ko[0]["content"]
    assert ko[1]["content"].startswith("제목: Test record 7\n\n초록:\n")
    assert not re.search(r"[A-Za-z]{4,}", ko[0]["content"])  # the instruction is all Korean


def test_the_cache_key_changes_with_everything_that_changes_the_answer():
    base = ("sha", "m", "1", "en", 400)
    keys = {cache_key(*base)}
    for i, other in enumerate(("sha2", "m2", "2", "ko", 300)):
        changed = list(base)
        changed[i] = other
        keys.add(cache_key(*changed))
    assert len(keys) == 6
    assert cache_key(*base) == cache_key(*base)


@pytest.mark.parametrize(
    ("text", "max_chars", "expected"),
    [
        ("  One.\n\nTwo.  ", 400, "One. Two."),
        ("Summary: One. Two.", 400, "One. Two."),
        ("**요약**: 한 문장. 두 문장.", 400, "한 문장. 두 문장."),
        ("First sentence here. Second one is longer.", 25, "First sentence here."),
        ("one two three four five six", 12, "one two…"),
    ],
)
def test_clean_summary(text, max_chars, expected):
    assert clean_summary(text, max_chars) == expected


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not json", "answer is not JSON"),
        (b"{}", "no choices[0].message.content"),
        (b'{"choices": []}', "no choices[0].message.content"),
        (b'{"choices": [{"message": {"content": "  "}}]}', "content is empty"),
        (b'{"choices": [{"message": {"content": null}}]}', "content is empty"),
    ],
)
def test_parse_completion_rejects_what_is_not_a_completion(body, problem):
    with pytest.raises(LLMError, match=re.escape(problem)):
        parse_completion(body)


def test_parse_completion():
    body = b'{"model": "m-2025", "choices": [{"message": {"role": "assistant", "content": "Hi."}}]}'
    assert parse_completion(body) == Completion("Hi.", "m-2025")


# --------------------------------------------------------------------------- modes


class NoNetwork:
    requests = 0

    def complete(self, *args: Any, **kwargs: Any) -> Completion:
        raise AssertionError("no request expected")

    def close(self) -> None:
        pass


def test_extractive_mode_reads_nothing_and_sends_nothing(tmp_path):
    config = parse_config(
        {"site": {"title": "T"}, "topics": [{"name": "a", "query": "b"}]}, tmp_path
    )

    def papers() -> Iterator[Paper]:
        raise AssertionError("the papers are not even read")
        yield paper("1")

    summaries, report = summarize_batch(papers(), config, tmp_path / "state", NoNetwork())
    assert summaries == {}
    assert report.mode == "extractive" and report.summary() == "extractive"
    assert not (tmp_path / "state").exists()


def test_papers_without_an_abstract_get_no_request(tmp_path, chat):
    server, url = chat
    config = llm_config(tmp_path, url)
    bare = Paper(pmid="5", title="No abstract here")
    summaries, report = summarize_batch([bare], config, tmp_path / "state", NoNetwork())
    assert summaries == {} and report.no_abstract == 1 and report.requests == 0
    assert server.count() == 0


def test_filtered_papers_get_no_request(tmp_path, chat):
    _server, url = chat
    data = {
        "site": {"title": "T"},
        "topics": [{"name": "t", "query": "t"}],
        "scoring": {"filters": {"min_abstract_length": 10_000}},
        "summary": {"mode": "llm", "llm": {"base_url": url, "model": MODEL}},
    }
    config = parse_config(data, tmp_path)
    summaries, report = summarize_batch([paper("1")], config, tmp_path / "state", NoNetwork())
    assert summaries == {} and report.requests == 0


# --------------------------------------------------------------------------- pages and cache


def test_success_writes_a_marked_machine_summary_and_a_deterministic_cache(
    tmp_path, chat, monkeypatch
):
    server, url = chat
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    config = llm_config(tmp_path, url)
    xml = write_xml(tmp_path / "in.xml", minimal_article("101"), minimal_article("102"))
    report = pipeline.ingest(config, [xml], ["t"], clock=fixed_clock("2026-03-01"))
    assert report.created == ["101", "102"]
    assert report.llm.summarised == 2 and report.llm.requests == 2 and not report.llm.failed

    first = server.seen[0]
    assert first.path == "/v1/chat/completions"
    assert first.json["model"] == MODEL and first.json["temperature"] == 0
    assert first.headers["Authorization"] == f"Bearer {SECRET}"

    text = (config.site_src / "papers" / "101.md").read_text(encoding="utf-8")
    meta, body = split_page(text, "101.md")  # the frontmatter reads back as YAML
    assert meta["summary_source"] == "llm"
    assert meta["summary_model"] == MODEL
    summary = "Machine summary of record 101. It found what it found. A third sentence."
    assert meta["description"] == summary
    assert f"\n{summary}\n" in body
    assert f"*Machine-written summary ({MODEL}); check it against the abstract.*" in body

    cache_text = (config.state_dir / CACHE_FILE).read_text(encoding="utf-8")
    assert cache_text == render_cache(load_cache(config.state_dir))  # sorted, indented
    data = json.loads(cache_text)
    assert sorted(data["summaries"]) == ["101", "102"]
    (entry,) = data["summaries"]["101"].values()
    assert entry["text"] == summary
    assert entry["model"] == MODEL and entry["prompt_version"] == llm.PROMPT_VERSION
    assert entry["language"] == "en" and entry["max_chars"] == 400

    # A rerun costs nothing: no request, every page and the cache untouched.
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    again = pipeline.ingest(config, [xml], ["t"], clock=fixed_clock("2026-03-02"))
    assert server.count() == 2
    assert again.llm.cached == 2 and again.llm.requests == 0
    assert again.unchanged == ["101", "102"]
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == before


def test_a_changed_abstract_asks_again_and_drops_the_old_answer(tmp_path, chat):
    server, url = chat
    config = llm_config(tmp_path, url)
    state = tmp_path / "state"
    summarize_batch([paper("1"), paper("2")], config, state, fast_client(config))
    assert server.count() == 2
    changed = paper("1", "Background: record 1 was revised. Results: new numbers.")
    _summaries, report = summarize_batch([changed, paper("2")], config, state, fast_client(config))
    assert server.count() == 3 and server.seen[-1].pmid == "1"
    assert report.summarised == 1 and report.cached == 1
    assert "was revised" in server.seen[-1].json["messages"][-1]["content"]
    assert len(load_cache(state)["1"]) == 1  # the answer for the old abstract is gone


@pytest.mark.parametrize(
    "change",
    ["model", "config_prompt_version", "code_prompt_version", "language", "max_chars"],
)
def test_a_new_model_prompt_or_language_asks_again(tmp_path, chat, monkeypatch, change):
    server, url = chat
    config = llm_config(tmp_path, url)
    state = tmp_path / "state"
    summarize_batch([paper("1")], config, state, fast_client(config))
    assert server.count() == 1
    if change == "model":
        config = llm_config(tmp_path, url, model="other-model")
    elif change == "config_prompt_version":
        config = llm_config(tmp_path, url, prompt_version="terse")
    elif change == "code_prompt_version":
        monkeypatch.setattr(llm, "PROMPT_VERSION", "999")
    elif change == "language":
        config = llm_config(tmp_path, url, summary={"language": "ko"})
    else:
        config = llm_config(tmp_path, url, summary={"max_chars": 300})
    summaries, report = summarize_batch([paper("1")], config, state, fast_client(config))
    assert server.count() == 2 and report.summarised == 1 and report.cached == 0
    assert summaries["1"].source == "llm"
    assert summaries["1"].model == (config.summary.llm.model)
    # Both answers stay cached: switching back costs nothing.
    assert len(load_cache(state)["1"]) == 2


def test_the_same_question_twice_in_a_batch_is_asked_once(tmp_path, chat):
    server, url = chat
    config = llm_config(tmp_path, url)
    summaries, _report = summarize_batch(
        [paper("1"), paper("1")], config, tmp_path / "state", fast_client(config)
    )
    assert server.count() == 1 and summaries["1"].source == "llm"


def test_language_ko_sends_a_korean_instruction(tmp_path, chat):
    server, url = chat
    config = llm_config(tmp_path, url, site_language="ko")
    summarize_batch([paper("1")], config, tmp_path / "state", fast_client(config))
    (seen,) = server.seen
    assert "한국어로" in seen.json["messages"][0]["content"]
    assert seen.json["messages"][1]["content"].startswith("제목: ")
    entry = next(iter(load_cache(tmp_path / "state")["1"].values()))
    assert entry["language"] == "ko"


# --------------------------------------------------------------------------- failures


def test_429_with_retry_after_then_success(tmp_path, chat):
    server, url = chat
    config = llm_config(tmp_path, url)
    server.script.append(Answer(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "7"}))
    sleeps: list[float] = []
    client = fast_client(config, sleeps)
    summaries, report = summarize_batch([paper("1")], config, tmp_path / "state", client)
    assert sleeps == [7.0]
    assert summaries["1"].source == "llm"
    assert report.requests == 2 and report.summarised == 1 and not report.failed
    assert client.throttled == 1


def test_5xx_until_retries_run_out_falls_back_to_extractive(tmp_path, chat, caplog):
    server, url = chat
    config = llm_config(tmp_path, url, max_retries=3)
    server.always = Answer(503, b'{"error": {"message": "overloaded"}}')
    sleeps: list[float] = []
    good, bad = paper("1"), paper("2")
    state = tmp_path / "state"
    with caplog.at_level(logging.WARNING):
        summaries, report = summarize_batch([bad], config, state, fast_client(config, sleeps))
    assert len(sleeps) == 3 and all(0 <= s <= 30 for s in sleeps)  # backoff with jitter
    assert server.count() == 4 and report.requests == 4
    assert summaries["2"].source == "extractive"
    assert summaries["2"].text == "Background: record 2 is a test. Results: it has an abstract."
    assert list(report.failed) == ["2"]
    assert "HTTP 503: overloaded" in report.failed["2"]
    assert "gave up after 4 attempts" in report.failed["2"]
    assert "extractive summary kept for PMID 2" in report.summary()
    assert "PMID 2" in caplog.text
    assert load_cache(state) == {}  # a failure is not remembered: the next run asks again
    server.always = None
    summaries, report = summarize_batch([good, bad], config, state, fast_client(config))
    assert summaries["2"].source == "llm" and report.summarised == 2


@pytest.mark.parametrize(
    "body",
    [b"<html>bad gateway page</html>", b'{"choices": []}', b'{"choices": [{"message": {}}]}'],
)
def test_malformed_answers_are_retried_then_fall_back(tmp_path, chat, body):
    server, url = chat
    config = llm_config(tmp_path, url, max_retries=1)
    server.always = Answer(200, body)
    summaries, report = summarize_batch(
        [paper("1")], config, tmp_path / "state", fast_client(config)
    )
    assert server.count() == 2
    assert summaries["1"].source == "extractive" and "1" in report.failed


def test_one_malformed_answer_then_a_good_one(tmp_path, chat):
    server, url = chat
    config = llm_config(tmp_path, url)
    server.script.append(Answer(200, b"{not json"))
    summaries, report = summarize_batch(
        [paper("1")], config, tmp_path / "state", fast_client(config)
    )
    assert summaries["1"].source == "llm" and report.requests == 2


def test_a_timeout_is_retried(tmp_path, chat):
    server, url = chat
    config = llm_config(tmp_path, url, timeout_s=0.3)
    server.script.append(Answer(delay=1.0))  # the first answer comes too late
    sleeps: list[float] = []
    summaries, report = summarize_batch(
        [paper("1")], config, tmp_path / "state", fast_client(config, sleeps)
    )
    assert summaries["1"].source == "llm"
    assert report.requests == 2 and len(sleeps) == 1


def test_timeouts_every_time_fall_back(tmp_path, chat):
    server, url = chat
    config = llm_config(tmp_path, url, timeout_s=0.2, max_retries=1)
    server.delay = 0.8
    summaries, report = summarize_batch(
        [paper("1")], config, tmp_path / "state", fast_client(config)
    )
    assert summaries["1"].source == "extractive"
    assert "ReadTimeout" in report.failed["1"]


def test_a_refused_key_stops_the_batch(tmp_path, chat):
    server, url = chat
    config = llm_config(tmp_path, url, max_concurrency=1)
    server.always = Answer(401, json.dumps({"error": {"message": f"bad key {SECRET}"}}).encode())
    client = client_from_config(config.summary.llm, environ={"OPENAI_API_KEY": SECRET})
    papers = [paper(str(i)) for i in range(1, 6)]
    summaries, report = summarize_batch(papers, config, tmp_path / "state", client)
    assert server.count() == 1  # the other four are not sent
    assert sorted(report.failed) == ["1", "2", "3", "4", "5"]
    assert all(s.source == "extractive" for s in summaries.values())
    assert "HTTP 401: the endpoint refused the API key" in report.failed["1"]
    assert "not sent after" in report.failed["5"]
    assert SECRET not in json.dumps(report.as_record())


def test_an_unreadable_cache_is_a_clear_error(tmp_path, chat):
    _, url = chat
    config = llm_config(tmp_path, url)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / CACHE_FILE).write_text("<<<<<<< HEAD\n")
    with pytest.raises(KBError, match=r"summaries.json: unreadable summary cache"):
        summarize_batch([paper("1")], config, tmp_path / "state", NoNetwork())


# --------------------------------------------------------------------------- the key


def test_the_key_is_sent_but_written_nowhere(tmp_path, chat, monkeypatch, caplog):
    server, url = chat
    monkeypatch.setenv("MY_LLM_KEY", SECRET)
    config = llm_config(tmp_path, url, api_key_env="MY_LLM_KEY", max_retries=1)
    echo = json.dumps({"error": {"message": f"upstream said: key={SECRET}"}}).encode()

    # 102 always fails with a body that echoes the key; 101 succeeds.
    original = server.answer

    def answer(path: str, headers: dict[str, str], raw: bytes) -> Answer:
        if b"record 102" in raw:
            with server.lock:
                server.seen.append(Seen(path, headers, json.loads(raw)))
            return Answer(500, echo)
        return original(path, headers, raw)

    server.answer = answer  # type: ignore[method-assign]
    xml = write_xml(tmp_path / "in.xml", minimal_article("101"), minimal_article("102"))
    with caplog.at_level(logging.DEBUG):
        report = pipeline.ingest(config, [xml], ["t"], clock=fixed_clock("2026-03-01"))
    assert {s.headers["Authorization"] for s in server.seen} == {f"Bearer {SECRET}"}
    assert report.llm.summarised == 1 and list(report.llm.failed) == ["102"]
    assert "***" in report.llm.failed["102"]
    assert SECRET not in report.llm.failed["102"] and SECRET not in report.llm.summary()
    assert SECRET not in caplog.text
    assert SECRET not in every_file_text(tmp_path)
    assert (config.state_dir / CACHE_FILE).is_file()
    meta, _ = split_page((config.site_src / "papers" / "102.md").read_text(), "102.md")
    assert meta["summary_source"] == "extractive"
    client = client_from_config(config.summary.llm)
    assert SECRET not in repr(client)


# --------------------------------------------------------------------------- concurrency


def test_concurrency_is_bounded(tmp_path):
    server = ChatServer(delay=0.15)
    with server.serve() as url:
        config = llm_config(tmp_path, url, max_concurrency=3)
        papers = [paper(str(i)) for i in range(1, 13)]
        summaries, report = summarize_batch(papers, config, tmp_path / "state", fast_client(config))
    assert report.summarised == 12 and server.count() == 12
    assert 2 <= server.max_in_flight <= 3
    assert sorted(summaries, key=int) == [str(i) for i in range(1, 13)]


# --------------------------------------------------------------------------- harvest


def test_harvest_summarises_new_papers_and_records_it(tmp_path, chat, monkeypatch, capsys):
    server, url = chat
    data = {
        "site": {"title": "T"},
        "topics": [{"name": "t", "query": "t"}],
        "harvest": {"since": "2026-01-01", "batch_size": 2},
        "summary": {"mode": "llm", "llm": {"base_url": url, "model": MODEL, "max_retries": 0}},
    }
    (tmp_path / "kb.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    entries = [(str(200 + i), "2026/01/10") for i in range(3)]
    standin = EutilsStandin({"t": entries}, make_record=minimal_article, rate_limit=False)
    server.script.extend([Answer(), Answer(), Answer(500, b'{"error": {"message": "x"}}')])
    with standin.serve() as eutils:
        monkeypatch.setenv("NCBI_EUTILS_URL", eutils)
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        code = cli.run(["harvest", "--config", str(tmp_path / "kb.yml")])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK  # a failed summary is reported, not a failed run
    assert f"summaries: {MODEL}: 2 new, 0 cached, 1 failed, 3 requests" in out
    assert "extractive summary kept for PMID 202" in out
    record = load_run_records(tmp_path / "state")[-1]
    assert record["summaries"]["summarised"] == 2
    assert list(record["summaries"]["failed"]) == ["202"]
    sources = {
        p.stem: split_page(p.read_text(), p.name)[0]["summary_source"]
        for p in (tmp_path / "site_src" / "papers").glob("*.md")
    }
    assert sources == {"200": "llm", "201": "llm", "202": "extractive"}
    assert SECRET not in every_file_text(tmp_path)


def test_harvest_in_extractive_mode_records_no_summaries(tmp_path, monkeypatch):
    data = {
        "site": {"title": "T"},
        "topics": [{"name": "t", "query": "t"}],
        "harvest": {"since": "2026-01-01"},
    }
    (tmp_path / "kb.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    standin = EutilsStandin(
        {"t": [("300", "2026/01/10")]}, make_record=minimal_article, rate_limit=False
    )
    with standin.serve() as eutils:
        monkeypatch.setenv("NCBI_EUTILS_URL", eutils)
        assert cli.run(["harvest", "--config", str(tmp_path / "kb.yml")]) == cli.EXIT_OK
    assert standin.fetched_ids() == ["300"]  # the paper was harvested...
    meta, _ = split_page((tmp_path / "site_src" / "papers" / "300.md").read_text(), "300.md")
    assert meta["summary_source"] == "extractive"  # ...and summarised offline
    assert "summary_model" not in meta
    assert "summaries" not in load_run_records(tmp_path / "state")[-1]
    assert not (tmp_path / "state" / CACHE_FILE).exists()
