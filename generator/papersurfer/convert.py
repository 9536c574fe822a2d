"""Paper Surfer's ``config.py`` converted to ``kb.yml`` (pure: text in, text out).

**config.py.** :func:`convert_config` reads the old settings with :mod:`ast` (the file
is never run): every top-level assignment of a literal is used, computed values (dates
from ``datetime.now()``) and other statements are reported, never evaluated. The names
are those of Paper Surfer's ``config.py``: ``SEARCH_KEYWORDS``, ``REQUIRED_KEYWORDS``,
``PRIORITY_KEYWORDS`` (a list, or a mapping keyword → weight), ``EXCLUDE_KEYWORDS``,
``SCORE_THRESHOLDS``, ``HIGH_IMPACT_JOURNALS``, ``MAX_RESULTS_PER_SEARCH``,
``SEARCH_DAYS_BACK`` / ``ENABLE_DATE_FILTER``, ``FILTER_SETTINGS``, ``PUBMED_BASE_URL``,
``CONTACT_EMAIL`` and ``SCHEDULE_*``; the rest have no counterpart and are listed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.config.load import parse_config
from generator.utils.errors import ConfigError

# --------------------------------------------------------------------------- config.py


@dataclass(frozen=True)
class ConfigConversion:
    """The ``kb.yml`` text made from a Paper Surfer ``config.py``, and what went where."""

    yaml_text: str
    converted: tuple[tuple[str, str], ...]  # (old setting, where it went)
    not_converted: tuple[tuple[str, str], ...]  # (old setting or statement, why not)


@dataclass(frozen=True)
class _Computed:
    """A value that only running the file would give (``datetime.now()``, a call …)."""

    source: str


def read_assignments(source: str, name: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Top-level literal assignments of a Python file, found with :mod:`ast` (never run).

    Values that are not literals become :class:`_Computed`, also inside lists and dicts;
    a name assigned earlier to a literal is resolved. Returns the values and the
    statements that were not assignments.
    """
    try:
        tree = ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise ConfigError(name, [f"line {exc.lineno}: not valid Python: {exc.msg}"]) from None
    values: dict[str, Any] = {}
    skipped: list[tuple[str, str]] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
            value = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            targets, value = [stmt.target.id], stmt.value
        else:
            kind = _statement_kind(stmt)
            if kind:
                skipped.append((f"line {stmt.lineno}", kind))
            continue
        if value is None or not targets:
            continue
        literal = _literal(value, values)
        for target in targets:
            values[target] = literal
    return values, skipped


