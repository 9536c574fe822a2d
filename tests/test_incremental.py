"""Builds that cost what changed: the hook's page cache and the search shards.

A warm build (a cache from an earlier build of other pages) must give the same site as a cold
build of the same pages, byte for byte; a changed or removed paper must leave nothing stale.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from generator import pipeline
from generator.config.load import load_config
from generator.config.model import Config
from generator.site import render, search_index
from generator.site.build import collection_dates
from generator.site.exports import read_papers
from generator.site.render import RenderCache, compact_html, is_managed, linked_pages, page_key
from generator.site.search_index import PMID_SPACE, plan_shards
from generator.utils.clock import fixed_clock
from tests.conftest import FIXTURES, tree_bytes, write_kb

EXTRA = FIXTURES / "xml" / "full_article.xml"  # PMID 2001, not in the sample


# --- pure parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src_uri", "managed"),
    [
        ("papers/40629355.md", True),
        ("papers/index.md", False),  # in the navigation: MkDocs builds it
        ("papers/index/page-2.md", True),
        ("mesh/breast-neoplasms.md", True),
        ("mesh/index.md", False),
        ("keywords/cancer.md", True),
        ("types/review/page-3.md", True),
        ("index.md", False),
        ("status.md", False),
        ("about/papers.md", False),
    ],
)
def test_is_managed(src_uri: str, managed: bool) -> None:
    assert is_managed(src_uri) is managed


def test_linked_pages_resolves_relative_md_links_only() -> None:
    source = (
        "[a](../mesh/x.md) [b](../keywords/y.md#top) [c](https://e.org/z.md) "
        "[d](../papers/1/cite.json) [e](same.md)"
    )
    assert linked_pages("papers/1.md", source) == [
        "keywords/y.md",
        "mesh/x.md",
        "papers/same.md",
    ]


def test_compact_html_keeps_verbatim_blocks() -> None:
    page = "<div>\n    <p>a  b</p>\n\n\n  <pre>x\n\n    y</pre>\n</div>\n"
    assert compact_html(page) == "<div>\n<p>a  b</p>\n<pre>x\n\n    y</pre>\n</div>\n"


def test_page_key_changes_with_each_input() -> None:
    base = page_key("f1", "papers/1.md", b"text")
    assert base == page_key("f1", "papers/1.md", b"text")
    assert len({base, page_key("f2", "papers/1.md", b"text")}) == 2
    assert len({base, page_key("f1", "papers/2.md", b"text")}) == 2
    assert len({base, page_key("f1", "papers/1.md", b"text!")}) == 2


def test_shards_hold_at_most_max_papers_and_cover_every_pmid() -> None:
    pmids = [*range(36_000_000, 36_002_500), 1, 2, 3, 10_000_000]
    shards = plan_shards(pmids, max_size=1000)
    assert all(0 < len(s.pmids) <= 1000 for s in shards)
    assert sorted(p for s in shards for p in s.pmids) == sorted(pmids)
    assert all(s.lo <= min(s.pmids) and max(s.pmids) < s.hi for s in shards)
    assert [s.lo for s in shards] == sorted(s.lo for s in shards)
    assert shards[0].lo >= 0 and shards[-1].hi <= PMID_SPACE


def test_new_papers_with_new_pmids_leave_older_shards_alone() -> None:
    old = list(range(36_000_000, 36_000_000 + 20_000, 2))  # 10,000 papers
    before = plan_shards(old, max_size=2000)
    after = plan_shards([*old, *range(36_020_000, 36_020_400)], max_size=2000)
    unchanged = set(before) & set(after)
    assert len(unchanged) >= len(before) - 2  # only the last shard or two are touched


def test_shards_depend_only_on_the_pmids() -> None:
    pmids = [36_000_000 + 7 * i for i in range(5000)]
    assert plan_shards(pmids, 700) == plan_shards(list(reversed(pmids)), 700)


def _weeks(first: date, weeks: int, per_week: int, start: int) -> dict[int, str]:
    return {
        start + w * per_week + i: (first + timedelta(days=7 * w)).isoformat()
        for w in range(weeks)
        for i in range(per_week)
    }


def test_a_weekly_run_touches_only_the_newest_shard_whatever_its_pmids() -> None:
    """Shards are cut by collection day first: a run's papers land in the newest shard,
    even when they are old PMIDs (a widened query), and every earlier shard stays."""
    first = {p: "2025-01-06" for p in range(36_000_000, 36_040_000, 2)}  # one big harvest
    weekly = _weeks(date(2025, 1, 13), 20, 300, 37_000_000)
    before = {**first, **weekly}
    old_pmids = {p: "2025-06-02" for p in range(36_010_001, 36_010_601, 2)}  # among the first
    new_pmids = {p: "2025-06-02" for p in range(38_000_000, 38_000_300)}
    base = plan_shards(list(before), 4000, before)
    assert sum(len(s.pmids) for s in base) == len(before)
    assert all(0 < len(s.pmids) <= 4000 for s in base)
    for added in (old_pmids, new_pmids):
        after_all = {**before, **added}
        after = plan_shards(list(after_all), 4000, after_all)
        touched = [s for s in after if s not in base]
        assert len(touched) == 1
        assert set(added) <= set(touched[0].pmids)
        assert not set(touched[0].pmids) & set(first)  # the newest weeks, not the first run


def test_without_dates_shards_are_cut_by_pmid_alone() -> None:
    pmids = list(range(36_000_000, 36_005_000))
    same_day = dict.fromkeys(pmids, "2025-01-06")
    by_pmid = plan_shards(pmids, 1000)
    assert [s.pmids for s in plan_shards(pmids, 1000, same_day)] == [s.pmids for s in by_pmid]
    assert plan_shards(pmids, 1000, {p: "not a date" for p in pmids}) == by_pmid


def test_a_damaged_cache_index_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text("{not json", encoding="utf-8")
    assert RenderCache.open(tmp_path).index == {}


# --- builds --------------------------------------------------------------------------


def _non_search_files(site: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree_bytes(site).items() if not k.startswith("pagefind/")}


def _search_records(site: Path) -> dict[str, dict]:
    """Every indexed page's record (url → content and metadata), over all shards."""
    manifest = json.loads((site / "pagefind" / "shards.json").read_text(encoding="utf-8"))
    records = {}
    for shard in manifest["shards"]:
        for fragment in (site / "pagefind" / shard / "fragment").glob("*.pf_fragment"):
            data = json.loads(gzip.decompress(fragment.read_bytes())[len(b"pagefind_dcd") :])
            records[data["url"]] = {k: data[k] for k in ("content", "meta", "filters")}
    return records


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts pages the hook renders and Pagefind runs (rendering in this process)."""
    counts = {"pages": 0, "shards": 0}
    real_render, real_index = render.render_page, search_index._index_shard

    def count_render(job, src_uri):  # type: ignore[no-untyped-def]
        counts["pages"] += 1
        return real_render(job, src_uri)

    def count_index(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["shards"] += 1
        return real_index(*args, **kwargs)

    monkeypatch.setattr(render, "render_page", count_render)
    monkeypatch.setattr(render, "_workers", lambda n: 1)  # no forks: count here
    monkeypatch.setattr(search_index, "_index_shard", count_index)
    return counts


def _build_in_process(config: Config, site: Path) -> None:
    """``generator build`` with MkDocs run in this process (so the counters see the hook)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config as load_mkdocs

    pipeline.index(config)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KB_CONFIG", str(config.path))
        mk = load_mkdocs(str(config.path.parent / "mkdocs.yml"), site_dir=str(site), strict=True)
        build(mk)
    cache = config.site_src.parent / ".kb-cache"
    keys = render.paper_render_keys(cache / "render")
    collected = collection_dates(read_papers(config.site_src))
    search_index.build_search_index(site, cache / "search", page_keys=keys, collected=collected)


