"""Tests of the E-utilities client: pure builders and parsers, then the client against a
real loopback server playing NCBI (tests/eutils_standin.py). Time is injected (a fake clock
and sleep) everywhere except the two tests that prove the real limiter keeps under NCBI's
real-time 429 enforcement.
"""

from __future__ import annotations

import logging
import random
import re
import socket
import threading
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
import requests
from pytest_httpserver import HTTPServer

from generator.pubmed.eutils import EutilsClient, RateLimiter, client_from_env
from generator.pubmed.protocol import (
    DEFAULT_BASE_URL,
    PUBMED_LIST_CAP,
    build_efetch_params,
    build_esearch_params,
    check_efetch_batch,
    check_pmids,
    describe_request,
    is_transient_error,
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
from generator.utils.httputil import backoff_delay, parse_retry_after, redact, scrub_addresses
from tests.eutils_standin import (
    EutilsStandin,
    Fault,
    minimal_article,
    synthetic_entries,
)

SECRET = "k3y-Secret+42/x"  # has characters that URL-encoding changes
EMAIL = "kb@example.org"


class FakeTime:
    """A clock that moves only when slept on; remembers every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture(scope="module")
def _running_server():
    # threaded: a delayed answer must not hold up the client's retry
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def server(_running_server):
    yield _running_server
    _running_server.clear()


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def make_client(base_url: str, fake: FakeTime, **kwargs) -> EutilsClient:
    """A client on fake time. Its limiter runs on a clock of its own, so that ``fake.sleeps``
    holds only the waits between retries."""
    kwargs.setdefault("email", EMAIL)
    kwargs.setdefault("rng", random.Random(7))
    own = FakeTime()
    rate = 10 if kwargs.get("api_key") else 3
    kwargs.setdefault("limiter", RateLimiter(rate, clock=own.clock, sleep=own.sleep))
    return EutilsClient(base_url, clock=fake.clock, sleep=fake.sleep, **kwargs)


def year_entries(n: int, year: int = 2023, first_pmid: int = 30_000_000):
    return synthetic_entries(n, date(year, 1, 1), date(year, 12, 31), first_pmid=first_pmid)


# --------------------------------------------------------------------------- pure builders


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"term": "asthma"},
            {
                "db": "pubmed",
                "term": "asthma",
                "retstart": "0",
                "retmax": "9999",
                "usehistory": "y",
            },
        ),
        (
            {
                "term": "asthma[tiab]",
                "mindate": date(2024, 1, 5),
                "maxdate": date(2024, 2, 29),
                "retstart": 200,
                "retmax": 200,
                "webenv": "MCID_1",
                "query_key": 1,
            },
            {
                "db": "pubmed",
                "term": "asthma[tiab]",
                "datetype": "edat",
                "mindate": "2024/01/05",
                "maxdate": "2024/02/29",
                "retstart": "200",
                "retmax": "200",
                "usehistory": "y",
                "WebEnv": "MCID_1",
                "query_key": "1",
            },
        ),
        (
            {"term": "x", "mindate": "2020", "maxdate": "2021/06", "datetype": "pdat"},
            {
                "db": "pubmed",
                "term": "x",
                "datetype": "pdat",
                "mindate": "2020",
                "maxdate": "2021/06",
                "retstart": "0",
                "retmax": "9999",
                "usehistory": "y",
            },
        ),
        (
            {"term": "x", "usehistory": False, "retmax": 0},
            {"db": "pubmed", "term": "x", "retstart": "0", "retmax": "0"},
        ),
    ],
)
def test_build_esearch_params(kwargs, expected):
    assert build_esearch_params(**kwargs) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"term": "x", "mindate": date(2024, 1, 1)},
        {"term": "x", "maxdate": date(2024, 1, 1)},
        {"term": "x", "retstart": -1},
        {"term": "x", "query_key": 1},
    ],
)
def test_build_esearch_params_rejects(kwargs):
    with pytest.raises(ValueError):
        build_esearch_params(**kwargs)


def test_build_efetch_params():
    assert build_efetch_params(["1", "22", "333"]) == {
        "db": "pubmed",
        "retmode": "xml",
        "id": "1,22,333",
    }
    assert build_efetch_params(webenv="W", query_key=2, retstart=0, retmax=500) == {
        "db": "pubmed",
        "retmode": "xml",
        "WebEnv": "W",
        "query_key": "2",
        "retstart": "0",
        "retmax": "500",
    }
    for bad in ({"ids": []}, {}, {"ids": ["1"], "webenv": "W", "query_key": 1}):
        with pytest.raises(ValueError):
            build_efetch_params(**bad)


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["1", "2", "1", " 3 "], ["1", "2", "3"]),
        ([12345, "12345"], ["12345"]),
    ],
)
def test_check_pmids(ids, expected):
    assert check_pmids(ids) == expected


@pytest.mark.parametrize("ids", ["123", ["12a"], [""], ["007"], ["1&api_key=x"]])
def test_check_pmids_rejects(ids):
    with pytest.raises(ValueError):
        check_pmids(ids)


@pytest.mark.parametrize(
    ("endpoint", "params", "expected"),
    [
        (
            "esearch",
            build_esearch_params("asthma", date(2024, 1, 1), date(2024, 6, 30), retstart=200),
            "esearch term='asthma' edat 2024/01/01-2024/06/30 retstart=200",
        ),
        ("esearch", build_esearch_params("asthma"), "esearch term='asthma'"),
        ("efetch", build_efetch_params(["5"]), "efetch (1 id, 5)"),
        (
            "efetch",
            build_efetch_params([str(i) for i in range(100, 300)]),
            "efetch (200 ids, 100..299)",
        ),
        (
            "efetch",
            build_efetch_params(webenv="W", query_key=1, retstart=0, retmax=20),
            "efetch (history query_key=1 retstart=0 retmax=20)",
        ),
    ],
)
def test_describe_request(endpoint, params, expected):
    assert describe_request(endpoint, {**params, "api_key": SECRET}) == expected


def test_redact_and_redacted_url():
    url = redacted_url("https://h/esearch.fcgi", {"db": "pubmed", "api_key": SECRET})
    assert url == "https://h/esearch.fcgi?db=pubmed&api_key=***"
    text = f"plain {SECRET} plus k3y-Secret%2B42%2Fx and k3y-Secret%2B42/x"
    assert SECRET not in redact(text, SECRET)
    assert "Secret" not in redact(text, SECRET)
    assert redact("nothing", None) == "nothing"


NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("Sun, 01 Mar 2026 12:00:07 GMT", 7.0),
        ("Sun, 01 Mar 2026 11:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, NOW) == expected


def test_backoff_delay_is_full_jitter_under_the_cap():
    rng = random.Random(1)
    for retry in range(8):
        ceiling = min(30.0, 0.5 * 2**retry)
        delays = [backoff_delay(retry, 0.5, 30.0, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert min(delays) < ceiling * 0.2 and max(delays) > ceiling * 0.8


def test_split_date_window():
    assert split_date_window(date(2024, 1, 1), date(2024, 1, 2)) == (
        (date(2024, 1, 1), date(2024, 1, 1)),
        (date(2024, 1, 2), date(2024, 1, 2)),
    )
    first, second = split_date_window(date(2023, 1, 1), date(2023, 12, 31))
    assert first[1] + timedelta(days=1) == second[0]
    assert first[0] == date(2023, 1, 1) and second[1] == date(2023, 12, 31)
    with pytest.raises(ValueError):
        split_date_window(date(2024, 1, 1), date(2024, 1, 1))


# --------------------------------------------------------------------------- pure parsers

ESEARCH_OK = b"""<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN"
 "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">
<eSearchResult><Count>3</Count><RetMax>3</RetMax><RetStart>0</RetStart>
<QueryKey>1</QueryKey><WebEnv>MCID_abc</WebEnv>
<IdList><Id>3</Id><Id>2</Id><Id>1</Id></IdList>
<TranslationSet/><QueryTranslation>asthma[All Fields]</QueryTranslation></eSearchResult>"""

ESEARCH_PHRASE_NOT_FOUND = b"""<?xml version="1.0" encoding="UTF-8" ?>
<eSearchResult><Count>0</Count><RetMax>0</RetMax><RetStart>0</RetStart><IdList/>
<TranslationSet/><QueryTranslation/>
<ErrorList><PhraseNotFound>xyzzyplugh</PhraseNotFound></ErrorList>
<WarningList><OutputMessage>No items found.</OutputMessage></WarningList></eSearchResult>"""

ESEARCH_ERROR = b"""<?xml version="1.0" encoding="UTF-8" ?>
<eSearchResult><ERROR>Search Backend failed: Exception:
'retstart' cannot be larger than 9998.</ERROR></eSearchResult>"""


def test_parse_esearch():
    result = parse_esearch(ESEARCH_OK)
    assert result.count == 3
    assert result.ids == ("3", "2", "1")
    assert (result.webenv, result.query_key) == ("MCID_abc", "1")
    assert result.query_translation == "asthma[All Fields]"
    assert result.warnings == ()


def test_parse_esearch_keeps_error_list_and_warning_list_apart():
    result = parse_esearch(ESEARCH_PHRASE_NOT_FOUND)
    assert result.count == 0 and result.ids == ()
    assert result.errors == ("PhraseNotFound: xyzzyplugh",)
    assert result.warnings == ("OutputMessage: No items found.",)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (ESEARCH_ERROR, "cannot be larger than 9998"),
        (ESEARCH_OK[:-40], "not well-formed"),
        (b"", "not well-formed"),
        (b"<html><body>Bad gateway</body></html>", "root <html>"),
        (b"<eSearchResult><IdList/></eSearchResult>", "no valid <Count>"),
    ],
)
def test_parse_esearch_errors(body, match):
    with pytest.raises(EutilsResponseError, match=match):
        parse_esearch(body)


EFETCH_TWO = b"""<?xml version="1.0" ?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"
 "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">
<PubmedArticleSet>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">111</PMID>
<Article><ArticleTitle>&#x3b2;-blockers&#xa0;and <i><i>PTEN</i></i></ArticleTitle></Article>
<CommentsCorrectionsList><CommentsCorrections RefType="CommentIn">
<RefSource>X</RefSource><PMID Version="1">999</PMID></CommentsCorrections>
</CommentsCorrectionsList></MedlineCitation>
<PubmedData><ReferenceList><Reference><ArticleIdList>
<ArticleId IdType="pubmed">888</ArticleId></ArticleIdList></Reference></ReferenceList>
</PubmedData></PubmedArticle>
<PubmedBookArticle><BookDocument><PMID Version="1">222</PMID></BookDocument>
<PubmedBookData/></PubmedBookArticle>
</PubmedArticleSet>"""


def test_parse_efetch_pmids_counts_own_pmids_only():
    assert parse_efetch_pmids(EFETCH_TWO) == ("111", "222")
    assert check_efetch_batch(EFETCH_TWO, ["111", "222"]) == ()
    assert check_efetch_batch(EFETCH_TWO, ["111", "999", "222", "888"]) == ("999", "888")


def test_parse_efetch_pmids_does_not_expand_entities():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>5</PMID>
<Article><ArticleTitle>&b;&ext;</ArticleTitle></Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>"""
    assert parse_efetch_pmids(bomb) == ("5",)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (EFETCH_TWO[:300], r"not well-formed XML \(cut short\?\)"),
        (EFETCH_TWO[: EFETCH_TWO.index(b"<PubmedBookArticle>") + 30], "after PMID 111"),
        (b"", "not well-formed|empty"),
        (
            b"<eFetchResult><ERROR>Empty id list - nothing todo</ERROR></eFetchResult>",
            "Empty id list",
        ),
        (b"<html><p>maintenance</p></html>", "root <html>"),
        (
            b"<PubmedArticleSet><PubmedArticle><MedlineCitation/></PubmedArticle>"
            b"</PubmedArticleSet>",
            "without MedlineCitation/PMID",
        ),
    ],
)
def test_parse_efetch_pmids_errors(body, match):
    with pytest.raises(EutilsResponseError, match=match):
        parse_efetch_pmids(body)