def _statement_kind(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return "an import, not run"
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return f"the definition of {stmt.name}, not run"
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return None  # a docstring
    code = ast.unparse(stmt).split("\n", 1)[0]
    code = code[:50] + ("…" if len(code) > 50 else "")
    if isinstance(stmt, ast.Expr):
        return f"code, not run: {code}"
    return f"code, not run (assignments inside it are not read): {code}"


def _literal(node: ast.expr, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(e, env) for e in node.elts]
    if isinstance(node, ast.Dict):
        out: dict[Any, Any] = {}
        for k, v in zip(node.keys, node.values, strict=True):
            key = _literal(k, env) if k is not None else None
            if key is None or isinstance(key, (_Computed, list, dict)):
                return _Computed(ast.unparse(node))
            out[key] = _literal(v, env)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _literal(node.operand, env)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    return _Computed(ast.unparse(node))


# What each Paper Surfer setting without a counterpart did, and why it is not needed.
NOT_NEEDED = {
    "PUBMED_API_KEY": "a secret never goes into kb.yml: set NCBI_API_KEY in the environment",
    "MAX_REQUESTS_PER_SECOND": "pubmed-kb keeps to NCBI's limits itself (3/s, 10/s with a key)",
    "REQUEST_DELAY": "pubmed-kb keeps to NCBI's limits itself (3/s, 10/s with a key)",
    "TOOL_NAME": "pubmed-kb names itself to NCBI",
    "KEYWORD_MATCH_THRESHOLD": "pubmed-kb keeps every paper a query returns and grades it",
    "PRIORITY_KEYWORD_WEIGHT": "scored differently: see scoring.weights",
    "REQUIRED_KEYWORD_WEIGHT": "scored differently: see scoring.weights",
    "CATEGORY_FOLDERS": "pubmed-kb groups papers by relevance on its topic pages",
    "ENABLE_KOREAN_SUMMARY": "pubmed-kb writes an extractive summary; site.language: ko "
    "writes the site's own words in Korean",
    "SUMMARY_MAX_LENGTH": "Paper Surfer's summary was a keyword phrase; see summary.max_chars",
    "OUTPUT_BASE_DIR": "pages go to paths.site_src",
    "MARKDOWN_OUTPUT_DIR": "pages go to paths.site_src",
    "ENABLE_DATE_FOLDERS": "one page per paper, grouped by topic and MeSH term",
    "MARKDOWN_FILE_PREFIX": "pages are named <pmid>.md",
    "MARKDOWN_FILE_SUFFIX": "pages are named <pmid>.md",
    "MARKDOWN_TEMPLATE": "pubmed-kb renders its own page schema",
    "SCHEDULE_ENABLED": "no scheduler: run the harvest from cron or CI (see the comment)",
    "SCHEDULE_TIME": "no scheduler: run the harvest from cron or CI (see the comment)",
    "SCHEDULE_DAYS": "no scheduler: run the harvest from cron or CI (see the comment)",
    "SCHEDULE_LOG_FILE": "each harvest run is recorded in state/runs.jsonl",
    "LOG_LEVEL": "commands print their own summary",
    "LOG_FILE": "commands print their own summary; runs go to state/runs.jsonl",
    "LOG_FORMAT": "commands print their own summary",
    "LOG_DATE_FORMAT": "commands print their own summary",
    "LOG_MAX_SIZE": "commands print their own summary",
    "LOG_BACKUP_COUNT": "commands print their own summary",
    "MAX_RETRIES": "the E-utilities client retries with backoff itself",
    "RETRY_DELAY": "the E-utilities client retries with backoff itself",
    "EXPONENTIAL_BACKOFF": "the E-utilities client retries with backoff itself",
    "REQUEST_TIMEOUT": "the E-utilities client has its own timeouts",
    "PARSE_TIMEOUT": "the parser streams; no timeout needed",
    "CONTINUE_ON_ERROR": "a failed topic is reported (exit 1); the others' work is kept",
    "SAVE_ERROR_LOG": "errors are printed and kept in state/runs.jsonl",
    "DEBUG_MODE": "no debug mode",
    "VERBOSE_LOGGING": "no debug mode",
    "TEST_MODE": "use `harvest --dry-run`",
    "DRY_RUN": "use `harvest --dry-run`",
    "ENABLE_CACHING": "papers already on disk are not fetched again",
    "CACHE_DIR": "papers already on disk are not fetched again",
    "CACHE_DURATION": "papers already on disk are not fetched again",
}
_USED = {
    "SEARCH_KEYWORDS",
    "REQUIRED_KEYWORDS",
    "PRIORITY_KEYWORDS",
    "EXCLUDE_KEYWORDS",
    "SCORE_THRESHOLDS",
    "HIGH_IMPACT_JOURNALS",
    "MAX_RESULTS_PER_SEARCH",
    "SEARCH_DAYS_BACK",
    "ENABLE_DATE_FILTER",
    "FILTER_SETTINGS",
    "PUBMED_BASE_URL",
    "CONTACT_EMAIL",
}
# PubMed's language codes for the names Paper Surfer put in "<name>"[Language].
LANGUAGE_CODES = {
    "english": "eng",
    "korean": "kor",
    "german": "ger",
    "french": "fre",
    "spanish": "spa",
    "chinese": "chi",
    "japanese": "jpn",
    "italian": "ita",
    "portuguese": "por",
    "russian": "rus",
    "dutch": "dut",
}
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _y(value: Any) -> str:
    """``value`` as inline (flow) YAML."""
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, width=2**30, sort_keys=False
    )
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def _query(keyword: str) -> str:
    return f'"{keyword}"[All Fields]' if " " in keyword else f"{keyword}[All Fields]"