def test_a_warm_build_renders_only_what_changed_and_equals_a_cold_build(
    tmp_path: Path, counting: dict[str, int]
) -> None:
    config = load_config(write_kb(tmp_path / "warm"))
    pipeline.demo(config, tmp_path / "first")  # a complete build: the cache is warm
    counting["pages"] = counting["shards"] = 0

    _build_in_process(config, tmp_path / "again")  # nothing changed
    assert counting == {"pages": 0, "shards": 0}

    # a new paper, and a note written on an old one
    pipeline.ingest(config, [EXTRA], ["cancer"], clock=fixed_clock("2025-07-21"))
    noted = config.site_src / "papers" / "40629355.md"
    noted.write_text(noted.read_text(encoding="utf-8") + "Read this first.\n", "utf-8")
    counting["pages"] = counting["shards"] = 0
    warm = tmp_path / "site-warm"
    _build_in_process(config, warm)
    changed = counting["pages"]
    assert 2 <= changed < 40  # the two papers and the lists that show them, not all 110 pages
    assert counting["shards"] == 1
    assert "Read this first." in (warm / "papers" / "40629355" / "index.html").read_text()

    cold_config = load_config(write_kb(tmp_path / "cold"))
    shutil.copytree(config.site_src / "papers", cold_config.site_src / "papers")
    counting["pages"] = 0
    cold = tmp_path / "site-cold"
    _build_in_process(cold_config, cold)
    assert counting["pages"] > changed  # a cold cache renders everything
    assert _non_search_files(warm) == _non_search_files(cold)
    assert _search_records(warm) == _search_records(cold)


