"""Parse PubMed XML into :class:`Paper` and :class:`DeletedCitation` records.

Reads, as a stream (bounded memory for a 150 MB baseline file):

- efetch output: ``PubmedArticleSet`` of ``PubmedArticle`` / ``PubmedBookArticle``;
- annual baseline and daily update files (``.xml.gz``), including ``DeleteCitation``;
- the legacy ``MedlineCitationSet`` (bare ``MedlineCitation``, baseline 2016 and older);
- ``BookDocumentSet`` (bare ``BookDocument``, with ``DeleteDocument``).

The XML is untrusted: no DTD is loaded, nothing is fetched, no entity is ever expanded (a
DOCTYPE that declares entities, or a record holding an entity reference, is refused with
ParseError), and libxml2's size and depth limits stay on (no huge_tree).

Every text value is flattened from its inline markup (``<i>``, ``<sup>``, MathML …) with all
text and tails kept, then whitespace-normalised (NBSP and thin spaces become plain spaces,
runs collapse, ends are stripped); empty values become ``None``.
"""

from __future__ import annotations

import calendar
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from generator.pubmed.models import (
    AbstractSection,
    Author,
    CommentCorrection,
    DeletedCitation,
    Grant,
    Journal,
    MeshHeading,
    OtherAbstract,
    Paper,
)
from generator.utils.errors import ParseError

Record = Paper | DeletedCitation
Source = str | Path | bytes | BinaryIO

# Elements whose end event we act on; roots we accept (anything else is not PubMed XML).
_RECORD_TAGS = (
    "PubmedArticle",
    "PubmedBookArticle",
    "MedlineCitation",
    "BookDocument",
    "DeleteCitation",
    "DeleteDocument",
)
_ROOT_TAGS = frozenset(
    {"PubmedArticleSet", "MedlineCitationSet", "PubmedBookArticleSet", "BookDocumentSet"}
) | frozenset(_RECORD_TAGS)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# PubMed gives some issues a Season instead of a month. An ISO date needs a month, so each season
# maps to the first month of the (northern-hemisphere, meteorological) season:
# Spring 03, Summer 06, Fall/Autumn 09, Winter 12. A range ('Winter-Spring') takes its first part.
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}

