"""Grouping pages: topics, MeSH A–Z, all papers, landing; pagination; what is removed."""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

import pytest

import generator.site.index
from generator.config.model import Config
from generator.kb.pages import dump_page, split_page
from generator.site.index import (
    Entry,
    render_index_pages,
    render_mesh_pages,
    render_topic_pages,
    write_index_pages,
)
from generator.site.listing import load_entries
from generator.utils.slug import slugify
from tests.conftest import md_links, mtimes, parse_html, tree_bytes


def entry(pmid, relevance="low", pub_date="2025-01-01", keywords=("cancer",), mesh=(), **kw):
    return Entry(
        pmid=str(pmid),
        title=f"Paper {pmid}",
        pub_date=pub_date,
        year=int(pub_date[:4]) if pub_date else None,
        relevance=relevance,
        search_keywords=tuple(keywords),
        mesh=tuple(mesh),
        **kw,
    )


def body_of(page: str) -> str:
    return split_page(page)[1]


def linked_pmids(text: str) -> list[str]:
    return re.findall(r"papers/(\d+)\.md[)\"]", text)


def test_topic_pages_group_high_medium_low_newest_first(kb: Config):
    entries = [
        entry(1, "low", "2025-03-01"),
        entry(2, "high", "2024-01-01"),
        entry(3, "medium", "2025-01-01"),
        entry(4, "high", "2025-06-01"),
        entry(5, "low", "2025-03-01"),  # same date as 1: higher PMID first
        entry(6, "medium", None),  # no date: last in its group
        entry(7, "medium", "2025-02"),
    ]
    page = body_of(render_topic_pages(entries, kb)["keywords/cancer.md"])
    headings = re.findall(r"^## (.+)$", page, re.M)
    assert headings == ["High priority", "Medium priority", "Found by the query"]
    sections = re.split(r"^## .+$", page, flags=re.M)[1:]
    assert [linked_pmids(s) for s in sections] == [["4", "2"], ["7", "3", "6"], ["5", "1"]]
    assert "7 papers" in page


def test_topic_page_shows_the_description_and_the_literal_query(kb: Config, render_md):
    page = render_topic_pages([], kb)["keywords/breast-cancer.md"]
    parsed = parse_html(render_md(body_of(page)))
    query = next(t.query for t in kb.topics if t.name == "breast cancer")
    assert "*" in query
    assert query in parsed.text  # "genomic*[tiab] OR … mutation*[tiab]" stays literal
    assert "em" not in parsed.tag_names()
    exo = render_topic_pages([], kb)["keywords/tumour-derived-exosomes--4b82960d.md"]
    assert "Exosomes and extracellular vesicles released by tumour cells." in exo


def test_topic_index_counts(kb: Config):
    entries = [entry(1, "high"), entry(2, "low"), entry(3, "low", keywords=("cancer", "germline"))]
    index = body_of(render_topic_pages(entries, kb)["keywords/index.md"])
    assert "| [cancer](cancer.md) | 1 | 0 | 2 | 3 |" in index
    assert "| [germline](germline.md) | 0 | 0 | 1 | 1 |" in index
    assert "| [Swanton](swanton.md) | 0 | 0 | 0 | 0 |" in index
    rows = re.findall(r"^\| \[(.+?)\]", index, re.M)
    assert rows == sorted(rows, key=str.casefold)
    assert len(rows) == len(kb.topics)


def test_an_unconfigured_topic_still_gets_a_page_while_it_has_papers(kb: Config):
    pages = render_topic_pages([entry(1, keywords=("old topic",))], kb)
    assert "keywords/old-topic.md" in pages
    assert "**PubMed query**" not in pages["keywords/old-topic.md"]  # no query to show


