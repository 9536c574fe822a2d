"""The one clock: fixed by tests and by $PUBMED_KB_NOW, the real UTC time otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from generator import cli
from generator.kb.state import load_run_records
from generator.utils.clock import NOW_ENV, fixed_clock, parse_moment, system_clock
from generator.utils.errors import ConfigError
from tests.eutils_standin import EutilsStandin, minimal_article

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", dt.datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T12:30:00Z", dt.datetime(2026, 3, 1, 12, 30, tzinfo=UTC)),
        ("2026-03-01T12:30:00", dt.datetime(2026, 3, 1, 12, 30, tzinfo=UTC)),
        # 23:30 in Seoul on 1 March is 14:30 UTC the same day; 03:00 is the day before
        ("2026-03-01T23:30:00+09:00", dt.datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
        ("2026-03-01T03:00:00+09:00", dt.datetime(2026, 2, 28, 18, 0, tzinfo=UTC)),
    ],
)
def test_parse_moment(text: str, expected: dt.datetime) -> None:
    assert parse_moment(text) == expected
    assert fixed_clock(text).today() == expected.date()


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "", "1 March 2026"])
def test_a_bad_moment_is_a_config_error_naming_the_variable(text: str) -> None:
    with pytest.raises(ConfigError, match=NOW_ENV):
        parse_moment(text)


def test_fixed_clock_from_a_date_or_datetime() -> None:
    assert fixed_clock(dt.date(2026, 3, 1)).timestamp() == "2026-03-01T00:00:00+00:00"
    naive = fixed_clock(dt.datetime(2026, 3, 1, 12, 0, 0, 999))
    assert naive.timestamp() == "2026-03-01T12:00:00+00:00"  # UTC, whole seconds
    assert naive.today_iso() == "2026-03-01"


def test_system_clock_honours_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NOW_ENV, "2031-07-04T08:00:00Z")
    assert system_clock().timestamp() == "2031-07-04T08:00:00+00:00"


def test_system_clock_without_the_variable_is_the_real_utc_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(NOW_ENV)
    before = dt.datetime.now(UTC)
    now = system_clock().now()
    after = dt.datetime.now(UTC)
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(0)
    assert before <= now <= after


def test_the_harvest_dates_pages_and_run_records_by_the_clock(tmp_path, monkeypatch) -> None:
    data = {"site": {"title": "T"}, "topics": [{"name": "t", "query": "t"}]}
    (tmp_path / "kb.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setenv(NOW_ENV, "2031-07-04T08:00:00Z")
    # found 10 days before that "now": inside the default 30-day first window
    standin = EutilsStandin(
        {"t": [("300", "2031/06/24")]}, make_record=minimal_article, rate_limit=False
    )
    with standin.serve() as url:
        monkeypatch.setenv("NCBI_EUTILS_URL", url)
        assert cli.run(["harvest", "--config", str(tmp_path / "kb.yml")]) == cli.EXIT_OK
    record = load_run_records(tmp_path / "state")[-1]
    assert record["started"] == record["finished"] == "2031-07-04T08:00:00+00:00"
    assert record["topics"][0]["window"] == {
        "start": "2031-06-04",
        "end": "2031-07-04",
        "datetype": "crdt",
    }
    page = (tmp_path / "site_src" / "papers" / "300.md").read_text(encoding="utf-8")
    assert "collected: '2031-07-04'" in page and "updated: '2031-07-04'" in page


def test_a_bad_variable_is_a_clean_cli_error(tmp_path, monkeypatch, capsys) -> None:
    data = {"site": {"title": "T"}, "topics": [{"name": "t", "query": "t"}]}
    (tmp_path / "kb.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setenv(NOW_ENV, "next tuesday")
    monkeypatch.setenv("NCBI_EUTILS_URL", "http://127.0.0.1:9/x/")
    code = cli.run(["harvest", "--config", str(tmp_path / "kb.yml")])
    assert code == cli.EXIT_ERROR
    assert NOW_ENV in capsys.readouterr().err