# --------------------------------------------------------------------------- rate limiter


def window_counts(starts: list[float], window: float = 1.0) -> int:
    """The most starts in any closed window of ``window`` seconds."""
    return max(sum(1 for t in starts if s <= t <= s + window) for s in starts)


@pytest.mark.parametrize(("rate", "calls"), [(3, 10), (10, 35), (3, 1)])
def test_rate_limiter_spacing_with_fake_clock(fake, rate, calls):
    limiter = RateLimiter(rate, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(calls):
        limiter.acquire()
        starts.append(fake.clock())
    assert window_counts(starts) <= rate
    assert starts[-1] - starts[0] >= (calls - 1) / rate
    assert limiter.waited_s == pytest.approx(sum(fake.sleeps))
    assert limiter.acquired == calls


def test_rate_limiter_ten_calls_at_three_per_second_take_three_seconds(fake):
    limiter = RateLimiter(3, clock=fake.clock, sleep=fake.sleep)
    begin = fake.clock()
    starts = []
    for _ in range(10):
        limiter.acquire()
        starts.append(fake.clock())
    assert fake.clock() - begin >= 3.0
    assert all(starts[i + 3] - starts[i] > 1.0 for i in range(len(starts) - 3))


def test_rate_limiter_does_not_wait_after_idle_time(fake):
    limiter = RateLimiter(3, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()
    fake.now += 10
    assert limiter.acquire() == 0.0


def test_rate_limiter_is_thread_safe():
    # A frozen clock and a no-op sleep: every acquire's wait is the slot it reserved, so
    # 24 concurrent acquires must reserve 24 distinct, evenly spaced slots (no real time).
    limiter = RateLimiter(40, clock=lambda: 0.0, sleep=lambda s: None, margin_s=0.0)
    waits: list[float] = []
    lock = threading.Lock()

    def work():
        for _ in range(6):
            wait = limiter.acquire()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(waits) == pytest.approx([k * limiter.interval_s for k in range(24)])
    assert limiter.acquired == 24


# --------------------------------------------------------------------------- esearch


def test_history_paging_450_ids_in_pages_of_200(server, fake):
    entries = year_entries(450)
    standin = EutilsStandin({"asthma": entries}, rate_limit=False)
    client = make_client(standin.register(server), fake, page_size=200)

    ids = client.search_all_ids("asthma", date(2023, 1, 1), date(2023, 12, 31))

    assert ids == [pmid for pmid, _ in entries]
    searches = [r.params for r in standin.requests]
    assert [p["retstart"] for p in searches] == ["0", "200", "400"]
    assert all(p["retmax"] == "200" and p["usehistory"] == "y" for p in searches)
    assert "WebEnv" not in searches[0]
    webenv = searches[1]["WebEnv"]
    assert searches[2]["WebEnv"] == webenv and searches[1]["query_key"] == "1"
    assert all(p["mindate"] == "2023/01/01" and p["maxdate"] == "2023/12/31" for p in searches)
    assert client.stats.requests == {"esearch": 3}


def test_search_all_ids_raises_result_too_large(server, fake):
    standin = EutilsStandin({"big": year_entries(PUBMED_LIST_CAP + 1)}, rate_limit=False)
    client = make_client(standin.register(server), fake)
    with pytest.raises(ResultTooLarge, match="10000 matches") as info:
        client.search_all_ids("big", date(2023, 1, 1), date(2023, 12, 31))
    assert (info.value.count, info.value.cap) == (10000, 9999)
    assert standin.counts["esearch"] == 1


def test_cap_with_date_splitting_25000_hits_complete_without_duplicates(server, fake):
    entries = year_entries(25_000)
    standin = EutilsStandin({"cancer": entries}, rate_limit=False)
    client = make_client(standin.register(server), fake)

    ids = client.search_ids_split("cancer", date(2023, 1, 1), date(2023, 12, 31))

    assert len(ids) == len(set(ids)) == 25_000
    assert ids == [pmid for pmid, _ in entries]  # windows searched in date order
    # 1 whole year + 2 halves (each > 9,999) + 4 quarters that fit in one page each
    assert standin.counts["esearch"] == 7
    dates = {(r.params["mindate"], r.params["maxdate"]) for r in standin.requests}
    assert all(re.fullmatch(r"\d{4}/\d{2}/\d{2}", d) for pair in dates for d in pair)
    assert all(int(r.params["retstart"]) <= 9998 for r in standin.requests)


def test_a_single_day_over_the_cap_is_listed_by_pmid_range(server, fake):
    # Live PubMed: a day of a broad topic can exceed 9,999 hits; date halving ends at a day,
    # so the day is listed in PMID ranges ("(term) AND lo:hi[uid]"), not failed.
    day = date(2023, 5, 5)
    entries = [(str(40_000_000 + i), day) for i in range(PUBMED_LIST_CAP + 1)]
    entries.append(("39000000", date(2023, 5, 6)))
    standin = EutilsStandin({"flood": entries}, rate_limit=False)
    client = make_client(standin.register(server), fake)
    outcome = client.search("flood", date(2023, 5, 1), date(2023, 5, 8), "crdt")
    assert sorted(outcome.ids) == sorted(pmid for pmid, _ in entries)
    assert len(outcome.ids) == len(set(outcome.ids))
    assert any("10000 hits in one day" in n for n in outcome.notes)
    terms = [r.params["term"] for r in standin.requests]
    assert any(re.fullmatch(r"\(flood\) AND \d+:\d+\[uid\]", t) for t in terms)
    assert outcome.translation.startswith("flood AND 2023/05/01:2023/05/08[crdt]")
    # PMID-range halving from 1..2**27 to the day's 10,000 consecutive PMIDs: a few dozen
    # requests, recorded in the closing note's request counts.
    assert standin.counts["esearch"] < 80


def test_split_window_with_few_hits_is_one_request(server, fake):
    standin = EutilsStandin({"rare": year_entries(12)}, rate_limit=False)
    client = make_client(standin.register(server), fake)
    assert len(client.search_ids_split("rare", date(2023, 1, 1), date(2023, 12, 31))) == 12
    assert standin.counts["esearch"] == 1


def test_esearch_error_element_is_an_error(server, fake):
    standin = EutilsStandin({"big": year_entries(20_000)}, rate_limit=False)
    client = make_client(standin.register(server), fake)
    with pytest.raises(EutilsResponseError, match="cannot be larger than 9998") as info:
        client.esearch("big", retstart=10_000, retmax=100)
    assert "esearch term='big' retstart=10000" in str(info.value)
    assert standin.counts["esearch"] == 1  # an <ERROR> answer is not retried


def test_phrase_not_found_is_a_warning_not_an_error(server, fake, caplog):
    standin = EutilsStandin({}, rate_limit=False)
    client = make_client(standin.register(server), fake)
    with caplog.at_level(logging.WARNING, logger="generator.pubmed.eutils"):
        result = client.esearch("xyzzyplugh")
    assert result.count == 0 and result.ids == ()
    assert "PhraseNotFound: xyzzyplugh" in result.errors
    assert "PhraseNotFound: xyzzyplugh" in caplog.text
    assert client.search_all_ids("xyzzyplugh") == []


# --------------------------------------------------------------------------- retries


def test_429_burst_then_success_honours_retry_after(server, fake):
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.http(429, retry_after=2), times=3)
    client = make_client(standin.register(server), fake)

    assert len(client.esearch("asthma").ids) == 5

    assert fake.sleeps == [2.0, 2.0, 2.0]
    stats = client.stats
    assert (stats.requests["esearch"], stats.retries, stats.throttled) == (4, 3, 3)
    assert stats.backoff_s == pytest.approx(6.0)


def test_retry_after_as_http_date_is_honoured(server, fake):
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    http_date = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    standin.add_fault("esearch", Fault.http(503, retry_after=http_date))
    client = make_client(standin.register(server), fake)
    client.esearch("asthma")
    assert client.stats.backoff_s == pytest.approx(30, abs=2)


def test_429_without_retry_after_waits_at_least_a_second(server, fake):
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.http(429))
    client = make_client(standin.register(server), fake)
    client.esearch("asthma")
    assert client.stats.backoff_s >= 1.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_then_success(server, fake, status):
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.http(status), times=2)
    client = make_client(standin.register(server), fake, backoff_base=0.5, backoff_max=30)

    assert client.esearch("asthma").count == 5

    assert client.stats.retries == 2
    assert len(fake.sleeps) == 2
    assert 0 <= fake.sleeps[0] <= 0.5 and 0 <= fake.sleeps[1] <= 1.0  # full jitter, doubling
    assert client.stats.backoff_s == pytest.approx(sum(fake.sleeps))


