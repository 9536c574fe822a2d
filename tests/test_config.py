"""kb.yml: the shipped file loads; every problem is reported at once, with its path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.config.load import load_config, parse_config
from generator.config.model import Config
from generator.utils.errors import ConfigError, KBError
from tests.conftest import REPO


def minimal(**top: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"site": {"title": "T"}, "topics": [{"name": "a", "query": "b"}]}
    data.update(top)
    return data


def errors_of(data: Any, tmp_path: Path | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, tmp_path or Path("/kb"), source="kb.yml")
    return info.value.errors


def load_text(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "kb.yml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_shipped_kb_yml_loads():
    config = load_config(REPO / "kb.yml")
    assert config.path == (REPO / "kb.yml").resolve()
    assert config.site.language == "en"
    assert config.site.title.startswith("Tumour exosomes")
    names = [t.name for t in config.topics]
    assert len(names) == 13
    assert names[:3] == ["tumour-derived exosomes", "cancer", "cancer genomics"]
    assert config.topic("SWANTON").name == "Swanton"
    assert config.topic("nope") is None
    assert config.harvest.since is None and config.harvest.lookback_days == 30
    assert config.harvest.datetype == "crdt"
    assert config.scoring.thresholds.high == 0.6
    assert config.scoring.thresholds.medium == 0.3
    assert config.scoring.filters.languages == ()
    assert "Cell" in config.high_impact_journals
    assert config.site_src == REPO / "site_src"
    assert config.email is None


def test_minimal_config_gets_defaults():
    config = parse_config(minimal(), Path("/kb"))
    assert config.site.language == "en"
    assert config.site.description == ""
    assert config.harvest.batch_size == 200
    assert config.summary.max_chars == 400
    assert config.scoring.weights.priority == 0.15
    assert config.site_src == Path("/kb/site_src")
    assert config.state_dir == Path("/kb/state")
    assert config.topics[0].priority_keywords == ()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (minimal(bogus=1), "bogus: unknown key"),
        (minimal(site={"title": "T", "colour": "red"}), "site.colour: unknown key"),
        (minimal(harvest={"sinse": "2025-01-01"}), "harvest.sinse: unknown key"),
        (minimal(scoring={"thresholds": {"low": 0.1}}), "scoring.thresholds.low: unknown key"),
        (minimal(scoring={"weights": {"titel_bonus": 1}}), "scoring.weights.titel_bonus: unknown"),
        (minimal(scoring={"filters": {"language": ["eng"]}}), "scoring.filters.language: unknown"),
        (minimal(summary={"mode": "extractive", "lm": {}}), "summary.lm: unknown key"),
        (minimal(paths={"site": "x"}), "paths.site: unknown key"),
        (
            minimal(topics=[{"name": "a", "query": "b", "keywords": ["x"]}]),
            "topics[0].keywords: unknown key",
        ),
    ],
)
def test_unknown_keys_are_rejected(data, expected):
    errors = errors_of(data)
    assert len(errors) == 1
    assert errors[0].startswith(expected)
    assert "allowed:" in errors[0]


def test_every_error_is_reported_together_with_its_path():
    data = {
        "site": {"title": "T", "language": "fr"},
        "harvest": {"since": "yesterday", "batch_size": 0},
        "scoring": {"thresholds": {"high": 0.2, "medium": 0.5}},
        "summary": {"max_chars": "many"},
        "email": "not-an-address",
        "topics": [
            {"name": "a", "query": "q", "priority_keywords": 3},
            {"name": "b", "query": "q", "required_keywords": {"x": 1}},
            {"name": "c"},
            {"name": "A", "query": "q"},
            "just a string",
        ],
    }
    errors = errors_of(data)
    assert set(errors) == {
        "site.language: expected one of en, ko, got 'fr'",
        "topics[0].priority_keywords: expected a list of strings, got int",
        "topics[1].required_keywords: expected a list of strings, got a mapping",
        "topics[2].query: required",
        "topics[3].name: duplicate of topics[0].name",
        "topics[4]: expected a mapping, got a string",
        "harvest.since: expected a date YYYY-MM-DD, got 'yesterday'",
        "harvest.batch_size: must be >= 1",
        "scoring.thresholds.medium: must not exceed scoring.thresholds.high",
        "summary.max_chars: expected an integer, got a string",
        "email: expected an e-mail address, got 'not-an-address'",
    }
    assert len(errors) == len(set(errors))


def test_config_error_message_names_the_file_and_lists_every_error(tmp_path):
    path = tmp_path / "kb.yml"
    path.write_text("site: {title: T, language: de}\ntopics: [{name: a}]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert isinstance(info.value, KBError)
    message = str(info.value)
    assert message.splitlines()[0] == f"invalid config {path}:"
    assert "  - site.language: expected one of en, ko, got 'de'" in message
    assert "  - topics[0].query: required" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "(top): the file is empty"),
        ([1, 2], "(top): expected a mapping of settings, got a list"),
        ({"topics": [{"name": "a", "query": "b"}]}, "site: required"),
        ({"site": {"title": "T"}}, "topics: required (a list of topics, each with name and query)"),
        (minimal(topics=[]), "topics: must list at least one topic"),
        (minimal(topics={"a": "b"}), "topics: expected a list, got a mapping"),
        (minimal(site={"description": "d"}), "site.title: required"),
        (minimal(site={"title": "   "}), "site.title: must not be empty"),
        (minimal(site="Title"), "site: expected a mapping, got a string"),
        (minimal(topics=[{"name": "a", "query": True}]), "topics[0].query: expected a string"),
        (minimal(topics=[{"query": "q"}]), "topics[0].name: required"),
        (
            minimal(topics=[{"name": "a", "query": "q", "max_results": 0}]),
            "topics[0].max_results: must be",
        ),
        (
            minimal(harvest={"datetype": "mdat"}),
            "harvest.datetype: expected one of crdt, edat, pdat",
        ),
        (minimal(harvest={"revisions": "yes"}), "harvest.revisions: expected true or false"),
        (minimal(harvest={"retry_budget_s": -1}), "harvest.retry_budget_s: must be >= 0"),
        (minimal(harvest={"missing_give_up_runs": 0}), "harvest.missing_give_up_runs: must be"),
        (
            minimal(topics=[{"name": "a", "query": "q", "allow_query_warnings": 1}]),
            "topics[0].allow_query_warnings: expected true or false",
        ),
        (minimal(harvest={"lookback_days": "30"}), "harvest.lookback_days: expected an integer"),
        (minimal(harvest={"overlap_days": -1}), "harvest.overlap_days: must be >= 0"),
        (minimal(harvest={"batch_size": 10001}), "harvest.batch_size: must be <= 10000"),
        (minimal(harvest={"until": "2025-01-01"}), "harvest.until: only valid with datetype: pdat"),
        (
            minimal(harvest={"datetype": "pdat", "since": "2025-02-01", "until": "2025-01-01"}),
            "harvest.until: must not be before harvest.since",
        ),
        (minimal(scoring={"thresholds": {"high": 1.5}}), "scoring.thresholds.high: must be <= 1"),
        (minimal(scoring={"thresholds": {"medium": 0.7}}), "scoring.thresholds.medium: must not"),
        (
            minimal(scoring={"weights": {"priority": -0.1}}),
            "scoring.weights.priority: must be >= 0",
        ),
        (minimal(scoring={"weights": {"priority": True}}), "scoring.weights.priority: expected a"),
        (minimal(scoring={"filters": {"languages": 3}}), "scoring.filters.languages: expected a"),
        (minimal(summary={"mode": "abstractive"}), "summary.mode: expected one of extractive"),
        (minimal(eutils_url="ftp://x"), "eutils_url: expected an http(s) URL"),
        (minimal(high_impact_journals=[["Nature"]]), "high_impact_journals[0]: expected a string"),
    ],
)
def test_bad_values_name_their_path(data, expected):
    errors = errors_of(data)
    assert any(e.startswith(expected) for e in errors), errors


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("yesterday", "'yesterday'"),
        ("2025/07/01", "'2025/07/01'"),
        ("01-07-2025", "'01-07-2025'"),
        ("2025-13-01", "'2025-13-01'"),  # YAML would read it as a date, then fail to build it
        ("2025-02-30", "'2025-02-30'"),
        ("2025", "2025"),
        ("[2025, 7, 1]", "[2025, 7, 1]"),
    ],
)
def test_bad_dates_in_the_file_are_config_errors(tmp_path, value, shown):
    text = f"site: {{title: T}}\nharvest: {{since: {value}}}\ntopics: [{{name: a, query: b}}]\n"
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text)
    assert info.value.errors == [f"harvest.since: expected a date YYYY-MM-DD, got {shown}"]


@pytest.mark.parametrize("value", ["2025-07-01", "'2025-07-01'", "2025-07-01 10:00:00"])
def test_good_dates(tmp_path, value):
    text = f"site: {{title: T}}\nharvest: {{since: {value}}}\ntopics: [{{name: a, query: b}}]\n"
    assert load_text(tmp_path, text).harvest.since == dt.date(2025, 7, 1)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("site: {title: T\ntopics: []\n", "line 2, column 7"),
        ("site:\n  title: T\n topics: x\n", "line 3, column 2"),
        ("site: [unclosed\n", "line 2, column 1"),
        ("a: b\n\tc: d\n", "line 2, column 1"),
    ],
)
def test_not_yaml_is_reported_with_line_and_column(tmp_path, text, where):
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text)
    (error,) = info.value.errors
    assert error.startswith(f"{where}: not valid YAML: ")
    assert info.value.source == str(tmp_path / "kb.yml")


def test_missing_file_is_a_clear_error(tmp_path):
    path = tmp_path / "nope" / "kb.yml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.errors == ["file not found (use --config PATH)"]
    assert str(path) in str(info.value)


def test_a_folder_or_binary_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)
    binary = tmp_path / "kb.yml"
    binary.write_bytes(b"\xff\xfe\x00site")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(binary)


@pytest.mark.parametrize(
    ("paths", "site_src", "state"),
    [
        (None, "kb/site_src", "kb/state"),
        ({"site_src": "docs"}, "kb/docs", "kb/state"),
        ({"site_src": "../elsewhere/src", "state": "var/state"}, "elsewhere/src", "kb/var/state"),
    ],
)
def test_relative_paths_resolve_against_the_config_folder_not_the_cwd(
    tmp_path, monkeypatch, paths, site_src, state
):
    folder = tmp_path / "kb"
    folder.mkdir()
    data = minimal(**({"paths": paths} if paths else {}))
    (folder / "kb.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    cwd = tmp_path / "somewhere" / "else"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    config = load_config(Path("../../kb/kb.yml"))
    assert config.path == folder / "kb.yml"
    assert config.site_src == tmp_path / site_src
    assert config.state_dir == tmp_path / state


def test_absolute_paths_are_kept(tmp_path):
    config = parse_config(minimal(paths={"site_src": str(tmp_path / "abs")}), Path("/kb"))
    assert config.site_src == tmp_path / "abs"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["exosome", "liquid biopsy"], (("exosome", 1.0), ("liquid biopsy", 1.0))),
        ("exosome", (("exosome", 1.0),)),
        ({"exosome": 2, "biomarker": 0.5}, (("exosome", 2.0), ("biomarker", 0.5))),
        ({"exosome": 0}, (("exosome", 0.0),)),
        ([], ()),
        (None, ()),
    ],
)
def test_priority_keywords_as_list_or_weighted_mapping(raw, expected):
    topic = {"name": "a", "query": "b", "priority_keywords": raw}
    config = parse_config(minimal(topics=[topic]), Path("/kb"))
    assert config.topics[0].priority_keywords == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"exosome": -1}, "topics[0].priority_keywords.exosome: must be >= 0"),
        (
            {"exosome": "high"},
            "topics[0].priority_keywords.exosome: expected a number, got a string",
        ),
        ({"exosome": None}, "topics[0].priority_keywords.exosome: expected a number, got nothing"),
        ([["nested"]], "topics[0].priority_keywords[0]: expected a string, got a list"),
        (3.5, "topics[0].priority_keywords: expected a list of strings, got float"),
    ],
)
def test_bad_priority_keywords(raw, expected):
    topic = {"name": "a", "query": "b", "priority_keywords": raw}
    assert errors_of(minimal(topics=[topic])) == [expected]


def test_shipped_weighted_priority_keywords():
    topic = load_config(REPO / "kb.yml").topics[0]
    assert dict(topic.priority_keywords)["exosomes"] == 2.0
    assert dict(topic.priority_keywords)["biomarker"] == 0.5


def test_duplicate_topic_names_ignore_case_and_whitespace():
    topics = [{"name": "Cancer", "query": "a"}, {"name": " cancer ", "query": "b"}]
    assert errors_of(minimal(topics=topics)) == ["topics[1].name: duplicate of topics[0].name"]


def test_config_is_frozen():
    config = parse_config(minimal(), Path("/kb"))
    with pytest.raises(AttributeError):
        config.site = None  # type: ignore[misc]


def test_harvest_defaults_suit_the_live_pubmed():
    config = parse_config(minimal(), Path("/kb"), source="test")
    h = config.harvest
    # crdt: the day a record entered PubMed, so late-added records are found (edat is
    # set to the publication date for records added over a year after publication).
    assert h.datetype == "crdt" and h.revisions is True
    assert h.retry_budget_s == 300 and h.missing_give_up_runs == 5
    assert config.topics[0].allow_query_warnings is False