def test_mesh_index_is_a_to_z_with_counts(kb: Config):
    entries = [
        entry(1, mesh=("Humans", "Exosomes", "RNA, Transfer")),
        entry(2, mesh=("Humans", "exosomes", "1-Naphthol")),
        entry(3, mesh=("Humans", "Ångström")),
    ]
    pages = render_index_pages(entries, kb)
    index = body_of(pages["mesh/index.md"])
    # the letters, each with its number of terms, then the most frequent terms
    letters = (
        "[E](index/e.md) (2) · [H](index/h.md) (1) · [R](index/r.md) (1) · [#](index/other.md) (2)"
    )
    assert letters in index
    top = re.findall(r"^- \[(.+?)\]\((.+?)\) \((\d+)\)$", index, re.M)
    assert top[0] == ("Humans", "humans.md", "3")
    assert len(top) == 6
    listed = []
    for letter in ("e", "h", "r", "other"):
        page = body_of(pages[f"mesh/index/{letter}.md"])
        listed += re.findall(r"^- \[(.+?)\]\((.+?)\) \((\d+)\)$", page, re.M)
    assert listed == [
        ("Exosomes", "../exosomes.md", "1"),
        ("exosomes", "../exosomes.md", "1"),
        ("Humans", "../humans.md", "3"),
        ("RNA, Transfer", "../rna-transfer--c19425fb.md", "1"),
        ("1-Naphthol", "../" + slugify("1-Naphthol") + ".md", "1"),
        ("Ångström", "../" + slugify("Ångström") + ".md", "1"),
    ]


def test_a_check_tag_page_explains_instead_of_listing(kb: Config):
    entries = [entry(i, mesh=("Humans", "Exosomes")) for i in range(1, 4)]
    pages = render_index_pages(entries, kb)
    humans = body_of(pages["mesh/humans.md"])
    assert "check tags" in humans and "on 3 of the 3 papers" in humans
    assert "papers/" not in humans  # no list
    assert "papers/1.md" in body_of(pages["mesh/exosomes.md"])


def test_a_topic_or_term_called_index_does_not_replace_the_list(make_kb):
    def edit(data):
        data["topics"].append({"name": "Index", "query": "index[ti]"})

    config = make_kb(edit=edit)
    pages = render_index_pages([entry(1, keywords=("Index",), mesh=("Index",))], config)
    slug = slugify("Index")
    assert slug != "index"
    assert split_page(pages["keywords/index.md"])[0]["title"] == "Topics"
    assert split_page(pages["mesh/index.md"])[0]["title"] == "MeSH terms"
    assert f"| [Index]({slug}.md) | 0 | 0 | 1 | 1 |" in pages["keywords/index.md"]
    assert f"- [Index]({slug}.md) (1)" in pages["mesh/index.md"]
    assert split_page(pages[f"keywords/{slug}.md"])[0]["title"] == "Index"
    assert split_page(pages[f"mesh/{slug}.md"])[0]["title"] == "Index"


def test_mesh_page_lists_major_topic_papers_first(kb: Config):
    entries = [
        entry(1, "high", "2025-01-01", mesh=("Exosomes",)),
        entry(2, "low", "2025-02-01", mesh=("Exosomes",), mesh_major=("Exosomes",)),
        entry(3, "low", "2024-02-01", mesh=("Exosomes",), mesh_major=("Exosomes",)),
    ]
    page = body_of(render_index_pages(entries, kb)["mesh/exosomes.md"])
    assert re.findall(r"^## (.+)$", page, re.M) == ["as a major topic ★", "Papers"]
    assert linked_pmids(page) == ["2", "3", "1"]
    assert "3 papers" in page


def test_retracted_papers_are_flagged_in_lists(kb: Config):
    pages = render_index_pages([entry(1, retracted=True), entry(2)], kb)
    lines = [line for line in body_of(pages["papers/index.md"]).splitlines() if "papers/" in line]
    assert lines[1].startswith('<li data-f="low 2025"><strong>⚠ Retracted publication</strong> · ')
    assert lines[1].endswith('<a href="../papers/1.md">Paper 1</a> · 2025</li>')
    assert lines[0] == '<li data-f="low 2025"><a href="../papers/2.md">Paper 2</a> · 2025</li>'