def test_timeout_then_success(server, fake):
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.delay(1.0))
    client = make_client(standin.register(server), fake, timeout=0.2)

    assert client.esearch("asthma").count == 5
    # the slow answer timed out and was retried (no wall-clock assertion: those flake)
    assert client.stats.retries == 1 and client.stats.requests["esearch"] == 2


def test_exhausted_retries_name_the_request_and_hide_the_key(server, fake, caplog):
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.http(503), times=10)
    client = make_client(standin.register(server), fake, api_key=SECRET, max_retries=3)

    with caplog.at_level(logging.DEBUG), pytest.raises(EutilsError) as info:
        client.esearch("asthma", mindate=date(2024, 1, 1), maxdate=date(2024, 12, 31))

    message = str(info.value)
    assert not isinstance(info.value, EutilsResponseError)
    assert message.startswith("esearch term='asthma' edat 2024/01/01-2024/12/31: gave up")
    assert "4 attempts" in message and "HTTP 503" in message
    assert "api_key=***" in message
    assert_no_secret(message, caplog.text, repr(client))
    # the contact address ends up in committed run records otherwise
    assert client.email and client.email not in message and "email=***" in message
    assert_not_chained(info.value)
    assert standin.counts["esearch"] == 4
    assert all(r.params["api_key"] == SECRET for r in standin.requests)  # but it was sent


