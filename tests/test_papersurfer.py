"""Paper Surfer import: notes → pages (merging, encodings, user text, --refresh) and
config.py → kb.yml. Real notes come from ../shared/paper-surfer-notes (skipped if absent)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from generator import cli, pipeline
from generator.config.load import load_config
from generator.config.model import Config
from generator.kb.pages import (
    NOTES_MARKER,
    PageOptions,
    PageState,
    extract_notes,
    render_paper_page,
    split_page,
)
from generator.kb.score import Score
from generator.papersurfer.convert import convert_config
from generator.papersurfer.importer import ImportReport, read_notes
from generator.papersurfer.notes import (
    NotANote,
    build_paper,
    group_notes,
    parse_note,
    split_abstract,
)
from generator.papersurfer.text import decode_text, split_joined
from generator.pubmed.eutils import EutilsClient
from generator.pubmed.models import Paper
from generator.pubmed.parse import iter_records
from generator.utils.clock import fixed_clock
from generator.utils.errors import ConfigError, KBError
from tests.conftest import FIXTURES, mtimes, tree_bytes, write_kb
from tests.eutils_standin import EutilsStandin

SHARED = Path(__file__).resolve().parents[2] / "shared"
NOTES = SHARED / "paper-surfer-notes"
SEED = SHARED / "seeds"
HERE = FIXTURES / "papersurfer"
OLDER = HERE / "older_template"
TRNA = OLDER / "high_relevance" / "paper_tRNA modifications tune m_PMID_40311619.md"
TODAY = "2025-08-01"
MOJIBAKE = ("üìù", "\uf8ff", "Ã", "â€", "Â")

needs_shared = pytest.mark.skipif(
    not NOTES.is_dir() or not SEED.is_dir(),
    reason=f"the shared Paper Surfer notes are not at {SHARED} (a clone outside the workplace)",
)


def pages(config: Config) -> dict[str, tuple[dict, str]]:
    """Every paper page as {pmid: (frontmatter, body)}, read back through the YAML parser."""
    folder = config.site_src / "papers"
    return {
        p.stem: split_page(p.read_text(encoding="utf-8"), str(p))
        for p in sorted(folder.glob("*.md"))
    }


def note_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the real notes


@needs_shared
def test_the_shared_notes_give_one_page_per_pmid(kb: Config):
    report = pipeline.import_papersurfer(kb, [NOTES, SEED], clock=fixed_clock(TODAY))
    assert (report.files, len(report.notes), report.skipped) == (141, 141, [])
    assert (report.papers, report.duplicates_merged) == (126, 15)
    assert report.repaired == [
        ("seeds/000_8140068d12de1149.txt", "mojibake undone (UTF-8 read as Mac Roman)")
    ]
    assert len(report.created) == 126 and not report.updated and not report.kept
    on_disk = pages(kb)
    assert len(on_disk) == 126

    # What every note said, grouped by PMID straight from the files.
    expected: dict[str, list[tuple[str, str, float, str]]] = {}
    for f in sorted(NOTES.rglob("*.md")):
        n = parse_note(note_text(f), f.name)
        expected.setdefault(n.pmid, []).append(
            (n.collected, n.search_keywords[0], n.score, n.relevance)
        )
    assert set(expected) == set(on_disk)
    for pmid, seen in expected.items():
        meta, body = on_disk[pmid]
        assert meta["collected"] == min(c for c, *_ in seen)[:10], pmid
        assert set(meta["search_keywords"]) == {k for _, k, *_ in seen}, pmid
        imported = meta["imported"]
        assert imported["source"] == "paper-surfer" and imported["refreshed"] is False
        history = [
            (h["collected"], h["search_keywords"][0], h["score"], h["relevance"])
            for h in imported["history"]
        ]
        assert history == sorted(set(seen)), pmid
        assert len(imported["notes"]) >= len(seen)
        assert body.split("\n")[2] == "!!! note", pmid  # the notice, right after the title
        for bad in MOJIBAKE:
            assert bad not in body and bad not in str(meta), (pmid, bad)

    # A paper filed three times, over two days, with two grades.
    meta, _ = on_disk["40652157"]
    assert meta["collected"] == "2025-07-15"
    assert [(h["score"], h["relevance"]) for h in meta["imported"]["history"]] == [
        (0.7, "medium"),
        (0.72, "high"),
        (0.72, "high"),
        (0.72, "high"),
    ]
    # The seed and its twin in the notes are one page; MeSH lists split back correctly.
    meta, _ = on_disk["40629355"]
    assert meta["imported"]["notes"][-1] == "seeds/000_8140068d12de1149.txt"
    meta, _ = on_disk["40311619"]
    assert meta["mesh"][:7] == [
        "Adenosine",
        "Humans",
        "RNA, Transfer",
        "RNA Stability",
        "RNA, Messenger",
        "Thiouridine",
        "Neoplasms",
    ]
    assert "Cell Line, Tumor" in meta["mesh"]
    assert meta["mesh"][-1] == "RNA Processing, Post-Transcriptional"


@needs_shared
def test_a_rerun_changes_nothing(kb: Config):
    pipeline.import_papersurfer(kb, [NOTES, SEED], clock=fixed_clock(TODAY))
    before, stamps = tree_bytes(kb.site_src), mtimes(kb.site_src)
    again = pipeline.import_papersurfer(kb, [NOTES, SEED], clock=fixed_clock("2026-01-01"))
    assert len(again.unchanged) == 126 and not again.created and not again.updated
    assert tree_bytes(kb.site_src) == before
    assert mtimes(kb.site_src) == stamps  # not even rewritten


@needs_shared
def test_the_sample_pmids_split_their_mesh_as_the_embedded_sample_does(kb: Config):
    report = ImportReport()
    groups = {g.pmid: g for g in group_notes(read_notes([NOTES], report))}
    sample = FIXTURES.parent.parent / "generator" / "sample" / "pubmed_sample.xml"
    for record in iter_records(sample):
        paper = build_paper(groups[record.pmid].source)
        assert [m.descriptor for m in paper.mesh] == [m.descriptor for m in record.mesh]
        assert paper.publication_types == record.publication_types
        assert [a.display_name for a in paper.authors] == [a.display_name for a in record.authors]
        assert (paper.doi, paper.journal.title) == (record.doi, record.journal.title)


@needs_shared
def test_the_users_own_text_is_kept_once(kb: Config, tmp_path: Path):
    notes = tmp_path / "vault"
    shutil.copytree(NOTES / "2025-07-17", notes / "2025-07-17")
    # Three copies of one paper; the user wrote in two of them, the same text in both.
    folder = notes / "2025-07-17" / "high_relevance"
    copies = sorted(folder.glob("*_PMID_40652157*.md"))
    assert len(copies) == 3
    after_footer = "My take: check the ESR1 calls against our cohort. #to-read"
    for copy in copies[:2]:
        copy.write_text(note_text(copy) + "\n" + after_footer + "\n", encoding="utf-8")
    # Another note: a section of the user's own, a property block and an extra field.
    other = next((notes / "2025-07-17" / "low_relevance").glob("*_PMID_40664060.md"))
    text = note_text(other).replace(
        "## Collection Information",
        "## Lab discussion\nDiscussed on 2025-07-20: *ask Jin about VUS calls*.\n\n"
        "## Collection Information",
    )
    text = text.replace("- **Language**: eng", "- **Language**: eng\n- **Read**: yes")
    other.write_text("---\ntags: [brca]\n---\n" + text, encoding="utf-8")

    report = pipeline.import_papersurfer(kb, [notes], clock=fixed_clock(TODAY))
    assert not report.skipped
    on_disk = pages(kb)
    notes_40652157 = extract_notes(on_disk["40652157"][1])
    assert notes_40652157.count(after_footer) == 1
    assert "From the Paper Surfer note vault/2025-07-17/high\\_relevance/" in notes_40652157
    notes_40664060 = extract_notes(on_disk["40664060"][1])
    assert "## Lab discussion\nDiscussed on 2025-07-20: *ask Jin about VUS calls*." in (
        notes_40664060
    )
    assert "- **Read**: yes" in notes_40664060
    assert "```yaml\n---\ntags: [brca]\n---\n```" in notes_40664060
    # Template text is not taken for the user's.
    assert "Keyword Matching Score" not in notes_40664060
    assert "automatically generated" not in notes_40664060

    # The user writes on the page, then imports again with one more note: both kept, once.
    page = kb.site_src / "papers" / "40652157.md"
    page.write_text(note_text(page) + "\nRead it twice.\n", encoding="utf-8")
    third = copies[2]
    third.write_text(note_text(third) + "\nA later thought.\n", encoding="utf-8")
    pipeline.import_papersurfer(kb, [notes], clock=fixed_clock("2025-08-02"))
    final = extract_notes(split_page(note_text(page))[1])
    for line in (after_footer, "Read it twice.", "A later thought."):
        assert final.count(line) == 1, line
    before = tree_bytes(kb.site_src)
    pipeline.import_papersurfer(kb, [notes], clock=fixed_clock("2025-08-03"))
    assert tree_bytes(kb.site_src) == before


# --------------------------------------------------------------------------- hand-made notes


def test_the_older_template_with_crlf_line_ends(tmp_path: Path):
    text = note_text(TRNA).replace("\n", "\r\n")
    assert "\r\n" in text and "Relevance Category" not in text and "Summary" not in text
    note = parse_note(text, "x.md", folder="high_relevance")
    assert (note.pmid, note.collected, note.search_keywords) == (
        "40311619",
        "2025-07-10 21:05:12",
        ("cancer",),
    )
    assert note.score == pytest.approx(1 / 3)
    assert note.relevance == "high"  # from the folder: the older template has no line for it
    assert note.user_text == ""
    assert parse_note(text, "x.md").relevance is None
    paper = build_paper(note)
    assert paper.title == "tRNA modifications tune m"
    assert [a.display_name for a in paper.authors][3] == "Samie R Jaffrey"
    assert paper.authors[3].last_name == "Jaffrey"
    assert paper.journal.title == "Cell" and paper.pub_date == "2025-07-10"
    assert (paper.doi, paper.pmcid, paper.languages) == (
        "10.1016/j.cell.2025.04.013",
        "PMC12255531",
        ("eng",),
    )
    assert paper.keywords[1] == "cancer" and len(paper.keywords) == 5
    assert [m.descriptor for m in paper.mesh] == [
        "Adenosine",
        "Humans",
        "RNA, Transfer",
        "RNA Stability",
        "RNA, Messenger",
        "Neoplasms",
        "Cell Line, Tumor",
        "RNA Processing, Post-Transcriptional",
        "Gene Products, env",
        "rab GTP-Binding Proteins",
        "Aged, 80 and over",
    ]
    assert paper.publication_types == (
        "Journal Article",
        "Research Support, N.I.H., Extramural",
        "Research Support, Non-U.S. Gov't",
    )
    assert [g.grant_id for g in paper.grants] == ["R35 NS111631", "RM1 HG011563"]
    assert len(paper.abstract) == 1 and paper.abstract[0].label is None


def test_what_the_user_added_to_a_note_is_told_apart_from_the_template():
    text = note_text(TRNA)
    text = "---\ntags: [rna]\n# a YAML comment\n---\n#to-read\n" + text
    text = text.replace(
        "## Collection Information", "## My notes\nCompare with m1A.\n\n## Collection Information"
    )
    text = text.replace("as in N\n", "as in N\n\nSecond paragraph: mine.\n")
    text = text.replace("- **Language**: eng", "- **Language**: eng\n- **Rating**: 4/5")
    text += "\nAfter the footer.\n"
    note = parse_note(text, "x.md")
    assert note.heading == "tRNA modifications tune m"
    assert note.abstract.endswith("as in N")
    assert note.user_text == (
        "```yaml\n---\ntags: [rna]\n# a YAML comment\n---\n```\n\n#to-read\n\n"
        "Second paragraph: mine.\n\n## My notes\nCompare with m1A.\n\n"
        "- **Rating**: 4/5\n\nAfter the footer."
    )
    assert parse_note(note_text(TRNA), "x.md").user_text == ""


def test_a_cr_only_note_and_a_bom(tmp_path: Path):
    data = b"\xef\xbb\xbf" + note_text(TRNA).replace("\n", "\r").encode("utf-8")
    text, repairs = decode_text(data)
    assert repairs == []
    assert parse_note(text, "x.md").pmid == "40311619"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("scholar_note.md", "not a Paper Surfer note"),
        ("footer_without_pmid.md", "no '- **PMID**:' line"),
        ("summary_20250715_094623.md", "not a Paper Surfer note"),
    ],
)
def test_files_that_are_not_notes_are_skipped_with_a_reason(name: str, reason: str):
    with pytest.raises(NotANote, match=r".*" + reason.replace("*", r"\*")):
        parse_note(note_text(HERE / "not_notes" / name), name)


def test_the_import_reports_what_it_skipped(kb: Config, tmp_path: Path):
    folder = tmp_path / "mixed"
    shutil.copytree(HERE / "not_notes", folder / "not_notes")
    shutil.copytree(OLDER, folder / "older")
    (folder / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (folder / "binary.md").write_bytes(b"\x00\x01\x02 PMID")
    (folder / ".obsidian").mkdir()
    (folder / ".obsidian" / "app.json").write_text("{}", encoding="utf-8")
    report = pipeline.import_papersurfer(kb, [folder], clock=fixed_clock(TODAY))
    assert report.notes == [
        "mixed/older/high_relevance/paper_tRNA modifications tune m_PMID_40311619.md"
    ]
    assert dict(report.skipped) == {
        "mixed/binary.md": "a binary file",
        "mixed/figure.png": "not a .md/.markdown/.txt file",
        "mixed/not_notes/footer_without_pmid.md": (
            "a Paper Surfer footer but no '- **PMID**:' line"
        ),
        "mixed/not_notes/scholar_note.md": (
            "not a Paper Surfer note (no 'automatically generated by Paper Surfer' footer)"
        ),
        "mixed/not_notes/summary_20250715_094623.md": (
            "not a Paper Surfer note (no 'automatically generated by Paper Surfer' footer)"
        ),
    }
    assert report.created == ["40311619"]
    meta, _ = pages(kb)["40311619"]
    assert meta["collected"] == "2025-07-10" and meta["updated"] == "2025-07-10"
    assert meta["imported"]["history"] == [
        {
            "collected": "2025-07-10 21:05:12",
            "search_keywords": ["cancer"],
            "score": pytest.approx(1 / 3),
            "relevance": "high",
        }
    ]
    with pytest.raises(KBError, match="no such file or folder"):
        pipeline.import_papersurfer(kb, [tmp_path / "nowhere"], clock=fixed_clock(TODAY))


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("mangled", "fixed", "via"),
    [
        ("## \uf8ffüìù Summary (Korean)", "## 📝 Summary (Korean)", "Mac Roman"),
        (
            "caf√© ‚â§45 years, and ≥ 3 as written",
            "café ≤45 years, and ≥ 3 as written",
            "Mac Roman",
        ),
        ("Schr√∂dinger", "Schrödinger", "Mac Roman"),
        ("MÃ¼ller â€“ â€œquotedâ€\x9d", "Müller – “quoted”", "cp1252"),
        ("â‰¤45 years, cafÃ©", "≤45 years, café", "cp1252"),
    ],
)
def test_mojibake_is_undone(mangled: str, fixed: str, via: str):
    text, repairs = decode_text(mangled.encode("utf-8"))
    assert text == fixed
    assert repairs == [f"mojibake undone (UTF-8 read as {via})"]


@pytest.mark.parametrize(
    "good",
    [
        "naïve résumé, Müller, ≤45, ≥ 3, Δ42, µg, “quotes” – dashes",
        "종양 유래 엑소좀 📝 and 暗号",
        "Indoleamine-Pyrrole 2,3,-Dioxygenase; p ≤ 0.05; 5′-UTR",
        "√2 ≈ 1.41",
    ],
)
def test_good_text_is_left_alone(good: str):
    assert decode_text(good.encode("utf-8")) == (good, [])


def test_bytes_that_are_not_utf8_are_read_as_cp1252():
    text, repairs = decode_text("Müller – café".encode("cp1252"))
    assert text == "Müller – café"
    assert repairs == ["not UTF-8: read as cp1252"]


def test_a_mangled_note_is_repaired_and_counted(kb: Config, tmp_path: Path):
    good = note_text(TRNA).replace("Samie R Jaffrey", "Jörg Müller-Šimić")
    mangled = good.encode("utf-8").decode("mac_roman")
    (tmp_path / "n").mkdir()
    (tmp_path / "n" / "note.md").write_text(mangled, encoding="utf-8")
    report = pipeline.import_papersurfer(kb, [tmp_path / "n"], clock=fixed_clock(TODAY))
    assert report.repaired == [("n/note.md", "mojibake undone (UTF-8 read as Mac Roman)")]
    meta, _ = pages(kb)["40311619"]
    assert "Jörg Müller-Šimić" in meta["authors"]


# --------------------------------------------------------------------------- lists, abstracts


@pytest.mark.parametrize(
    ("joined", "terms"),
    [
        (
            "Animals, Doxorubicin, Mice, Inbred BALB C, Neoplasms, Female, Mice, Nude, "
            "Cell Line, Tumor",
            [
                "Animals",
                "Doxorubicin",
                "Mice, Inbred BALB C",
                "Neoplasms",
                "Female",
                "Mice, Nude",
                "Cell Line, Tumor",
            ],
        ),
        ("Codon, Nonsense, Humans, Cell Line, Cell Proliferation", None),
        ("Breast Neoplasms, TOR Serine-Threonine Kinases, rab GTP-Binding Proteins", None),
        ("Humans, Indoleamine-Pyrrole 2,3,-Dioxygenase, Mice, Inbred C57BL", None),
        ("Extracellular Vesicles, DNA, Humans, Sequence Analysis, DNA", None),
        ("Aged, Aged, 80 and over, Adolescent", ["Aged", "Aged, 80 and over", "Adolescent"]),
        ("Chromosomes, Human, Pair 17, History, 20th Century", None),
        ("Microscopy, Electron, Scanning, Drug Resistance, Multiple, Bacterial", None),
        ("Research Support, U.S. Gov't, P.H.S., Clinical Trial, Phase III, Review", None),
        ("", []),
    ],
)
def test_split_joined(joined: str, terms: list[str] | None):
    expected = {
        "Codon, Nonsense, Humans, Cell Line, Cell Proliferation": [
            "Codon, Nonsense",
            "Humans",
            "Cell Line",
            "Cell Proliferation",
        ],
        "Breast Neoplasms, TOR Serine-Threonine Kinases, rab GTP-Binding Proteins": [
            "Breast Neoplasms",
            "TOR Serine-Threonine Kinases",
            "rab GTP-Binding Proteins",
        ],
        "Humans, Indoleamine-Pyrrole 2,3,-Dioxygenase, Mice, Inbred C57BL": [
            "Humans",
            "Indoleamine-Pyrrole 2,3,-Dioxygenase",
            "Mice, Inbred C57BL",
        ],
        "Extracellular Vesicles, DNA, Humans, Sequence Analysis, DNA": [
            "Extracellular Vesicles",
            "DNA",
            "Humans",
            "Sequence Analysis, DNA",
        ],
        "Chromosomes, Human, Pair 17, History, 20th Century": [
            "Chromosomes, Human, Pair 17",
            "History, 20th Century",
        ],
        "Microscopy, Electron, Scanning, Drug Resistance, Multiple, Bacterial": [
            "Microscopy, Electron, Scanning",
            "Drug Resistance, Multiple, Bacterial",
        ],
        "Research Support, U.S. Gov't, P.H.S., Clinical Trial, Phase III, Review": [
            "Research Support, U.S. Gov't, P.H.S.",
            "Clinical Trial, Phase III",
            "Review",
        ],
    }.get(joined, terms)
    assert list(split_joined(joined)) == expected


def test_split_joined_is_ambiguous_where_a_tail_is_a_descriptor_too():
    # "Breast Neoplasms, Male" is a descriptor, but so are "Breast Neoplasms" and "Male",
    # which follow each other far more often: the split keeps them apart (documented).
    assert split_joined("Breast Neoplasms, Male, Humans") == ("Breast Neoplasms", "Male", "Humans")


@pytest.mark.skipif(not (SHARED / "pubmed").is_dir(), reason="../shared/pubmed is absent")
def test_split_joined_recovers_real_mesh_lists():
    """Join each real record's descriptors as the old tool did; split them back."""
    total = exact = 0
    for path in sorted((SHARED / "pubmed").rglob("*.xml*")):
        try:
            records = list(iter_records(path))
        except KBError:
            continue  # the corpus holds deliberately broken files
        for record in records:
            names = [m.descriptor for m in record.mesh] if isinstance(record, Paper) else []
            if names:
                total += 1
                exact += list(split_joined(", ".join(names))) == names
    assert total > 200
    assert exact / total >= 0.98, f"{exact}/{total} MeSH lists split back exactly"