def test_hostile_titles_and_terms_in_lists_stay_literal(kb: Config, render_md):
    title = "*x* [y](javascript:alert(1)) <script>alert(1)</script> | z"
    e = Entry(
        pmid="1", title=title, journal="J *o* | x", search_keywords=("cancer",), mesh=("A|B*",)
    )
    pages = render_index_pages([e], kb)
    for path in ("index.md", "papers/index.md", "keywords/cancer.md", "mesh/index.md"):
        html = render_md(body_of(pages[path]))
        parsed = parse_html(html)
        assert "<script" not in html
        assert "javascript:" not in " ".join(parsed.hrefs())
        assert title in parsed.text or "A|B*" in parsed.text, path


def test_landing_page(sample_kb: Config):
    landing = (sample_kb.site_src / "index.md").read_text(encoding="utf-8")
    meta, body = split_page(landing)
    assert meta == {"title": sample_kb.site.title, "kb_generated": True}
    assert "- [All papers](papers/index.md): 30" in body
    assert f"- [Topics](keywords/index.md): {len(sample_kb.topics)}" in body
    # the topic × relevance table ends with a totals row: high | medium | low | all
    total = re.search(r"^\| \*\*Total\*\* \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", body, re.M)
    high, medium, low, everything = (int(n) for n in total.groups())
    assert high + medium + low == everything == 30
    per_topic = re.findall(
        r"^\| \[(.+?)\]\(keywords/.+?\.md\) \| (\d+) \| (\d+) \| (\d+) \|", body, re.M
    )
    assert {name for name, *_ in per_topic} >= {t.name for t in sample_kb.topics}
    newest = body.split("## Newest papers", 1)[1]
    assert len(linked_pmids(newest)) == generator.site.index.NEWEST_ON_LANDING


def test_sample_mesh_counts_match_the_paper_pages(sample_kb: Config):
    counts: dict[str, int] = {}
    for path in (sample_kb.site_src / "papers").glob("[0-9]*.md"):
        for term in split_page(path.read_text(encoding="utf-8"))[0]["mesh"]:
            counts[term] = counts.get(term, 0) + 1
    listed = {}
    for letter in (sample_kb.site_src / "mesh" / "index").glob("*.md"):
        text = letter.read_text(encoding="utf-8")
        listed.update(
            {t: int(n) for t, n in re.findall(r"^- \[(.+?)\]\(.+?\) \((\d+)\)$", text, re.M)}
        )
    assert {k.replace("\\", ""): v for k, v in listed.items()} == counts
    for term in counts:
        assert (sample_kb.site_src / "mesh" / f"{slugify(term)}.md").is_file(), term


def test_an_empty_configured_topic_keeps_its_page(sample_kb: Config):
    # the demo's headline topic has the sample papers its query matches
    page = sample_kb.site_src / "keywords" / "tumour-derived-exosomes--4b82960d.md"
    assert "\n4 papers\n" in page.read_text(encoding="utf-8")
    # a topic that loses its only paper keeps its (now empty) page too
    (sample_kb.site_src / "papers" / "40640072.md").unlink()  # the only "Swanton" paper
    report = write_index_pages(sample_kb.site_src, sample_kb)
    swanton = (sample_kb.site_src / "keywords" / "swanton.md").read_text(encoding="utf-8")
    assert "\n0 papers\n" in swanton
    assert "keywords/swanton.md" in report.written
    assert report.papers == 29


def resolve_links(site_src: Path) -> list[tuple[str, str]]:
    """Every relative .md link of every page and the file it points to: (page, target)."""
    broken = []
    for path in sorted(site_src.rglob("*.md")):
        rel = path.relative_to(site_src).as_posix()
        body = split_page(path.read_text(encoding="utf-8"))[1]
        headings = set(re.findall(r"\{#([\w-]+)\}", body))
        for link in md_links(body):
            if link.startswith(("http://", "https://")):
                continue
            target, _, anchor = link.partition("#")
            if not target:
                if anchor not in headings:
                    broken.append((rel, link))
                continue
            if not target.endswith(".md"):
                continue  # feed.xml and the like are written at build time, not pages
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
            if resolved.startswith("..") or not (site_src / resolved).is_file():
                broken.append((rel, link))
    return broken


