"""generator.pubmed.parse over small hand-written fixtures, one PubMed edge case each."""

from __future__ import annotations

import gzip
import io
from functools import cache
from pathlib import Path
from typing import Any

import pytest

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
from generator.pubmed.parse import iter_records, parse_bytes, parse_file
from generator.utils.errors import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "xml"


@cache
def papers(fixture: str) -> dict[str, Paper]:
    """The Paper records of a fixture file, by PMID."""
    return {r.pmid: r for r in parse_file(FIXTURES / fixture) if isinstance(r, Paper)}


def field(obj: Any, path: str) -> Any:
    """Follow 'authors.0.orcid' through attributes and tuple indexes."""
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


# ---------------------------------------------------------------------------- field values

FIELD_CASES = [
    # inline markup (nested, MathML, tails, comments) and character references
    (
        "inline_markup.xml",
        "1001",
        "title",
        "Loss of PTEN and TP53+ in CD8+ Treg cells: bold nested tail and underlined, "
        "with Kd=5 nM binding of α-synuclein and IL‐6.",
    ),
    ("inline_markup.xml", "1001", "pmid_version", "2"),
    ("inline_markup.xml", "1001", "vernacular_title", "Perte de PTEN chez l’homme."),
    (
        "inline_markup.xml",
        "1001",
        "abstract.0.text",
        "The BRCA1 gene (10-5 M) was measured in H2O at 37 °C with β-blockers.",
    ),
    ("inline_markup.xml", "1001", "keywords", ("PTEN loss", "CD8+ T cells")),
    ("inline_markup.xml", "1001", "authors.0.last_name", "Müller"),
    ("inline_markup.xml", "1001", "authors.0.fore_name", "Jörg"),
    ("inline_markup.xml", "1001", "authors.0.affiliations", ("Dept of In vivo Studies, Berlin.",)),
    ("inline_markup.xml", "1001", "journal.title", "Journal of Markup"),
    # every field of a full efetch record
    (
        "full_article.xml",
        "2001",
        "abstract",
        (
            AbstractSection("Why we looked.", "BACKGROUND", "BACKGROUND"),
            AbstractSection("How we looked.", "METHODS", "METHODS"),
            AbstractSection("What we saw.", "FINDINGS", "RESULTS"),
            AbstractSection("Unlabelled part.", None, "UNASSIGNED"),
        ),
    ),
    ("full_article.xml", "2001", "copyright", "© 2023 The Authors."),
    (
        "full_article.xml",
        "2001",
        "other_abstracts",
        (
            OtherAbstract(
                sections=(
                    AbstractSection("Pourquoi.", "CONTEXTE"),
                    AbstractSection("Quoi.", "RÉSULTATS"),
                ),
                language="fre",
                type="Publisher",
                copyright="© 2023 Les auteurs.",
            ),
            OtherAbstract(
                sections=(AbstractSection("In plain words."),),
                language="eng",
                type="plain-language-summary",
            ),
        ),
    ),
    (
        "full_article.xml",
        "2001",
        "authors",
        (
            Author(
                last_name="Smith",
                fore_name="John A",
                initials="JA",
                suffix="Jr",
                orcid="0000-0002-1825-009X",
                affiliations=("Dept A, Univ X.", "Dept B, Univ Y."),
            ),
            Author(last_name="Ng", initials="W", orcid="0000-0002-1825-0097"),
            Author(last_name="Roe", fore_name="Jane", initials="J"),
            Author(collective_name="The Everything Consortium"),
        ),
    ),
    (
        "full_article.xml",
        "2001",
        "journal",
        Journal(
            title="Journal of Everything",
            iso_abbreviation="J Everything",
            issn="1234-5678",
            volume="12",
            issue="3 Suppl 1",
            pages="e101-e109",
        ),
    ),
    ("full_article.xml", "2001", "pub_date", "2023-03-07"),
    ("full_article.xml", "2001", "electronic_date", "2023-02-01"),
    ("full_article.xml", "2001", "entrez_date", "2023-02-02"),
    ("full_article.xml", "2001", "doi", "10.1000/own.2001"),
    ("full_article.xml", "2001", "pmcid", "PMC2001"),
    ("full_article.xml", "2001", "keywords", ("everything", "nothing", "something")),
    (
        "full_article.xml",
        "2001",
        "mesh",
        (  # PubMed's order, not alphabetical
            MeshHeading("Humans", "D006801"),
            MeshHeading("Neoplasms", "D009369", True, (("genetics", False), ("pathology", True))),
            MeshHeading("Adult", "D000328", True),
        ),
    ),
    (
        "full_article.xml",
        "2001",
        "supplementary_concepts",
        ("everythingin protein", "Everything syndrome"),
    ),
    (
        "full_article.xml",
        "2001",
        "publication_types",
        ("Journal Article", "Retracted Publication"),
    ),
    ("full_article.xml", "2001", "languages", ("eng", "fre")),
    (
        "full_article.xml",
        "2001",
        "grants",
        (
            Grant("R01 CA000001", "NCI NIH HHS", "United States", "CA"),
            Grant(agency="Wellcome Trust", country="United Kingdom"),
        ),
    ),
    (
        "full_article.xml",
        "2001",
        "comments_corrections",
        (
            CommentCorrection("RetractionIn", "J Everything. 2024;13:1", "3001"),
            CommentCorrection("ErratumIn", "J Everything. 2023;12:9"),
            CommentCorrection("ExpressionOfConcernIn", "J Everything. 2023;12:8", "3002"),
        ),
    ),
    ("full_article.xml", "2001", "retracted", True),
    ("full_article.xml", "2001", "citation_status", "PubMed-not-MEDLINE"),
    ("full_article.xml", "2001", "publication_status", "ppublish"),
    ("full_article.xml", "2001", "is_book", False),
    # the record's own ids, never those of its ReferenceList
    ("ids.xml", "3001", "doi", None),
    ("ids.xml", "3001", "pmcid", None),
    ("ids.xml", "3001", "entrez_date", "2020-01-05"),
    ("ids.xml", "3002", "doi", "10.1000/eloc.3002"),
    ("ids.xml", "3003", "doi", None),
    ("ids.xml", "3004", "doi", "10.1000/url.3004"),
    ("ids.xml", "3004", "pmcid", "PMC3004"),
    ("ids.xml", "3004", "entrez_date", "2020-03-04"),  # no entrez date: the pubmed one
    ("ids.xml", "3005", "doi", "10.1000/list.3005"),
    ("ids.xml", "3005", "electronic_date", "2019-12-31"),  # ArticleDate without DateType
    ("ids.xml", "3005", "entrez_date", None),
    # the legacy MedlineCitationSet (no PubmedData)
    ("medline_citation_set.xml", "5001", "pmcid", "PMC4688250"),  # from OtherID
    ("medline_citation_set.xml", "5001", "doi", "10.1000/legacy.5001"),
    ("medline_citation_set.xml", "5001", "pub_date", "2015-12"),
    ("medline_citation_set.xml", "5001", "electronic_date", "2015-11-30"),
    ("medline_citation_set.xml", "5001", "entrez_date", None),
    ("medline_citation_set.xml", "5001", "journal.iso_abbreviation", "Legacy J."),
    (
        "medline_citation_set.xml",
        "5001",
        "authors.0.affiliations",
        ("Department of Old Style, Somewhere.",),  # Article/Affiliation: the first author's
    ),
    ("medline_citation_set.xml", "5001", "authors.1.affiliations", ()),
    (
        "medline_citation_set.xml",
        "5001",
        "comments_corrections",
        (CommentCorrection("Cites", "J Cited. 2001;1:1", "5100"),),
    ),
    ("medline_citation_set.xml", "5001", "publication_status", None),
    ("medline_citation_set.xml", "5002", "pmcid", None),
    ("medline_citation_set.xml", "5002", "pub_date", "2015-10"),
    ("medline_citation_set.xml", "5002", "title", "[A translated title]."),
    ("medline_citation_set.xml", "5002", "vernacular_title", "Ein Titel."),
    ("medline_citation_set.xml", "5002", "languages", ("ger",)),
    ("medline_citation_set.xml", "5002", "citation_status", "In-Process"),
    # books: a chapter and a whole book
    ("book.xml", "6001", "is_book", True),
    ("book.xml", "6001", "title", "GENE1-Related Disorders"),
    (
        "book.xml",
        "6001",
        "journal",
        Journal(title="GeneReviews®", volume="2", pages="10-20"),
    ),
    (
        "book.xml",
        "6001",
        "authors",
        (Author(last_name="Writer", fore_name="Will", initials="W", affiliations=("Clinic A",)),),
    ),  # the Book's editors are not the chapter's authors
    ("book.xml", "6001", "abstract.1", AbstractSection("How to find it.", "DIAGNOSIS/TESTING")),
    ("book.xml", "6001", "copyright", "Copyright © 1993-2025, University of Somewhere."),
    ("book.xml", "6001", "pub_date", "1993"),
    ("book.xml", "6001", "entrez_date", "2024-12-19"),
    ("book.xml", "6001", "doi", "10.1000/book.6001"),
    ("book.xml", "6001", "pmcid", None),  # only a cited work has one
    ("book.xml", "6001", "publication_types", ("Review",)),
    ("book.xml", "6001", "keywords", ("gene one",)),
    ("book.xml", "6001", "grants", (Grant("U01 1", "NHGRI", "United States"),)),
    ("book.xml", "6001", "publication_status", "ppublish"),
    ("book.xml", "6001", "citation_status", None),
    ("book.xml", "6002", "title", "A Whole Book on Things"),
    ("book.xml", "6002", "journal.title", "Washington (DC): National Academies Press (US)"),
    ("book.xml", "6002", "authors", (Author(collective_name="Committee on Things"),)),
    ("book.xml", "6002", "doi", "10.17226/6002"),  # Book/ELocationID
    ("book.xml", "6002", "pub_date", "2011-06"),
    ("book.xml", "6002", "entrez_date", "2011-07-01"),
    ("book_document_set.xml", "6101", "journal.title", "Bare Book"),
    # missing values are None, lists empty tuples
    ("minimal.xml", "8001", "title", "Seul titre."),  # no English title: the vernacular one
    ("minimal.xml", "8001", "abstract", ()),
    ("minimal.xml", "8001", "authors", ()),
    ("minimal.xml", "8001", "grants", ()),
    ("minimal.xml", "8001", "keywords", ()),
    ("minimal.xml", "8001", "journal", Journal()),
    ("minimal.xml", "8001", "pmid_version", None),
    ("minimal.xml", "8001", "pub_date", None),
    ("minimal.xml", "8001", "citation_status", None),
    ("minimal.xml", "8002", "title", ""),
    ("minimal.xml", "8002", "vernacular_title", None),
]