# MedlineDate is free text: '2008 Jul-Aug', '1998 Dec-1999 Jan', '2000 Spring', '1999-2000',
# '2011 Oct 3-9'. We keep the first year, then the month (or season) and day right after it.
_MEDLINE_DATE = re.compile(r"(\d{4})(?:\s+([A-Za-z]+)\.?(?:\s+(\d{1,2})(?!\d))?)?")
_ORCID = re.compile(r"(\d{4})[\s-]?(\d{4})[\s-]?(\d{4})[\s-]?(\d{3}[\dXx])")
_PMCID = re.compile(r"^(?:PMC)?(\d+)\b", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"
_LINE_SUFFIX = re.compile(r",? line \d+, column \d+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


# ---------------------------------------------------------------------------- public API


def iter_records(source: Source, name: str | None = None) -> Iterator[Record]:
    """Yield each record of a PubMed XML document, streaming.

    ``source`` is a path (``.gz`` is gunzipped), the document's bytes (gzip or not) or a
    binary file object. ``name`` labels error messages (default: the path, ``<bytes>`` or the
    file object's name). Malformed or truncated XML raises :class:`ParseError` naming the file
    and line; records before the fault have then already been yielded.
    """
    label = name or _source_name(source)
    with _open_source(source, label) as stream:
        yield from _iter_stream(stream, label)


def parse_file(path: str | Path) -> list[Record]:
    """All records of a PubMed XML file (``.xml`` or ``.xml.gz``); raises before returning."""
    return list(iter_records(Path(path)))


def parse_bytes(data: bytes, name: str = "<bytes>") -> list[Record]:
    """All records of a PubMed XML document given as bytes (gzip or plain)."""
    return list(iter_records(data, name))


# ---------------------------------------------------------------------------- input, streaming


def _source_name(source: Source) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    if isinstance(source, (bytes, bytearray)):
        return "<bytes>"
    return str(getattr(source, "name", "<stream>"))


def _open_source(source: Source, label: str) -> BinaryIO:
    """A binary stream of the XML, gunzipping a ``.gz`` path or gzip bytes on the fly."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")
        except OSError as exc:
            raise ParseError(f"{label}: cannot open: {exc.strerror or exc}") from exc
    if isinstance(source, (bytes, bytearray)):
        raw = io.BytesIO(source)
        return gzip.GzipFile(fileobj=raw) if source[:2] == _GZIP_MAGIC else raw
    if label.endswith(".gz") or _peek(source, 2) == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=source)  # does not close the caller's file
    return _Unclosing(source)


def _peek(stream: BinaryIO, size: int) -> bytes:
    """The next bytes of a buffered or seekable stream, left unread; b'' when neither."""
    if hasattr(stream, "peek"):
        return stream.peek(size)[:size]
    if stream.seekable():
        position = stream.tell()
        head = stream.read(size)
        stream.seek(position)
        return head
    return b""


class _Unclosing(io.BufferedIOBase):
    """Wrap a caller's file object so that our ``with`` block does not close it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw

    def read(self, size: int | None = -1) -> bytes:
        return self._raw.read(size)

    def readable(self) -> bool:
        return True


def _iter_stream(stream: BinaryIO, label: str) -> Iterator[Record]:
    events = etree.iterparse(
        stream,
        events=("end",),
        tag=_RECORD_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    last_line = 0
    try:
        for _, el in events:
            if not last_line:  # the DOCTYPE has been read by the first record's end
                _check_doctype(el, label)
            last_line = el.sourceline or 1
            if _is_nested(el):
                continue  # handled with its PubmedArticle / PubmedBookArticle wrapper
            yield from _parse_record(el, label)
            _release(el)
    except etree.XMLSyntaxError as exc:
        raise ParseError(
            f"{label}: line {exc.lineno or last_line}: {_syntax_message(exc)}"
        ) from exc
    except (OSError, EOFError, zlib.error) as exc:
        where = f"after line {last_line}" if last_line else "before the first record"
        raise ParseError(f"{label}: {where}: cannot read: {exc}") from exc
    root = events.root
    if root is not None and root.tag not in _ROOT_TAGS:
        raise ParseError(f"{label}: line {root.sourceline}: not PubMed XML (root <{root.tag}>)")


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    """libxml2's message without the ', line N, column M' lxml appends (we lead with the line)."""
    return _LINE_SUFFIX.sub("", exc.msg or str(exc)) or "not well-formed XML"


def _check_doctype(el: etree._Element, label: str) -> None:
    """Refuse a DOCTYPE that declares entities: PubMed never does, billion-laughs attacks do."""
    tree = el.getroottree()
    dtd = tree.docinfo.internalDTD
    entity = next(dtd.iterentities(), None) if dtd is not None else None
    if entity is not None:
        # The line named is the root element's, right after the DOCTYPE.
        raise ParseError(
            f"{label}: line {tree.getroot().sourceline}: DOCTYPE declares entity "
            f"{entity.name!r}: refused (entities are never expanded)"
        )


def _is_nested(el: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and (
        (el.tag == "MedlineCitation" and parent.tag == "PubmedArticle")
        or (el.tag == "BookDocument" and parent.tag == "PubmedBookArticle")
    )


def _release(el: etree._Element) -> None:
    """Free a parsed record and everything before it, keeping memory bounded."""
    el.clear(keep_tail=True)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _parse_record(el: etree._Element, label: str) -> Iterator[Record]:
    entity = next(el.iter(etree.Entity), None)
    if entity is not None:
        raise ParseError(
            f"{label}: line {entity.getparent().sourceline}: entity reference {entity.text} "
            "refused (entities are never expanded)"
        )
    tag = el.tag
    if tag in ("DeleteCitation", "DeleteDocument"):
        yield from _parse_deleted(el)
        return
    try:
        if tag == "PubmedArticle":
            yield _parse_citation(_child(el, "MedlineCitation"), _child(el, "PubmedData"))
        elif tag == "MedlineCitation":
            yield _parse_citation(el, None)
        elif tag == "PubmedBookArticle":
            yield _parse_book(_child(el, "BookDocument"), _child(el, "PubmedBookData"))
        else:  # BookDocument
            yield _parse_book(el, None)
    except _RecordError as exc:
        raise ParseError(f"{label}: line {el.sourceline}: <{tag}>: {exc}") from None


class _RecordError(Exception):
    """A record lacks an element PubMed always gives (turned into ParseError with the line)."""


def _parse_deleted(el: etree._Element) -> Iterator[DeletedCitation]:
    for pmid in _each(el, "PMID"):
        value = _text(pmid)
        if value:
            yield DeletedCitation(pmid=value)


# ---------------------------------------------------------------------------- records


def _parse_citation(mc: etree._Element | None, data: etree._Element | None) -> Paper:
    """A journal article: MedlineCitation plus (efetch, current baselines) its PubmedData."""
    if mc is None:
        raise _RecordError("no MedlineCitation")
    pmid, version = _pmid(mc)
    article = _child(mc, "Article")
    if article is None:
        raise _RecordError(f"PMID {pmid}: no Article")
    ids = _child(data, "ArticleIdList")
    abstract = _child(article, "Abstract")
    vernacular = _find_text(article, "VernacularTitle")
    return Paper(
        pmid=pmid,
        pmid_version=version,
        # A record without an English title still has a title worth showing.
        title=_find_text(article, "ArticleTitle") or vernacular or "",
        vernacular_title=vernacular,
        abstract=_parse_sections(abstract),
        other_abstracts=tuple(_iter_other_abstracts(mc)),
        copyright=_find_text(abstract, "CopyrightInformation"),
        authors=_parse_authors(article, _child(article, "Affiliation")),
        journal=_parse_journal(article),
        pub_date=_parse_pub_date(next(_each(article, "Journal", "JournalIssue", "PubDate"), None)),
        electronic_date=_electronic_date(article),
        entrez_date=_entrez_date(data),
        doi=_article_id(ids, "doi") or _elocation_doi(article),
        pmcid=_article_id(ids, "pmc") or _legacy_pmcid(mc),
        keywords=_parse_keywords(mc),
        mesh=tuple(_iter_mesh(mc)),
        supplementary_concepts=_texts(_each(mc, "SupplMeshList", "SupplMeshName")),
        publication_types=_texts(_each(article, "PublicationTypeList", "PublicationType")),
        languages=_texts(_each(article, "Language")),
        grants=tuple(_iter_grants(article)),
        comments_corrections=tuple(_iter_comments_corrections(mc)),
        citation_status=_clean(mc.get("Status")),
        publication_status=_find_text(data, "PublicationStatus"),
    )


def _parse_book(doc: etree._Element | None, data: etree._Element | None) -> Paper:
    """A book or book chapter (BookDocument plus its PubmedBookData)."""
    if doc is None:
        raise _RecordError("no BookDocument")
    pmid, version = _pmid(doc)
    book = _child(doc, "Book")
    if book is None:
        raise _RecordError(f"PMID {pmid}: no Book")
    book_title = _find_text(book, "BookTitle")
    chapter_title = _find_text(doc, "ArticleTitle")
    own_ids = _child(doc, "ArticleIdList")
    data_ids = _child(data, "ArticleIdList")
    abstract = _child(doc, "Abstract")
    return Paper(
        pmid=pmid,
        pmid_version=version,
        title=chapter_title or book_title or "",
        vernacular_title=_find_text(doc, "VernacularTitle"),
        abstract=_parse_sections(abstract),
        copyright=_find_text(abstract, "CopyrightInformation"),
        authors=_book_authors(doc, book),
        # A chapter sits in its book as an article in its journal; a whole book has no
        # container, so its publisher ('Seattle (WA): University of Washington') stands in.
        journal=Journal(
            title=book_title if chapter_title else _publisher(book),
            volume=_find_text(book, "Volume"),
            pages=_pages(_child(doc, "Pagination")),
        ),
        pub_date=_parse_pub_date(_child(book, "PubDate")),
        entrez_date=_entrez_date(data),
        doi=_article_id(own_ids, "doi") or _article_id(data_ids, "doi") or _elocation_doi(book),
        pmcid=_article_id(own_ids, "pmc") or _article_id(data_ids, "pmc"),
        keywords=_parse_keywords(doc),
        publication_types=_texts(_each(doc, "PublicationType")),
        languages=_texts(_each(doc, "Language")),
        grants=tuple(_iter_grants(doc)),
        publication_status=_find_text(data, "PublicationStatus"),
        is_book=True,
    )


def _pmid(record: etree._Element) -> tuple[str, str | None]:
    el = _child(record, "PMID")
    pmid = _text(el)
    if not pmid:
        raise _RecordError("no PMID")
    return pmid, _clean(el.get("Version"))


# ---------------------------------------------------------------------------- text


def _clean(value: str | None) -> str | None:
    """Collapse whitespace (str.split also splits on NBSP, thin and other Unicode spaces)."""
    if not value:
        return None
    return " ".join(value.split()) or None


def _text(el: etree._Element | None) -> str | None:
    """All text inside ``el`` (inline markup and MathML flattened, tails kept), cleaned."""
    if el is None:
        return None
    if len(el) == 0:  # most elements hold plain text: skip the itertext walk
        return _clean(el.text)
    return _clean("".join(el.itertext()))


def _find_text(parent: etree._Element | None, tag: str) -> str | None:
    """The text of ``parent``'s first ``tag`` child."""
    return _text(_child(parent, tag))


def _child(parent: etree._Element | None, tag: str) -> etree._Element | None:
    """The first ``tag`` child (a plain loop beats find() and iterchildren() here)."""
    if parent is not None:
        for child in parent:
            if child.tag == tag:
                return child
    return None


def _each(parent: etree._Element | None, *tags: str) -> Iterator[etree._Element]:
    """The elements at child path ``tags``, e.g. ('MeshHeadingList', 'MeshHeading').

    Like ``iterfind('A/B')`` but without ElementPath's cost, which dominated parsing time.
    """
    if parent is None:
        return
    first, *rest = tags
    for child in parent.iterchildren(first):
        if rest:
            yield from _each(child, *rest)
        else:
            yield child


def _texts(elements: Iterable[etree._Element]) -> tuple[str, ...]:
    return tuple(t for t in map(_text, elements) if t)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# ---------------------------------------------------------------------------- abstracts


def _parse_sections(abstract: etree._Element | None) -> tuple[AbstractSection, ...]:
    if abstract is None:
        return ()
    sections = []
    for el in _each(abstract, "AbstractText"):
        text, label = _text(el), _clean(el.get("Label"))
        if text or label:
            sections.append(
                AbstractSection(
                    text=text or "", label=label, category=_clean(el.get("NlmCategory"))
                )
            )
    return tuple(sections)


def _iter_other_abstracts(mc: etree._Element) -> Iterator[OtherAbstract]:
    for el in _each(mc, "OtherAbstract"):
        sections = _parse_sections(el)
        copyright_ = _find_text(el, "CopyrightInformation")
        if sections or copyright_:
            yield OtherAbstract(
                sections=sections,
                # The DTD's default, which we see only because we never load the DTD.
                language=_clean(el.get("Language")) or "eng",
                type=_clean(el.get("Type")),
                copyright=copyright_,
            )


# ---------------------------------------------------------------------------- authors


def _parse_authors(
    parent: etree._Element, legacy_affiliation: etree._Element | None = None
) -> tuple[Author, ...]:
    authors = [
        a
        for list_el in _each(parent, "AuthorList")
        if list_el.get("Type") != "editors"
        for a in map(_parse_author, _each(list_el, "Author"))
        if a is not None
    ]
    # Before 2014 MEDLINE kept one Article/Affiliation: the first author's (NLM policy).
    affiliation = _text(legacy_affiliation)
    if affiliation and authors and not authors[0].affiliations:
        authors[0] = replace(authors[0], affiliations=(affiliation,))
    return tuple(authors)


def _book_authors(doc: etree._Element, book: etree._Element) -> tuple[Author, ...]:
    """Chapter authors, else the book's own authors; editors are not authors."""
    return _parse_authors(doc) or _parse_authors(book)


def _parse_author(el: etree._Element) -> Author | None:
    """One Author or None; a single pass over its children (authors dominate parsing time)."""
    # ValidYN="N" marks a name PubMed itself has replaced by a corrected one and hides.
    if el.get("ValidYN") == "N":
        return None
    names: dict[str, str | None] = {}
    affiliations: list[str] = []
    orcid = None
    for child in el:
        tag = child.tag
        if tag == "AffiliationInfo":
            affiliations.extend(_texts(_each(child, "Affiliation")))
        elif tag == "Affiliation":  # pre-2014 DTDs put it straight under Author
            affiliations.extend(_texts([child]))
        elif tag == "Identifier":
            orcid = orcid or (_orcid(child) if child.get("Source") == "ORCID" else None)
        else:
            names.setdefault(tag, _text(child))
    author = Author(
        last_name=names.get("LastName"),
        fore_name=names.get("ForeName"),
        initials=names.get("Initials"),
        suffix=names.get("Suffix"),
        collective_name=names.get("CollectiveName"),
        orcid=orcid,
        affiliations=_unique(affiliations),
    )
    return author if author != Author() else None


def _orcid(identifier: etree._Element) -> str | None:
    """An ORCID as bare '0000-0002-1825-0097' (PubMed also gives URLs, or no dashes)."""
    match = _ORCID.search(_text(identifier) or "")
    return "-".join(match.groups()).upper() if match else None


# ---------------------------------------------------------------------------- journal, dates


def _parse_journal(article: etree._Element) -> Journal:
    journal = _child(article, "Journal")
    issue = _child(journal, "JournalIssue")
    return Journal(
        title=_find_text(journal, "Title"),
        iso_abbreviation=_find_text(journal, "ISOAbbreviation"),
        issn=_find_text(journal, "ISSN"),
        volume=_find_text(issue, "Volume"),
        issue=_find_text(issue, "Issue"),
        pages=_pages(_child(article, "Pagination")),
    )


def _pages(pagination: etree._Element | None) -> str | None:
    """MedlinePgn ('61-76', 'e123'), else StartPage-EndPage."""
    if pagination is None:
        return None
    medline = _find_text(pagination, "MedlinePgn")
    if medline:
        return medline
    start, end = _find_text(pagination, "StartPage"), _find_text(pagination, "EndPage")
    return f"{start}-{end}" if start and end else start or end


def _publisher(book: etree._Element) -> str | None:
    publisher = _child(book, "Publisher")
    name = _find_text(publisher, "PublisherName")
    place = _find_text(publisher, "PublisherLocation")
    return f"{place}: {name}" if place and name else name or place


def _parse_pub_date(el: etree._Element | None) -> str | None:
    """PubDate / BookPubDate (Year, Month or Season, Day; or MedlineDate) as ISO."""
    if el is None:
        return None
    medline = _find_text(el, "MedlineDate")
    if medline:
        return _parse_medline_date(medline)
    month = _find_text(el, "Month") or _find_text(el, "Season")
    return _iso_date(_find_text(el, "Year"), month, _find_text(el, "Day"))


def _parse_medline_date(text: str) -> str | None:
    """'2008 Jul-Aug' → 2008-07, '1999-2000' → 1999, '2011 Oct 3-9' → 2011-10-03."""
    match = _MEDLINE_DATE.search(text)
    if not match:
        return None
    year, month, day = match.groups()
    return _iso_date(year, month, day)


def _iso_date(year: str | None, month: str | None, day: str | None) -> str | None:
    """'YYYY-MM-DD', 'YYYY-MM' or 'YYYY' from what is there and valid; None without a year."""
    if not year or not (year.isdigit() and len(year) == 4):
        return None
    month_number = _month_number(month)
    if month_number is None:
        return year
    iso = f"{year}-{month_number:02d}"
    if day and day.isdigit():
        day_number = int(day)
        if 1 <= day_number <= calendar.monthrange(int(year), month_number)[1]:
            return f"{iso}-{day_number:02d}"
    return iso


def _month_number(month: str | None) -> int | None:
    """'7', '07', 'Jul', 'July', 'Spring'; of a range such as 'Apr-Jun' the first part."""
    if not month:
        return None
    token = re.split(r"[-/\s]", month.strip(), maxsplit=1)[0].lower()
    if token.isdigit():
        number = int(token)
        return number if 1 <= number <= 12 else None
    return _SEASONS.get(token) or _MONTHS.get(token[:3])


def _numeric_date(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return _iso_date(_find_text(el, "Year"), _find_text(el, "Month"), _find_text(el, "Day"))


def _electronic_date(article: etree._Element) -> str | None:
    # DateType is #FIXED "Electronic" in the DTD, so an absent attribute means Electronic.
    for el in _each(article, "ArticleDate"):
        if el.get("DateType", "Electronic") == "Electronic":
            return _numeric_date(el)
    return None


def _entrez_date(data: etree._Element | None) -> str | None:
    dates = {el.get("PubStatus"): el for el in _each(data, "History", "PubMedPubDate")}
    return _numeric_date(dates.get("entrez")) or _numeric_date(dates.get("pubmed"))


# ---------------------------------------------------------------------------- identifiers


def _article_id(id_list: etree._Element | None, id_type: str) -> str | None:
    """The record's own id of one type, from a direct ArticleIdList (never a ReferenceList)."""
    for el in _each(id_list, "ArticleId"):
        if el.get("IdType") == id_type:
            value = _normalise_id(_text(el), id_type)
            if value:
                return value
    return None


def _elocation_doi(parent: etree._Element) -> str | None:
    for el in _each(parent, "ELocationID"):
        if el.get("EIdType") == "doi" and el.get("ValidYN") != "N":
            value = _normalise_id(_text(el), "doi")
            if value:
                return value
    return None


def _legacy_pmcid(mc: etree._Element) -> str | None:
    """Legacy MEDLINE (no PubmedData) puts the PMC id in OtherID: 'PMC4688250 [Available …]'."""
    for el in _each(mc, "OtherID"):
        text = _text(el) or ""
        if el.get("Source") == "NLM" and text.upper().startswith("PMC"):
            return _normalise_id(text, "pmc")
    return None


def _normalise_id(value: str | None, id_type: str) -> str | None:
    if not value:
        return None
    if id_type == "pmc":
        match = _PMCID.match(value)
        return f"PMC{match.group(1)}" if match else None
    if id_type == "doi":
        return _DOI_PREFIX.sub("", value) or None
    return value


# ---------------------------------------------------------------------------- subject, funding


def _parse_keywords(parent: etree._Element) -> tuple[str, ...]:
    """Keywords of every KeywordList (author's NOTNLM, NLM, KIE …), in order, once each."""
    return _unique(_texts(_each(parent, "KeywordList", "Keyword")))


def _iter_mesh(mc: etree._Element) -> Iterator[MeshHeading]:
    """MeSH headings in PubMed's order (which is not alphabetical)."""
    for heading in _each(mc, "MeshHeadingList", "MeshHeading"):
        descriptor = _child(heading, "DescriptorName")
        name = _text(descriptor)
        if not name:
            continue
        qualifiers = tuple(
            (q_name, q.get("MajorTopicYN") == "Y")
            for q in _each(heading, "QualifierName")
            if (q_name := _text(q))
        )
        descriptor_major = descriptor.get("MajorTopicYN") == "Y"
        yield MeshHeading(
            descriptor=name,
            ui=_clean(descriptor.get("UI")),
            major=descriptor_major or any(major for _, major in qualifiers),
            qualifiers=qualifiers,
        )


def _iter_grants(parent: etree._Element) -> Iterator[Grant]:
    for el in _each(parent, "GrantList", "Grant"):
        grant = Grant(
            grant_id=_find_text(el, "GrantID"),
            agency=_find_text(el, "Agency"),
            country=_find_text(el, "Country"),
            acronym=_find_text(el, "Acronym"),
        )
        if grant != Grant():
            yield grant


def _iter_comments_corrections(mc: etree._Element) -> Iterator[CommentCorrection]:
    """Every CommentsCorrections link (RetractionIn, ErratumIn, CommentOn, Cites …)."""
    for el in _each(mc, "CommentsCorrectionsList", "CommentsCorrections"):
        ref_type = _clean(el.get("RefType"))
        if ref_type:
            yield CommentCorrection(
                ref_type=ref_type,
                ref_source=_find_text(el, "RefSource"),
                pmid=_find_text(el, "PMID"),
            )