def test_efetch_exhausted_retries_name_the_batch(server, fake):
    standin = EutilsStandin(make_record=minimal_article, rate_limit=False)
    standin.add_fault("efetch", Fault.http(502), times=10)
    client = make_client(standin.register(server), fake, max_retries=2)
    ids = [str(i) for i in range(1000, 1200)]
    with pytest.raises(EutilsError, match=r"^efetch \(200 ids, 1000\.\.1199\): gave up"):
        next(client.efetch(ids))


def test_429_body_echoing_the_ip_address_is_scrubbed(server, fake, caplog):
    # Without a key NCBI's 429 body names the caller's address; run records are committed.
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.http(429), times=10)
    client = make_client(standin.register(server), fake, max_retries=2)
    with caplog.at_level(logging.WARNING), pytest.raises(EutilsError) as info:
        client.esearch("asthma")
    assert standin.requests[0].client == "127.0.0.1"  # which the 429 body echoed
    assert "<address>" in str(info.value) and "API rate limit exceeded" in str(info.value)
    # (the message names the server's URL, here on 127.0.0.1 too: NCBI's host in real life)
    ours = [r.getMessage() for r in caplog.records if r.name == "generator.pubmed.eutils"]
    for text in (str(info.value), *ours):
        assert '"api-key":"<address>"' in text and '"api-key":"127.0.0.1"' not in text