@pytest.mark.parametrize(
    ("fixture", "pmid", "path", "expected"),
    FIELD_CASES,
    ids=[f"{pmid}-{path}" for _, pmid, path, _ in FIELD_CASES],
)
def test_field(fixture: str, pmid: str, path: str, expected: Any) -> None:
    assert field(papers(fixture)[pmid], path) == expected


DATE_CASES = [
    ("4001", "2020"),
    ("4002", "2020-07"),
    ("4003", "2020-07"),
    ("4004", "2020-07"),
    ("4005", "2020-07"),  # 'July'
    ("4006", "2020-12-05"),
    ("4007", "2021-02"),  # 30 February: the day is dropped, not the month
    ("4008", "2020-02-29"),
    ("4009", "2020-03"),  # Spring
    ("4010", "2020-06"),  # Summer
    ("4011", "2020-09"),  # Fall
    ("4012", "2020-09"),  # Autumn
    ("4013", "2020-12"),  # Winter
    ("4014", "2020-04"),  # Season 'Apr-Jun'
    ("4015", "2020-12"),  # Season 'Winter-Spring'
    ("4016", "2008-07"),  # MedlineDate '2008 Jul-Aug'
    ("4017", "1998-12"),  # '1998 Dec-1999 Jan'
    ("4018", "2000-03"),  # '2000 Spring'
    ("4019", "1999"),  # '1999-2000'
    ("4020", "2011-10-03"),  # '2011 Oct 3-9'
    ("4021", "2015-10"),  # '2015 Oct-Dec'
    ("4022", "2002-01-15"),  # '2002 Jan 15-Feb 15'
    ("4023", "2001"),  # 'Summer 2001'
    ("4024", "1977"),  # '1977-78'
    ("4025", "2020"),  # month 13
    ("4026", "2020-09"),  # 'sep'
    ("4027", None),  # 'n.d.'
    ("4028", "2011-12-26"),  # '2011 Dec 26-2012 Jan 1'
    ("4029", "2019-08-01"),  # padded with spaces
]