@pytest.mark.parametrize(
    ("text", "sections"),
    [
        (
            "One plain paragraph. With HER2: a colon.",
            [(None, "One plain paragraph. With HER2: a colon.")],
        ),
        (
            "BACKGROUND: Why. METHODS: How (n = 3). RESULTS: What? CONCLUSIONS: So.",
            [
                ("BACKGROUND", "Why."),
                ("METHODS", "How (n = 3)."),
                ("RESULTS", "What?"),
                ("CONCLUSIONS", "So."),
            ],
        ),
        (
            "MATERIALS AND METHODS: We used BRCA1: and more. RESULTS: Done.",
            [("MATERIALS AND METHODS", "We used BRCA1: and more."), ("RESULTS", "Done.")],
        ),
        ("", []),
    ],
)
def test_split_abstract(text: str, sections: list[tuple[str | None, str]]):
    assert [(s.label, s.text) for s in split_abstract(text)] == sections


# --------------------------------------------------------------------------- pages


def test_the_notice_hook_renders_an_escaped_admonition_after_the_title(render_md):
    paper = Paper(pmid="1", title="A title")
    text = render_paper_page(
        paper, PageState(), Score(0.0, "low"), TODAY, PageOptions(notice="Cut *short* <here>")
    )
    _, body = split_page(text)
    assert body.split("\n")[:5] == [
        "# A title",
        "",
        "!!! note",
        "",
        "    Cut \\*short\\* &lt;here&gt;",
    ]
    html = render_md(body)
    assert '<div class="admonition note">' in html
    assert "Cut *short* &lt;here&gt;" in html
    plain = render_paper_page(paper, PageState(), Score(0.0, "low"), TODAY, PageOptions())
    assert "!!!" not in plain


