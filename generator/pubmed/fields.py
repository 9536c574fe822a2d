"""The fields of a PubMed record, each from its XML element (pure; :mod:`generator.pubmed.parse`
reads the records).

Every text value is flattened from its inline markup (``<i>``, ``<sup>``, MathML …) with all
text and tails kept, then whitespace-normalised (NBSP and thin spaces become plain spaces,
runs collapse, ends are stripped); empty values become ``None``. Dates become ISO dates
(``MedlineDate`` free text and seasons included), ORCIDs and PMC ids are normalised.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from lxml import etree

from generator.pubmed.models import (
    AbstractSection,
    Author,
    CommentCorrection,
    Grant,
    Journal,
    MeshHeading,
    OtherAbstract,
)

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


_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


# ---------------------------------------------------------------------------- text


def clean_text(value: str | None) -> str | None:
    """Collapse whitespace (str.split also splits on NBSP, thin and other Unicode spaces)."""
    if not value:
        return None
    return " ".join(value.split()) or None


def element_text(el: etree._Element | None) -> str | None:
    """All text inside ``el`` (inline markup and MathML flattened, tails kept), cleaned."""
    if el is None:
        return None
    if len(el) == 0:  # most elements hold plain text: skip the itertext walk
        return clean_text(el.text)
    return clean_text("".join(el.itertext()))


def find_text(parent: etree._Element | None, tag: str) -> str | None:
    """The text of ``parent``'s first ``tag`` child."""
    return element_text(find_child(parent, tag))


def find_child(parent: etree._Element | None, tag: str) -> etree._Element | None:
    """The first ``tag`` child (a plain loop beats find() and iterchildren() here)."""
    if parent is not None:
        for child in parent:
            if child.tag == tag:
                return child
    return None


def each_child(parent: etree._Element | None, *tags: str) -> Iterator[etree._Element]:
    """The elements at child path ``tags``, e.g. ('MeshHeadingList', 'MeshHeading').

    Like ``iterfind('A/B')`` but without ElementPath's cost, which dominated parsing time.
    """
    if parent is None:
        return
    first, *rest = tags
    for child in parent.iterchildren(first):
        if rest:
            yield from each_child(child, *rest)
        else:
            yield child


def element_texts(elements: Iterable[etree._Element]) -> tuple[str, ...]:
    return tuple(t for t in map(element_text, elements) if t)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# ---------------------------------------------------------------------------- abstracts


def parse_sections(abstract: etree._Element | None) -> tuple[AbstractSection, ...]:
    if abstract is None:
        return ()
    sections = []
    for el in each_child(abstract, "AbstractText"):
        text, label = element_text(el), clean_text(el.get("Label"))
        if text or label:
            sections.append(
                AbstractSection(
                    text=text or "", label=label, category=clean_text(el.get("NlmCategory"))
                )
            )
    return tuple(sections)


def iter_other_abstracts(mc: etree._Element) -> Iterator[OtherAbstract]:
    for el in each_child(mc, "OtherAbstract"):
        sections = parse_sections(el)
        copyright_ = find_text(el, "CopyrightInformation")
        if sections or copyright_:
            yield OtherAbstract(
                sections=sections,
                # The DTD's default, which we see only because we never load the DTD.
                language=clean_text(el.get("Language")) or "eng",
                type=clean_text(el.get("Type")),
                copyright=copyright_,
            )


# ---------------------------------------------------------------------------- authors


def parse_authors(
    parent: etree._Element, legacy_affiliation: etree._Element | None = None
) -> tuple[Author, ...]:
    authors = [
        a
        for list_el in each_child(parent, "AuthorList")
        if list_el.get("Type") != "editors"
        for a in map(_parse_author, each_child(list_el, "Author"))
        if a is not None
    ]
    # Before 2014 MEDLINE kept one Article/Affiliation: the first author's (NLM policy).
    affiliation = element_text(legacy_affiliation)
    if affiliation and authors and not authors[0].affiliations:
        authors[0] = replace(authors[0], affiliations=(affiliation,))
    return tuple(authors)


def book_authors(doc: etree._Element, book: etree._Element) -> tuple[Author, ...]:
    """Chapter authors, else the book's own authors; editors are not authors."""
    return parse_authors(doc) or parse_authors(book)


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
            affiliations.extend(element_texts(each_child(child, "Affiliation")))
        elif tag == "Affiliation":  # pre-2014 DTDs put it straight under Author
            affiliations.extend(element_texts([child]))
        elif tag == "Identifier":
            orcid = orcid or (_orcid(child) if child.get("Source") == "ORCID" else None)
        else:
            names.setdefault(tag, element_text(child))
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
    match = _ORCID.search(element_text(identifier) or "")
    return "-".join(match.groups()).upper() if match else None


# ---------------------------------------------------------------------------- journal, dates


