"""Citation exports, read back by the parsers reference managers rely on.

BibTeX through bibtexparser v2, RIS through rispy, CSL-JSON through json: every
special character, Unicode name and collective author must come back as it went in.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
import rispy
from bibtexparser import middlewares as mw

from generator import cli, pipeline
from generator.config.model import Config
from generator.kb.pages import PageOptions, build_frontmatter
from generator.kb.score import Score
from generator.kb.similar import similar_in
from generator.pubmed.models import Paper
from generator.pubmed.parse import parse_file
from generator.site.exports import build_exports, read_papers, render_export
from generator.site.formats import (
    bib_escape,
    bib_title,
    citation_key,
    cite_record,
    csl_item,
    first_last_page,
    render_bibtex,
    render_cite_record,
    render_csl_json,
    render_ris,
)
from generator.utils.errors import KBError, PageError
from tests.conftest import FIXTURES, DemoSite

NASTY_TITLE = (
    "BRCA1 and mRNA in Parkinson's disease: 50% of {weird} cases_x ~ ^ \\ $5 #1 & "
    "α-synuclein in Müller glia."
)


def paper(**changes: Any) -> dict[str, Any]:
    """A paper page's frontmatter, with the awkward values a reference manager meets."""
    meta: dict[str, Any] = {
        "pmid": "40629355",
        "title": NASTY_TITLE,
        "authors": ["Ł Żółć", "TRACERx Consortium and friends", "J van der Berg Jr", "Madonna"],
        "author_names": [
            {"family": "Żółć-Müller", "given": "Łucja"},
            {"literal": "The TRACERx Consortium, and friends"},
            {"family": "van der Berg", "given": "J", "suffix": "Jr"},
            {"family": "Ramón y Cajal"},
        ],
        "journal": "Nature & Nurture",
        "journal_iso": "Nat Nurt",
        "volume": "12",
        "issue": "3 Suppl 1",
        "pages": "123-45",
        "pub_date": "2025-07-08",
        "year": 2025,
        "doi": "10.1000/a_b%c",
        "pmcid": "PMC1234567",
        "keywords": ["exosome", "liquid biopsy"],
        "mesh": ["Humans", "Neoplasms"],
        "language": ["eng"],
        "search_keywords": ["cancer"],
        "retracted": False,
        "url": "https://pubmed.ncbi.nlm.nih.gov/40629355/",
        "collected": "2025-07-15",
        "updated": "2025-07-17",
    }
    meta.update(changes)
    return meta


def parse_bib(text: str, names: bool = False) -> bibtexparser.Library:
    stack: list[Any] = [mw.SeparateCoAuthors(), mw.SplitNameParts()] if names else []
    library = bibtexparser.parse_string(text, append_middleware=stack)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


def decoded_bib(text: str) -> bibtexparser.Library:
    library = bibtexparser.parse_string(text, append_middleware=[mw.LatexDecodingMiddleware()])
    assert not library.failed_blocks
    return library


# --- pure helpers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "first", "last"),
    [
        ("123-45", "123", "145"),  # MEDLINE abbreviates the last page
        ("1234-8", "1234", "1238"),
        ("98-102", "98", "102"),
        ("e1234", "e1234", None),
        ("e101-e109", "e101", "e109"),
        ("S12-5", "S12", "S15"),
        ("123-45, 150", "123", "150"),
        ("123–45", "123", "145"),  # an en dash
        ("", None, None),
        (None, None, None),
    ],
)
def test_first_and_last_page(pages: str | None, first: str | None, last: str | None):
    assert first_last_page(pages) == (first, last)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({}, "ZolcMuller2025-40629355"),
        ({"author_names": [{"literal": "The Cancer Genome Atlas Network"}]}, "Cancer2025-40629355"),
        ({"author_names": []}, "Anon2025-40629355"),
        ({"pub_date": None, "year": None}, "ZolcMullernd-40629355"),
        ({"pub_date": "1999", "year": 1999}, "ZolcMuller1999-40629355"),
        ({"author_names": [{"family": "O'Brien-Łaski", "given": "S"}]}, "OBrienLaski2025-40629355"),
    ],
)
def test_citation_keys_are_stable_and_ascii(changes: dict[str, Any], key: str):
    assert citation_key(paper(**changes)) == key
    assert key.isascii()


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("50% & $5 #1 a_b", r"50\% \& \$5 \#1 a\_b"),
        ("x^2 ~ y \\ z", r"x\textasciicircum{}2 \textasciitilde{} y \textbackslash{} z"),
        ("a {b} c", r"a \{b\} c"),
        ("a } b {", r"a \textbraceright{} b \textbraceleft{}"),  # unbalanced: no brace left
        ("α-synuclein, Müller", "α-synuclein, Müller"),  # UTF-8 stays as it is
        ("two\nlines\u00a0here", "two lines here"),
    ],
)
def test_bibtex_escaping(text: str, escaped: str):
    assert bib_escape(text) == escaped


