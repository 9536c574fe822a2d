"""The one record type: a PubMed paper as frozen dataclasses.

Missing scalar values are always ``None``; lists are always tuples (possibly
empty). Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Author:
    """A person or a collective (group) author."""

    last_name: str | None = None
    fore_name: str | None = None
    initials: str | None = None
    suffix: str | None = None
    collective_name: str | None = None
    orcid: str | None = None
    affiliations: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        """'Fore Last Suffix' for a person, the group name for a collective."""
        if self.collective_name:
            return self.collective_name
        parts = [self.fore_name or self.initials, self.last_name, self.suffix]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class AbstractSection:
    """One paragraph of an abstract; label/category set for structured abstracts."""

    text: str
    label: str | None = None
    category: str | None = (
        None  # NlmCategory: BACKGROUND, OBJECTIVE, METHODS, RESULTS, CONCLUSIONS, UNASSIGNED
    )


@dataclass(frozen=True)
class OtherAbstract:
    """An abstract in another language or from another source (OtherAbstract)."""

    sections: tuple[AbstractSection, ...]
    language: str | None = None
    type: str | None = None
    copyright: str | None = None


@dataclass(frozen=True)
class MeshHeading:
    descriptor: str
    ui: str | None = None
    major: bool = False  # descriptor or any qualifier is a major topic
    qualifiers: tuple[tuple[str, bool], ...] = ()  # (name, major)


@dataclass(frozen=True)
class Grant:
    grant_id: str | None = None
    agency: str | None = None
    country: str | None = None
    acronym: str | None = None


@dataclass(frozen=True)
class CommentCorrection:
    """A CommentsCorrections entry: ``ref_type`` such as 'RetractionIn', 'ErratumIn'."""

    ref_type: str
    ref_source: str | None = None
    pmid: str | None = None


@dataclass(frozen=True)
class Journal:
    title: str | None = None
    iso_abbreviation: str | None = None
    issn: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None


@dataclass(frozen=True)
class Paper:
    """One PubMed record (article or book/chapter), fully parsed."""

    pmid: str
    title: str
    pmid_version: str | None = None
    vernacular_title: str | None = None
    abstract: tuple[AbstractSection, ...] = ()
    other_abstracts: tuple[OtherAbstract, ...] = ()
    copyright: str | None = None
    authors: tuple[Author, ...] = ()
    journal: Journal = field(default_factory=Journal)
    pub_date: str | None = None  # ISO: YYYY-MM-DD, YYYY-MM or YYYY
    electronic_date: str | None = None  # ArticleDate (Electronic), ISO
    entrez_date: str | None = None  # PubMedPubDate[@PubStatus=entrez|pubmed], ISO
    doi: str | None = None
    pmcid: str | None = None
    keywords: tuple[str, ...] = ()
    mesh: tuple[MeshHeading, ...] = ()
    supplementary_concepts: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    grants: tuple[Grant, ...] = ()
    comments_corrections: tuple[CommentCorrection, ...] = ()
    citation_status: str | None = None  # MedlineCitation/@Status, e.g. MEDLINE, In-Process
    publication_status: str | None = None  # PubmedData/PublicationStatus
    is_book: bool = False

    @property
    def year(self) -> int | None:
        return int(self.pub_date[:4]) if self.pub_date else None

    @property
    def retracted(self) -> bool:
        """True when PubMed links a retraction notice to this record, or it is one."""
        return any(c.ref_type == "RetractionIn" for c in self.comments_corrections) or (
            "Retracted Publication" in self.publication_types
        )

    @property
    def abstract_text(self) -> str:
        """The abstract as plain text, labels included ('LABEL: text')."""
        return " ".join(f"{s.label}: {s.text}" if s.label else s.text for s in self.abstract)

    @property
    def url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"


@dataclass(frozen=True)
class DeletedCitation:
    """A PMID listed in a DeleteCitation block of a baseline/update file."""

    pmid: str