def parse_journal(article: etree._Element) -> Journal:
    journal = find_child(article, "Journal")
    issue = find_child(journal, "JournalIssue")
    return Journal(
        title=find_text(journal, "Title"),
        iso_abbreviation=find_text(journal, "ISOAbbreviation"),
        issn=find_text(journal, "ISSN"),
        volume=find_text(issue, "Volume"),
        issue=find_text(issue, "Issue"),
        pages=pages_of(find_child(article, "Pagination")),
    )


def pages_of(pagination: etree._Element | None) -> str | None:
    """MedlinePgn ('61-76', 'e123'), else StartPage-EndPage."""
    if pagination is None:
        return None
    medline = find_text(pagination, "MedlinePgn")
    if medline:
        return medline
    start, end = find_text(pagination, "StartPage"), find_text(pagination, "EndPage")
    return f"{start}-{end}" if start and end else start or end


def book_publisher(book: etree._Element) -> str | None:
    publisher = find_child(book, "Publisher")
    name = find_text(publisher, "PublisherName")
    place = find_text(publisher, "PublisherLocation")
    return f"{place}: {name}" if place and name else name or place


def parse_pub_date(el: etree._Element | None) -> str | None:
    """PubDate / BookPubDate (Year, Month or Season, Day; or MedlineDate) as ISO."""
    if el is None:
        return None
    medline = find_text(el, "MedlineDate")
    if medline:
        return _parse_medline_date(medline)
    month = find_text(el, "Month") or find_text(el, "Season")
    return _iso_date(find_text(el, "Year"), month, find_text(el, "Day"))


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
    return _iso_date(find_text(el, "Year"), find_text(el, "Month"), find_text(el, "Day"))


def electronic_date(article: etree._Element) -> str | None:
    # DateType is #FIXED "Electronic" in the DTD, so an absent attribute means Electronic.
    for el in each_child(article, "ArticleDate"):
        if el.get("DateType", "Electronic") == "Electronic":
            return _numeric_date(el)
    return None


def entrez_date(data: etree._Element | None) -> str | None:
    dates = {el.get("PubStatus"): el for el in each_child(data, "History", "PubMedPubDate")}
    return _numeric_date(dates.get("entrez")) or _numeric_date(dates.get("pubmed"))


# ---------------------------------------------------------------------------- identifiers


def find_article_id(id_list: etree._Element | None, id_type: str) -> str | None:
    """The record's own id of one type, from a direct ArticleIdList (never a ReferenceList)."""
    for el in each_child(id_list, "ArticleId"):
        if el.get("IdType") == id_type:
            value = _normalise_id(element_text(el), id_type)
            if value:
                return value
    return None


def elocation_doi(parent: etree._Element) -> str | None:
    for el in each_child(parent, "ELocationID"):
        if el.get("EIdType") == "doi" and el.get("ValidYN") != "N":
            value = _normalise_id(element_text(el), "doi")
            if value:
                return value
    return None


def legacy_pmcid(mc: etree._Element) -> str | None:
    """Legacy MEDLINE (no PubmedData) puts the PMC id in OtherID: 'PMC4688250 [Available …]'."""
    for el in each_child(mc, "OtherID"):
        text = element_text(el) or ""
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


def parse_keywords(parent: etree._Element) -> tuple[str, ...]:
    """Keywords of every KeywordList (author's NOTNLM, NLM, KIE …), in order, once each."""
    return _unique(element_texts(each_child(parent, "KeywordList", "Keyword")))


def iter_mesh(mc: etree._Element) -> Iterator[MeshHeading]:
    """MeSH headings in PubMed's order (which is not alphabetical)."""
    for heading in each_child(mc, "MeshHeadingList", "MeshHeading"):
        descriptor = find_child(heading, "DescriptorName")
        name = element_text(descriptor)
        if not name:
            continue
        qualifiers = tuple(
            (q_name, q.get("MajorTopicYN") == "Y")
            for q in each_child(heading, "QualifierName")
            if (q_name := element_text(q))
        )
        descriptor_major = descriptor.get("MajorTopicYN") == "Y"
        yield MeshHeading(
            descriptor=name,
            ui=clean_text(descriptor.get("UI")),
            major=descriptor_major or any(major for _, major in qualifiers),
            qualifiers=qualifiers,
        )


def iter_grants(parent: etree._Element) -> Iterator[Grant]:
    for el in each_child(parent, "GrantList", "Grant"):
        grant = Grant(
            grant_id=find_text(el, "GrantID"),
            agency=find_text(el, "Agency"),
            country=find_text(el, "Country"),
            acronym=find_text(el, "Acronym"),
        )
        if grant != Grant():
            yield grant


def iter_comments_corrections(mc: etree._Element) -> Iterator[CommentCorrection]:
    """Every CommentsCorrections link (RetractionIn, ErratumIn, CommentOn, Cites …)."""
    for el in each_child(mc, "CommentsCorrectionsList", "CommentsCorrections"):
        ref_type = clean_text(el.get("RefType"))
        if ref_type:
            yield CommentCorrection(
                ref_type=ref_type,
                ref_source=find_text(el, "RefSource"),
                pmid=find_text(el, "PMID"),
            )
