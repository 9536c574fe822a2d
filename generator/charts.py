"""Static SVG charts for the landing page, drawn with pygal at index time.

No script and no CDN: the SVG is inlined in the page, so it works offline and on a
``file://`` copy, and its colours follow Material's light/dark palette through CSS
variables. Output is deterministic (pygal's random chart id and its dated comment are
replaced), so the committed landing page changes only when the data do.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import pygal
from pygal.style import Style

from generator.listing import Entry

MONTHS = 24  # papers per month: the last two years that have papers
TOP_MESH = 15
PALETTE = (
    "#3f51b5", "#e91e63", "#009688", "#ff9800", "#9c27b0",
    "#4caf50", "#03a9f4", "#795548", "#607d8b", "#cddc39",
)  # fmt: skip

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="var(--md-default-fg-color--light, #555)",
    foreground_strong="var(--md-default-fg-color, #222)",
    foreground_subtle="var(--md-default-fg-color--lightest, #ddd)",
    opacity=".85",
    opacity_hover=".95",
    colors=PALETTE,
    font_family="inherit",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    value_font_size=11,
    tooltip_font_size=12,
)


def _clean(svg: str, chart_id: str) -> str:
    svg = re.sub(
        r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", chart_id, svg
    )
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<script.*?</script>", "", svg, flags=re.S)
    # One line: the page inlines it as a raw-HTML block, which a blank line would end.
    return " ".join(svg.split())


def _config() -> dict:
    return {
        "style": _STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "show_y_guides": True,
        "print_values": False,
        "margin": 8,
    }


def papers_per_month_svg(entries: Sequence[Entry], topics: Sequence[str], title: str) -> str | None:
    """A stacked bar chart of papers per publication month, one series per topic."""
    months = sorted({e.pub_date[:7] for e in entries if e.pub_date and len(e.pub_date) >= 7})
    months = months[-MONTHS:]
    if not months:
        return None
    chart = pygal.StackedBar(width=800, height=320, x_label_rotation=-45, title=title, **_config())
    chart.x_labels = months
    for topic in topics:
        counts = Counter(
            e.pub_date[:7] for e in entries if topic in e.search_keywords and e.pub_date
        )
        if any(counts[m] for m in months):
            chart.add(topic, [counts[m] or None for m in months])
    return _clean(chart.render(is_unicode=True), "kb-chart-months")


def top_mesh_svg(entries: Sequence[Entry], title: str, skip: Sequence[str] = ()) -> str | None:
    """A horizontal bar chart of the most frequent MeSH descriptors."""
    counts = Counter(m for e in entries for m in e.mesh if m not in skip)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_MESH]
    if not top:
        return None
    chart = pygal.HorizontalBar(
        width=800, height=40 + 24 * len(top), title=title, show_legend=False, **_config()
    )
    chart.x_labels = [name for name, _ in reversed(top)]
    chart.add("", [n for _, n in reversed(top)])
    return _clean(chart.render(is_unicode=True), "kb-chart-mesh")
