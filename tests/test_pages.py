"""Paper pages: frontmatter round-trips, escaped bodies, and what a page remembers."""

from __future__ import annotations

import dataclasses
import os
import re

import pytest

from generator.config.model import Config
from generator.kb.ingest import ingest_files, plan_page
from generator.kb.pages import (
    NOTES_MARKER,
    PageOptions,
    PageState,
    extract_notes,
    paper_path,
    read_page_state,
    render_paper_page,
    split_page,
)
from generator.kb.score import Reason, Score
from generator.pubmed.models import (
    AbstractSection,
    Author,
    CommentCorrection,
    Grant,
    Journal,
    MeshHeading,
    OtherAbstract,
    Paper,
)
from generator.pubmed.parse import parse_file
from generator.utils.errors import PageError
from tests.conftest import SAMPLE_XML, mtimes, parse_html, tree_bytes

LOW = Score(0.0, "low")
OPTIONS = PageOptions()

HOSTILE_TITLES = [
    "Plain title.",
    "Exosomes: a review: part 2",
    "It's \"quoted\" and 'single'",
    "# not a heading",
    "#hashtag",
    "- leading dash",
    "? leading question",
    ": leading colon",
    "{{ jinja }} and {% block %}",
    "<script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "유방암 환자의 유전체 분석",
    "🧬 DNA 🦠 repair",
    "---",
    "--- leading rule",
    "a\n---\nb",
    "line one\nline two",
    "yes",
    "no",
    "null",
    "~",
    "1e3",
    "0x1F",
    "012",
    ".inf",
    "2025-07-08",
    "2025-07-08 10:00:00",
    "true",
    "[a, b]",
    "{a: b}",
    "&anchor *alias !tag %directive @at `tick",
    "| pipe | table |",
    "> quote",
    "  padded  ",
    "tab\there",
    "a\u2028b\u0085c",
    "\ufeffbom",
    "x" * 5000,
    "Long " * 400,
]


def full_paper(**changes) -> Paper:
    """A record with every field set, some of them hostile."""
    p = Paper(
        pmid="12345678",
        pmid_version="1",
        title="Exosomes *carry* <b>RNA</b> [x](javascript:alert(1))",
        vernacular_title="Les exosomes _tumoraux_",
        abstract=(
            AbstractSection("Exosomes are <i>small</i>.", "BACKGROUND", "BACKGROUND"),
            AbstractSection("1. We measured [things](http://x).", "METHODS", "METHODS"),
            AbstractSection("Exosomes predict relapse | p<0.05.", "CONCLUSIONS", "CONCLUSIONS"),
        ),
        other_abstracts=(
            OtherAbstract((AbstractSection("Résumé *ici*."),), language="fre", type="Publisher"),
        ),
        copyright="© 2025 <Publisher> & co",
        authors=(
            Author(last_name="O'Brien", fore_name="Seán", affiliations=("Dept *A*, <Uni>",)),
            Author(collective_name="TRACERx [consortium]"),
        ),
        journal=Journal(
            title="Cell", iso_abbreviation="Cell", volume="1*2", issue="_3_", pages="4-5"
        ),
        pub_date="2025-07-08",
        electronic_date="2025-07-01",
        entrez_date="2025-07-02",
        doi="10.1016/j.cell.2025.01.001",
        pmcid="PMC123",
        keywords=("exosomes", "liquid *biopsy*"),
        mesh=(
            MeshHeading("Exosomes", "D055354", True),
            MeshHeading("RNA, Transfer", None, False, (("metabolism", True),)),
        ),
        supplementary_concepts=("Thing <X>",),
        publication_types=("Journal Article", "Review"),
        languages=("eng",),
        grants=(Grant("R01 *CA*", "NCI", "United States"),),
        comments_corrections=(CommentCorrection("CommentIn", "Nature 2025", "999"),),
        citation_status="MEDLINE",
    )
    return dataclasses.replace(p, **changes)