@pytest.mark.parametrize(
    "message",
    [
        "Search Backend failed: Database is not supported: pubmed",
        "Search Backend failed: address table is empty",
        "Database is not supported: pubmed",
    ],
)
def test_transient_error_element_is_retried(server, fake, message):
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.eutils_error(message), times=3)
    client = make_client(standin.register(server), fake)
    assert client.esearch("asthma").count == 5
    assert standin.counts["esearch"] == 4 and client.stats.retries == 3


def test_efetch_transient_error_element_is_retried(server, fake):
    standin = EutilsStandin(make_record=minimal_article, rate_limit=False)
    standin.add_fault("efetch", Fault.eutils_error("Search Backend failed: timed out"))
    client = make_client(standin.register(server), fake)
    assert len(list(client.efetch(["31000001", "31000002"]))) == 1
    assert standin.counts["efetch"] == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"api-key":"203.0.113.7","count":"4"}', '{"api-key":"<address>","count":"4"}'),
        (
            "from 2001:db8::1 and ::1, then 10.0.0.255.",
            "from <address> and <address>, then <address>.",
        ),
        ("at 12:30:45 on 2026/03/01, doi 10.1000/182, v1.2.3", None),
    ],
)
def test_scrub_addresses(text, expected):
    assert scrub_addresses(text) == (text if expected is None else expected)