@pytest.mark.parametrize(
    ("title", "bib"),
    [
        ("BRCA1 mutations in mRNA.", "{BRCA1} mutations in {mRNA}."),
        ("Tumour evolution in Parkinson's disease", "Tumour evolution in {Parkinson's} disease"),
        ("The (TRACERx) study", "The ({TRACERx}) study"),
        ("a {B} c", r"a \{B\} c"),  # a braced word is not protected twice
    ],
)
def test_bibtex_titles_protect_their_capitals(title: str, bib: str):
    assert bib_title(title) == bib


# --- BibTeX ----------------------------------------------------------------------


def test_bibtex_reads_back_with_bibtexparser():
    library = parse_bib(render_bibtex([paper()]))
    (entry,) = library.entries
    assert entry.entry_type == "article"
    assert entry.key == "ZolcMuller2025-40629355"
    fields = entry.fields_dict
    assert fields["journal"].value == r"Nature \& Nurture"
    assert fields["year"].value == "2025"
    assert fields["month"].value == "jul"  # BibTeX's month macro, unbraced
    assert fields["volume"].value == "12"
    assert fields["number"].value == "3 Suppl 1"
    assert fields["pages"].value == "123--145"
    assert fields["doi"].value == "10.1000/a_b%c"  # verbatim in biblatex: not escaped
    assert fields["pmid"].value == "40629355"
    assert fields["pmcid"].value == "PMC1234567"
    assert fields["url"].value == "https://pubmed.ncbi.nlm.nih.gov/40629355/"
    assert fields["keywords"].value == "exosome, liquid biopsy"
    assert "note" not in fields


def test_bibtex_title_decodes_to_the_original():
    (entry,) = decoded_bib(render_bibtex([paper()])).entries
    # pylatexenc prints \textasciicircum as the modifier letter ˆ
    assert entry.fields_dict["title"].value.replace("ˆ", "^") == NASTY_TITLE


def test_bibtex_names_split_as_bibtex_splits_them():
    (entry,) = parse_bib(render_bibtex([paper()]), names=True).entries
    names = entry.fields_dict["author"].value
    assert len(names) == 4  # "and" inside the collective name did not split it
    assert names[0].last == ["Żółć-Müller"] and names[0].first == ["Łucja"]
    # a collective author is one braced "last name", never split at its comma or "and"
    assert names[1].last == ["{The TRACERx Consortium, and friends}"]
    assert names[1].first == []
    assert (names[2].von, names[2].last, names[2].jr, names[2].first) == (
        ["van", "der"],
        ["Berg"],
        ["Jr"],
        ["J"],
    )
    assert names[3].last == ["{Ramón y Cajal}"]  # no given name: not read as "First Last"


def test_bibtex_marks_retractions_and_books():
    retracted = parse_bib(render_bibtex([paper(retracted=True)])).entries[0]
    assert retracted.fields_dict["note"].value == "Retracted publication"
    book = parse_bib(render_bibtex([paper(is_book=True)])).entries[0]
    assert book.entry_type == "book"
    assert "publisher" in book.fields_dict