def test_a_page_with_pubmed_data_is_not_overwritten_offline(kb: Config, tmp_path: Path):
    xml = tmp_path / "one.xml"
    xml.write_text(_document(_record("40311619", TRNA_TITLE_XML)), encoding="utf-8")
    pipeline.ingest(kb, [xml], clock=fixed_clock("2025-07-01"))
    page = kb.site_src / "papers" / "40311619.md"
    before = page.read_bytes()
    report = pipeline.import_papersurfer(kb, [OLDER], clock=fixed_clock(TODAY))
    assert report.kept == [
        (
            "40311619",
            "the page holds PubMed's data; import with --refresh to add these notes' "
            "history, keywords and text to it",
        )
    ]
    assert page.read_bytes() == before


# --------------------------------------------------------------------------- --refresh

TRNA_TITLE_XML = "tRNA modifications tune m<sup>6</sup>A-dependent mRNA decay."
FULL_TITLE = "tRNA modifications tune m6A-dependent mRNA decay."


def _record(pmid: str, title_xml: str) -> str:
    return (
        '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print"><Journal>'
        "<JournalIssue><PubDate><Year>2025</Year><Month>Jul</Month><Day>10</Day></PubDate>"
        "</JournalIssue><Title>Cell</Title><ISOAbbreviation>Cell</ISOAbbreviation></Journal>"
        f"<ArticleTitle>{title_xml}</ArticleTitle>"
        "<Abstract><AbstractText>Chemically modified nucleotides: a whole abstract, with "
        "N<sup>6</sup>-methyladenosine kept.</AbstractText></Abstract>"
        "<Language>eng</Language></Article></MedlineCitation>"
        '<PubmedData><ArticleIdList><ArticleId IdType="pubmed">'
        f"{pmid}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>"
    )