def test_pagination_splits_long_lists_and_every_link_resolves(sample_kb: Config, monkeypatch):
    assert resolve_links(sample_kb.site_src) == []
    monkeypatch.setattr(generator.site.index, "PAGE_SIZE", 2)
    report = write_index_pages(sample_kb.site_src, sample_kb)
    src = sample_kb.site_src
    # 9 papers, 2 a page, cut from the oldest: parts 1-3 hold 2 each, the topic page the
    # newest 3 (its own 2 and the 1 left over)
    assert "keywords/cancer/part-3.md" in report.written
    assert not (src / "keywords" / "cancer" / "part-4.md").exists()
    assert (src / "papers" / "index" / "part-14.md").is_file()  # 30 papers: 14 parts + 2
    assert not (src / "papers" / "index" / "part-15.md").exists()
    assert resolve_links(src) == []

    # every paper of the topic is listed exactly once over its pages, newest first
    cancer = [
        src / "keywords" / "cancer.md",
        *(src / "keywords" / "cancer" / f"part-{k}.md" for k in (3, 2, 1)),
    ]
    listed = [p for page in cancer for p in linked_pmids(page.read_text(encoding="utf-8"))]
    assert len(listed) == len(set(listed)) == 9
    assert len(linked_pmids(cancer[0].read_text(encoding="utf-8"))) == 3
    meta, part2 = split_page(cancer[2].read_text(encoding="utf-8"))
    assert re.fullmatch(r"cancer \(\d{4}-\d{2}( – \d{4}-\d{2})?\)", meta["title"])
    pager = (
        '[← Newer papers](part-3.md){: rel="prev" } · '
        '[Older papers →](part-1.md){: rel="next" }\n{: .kb-pager }'
    )
    assert pager in part2
    first = cancer[0].read_text(encoding="utf-8")
    assert '[Older papers →](cancer/part-3.md){: rel="next" }' in first
    assert "Newer papers" not in first
    newest_part = cancer[1].read_text(encoding="utf-8")
    assert '[← Newer papers](../cancer.md){: rel="prev" }' in newest_part
    oldest = cancer[3].read_text(encoding="utf-8")
    assert "Older papers →" not in oldest


def test_a_mesh_page_lists_every_major_paper_and_the_newest_others(kb: Config, monkeypatch):
    monkeypatch.setattr(generator.site.index, "PAGE_SIZE", 2)
    monkeypatch.setattr(generator.site.index, "MESH_OTHERS_MAX", 3)
    entries = [entry(i, mesh=("Exosomes",), mesh_major=("Exosomes",)) for i in range(1, 6)]
    entries += [entry(i, mesh=("Exosomes",)) for i in range(6, 13)]
    pages = render_index_pages(entries, kb)
    base = body_of(pages["mesh/exosomes.md"])
    parts = sorted(p for p in pages if p.startswith("mesh/exosomes/part-"))
    assert parts == ["mesh/exosomes/part-1.md"]  # 5 major: 2 in part 1, 3 on the page
    assert "Listed: the 5 papers with it as a major topic" in base
    assert "newest 3 of the 7 papers" in base
    listed_major = linked_pmids(base.split("## Papers")[0]) + linked_pmids(
        body_of(pages["mesh/exosomes/part-1.md"])
    )
    assert sorted(map(int, listed_major)) == [1, 2, 3, 4, 5]
    others = linked_pmids(base.split("## Papers")[1])
    assert len(others) == 3  # the newest three of the seven
    assert not any(f"papers/{pmid}.md" in p for p in parts for pmid in others)