def test_bibtex_of_a_minimal_page():
    minimal = {"pmid": "1", "title": "Untitled", "author_names": [], "pub_date": None}
    (entry,) = parse_bib(render_bibtex([minimal])).entries
    assert entry.key == "Anonnd-1"
    assert set(entry.fields_dict) == {"title", "pmid", "url"}


# --- RIS -------------------------------------------------------------------------


def test_ris_reads_back_with_rispy():
    text = render_ris([paper(), paper(pmid="2", retracted=True)])
    assert not text.startswith("1.")  # no numbered header lines
    records = rispy.loads(text)
    assert len(records) == 2
    rec = next(r for r in records if r["accession_number"] == "40629355")
    assert rec["type_of_reference"] == "JOUR"
    assert rec["title"] == NASTY_TITLE
    assert rec["authors"] == [
        "Żółć-Müller, Łucja",
        "The TRACERx Consortium, and friends",
        "van der Berg, J, Jr",
        "Ramón y Cajal",
    ]
    assert rec["secondary_title"] == "Nature & Nurture"
    assert rec["alternate_title1"] == "Nat Nurt"
    assert (rec["volume"], rec["number"]) == ("12", "3 Suppl 1")
    assert (rec["start_page"], rec["end_page"]) == ("123", "145")
    assert rec["year"] == "2025"
    assert rec["date"] == "2025/07/08"
    assert rec["doi"] == "10.1000/a_b%c"
    assert rec["custom2"] == "PMC1234567"
    assert rec["urls"] == ["https://pubmed.ncbi.nlm.nih.gov/40629355/"]
    assert rec["keywords"] == ["exosome", "liquid biopsy"]
    other = next(r for r in records if r["accession_number"] == "2")
    assert other["notes"] == ["Retracted publication"]


def test_ris_values_never_span_lines():
    text = render_ris([paper(title="one\ntwo\r\nthree", journal="J\tX")])
    assert rispy.loads(text)[0]["title"] == "one two three"
    assert all(line[:2].isalnum() and line[2:6] == "  - " for line in text.splitlines() if line)


# --- CSL-JSON ---------------------------------------------------------------------


def test_csl_json_fields():
    (item,) = json.loads(render_csl_json([paper(retracted=True)]))
    assert item["type"] == "article-journal"
    assert item["id"] == "ZolcMuller2025-40629355"
    assert item["title"] == NASTY_TITLE
    assert item["author"] == [
        {"family": "Żółć-Müller", "given": "Łucja"},
        {"literal": "The TRACERx Consortium, and friends"},
        {"family": "van der Berg", "given": "J", "suffix": "Jr"},
        {"family": "Ramón y Cajal"},
    ]
    assert item["container-title"] == "Nature & Nurture"
    assert item["container-title-short"] == "Nat Nurt"
    assert item["issued"] == {"date-parts": [[2025, 7, 8]]}
    assert item["page"] == "123-145"
    assert (item["DOI"], item["PMID"], item["PMCID"]) == ("10.1000/a_b%c", "40629355", "PMC1234567")
    assert item["URL"] == "https://pubmed.ncbi.nlm.nih.gov/40629355/"
    assert item["language"] == "en"  # BCP 47, so citeproc applies English title case
    assert item["status"] == "retracted"


@pytest.mark.parametrize(
    ("pub_date", "year", "parts"),
    [("2008-07", 2008, [[2008, 7]]), ("1999", 1999, [[1999]]), (None, 2001, [[2001]])],
)
def test_csl_json_partial_dates(pub_date: str | None, year: int, parts: list[list[int]]):
    assert csl_item(paper(pub_date=pub_date, year=year))["issued"] == {"date-parts": parts}


# --- from real parsed XML ------------------------------------------------------------


