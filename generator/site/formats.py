"""Citation exports a reference manager imports: BibTeX, RIS and CSL-JSON.

The built site carries one data file per paper, ``papers/<pmid>/cite.json``: its CSL-JSON
item, with what BibTeX and RIS need beyond CSL under CSL's ``custom`` key. The browser makes
the three formats from it (``theme/assets/kb/cite.js``), for one paper or for every paper
of a topic, MeSH term or facet list, so that the site holds each citation once (the
pre-made ``cite.bib|.ris|.json`` and per-list ``papers.bib|.ris`` files of earlier versions
repeated each paper's citation on every list it was on: 145 MB at 10,000 papers).

The renderers here are the reference: ``python -m generator export`` writes any of the
formats for the whole knowledge base or one list, and the tests check that the browser's
text is byte for byte the same. ``render_*`` and ``cite_record`` are pure (frontmatter dicts
in, text out) and deterministic: entries sorted by citation key, keys stable
(``Surname2025-40629355``, ASCII only).

BibTeX is written here rather than through a library: bibtexparser's writer does not
escape LaTeX's special characters, brace collective authors or protect a title's
capitals, and those three are the whole job. The output is UTF-8 (biber, Zotero, JabRef
and BibDesk read it; classic 8-bit BibTeX prints it with ``inputenc``). RIS goes
through rispy's writer; CSL-JSON through ``json``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import rispy

from generator.utils.i18n import labels
from generator.utils.journals import citation_journal
from generator.utils.languages import iso639_1
from generator.utils.markdown import pubmed_url

Meta = Mapping[str, Any]


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")  # (\t \n \v \f \r are whitespace)
_RANGE = re.compile(r"^\s*(\S+?)\s*[-–—]\s*(\S+?)\s*$")


# --- shared helpers (pure) --------------------------------------------------------


def _text(value: Any) -> str:
    """One line of text: whitespace (newlines, no-break spaces) collapsed, control
    characters dropped; ``""`` for None."""
    if value is None:
        return ""
    return " ".join(_CONTROL.sub("", str(value)).split())


def string_list(meta: Meta, key: str) -> list[str]:
    value = meta.get(key) or []
    return [_text(v) for v in value if _text(v)] if isinstance(value, list) else []


def ascii_fold(text: str) -> str:
    """``Müller-Łukasz`` → ``MullerLukasz``: letters and digits only, ASCII."""
    text = text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("Ø", "O")
    text = text.replace("ß", "ss").replace("æ", "ae").replace("Æ", "AE")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded)


def date_parts(pub_date: Any) -> list[int]:
    """``2025-07-08`` → ``[2025, 7, 8]``; partial dates give fewer parts; ``[]`` if none."""
    m = _DATE.match(_text(pub_date))
    return [int(x) for x in m.groups() if x] if m else []


def _year(meta: Meta) -> int | None:
    parts = date_parts(meta.get("pub_date"))
    if parts:
        return parts[0]
    year = meta.get("year")
    return int(year) if isinstance(year, int) or str(year or "").isdigit() else None


def citation_key(meta: Meta) -> str:
    """``Surname2025-40629355``: first author's family name (ASCII), year, PMID.

    A collective first author gives the first word of its name ("The" skipped); no author
    gives ``Anon``, no year ``nd``. The PMID makes every key unique and stable.
    """
    names = meta.get("author_names") or []
    surname = ""
    if names:
        first = names[0]
        if first.get("literal"):
            words = [ascii_fold(w) for w in _text(first["literal"]).split()]
            surname = next((w for w in words if w and w.casefold() != "the"), "")
        else:
            surname = ascii_fold(_text(first.get("family")))
    year = _year(meta)
    return f"{surname or 'Anon'}{year if year else 'nd'}-{meta['pmid']}"


def expand_last_page(first: str, last: str) -> str:
    """MEDLINE abbreviates a range's last page (``123-45``): give it in full (``145``).

    Only an all-digit last page shorter than the first page is expanded, by taking the
    first page's leading characters (``S12-5`` → ``S15``; ``e1234-e1240`` is already full).
    """
    if last.isdigit() and len(last) < len(first) and first[-len(last) :].isdigit():
        return first[: len(first) - len(last)] + last
    return last


def page_ranges(pages: Any) -> list[tuple[str, str | None]]:
    """``"123-45, 150"`` → ``[("123", "145"), ("150", None)]`` (last pages expanded)."""
    out: list[tuple[str, str | None]] = []
    for part in re.split(r"[,;]", _text(pages)):
        part = part.strip()
        if not part:
            continue
        m = _RANGE.match(part)
        if m:
            out.append((m.group(1), expand_last_page(m.group(1), m.group(2))))
        else:
            out.append((part, None))
    return out


def first_last_page(pages: Any) -> tuple[str | None, str | None]:
    """The first and the last page of a MEDLINE page string, ``None`` where unknown."""
    ranges = page_ranges(pages)
    if not ranges:
        return None, None
    first = ranges[0][0]
    last = ranges[-1][1] or (ranges[-1][0] if len(ranges) > 1 else None)
    return first, last


def _joined_pages(pages: Any, dash: str) -> str:
    return ", ".join(a + (dash + b if b else "") for a, b in page_ranges(pages))


def csl_language(code: str) -> str:
    """MEDLINE's ``eng`` as CSL's BCP 47 ``en`` (citeproc-js title-cases English only)."""
    return iso639_1(code)


# --- BibTeX -------------------------------------------------------------------------

_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_BIB_ESCAPES = str.maketrans({**_BIB_SPECIAL, "{": r"\{", "}": r"\}"})
# BibTeX counts \{ as a brace all the same: unbalanced braces need brace-free commands.
_BIB_ESCAPES_UNBALANCED = str.maketrans(
    {**_BIB_SPECIAL, "{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
)
_AND = re.compile(r"(?i)(^|\s)and(\s|$)")
_EDGE_PUNCT = re.compile(r"^([(\[\"'“‘]*)(.*?)([)\]\"'”’.,;:!?]*)$", re.S)


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        if c in "{}":
            depth += 1 if c == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def bib_escape(text: Any, balanced: bool | None = None) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped, braces kept balanced.

    ``balanced``: whether the braces of the whole field are balanced, when ``text`` is
    only a part of it (default: judge ``text`` itself).
    """
    text = _text(text)
    if balanced is None:
        balanced = _balanced(text)
    return text.translate(_BIB_ESCAPES if balanced else _BIB_ESCAPES_UNBALANCED)


