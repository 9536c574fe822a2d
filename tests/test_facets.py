"""Facet pages, retractions, the status page, charts and list filters (issue 5)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from generator import pipeline
from generator.config.model import Config
from generator.kb.pages import split_page
from generator.kb.state import append_run_record
from generator.site.charts import papers_per_month, top_mesh
from generator.site.index import render_index_pages, write_index_pages
from generator.site.listing import Entry, load_entries
from generator.site.status import empty_streak
from generator.utils.clock import fixed_clock
from generator.utils.slug import slugify

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xml"


def linked(body: str) -> set[str]:
    return set(re.findall(r"papers/(\d+)\.md", body))


def body(config: Config, rel: str) -> str:
    return split_page((config.site_src / rel).read_text(encoding="utf-8"))[1]


def test_facet_pages_list_the_right_papers(sample_kb: Config) -> None:
    entries = load_entries(sample_kb.site_src)
    for kind, key in (("types", "publication_types"), ("journals", "journal")):
        values: dict[str, set[str]] = {}
        for path in (sample_kb.site_src / "papers").glob("[0-9]*.md"):
            meta = split_page(path.read_text(encoding="utf-8"))[0]
            for v in meta[key] if isinstance(meta[key], list) else [meta[key]]:
                values.setdefault(v, set()).add(meta["pmid"])
        for value, pmids in values.items():
            assert linked(body(sample_kb, f"{kind}/{slugify(value)}.md")) == pmids, value
    by_year: dict[int, set[str]] = {}
    for e in entries:
        by_year.setdefault(e.year, set()).add(e.pmid)
    for year, pmids in by_year.items():
        assert linked(body(sample_kb, f"years/{year}.md")) == pmids
    reviews = body(sample_kb, "types/index.md")
    # study designs come before the generic "Journal Article"
    assert reviews.index("[Review]") < reviews.index("[Journal Article]")


def test_retracted_paper_warns_on_its_page_and_in_every_list(kb: Config, render_md) -> None:
    pipeline.ingest(
        kb, [FIXTURES / "full_article.xml"], ["cancer"], clock=fixed_clock("2025-01-01")
    )
    write_index_pages(kb.site_src, kb)
    page = body(kb, "papers/2001.md")
    html = render_md(page)
    assert page.index('!!! danger "Retracted publication"') < page.index("## Summary")
    assert 'class="admonition danger"' in html
    assert "https://pubmed.ncbi.nlm.nih.gov/3001/" in page  # the retraction notice
    assert "https://pubmed.ncbi.nlm.nih.gov/3002/" in page  # the expression of concern
    lists = ["keywords/cancer.md", "papers/index.md", "retracted.md", "index.md", "years/2023.md"]
    for rel in lists:
        item = next(x for x in body(kb, rel).splitlines() if "papers/2001.md" in x)
        assert "⚠ Retracted publication" in item, rel
    retracted = body(kb, "retracted.md")
    assert linked(retracted.split("## Expression of concern")[0]) == {"2001"}


def test_status_page_reflects_run_records_with_a_failed_topic(kb: Config, render_md) -> None:
    for day in ("2026-01-03", "2026-01-10", "2026-01-17"):
        append_run_record(
            kb.state_dir,
            {
                "started": f"{day}T02:00:00+00:00",
                "ok": day != "2026-01-17",
                "dry_run": False,
                "new": 4,
                "updated": 1,
                "fetched": 5,
                "topics": [
                    {
                        "name": "cancer",
                        "query": "cancer[tiab]",
                        "window": {"start": "2026-01-01", "end": day, "datetype": "edat"},
                        "hits": 5,
                        "new": 4,
                        "updated": 1,
                        "errors": [],
                        "ok": True,
                    },
                    {
                        "name": "germline",
                        "query": "germline[tiab] <b>",
                        "window": {"start": "2026-01-01", "end": day, "datetype": "edat"},
                        "hits": 0,
                        "new": 0,
                        "updated": 0,
                        "errors": [] if day != "2026-01-17" else ["esearch failed: HTTP 500"],
                        "ok": day != "2026-01-17",
                    },
                    {
                        "name": "somatic",
                        "query": "somatic[tiab]",
                        "window": {"start": "2026-01-01", "end": day, "datetype": "edat"},
                        "hits": 0,
                        "new": 0,
                        "updated": 0,
                        "errors": [],
                        "ok": True,
                    },
                ],
            },
        )
    write_index_pages(kb.site_src, kb)
    status = body(kb, "status.md")
    html = render_md(status)
    assert '!!! failure "The last harvest FAILED' in status
    assert "2026-01-17T02:00:00+00:00" in status
    assert "Last fully successful harvest: 2026-01-10T02:00:00+00:00" in status
    row = next(x for x in status.splitlines() if x.startswith("| germline"))
    assert "❌" in row and "HTTP 500" in row
    assert "germline[tiab] &lt;b&gt;" in row and "<b>" not in html.split("germline[tiab]")[1][:20]
    assert "2026-01-01 → 2026-01-17 (edat)" in row
    # somatic found nothing three runs in a row: warned; germline's failure breaks its streak
    assert "Topic “somatic” found nothing in the last 3 harvests" in status
    assert "“germline” found nothing" not in status
    landing = body(kb, "index.md")
    assert "## New since the last harvest" in landing


def test_empty_streak_counts_only_successful_empty_runs() -> None:
    def run(hits: int, ok: bool = True) -> dict:
        return {"dry_run": False, "topics": [{"name": "t", "hits": hits, "ok": ok}]}

    assert empty_streak([run(3), run(0), run(0)], "t") == 2
    assert empty_streak([run(0), run(0, ok=False)], "t") == 0
    assert empty_streak([run(0), {"dry_run": True, "topics": []}], "t") == 1


def test_charts_are_static_deterministic_svg_without_scripts() -> None:
    entries = [
        Entry(
            pmid=str(i),
            title="t",
            pub_date=f"2025-0{1 + i % 3}-01",
            search_keywords=("a",),
            mesh=("Exosomes", "Humans"),
        )
        for i in range(9)
    ]
    first = papers_per_month(entries, ["a"], "Papers", "Month", "Other")
    assert first == papers_per_month(entries, ["a"], "Papers", "Month", "Other")
    mesh = top_mesh(entries, "MeSH", "Term", "Papers", skip=("Humans",))
    for chart in (first, mesh):
        svg = chart.svg
        assert svg.startswith("<svg") and "\n" not in svg
        assert "<script" not in svg and "kozea.github.io" not in svg
        assert "var(--md-default-fg-color" in svg  # follows the light/dark palette
        assert "font-size:26" in svg.replace(" ", "")  # ~12 px on a 390 px phone
    assert "Exosomes" in mesh.svg and ">Humans<" not in mesh.svg
    # the same numbers as a table: the text alternative a screen reader can read
    assert first.header == ("Month", "a")
    assert first.rows == (("2025-01", "3"), ("2025-02", "3"), ("2025-03", "3"))
    assert mesh.rows == (("Exosomes", "9"),)
    assert papers_per_month([], ["a"], "x", "Month", "Other") is None
    # two months of papers say nothing the counts do not: no chart
    assert papers_per_month(entries[:2], ["a"], "x", "Month", "Other") is None


def test_month_chart_draws_the_largest_topics_and_sums_the_rest() -> None:
    topics = [f"t{i}" for i in range(8)]
    entries = [
        Entry(pmid=f"{i}{m}", title="t", pub_date=f"2025-0{m}-01", search_keywords=(topics[i],))
        for i in range(8)
        for m in range(1, 4)
        for _ in range(8 - i)
    ]
    chart = papers_per_month(entries, topics, "Papers", "Month", "Other topics")
    assert chart.header == ("Month", "t0", "t1", "t2", "t3", "t4", "Other topics")
    assert chart.rows[0] == ("2025-01", "8", "7", "6", "5", "4", str(3 + 2 + 1))


def test_landing_charts_and_filters_render(sample_kb: Config, render_md) -> None:
    landing = body(sample_kb, "index.md")
    landing_html = render_md(landing)
    # the sample's papers fall in fewer than 3 months: no month chart, the MeSH chart only
    assert landing_html.count('<div class="kb-chart"><svg role="img" aria-label="') == 1
    assert "<summary>The numbers as a table: Most frequent MeSH terms</summary>" in landing_html
    assert "<th>MeSH term</th>" in landing_html and "<td>Exosomes</td>" in landing_html
    topic_html = render_md(body(sample_kb, "keywords/cancer.md"))
    assert "data-kb-filter" in topic_html
    legend = re.search(r'data-kb-types="([^"]*)"', topic_html)
    assert legend
    types = html.unescape(legend.group(1)).split("|")
    assert "Journal Article" in types and types == sorted(types)
    items = re.findall(r"<li ([^>]*)>", topic_html)
    attrs = [dict(re.findall(r'(data-[a-z]+)="([^"]*)"', item)) for item in items]
    assert len(attrs) == 9
    fields = [a["data-f"].split(" ") for a in attrs]
    assert all(f[0] in ("high", "medium", "low") for f in fields)
    assert all(f[1] == "2025" for f in fields)
    # each item's types, by number in the page's legend
    pmids = re.findall(r'href="\.\./papers/(\d+)\.md"', topic_html)
    for item, pmid in zip(attrs, pmids, strict=True):
        meta = split_page((sample_kb.site_src / "papers" / f"{pmid}.md").read_text("utf-8"))[0]
        named = [types[int(i)] for i in item["data-f"].split()[2:]]
        assert named == meta["publication_types"], pmid


def test_mesh_pages_show_co_occurring_terms_and_leave_qualifiers_to_the_paper(kb: Config) -> None:
    pipeline.ingest(kb, [FIXTURES / "full_article.xml"], clock=fixed_clock("2025-01-01"))
    write_index_pages(kb.site_src, kb)
    meta = split_page((kb.site_src / "papers" / "2001.md").read_text(encoding="utf-8"))[0]
    term = next(t for t, q in meta["mesh_qualifiers"].items() if q)
    page = body(kb, f"mesh/{slugify(term)}.md")
    assert "papers/2001.md" in page and "qualifiers:" not in page  # they are on the paper
    others = [m for m in meta["mesh"] if m != term]
    co = page.split("**Most frequent together with**:", 1)[1].splitlines()[0]
    for other in others[:3]:
        assert f"({slugify(other)}.md)" in co


def test_rerendering_with_runs_is_deterministic(sample_kb: Config) -> None:
    entries = load_entries(sample_kb.site_src)
    runs = [json.loads('{"started": "2025-07-17T00:00:00+00:00", "ok": true, "topics": []}')]
    assert render_index_pages(entries, sample_kb, runs) == render_index_pages(
        entries, sample_kb, runs
    )
