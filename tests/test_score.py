"""Scoring: keyword rules → a clipped score, its relevance and the reasons behind it."""

from __future__ import annotations

import pytest

from generator.config.model import Filters, ScoringConfig, ScoringWeights, Thresholds, Topic
from generator.kb.score import (
    Reason,
    contains_keyword,
    filter_reason,
    is_high_impact,
    relevance_for,
    score_for_topic,
    score_paper,
)
from generator.pubmed.models import AbstractSection, Journal, MeshHeading, Paper

SCORING = ScoringConfig()  # the defaults, which the shipped kb.yml repeats
JOURNALS = ("Nature", "Cell", "Lancet", "Nature reviews. Cancer")


def paper(title="", abstract="", journal=None, iso=None, keywords=(), mesh=(), **kw) -> Paper:
    return Paper(
        pmid="1",
        title=title,
        abstract=(AbstractSection(abstract),) if abstract else (),
        journal=Journal(title=journal, iso_abbreviation=iso),
        keywords=tuple(keywords),
        mesh=tuple(MeshHeading(m) for m in mesh),
        **kw,
    )


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("exosome", "Tumour exosome cargo", True),
        ("exosome", "EXOSOME", True),
        ("exosome", "exosomes", False),  # whole words only
        ("exosome", "microexosome", False),
        ("tumor-derived", "tumor derived vesicles", True),
        ("tumor derived", "tumor-derived vesicles", True),
        ("tumor-derived", "tumor--derived", True),
        ("tumor derived", "tumorderived", False),
        ("BRCA1", "BRCA1/2 carriers", True),
        ("BRCA1", "BRCA12", False),
        ("IL-6", "IL 6 levels", True),
        ("C++", "written in C++ today", True),
        ("p53", "(p53)", True),
        ("liquid biopsy", "liquid\nbiopsy", True),
        ("α-synuclein", "Α-SYNUCLEIN aggregates", True),
        ("", "anything", False),
        ("   ", "anything", False),
        ("a.b", "axb", False),  # regex characters are literal
    ],
)
def test_contains_keyword(keyword, text, found):
    assert contains_keyword(keyword, text) is found


@pytest.mark.parametrize(
    ("title", "iso", "high"),
    [
        ("Cell", None, True),
        ("cell", None, True),
        ("Cell reports", "Cell Rep", False),  # never a substring match
        ("Lancet (London, England)", "Lancet", True),
        ("The Lancet. Oncology", "Lancet Oncol", False),
        ("Nature reviews. Cancer", "Nat Rev Cancer", True),
        ("Nature reviews Cancer", None, True),  # dots and spaces are normalised
        ("Nature", "Nature", True),
        ("Nature communications", "Nat Commun", False),
        (None, None, False),
    ],
)
def test_high_impact_journal_is_an_exact_match(title, iso, high):
    assert is_high_impact(Journal(title=title, iso_abbreviation=iso), JOURNALS) is high


@pytest.mark.parametrize(
    ("value", "relevance"),
    [(0.0, "low"), (0.29, "low"), (0.3, "medium"), (0.59, "medium"), (0.6, "high"), (1.0, "high")],
)
def test_relevance_thresholds(value, relevance):
    assert relevance_for(value, SCORING) == relevance


TOPIC = Topic(
    name="exosomes",
    query="q",
    priority_keywords=(("exosomes", 2.0), ("liquid biopsy", 1.0), ("biomarker", 0.5)),
)


@pytest.mark.parametrize(
    ("p", "value", "relevance", "rules"),
    [
        (paper(title="Nothing relevant"), 0.0, "low", []),
        (
            paper(title="Exosomes in cancer"),
            0.5,  # priority 0.15*2 + title 0.1*2
            "medium",
            [("priority", "exosomes", 0.3), ("title", "exosomes", 0.2)],
        ),
        (
            paper(title="A study", abstract="Circulating exosomes."),
            0.4,  # priority 0.3 + abstract 0.05*2
            "medium",
            [("priority", "exosomes", 0.3), ("abstract", "exosomes", 0.1)],
        ),
        (
            paper(title="A study", keywords=["liquid biopsy"]),
            0.15,  # found only among the keywords: no title/abstract bonus
            "low",
            [("priority", "liquid biopsy", 0.15)],
        ),
        (
            paper(title="Exosomes as a liquid biopsy biomarker", abstract="Exosomes, biomarker."),
            1.0,  # 0.5 + 0.1 + 0.25 + 0.125 + 0.025 = 1.0 (clipped)
            "high",
            None,
        ),
        (
            paper(title="A study", journal="Cell"),
            0.2,
            "low",
            [("journal", "Cell", 0.2)],
        ),
    ],
)
def test_score_for_topic(p, value, relevance, rules):
    score = score_for_topic(p, TOPIC, SCORING, JOURNALS)
    assert score.value == pytest.approx(value)
    assert score.relevance == relevance
    assert score.topic == "exosomes"
    assert 0.0 <= score.value <= 1.0
    if rules is not None:
        got = [(r.rule, r.detail, round(r.points, 6)) for r in score.reasons]
        assert got == [(a, b, pytest.approx(c)) for a, b, c in rules]


