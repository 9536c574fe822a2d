"""``assets/kb/sortkeys.json``: what the browser orders lists and annotates search results by.

Every list (topics, MeSH terms, facets, all papers) can be ordered by newest, relevance,
citations or Relative Citation Ratio in the browser (``assets/kb/filter.js``), and search
results show a paper's citations (``assets/kb/search.js``). Sort keys in each list item
would cost bytes in ~17 items a paper (850,000 at 50,000 papers) and re-render every list
page whenever a paper's citations change; one table for the whole site, fetched only when a
reader asks for such an order or searches, costs ~20 bytes a paper and no render.

The table is columnar JSON, rows in PMID order: ``pmid`` (each the difference from the
previous one, which keeps the numbers short), ``date`` (publication date as ``yyyymmdd``,
missing month and day as ``00``; 0 for none), ``cites`` (citation count, -1 when not
known) and ``rcr`` (Relative Citation Ratio, ``null`` when not known). Pure but for
:func:`write_sort_keys`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from generator.site.exports import write_site_file

PATH = "assets/kb/sortkeys.json"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def date_number(pub_date: Any) -> int:
    """``2024-03-07`` → 20240307, ``2024-03`` → 20240300, ``2024`` → 20240000; 0 for none."""
    m = _DATE.match(str(pub_date or ""))
    if not m:
        return 0
    year, month, day = m.group(1), m.group(2) or "00", m.group(3) or "00"
    return int(year + month + day)


def sort_table(
    papers: Sequence[Mapping[str, Any]], signals: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """The table's columns for ``papers`` (their frontmatter) and their citation signals."""
    rows = sorted((int(p["pmid"]), p) for p in papers if str(p.get("pmid", "")).isdigit())
    table: dict[str, list[Any]] = {"pmid": [], "date": [], "cites": [], "rcr": []}
    previous = 0
    for pmid, meta in rows:
        record = signals.get(str(pmid)) or {}
        cites = record.get("citations")
        rcr = record.get("rcr")
        table["pmid"].append(pmid - previous)
        table["date"].append(date_number(meta.get("pub_date")))
        table["cites"].append(cites if isinstance(cites, int) else -1)
        table["rcr"].append(round(float(rcr), 2) if isinstance(rcr, (int, float)) else None)
        previous = pmid
    return table


def render_sort_table(
    papers: Sequence[Mapping[str, Any]], signals: Mapping[str, Mapping[str, Any]]
) -> str:
    return json.dumps(sort_table(papers, signals), separators=(",", ":")) + "\n"


def write_sort_keys(
    site_dir: Path,
    papers: Sequence[Mapping[str, Any]],
    signals: Mapping[str, Mapping[str, Any]],
) -> int:
    """Write the table into the built site; its size in bytes."""
    return write_site_file(site_dir, PATH, render_sort_table(papers, signals))
