"""Journal names that travel: the name a citation carries and the one a list shows.

NLM's catalogue titles are written for a catalogue, not a reference list. They carry
qualifiers after a colon or in parentheses ("Clinical cancer research : an official journal
of the American Association for Cancer Research", "Lancet (London, England)") and are in
sentence case ("Journal of cell science"). A reference manager, BibTeX style or CSL style
prints ``container-title`` as given, so the qualifiers and the lower case end up in the
user's bibliography. Pure functions.
"""

from __future__ import annotations

import re

# Words a title-cased journal name keeps in lower case (unless first), English and the
# common Romance/Germanic particles of NLM's titles.
SMALL_WORDS = frozenset(
    "a an and as at but by de del der des di du e en et for from in into la le les "
    "of on or per the to und upon via von with y".split()
)
_PLACE = re.compile(r"\s*\([^()]*\)\s*$")  # "(London, England)", "(Basel)"
_QUALIFIER = re.compile(r"\s+[:=]\s+.*$")  # " : an official journal of ...", " = parallel title"
_WORD = re.compile(r"[^\s\-/]+")


def citation_journal(title: str | None) -> str:
    """The journal's full title as a citation should carry it (pure).

    Drops NLM's trailing place qualifier and anything after `` : `` or `` = ``, and
    title-cases a sentence-cased title ("Journal of cell science" → "Journal of Cell
    Science"). Words with capitals of their own ("PLoS", "eLife", "BMJ") and dotted
    sections ("Nature reviews. Cancer" → "Nature Reviews. Cancer") keep their letters.
    """
    text = " ".join((title or "").split())
    if not text:
        return ""
    previous = None
    while previous != text:  # "Title (Place) : subtitle" and "Title : sub (Place)"
        previous = text
        text = _QUALIFIER.sub("", _PLACE.sub("", text)).strip()
    text = text.rstrip(" .") or previous
    return title_case(text) if _is_sentence_case(text) else text


def title_case(text: str) -> str:
    """Capitalise each all-lower-case word except small words after the first (pure)."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if not word.islower():
            return word
        first = match.start() == 0 or text[: match.start()].rstrip().endswith((".", ":"))
        if word in SMALL_WORDS and not first:
            return word
        return word[0].upper() + word[1:]

    return _WORD.sub(fix, text)


def _is_sentence_case(text: str) -> bool:
    """True when every word after the first that is not a small word is all lower case."""
    words = [w.strip(".,;:[]") for w in _WORD.findall(text)[1:]]
    words = [w for w in words if w.isalpha() and w.lower() not in SMALL_WORDS]
    return bool(words) and any(w.islower() for w in words)


def list_journal(title: str | None, iso_abbreviation: str | None) -> str:
    """The name a list of papers shows: the ISO abbreviation, else the citation title."""
    return (iso_abbreviation or "").strip() or citation_journal(title)
