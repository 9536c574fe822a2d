"""Slugs: safe file names for topics and MeSH terms, stable and collision-free."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from generator.config.load import load_config
from generator.pubmed.models import Paper
from generator.pubmed.parse import parse_file
from generator.utils.slug import slugify
from tests.conftest import REPO, SAMPLE_XML

SAFE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*(--[0-9a-f]{8})?")
SIMPLE = re.compile(r"[A-Za-z0-9]+( [A-Za-z0-9]+)*")


@pytest.mark.parametrize(
    ("term", "slug"),
    [
        ("Breast Neoplasms", "breast-neoplasms"),
        ("Cell", "cell"),
        ("cell", "cell"),
        ("DNA", "dna"),
        ("BRCA1", "brca1"),
        ("Swanton", "swanton"),
        ("copy number", "copy-number"),
        ("2019 nCoV", "2019-ncov"),
    ],
)
def test_simple_terms_are_readable(term, slug):
    assert slugify(term) == slug


@pytest.mark.parametrize(
    ("term", "readable"),
    [
        ("RNA, Transfer", "rna-transfer"),
        ("RNA/Transfer", "rna-transfer"),
        ("RNA  Transfer", "rna-transfer"),  # double space: not simple
        ("Aged, 80 and over", "aged-80-and-over"),
        ("tumour-derived exosomes", "tumour-derived-exosomes"),
        ("Radiotherapy Planning, Computer-Assisted", "radiotherapy-planning-computer-assisted"),
        ("..", "term"),
        ("../../etc/passwd", "etc-passwd"),
        ("..\\..\\windows", "windows"),
        ("/", "term"),
        ("", "term"),
        (" leading", "leading"),
        ("trailing ", "trailing"),
        ("  ", "term"),
        ("유방암", "term"),
        ("한국어 abc", "abc"),
        ("🧬", "term"),
        ("DNA 🧬 repair", "dna-repair"),
        ("Sjögren's Syndrome", "sjogren-s-syndrome"),
        ("α-Synuclein", "synuclein"),
        ("Café", "cafe"),
        ("ﬁbrosis", "fibrosis"),  # the ligature decomposes (NFKD)
        ("a\x00b", "a-b"),
        ("a\nb", "a-b"),
        ("CON", "con"),
        ("x" * 61, "x" * 60),
        ("word " * 30, "word-" * 11 + "word"),
    ],
)
def test_other_terms_get_an_ascii_approximation_and_a_hash(term, readable):
    slug = slugify(term)
    if SIMPLE.fullmatch(term) and len(term) <= 60:
        assert slug == readable
        return
    head, digest = slug.rsplit("--", 1)
    assert head == readable
    assert re.fullmatch(r"[0-9a-f]{8}", digest)
    assert len(slug) <= 60 + 10


HOSTILE = [
    "RNA, Transfer",
    "RNA Transfer",
    "RNA/Transfer",
    "RNA\\Transfer",
    "RNA-Transfer",
    "RNA_Transfer",
    "RNA.Transfer",
    "rna, transfer",
    "RNA,Transfer",
    "RNA, Transfer ",
    " RNA, Transfer",
    "RNA,  Transfer",
    "..",
    ".",
    "...",
    "../../etc",
    "../..",
    "a/../b",
    "",
    " ",
    "유방암",
    "유방 암",
    "🧬",
    "🧬🧬",
    "Cafe",
    "Café",
    "Cafe\u0301",  # the same word, decomposed: a different string, so a different slug
    "x" * 60,
    "x" * 61,
    "x" * 200,
    "x" * 201,
    "term",
    "term--00000000",
    "index",
    "Index",
    "page-2",
]


def _sample_terms() -> list[str]:
    terms: set[str] = set()
    for record in parse_file(SAMPLE_XML):
        if isinstance(record, Paper):
            terms.update(m.descriptor for m in record.mesh)
            terms.update(record.keywords)
            terms.update(record.publication_types)
    terms.update(t.name for t in load_config(REPO / "kb.yml").topics)
    return sorted(terms)


def _variants(term: str) -> list[str]:
    return [
        term,
        term.upper(),
        term.replace(", ", " "),
        term.replace(", ", "/"),
        term.replace(" ", "  "),
        f" {term}",
        f"{term} ",
        f"{term}..",
        f"../{term}",
        f"{term} 🧬",
        f"{term} 암",
    ]


def test_sample_has_real_mesh_terms():
    terms = _sample_terms()
    assert len(terms) > 150
    assert "Aged, 80 and over" in terms
    assert "Carcinoma, Pancreatic Ductal" in terms


def test_slugs_are_safe_deterministic_and_collision_free():
    terms = set(HOSTILE)
    for term in _sample_terms():
        terms.update(_variants(term))
    by_slug: dict[str, set[str]] = defaultdict(set)
    for term in sorted(terms):
        slug = slugify(term)
        assert SAFE.fullmatch(slug), (term, slug)
        assert ".." not in slug and "/" not in slug and "\\" not in slug
        assert slugify(term) == slug  # deterministic
        by_slug[slug].add(term)
    assert len(terms) > 1500
    for slug, group in by_slug.items():
        if len(group) > 1:
            # the only allowed collision: simple terms equal ignoring case ("Cell" / "cell")
            assert all(SIMPLE.fullmatch(t) and len(t) <= 60 for t in group), (slug, group)
            assert len({t.casefold() for t in group}) == 1, (slug, group)


@pytest.mark.parametrize(
    "terms",
    [
        ("RNA, Transfer", "RNA Transfer", "RNA/Transfer", "RNA Transfer ", "RNA-Transfer"),
        ("..", "...", ".", "", " ", "/"),
        ("유방암", "폐암", "🧬", "🦠"),
        ("x" * 61, "x" * 62, "x" * 60 + "y"),
        ("Café", "Cafe\u0301", "Cafe"),
    ],
)
def test_lookalikes_get_distinct_slugs(terms):
    assert len({slugify(t) for t in terms}) == len(terms)


@pytest.mark.parametrize("term", ["index", "Index", "INDEX"])
def test_index_is_reserved_for_the_folder_pages(term):
    # keywords/index.md and mesh/index.md are the lists themselves
    assert re.fullmatch(r"index--[0-9a-f]{8}", slugify(term))
    assert slugify("Index Medicus") == "index-medicus"


def test_only_case_collides():
    assert slugify("Cell") == slugify("cell") == slugify("CELL")
    assert slugify("Cell") != slugify("Cell ")


def test_slug_is_stable_across_releases():
    # Page URLs are public: changing the hash or the readable part breaks every bookmark.
    assert slugify("RNA, Transfer") == "rna-transfer--c19425fb"
    assert slugify("..") == "term--9d891e73"
    assert slugify("tumour-derived exosomes") == "tumour-derived-exosomes--4b82960d"