def render(paper: Paper, state: PageState | None = None, score: Score = LOW, **options) -> str:
    return render_paper_page(
        paper, state or PageState(), score, "2025-07-20", PageOptions(**options)
    )


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_any_title_round_trips_through_the_frontmatter(render_md, title):
    text = render(Paper(pmid="1", title=title))
    meta, body = split_page(text)
    assert meta["title"] == title
    assert isinstance(meta["title"], str)
    first = body.split("\n", 1)[0]
    assert first.startswith("# ")
    # the heading is one line with the title's words, shown literally
    parsed = parse_html(render_md(first))
    assert parsed.tag_names() == ["h1", "a"]
    assert parsed.text.rstrip("¶") == " ".join(title.split())


def test_frontmatter_types_and_order():
    meta, _ = split_page(render(full_paper(), PageState(search_keywords=("cancer",))))
    assert list(meta)[:4] == ["kb_schema", "pmid", "pmid_version", "title"]
    assert meta["pmid"] == "12345678"  # a string, never an int
    assert meta["year"] == 2025
    assert meta["pub_date"] == "2025-07-08"  # a string, never a date
    assert meta["collected"] == meta["updated"] == "2025-07-20"
    assert meta["authors"] == ["Seán O'Brien", "TRACERx [consortium]"]
    assert meta["mesh"] == ["Exosomes", "RNA, Transfer"]
    assert meta["mesh_major"] == ["Exosomes"]
    assert meta["grants"] == [{"id": "R01 *CA*", "agency": "NCI", "country": "United States"}]
    assert meta["search_keywords"] == ["cancer"]
    assert meta["description"] == "Exosomes predict relapse | p<0.05."
    assert meta["retracted"] is False
    assert meta["url"] == "https://pubmed.ncbi.nlm.nih.gov/12345678/"


def test_empty_title_gets_a_label():
    assert split_page(render(Paper(pmid="1", title="")))[0]["title"] == "(no title)"
    assert split_page(render(Paper(pmid="1", title=""), language="ko"))[0]["title"] == "(제목 없음)"


def test_description_is_at_most_200_characters():
    p = Paper(pmid="1", title="t", abstract=(AbstractSection("Word " * 300, "CONCLUSIONS"),))
    meta, _ = split_page(render(p))
    assert len(meta["description"]) <= 200
    assert meta["description"].endswith("…")