def test_score_is_clipped_to_one():
    title = "Exosomes liquid biopsy biomarker"
    score = score_for_topic(
        paper(title=title, abstract=title, journal="Nature"), TOPIC, SCORING, JOURNALS
    )
    assert score.value == 1.0
    assert sum(r.points for r in score.reasons) > 1.0  # the reasons keep the real points


def test_excluded_keyword_zeroes_the_score():
    topic = Topic(
        name="t", query="q", priority_keywords=(("exosomes", 2.0),), exclude_keywords=("mice",)
    )
    score = score_for_topic(
        paper(title="Exosomes in mice", journal="Cell"), topic, SCORING, JOURNALS
    )
    # held at low: the opt-in citation rule cannot lift it either
    assert score == score.__class__(0.0, "low", (Reason("excluded", "mice"),), "t", capped=True)


def test_missing_required_keyword_caps_relevance_at_low():
    topic = Topic(
        name="t",
        query="q",
        required_keywords=("germline", "BRCA1"),
        priority_keywords=(("exosomes", 4.0),),
    )
    missing = score_for_topic(paper(title="Exosomes, germline"), topic, SCORING, JOURNALS)
    assert missing.value >= 0.6
    assert missing.relevance == "low"
    assert missing.reasons[0] == Reason("missing_required", "BRCA1")
    present = score_for_topic(paper(title="Exosomes, germline BRCA1"), topic, SCORING, JOURNALS)
    assert present.relevance == "high"
    assert present.reasons[0] == Reason("required", "germline, BRCA1", 0.3)


def test_mesh_terms_count_as_matches():
    score = score_for_topic(paper(title="x", mesh=["Exosomes"]), TOPIC, SCORING, JOURNALS)
    assert [r.rule for r in score.reasons] == ["priority"]


def test_weights_and_thresholds_come_from_the_config():
    scoring = ScoringConfig(
        weights=ScoringWeights(priority=0.5, title_bonus=0.0),
        thresholds=Thresholds(high=0.9, medium=0.8),
    )
    score = score_for_topic(paper(title="Exosomes"), TOPIC, scoring, JOURNALS)
    assert score.value == 1.0  # 0.5 * 2, title bonus 0
    assert score.relevance == "high"
    score = score_for_topic(paper(title="biomarker"), TOPIC, scoring, JOURNALS)
    assert score.value == 0.25
    assert score.relevance == "low"


def test_score_paper_takes_the_best_topic():
    weak = Topic(name="weak", query="q", priority_keywords=(("cancer", 1.0),))
    strong = Topic(name="strong", query="q", priority_keywords=(("exosomes", 4.0),))
    p = paper(title="Exosomes in cancer")
    assert score_paper(p, [weak, strong], SCORING, JOURNALS).topic == "strong"
    assert score_paper(p, [strong, weak], SCORING, JOURNALS).topic == "strong"
    # equal scores: the first topic wins
    again = Topic(name="again", query="q", priority_keywords=(("cancer", 1.0),))
    assert score_paper(p, [weak, again], SCORING, JOURNALS).topic == "weak"


def test_score_paper_without_topics_uses_the_journal_rule_only():
    score = score_paper(paper(title="Exosomes", journal="Nature"), [], SCORING, JOURNALS)
    assert score.topic is None
    assert score.reasons == (Reason("journal", "Nature", 0.2),)


def test_relevance_ranks_before_value():
    capped = Topic(
        name="capped", query="q", required_keywords=("zzz",), priority_keywords=(("exosomes", 9.0),)
    )
    fine = Topic(name="fine", query="q", priority_keywords=(("exosomes", 2.0),))
    score = score_paper(paper(title="Exosomes"), [capped, fine], SCORING, JOURNALS)
    assert score.topic == "fine"
    assert (score.value, score.relevance) == (0.5, "medium")  # beats (1.0, "low")


@pytest.mark.parametrize(
    ("filters", "p", "reason"),
    [
        (Filters(), paper(title="x"), None),
        (Filters(), paper(title="x", languages=("kor",)), None),
        (
            Filters(min_abstract_length=10),
            paper(title="x", abstract="short"),
            "abstract shorter than 10 characters",
        ),
        (Filters(min_abstract_length=5), paper(title="x", abstract="long enough"), None),
        (
            Filters(languages=("eng",)),
            paper(title="x", languages=("kor",)),
            "language kor not in filters.languages",
        ),
        (
            Filters(languages=("eng",)),
            paper(title="x"),
            "language unknown not in filters.languages",
        ),
        (Filters(languages=("eng",)), paper(title="x", languages=("kor", "eng")), None),
        (
            Filters(publication_types=("Review",)),
            paper(title="x", publication_types=("Journal Article",)),
            "no publication type in filters.publication_types",
        ),
        (
            Filters(publication_types=("review",)),
            paper(title="x", publication_types=("Review",)),
            None,
        ),
    ],
)
def test_filters_are_opt_in(filters, p, reason):
    assert filter_reason(p, filters) == reason