def _document(*records: str) -> str:
    return '<?xml version="1.0"?>\n<PubmedArticleSet>' + "".join(records) + "</PubmedArticleSet>\n"


def test_refresh_replaces_the_truncated_title_and_says_so(kb: Config, tmp_path: Path):
    pipeline.import_papersurfer(kb, [OLDER], clock=fixed_clock(TODAY))
    meta, body = pages(kb)["40311619"]
    assert meta["title"] == "tRNA modifications tune m"
    assert meta["imported"]["refreshed"] is False and "!!! note" in body

    standin = EutilsStandin(records={"40311619": _record("40311619", TRNA_TITLE_XML)})
    with standin.serve() as url:
        client = EutilsClient(url, email="lab@example.org")
        report = pipeline.import_papersurfer(
            kb, [OLDER], refresh=True, client=client, clock=fixed_clock("2025-08-02")
        )
    assert standin.fetched_ids() == ["40311619"]
    assert report.refreshed == ["40311619"] and report.updated == ["40311619"]
    meta, body = pages(kb)["40311619"]
    assert meta["title"] == FULL_TITLE
    assert meta["imported"]["refreshed"] is True
    assert "!!! note" not in body
    assert "N6-methyladenosine kept." in body
    assert meta["collected"] == "2025-07-10" and meta["updated"] == "2025-08-02"
    assert meta["imported"]["history"][0]["relevance"] == "high"  # the old grade, kept

    # Offline again: the page now holds PubMed's data, and the note brings nothing new.
    before = tree_bytes(kb.site_src)
    again = pipeline.import_papersurfer(kb, [OLDER], clock=fixed_clock("2025-08-03"))
    assert again.unchanged == ["40311619"] and not again.kept
    assert tree_bytes(kb.site_src) == before