@pytest.mark.parametrize(
    ("message", "transient"),
    [
        ("Search Backend failed: Database is not supported: pubmed", True),
        ("Search Backend failed: address table is empty", True),
        ("Search Backend failed: Exception: 'retstart' cannot be larger than 9998.", False),
        ("Invalid query syntax near ')'", False),
        ("Unable to obtain query #3", False),
        ("Empty id list - nothing todo", False),
    ],
)
def test_is_transient_error(message, transient):
    assert is_transient_error(message) is transient


def test_outage_longer_than_the_old_15_s_is_ridden_out_within_the_budget(server, fake):
    # Eight 503s in a row: a minute or more of backoff, inside the 5-minute default budget.
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.http(503), times=8)
    client = make_client(standin.register(server), fake)
    assert client.esearch("asthma").count == 5
    assert client.stats.retries == 8 and 15 < sum(fake.sleeps) <= client.retry_budget_s


def test_retry_budget_ends_the_retries_and_says_how_long(server, fake):
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.http(503, retry_after=40), times=100)
    client = make_client(standin.register(server), fake, retry_budget_s=100)
    with pytest.raises(EutilsError, match=r"gave up after 3 attempts in 80 s"):
        client.esearch("asthma")
    assert fake.sleeps == [40, 40]  # Retry-After honoured; a third wait would pass 100 s


def test_short_id_list_is_kept_with_a_note(server, fake):
    # esearch has counted more ids than it listed; the listing's end is accepted.
    standin = EutilsStandin(rate_limit=False)
    entries = year_entries(250)
    standin.add_search("asthma", entries, unlisted=[pmid for pmid, _ in entries[-7:]])
    client = make_client(standin.register(server), fake, page_size=100)
    outcome = client.search("asthma", date(2023, 1, 1), date(2023, 12, 31))
    assert len(outcome.ids) == 243
    assert outcome.notes == [
        "esearch term='asthma' crdt 2023/01/01-2023/12/31: PubMed counted 250 but listed 243 ids"
    ]


def test_widened_query_reports_error_list_translation_and_hits(server, fake):
    standin = EutilsStandin(rate_limit=False)
    standin.add_search("exosomes AND zzyxq", year_entries(4), not_found=["zzyxq"])
    client = make_client(standin.register(server), fake)
    outcome = client.search("exosomes AND zzyxq", date(2023, 1, 1), date(2023, 12, 31))
    assert len(outcome.ids) == 4
    assert outcome.errors == ["PhraseNotFound: zzyxq"]
    assert outcome.translation == "exosomes AND zzyxq AND 2023/01/01:2023/12/31[crdt]"


def test_429_body_echoing_the_key_is_scrubbed(server, fake):
    # NCBI's 429 body names the key ("api-key": ...); it must not reach the message.
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault.http(429), times=10)
    client = make_client(standin.register(server), fake, api_key=SECRET, max_retries=2)
    with pytest.raises(EutilsError) as info:
        client.esearch("asthma")
    assert "API rate limit exceeded" in str(info.value)
    assert_no_secret(str(info.value))


def test_connection_errors_are_retried_then_named_without_the_key(fake, caplog):
    with socket.socket() as sock:  # a port that was free a moment ago: connections refused
        sock.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/entrez/eutils/"
    client = make_client(base_url, fake, api_key=SECRET, max_retries=2, timeout=2)
    with caplog.at_level(logging.DEBUG), pytest.raises(EutilsError) as info:
        client.esearch("asthma")
    assert "ConnectionError" in str(info.value) and "3 attempts" in str(info.value)
    assert client.stats.retries == 2
    assert_no_secret(str(info.value), caplog.text)
    assert_not_chained(info.value)