def test_exports_of_a_parsed_pubmed_record():
    """full_article.xml: a suffix, an author without a fore name, a collective author."""
    records = parse_file(FIXTURES / "xml" / "full_article.xml")
    (record,) = [r for r in records if isinstance(r, Paper)]
    meta = build_frontmatter(
        record, ["cancer"], Score(0.5, "medium"), "2025-01-02", "2025-01-02", None, PageOptions()
    )
    (entry,) = parse_bib(render_bibtex([meta]), names=True).entries
    names = entry.fields_dict["author"].value
    assert [n.last for n in names] == [["Smith"], ["Ng"], ["Roe"], ["{The Everything Consortium}"]]
    assert names[0].jr == ["Jr"]
    assert entry.fields_dict["pages"].value == "e101--e109"
    (rec,) = rispy.loads(render_ris([meta]))
    assert rec["authors"][-1] == "The Everything Consortium"
    (item,) = json.loads(render_csl_json([meta]))
    assert item["author"][-1] == {"literal": "The Everything Consortium"}
    assert item["issued"] == {"date-parts": [[2023, 3, 7]]}


# --- the files of a site ---------------------------------------------------------------


def test_one_cite_record_per_paper(kb: Config):
    papers = [
        paper(pmid="3", search_keywords=["cancer"], mesh=["Humans"]),
        paper(pmid="1", search_keywords=["cancer", "germline"], mesh=["Humans", "Mice, Nude"]),
    ]
    files = build_exports(papers)
    assert build_exports(list(reversed(papers))) == files  # deterministic
    assert sorted(files) == ["papers/1/cite.json", "papers/3/cite.json"]  # nothing per list
    record = json.loads(files["papers/1/cite.json"])
    custom = record.pop("custom")
    assert record == csl_item(papers[1])  # the CSL-JSON item, as a download gives it
    assert custom == {
        "pages": "123-45",  # MEDLINE's own, for BibTeX's ranges and RIS's SP/EP
        "pub_date": "2025-07-08",
        "keywords": ["exosome", "liquid biopsy"],  # a list (CSL joins them into one string)
        "languages": ["eng"],  # MEDLINE codes (CSL has one BCP 47 code)
    }
    assert "\n" not in files["papers/1/cite.json"].rstrip("\n")  # compact: it is data


def test_cite_record_leaves_out_what_is_missing_and_keeps_a_books_abbreviation():
    bare = {"pmid": "7", "title": "T"}
    assert "custom" not in cite_record(bare)
    book = cite_record(paper(is_book=True, journal_iso="Bk Abbr"))
    assert book["type"] == "book" and book["publisher"] == "Nature & Nurture"
    assert "container-title-short" not in book and book["custom"]["journal_iso"] == "Bk Abbr"


@pytest.mark.parametrize(("fmt", "render"), [("bib", render_bibtex), ("ris", render_ris)])
def test_render_export_is_the_format_renderer(fmt: str, render: Any):
    papers = [paper(pmid="3"), paper(pmid="1", retracted=True)]
    assert render_export(papers, fmt, "ko") == render(papers, "ko")
    assert render_export(papers, "json") == render_csl_json(papers)
    with pytest.raises(ValueError, match="unknown export format"):
        render_export(papers, "docx")


def test_demo_site_has_one_cite_record_per_paper(demo_site: DemoSite):
    site = demo_site.site_dir
    papers = read_papers(demo_site.site_src)
    assert len(papers) == 30
    near = similar_in(demo_site.site_src)
    assert set(near) == {m["pmid"] for m in papers}  # each has neighbours in the sample
    for meta in papers:
        folder = site / "papers" / meta["pmid"]
        expected = render_cite_record(meta, similar=near[meta["pmid"]])
        assert (folder / "cite.json").read_text("utf-8") == expected
        mode = (folder / "cite.json").stat().st_mode
        assert mode & stat.S_IROTH, "a web server running as another user must read it"
    leftovers = [p for p in site.rglob("*") if p.suffix in (".bib", ".ris")]
    assert leftovers == []  # the browser makes BibTeX and RIS; nothing is stored twice


