"""Escape text from papers wherever it lands in Markdown or HTML."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

# Characters that Python-Markdown and the enabled extensions (attr_list, tables,
# md_in_html) treat as markup. Backslash escapes keep the Markdown readable; "|" has
# no backslash escape in Python-Markdown, so it becomes a character reference.
_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]{}#"} | {"|": "&#124;"})
_LINE_START = re.compile(r"^(\d+)([.)])|^([-+!])")  # "!!!" opens an admonition


def escape_md(text: str, line_start: bool = False) -> str:
    """Escape ``text`` for inline use in Markdown (headings, list items, paragraphs).

    ``line_start``: the text begins a line, where "1." / "-" / "+" would start a list
    and "!!!" an admonition.
    """
    text = " ".join(text.split())
    out = html.escape(text, quote=False)
    out = out.translate(_SPECIAL)
    if line_start:
        out = _LINE_START.sub(
            lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else "\\" + m.group(3),
            out,
        )
    return out


def escape_html(text: str) -> str:
    """Escape ``text`` for HTML element content or attribute values."""
    return html.escape(" ".join(text.split()), quote=True)


def md_link(text: str, url: str) -> str:
    """A Markdown link whose text is escaped and whose URL cannot break out of ``( )``."""
    safe_url = quote(url, safe=":/?#=&%+@.,;-_~")
    return f"[{escape_md(text)}]({safe_url})"


def doi_url(doi: str) -> str:
    return "https://doi.org/" + quote(doi, safe="/:;.-_~")


def pmc_url(pmcid: str) -> str:
    return f"https://pmc.ncbi.nlm.nih.gov/articles/{quote(pmcid, safe='')}/"


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{quote(pmid, safe='')}/"