@pytest.mark.parametrize("status", [400, 403, 404, 414])
def test_other_4xx_fail_at_once(server, fake, status):
    standin = EutilsStandin({"asthma": year_entries(5)}, rate_limit=False)
    standin.add_fault("esearch", Fault(status=status, body=f'{{"error":"bad {SECRET}"}}'.encode()))
    client = make_client(standin.register(server), fake, api_key=SECRET)
    with pytest.raises(EutilsError, match=f"HTTP {status}") as info:
        client.esearch("asthma")
    assert standin.counts["esearch"] == 1 and client.stats.retries == 0
    assert_no_secret(str(info.value))


def assert_not_chained(exc: BaseException) -> None:
    """No chained exception whose message (a requests URL, say) could print the key."""
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for form in (SECRET, "k3y-Secret%2B42", "k3y-Secret+42", "Secret"):
            assert form not in text


# --------------------------------------------------------------------------- efetch


def efetch_standin(n: int = 450, **kwargs) -> tuple[EutilsStandin, list[str]]:
    entries = year_entries(n)
    standin = EutilsStandin(
        {"asthma": entries}, make_record=minimal_article, rate_limit=False, **kwargs
    )
    return standin, [pmid for pmid, _ in entries]


def test_efetch_posts_batches_and_each_pmid_once(server, fake):
    standin, ids = efetch_standin(450)
    client = make_client(standin.register(server), fake)

    docs = list(client.efetch(ids + ids[:50], batch_size=200))  # repeats are dropped

    assert len(docs) == 3
    assert [len(parse_efetch_pmids(d)) for d in docs] == [200, 200, 50]
    fetches = [r for r in standin.requests if r.endpoint == "efetch"]
    assert all(r.method == "POST" for r in fetches)
    assert all("id=" not in r.query and r.query == "" for r in fetches)  # ids in the body
    assert Counter(standin.fetched_ids()) == Counter(ids)
    assert max(Counter(standin.fetched_ids()).values()) == 1


def test_efetch_truncated_batch_is_retried(server, fake):
    standin, ids = efetch_standin(20)
    standin.add_fault("efetch", Fault.truncate(700))
    client = make_client(standin.register(server), fake)
    docs = list(client.efetch(ids))
    assert parse_efetch_pmids(docs[0]) == tuple(ids)
    assert client.stats.retries == 1


def test_efetch_truncated_for_good_names_first_and_last_id(server, fake):
    standin, ids = efetch_standin(20)
    standin.add_fault("efetch", Fault.truncate(700), times=10)
    client = make_client(standin.register(server), fake, max_retries=2)
    with pytest.raises(EutilsResponseError) as info:
        list(client.efetch(ids))
    message = str(info.value)
    assert message.startswith(f"efetch (20 ids, {ids[0]}..{ids[-1]}): ")
    assert "not well-formed XML (cut short?)" in message and "3 attempts" in message


def test_efetch_fewer_records_than_asked_names_the_missing(server, fake):
    entries = year_entries(10)
    ids = [pmid for pmid, _ in entries]
    present = {pmid: minimal_article(pmid) for pmid in ids if pmid not in (ids[3], ids[7])}
    standin = EutilsStandin(records=present, rate_limit=False)  # no make_record: deleted ids
    client = make_client(standin.register(server), fake)

    with pytest.raises(MissingRecordsError) as info:
        next(client.efetch(ids))

    assert info.value.missing_ids == (ids[3], ids[7])
    assert f"2 of 10 records missing (deleted or not yet public?): {ids[3]}, {ids[7]}" in str(
        info.value
    )
    assert isinstance(info.value, EutilsResponseError)
    assert len(parse_efetch_pmids(info.value.document)) == 8  # the rest is still usable
    assert client.stats.retries == 0


def test_efetch_validates_ids_before_any_request(server, fake):
    standin, _ = efetch_standin(1)
    client = make_client(standin.register(server), fake)
    with pytest.raises(ValueError):
        client.efetch(["123", "abc"])
    with pytest.raises(ValueError):
        client.efetch(["123"], batch_size=0)
    assert standin.counts["efetch"] == 0


def test_tool_email_and_key_on_every_request_never_in_messages(server, fake, caplog):
    standin, _ = efetch_standin(300)
    client = make_client(standin.register(server), fake, api_key=SECRET, tool="kb-test")

    with caplog.at_level(logging.DEBUG):
        found = client.search_all_ids("asthma", page_size=100)
        list(client.efetch(found))
        client.esearch("no such phrase")

    assert len(standin.requests) == 3 + 2 + 1
    for req in standin.requests:
        assert req.method == "POST"
        assert req.params["tool"] == "kb-test"
        assert req.params["email"] == EMAIL
        assert req.params["api_key"] == SECRET
        assert SECRET not in req.query  # the key never sits in a URL
    assert_no_secret(caplog.text, repr(client), str(client.stats))
    assert "api_key=***" in repr(client)


