"""Load ``kb.yml`` once into typed, frozen objects (:mod:`generator.config.model`).

Every problem is collected with its path (``topics[2].query: required``) and
reported together in one :class:`~generator.utils.errors.ConfigError`. Unknown keys
are rejected so that a typo never silently does nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from generator.config.model import (
    DATETYPES,
    DEFAULT_EUTILS_URL,
    LANGUAGES,
    SUMMARY_MODES,
    CitationsConfig,
    Config,
    Filters,
    HarvestConfig,
    LLMConfig,
    ScoringConfig,
    ScoringWeights,
    SiteConfig,
    SummaryConfig,
    Thresholds,
    Topic,
)
from generator.utils.errors import ConfigError

# --- a small collecting validator -------------------------------------------------


class _Checker:
    """Walks a parsed YAML mapping, collecting every error with its path."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, path: str, msg: str) -> None:
        self.errors.append(f"{path}: {msg}")

    def mapping(self, value: Any, path: str, allowed: set[str]) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.error(path, f"expected a mapping, got {_kind(value)}")
            return {}
        for key in value:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.error(_join(path, str(key)), f"unknown key (allowed: {hint})")
        return value

    def get(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        convert: Callable[[Any, str], Any],
        default: Any = None,
        required: bool = False,
    ) -> Any:
        p = _join(path, key)
        if key not in data or data[key] is None:
            if required:
                self.error(p, "required")
            return default
        return convert(data[key], p)

    # converters: each returns the converted value or records an error and returns None
    def string(self, v: Any, p: str) -> str | None:
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            self.error(p, f"expected a string, got {_kind(v)}")
            return None
        s = str(v).strip()
        if not s:
            self.error(p, "must not be empty")
            return None
        return s

    def integer(self, v: Any, p: str, minimum: int = 0) -> int | None:
        if isinstance(v, bool) or not isinstance(v, int):
            self.error(p, f"expected an integer, got {_kind(v)}")
            return None
        if v < minimum:
            self.error(p, f"must be >= {minimum}")
            return None
        return v

    def positive(self, v: Any, p: str) -> int | None:
        return self.integer(v, p, minimum=1)

    def number(self, v: Any, p: str) -> float | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.error(p, f"expected a number, got {_kind(v)}")
            return None
        if v < 0:
            self.error(p, "must be >= 0")
            return None
        return float(v)

    def boolean(self, v: Any, p: str) -> bool | None:
        if not isinstance(v, bool):
            self.error(p, f"expected true or false, got {_kind(v)}")
            return None
        return v

    def date(self, v: Any, p: str) -> dt.date | None:
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v.strip())
            except ValueError:
                pass
        self.error(p, f"expected a date YYYY-MM-DD, got {v!r}")
        return None

    def strings(self, v: Any, p: str) -> tuple[str, ...] | None:
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list):
            self.error(p, f"expected a list of strings, got {_kind(v)}")
            return None
        out = []
        for i, item in enumerate(v):
            s = self.string(item, f"{p}[{i}]")
            if s is not None:
                out.append(s)
        return tuple(out)

    def choice(self, options: tuple[str, ...]) -> Callable[[Any, str], str | None]:
        def convert(v: Any, p: str) -> str | None:
            if v not in options:
                self.error(p, f"expected one of {', '.join(options)}, got {v!r}")
                return None
            return v

        return convert


def _kind(v: Any) -> str:
    if v is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(v), type(v).__name__
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_TOP_KEYS = {
    "site",
    "eutils_url",
    "email",
    "topics",
    "harvest",
    "scoring",
    "summary",
    "high_impact_journals",
    "paths",
    "citations",
}