def test_new_papers_leave_the_archive_parts_of_a_list_untouched(sample_kb: Config, monkeypatch):
    """A week's new papers sort newest: a long list's first page changes, its older parts
    do not (so the build renders one page of the list, not all of them)."""
    monkeypatch.setattr(generator.site.index, "PAGE_SIZE", 2)
    src = sample_kb.site_src
    write_index_pages(src, sample_kb)
    parts = sorted((src / "papers" / "index").glob("part-*.md"))
    before = {p.name: p.read_bytes() for p in parts}
    newest = max(load_entries(src), key=lambda e: e.newest_key)
    page = (src / "papers" / f"{newest.pmid}.md").read_text(encoding="utf-8")
    new = page.replace(f"pmid: '{newest.pmid}'", "pmid: '99999999'").replace(
        f"pub_date: '{newest.pub_date}'", "pub_date: '2099-01-01'"
    )
    (src / "papers" / "99999999.md").write_text(new, encoding="utf-8")
    report = write_index_pages(src, sample_kb)
    after = {p.name: p.read_bytes() for p in (src / "papers" / "index").glob("part-*.md")}
    assert {k: v for k, v in after.items() if k in before} == before  # untouched
    assert "papers/index.md" in report.written
    assert not [w for w in report.written if w.startswith("papers/index/")]


def test_shrinking_lists_remove_their_extra_pages(sample_kb: Config, monkeypatch):
    monkeypatch.setattr(generator.site.index, "PAGE_SIZE", 2)
    write_index_pages(sample_kb.site_src, sample_kb)
    assert (sample_kb.site_src / "keywords" / "cancer" / "part-3.md").exists()
    monkeypatch.setattr(generator.site.index, "PAGE_SIZE", 500)
    report = write_index_pages(sample_kb.site_src, sample_kb)
    assert report.removed > 20
    assert not list((sample_kb.site_src / "keywords").rglob("part-*.md"))
    assert not list((sample_kb.site_src / "papers" / "index").rglob("*.md"))
    assert resolve_links(sample_kb.site_src) == []