def _bib_verbatim(text: Any) -> str:
    """DOIs and URLs are verbatim fields in biblatex (``\\_`` would stay a backslash):
    only braces, which would unbalance the entry, are percent-encoded."""
    return _text(text).replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def bib_title(title: Any) -> str:
    """A title whose capitals survive BibTeX styles that lower-case titles.

    PubMed titles are in sentence case, so a capital anywhere after the first word (or
    after the first letter of the first word) is an acronym, gene or proper name:
    such words are braced (``{BRCA1}``, ``{mRNA}``, ``{Parkinson}``).
    """
    out = []
    first = True
    title = _text(title)
    balanced = _balanced(title)
    for token in re.split(r"(\s+)", title):
        if not token or token.isspace():
            out.append(token)
            continue
        lead, core, trail = _EDGE_PUNCT.match(token).groups()  # type: ignore[union-attr]
        rest = core[1:] if first else core
        # (a word with a literal brace is left alone: its escape would hold a brace)
        if any(c.isupper() for c in rest) and "{" not in core and "}" not in core:
            esc = [bib_escape(x, balanced) for x in (lead, core, trail)]
            out.append(f"{esc[0]}{{{esc[1]}}}{esc[2]}")
        else:
            out.append(bib_escape(token, balanced))
        first = False
    return "".join(out)


def _splits(text: str) -> bool:
    """Whether BibTeX would split this name part (at a comma or the word "and")."""
    return "," in text or _AND.search(text) is not None


def _bib_part(text: str, brace: bool) -> str:
    escaped = bib_escape(text)
    return "{" + escaped + "}" if brace else escaped


def bib_name(name: Mapping[str, Any]) -> str:
    """One BibTeX name: ``Family, Given`` (``Family, Suffix, Given``); a collective
    author braced whole so BibTeX takes it as one name, never split at "and" or commas."""
    if name.get("literal"):
        return "{" + bib_escape(name["literal"]) + "}"
    family = _text(name.get("family"))
    given = _text(name.get("given"))
    suffix = _text(name.get("suffix"))
    # "and" or a comma inside a part would split it; a multi-word family name without a
    # given name would otherwise be read as "First Last".
    fam = _bib_part(family, _splits(family) or (" " in family and not given))
    if suffix:  # BibTeX's "von Last, Jr, First"
        return f"{fam}, {_bib_part(suffix, _splits(suffix))}, {_bib_part(given, _splits(given))}"
    return f"{fam}, {_bib_part(given, _splits(given))}" if given else fam