def test_refresh_falls_back_to_the_note_when_pubmed_lacks_the_record(kb: Config, monkeypatch):
    standin = EutilsStandin(records={})
    with standin.serve() as url:
        monkeypatch.setenv("NCBI_EUTILS_URL", url)  # the client comes from the environment
        report = pipeline.import_papersurfer(kb, [OLDER], refresh=True, clock=fixed_clock(TODAY))
    assert report.refreshed == [] and report.created == ["40311619"]
    assert report.not_refreshed == [
        ("40311619", "PubMed did not return it (deleted?); built from the note")
    ]
    meta, _ = pages(kb)["40311619"]
    assert meta["imported"]["refreshed"] is False


# --------------------------------------------------------------------------- config.py


def test_the_old_config_becomes_a_kb_yml_that_loads(tmp_path: Path):
    output = tmp_path / "kb.yml"
    conversion = pipeline.convert_papersurfer_config(HERE / "config.py", output)
    text = output.read_text(encoding="utf-8")
    assert text == conversion.yaml_text
    assert "0123456789abcdef" not in text  # the API key never reaches kb.yml
    config = load_config(output)
    names = [t.name for t in config.topics]
    assert names == [
        "breast cancer",
        "cancer genomics",
        "sequencing",
        "mutation",
        "cancer",
        "evolution",
        "trajectory",
        "tumor",
        "somatic",
        "germline",
        "copy number",
        "Swanton",
    ]
    topic = config.topic("breast cancer")
    assert topic.query == '"breast cancer"[All Fields]'
    assert config.topic("Swanton").query == "Swanton[All Fields]"
    for t in config.topics:
        assert t.required_keywords == ("cancer",)
        assert t.max_results == 50
        assert dict(t.priority_keywords) == {
            "cancer evolution": 1.0,
            "evolution": 1.0,
            "clonal": 1.0,
            "whole genome doubling": 1.0,
            "WGD": 1.0,
            "copy number alteration": 1.0,
            "structural variation": 1.0,
            "trajectory": 1.0,
            "ecDNA": 1.0,
        }
    assert (config.scoring.thresholds.high, config.scoring.thresholds.medium) == (0.7, 0.4)
    assert config.scoring.filters.languages == ("eng",)
    assert config.scoring.filters.min_abstract_length == 50
    assert config.scoring.filters.publication_types == ()  # never applied by Paper Surfer
    assert config.harvest.lookback_days == 30  # from timedelta(days=30), not run
    assert config.email == "lab@example.org"
    assert config.high_impact_journals == ("nature", "cell", "science")
    # Comments say where each value came from, and what was left out and why.
    assert "# SCORE_THRESHOLDS" in text and "# REQUIRED_KEYWORDS" in text
    assert "#   0 2 * * 6  cd /path/to/this/folder && python -m generator site" in text
    left_out = dict(conversion.not_converted)
    assert "NCBI_API_KEY" in left_out["PUBMED_API_KEY"]
    assert "SCHEDULE_TIME" in left_out and "line 8" in left_out
    assert "SEARCH_KEYWORDS" in dict(conversion.converted)

    with pytest.raises(KBError, match="already exists; pass --force"):
        pipeline.convert_papersurfer_config(HERE / "config.py", output)
    output.write_text("old", encoding="utf-8")
    pipeline.convert_papersurfer_config(HERE / "config.py", output, force=True)
    assert output.read_text(encoding="utf-8") == text


