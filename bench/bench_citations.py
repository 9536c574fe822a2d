"""What the citation features cost in a built benchmark knowledge base (issue 13).

    python bench/bench_citations.py KB_DIR [--added-on YYYY-MM-DD]

KB_DIR is a ``bench_scale.py --keep DIR --signals`` folder (``site_src/``, ``state/``,
``site/``). Prints, in-process: the time to read the papers, their similarity terms (from
the cache) and the sparse product; the time to read the signals and make the citation
graph and the sort table; how many papers' similar lists the papers collected on
``--added-on`` changed (a weekly run's churn: each is a ``cite.json`` written again); and
the bytes of the signals, the similar lists and ``sortkeys.json`` in the built site.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from generator.kb.citations import citation_graph, load_signals
from generator.kb.similar import decode_terms, load_terms, nearest
from generator.site.exports import read_papers
from generator.site.sortkeys import PATH as SORTKEYS
from generator.site.sortkeys import render_sort_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kb", type=Path)
    parser.add_argument("--added-on", default="2026-01-08", help="the weekly run's day")
    args = parser.parse_args()
    src = args.kb / "site_src"
    t = time.monotonic()
    papers = read_papers(src)
    metas = {str(p["pmid"]): p for p in papers}
    read_s = time.monotonic() - t
    t = time.monotonic()
    encoded = load_terms(src, "Abstract", metas)
    rows = {p: decode_terms(text) for p, text in encoded.items()}
    terms_s = time.monotonic() - t
    pmids = list(encoded)
    t = time.monotonic()
    after = nearest(pmids, [rows[p] for p in pmids])
    product_s = time.monotonic() - t
    added = {p for p, m in metas.items() if str(m.get("collected")) == args.added_on}
    old = [p for p in pmids if p not in added]
    before = nearest(old, [rows[p] for p in old]) if added else after
    moved = sum(1 for p in old if before.get(p) != after.get(p))
    as_sets = sum(1 for p in old if set(before.get(p, ())) != set(after.get(p, ())))
    t = time.monotonic()
    signals = load_signals(args.kb / "state")
    citation_graph(signals, set(pmids))
    graph_s = time.monotonic() - t
    t = time.monotonic()
    render_sort_table(papers, signals)
    sort_s = time.monotonic() - t
    print(f"{len(pmids)} papers, {len(added)} collected on {args.added_on}")
    print(
        f"read papers {read_s:.1f} s; terms (cache) {terms_s:.1f} s; sparse product "
        f"{product_s:.1f} s; signals + graph {graph_s:.1f} s; sort table {sort_s:.2f} s"
    )
    share = moved / max(1, len(old))
    print(f"similar lists changed by the added papers: {moved} ({share:.1%}), as sets {as_sets}")
    site = args.kb / "site"
    if not site.is_dir():
        return
    signal_bytes = similar_bytes = files = 0
    for entry in os.scandir(site / "papers"):
        path = os.path.join(entry.path, "cite.json")
        if not os.path.isfile(path):
            continue
        files += 1
        custom = json.loads(Path(path).read_bytes()).get("custom", {})
        for key in ("signals", "similar"):
            if custom.get(key):
                size = len(json.dumps({key: custom[key]}, separators=(",", ":"))) - 1
                if key == "signals":
                    signal_bytes += size
                else:
                    similar_bytes += size
    print(
        f"cite.json: signals {signal_bytes / 1e6:.1f} MB ({signal_bytes / max(1, files):.0f} B a "
        f"paper), similar {similar_bytes / 1e6:.1f} MB ({similar_bytes / max(1, files):.0f} B); "
        f"{SORTKEYS} {(site / SORTKEYS).stat().st_size / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