def render_bibtex_entry(meta: Meta, language: str = "en") -> str:
    """One ``@article`` (``@book`` for a book record) entry."""
    fields: list[tuple[str, str]] = []

    def add(name: str, value: str, raw: bool = False) -> None:
        if value:
            fields.append((name, value if raw else "{" + value + "}"))

    names = [n for n in meta.get("author_names") or [] if isinstance(n, Mapping)]
    add("author", " and ".join(bib_name(n) for n in names))
    add("title", bib_title(meta.get("title")))
    is_book = bool(meta.get("is_book"))
    add("publisher" if is_book else "journal", bib_escape(_journal(meta)))
    parts = date_parts(meta.get("pub_date"))
    year = _year(meta)
    add("year", str(year) if year else "")
    if len(parts) >= 2 and 1 <= parts[1] <= 12:
        add("month", _MONTHS[parts[1] - 1], raw=True)  # BibTeX's month macros
    add("volume", bib_escape(meta.get("volume")))
    add("number", bib_escape(meta.get("issue")))
    add("pages", bib_escape(_joined_pages(meta.get("pages"), "--")))
    add("doi", _bib_verbatim(meta.get("doi")))
    add("pmid", bib_escape(meta.get("pmid")))
    add("pmcid", bib_escape(meta.get("pmcid")))
    add("url", _bib_verbatim(meta.get("url") or pubmed_url(str(meta["pmid"]))))
    add("keywords", bib_escape(", ".join(string_list(meta, "keywords"))))
    add("language", bib_escape(", ".join(string_list(meta, "language"))))
    if meta.get("retracted"):
        add("note", bib_escape(labels(language)["retracted_title"]))
    kind = "book" if is_book else "article"
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{kind}{{{citation_key(meta)},\n{body}\n}}\n"


def render_bibtex(papers: Iterable[Meta], language: str = "en") -> str:
    """A ``.bib`` file: one entry per paper, sorted by citation key."""
    entries = sorted(papers, key=citation_key)
    return "\n".join(render_bibtex_entry(m, language) for m in entries)


# --- RIS ----------------------------------------------------------------------------


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its ``1.``, ``2.`` … line before each record, which some
    importers take for a stray line."""

    def set_header(self, count: int) -> str:
        return ""


def ris_record(meta: Meta, language: str = "en") -> dict[str, Any]:
    """One RIS record as rispy's field names (tags in the comments)."""
    rec: dict[str, Any] = {"type_of_reference": "BOOK" if meta.get("is_book") else "JOUR"}

    def put(key: str, value: Any) -> None:
        if value:
            rec[key] = value

    put("id", citation_key(meta))  # ID
    put("title", _text(meta.get("title")))  # TI
    authors = []
    for n in meta.get("author_names") or []:
        if n.get("literal"):
            authors.append(_text(n["literal"]))
        else:
            parts = [_text(n.get("family")), _text(n.get("given"))]
            if n.get("suffix"):
                parts.append(_text(n["suffix"]))
            authors.append(", ".join(p for p in parts if p))
    put("authors", [a for a in authors if a])  # AU, "Family, Given[, Suffix]"
    put("secondary_title", _journal(meta))  # T2: the journal
    put("alternate_title1", _text(meta.get("journal_iso")))  # J2: its abbreviation
    put("volume", _text(meta.get("volume")))  # VL
    put("number", _text(meta.get("issue")))  # IS
    first, last = first_last_page(meta.get("pages"))
    put("start_page", first)  # SP
    put("end_page", last)  # EP
    year = _year(meta)
    put("year", str(year) if year else "")  # PY
    parts = date_parts(meta.get("pub_date"))
    if parts:
        put("date", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)))  # DA
    put("doi", _text(meta.get("doi")))  # DO
    put("urls", [_text(meta.get("url") or pubmed_url(str(meta["pmid"])))])  # UR
    put("accession_number", str(meta["pmid"]))  # AN: the PMID, as PubMed's own RIS has it
    put("custom2", _text(meta.get("pmcid")))  # C2: PMCID, as EndNote's PubMed import has it
    put("name_of_database", "PubMed")  # DB
    put("keywords", string_list(meta, "keywords"))  # KW
    put("language", ", ".join(string_list(meta, "language")))  # LA
    if meta.get("retracted"):
        put("notes", [labels(language)["retracted_title"]])  # N1
    return rec


def render_ris(papers: Iterable[Meta], language: str = "en") -> str:
    """A ``.ris`` file: one record per paper, sorted by citation key."""
    entries = sorted(papers, key=citation_key)
    if not entries:
        return ""
    return rispy.dumps([ris_record(m, language) for m in entries], implementation=_RisWriter)


# --- CSL-JSON ----------------------------------------------------------------------