def _plain(value):
    """``value`` with every markup character of every string removed (same structure)."""
    if isinstance(value, str):
        return re.sub(r"[^\w ,.:-]", "", value).lstrip("0123456789.- ") or "x"
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if dataclasses.is_dataclass(value):
        keep = {"pmid", "doi", "pmcid", "category", "ref_type", "pub_date", "electronic_date"}
        changes = {
            f.name: getattr(value, f.name) if f.name in keep else _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value


def test_every_piece_of_paper_text_is_escaped(render_md):
    html = render_md(split_page(render(full_paper()))[1])
    plain = render_md(split_page(render(_plain(full_paper())))[1])
    parsed = parse_html(html)
    assert "<script" not in html
    # hostile text adds no element at all: the same tags as the page of a plain record
    assert parsed.tag_names() == parse_html(plain).tag_names()
    # every link is one the generator made, never one from the data
    assert not [h for h in parsed.hrefs() if h.startswith(("javascript:", "http://x"))]
    for literal in (
        "Exosomes *carry* <b>RNA</b> [x](javascript:alert(1))",
        "Les exosomes _tumoraux_",
        "Exosomes are <i>small</i>.",
        "1. We measured [things](http://x).",
        "Exosomes predict relapse | p<0.05.",
        "Résumé *ici*.",
        "© 2025 <Publisher> & co",
        "Seán O'Brien: Dept *A*, <Uni>",
        "TRACERx [consortium]",
        "2025;1*2(_3_):4-5",  # year;volume(issue):pages in the citation line
        "liquid *biopsy*",
        "Thing <X>",
        "R01 *CA* (NCI, United States)",
    ):
        assert literal in parsed.text, literal


def test_page_links(render_md):
    _, body = split_page(
        render(full_paper(), PageState(search_keywords=("tumour-derived exosomes",)))
    )
    hrefs = parse_html(render_md(body)).hrefs()
    assert "../keywords/tumour-derived-exosomes--4b82960d.md" in hrefs
    assert "../mesh/exosomes.md" in hrefs
    assert "../mesh/rna-transfer--c19425fb.md" in hrefs
    assert "https://doi.org/10.1016/j.cell.2025.01.001" in hrefs
    assert "https://pmc.ncbi.nlm.nih.gov/articles/PMC123/" in hrefs
    assert "https://pubmed.ncbi.nlm.nih.gov/999/" in hrefs  # the CommentIn notice


def test_abstract_sections_keep_their_labels(render_md):
    _, body = split_page(render(full_paper()))
    abstract = body.split("## Abstract\n", 1)[1].split("\n## ", 1)[0]
    assert "**BACKGROUND**: Exosomes are &lt;i&gt;small&lt;/i&gt;." in abstract
    html = render_md(abstract)
    assert "<p><strong>METHODS</strong>: 1. We measured [things](http://x).</p>" in html
    assert "<h3" in html and "Other abstract (fre, Publisher)" in parse_html(html).text


def test_unlabelled_abstract_starting_like_a_list_stays_a_paragraph(render_md):
    p = Paper(pmid="1", title="t", abstract=(AbstractSection("1. First, - second."),))
    _, body = split_page(render(p))
    parsed = parse_html(render_md(body))
    assert "ol" not in parsed.tag_names()
    assert "1. First, - second." in parsed.text


def test_summary_uses_the_conclusion_marked_in_the_abstract(render_md):
    meta, body = split_page(render(full_paper()))
    assert meta["description"] == "Exosomes predict relapse | p<0.05."
    summary = body.split("## Summary\n", 1)[1].split("\n## ", 1)[0]
    text = parse_html(render_md(summary)).text
    assert "Study type: review" in text
    assert "key sentences" in text and "marked" in text
    assert "Exosomes predict relapse" not in text  # not said twice
    abstract = render_md(body.split("## Abstract\n", 1)[1].split("\n## ", 1)[0])
    assert "<mark>Exosomes predict relapse &#124; p&lt;0.05.</mark>" in abstract or (
        "<mark>Exosomes predict relapse | p&lt;0.05.</mark>" in abstract
    )


def test_a_summary_sentence_cut_short_is_shown_not_marked(render_md):
    long = "Exosomes " + "and vesicles " * 60 + "matter."
    p = full_paper(abstract=(AbstractSection(long + " Short."),))
    meta, body = split_page(render(p))
    assert meta["description"].endswith("…")
    assert "<mark>" not in body
    summary = body.split("## Summary\n", 1)[1].split("\n## ", 1)[0]
    assert "Extracted from the abstract (not machine-written)." in summary


@pytest.mark.parametrize(
    ("corrections", "types"),
    [
        ((CommentCorrection("RetractionIn", "Cell 2026;1:2", "777"),), ("Journal Article",)),
        ((), ("Journal Article", "Retracted Publication")),
    ],
)
def test_a_retracted_paper_shows_the_danger_admonition(render_md, corrections, types):
    p = full_paper(comments_corrections=corrections, publication_types=types)
    meta, body = split_page(render(p))
    assert meta["retracted"] is True
    assert body.split("\n")[2] == '!!! danger "Retracted publication"'
    html = render_md(body)
    assert '<div class="admonition danger">' in html
    assert '<p class="admonition-title">Retracted publication</p>' in html
    if corrections:
        assert '<a href="https://pubmed.ncbi.nlm.nih.gov/777/">Cell 2026;1:2</a>' in html


def test_a_paper_that_is_not_retracted_has_no_admonition(render_md):
    assert "admonition" not in render_md(split_page(render(full_paper()))[1])


def test_sample_pages_say_the_abstract_is_not_included():
    p = full_paper(abstract=(), other_abstracts=())
    meta, body = split_page(render(p, abstract_omitted=True, sample=True))
    assert meta["abstract_omitted"] is True
    assert meta["sample"] is True
    sentence = (
        "The abstract is not included in the offline sample; "
        "read it on PubMed (the PMID link above)."
    )
    assert body.count(sentence) == 1  # in the abstract section, not again in the summary
    real_meta, real_body = split_page(render(p))
    assert real_meta["abstract_omitted"] is False
    assert "No summary: this record has no abstract." in real_body
    assert "PubMed has no abstract for this record." in real_body


def test_sample_pmids_from_the_demo_all_say_so(sample_kb: Config):
    pages = sorted((sample_kb.site_src / "papers").glob("[0-9]*.md"))
    assert len(pages) == 30
    for page in pages:
        meta, body = split_page(page.read_text(encoding="utf-8"))
        assert meta["sample"] is True and meta["abstract_omitted"] is True
        assert "not included in the offline sample" in body


def test_korean_pages(render_md):
    _, body = split_page(render(full_paper(), language="ko"))
    for heading in (
        "## 요약",
        "## 논문 정보",
        "## 초록",
        "## 수집 정보",
        "## 메타데이터",
    ):
        assert f"\n{heading}\n" in body
    assert "## 메모" not in body  # the notes heading shows only over notes
    _, noted = split_page(render(full_paper(), PageState(notes="제 메모"), language="ko"))
    assert "\n## 메모\n" in noted


def test_score_reasons_are_explained():
    score = Score(
        0.5, "medium", (Reason("priority", "exo*somes", 0.3), Reason("title", "x", 0.2)), "t"
    )
    _, body = split_page(render(full_paper(), score=score))
    assert "- **Reading priority**: Medium priority (keyword score 0.50)" in body
    assert "- **Why**: t: priority keyword “exo\\*somes” +0.30; in the title “x” +0.20" in body


@pytest.mark.parametrize("pmid", ["../1", "1/2", "", "12a", "-1", "1.0"])
def test_paper_path_refuses_non_numeric_pmids(pmid):
    with pytest.raises(PageError, match="non-numeric PMID"):
        paper_path(pmid)


def test_broken_frontmatter_is_a_page_error():
    with pytest.raises(PageError, match=r"papers/1\.md: frontmatter is not valid YAML"):
        read_page_state("---\ntitle: [unclosed\n---\nbody\n", "papers/1.md")
    with pytest.raises(PageError, match="search_keywords must be a list"):
        read_page_state("---\nsearch_keywords: cancer\n---\nbody\n", "papers/1.md")


# --- what a page remembers between runs -------------------------------------------


def plan(paper: Paper, existing: str | None, keywords, config: Config, today: str) -> str:
    return plan_page(paper, existing, keywords, config, today, OPTIONS)


NOTES = "My note: *important*.\n\n- [ ] read the methods\n\n    code block kept as is\n"


def test_notes_survive_a_rerender_with_changed_data(kb: Config):
    first = plan(full_paper(), None, ["cancer"], kb, "2025-07-01")
    assert first.endswith(NOTES_MARKER + "\n")
    edited = first + NOTES
    changed = full_paper(title="A corrected title", doi="10.1/new")
    second = plan(changed, edited, ["germline"], kb, "2025-08-01")
    meta, body = split_page(second)
    assert meta["title"] == "A corrected title"
    assert second.endswith(NOTES_MARKER + "\n" + NOTES)
    assert extract_notes(body) == NOTES.strip("\n")
    assert body.count(NOTES_MARKER) == 1
    # and again, unchanged: byte for byte the same
    assert plan(changed, second, ["germline"], kb, "2025-09-01") == second


def test_notes_under_a_notes_heading_without_the_marker_are_kept(kb: Config):
    page = plan(full_paper(), None, [], kb, "2025-07-01")
    # a page of an older layout: a Notes heading, no marker
    legacy = page.replace(NOTES_MARKER + "\n", "") + "## Notes\n\nHand-written.\n"
    again = plan(full_paper(), legacy, [], kb, "2025-08-01")
    assert again.endswith(NOTES_MARKER + "\nHand-written.\n")


def test_collected_never_changes_and_updated_moves_only_on_change(kb: Config):
    first = plan(full_paper(), None, ["cancer"], kb, "2025-07-01")
    meta = split_page(first)[0]
    assert (meta["collected"], meta["updated"]) == ("2025-07-01", "2025-07-01")

    same = plan(full_paper(), first, ["cancer"], kb, "2025-08-01")
    assert same == first  # nothing changed: not even the date

    repaged = full_paper(journal=dataclasses.replace(full_paper().journal, pages="4-9"))
    changed = plan(repaged, first, ["cancer"], kb, "2025-08-01")
    meta = split_page(changed)[0]
    assert (meta["collected"], meta["updated"]) == ("2025-07-01", "2025-08-01")
    assert meta["pages"] == "4-9"

    later = plan(repaged, changed, ["cancer"], kb, "2025-09-01")
    assert later == changed


def test_search_keywords_accumulate(kb: Config):
    page = plan(full_paper(), None, ["germline"], kb, "2025-07-01")
    page = plan(full_paper(), page, ["cancer"], kb, "2025-07-02")
    page = plan(full_paper(), page, ["germline", "cancer"], kb, "2025-07-03")
    page = plan(full_paper(), page, [], kb, "2025-07-04")
    meta = split_page(page)[0]
    assert meta["search_keywords"] == ["cancer", "germline"]
    assert meta["updated"] == "2025-07-02"  # the last real change
    assert meta["collected"] == "2025-07-01"


def test_the_score_uses_every_topic_that_ever_matched(kb: Config):
    p = full_paper(title="BRCA1 germline variants", keywords=(), mesh=(), abstract=())
    page = plan(p, None, ["cancer"], kb, "2025-07-01")
    assert split_page(page)[0]["relevance"] != "high"
    page = plan(p, page, ["germline"], kb, "2025-07-02")
    meta, body = split_page(page)
    assert meta["relevance"] == "high"
    assert "- **Why**: germline: " in body


def test_first_collected_is_used_for_a_new_page_only(kb: Config):
    page = plan_page(
        full_paper(), None, [], kb, "2025-07-20", OPTIONS, first_collected="2025-07-15"
    )
    meta = split_page(page)[0]
    assert (meta["collected"], meta["updated"]) == ("2025-07-15", "2025-07-15")
    again = plan_page(
        full_paper(), page, [], kb, "2025-08-20", OPTIONS, first_collected="2020-01-01"
    )
    assert again == page


def test_ingest_twice_is_byte_identical_and_touches_nothing(kb: Config):
    first = ingest_files([SAMPLE_XML], kb, "2025-07-20", ["cancer"])
    assert len(first.created) == 30
    papers = kb.site_src / "papers"
    before = tree_bytes(papers)
    for path in papers.iterdir():
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    stamps = mtimes(papers)

    second = ingest_files([SAMPLE_XML], kb, "2025-08-01", ["cancer"])
    assert second.created == second.updated == []
    assert sorted(second.unchanged) == sorted(first.created)
    assert second.summary() == "0 new, 0 updated, 30 unchanged"
    assert tree_bytes(papers) == before
    assert mtimes(papers) == stamps


def test_every_written_page_reads_back(kb: Config):
    ingest_files([SAMPLE_XML], kb, "2025-07-20", ["cancer", "germline"])
    records = {r.pmid: r for r in parse_file(SAMPLE_XML)}
    for path in sorted((kb.site_src / "papers").glob("*.md")):
        state = read_page_state(path.read_text(encoding="utf-8"), str(path))
        assert state.meta["pmid"] == path.stem
        assert state.meta["title"] == records[path.stem].title
        assert state.search_keywords == ("cancer", "germline")
        assert state.notes == ""
