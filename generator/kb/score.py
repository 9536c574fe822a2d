"""Keyword rules → a normalised score with its reasons (pure functions).

Matching is case-insensitive, on word boundaries, over the title, abstract,
author keywords and MeSH descriptors; a space and a hyphen in a keyword match
each other (``tumor-derived`` finds "tumor derived"). Each rule adds the points
configured in ``scoring.weights``; the sum is clipped to 0..1 and compared with
``scoring.thresholds``. A paper matched by several topics gets its best score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from generator.config.model import Filters, ScoringConfig, Topic
from generator.pubmed.models import Journal, Paper

RELEVANCES = ("high", "medium", "low")


@dataclass(frozen=True)
class Reason:
    """One rule that contributed to a score (``points`` may be 0 for a cap)."""

    rule: str  # required | missing_required | priority | title | abstract | journal | excluded
    # | citations
    detail: str
    points: float = 0.0


@dataclass(frozen=True)
class Score:
    value: float
    relevance: str
    reasons: tuple[Reason, ...] = ()
    topic: str | None = None
    rules: float = 0.0  # the keyword and journal rules' points, before the clip to 0..1
    capped: bool = False  # relevance held at low (a required keyword missing, or excluded)
    citations: float | None = None  # points of the citation rule; None: the rule is off


# The citation rule (``scoring.weights.citations``, off by default): a paper whose Relative
# Citation Ratio reaches FULL_RCR (twice its field's NIH median) gets the whole weight, a
# quarter of it for each quarter of FULL_RCR reached. Steps, not a slope: an RCR that
# drifts a little at each monthly refresh does not rewrite the page.
FULL_RCR = 2.0


def citation_reason(rcr: float | None, scoring: ScoringConfig) -> Reason | None:
    """The citation rule's reason for a paper with this RCR (None: no points)."""
    weight = scoring.weights.citations
    if not weight or rcr is None or rcr <= 0:
        return None
    quarters = min(4, int(4 * rcr / FULL_RCR + 1e-9))
    if quarters == 0:
        return None
    return Reason("citations", f"≥ {FULL_RCR * quarters / 4:g}", round(weight * quarters / 4, 3))


def with_citations(score: Score, rcr: float | None, scoring: ScoringConfig) -> Score:
    """``score`` with the citation rule applied (unchanged when the rule is off; an
    excluded paper gets no points; a capped one keeps relevance low)."""
    if not scoring.weights.citations:
        return score
    reason = (
        None if any(r.rule == "excluded" for r in score.reasons) else citation_reason(rcr, scoring)
    )
    points = reason.points if reason else 0.0
    value = round(min(1.0, score.rules + points), 3)
    relevance = "low" if score.capped else relevance_for(value, scoring)
    reasons = score.reasons + ((reason,) if reason else ())
    return replace(score, value=value, relevance=relevance, reasons=reasons, citations=points)