def test_no_email_no_key_sends_tool_only(server, fake):
    standin, _ = efetch_standin(3)
    client = make_client(standin.register(server), fake, email=None)
    client.esearch("asthma")
    params = standin.requests[0].params
    assert params["tool"] == "kb-generator"
    assert "email" not in params and "api_key" not in params
    assert "api_key=None" in repr(client)


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("env", "config_url", "config_email", "expected"),
    [
        ({}, None, None, (DEFAULT_BASE_URL, None, False, 3)),
        ({}, "http://cfg/eutils", "cfg@x.org", ("http://cfg/eutils/", "cfg@x.org", False, 3)),
        (
            {"NCBI_EUTILS_URL": "http://env/e/", "NCBI_EMAIL": "env@x.org"},
            "http://cfg/eutils/",
            "cfg@x.org",
            ("http://env/e/", "cfg@x.org", False, 3),
        ),
        (
            {"NCBI_EMAIL": "env@x.org", "NCBI_API_KEY": SECRET},
            None,
            "",
            (DEFAULT_BASE_URL, "env@x.org", True, 10),
        ),
        (
            {"NCBI_API_KEY": "  ", "NCBI_EUTILS_URL": ""},
            None,
            None,
            (DEFAULT_BASE_URL, None, False, 3),
        ),
    ],
)
def test_client_from_env(env, config_url, config_email, expected):
    client = client_from_env(config_url, config_email, environ=env)
    got = (client.base_url, client.email, client.has_api_key, client.limiter.rate_per_s)
    assert got == expected
    assert_no_secret(repr(client))


def test_client_rejects_bad_settings():
    with pytest.raises(ValueError):
        EutilsClient("ftp://example.org/")
    with pytest.raises(ValueError):
        EutilsClient(page_size=10_000)


# --------------------------------------------------------------------------- real time


def test_standin_enforces_ncbi_rate_limit(server):
    standin = EutilsStandin({"asthma": year_entries(3)})
    base_url = standin.register(server)
    answers = [
        requests.post(f"{base_url}esearch.fcgi", data={"db": "pubmed", "term": "asthma"})
        for _ in range(6)
    ]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    throttled = [a for a in answers if a.status_code == 429]
    assert throttled and standin.rejected == len(throttled)
    assert throttled[0].json()["error"] == "API rate limit exceeded"
    assert throttled[0].json()["limit"] == "3"


@pytest.mark.parametrize(("api_key", "calls"), [(SECRET, 15), (None, 5)])
def test_real_limiter_never_trips_the_standin_429(server, api_key, calls):
    standin = EutilsStandin({"asthma": year_entries(3)})  # enforces 3/s, 10/s with a key
    client = EutilsClient(standin.register(server), email=EMAIL, api_key=api_key)
    for _ in range(calls):
        client.esearch("asthma")
    assert standin.rejected == 0 and client.stats.throttled == 0
    assert client.stats.requests["esearch"] == calls


# --------------------------------------------------------------------------- the stand-in


def test_standin_history_efetch_and_stdlib_server():
    entries = year_entries(30)
    standin = EutilsStandin({"asthma": entries}, make_record=minimal_article, rate_limit=False)
    with standin.serve() as base_url:
        client = EutilsClient(base_url, sleep=lambda s: None, email=EMAIL)
        first = client.esearch("asthma", retmax=5)
        assert first.count == 30 and len(first.ids) == 5
        params = build_efetch_params(
            webenv=first.webenv, query_key=first.query_key, retstart=10, retmax=7
        )
        body = client._call("efetch", params, lambda b: b)
    assert parse_efetch_pmids(body) == tuple(pmid for pmid, _ in entries[10:17])


def test_standin_date_window_and_partial_dates():
    standin = EutilsStandin(
        {"t": [("1", "2023/12/31"), ("2", "2024/01/01"), ("3", "2024/02/29"), ("4", "2024/03/01")]},
        rate_limit=False,
    )

    def ids(**params):
        answer = standin.handle("GET", "/entrez/eutils/esearch.fcgi", _qs(term="t", **params))
        return parse_esearch(answer.body).ids

    assert ids() == ("1", "2", "3", "4")
    assert ids(mindate="2024", maxdate="2024/02", datetype="edat") == ("2", "3")
    assert ids(mindate="2024/01/02", maxdate="2024/03/01") == ("3", "4")
    answer = standin.handle("GET", "/entrez/eutils/esearch.fcgi", _qs(term="t", mindate="2024"))
    with pytest.raises(EutilsResponseError, match="together"):
        parse_esearch(answer.body)


def _qs(**params: str) -> str:
    return urlencode(params)