def test_export_command_writes_a_topic_or_the_whole_kb(demo_site: DemoSite, tmp_path: Path):
    config = demo_site.config
    papers = read_papers(demo_site.site_src)
    members = [m for m in papers if "cancer" in m["search_keywords"]]
    text, n = pipeline.export(config, "bib", topic="cancer")
    assert (text, n) == (render_bibtex(members, config.site.language), len(members))
    whole, n_all = pipeline.export(config, "ris")
    assert n_all == 30 and len(rispy.loads(whole)) == 30
    humans = [m for m in papers if "Humans" in m["mesh"]]
    mesh, _ = pipeline.export(config, "json", mesh="Humans")
    assert [i["PMID"] for i in json.loads(mesh)] == [
        json.loads(render_cite_record(m))["PMID"] for m in sorted(humans, key=citation_key)
    ]
    out = tmp_path / "kb.bib"
    code = cli.run(["export", "--config", str(config.path), "--format", "bib", "-o", str(out)])
    assert code == cli.EXIT_OK
    assert len(parse_bib(out.read_text("utf-8")).entries) == 30
    with pytest.raises(KBError, match="no such topic"):
        pipeline.export(config, "bib", topic="astrology")
    with pytest.raises(KBError, match="MeSH descriptor"):
        pipeline.export(config, "bib", mesh="Astrology")


def test_read_papers_refuses_a_page_whose_pmid_is_not_its_name(tmp_path: Path):
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "12.md").write_text("---\npmid: '13'\n---\nbody\n", "utf-8")
    with pytest.raises(PageError, match=r"12\.md"):
        read_papers(tmp_path)


def test_cite_files_come_from_a_content_cache_and_stale_ones_leave_it(tmp_path: Path, kb: Config):
    from generator.site.exports import write_exports

    papers = [paper(pmid="11"), paper(pmid="12")]
    cache = tmp_path / "cache"
    first = tmp_path / "site1"
    write_exports(papers, kb, first, cache)
    again = tmp_path / "site2"
    report = write_exports(papers, kb, again, cache)
    for pmid in ("11", "12"):
        built = again / "papers" / pmid / "cite.json"
        # the same bytes as written without a cache, linked from it
        assert built.read_text(encoding="utf-8") == render_cite_record(
            next(p for p in papers if p["pmid"] == pmid)
        )
        assert built.stat().st_nlink >= 3  # cache + two sites
    assert report.files == 2
    write_exports(papers[:1], kb, tmp_path / "site3", cache)
    records = [p for p in cache.rglob("*.json") if p.name != "index.json"]
    assert len(records) == 1  # paper 12's record is gone from the cache


def test_a_cached_cite_record_is_reused_only_for_the_same_frontmatter(
    tmp_path: Path, kb: Config, monkeypatch: pytest.MonkeyPatch
):
    from generator.site import exports

    made: list[str] = []
    real = exports.cite_head

    def counting(meta):  # type: ignore[no-untyped-def]
        made.append(meta["pmid"])
        return real(meta)

    monkeypatch.setattr(exports, "cite_head", counting)
    papers = [paper(pmid="11"), paper(pmid="12")]
    cache = tmp_path / "cache"
    exports.write_exports(papers, kb, tmp_path / "a", cache)
    assert sorted(made) == ["11", "12"]
    made.clear()
    changed = [papers[0], {**papers[1], "title": "A corrected title"}]
    report = exports.write_exports(changed, kb, tmp_path / "b", cache)
    assert made == ["12"]  # only the changed paper's record is made again
    assert "A corrected title" in (tmp_path / "b/papers/12/cite.json").read_text("utf-8")
    assert report.bytes == sum(
        len(render_cite_record(m).encode()) for m in changed
    )  # sizes from the index, not from disk
    # a record lost from the cache is made again, not linked from nowhere
    for f in cache.rglob("*.json"):
        if f.name != "index.json":
            f.unlink()
    made.clear()
    exports.write_exports(changed, kb, tmp_path / "c", cache)
    assert sorted(made) == ["11", "12"]
    assert (tmp_path / "c/papers/11/cite.json").read_text("utf-8") == render_cite_record(changed[0])