def parse_config(data: Any, base_dir: Path, source: str = "<config>") -> Config:
    """Validate parsed YAML ``data`` and return a :class:`Config` (pure, no I/O)."""
    c = _Checker()
    top = c.mapping(data, "", _TOP_KEYS)
    if data is None:
        c.error("(top)", "the file is empty")
    elif not isinstance(data, Mapping):
        c.errors = [f"(top): expected a mapping of settings, got {_kind(data)}"]

    site_raw = c.mapping(top.get("site"), "site", {"title", "description", "language", "url"})
    if "site" not in top:
        c.error("site", "required")
    site = SiteConfig(
        title=c.get(site_raw, "title", "site", c.string, required="site" in top) or "",
        description=c.get(site_raw, "description", "site", c.string, "") or "",
        language=c.get(site_raw, "language", "site", c.choice(LANGUAGES), "en") or "en",
        url=c.get(site_raw, "url", "site", c.string),
    )

    topics = _parse_topics(c, top.get("topics"))
    harvest = _parse_harvest(c, top.get("harvest"))
    scoring = _parse_scoring(c, top.get("scoring"))
    summary = _parse_summary(c, top.get("summary"), site.language)
    citations = _parse_citations(c, top.get("citations"))
    paths_raw = c.mapping(top.get("paths"), "paths", {"site_src", "state"})
    site_src = c.get(paths_raw, "site_src", "paths", c.string, "site_src") or "site_src"
    state_dir = c.get(paths_raw, "state", "paths", c.string, "state") or "state"

    eutils_url = c.get(top, "eutils_url", "", c.string, DEFAULT_EUTILS_URL) or DEFAULT_EUTILS_URL
    if not re.match(r"^https?://", eutils_url):
        c.error("eutils_url", f"expected an http(s) URL, got {eutils_url!r}")
    email = c.get(top, "email", "", c.string)
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        c.error("email", f"expected an e-mail address, got {email!r}")
    journals = c.get(top, "high_impact_journals", "", c.strings, ()) or ()

    if c.errors:
        raise ConfigError(source, c.errors)
    return Config(
        site=site,
        topics=topics,
        path=None,
        eutils_url=eutils_url,
        email=email,
        harvest=harvest,
        scoring=scoring,
        summary=summary,
        citations=citations,
        high_impact_journals=journals,
        site_src=(base_dir / site_src).resolve(),
        state_dir=(base_dir / state_dir).resolve(),
    )


_TOPIC_KEYS = {
    "name",
    "query",
    "description",
    "required_keywords",
    "priority_keywords",
    "exclude_keywords",
    "max_results",
    "allow_query_warnings",
}


def _parse_topics(c: _Checker, raw: Any) -> tuple[Topic, ...]:
    if raw is None:
        c.error("topics", "required (a list of topics, each with name and query)")
        return ()
    if not isinstance(raw, list):
        c.error("topics", f"expected a list, got {_kind(raw)}")
        return ()
    topics: list[Topic] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        path = f"topics[{i}]"
        t = c.mapping(item, path, _TOPIC_KEYS)
        if not isinstance(item, Mapping):
            continue
        name = c.get(t, "name", path, c.string, required=True)
        query = c.get(t, "query", path, c.string, required=True)
        if name is not None:
            if name.casefold() in seen:
                c.error(f"{path}.name", f"duplicate of topics[{seen[name.casefold()]}].name")
            seen.setdefault(name.casefold(), i)
        topics.append(
            Topic(
                name=name or "",
                query=query or "",
                description=c.get(t, "description", path, c.string, "") or "",
                required_keywords=c.get(t, "required_keywords", path, c.strings, ()) or (),
                priority_keywords=_parse_priority(c, t.get("priority_keywords"), path),
                exclude_keywords=c.get(t, "exclude_keywords", path, c.strings, ()) or (),
                max_results=c.get(t, "max_results", path, c.positive),
                allow_query_warnings=bool(c.get(t, "allow_query_warnings", path, c.boolean, False)),
            )
        )
    if not raw:
        c.error("topics", "must list at least one topic")
    return tuple(topics)


def _parse_priority(c: _Checker, raw: Any, path: str) -> tuple[tuple[str, float], ...]:
    """A list of keywords (weight 1 each) or a mapping keyword → weight."""
    p = f"{path}.priority_keywords"
    if raw is None:
        return ()
    if isinstance(raw, Mapping):
        out = []
        for k, w in raw.items():
            key = c.string(k, p)
            weight = c.number(w, f"{p}.{k}")
            if key is not None and weight is not None:
                out.append((key, weight))
        return tuple(out)
    words = c.strings(raw, p)
    return tuple((w, 1.0) for w in words or ())