@pytest.mark.parametrize(("pmid", "expected"), DATE_CASES)
def test_pub_date(pmid: str, expected: str | None) -> None:
    assert papers("dates.xml")[pmid].pub_date == expected


def test_no_unexpected_whitespace_anywhere() -> None:
    """NBSP, thin spaces, newlines and runs of spaces never survive in any text value."""
    for fixture in ("inline_markup.xml", "full_article.xml", "book.xml"):
        for paper in papers(fixture).values():
            for value in _strings(paper):
                assert value == " ".join(value.split()), (fixture, value)
                assert value, (fixture, paper.pmid)


def _strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, tuple):
        return [s for item in obj for s in _strings(item)]
    if hasattr(obj, "__dataclass_fields__"):
        return [s for name in obj.__dataclass_fields__ for s in _strings(getattr(obj, name))]
    return []


# ---------------------------------------------------------------------------- inputs and records

UPDATE_RECORDS = [
    ("Paper", "7001"),
    ("Paper", "7002"),
    ("DeletedCitation", "7901"),
    ("DeletedCitation", "7902"),
    ("DeletedCitation", "7903"),
]


def _kinds(records: list[Paper | DeletedCitation]) -> list[tuple[str, str]]:
    return [(type(r).__name__, r.pmid) for r in records]