class _Conversion:
    """Collects the kb.yml lines and the report while converting (used once)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.converted: list[tuple[str, str]] = []
        self.not_converted: list[tuple[str, str]] = []

    def refuse(self, name: str, why: str) -> None:
        """Move ``name`` from converted to not converted: its value could not be used."""
        self.converted = [(n, w) for n, w in self.converted if n != name]
        self.not_converted.append((name, why))

    def get(self, name: str, kind: type | tuple[type, ...], where: str) -> Any:
        if name not in self.values:
            return None
        value = self.values[name]
        if isinstance(value, _Computed):
            self.not_converted.append((name, f"computed when Paper Surfer ran: {value.source}"))
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            self.not_converted.append((name, f"unexpected value {value!r}"))
            return None
        self.converted.append((name, where))
        return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def convert_config(source: str, name: str = "config.py") -> ConfigConversion:
    """A commented ``kb.yml`` from the text of Paper Surfer's ``config.py`` (never run).

    Raises :class:`ConfigError` when the file is not Python or names no search keyword.
    """
    values, statements = read_assignments(source, name)
    c = _Conversion(values)
    keywords = _strings(c.get("SEARCH_KEYWORDS", list, "topics (one per keyword)"))
    if not keywords:
        raise ConfigError(name, ["SEARCH_KEYWORDS: no list of keywords to make topics from"])
    unique: dict[str, str] = {}
    for k in keywords:
        unique.setdefault(k.casefold(), k)
    keywords = list(unique.values())
    required = _strings(c.get("REQUIRED_KEYWORDS", list, "topics[*].required_keywords")) or []
    exclude = _strings(c.get("EXCLUDE_KEYWORDS", list, "topics[*].exclude_keywords")) or []
    priority = _priority(c)
    max_results = c.get("MAX_RESULTS_PER_SEARCH", int, "topics[*].max_results")
    if max_results is not None and max_results < 1:
        c.refuse("MAX_RESULTS_PER_SEARCH", f"{max_results} is not a positive number")
        max_results = None

    site_lines = [
        "site:",
        "  title: Reading list (converted from Paper Surfer)   # not in config.py: name it",
        "  language: en            # en or ko: every word the generator writes",
    ]
    top: list[str] = []
    url = c.get("PUBMED_BASE_URL", str, "eutils_url")
    if url and re.match(r"^https?://", url):
        top.append(f"eutils_url: {_y(url)}   # PUBMED_BASE_URL")
    email = c.get("CONTACT_EMAIL", str, "email")
    if email and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip()):
        top.append(f"email: {_y(email.strip())}   # CONTACT_EMAIL")
    else:
        if email is not None:
            c.refuse("CONTACT_EMAIL", f"{email!r} is not an e-mail address")
        top.append("email: null   # NCBI asks for a contact address (or set NCBI_EMAIL)")
    top.append("# PUBMED_API_KEY is never copied here: put the key in NCBI_API_KEY.")

    harvest, filters = _harvest_and_filters(c)
    scoring = ["scoring:"]
    scoring += [
        "  # weights: pubmed-kb's defaults. Paper Surfer's PRIORITY_KEYWORD_WEIGHT and",
        "  # REQUIRED_KEYWORD_WEIGHT scaled fractions of matched keywords, then divided by 5;",
        "  # here each matched keyword adds its own points (see the README).",
    ]
    thresholds = c.get("SCORE_THRESHOLDS", dict, "scoring.thresholds")
    if thresholds is not None:
        high, medium = thresholds.get("high"), thresholds.get("medium")
        if _number(high) and _number(medium) and 0 <= medium <= high <= 1:
            scoring += [
                "  thresholds:           # SCORE_THRESHOLDS (Paper Surfer's scores ran on",
                "                        # another scale: expect other grades for a paper)",
                f"    high: {_y(float(high))}",
                f"    medium: {_y(float(medium))}",
            ]
        else:
            c.refuse("SCORE_THRESHOLDS", f"need 0 <= medium <= high <= 1: {thresholds!r}")
    scoring += filters

    journals_lines: list[str] = []
    journals = _strings(c.get("HIGH_IMPACT_JOURNALS", list, "high_impact_journals"))
    if journals:
        journals_lines = [
            "# HIGH_IMPACT_JOURNALS. Paper Surfer took any journal whose name *contained* one",
            '# of these ("cell" matched "Cell reports"); pubmed-kb matches the full title or',
            "# ISO abbreviation exactly, so list each journal you mean.",
            "high_impact_journals:",
            *(f"  - {_y(j)}" for j in journals),
        ]

    topic_lines = [
        "# One topic per SEARCH_KEYWORDS entry. Paper Surfer searched each keyword in",
        "# [All Fields]; make each query as precise as PubMed's syntax allows.",
        "topics:",
    ]
    for i, k in enumerate(keywords):
        topic_lines += [f"  - name: {_y(k)}", f"    query: {_y(_query(k))}"]
        for key, items, anchor, origin in (
            ("required_keywords", required, "required", "REQUIRED_KEYWORDS"),
            ("priority_keywords", priority, "priority", "PRIORITY_KEYWORDS"),
            ("exclude_keywords", exclude, "exclude", "EXCLUDE_KEYWORDS"),
        ):
            if not items:
                continue
            if i == 0:
                note = f"   # {origin}"
                if key == "required_keywords":
                    note += " (Paper Surfer dropped a paper missing one; here it is graded low)"
                topic_lines.append(f"    {key}: &{anchor} {_y(items)}{note}")
            else:
                topic_lines.append(f"    {key}: *{anchor}")
        if max_results is not None:
            comment = "   # MAX_RESULTS_PER_SEARCH; remove to keep every match" if i == 0 else ""
            topic_lines.append(f"    max_results: {max_results}{comment}")

    schedule = _schedule(values)
    converted_names = {n for n, _ in c.converted} | {n for n, _ in c.not_converted}
    for key, value in values.items():
        if key in converted_names or key in _USED:
            continue
        if key in NOT_NEEDED:
            c.not_converted.append((key, NOT_NEEDED[key]))
        elif key.isupper():
            c.not_converted.append((key, "not a Paper Surfer setting pubmed-kb knows"))
        elif isinstance(value, _Computed):
            c.not_converted.append((key, f"computed when Paper Surfer ran: {value.source}"))
        else:
            c.not_converted.append((key, "a helper value, not a setting"))
    c.not_converted.extend(statements)

    lines = [
        f"# kb.yml — converted from Paper Surfer's settings in {name}",
        "# by `python -m generator import-papersurfer`; the file was read, never run.",
        "# Each value names the setting it came from; settings with no counterpart are",
        "# listed at the end. Check the topic queries before the first harvest.",
        "",
        *site_lines,
        *top,
        "",
        *harvest,
        "",
        *scoring,
        "",
        *schedule,
        *journals_lines,
        *([""] if journals_lines else []),
        *topic_lines,
    ]
    if c.not_converted:
        lines += ["", "# Not converted:"]
        lines += [f"#   {what}: {why}" for what, why in c.not_converted]
    text = "\n".join(lines) + "\n"
    parse_config(yaml.safe_load(text), Path("."), source=f"kb.yml converted from {name}")
    return ConfigConversion(text, tuple(c.converted), tuple(c.not_converted))


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _priority(c: _Conversion) -> dict[str, int | float]:
    raw = c.get("PRIORITY_KEYWORDS", (list, dict), "topics[*].priority_keywords")
    if raw is None:
        return {}
    out: dict[str, int | float] = {}
    if isinstance(raw, dict):
        for k, w in raw.items():
            if isinstance(k, str) and _number(w) and w >= 0 and k.strip():
                out.setdefault(k.strip(), int(w) if float(w).is_integer() else float(w))
    else:
        for k in _strings(raw) or []:
            out.setdefault(k, 1)
    folded: dict[str, int | float] = {}
    seen: set[str] = set()
    for k, w in out.items():
        if k.casefold() not in seen:
            seen.add(k.casefold())
            folded[k] = w
    return folded


def _harvest_and_filters(c: _Conversion) -> tuple[list[str], list[str]]:
    harvest = ["harvest:"]
    enabled = c.get("ENABLE_DATE_FILTER", bool, "harvest.lookback_days")
    days = c.get("SEARCH_DAYS_BACK", int, "harvest.lookback_days")
    settings = c.get("FILTER_SETTINGS", dict, "harvest, scoring.filters") or {}
    since = settings.get("publication_date_from")
    until = settings.get("publication_date_to")
    fixed = isinstance(since, str) and re.fullmatch(r"\d{4}/\d{2}/\d{2}", since) is not None
    inferred = False
    if fixed:
        day = since.replace("/", "-")  # type: ignore[union-attr]
        harvest.append(f"  since: {day}   # FILTER_SETTINGS['publication_date_from']")
        if isinstance(until, str) and re.fullmatch(r"\d{4}/\d{2}/\d{2}", until):
            harvest += [
                "  datetype: pdat        # a fixed publication-date range, as Paper Surfer had",
                f"  until: {until.replace('/', '-')}   # FILTER_SETTINGS['publication_date_to']",
            ]
    elif enabled is False:
        harvest.append(
            "  # ENABLE_DATE_FILTER = False: Paper Surfer searched all dates; pubmed-kb harvests"
        )
        harvest.append("  # a window: the first run covers lookback_days (set since: to go back)")
    if days is not None and days >= 1 and enabled is not False and not fixed:
        harvest.append(f"  lookback_days: {days}   # SEARCH_DAYS_BACK")
    elif isinstance(since, _Computed) and enabled is not False:
        # e.g. thirty_days_ago = (datetime.now() - timedelta(days=30)).strftime(...)
        m = re.search(r"timedelta\(\s*days\s*=\s*(\d+)\s*\)", since.source)
        if m and int(m.group(1)) >= 1:
            inferred = True
            harvest.append(
                f"  lookback_days: {int(m.group(1))}   # FILTER_SETTINGS['publication_date_from']"
                f" was today - {int(m.group(1))} days"
            )
    if not fixed:
        harvest += [
            "  datetype: crdt          # Paper Surfer filtered on publication date; crdt (the",
            "                          # day a record entered PubMed) also finds late-added ones",
        ]
    filters = ["  filters:"]
    length = settings.get("min_abstract_length")
    if _number(length) and length >= 0:
        filters.append(
            f"    min_abstract_length: {int(length)}   # FILTER_SETTINGS['min_abstract_length']"
        )
    languages = _strings(settings.get("languages")) or []
    codes = []
    for name in languages:
        code = LANGUAGE_CODES.get(
            name.casefold(), name if re.fullmatch(r"[a-z]{3}", name) else None
        )
        if code:
            codes.append(code)
        else:
            c.not_converted.append((f"FILTER_SETTINGS['languages'] {name!r}", "unknown language"))
    if codes:
        filters.append(
            f"    languages: {_y(codes)}   # FILTER_SETTINGS['languages'] = {_y(languages)}"
        )
    types = _strings(settings.get("publication_types"))
    if types:
        filters += [
            "    # FILTER_SETTINGS['publication_types']: Paper Surfer never applied this filter",
            "    # (it is commented out in its code); uncomment to use it:",
            f"    # publication_types: {_y(types)}",
        ]
    for key, value in settings.items():
        if key == "publication_date_from" and inferred:
            c.converted.append((f"FILTER_SETTINGS[{key!r}]", "harvest.lookback_days"))
        elif isinstance(value, _Computed):
            c.not_converted.append(
                (f"FILTER_SETTINGS[{key!r}]", f"computed when Paper Surfer ran: {value.source}")
            )
        elif key not in (
            "publication_date_from",
            "publication_date_to",
            "min_abstract_length",
            "languages",
            "publication_types",
        ):
            c.not_converted.append((f"FILTER_SETTINGS[{key!r}]", "unknown filter"))
    return harvest, filters if len(filters) > 1 else []


def _schedule(values: Mapping[str, Any]) -> list[str]:
    enabled = values.get("SCHEDULE_ENABLED")
    time = values.get("SCHEDULE_TIME")
    days = values.get("SCHEDULE_DAYS")
    if enabled is not True or not isinstance(time, str) or not re.fullmatch(r"\d{1,2}:\d{2}", time):
        return []
    hour, minute = (int(x) for x in time.split(":"))
    names = _strings(days) or []
    numbers = sorted({(_DAYS.index(d.casefold()) + 1) % 7 for d in names if d.casefold() in _DAYS})
    dow = ",".join(str(n) for n in numbers) if numbers else "*"
    return [
        f"# Schedule: Paper Surfer ran itself at {time} on {', '.join(names) or 'every day'}",
        "# (SCHEDULE_*). pubmed-kb has no scheduler of its own; run it from cron, e.g.",
        f"#   {minute} {hour} * * {dow}  cd /path/to/this/folder && python -m generator site",
        "",
    ]