def _parse_harvest(c: _Checker, raw: Any) -> HarvestConfig:
    keys = {
        "since",
        "until",
        "lookback_days",
        "datetype",
        "overlap_days",
        "refresh_days",
        "batch_size",
        "retry_budget_s",
        "missing_give_up_runs",
        "revisions",
    }
    h = c.mapping(raw, "harvest", keys)
    d = HarvestConfig()
    cfg = HarvestConfig(
        since=c.get(h, "since", "harvest", c.date),
        until=c.get(h, "until", "harvest", c.date),
        lookback_days=c.get(h, "lookback_days", "harvest", c.positive, d.lookback_days),
        datetype=c.get(h, "datetype", "harvest", c.choice(DATETYPES), d.datetype) or d.datetype,
        overlap_days=c.get(h, "overlap_days", "harvest", c.integer, d.overlap_days),
        refresh_days=c.get(h, "refresh_days", "harvest", c.integer, d.refresh_days),
        batch_size=c.get(h, "batch_size", "harvest", c.positive, d.batch_size),
        retry_budget_s=c.get(h, "retry_budget_s", "harvest", c.number, d.retry_budget_s),
        missing_give_up_runs=c.get(
            h, "missing_give_up_runs", "harvest", c.positive, d.missing_give_up_runs
        ),
        revisions=bool(c.get(h, "revisions", "harvest", c.boolean, d.revisions)),
    )
    if cfg.batch_size is not None and cfg.batch_size > 10000:
        c.error("harvest.batch_size", "must be <= 10000 (efetch's limit)")
    if cfg.until is not None and cfg.datetype != "pdat":
        c.error("harvest.until", "only valid with datetype: pdat (a fixed publication-date range)")
    if cfg.since and cfg.until and cfg.until < cfg.since:
        c.error("harvest.until", "must not be before harvest.since")
    return cfg


def _parse_citations(c: _Checker, raw: Any) -> CitationsConfig:
    d = CitationsConfig()
    r = c.mapping(raw, "citations", set(d.__dataclass_fields__))
    cfg = CitationsConfig(
        enabled=bool(c.get(r, "enabled", "citations", c.boolean, d.enabled)),
        url=c.get(r, "url", "citations", c.string, d.url) or d.url,
        refresh_days=c.get(r, "refresh_days", "citations", c.positive, d.refresh_days),
        recent_years=c.get(r, "recent_years", "citations", c.positive, d.recent_years),
        old_refresh_days=c.get(r, "old_refresh_days", "citations", c.positive, d.old_refresh_days),
        batch_size=c.get(r, "batch_size", "citations", c.positive, d.batch_size),
    )
    if not re.match(r"^https?://", cfg.url):
        c.error("citations.url", f"expected an http(s) URL, got {cfg.url!r}")
    if cfg.batch_size is not None and cfg.batch_size > 1000:
        c.error("citations.batch_size", "must be <= 1000 (iCite's limit)")
    return cfg


def _parse_scoring(c: _Checker, raw: Any) -> ScoringConfig:
    s = c.mapping(raw, "scoring", {"weights", "thresholds", "filters"})
    wd = ScoringWeights()
    w = c.mapping(s.get("weights"), "scoring.weights", set(wd.__dataclass_fields__))
    weights = ScoringWeights(
        **{k: c.get(w, k, "scoring.weights", c.number, v) for k, v in vars(wd).items()}
    )
    td = Thresholds()
    t = c.mapping(s.get("thresholds"), "scoring.thresholds", {"high", "medium"})
    thresholds = Thresholds(
        high=c.get(t, "high", "scoring.thresholds", c.number, td.high),
        medium=c.get(t, "medium", "scoring.thresholds", c.number, td.medium),
    )
    if thresholds.high is not None and thresholds.medium is not None:
        if thresholds.high > 1:
            c.error("scoring.thresholds.high", "must be <= 1 (scores are normalised to 0..1)")
        if thresholds.medium > thresholds.high:
            c.error("scoring.thresholds.medium", "must not exceed scoring.thresholds.high")
    f = c.mapping(
        s.get("filters"),
        "scoring.filters",
        {"min_abstract_length", "languages", "publication_types"},
    )
    filters = Filters(
        min_abstract_length=c.get(f, "min_abstract_length", "scoring.filters", c.integer, 0),
        languages=c.get(f, "languages", "scoring.filters", c.strings, ()) or (),
        publication_types=c.get(f, "publication_types", "scoring.filters", c.strings, ()) or (),
    )
    return ScoringConfig(weights=weights, thresholds=thresholds, filters=filters)