def test_a_removed_paper_leaves_nothing_behind(tmp_path: Path) -> None:
    config = load_config(write_kb(tmp_path / "kb"))
    pipeline.demo(config, tmp_path / "site")
    (config.site_src / "papers" / "40629355.md").unlink()
    site = pipeline.build(config, tmp_path / "site").site_dir
    assert not (site / "papers" / "40629355").exists()
    assert "/papers/40629355/" not in _search_records(site)
    assert not any("40629355" in p.read_text("utf-8") for p in site.rglob("*.html"))
    cache = RenderCache.open(config.site_src.parent / ".kb-cache" / "render")
    assert "papers/40629355.md" not in cache.index
    on_disk = {p.stem for p in cache.root.glob("*/*.html")}
    assert on_disk == {e["key"] for e in cache.index.values()}  # unused entries deleted


def test_lists_lifted_out_of_markdown_come_back_unchanged() -> None:
    md = (
        "# Term\n\nintro\n\n## Papers\n\n"
        '<ul class="kb-list">\n<li><a href="../papers/1.md">A *b* & c</a></li>\n</ul>\n\n'
        "text\n\n"
        '<ul class="kb-list">\n<li>two</li>\n</ul>\n'
    )
    lifted, lists = render.lift_lists(md)
    assert len(lists) == 2 and "<li>" not in lifted
    converted = lifted.replace("kb-lifted-list-0", "<p>kb-lifted-list-0</p>")
    assert render.restore_lists(converted, lists).count("A *b* & c") == 1
    # a page that itself names the placeholder is left whole
    assert render.lift_lists("kb-lifted-list-0\n\n" + md) == ("kb-lifted-list-0\n\n" + md, [])


def test_lifting_the_lists_out_of_markdown_changes_no_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lists skip Python-Markdown (which passes raw HTML through unchanged, after
    parsing it): every page must be byte for byte what Markdown would have made."""
    monkeypatch.setattr(render, "_workers", lambda n: 1)  # render in this process
    config = load_config(write_kb(tmp_path / "kb"))
    pipeline.demo(config, tmp_path / "first")
    cache = config.site_src.parent / ".kb-cache"
    shutil.rmtree(cache)
    _build_in_process(config, tmp_path / "lifted")
    shutil.rmtree(cache)
    monkeypatch.setattr(render, "lift_lists", lambda markdown: (markdown, []))
    _build_in_process(config, tmp_path / "plain")
    lifted, plain = _non_search_files(tmp_path / "lifted"), _non_search_files(tmp_path / "plain")
    assert any('class="kb-list"' in v.decode() for k, v in lifted.items() if k.endswith(".html"))
    assert lifted == plain
