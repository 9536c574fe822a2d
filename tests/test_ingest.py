"""Ingest: XML files → paper pages; all files checked first; deletions; topics; filters."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from generator import pipeline
from generator.config.model import Config
from generator.kb.ingest import collect_xml_files, ingest_files
from generator.kb.pages import NOTES_MARKER, split_page
from generator.utils.clock import fixed_clock
from generator.utils.errors import KBError, PageError, ParseError
from tests.conftest import FIXTURES, SAMPLE_XML

XML = FIXTURES / "xml"


def article(pmid: str, title: str = "A title.", extra: str = "", lang: str = "eng") -> str:
    return f"""<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>
    <Article>
      <Journal><JournalIssue><PubDate><Year>2025</Year></PubDate></JournalIssue>
        <Title>Journal of tests</Title></Journal>
      <ArticleTitle>{title}</ArticleTitle>{extra}
      <Language>{lang}</Language>
    </Article>
  </MedlineCitation>
</PubmedArticle>"""


def document(*records: str, deleted: tuple[str, ...] = ()) -> str:
    delete = ""
    if deleted:
        ids = "".join(f'<PMID Version="1">{p}</PMID>' for p in deleted)
        delete = f"<DeleteCitation>{ids}</DeleteCitation>"
    body = "\n".join(records)
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f"{head}\n<PubmedArticleSet>\n{body}\n{delete}\n</PubmedArticleSet>\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pages(config: Config) -> list[str]:
    folder = config.site_src / "papers"
    return sorted(p.stem for p in folder.glob("*.md")) if folder.exists() else []


def test_ingest_the_sample(kb: Config):
    report = pipeline.ingest(kb, [SAMPLE_XML], clock=fixed_clock("2025-07-20"))
    assert len(report.created) == 30
    assert report.summary() == "30 new, 0 updated, 0 unchanged"
    assert pages(kb) == sorted(report.created)


@pytest.mark.parametrize(
    ("order", "bad_name", "line"),
    [
        (["a.xml", "malformed.xml", "z.xml"], "malformed.xml", 12),
        (["a.xml", "z.xml", "truncated.xml"], "truncated.xml", 13),
        (["not_pubmed.xml", "a.xml"], "not_pubmed.xml", 2),
    ],
)
def test_a_broken_file_among_good_ones_stops_before_anything_is_written(
    kb: Config, tmp_path, order, bad_name, line
):
    folder = tmp_path / "in"
    write(folder / "a.xml", document(article("1001")))
    write(folder / "z.xml", document(article("1002")))
    shutil.copy(XML / bad_name, folder / bad_name)
    for paths in ([folder], [folder / name for name in order]):
        with pytest.raises(ParseError) as info:
            pipeline.ingest(kb, paths, clock=fixed_clock("2025-07-20"))
        message = str(info.value)
        assert message.startswith(f"{folder / bad_name}: line {line}: ")
        assert not (kb.site_src / "papers").exists()
        assert not kb.site_src.exists()


def test_a_broken_gzip_is_reported_too(kb: Config, tmp_path):
    good = write(tmp_path / "a.xml", document(article("1001")))
    bad = tmp_path / "b.xml.gz"
    bad.write_bytes(gzip.compress(document(article("1002")).encode())[:-20])
    with pytest.raises(ParseError, match=str(bad)):
        pipeline.ingest(kb, [good, bad], clock=fixed_clock("2025-07-20"))
    assert pages(kb) == []


def test_folders_are_expanded_sorted_with_gzip(tmp_path):
    folder = tmp_path / "in"
    write(folder / "b.xml", document())
    write(folder / "sub" / "a.xml", document())
    (folder / "c.xml.gz").write_bytes(gzip.compress(document().encode()))
    write(folder / "notes.txt", "not xml")
    write(folder / "d.json", "{}")
    single = write(tmp_path / "single.xml", document())
    found = collect_xml_files([single, folder])
    assert found == [single, folder / "b.xml", folder / "c.xml.gz", folder / "sub" / "a.xml"]


def test_a_missing_path_is_a_clear_error(kb: Config, tmp_path):
    missing = tmp_path / "nope.xml"
    with pytest.raises(PageError, match=f"^{missing}: no such file or folder$"):
        pipeline.ingest(kb, [SAMPLE_XML, missing], clock=fixed_clock("2025-07-20"))
    assert pages(kb) == []


def test_gzipped_update_file_with_deletions(kb: Config, tmp_path):
    source = write(
        tmp_path / "first.xml",
        document(article("7901", "To be deleted."), article("7902", "Has notes.")),
    )
    pipeline.ingest(kb, [source], clock=fixed_clock("2025-07-01"))
    noted = kb.site_src / "papers" / "7902.md"
    text = noted.read_text(encoding="utf-8")
    assert text.endswith(NOTES_MARKER + "\n")
    noted.write_text(text + "Keep this: it was useful.\n", encoding="utf-8")

    update = tmp_path / "pubmed25n1234.xml.gz"
    update.write_bytes(gzip.compress((XML / "update.xml").read_bytes()))
    report = pipeline.ingest(kb, [update], clock=fixed_clock("2025-07-02"))
    assert sorted(report.created) == ["7001", "7002"]
    assert report.deleted == ["7901"]
    assert report.kept_deleted == ["7902"]  # 7903 never had a page: nothing to report
    assert report.summary() == (
        "2 new, 0 updated, 0 unchanged, 1 deleted, 1 deleted upstream but kept for their notes"
    )
    assert pages(kb) == ["7001", "7002", "7902"]
    assert noted.read_text(encoding="utf-8").endswith("Keep this: it was useful.\n")


def test_a_deletion_then_a_new_version_in_the_same_run(kb: Config, tmp_path):
    source = write(tmp_path / "a.xml", document(article("5001", "Old.")))
    pipeline.ingest(kb, [source], clock=fixed_clock("2025-07-01"))
    later = write(
        tmp_path / "b.xml",
        document(deleted=("5001",)).replace(
            "</PubmedArticleSet>", article("5001", "Reinstated.") + "\n</PubmedArticleSet>"
        ),
    )
    report = pipeline.ingest(kb, [later], clock=fixed_clock("2025-07-02"))
    assert report.deleted == ["5001"] and report.created == ["5001"]
    meta, _ = split_page((kb.site_src / "papers" / "5001.md").read_text(encoding="utf-8"))
    assert meta["title"] == "Reinstated."


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (["cancer"], ["cancer"]),
        (["CANCER"], ["cancer"]),  # the configured spelling is stored
        (["swanton", "Breast Cancer"], ["breast cancer", "Swanton"]),
        ([], []),
    ],
)
def test_keyword_attribution(kb: Config, given, stored):
    pipeline.ingest(kb, [SAMPLE_XML], given, clock=fixed_clock("2025-07-20"))
    for path in (kb.site_src / "papers").glob("*.md"):
        meta, _ = split_page(path.read_text(encoding="utf-8"))
        assert meta["search_keywords"] == stored


def test_keywords_accumulate_over_ingests(kb: Config):
    pipeline.ingest(kb, [SAMPLE_XML], ["germline"], clock=fixed_clock("2025-07-20"))
    report = pipeline.ingest(kb, [SAMPLE_XML], ["cancer"], clock=fixed_clock("2025-07-21"))
    assert len(report.updated) == 30
    meta, _ = split_page((kb.site_src / "papers" / "40629355.md").read_text(encoding="utf-8"))
    assert meta["search_keywords"] == ["cancer", "germline"]
    assert meta["collected"] == "2025-07-20"
    assert meta["updated"] == "2025-07-21"


def test_an_unknown_keyword_is_refused_before_writing(kb: Config):
    with pytest.raises(KBError) as info:
        pipeline.ingest(kb, [SAMPLE_XML], ["cancer", "canser"], clock=fixed_clock("2025-07-20"))
    message = str(info.value)
    assert "--keyword 'canser' is not a topic" in message
    assert str(kb.path) in message
    assert "Swanton" in message  # the topics are listed
    assert pages(kb) == []


def test_filters_are_off_by_default(kb: Config, tmp_path):
    source = write(tmp_path / "a.xml", document(article("6001", lang="kor"), article("6002")))
    report = pipeline.ingest(kb, [source], clock=fixed_clock("2025-07-20"))
    assert report.filtered == []
    assert pages(kb) == ["6001", "6002"]


ABSTRACT = "\n      <Abstract><AbstractText>{}</AbstractText></Abstract>"
REVIEW = (
    "\n      <PublicationTypeList><PublicationType>Review</PublicationType></PublicationTypeList>"
)


@pytest.mark.parametrize(
    ("filters", "kept", "reasons"),
    [
        (
            {"min_abstract_length": 20},
            ["6003"],
            {
                "6001": "abstract shorter than 20 characters",
                "6002": "abstract shorter than 20 characters",
            },
        ),
        (
            {"languages": ["eng"]},
            ["6002", "6003"],
            {"6001": "language kor not in filters.languages"},
        ),
        (
            {"publication_types": ["Review"]},
            ["6002"],
            {
                "6001": "no publication type in filters.publication_types",
                "6003": "no publication type in filters.publication_types",
            },
        ),
    ],
)
def test_filters_when_configured(make_kb, tmp_path, filters, kept, reasons):
    def edit(data):
        data["scoring"]["filters"].update(filters)

    config = make_kb(edit=edit)
    source = write(
        tmp_path / "a.xml",
        document(
            article("6001", lang="kor"),
            article("6002", extra=ABSTRACT.format("Short.") + REVIEW),
            article("6003", extra=ABSTRACT.format("A long enough abstract about exosomes.")),
        ),
    )
    report = pipeline.ingest(config, [source], clock=fixed_clock("2025-07-20"))
    assert dict(report.filtered) == reasons
    assert pages(config) == kept
    assert f"{len(reasons)} filtered out" in report.summary()


def test_today_is_the_collection_date(kb: Config):
    report = ingest_files([SAMPLE_XML], kb, "2031-01-02")
    meta, _ = split_page((kb.site_src / "papers" / f"{report.created[0]}.md").read_text("utf-8"))
    assert meta["collected"] == meta["updated"] == "2031-01-02"


def test_pages_are_written_with_ordinary_permissions(kb):
    import os
    import stat

    from generator.utils.store import write_atomic

    target = kb.site_src / "papers" / "1.md"
    write_atomic(target, "x\n")
    mode = stat.S_IMODE(os.stat(target).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # not mkstemp's private 0600
    assert not list(target.parent.glob(".*.tmp"))