def test_other_shapes_of_the_old_config(tmp_path: Path):
    source = """
SEARCH_KEYWORDS = ["exosomes", "liquid biopsy"]
PRIORITY_KEYWORDS = {"exosome": 2, "biomarker": 0.5}
EXCLUDE_KEYWORDS = ("retracted",)
SEARCH_DAYS_BACK = 14
ENABLE_DATE_FILTER = True
SCORE_THRESHOLDS = {"high": 1.5, "medium": 0.4}
MAX_RESULTS_PER_SEARCH = -1
CONTACT_EMAIL = "not an address"
MY_OWN_SETTING = 3
FILTER_SETTINGS = {"languages": ["english", "klingon"], "mystery": 1}
SCHEDULE_ENABLED = True
SCHEDULE_TIME = "09:30"
SCHEDULE_DAYS = ["monday", "thursday"]
if DEBUG_MODE:
    SEARCH_KEYWORDS = []
"""
    conversion = convert_config(source, "old.py")
    data = yaml.safe_load(conversion.yaml_text)
    config = load_config(write_kb(tmp_path / "kb", conversion.yaml_text))
    assert [t.name for t in config.topics] == ["exosomes", "liquid biopsy"]
    assert config.topic("liquid biopsy").query == '"liquid biopsy"[All Fields]'
    assert dict(config.topics[1].priority_keywords) == {"exosome": 2.0, "biomarker": 0.5}
    assert config.topics[1].exclude_keywords == ("retracted",)
    assert config.topics[0].max_results is None
    assert config.harvest.lookback_days == 14
    assert config.email is None and data["email"] is None
    assert config.scoring.thresholds.high == 0.6  # 1.5 was refused: the default stays
    assert config.scoring.filters.languages == ("eng",)
    assert "#   30 9 * * 1,4  cd" in conversion.yaml_text
    left_out = dict(conversion.not_converted)
    assert "need 0 <= medium <= high <= 1" in left_out["SCORE_THRESHOLDS"]
    assert left_out["MY_OWN_SETTING"] == "not a Paper Surfer setting pubmed-kb knows"
    assert left_out["MAX_RESULTS_PER_SEARCH"] == "-1 is not a positive number"
    assert left_out["CONTACT_EMAIL"] == "'not an address' is not an e-mail address"
    assert not {"MAX_RESULTS_PER_SEARCH", "CONTACT_EMAIL"} & set(dict(conversion.converted))
    assert left_out["FILTER_SETTINGS['languages'] 'klingon'"] == "unknown language"
    assert left_out["FILTER_SETTINGS['mystery']"] == "unknown filter"
    assert left_out["line 15"] == (
        "code, not run (assignments inside it are not read): if DEBUG_MODE:"
    )


