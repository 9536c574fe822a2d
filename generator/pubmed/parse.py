"""Parse PubMed XML into :class:`Paper` and :class:`DeletedCitation` records.

Reads, as a stream (bounded memory for a 150 MB baseline file):

- efetch output: ``PubmedArticleSet`` of ``PubmedArticle`` / ``PubmedBookArticle``;
- annual baseline and daily update files (``.xml.gz``), including ``DeleteCitation``;
- the legacy ``MedlineCitationSet`` (bare ``MedlineCitation``, baseline 2016 and older);
- ``BookDocumentSet`` (bare ``BookDocument``, with ``DeleteDocument``).

The XML is untrusted: no DTD is loaded, nothing is fetched, no entity is ever expanded (a
DOCTYPE that declares entities, or a record holding an entity reference, is refused with
ParseError), and libxml2's size and depth limits stay on (no huge_tree).

Each field of a record is read by :mod:`generator.pubmed.fields`: every text value
flattened from its inline markup with all text kept, never silently dropped.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from generator.pubmed.fields import (
    book_authors,
    book_publisher,
    clean_text,
    each_child,
    electronic_date,
    element_text,
    element_texts,
    elocation_doi,
    entrez_date,
    find_article_id,
    find_child,
    find_text,
    iter_comments_corrections,
    iter_grants,
    iter_mesh,
    iter_other_abstracts,
    legacy_pmcid,
    pages_of,
    parse_authors,
    parse_journal,
    parse_keywords,
    parse_pub_date,
    parse_sections,
)
from generator.pubmed.models import (
    DeletedCitation,
    Journal,
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


_GZIP_MAGIC = b"\x1f\x8b"
_LINE_SUFFIX = re.compile(r",? line \d+, column \d+$")


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
            yield _parse_citation(find_child(el, "MedlineCitation"), find_child(el, "PubmedData"))
        elif tag == "MedlineCitation":
            yield _parse_citation(el, None)
        elif tag == "PubmedBookArticle":
            yield _parse_book(find_child(el, "BookDocument"), find_child(el, "PubmedBookData"))
        else:  # BookDocument
            yield _parse_book(el, None)
    except _RecordError as exc:
        raise ParseError(f"{label}: line {el.sourceline}: <{tag}>: {exc}") from None


class _RecordError(Exception):
    """A record lacks an element PubMed always gives (turned into ParseError with the line)."""


def _parse_deleted(el: etree._Element) -> Iterator[DeletedCitation]:
    for pmid in each_child(el, "PMID"):
        value = element_text(pmid)
        if value:
            yield DeletedCitation(pmid=value)


# ---------------------------------------------------------------------------- records


def _parse_citation(mc: etree._Element | None, data: etree._Element | None) -> Paper:
    """A journal article: MedlineCitation plus (efetch, current baselines) its PubmedData."""
    if mc is None:
        raise _RecordError("no MedlineCitation")
    pmid, version = _pmid(mc)
    article = find_child(mc, "Article")
    if article is None:
        raise _RecordError(f"PMID {pmid}: no Article")
    ids = find_child(data, "ArticleIdList")
    abstract = find_child(article, "Abstract")
    vernacular = find_text(article, "VernacularTitle")
    return Paper(
        pmid=pmid,
        pmid_version=version,
        # A record without an English title still has a title worth showing.
        title=find_text(article, "ArticleTitle") or vernacular or "",
        vernacular_title=vernacular,
        abstract=parse_sections(abstract),
        other_abstracts=tuple(iter_other_abstracts(mc)),
        copyright=find_text(abstract, "CopyrightInformation"),
        authors=parse_authors(article, find_child(article, "Affiliation")),
        journal=parse_journal(article),
        pub_date=parse_pub_date(
            next(each_child(article, "Journal", "JournalIssue", "PubDate"), None)
        ),
        electronic_date=electronic_date(article),
        entrez_date=entrez_date(data),
        doi=find_article_id(ids, "doi") or elocation_doi(article),
        pmcid=find_article_id(ids, "pmc") or legacy_pmcid(mc),
        keywords=parse_keywords(mc),
        mesh=tuple(iter_mesh(mc)),
        supplementary_concepts=element_texts(each_child(mc, "SupplMeshList", "SupplMeshName")),
        publication_types=element_texts(
            each_child(article, "PublicationTypeList", "PublicationType")
        ),
        languages=element_texts(each_child(article, "Language")),
        grants=tuple(iter_grants(article)),
        comments_corrections=tuple(iter_comments_corrections(mc)),
        citation_status=clean_text(mc.get("Status")),
        publication_status=find_text(data, "PublicationStatus"),
    )


def _parse_book(doc: etree._Element | None, data: etree._Element | None) -> Paper:
    """A book or book chapter (BookDocument plus its PubmedBookData)."""
    if doc is None:
        raise _RecordError("no BookDocument")
    pmid, version = _pmid(doc)
    book = find_child(doc, "Book")
    if book is None:
        raise _RecordError(f"PMID {pmid}: no Book")
    book_title = find_text(book, "BookTitle")
    chapter_title = find_text(doc, "ArticleTitle")
    own_ids = find_child(doc, "ArticleIdList")
    data_ids = find_child(data, "ArticleIdList")
    abstract = find_child(doc, "Abstract")
    return Paper(
        pmid=pmid,
        pmid_version=version,
        title=chapter_title or book_title or "",
        vernacular_title=find_text(doc, "VernacularTitle"),
        abstract=parse_sections(abstract),
        copyright=find_text(abstract, "CopyrightInformation"),
        authors=book_authors(doc, book),
        # A chapter sits in its book as an article in its journal; a whole book has no
        # container, so its publisher ('Seattle (WA): University of Washington') stands in.
        journal=Journal(
            title=book_title if chapter_title else book_publisher(book),
            volume=find_text(book, "Volume"),
            pages=pages_of(find_child(doc, "Pagination")),
        ),
        pub_date=parse_pub_date(find_child(book, "PubDate")),
        entrez_date=entrez_date(data),
        doi=find_article_id(own_ids, "doi")
        or find_article_id(data_ids, "doi")
        or elocation_doi(book),
        pmcid=find_article_id(own_ids, "pmc") or find_article_id(data_ids, "pmc"),
        keywords=parse_keywords(doc),
        publication_types=element_texts(each_child(doc, "PublicationType")),
        languages=element_texts(each_child(doc, "Language")),
        grants=tuple(iter_grants(doc)),
        publication_status=find_text(data, "PublicationStatus"),
        is_book=True,
    )


def _pmid(record: etree._Element) -> tuple[str, str | None]:
    el = find_child(record, "PMID")
    pmid = element_text(el)
    if not pmid:
        raise _RecordError("no PMID")
    return pmid, clean_text(el.get("Version"))
