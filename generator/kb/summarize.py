"""Offline, deterministic summaries: an extractive summary and an "at a glance" line."""

from __future__ import annotations

import re
from collections import Counter

from generator.pubmed.models import Paper
from generator.utils.i18n import labels

# Most specific first: the first publication type found names the study type.
STUDY_TYPES: tuple[tuple[str, str, str], ...] = (
    ("Retracted Publication", "retracted publication", "철회된 논문"),
    ("Meta-Analysis", "meta-analysis", "메타분석"),
    ("Systematic Review", "systematic review", "체계적 문헌고찰"),
    ("Randomized Controlled Trial", "randomised controlled trial", "무작위 대조 시험"),
    ("Clinical Trial, Phase III", "phase III clinical trial", "3상 임상시험"),
    ("Clinical Trial, Phase II", "phase II clinical trial", "2상 임상시험"),
    ("Clinical Trial, Phase I", "phase I clinical trial", "1상 임상시험"),
    ("Clinical Trial", "clinical trial", "임상시험"),
    ("Observational Study", "observational study", "관찰 연구"),
    ("Multicenter Study", "multicentre study", "다기관 연구"),
    ("Case Reports", "case report", "증례 보고"),
    ("Practice Guideline", "practice guideline", "진료 지침"),
    ("Guideline", "guideline", "지침"),
    ("Review", "review", "종설"),
    ("Editorial", "editorial", "사설"),
    ("Comment", "comment", "논평"),
    ("Letter", "letter", "서신"),
    ("Preprint", "preprint", "프리프린트"),
    ("Journal Article", "original article", "원저 논문"),
)

_CONCLUSION = re.compile(r"conclusion|interpretation|significance|implication", re.IGNORECASE)
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "Fig.", "Figs.", "approx.", "ca.", "No.")
_STOPWORDS = frozenset(
    """a an and are as at be been but by can for from had has have in into is it its of on or
    our that the their these this those to was we were which with within without than then
    there not no also may might both between among after before such using used based""".split()
)


def split_sentences(text: str) -> list[str]:
    """Split on sentence ends, not on common abbreviations or decimals."""
    protected = text
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbr, f"\x00{i}\x00")
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'“])", protected)
    out = []
    for part in parts:
        for i, abbr in enumerate(_ABBREVIATIONS):
            part = part.replace(f"\x00{i}\x00", abbr)
        if part.strip():
            out.append(part.strip())
    return out


def _truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def extractive_summary(paper: Paper, max_chars: int = 400) -> str | None:
    """The conclusion of a structured abstract, else its most informative sentences."""
    sections = [s for s in paper.abstract if s.text]
    if not sections:
        return None
    for s in sections:
        if (s.category or "").upper() == "CONCLUSIONS" or _CONCLUSION.search(s.label or ""):
            return _truncate(s.text, max_chars)
    sentences = split_sentences(" ".join(s.text for s in sections))
    if len(" ".join(sentences)) <= max_chars:
        return " ".join(sentences)
    words = [w for w in re.findall(r"\w+", paper.abstract_text.lower()) if w not in _STOPWORDS]
    freq = Counter(words)
    title_words = set(re.findall(r"\w+", (paper.title or "").lower())) - _STOPWORDS

    def weight(item: tuple[int, str]) -> tuple[float, int]:
        index, sentence = item
        tokens = [t for t in re.findall(r"\w+", sentence.lower()) if t not in _STOPWORDS]
        if not tokens:
            return (0.0, index)
        value = sum(freq[t] for t in tokens) / len(tokens)
        value += 2.0 * len(title_words & set(tokens)) / max(1, len(title_words))
        if index == len(sentences) - 1:
            value *= 1.5  # the last sentence usually states the finding
        return (-value, index)

    chosen: list[tuple[int, str]] = []
    used = 0
    for index, sentence in sorted(enumerate(sentences), key=weight):
        if used + len(sentence) + 1 > max_chars:
            if not chosen:  # the most informative sentence, cut on a word, beats filler
                return _truncate(sentence, max_chars)
            continue
        chosen.append((index, sentence))
        used += len(sentence) + 1
    return " ".join(s for _, s in sorted(chosen))


def study_type(paper: Paper, language: str = "en") -> str | None:
    """The most specific study type named by the paper's publication types."""
    types = {t.casefold() for t in paper.publication_types}
    col = 1 if language == "en" else 2
    for row in STUDY_TYPES:
        if row[0].casefold() in types:
            return row[col]
    return None


def at_a_glance(paper: Paper, language: str = "en") -> str | None:
    """One line from the metadata: study type, main topics (major MeSH), subjects."""
    lab = labels(language)
    parts = []
    kind = study_type(paper, language)
    if kind:
        parts.append(f"{lab['glance_study']}: {kind}")
    major = [m.descriptor for m in paper.mesh if m.major and m.descriptor not in _SUBJECTS]
    if major:
        parts.append(f"{lab['glance_topics']}: {', '.join(major[:5])}")
    descriptors = {m.descriptor for m in paper.mesh}
    subjects = [lab[key] for name, key in _SUBJECTS.items() if name in descriptors]
    if subjects:
        parts.append(f"{lab['glance_subjects']}: {', '.join(subjects)}")
    return " · ".join(parts) or None


_SUBJECTS = {"Humans": "humans", "Animals": "animals"}