def test_the_old_config_is_never_run(tmp_path: Path):
    marker = tmp_path / "ran"
    source = f'import os\nos.system("touch {marker}")\nSEARCH_KEYWORDS = ["x"]\n'
    convert_config(source)
    assert not marker.exists()
    with pytest.raises(ConfigError, match="line 1: not valid Python"):
        convert_config("SEARCH_KEYWORDS = [\n", "broken.py")
    with pytest.raises(ConfigError, match="SEARCH_KEYWORDS: no list of keywords"):
        convert_config("SEARCH_KEYWORDS = compute()\n")


# --------------------------------------------------------------------------- the command line


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_converts_a_config_given_to_config_and_imports(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(HERE / "config.py", tmp_path / "config.py")
    code, out, err = run(capsys, "import-papersurfer", "--config", "config.py")
    assert (code, err) == (0, "")
    assert out.startswith("import-papersurfer: config.py → kb.yml: 10 settings converted")
    assert load_config(tmp_path / "kb.yml").topic("Swanton") is not None
    code, out, err = run(capsys, "import-papersurfer", str(OLDER))
    assert (code, err) == (0, "")
    assert "1 notes read (1 files, 0 skipped), 1 papers" in out
    assert (tmp_path / "site_src" / "papers" / "40311619.md").exists()
    code, _, err = run(capsys, "import-papersurfer", "--config", "config.py")
    assert code == 2 and "kb.yml already exists; pass --force" in err


def test_cli_from_config_with_output_then_notes(capsys, tmp_path):
    output = tmp_path / "new" / "kb.yml"
    argv = ["import-papersurfer", "--from-config", str(HERE / "config.py")]
    code, out, err = run(capsys, *argv, "--output", str(output), str(OLDER))
    assert (code, err) == (0, ""), err
    assert "1 papers (0 duplicate notes merged)" in out
    assert (output.parent / "site_src" / "papers" / "40311619.md").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "nothing to import"),
        (["--config", "a.py", "--from-config", "b.py"], "give Paper Surfer's config.py once"),
        (["--output", "kb.yml", "notes"], "--output is where the converted config goes"),
    ],
)
def test_cli_errors(capsys, argv: list[str], message: str):
    code, out, err = run(capsys, "import-papersurfer", *argv)
    assert code == 2 and out == "" and message in err


def test_cli_reports_on_the_notes(capsys, kb: Config, tmp_path: Path):
    folder = tmp_path / "n"
    shutil.copytree(HERE / "not_notes", folder)
    shutil.copy(TRNA, folder / "note.md")
    code, out, _ = run(capsys, "import-papersurfer", "--config", str(kb.path), str(folder))
    assert code == 0
    assert "1 notes read (4 files, 3 skipped), 1 papers (0 duplicate notes merged)" in out
    assert "  skipped n/scholar_note.md: not a Paper Surfer note" in out
    assert NOTES_MARKER in (kb.site_src / "papers" / "40311619.md").read_text(encoding="utf-8")


def test_cli_groups_a_long_list_of_skipped_files(capsys):
    skipped = [(f"vault/n{i}.md", "not a Paper Surfer note") for i in range(30)]
    skipped.append(("vault/x.png", "not a .md/.markdown/.txt file"))
    cli._print_skipped(skipped)
    assert capsys.readouterr().out.splitlines() == [
        "  skipped 30 files: not a Paper Surfer note (vault/n0.md, vault/n1.md, vault/n2.md, ...)",
        "  skipped 1 files: not a .md/.markdown/.txt file (vault/x.png)",
    ]