@lru_cache(maxsize=4096)
def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A case-insensitive word-boundary pattern; spaces and hyphens are interchangeable."""
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", keyword.strip()) if p]
    body = r"[\s\-]+".join(parts)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def contains_keyword(keyword: str, text: str) -> bool:
    """True when ``keyword`` occurs in ``text`` as whole words."""
    return bool(keyword.strip()) and keyword_pattern(keyword).search(text) is not None


@dataclass(frozen=True)
class _Fields:
    title: str
    abstract: str
    other: str  # keywords and MeSH descriptors

    @property
    def everything(self) -> str:
        return "\n".join((self.title, self.abstract, self.other))


def _fields(paper: Paper) -> _Fields:
    other = "\n".join([*paper.keywords, *(m.descriptor for m in paper.mesh)])
    abstract = "\n".join(
        [paper.abstract_text, *(s.text for o in paper.other_abstracts for s in o.sections)]
    )
    return _Fields(paper.title or "", abstract, other)


def _norm_journal(name: str) -> str:
    return re.sub(r"[\s.]+", " ", name).strip().casefold()


def is_high_impact(journal: Journal, journals: Iterable[str]) -> bool:
    """Exact (case/punctuation-insensitive) match of full title or ISO abbreviation.

    Never a substring match: "Cell reports" is not "Cell".
    """
    wanted = {_norm_journal(j) for j in journals}
    names = [n for n in (journal.title, journal.iso_abbreviation) if n]
    return any(_norm_journal(n) in wanted for n in names)


def relevance_for(value: float, scoring: ScoringConfig) -> str:
    if value >= scoring.thresholds.high:
        return "high"
    if value >= scoring.thresholds.medium:
        return "medium"
    return "low"


def score_for_topic(
    paper: Paper, topic: Topic | None, scoring: ScoringConfig, journals: Sequence[str]
) -> Score:
    """Score ``paper`` against one topic's rules (``None``: journal rule only)."""
    f = _fields(paper)
    w = scoring.weights
    reasons: list[Reason] = []
    capped_low = False
    if topic is not None:
        excluded = [k for k in topic.exclude_keywords if contains_keyword(k, f.everything)]
        if excluded:
            reason = Reason("excluded", ", ".join(excluded))
            return Score(0.0, "low", (reason,), topic.name, capped=True)
        if topic.required_keywords:
            missing = [k for k in topic.required_keywords if not contains_keyword(k, f.everything)]
            if missing:
                capped_low = True
                reasons.append(Reason("missing_required", ", ".join(missing)))
            else:
                detail = ", ".join(topic.required_keywords)
                reasons.append(Reason("required", detail, w.required))
        for keyword, weight in topic.priority_keywords:
            if not contains_keyword(keyword, f.everything):
                continue
            reasons.append(Reason("priority", keyword, w.priority * weight))
            if contains_keyword(keyword, f.title):
                reasons.append(Reason("title", keyword, w.title_bonus * weight))
            if contains_keyword(keyword, f.abstract):
                reasons.append(Reason("abstract", keyword, w.abstract_bonus * weight))
    if journals and is_high_impact(paper.journal, journals):
        name = paper.journal.title or paper.journal.iso_abbreviation or ""
        reasons.append(Reason("journal", name, w.high_impact_journal))
    points = sum(r.points for r in reasons)  # 0 (an int) when no rule counted, as pages say
    rules = round(float(points), 3)
    value = round(min(1.0, points), 3)
    relevance = "low" if capped_low else relevance_for(value, scoring)
    name = topic.name if topic else None
    return Score(value, relevance, tuple(reasons), name, rules=rules, capped=capped_low)


def score_paper(
    paper: Paper,
    topics: Sequence[Topic],
    scoring: ScoringConfig,
    journals: Sequence[str],
    rcr: float | None = None,
) -> Score:
    """The best score over every topic that matched ``paper`` (ties: first topic wins),
    then the citation rule for its Relative Citation Ratio ``rcr`` (when it is on)."""
    candidates = [score_for_topic(paper, t, scoring, journals) for t in topics] or [
        score_for_topic(paper, None, scoring, journals)
    ]
    rank = {r: i for i, r in enumerate(RELEVANCES)}
    best = min(candidates, key=lambda s: (rank[s.relevance], -s.value))
    return with_citations(best, rcr, scoring)


def filter_reason(paper: Paper, filters: Filters) -> str | None:
    """Why an opt-in filter rejects ``paper``, or ``None`` when it is kept."""
    if filters.min_abstract_length and len(paper.abstract_text) < filters.min_abstract_length:
        return f"abstract shorter than {filters.min_abstract_length} characters"
    if filters.languages and not set(paper.languages) & set(filters.languages):
        return f"language {', '.join(paper.languages) or 'unknown'} not in filters.languages"
    if filters.publication_types:
        wanted = {t.casefold() for t in filters.publication_types}
        if not {t.casefold() for t in paper.publication_types} & wanted:
            return "no publication type in filters.publication_types"
    return None