def test_a_record_whose_similar_papers_or_signals_moved_keeps_its_cached_head(
    tmp_path: Path, kb: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.site import exports

    made: list[str] = []
    real = exports.cite_head
    monkeypatch.setattr(exports, "cite_head", lambda m: made.append(m["pmid"]) or real(m))
    plain = paper(pmid="11", pages="", pub_date="", keywords=[], language=[])
    papers = [paper(pmid="12", title="Tumour exosomes — ß-catenin “quoted”"), plain]
    assert "custom" not in cite_record(plain)  # one record with custom, one without
    cache = tmp_path / "cache"
    signals = {"12": {"pmid": "12", "taken": "2026-03-01", "citations": 4}}
    exports.write_exports(papers, kb, tmp_path / "a", cache, signals, similar={"12": ["11"]})
    made.clear()
    for n, (shown, near) in enumerate(
        [
            ({}, {"11": ["12"]}),
            ({**signals, "11": {"pmid": "11", "taken": "2026-04-01", "citations": 0}}, {}),
            (signals, {"12": ["11", "13"], "11": ["12"]}),
            ({}, {}),
        ]
    ):
        out = tmp_path / f"s{n}"
        exports.write_exports(papers, kb, out, cache, shown, similar=near)
        for m in papers:
            pmid = m["pmid"]
            written = (out / "papers" / pmid / "cite.json").read_text("utf-8")
            head, custom = real(m)
            tail = exports.cite_tail(
                custom, exports.signals_record(shown.get(pmid)), near.get(pmid, ())
            )
            assert written == head + tail  # render_cite_record's text
    assert made == []  # never made again: the heads came from the cache
    # keys name the frontmatter: a new key makes the record again
    exports.write_exports(papers, kb, tmp_path / "k", cache, keys={"11": "a", "12": "b"})
    assert sorted(made) == ["11", "12"]
    made.clear()
    exports.write_exports(papers, kb, tmp_path / "k2", cache, keys={"11": "a", "12": "c"})
    assert made == ["12"]


def test_cite_json_text_is_its_record_as_compact_json() -> None:
    for meta in (paper(pmid="11"), paper(pmid="12", pages="", pub_date="", keywords=[])):
        record = cite_record(meta)
        for shown in (None, {"citations": 3, "rcr": 1.25, "taken": "2026-01-02"}):
            for near in ((), ("5", "7")):
                full = json.loads(json.dumps(record))
                if shown:
                    full.setdefault("custom", {})["signals"] = shown
                if near:
                    full.setdefault("custom", {})["similar"] = [int(p) for p in near]
                text = json.dumps(full, ensure_ascii=False, separators=(",", ":")) + "\n"
                assert render_cite_record(meta, shown, near) == text


def test_citation_signals_go_under_custom_and_change_the_cached_record(
    tmp_path: Path, kb: Config
) -> None:
    from generator.site.exports import write_exports

    papers = [paper(pmid="11")]
    cache = tmp_path / "cache"
    signals = {"11": {"pmid": "11", "taken": "2026-03-01", "citations": 4, "rcr": 1.5,
                      "references": ["2"], "percentile": None}}  # fmt: skip
    write_exports(papers, kb, tmp_path / "a", cache, signals)
    record = json.loads((tmp_path / "a/papers/11/cite.json").read_text("utf-8"))
    assert record["custom"]["signals"] == {"citations": 4, "rcr": 1.5, "taken": "2026-03-01"}
    assert "signals" not in record  # the CSL item itself stays CSL
    signals["11"]["citations"] = 5  # a month later
    write_exports(papers, kb, tmp_path / "b", cache, signals)
    again = json.loads((tmp_path / "b/papers/11/cite.json").read_text("utf-8"))
    assert again["custom"]["signals"]["citations"] == 5
    write_exports(papers, kb, tmp_path / "c", cache)  # never asked: nothing shown
    assert "signals" not in json.loads((tmp_path / "c/papers/11/cite.json").read_text("utf-8")).get(
        "custom", {}
    )
