"""Offline summaries: sentence splitting, extractive summary, study type, at a glance."""

from __future__ import annotations

import pytest

from generator.kb.summarize import at_a_glance, extractive_summary, split_sentences, study_type
from generator.pubmed.models import AbstractSection, MeshHeading, Paper


def paper(*sections: AbstractSection, title: str = "", **kw) -> Paper:
    return Paper(pmid="1", title=title, abstract=tuple(sections), **kw)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two. Three.", ["One.", "Two.", "Three."]),
        (
            "Tumours grew (e.g. in mice). Then shrank.",
            ["Tumours grew (e.g. in mice).", "Then shrank."],
        ),
        ("Smith et al. Reported it. Yes.", ["Smith et al. Reported it.", "Yes."]),
        ("HR was 1.5 vs. 2.3 overall. Done.", ["HR was 1.5 vs. 2.3 overall.", "Done."]),
        ("See Fig. 2 and Figs. 3-4. End.", ["See Fig. 2 and Figs. 3-4.", "End."]),
        ("Is it? Yes! 95% agreed.", ["Is it?", "Yes!", "95% agreed."]),
        ("p < 0.05. (Secondary) result.", ["p < 0.05.", "(Secondary) result."]),
        ("lowercase. after a period stays.", ["lowercase. after a period stays."]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences(text, sentences):
    assert split_sentences(text) == sentences


def test_no_abstract_no_summary():
    assert extractive_summary(paper()) is None
    assert extractive_summary(paper(AbstractSection(""))) is None


def test_a_short_abstract_is_its_own_summary():
    p = paper(AbstractSection("Exosomes carry RNA.  They are small."))
    assert extractive_summary(p) == "Exosomes carry RNA. They are small."


@pytest.mark.parametrize(
    ("label", "category"),
    [
        ("CONCLUSIONS", "CONCLUSIONS"),
        ("Conclusion", None),
        ("INTERPRETATION", "UNASSIGNED"),
        ("Significance", None),
        ("Clinical implications", None),
        ("Summary", "CONCLUSIONS"),
    ],
)
def test_the_conclusion_of_a_structured_abstract_is_the_summary(label, category):
    p = paper(
        AbstractSection("Background text here.", "BACKGROUND", "BACKGROUND"),
        AbstractSection("Results text here.", "RESULTS", "RESULTS"),
        AbstractSection("Exosomes predict relapse.", label, category),
    )
    assert extractive_summary(p) == "Exosomes predict relapse."


def test_a_long_conclusion_is_truncated_on_a_word():
    text = "Exosomes " + "really " * 100 + "matter."
    summary = extractive_summary(paper(AbstractSection(text, "CONCLUSIONS", "CONCLUSIONS")), 50)
    assert len(summary) <= 50
    assert summary.endswith("…")
    assert text.startswith(summary[:-1])
    assert summary[:-1].split()[-1] in ("really", "Exosomes")


LONG = [
    "Tumour-derived exosomes carry proteins and RNA between cells.",
    "We collected plasma from 120 patients with breast cancer.",
    "Exosomes were isolated by ultracentrifugation.",
    "The weather on the collection days was recorded.",
    "Exosomal microRNA levels predicted relapse of breast cancer in patients.",
    "Exosomes from tumour cells may be a liquid biopsy for breast cancer relapse.",
]


@pytest.mark.parametrize("max_chars", [80, 150, 200, 400])
def test_a_long_abstract_gives_whole_sentences_in_order_within_the_limit(max_chars):
    p = paper(
        AbstractSection(" ".join(LONG)),
        title="Exosomes predict breast cancer relapse",
    )
    summary = extractive_summary(p, max_chars)
    assert summary
    assert len(summary) <= max_chars
    chosen = split_sentences(summary)
    assert all(s in LONG for s in chosen)
    assert chosen == sorted(chosen, key=LONG.index)  # original order
    assert "The weather on the collection days was recorded." not in chosen or max_chars >= 400


def test_the_summary_is_deterministic():
    p = paper(AbstractSection(" ".join(LONG)), title="Exosomes predict breast cancer relapse")
    assert len({extractive_summary(p, 150) for _ in range(5)}) == 1


def test_one_sentence_longer_than_the_limit_is_truncated():
    long = "Exosomes " + "and vesicles " * 40 + "matter."
    summary = extractive_summary(paper(AbstractSection(long + " Short. Short. Short.")), 60)
    assert len(summary) <= 60
    # the informative sentence, cut on a word, not the filler sentences that happen to fit
    assert summary.endswith("…") and "Short." not in summary
    assert summary.startswith("Exosomes and vesicles and vesicles")
    assert long.startswith(summary[:-1]) and long[len(summary) - 1] == " "


@pytest.mark.parametrize(
    ("types", "en", "ko"),
    [
        (("Journal Article",), "original article", "원저 논문"),
        (("Journal Article", "Review"), "review", "종설"),
        (("Review", "Systematic Review", "Meta-Analysis"), "meta-analysis", "메타분석"),
        (("Journal Article", "Randomized Controlled Trial"), "randomised controlled trial", None),
        (("Clinical Trial, Phase II", "Clinical Trial"), "phase II clinical trial", None),
        (("journal article", "retracted publication"), "retracted publication", "철회된 논문"),
        (("Dataset",), None, None),
        ((), None, None),
    ],
)
def test_study_type_is_the_most_specific(types, en, ko):
    p = paper(publication_types=types)
    assert study_type(p) == en
    if ko:
        assert study_type(p, "ko") == ko


def test_at_a_glance():
    p = paper(
        publication_types=("Journal Article", "Review"),
        mesh=(
            MeshHeading("Exosomes", major=True),
            MeshHeading("Humans", major=True),
            MeshHeading("Neoplasms", major=True),
            MeshHeading("Animals"),
            MeshHeading("Mice"),
        ),
    )
    assert at_a_glance(p) == (
        "Study type: review · Main topics: Exosomes, Neoplasms · Subjects: humans, animals"
    )
    assert (
        at_a_glance(p, "ko")
        == "연구 유형: 종설 · 주요 주제: Exosomes, Neoplasms · 대상: 사람, 동물"
    )


def test_at_a_glance_lists_at_most_five_major_topics():
    mesh = tuple(MeshHeading(f"Term {i}", major=True) for i in range(8))
    assert at_a_glance(paper(mesh=mesh)) == "Main topics: Term 0, Term 1, Term 2, Term 3, Term 4"


def test_at_a_glance_without_metadata():
    assert at_a_glance(paper()) is None