@pytest.fixture
def update_gz(tmp_path: Path) -> Path:
    path = tmp_path / "pubmed25n0001.xml.gz"
    path.write_bytes(gzip.compress((FIXTURES / "update.xml").read_bytes()))
    return path


@pytest.mark.parametrize(
    "make_source",
    [
        pytest.param(lambda gz: gz, id="gz-path"),
        pytest.param(lambda gz: str(gz), id="gz-str-path"),
        pytest.param(lambda gz: gz.read_bytes(), id="gz-bytes"),
        pytest.param(lambda gz: gzip.decompress(gz.read_bytes()), id="plain-bytes"),
        pytest.param(lambda gz: io.BytesIO(gzip.decompress(gz.read_bytes())), id="file-object"),
        pytest.param(lambda gz: gz.open("rb"), id="gz-file-object"),
        pytest.param(lambda gz: io.BytesIO(gz.read_bytes()), id="gz-unnamed-file-object"),
    ],
)
def test_update_file_sources(update_gz: Path, make_source: Any) -> None:
    source = make_source(update_gz)
    assert _kinds(list(iter_records(source))) == UPDATE_RECORDS


def test_file_object_is_left_open() -> None:
    stream = io.BytesIO((FIXTURES / "update.xml").read_bytes())
    assert len(list(iter_records(stream))) == 5
    assert not stream.closed


def test_update_file_versions_and_status() -> None:
    records = papers("update.xml")
    assert (records["7001"].pmid_version, records["7001"].citation_status) == ("1", "Publisher")
    assert records["7001"].publication_status == "aheadofprint"
    assert records["7002"].pmid_version == "2"


def test_medline_citation_set_with_delete_citation() -> None:
    records = parse_file(FIXTURES / "medline_citation_set.xml")
    assert _kinds(records) == [
        ("Paper", "5001"),
        ("Paper", "5002"),
        ("DeletedCitation", "5901"),
        ("DeletedCitation", "5902"),
    ]


def test_book_document_set_with_delete_document() -> None:
    records = parse_file(FIXTURES / "book_document_set.xml")
    assert _kinds(records) == [("Paper", "6101"), ("DeletedCitation", "6199")]
    assert records[0].is_book


def test_empty_article_set_has_no_records() -> None:
    assert parse_file(FIXTURES / "empty_set.xml") == []


def test_parse_bytes_matches_parse_file() -> None:
    path = FIXTURES / "full_article.xml"
    assert parse_bytes(path.read_bytes()) == parse_file(path)


def test_deleted_citation_type() -> None:
    assert parse_file(FIXTURES / "update.xml")[-1] == DeletedCitation(pmid="7903")


# ---------------------------------------------------------------------------- errors