_LLM_KEYS = {
    "base_url",
    "model",
    "api_key_env",
    "max_concurrency",
    "timeout_s",
    "max_retries",
    "prompt_version",
}


def _parse_summary(c: _Checker, raw: Any, site_language: str) -> SummaryConfig:
    s = c.mapping(raw, "summary", {"mode", "max_chars", "language", "llm"})
    mode = c.get(s, "mode", "summary", c.choice(SUMMARY_MODES), "extractive") or "extractive"
    llm_raw = s.get("llm")
    llm = None
    if isinstance(llm_raw, Mapping) and "api_key" in llm_raw:
        # Never echo the value: it is a secret pasted where it does not belong.
        c.error(
            "summary.llm.api_key", "never put the key in kb.yml; name its variable in api_key_env"
        )
        llm_raw = {k: v for k, v in llm_raw.items() if k != "api_key"}
    lm = c.mapping(llm_raw, "summary.llm", _LLM_KEYS)
    if lm or mode == "llm":
        p, d = "summary.llm", LLMConfig("", "")
        base_url = c.get(lm, "base_url", p, c.string)
        model = c.get(lm, "model", p, c.string)
        if mode == "llm":
            for key, value in (("base_url", base_url), ("model", model)):
                if value is None and lm.get(key) is None:
                    c.error(f"{p}.{key}", "required when summary.mode is llm")
        if base_url is not None and not re.match(r"^https?://", base_url):
            c.error(f"{p}.base_url", f"expected an http(s) URL, got {base_url!r}")
        key_env = c.get(lm, "api_key_env", p, c.string, d.api_key_env) or d.api_key_env
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key_env):
            # Not echoed either: a pasted key is the likely mistake.
            c.error(f"{p}.api_key_env", "expected the NAME of an environment variable")
        timeout = c.get(lm, "timeout_s", p, c.number, d.timeout_s)
        if timeout is not None and timeout <= 0:
            c.error(f"{p}.timeout_s", "must be > 0")
        llm = LLMConfig(
            base_url=base_url or "",
            model=model or "",
            api_key_env=key_env,
            max_concurrency=c.get(lm, "max_concurrency", p, c.positive, d.max_concurrency)
            or d.max_concurrency,
            timeout_s=timeout or d.timeout_s,
            max_retries=c.get(lm, "max_retries", p, c.integer, d.max_retries) or 0,
            prompt_version=c.get(lm, "prompt_version", p, c.string),
        )
    return SummaryConfig(
        mode=mode,
        max_chars=c.get(s, "max_chars", "summary", c.positive, 400) or 400,
        language=c.get(s, "language", "summary", c.choice(LANGUAGES), site_language)
        or site_language,
        llm=llm,
    )


class _YamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that leaves an impossible date (``2025-13-01``) as a string.

    PyYAML raises a bare ``ValueError`` (no line, no key) for such a value; kept as text,
    the checker reports it with its path like any other bad date.
    """


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


SITE_URL_ENV = "KB_SITE_URL"  # the published URL when kb.yml has none (set by publish.yml)


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the YAML config at ``path``.

    ``site.url`` left empty is taken from ``$KB_SITE_URL`` when set: the publish workflow
    passes GitHub Pages' URL there, so feeds, sitemaps and canonical links are absolute on
    a published site whose kb.yml never named its URL.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(p), ["file not found (use --config PATH)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(p), [f"cannot read: {exc}"]) from None
    try:
        data = yaml.load(text, Loader=_YamlLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(top)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(p), [f"{where}: not valid YAML: {problem}"]) from None
    cfg = parse_config(data, p.resolve().parent, source=str(p))
    env_url = ((os.environ if environ is None else environ).get(SITE_URL_ENV) or "").strip()
    if cfg.site.url is None and env_url:
        if not env_url.startswith(("https://", "http://")):
            raise ConfigError(SITE_URL_ENV, [f"expected an http(s) URL, got {env_url!r}"])
        cfg = replace(cfg, site=replace(cfg.site, url=env_url))
    return replace(cfg, path=p.resolve())
