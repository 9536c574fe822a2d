"""Escaping: paper text rendered by Python-Markdown (mkdocs.yml's extensions) stays literal."""

from __future__ import annotations

import pytest

from generator.utils.markdown import doi_url, escape_html, escape_md, md_link, pmc_url, pubmed_url
from tests.conftest import parse_html

HOSTILE = (
    "*bold* _x_ [link](javascript:alert(1)) <script>alert(1)</script> {: .cls} # not heading "
    "| pipe `code` 1. not list - not bullet &amp;"
)

# Text from real and hostile titles/abstracts; each must come out exactly as written.
CASES = [
    HOSTILE,
    "1. not list",
    "12) not list either",
    "- not bullet",
    "+ not bullet",
    "* not bullet",
    "# not heading",
    "### not heading ###",
    "> not a quote",
    '!!! danger "not an admonition"',
    "!!! note",
    "??? not collapsible",
    "| a | b |",
    "a | b",
    "---",
    "***",
    "___",
    "===",
    "[TOC]",
    "[^1] not a footnote",
    "![img](x.png)",
    "<https://example.org>",
    "<div markdown>**x**</div>",
    "<!-- comment -->",
    "&copy; &#60; &lt;",
    "a\\*b\\",
    "x {#id .cls}",
    "Heading {: #id }",
    "[x]: https://evil.example/",
    "*[HTML]: Hyper",
    "~~strike~~ ==mark== ^sup^",
    "p < 0.05 and p > 0.01",
    "IL-6/IL-6R (n = 1,234; 95% CI 1.2-3.4)",
    "C. elegans and H. sapiens",
    "β-catenin, α-synuclein, 유방암, 🧬",
    "line one\nline two\n\n    indented code",
    "  leading and trailing  ",
    "__init__ and snake_case_name",
    "2*3*4 = 24",
    "`` double ticks ``",
    "<scr<script>ipt>",
    "javascript:alert(1)",
]

FORBIDDEN = {"em", "strong", "a", "script", "code", "ol", "ul", "li", "h1", "h2", "h3", "table"}
FORBIDDEN |= {"blockquote", "hr", "img", "div", "pre", "sup", "del", "abbr", "details"}


def _visible(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("text", CASES)
@pytest.mark.parametrize("line_start", [True, False])
def test_escaped_text_renders_as_literal_text(render_md, text, line_start):
    escaped = escape_md(text, line_start=line_start)
    # inside a paragraph when not at a line start, as the pages use it ("- **Title**: …")
    source = escaped if line_start else f"Label: {escaped}"
    html = render_md(source)
    parsed = parse_html(html)
    assert parsed.tag_names() == ["p"], html
    expected = _visible(text) if line_start else f"Label: {_visible(text)}"
    assert parsed.text == expected


@pytest.mark.parametrize("text", CASES)
def test_escaped_text_is_literal_in_headings_and_list_items(render_md, text):
    escaped = escape_md(text)
    for source, tags in [
        (f"# {escaped}", ["h1", "a"]),  # toc adds a permalink
        (f"- **Authors**: {escaped}", ["ul", "li", "strong"]),
        (f"| A |\n|---|\n| {escaped} |", ["table", "thead", "tr", "th", "tbody", "tr", "td"]),
    ]:
        parsed = parse_html(render_md(source))
        assert parsed.tag_names() == tags, source
        assert _visible(text) in parsed.text


def test_the_hostile_example_has_no_elements(render_md):
    html = render_md(escape_md(HOSTILE, line_start=True))
    parsed = parse_html(html)
    assert not FORBIDDEN & set(parsed.tag_names())
    assert "<script" not in html
    assert parsed.text == HOSTILE


def test_escape_md_collapses_whitespace():
    assert escape_md("a\n\n  b\tc ") == "a b c"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>&</b>", "&lt;b&gt;&amp;&lt;/b&gt;"),
        ('say "hi"', "say &quot;hi&quot;"),
        ("it's", "it&#x27;s"),
        ("a\n b", "a b"),
    ],
)
def test_escape_html(text, expected):
    assert escape_html(text) == expected


@pytest.mark.parametrize(
    ("text", "url", "href"),
    [
        ("PubMed", "https://pubmed.ncbi.nlm.nih.gov/1/", "https://pubmed.ncbi.nlm.nih.gov/1/"),
        ("a](evil)", "https://x.org/a b", "https://x.org/a%20b"),
        ("x", "https://x.org/a)<script>", "https://x.org/a%29%3Cscript%3E"),
        ("x", 'https://x.org/"onmouseover="1', "https://x.org/%22onmouseover=%221"),
        ("*x*", "../mesh/rna-transfer--c19425fb.md", "../mesh/rna-transfer--c19425fb.md"),
    ],
)
def test_md_link_cannot_break_out(render_md, text, url, href):
    parsed = parse_html(render_md(md_link(text, url)))
    assert parsed.tag_names() == ["p", "a"]
    assert parsed.hrefs() == [href]
    assert parsed.text == text


@pytest.mark.parametrize(
    ("func", "value", "expected"),
    [
        (doi_url, "10.1186/s12967-025-06814-7", "https://doi.org/10.1186/s12967-025-06814-7"),
        (doi_url, "10.1002/(SICI)1097-0258", "https://doi.org/10.1002/%28SICI%291097-0258"),
        (doi_url, "10.1/a b<c>", "https://doi.org/10.1/a%20b%3Cc%3E"),
        (pmc_url, "PMC12236016", "https://pmc.ncbi.nlm.nih.gov/articles/PMC12236016/"),
        (pmc_url, "../x", "https://pmc.ncbi.nlm.nih.gov/articles/..%2Fx/"),
        (pubmed_url, "40629355", "https://pubmed.ncbi.nlm.nih.gov/40629355/"),
    ],
)
def test_external_urls(render_md, func, value, expected):
    url = func(value)
    assert url == expected
    assert parse_html(render_md(md_link(value, url))).hrefs() == [expected]
