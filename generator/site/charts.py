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
from dataclasses import dataclass

import pygal
from pygal.style import Style

from generator.site.listing import Entry

MONTHS = 24  # papers per month: the last two years that have papers
MIN_MONTHS = 3  # fewer months with papers say nothing a count does not
MAX_SERIES = 6  # topics drawn one by one; the rest are summed as one series
TOP_MESH = 15
# Tableau 10: told apart by readers with colour-vision deficiencies, and every colour at
# least 3:1 against both Material's white and its dark (#1e2129) background.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
FONT = 26  # in an 800-unit-wide chart: ~12 px on a 390 px phone, ~21 px on a desktop

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="var(--md-default-fg-color--light, #555)",
    foreground_strong="var(--md-default-fg-color, #222)",
    foreground_subtle="var(--md-default-fg-color--lightest, #ddd)",
    opacity=".9",
    opacity_hover="1",
    colors=PALETTE,
    font_family="inherit",
    title_font_size=FONT + 4,
    label_font_size=FONT,
    major_label_font_size=FONT,
    legend_font_size=FONT,
    value_font_size=FONT,
    tooltip_font_size=FONT,
)


@dataclass(frozen=True)
class Chart:
    """An SVG chart and the same numbers as a table (its text alternative)."""

    svg: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


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
        "legend_at_bottom_columns": 2,
        "show_y_guides": True,
        "print_values": False,
        "truncate_legend": 28,
        "margin": 8,
    }


def papers_per_month(
    entries: Sequence[Entry], topics: Sequence[str], title: str, month: str, other: str
) -> Chart | None:
    """A stacked bar chart of papers per publication month, one series per topic (the
    ``MAX_SERIES - 1`` largest, then the rest as ``other``); None under ``MIN_MONTHS``."""
    months = sorted({e.pub_date[:7] for e in entries if e.pub_date and len(e.pub_date) >= 7})
    months = months[-MONTHS:]
    if len(months) < MIN_MONTHS:
        return None
    counts = {
        t: Counter(e.pub_date[:7] for e in entries if t in e.search_keywords and e.pub_date)
        for t in topics
    }
    totals = {t: sum(counts[t][m] for m in months) for t in topics}
    ranked = [t for t in sorted(topics, key=lambda t: (-totals[t], t.casefold())) if totals[t]]
    shown = ranked if len(ranked) <= MAX_SERIES else ranked[: MAX_SERIES - 1]
    rest = [t for t in ranked if t not in shown]
    series = [(t, [counts[t][m] for m in months]) for t in shown]
    if rest:
        series.append((other, [sum(counts[t][m] for t in rest) for m in months]))
    chart = pygal.StackedBar(width=800, height=560, x_label_rotation=-45, title=title, **_config())
    chart.x_labels = months
    for name, values in series:
        chart.add(name, [v or None for v in values])
    header = (month, *(name for name, _ in series))
    rows = tuple((m, *(str(values[i]) for _, values in series)) for i, m in enumerate(months))
    return Chart(_clean(chart.render(is_unicode=True), "kb-chart-months"), title, header, rows)


def top_mesh(
    entries: Sequence[Entry], title: str, term: str, papers: str, skip: Sequence[str] = ()
) -> Chart | None:
    """A horizontal bar chart of the most frequent MeSH descriptors."""
    counts = Counter(m for e in entries for m in e.mesh if m not in skip)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_MESH]
    if not top:
        return None
    chart = pygal.HorizontalBar(
        width=800, height=90 + 50 * len(top), title=title, show_legend=False, **_config()
    )
    chart.x_labels = [name for name, _ in reversed(top)]
    chart.add("", [n for _, n in reversed(top)])
    rows = tuple((name, str(n)) for name, n in top)
    svg = _clean(chart.render(is_unicode=True), "kb-chart-mesh")
    return Chart(svg, title, (term, papers), rows)