ERROR_CASES = [
    ("malformed.xml", ["malformed.xml", "line 12", "tag mismatch"]),
    ("truncated.xml", ["truncated.xml", "line 13", "Premature end of data"]),
    ("not_pubmed.xml", ["not_pubmed.xml", "line 2", "not PubMed XML", "eSearchResult"]),
    ("no_pmid.xml", ["no_pmid.xml", "line 3", "no PMID"]),
    ("undeclared_entity.xml", ["undeclared_entity.xml", "line 7", "&nbsp;", "never expanded"]),
]


@pytest.mark.parametrize(("fixture", "expected"), ERROR_CASES)
def test_parse_error_names_file_and_line(fixture: str, expected: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        parse_file(FIXTURES / fixture)
    for part in expected:
        assert part in str(caught.value)


@pytest.mark.parametrize("fixture", ["malformed.xml", "truncated.xml"])
def test_streaming_yields_records_before_the_fault(fixture: str) -> None:
    records = iter_records(FIXTURES / fixture)
    assert isinstance(next(records), Paper)
    with pytest.raises(ParseError):
        next(records)


def test_error_names_the_given_name() -> None:
    data = (FIXTURES / "malformed.xml").read_bytes()
    with pytest.raises(ParseError, match=r"^efetch batch 3: line 12: "):
        parse_bytes(data, name="efetch batch 3")


def test_bytes_error_default_name() -> None:
    with pytest.raises(ParseError, match=r"^<bytes>: line 1: "):
        parse_bytes(b"<PubmedArticleSet><PubmedArticle>")


def test_truncated_gzip_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(gzip.compress((FIXTURES / "update.xml").read_bytes())[:-30])
    with pytest.raises(ParseError, match=r"cut\.xml\.gz"):
        parse_file(path)


def test_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"nowhere\.xml"):
        parse_file(tmp_path / "nowhere.xml")


# ---------------------------------------------------------------------------- security


def _outcome(data: bytes) -> str:
    """Everything the parser returns for ``data`` (or its error), as one string."""
    try:
        return repr(parse_bytes(data, name="evil.xml"))
    except ParseError as exc:
        return f"ParseError: {exc}"


def test_billion_laughs_errors_cleanly() -> None:
    outcome = _outcome((FIXTURES / "billion_laughs.xml").read_bytes())
    assert outcome.startswith("ParseError: evil.xml: line ")
    assert "lollol" not in outcome


def test_external_entity_is_not_loaded() -> None:
    outcome = _outcome((FIXTURES / "xxe.xml").read_bytes())
    assert outcome.startswith("ParseError: evil.xml: line 5: DOCTYPE declares entity 'xxe'")
    assert "root:" not in outcome


def _record(title: str, attribute: str = "") -> str:
    return (
        f"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        f"<ArticleTitle{attribute}>{title}</ArticleTitle></Article></MedlineCitation>"
        f"</PubmedArticle></PubmedArticleSet>"
    )


# Each document is tried with SECRET_URI replaced by the file:// URI of a file holding SECRET.
ENTITY_ATTACKS = {
    "internal entity in text": '<!DOCTYPE x [<!ENTITY e "SECRET">]>' + _record("a &e; b"),
    "internal entity in attribute": '<!DOCTYPE x [<!ENTITY e "SECRET">]>'
    + _record("t", " a='&e;'"),
    "external entity in text": '<!DOCTYPE x [<!ENTITY e SYSTEM "SECRET_URI">]>'
    + _record("a &e; b"),
    "external entity in attribute": '<!DOCTYPE x [<!ENTITY e SYSTEM "SECRET_URI">]>'
    + _record("t", " a='&e;'"),
    "external parameter entity": '<!DOCTYPE x [<!ENTITY % p SYSTEM "SECRET_URI"> %p;]>'
    + _record("a b"),
    "external DTD": '<!DOCTYPE x SYSTEM "SECRET_URI">' + _record("a b"),
    "entity declared, never used": '<!DOCTYPE x [<!ENTITY e "SECRET">]>' + _record("a b"),
}


@pytest.mark.parametrize("attack", ENTITY_ATTACKS)
def test_entities_are_never_expanded(tmp_path: Path, attack: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    data = ENTITY_ATTACKS[attack].replace("SECRET_URI", secret.as_uri()).encode()
    outcome = _outcome(data)
    assert "SECRET" not in outcome
    assert outcome.startswith("ParseError: evil.xml: line ") or "title='a b'" in outcome