def test_a_rerun_writes_nothing(sample_kb: Config):
    src = sample_kb.site_src
    for path in src.rglob("*.md"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before, stamps = tree_bytes(src), mtimes(src)
    report = write_index_pages(src, sample_kb)
    assert report.written == []
    assert report.removed == 0
    assert report.unchanged > 100
    assert tree_bytes(src) == before
    assert mtimes(src) == stamps


def test_stale_generated_pages_go_but_hand_written_pages_stay(sample_kb: Config):
    src = sample_kb.site_src
    # a paper from a topic that is no longer configured, with a MeSH term of its own
    stale = src / "papers" / "40640072.md"
    meta, body = split_page(stale.read_text(encoding="utf-8"))
    assert meta["search_keywords"] == ["Swanton"]
    meta.update(search_keywords=["retired topic"], mesh=[*meta["mesh"], "Retired Term"])
    stale.write_text(dump_page(meta, body), encoding="utf-8")
    write_index_pages(src, sample_kb)
    assert (src / "keywords" / "retired-topic.md").is_file()
    assert (src / "mesh" / "retired-term.md").is_file()

    hand_written = {
        "keywords/reading-plan.md": "# My reading plan\n",
        "mesh/my-notes.md": "---\ntitle: Mine\n---\n\nNotes.\n",
        "mesh/flag-false.md": "---\ntitle: Mine\nkb_generated: false\n---\n\nNotes.\n",
        "mesh/flag-string.md": "---\nkb_generated: 'true'\n---\n\nNotes.\n",
        "mesh/broken.md": "---\ntitle: [unclosed\nkb_generated: true\n---\n",
        "papers/index/notes.md": "Notes.\n",
        "about.md": "---\nkb_generated: true\n---\nOutside the generated folders.\n",
    }
    for rel, content in hand_written.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(content, encoding="utf-8")

    stale.unlink()
    report = write_index_pages(src, sample_kb)
    assert not (src / "keywords" / "retired-topic.md").exists()
    assert not (src / "mesh" / "retired-term.md").exists()
    # the retired topic, the retired MeSH term, and the journal page of its only paper
    assert not (src / "journals" / f"{slugify(meta['journal'])}.md").exists()
    assert report.removed == 3
    for rel, content in hand_written.items():
        assert (src / rel).read_text(encoding="utf-8") == content, rel
    assert (src / "keywords" / "swanton.md").is_file()  # configured: kept, now empty
    assert not (src / "mesh" / slugify("Retired Term")).exists()


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_grouping_page_has_a_title_and_the_generated_flag(make_kb, language):
    def edit(data):
        data["site"]["language"] = language

    config = make_kb(edit=edit)
    pages = render_index_pages([entry(1, mesh=("Humans",)), entry(2, "high")], config)
    for rel, text in pages.items():
        meta, body = split_page(text)
        assert meta["kb_generated"] is True, rel
        assert isinstance(meta["title"], str) and meta["title"], rel
        assert body.startswith("# "), rel
    if language == "ko":
        assert "## 검색식으로 찾은 논문" in pages["keywords/cancer.md"]


@pytest.mark.parametrize(
    "title",
    ["a: b", "it's \"q\"", "- lead", "#x", "{{ }}", "<script>", "유방암", "🧬", "---", "yes",
     "null", "1e3", "2025-07-08", "a\u2028b", "back\\slash", "tab\there", "x\x07y", "*star",
     "&anchor", "!tag", "%pct", "|pipe", ">gt", " lead space", "trail ", "Index"],
)  # fmt: skip
def test_generated_page_frontmatter_round_trips(title: str):
    from generator.site.listing import page

    meta, body = split_page(page(title, ["# x"], {"kb_slug": title, "kb_papers": 7}))
    assert meta == {"title": title, "kb_generated": True, "kb_slug": title, "kb_papers": 7}
    assert body.strip() == "# x"


def test_a_long_lists_archive_parts_do_not_change_when_papers_are_added(kb: Config):
    # Parts are cut from the oldest end; nothing on them may name the list's size (its
    # count, a description with the count), or every part is rendered again every week.
    def paper(i: int) -> Entry:
        return entry(i, keywords=("cancer",), mesh=("Exosomes",), mesh_major=("Exosomes",))

    old = [paper(i) for i in range(1, 1300)]
    new = [*old, *(paper(i) for i in range(1300, 1320))]
    for render in (render_topic_pages, render_mesh_pages):
        before, after = render(old, kb), render(new, kb)
        parts = [rel for rel in before if "/part-" in rel]
        assert parts, "the list is long enough to have parts"
        for rel in parts:
            assert after[rel] == before[rel], rel


@pytest.mark.parametrize("n", [2, 3, 5])
def test_shares_of_the_grouping_pages_are_disjoint_and_make_the_whole(
    sample_kb: Config, n: int
) -> None:
    entries = load_entries(sample_kb.site_src)
    whole = generator.site.index.render_index_pages(entries, sample_kb)
    shares = [
        generator.site.index.render_index_pages(entries, sample_kb, (), (i, n)) for i in range(n)
    ]
    assert all(shares)
    assert sum(len(s) for s in shares) == len(whole)  # no page in two shares
    assert {k: v for s in shares for k, v in s.items()} == whole


def test_grouping_pages_written_by_several_processes_are_the_same(
    sample_kb: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    for rel in generator.site.index.GENERATED_DIRS:  # nothing to compare with: all written anew
        shutil.rmtree(sample_kb.site_src / rel, ignore_errors=True)
    other = tmp_path / "other"
    shutil.copytree(sample_kb.site_src, other)
    one = generator.site.index.write_index_pages(sample_kb.site_src, sample_kb)
    assert len(one.written) > 100
    monkeypatch.setattr(generator.site.index, "_shares", lambda papers: 3)  # forked workers
    (other / "mesh").mkdir()
    (other / "mesh" / ".stale.md.x1.tmp").write_text("half", "utf-8")  # a killed run's
    three = generator.site.index.write_index_pages(other, sample_kb)
    assert three.written == one.written and three.unchanged == one.unchanged
    assert tree_bytes(other) == tree_bytes(sample_kb.site_src)
