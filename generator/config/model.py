"""What ``kb.yml`` says, as typed, frozen objects (:mod:`generator.config.load` makes them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
LANGUAGES = ("en", "ko")
DATETYPES = ("crdt", "edat", "pdat")
SUMMARY_MODES = ("extractive", "llm")


@dataclass(frozen=True)
class SiteConfig:
    title: str
    description: str = ""
    language: str = "en"
    url: str | None = None


@dataclass(frozen=True)
class Topic:
    """One PubMed query and the keyword rules that score what it returns."""

    name: str
    query: str
    description: str = ""
    required_keywords: tuple[str, ...] = ()
    priority_keywords: tuple[tuple[str, float], ...] = ()  # (keyword, weight)
    exclude_keywords: tuple[str, ...] = ()
    max_results: int | None = None
    allow_query_warnings: bool = False  # accept hits of a query PubMed widened


@dataclass(frozen=True)
class HarvestConfig:
    since: dt.date | None = None
    lookback_days: int = 30
    datetype: str = "crdt"
    until: dt.date | None = None  # only with datetype pdat: a fixed publication-date range
    overlap_days: int = 3
    refresh_days: int = 120
    batch_size: int = 200
    retry_budget_s: float = 300.0  # how long one request may keep retrying transient trouble
    missing_give_up_runs: int = 5  # runs a PMID efetch withholds is retried, then given up
    revisions: bool = True  # re-fetch stored papers PubMed modified since the last run


DEFAULT_ICITE_URL = "https://icite.od.nih.gov/api/"


@dataclass(frozen=True)
class CitationsConfig:
    """Citation signals from NIH's iCite (generator.kb.citations)."""

    enabled: bool = True
    url: str = DEFAULT_ICITE_URL
    refresh_days: int = 28  # papers published in the last `recent_years`: asked again this often
    recent_years: int = 3
    old_refresh_days: int = 182  # older papers, whose counts move slowly
    batch_size: int = 500  # PMIDs per request (iCite takes up to 1,000)


@dataclass(frozen=True)
class ScoringWeights:
    """Points each rule adds to a paper's score (the sum is clipped to 0..1)."""

    required: float = 0.3
    priority: float = 0.15
    title_bonus: float = 0.1
    abstract_bonus: float = 0.05
    high_impact_journal: float = 0.2
    citations: float = 0.0  # opt-in: points for a Relative Citation Ratio >= 2 (score.py)


@dataclass(frozen=True)
class Thresholds:
    high: float = 0.6
    medium: float = 0.3


@dataclass(frozen=True)
class Filters:
    """Opt-in filters; by default the knowledge base keeps every paper a query returns."""

    min_abstract_length: int = 0
    languages: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoringConfig:
    weights: ScoringWeights = field(default_factory=ScoringWeights)
    thresholds: Thresholds = field(default_factory=Thresholds)
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True)
class LLMConfig:
    """An OpenAI-compatible chat-completions endpoint (``summary.mode: llm``).

    The API key is never part of the config: only the name of the environment variable
    that holds it.
    """

    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    max_concurrency: int = 4
    timeout_s: float = 60.0
    max_retries: int = 3
    prompt_version: str | None = None  # a tag of yours: changing it re-summarises every paper


@dataclass(frozen=True)
class SummaryConfig:
    mode: str = "extractive"
    max_chars: int = 400
    language: str | None = None  # the summary's language; None: site.language
    llm: LLMConfig | None = None


@dataclass(frozen=True)
class Config:
    """The whole configuration; paths are absolute, resolved against the file's folder."""

    site: SiteConfig
    topics: tuple[Topic, ...]
    path: Path | None = None
    eutils_url: str = DEFAULT_EUTILS_URL
    email: str | None = None
    harvest: HarvestConfig = field(default_factory=HarvestConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    summary: SummaryConfig = field(default_factory=SummaryConfig)
    citations: CitationsConfig = field(default_factory=CitationsConfig)
    high_impact_journals: tuple[str, ...] = ()
    site_src: Path = Path("site_src")
    state_dir: Path = Path("state")

    def topic(self, name: str) -> Topic | None:
        """The topic called ``name`` (case-insensitive), if configured."""
        for t in self.topics:
            if t.name.casefold() == name.casefold():
                return t
        return None