def csl_item(meta: Meta) -> dict[str, Any]:
    """One CSL-JSON item (the citation format of Zotero, Pandoc and citeproc)."""
    item: dict[str, Any] = {
        "id": citation_key(meta),
        "type": "book" if meta.get("is_book") else "article-journal",
    }

    def put(key: str, value: Any) -> None:
        if value:
            item[key] = value

    put("title", _text(meta.get("title")))
    authors = []
    for n in meta.get("author_names") or []:
        if n.get("literal"):
            authors.append({"literal": _text(n["literal"])})
        else:
            name = {k: _text(n.get(k)) for k in ("family", "given", "suffix")}
            authors.append({k: v for k, v in name.items() if v})
    put("author", [a for a in authors if a])
    put("publisher" if meta.get("is_book") else "container-title", _journal(meta))
    if not meta.get("is_book"):
        put("container-title-short", _text(meta.get("journal_iso")))
    put("volume", _text(meta.get("volume")))
    put("issue", _text(meta.get("issue")))
    put("page", _joined_pages(meta.get("pages"), "-"))
    parts = date_parts(meta.get("pub_date"))
    if not parts and _year(meta):
        parts = [_year(meta)]  # type: ignore[list-item]
    if parts:
        item["issued"] = {"date-parts": [parts]}
    put("DOI", _text(meta.get("doi")))
    put("PMID", str(meta["pmid"]))
    put("PMCID", _text(meta.get("pmcid")))
    put("URL", _text(meta.get("url") or pubmed_url(str(meta["pmid"]))))
    put("keyword", ", ".join(string_list(meta, "keywords")))
    langs = string_list(meta, "language")
    put("language", csl_language(langs[0]) if langs else "")
    if meta.get("retracted"):
        item["status"] = "retracted"
    return item


def render_csl_json(papers: Iterable[Meta]) -> str:
    """A CSL-JSON array, sorted by citation key."""
    items = [csl_item(m) for m in sorted(papers, key=citation_key)]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


# --- the files of a site ------------------------------------------------------------


def cite_record(meta: Meta) -> dict[str, Any]:
    """A paper's ``cite.json``: its CSL-JSON item, plus under ``custom`` the MEDLINE fields
    BibTeX and RIS are made from (page string, publication date, keyword list, language
    codes; a book's journal abbreviation), each only when present."""
    record = csl_item(meta)
    custom: dict[str, Any] = {}
    for key, value in (
        ("pages", _text(meta.get("pages"))),
        ("pub_date", _text(meta.get("pub_date"))),
        ("keywords", string_list(meta, "keywords")),
        ("languages", string_list(meta, "language")),
        ("journal_iso", _text(meta.get("journal_iso")) if meta.get("is_book") else ""),
    ):
        if value:
            custom[key] = value
    if custom:
        record["custom"] = custom
    return record


def cite_head(meta: Meta) -> tuple[str, bool]:
    """The start of a paper's ``cite.json`` text: its :func:`cite_record` as compact JSON
    without the closing braces that :func:`cite_tail` writes, and whether the record has
    a ``custom`` object (the last key, still open in the head)."""
    record = cite_record(meta)
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    custom = "custom" in record
    return text[:-2] if custom else text[:-1], custom


def cite_tail(
    custom: bool, signals: Mapping[str, Any] | None = None, similar: Sequence[str] = ()
) -> str:
    """The end of ``cite.json`` after :func:`cite_head`: ``signals`` under
    ``custom.signals``, then the PMIDs of the papers most like it here under
    ``custom.similar`` (as numbers, see
    :func:`generator.site.exports.signals_record`), and the closing braces.
    Kept apart so that a record whose paper did not change is not made again when only
    these move (a weekly run moves thousands of similar lists, :mod:`generator.kb.similar`)."""
    extras = []
    if signals:
        extras.append(
            '"signals":' + json.dumps(dict(signals), ensure_ascii=False, separators=(",", ":"))
        )
    if similar:
        extras.append('"similar":[' + ",".join(str(int(p)) for p in similar) + "]")
    joined = ",".join(extras)
    if custom:
        return ("," + joined if joined else "") + "}}\n"
    return (',"custom":{' + joined + "}" if joined else "") + "}\n"


def render_cite_record(
    meta: Meta, signals: Mapping[str, Any] | None = None, similar: Sequence[str] = ()
) -> str:
    """``cite.json`` as text: compact (it is data the browser reads, not a download);
    ``signals`` under ``custom.signals`` and the PMIDs of the papers most like it here
    under ``custom.similar`` (neither in a CSL-JSON download)."""
    head, custom = cite_head(meta)
    return head + cite_tail(custom, signals, similar)


def _journal(meta: Mapping[str, Any]) -> str:
    """A journal's citation name (NLM's qualifiers dropped, title case); a book's publisher
    as recorded."""
    raw = _text(meta.get("journal"))
    return raw if meta.get("is_book") else citation_journal(raw)
