"""assets/kb/sortkeys.json: the table the browser orders lists and annotates results by."""

from __future__ import annotations

import json

from generator.site.exports import read_papers
from generator.site.sortkeys import date_number, sort_table
from tests.conftest import DemoSite


def test_publication_dates_become_numbers_that_sort_like_the_dates() -> None:
    assert date_number("2024-03-07") == 20240307
    assert date_number("2024-03") == 20240300
    assert date_number("2024") == 20240000
    assert date_number(None) == 0 and date_number("") == 0 and date_number("n.d.") == 0
    assert date_number("2024") < date_number("2024-01") < date_number("2024-01-02")


def test_rows_follow_the_pmids_as_differences_with_unknown_signals_marked() -> None:
    papers = [
        {"pmid": "30", "pub_date": "2023-05"},
        {"pmid": "7", "pub_date": "2024-01-09"},
        {"pmid": "12"},
    ]
    signals = {"7": {"citations": 4, "rcr": 1.23456}, "12": {"unknown": True, "taken": "x"}}
    assert sort_table(papers, signals) == {
        "pmid": [7, 5, 18],
        "date": [20240109, 0, 20230500],
        "cites": [4, -1, -1],
        "rcr": [1.23, None, None],
    }


def test_the_demo_site_has_one_row_per_paper(demo_site: DemoSite) -> None:
    table = json.loads((demo_site.site_dir / "assets/kb/sortkeys.json").read_text("utf-8"))
    papers = {int(p["pmid"]): p for p in read_papers(demo_site.site_src)}
    pmids, pmid = [], 0
    for delta in table["pmid"]:
        pmid += delta
        pmids.append(pmid)
    assert pmids == sorted(papers)
    assert table["date"] == [date_number(papers[p]["pub_date"]) for p in pmids]
    assert set(table["cites"]) == {-1}  # the offline sample has no citation signals
