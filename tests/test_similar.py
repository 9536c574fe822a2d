"""Similar papers here: terms from a page, cosine neighbours, cached terms, cite.json."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from generator.config.model import Config
from generator.kb import catalog, similar
from generator.kb.pages import dump_page, split_page
from generator.kb.similar import (
    _term_id,
    abstract_text,
    decode_terms,
    encode_terms,
    load_terms,
    paper_terms,
    similar_in,
    similar_papers,
)
from generator.site.exports import read_papers, write_exports

BODY = """# A title

## Summary

**At a glance**: exosome exosome exosome

## Abstract

**BACKGROUND**: Exosomes carry microRNA; exosomes exosomes exosomes exosomes.

### Other abstract (kor)

종양 세포가 분비하는 엑소좀

## Collection

- **Topics that matched**: exosome-notes
"""


def test_terms_weigh_major_mesh_keywords_title_and_abstract_words() -> None:
    meta = {
        "title": "The Exosome of 2024 and the tumour",
        "mesh": ["Exosomes", "Humans", "Exosomes"],
        "mesh_major": ["Exosomes"],
        "keywords": ["MicroRNA ", "microrna", ""],
    }
    terms = paper_terms(meta, BODY)
    assert terms["m:Exosomes"] == 2.0 and terms["m:Humans"] == 1.0  # major counts double
    assert terms["k:microrna"] == 1.5  # keywords folded to lower case, once
    assert terms["w:exosome"] == 1.0 and terms["w:tumour"] == 1.0  # title words
    assert "w:the" not in terms and "w:of" not in terms and "w:2024" not in terms
    # abstract words: 0.5 a use, three uses at most; the label is a stop word
    assert terms["w:exosomes"] == 1.5 and terms["w:microrna"] == 0.5
    assert "w:background" not in terms
    assert terms["w:엑소좀"] == 0.5  # the other abstract is the abstract too
    # the summary and the collection are the page's, not the paper's words
    assert "w:exosome-notes" not in terms and terms["w:exosome"] == 1.0
    assert list(terms) == sorted(terms)


def test_the_abstract_section_is_found_by_its_heading_in_the_site_language() -> None:
    assert abstract_text(BODY, "Abstract").strip().startswith("**BACKGROUND**")
    assert "Topics that matched" not in abstract_text(BODY, "Abstract")
    korean = BODY.replace("## Abstract", "## 초록")
    assert abstract_text(korean, "Abstract") == ""
    assert "microRNA" in abstract_text(korean, "초록")


def _terms(**papers: str) -> dict[str, dict[str, float]]:
    return {pmid[1:]: {f"w:{w}": 1.0 for w in words.split()} for pmid, words in papers.items()}


def test_neighbours_share_rare_terms_best_first_and_never_themselves() -> None:
    terms = _terms(
        p1="exosome microrna breast",
        p2="exosome microrna breast",
        p3="exosome microrna liver",
        p4="glioma imaging liver",
        p5="glioma imaging mri",
        p6="unrelated words only",
    )
    got = similar_papers(terms, top=2, min_score=0.1)
    assert got["1"] == ["2", "3"]  # all three terms shared, then two
    assert got["4"] == ["5", "3"]
    assert "6" not in got  # nothing shared: no list, not a list of strangers
    assert all(p not in near for p, near in got.items())


def test_ties_go_to_the_lower_pmid_and_the_order_of_input_does_not_matter() -> None:
    terms = _terms(p10="alpha beta", p30="alpha beta", p20="alpha beta", p40="gamma delta")
    assert similar_papers(terms, top=2)["10"] == ["20", "30"]
    items = list(terms.items())
    random.Random(3).shuffle(items)
    assert similar_papers(dict(items)) == similar_papers(terms)


def test_terms_nearly_every_paper_has_do_not_make_papers_similar(monkeypatch) -> None:
    monkeypatch.setattr(similar, "MIN_MAX_DF", 2)
    # "humans" is in every paper (over the 5% cut); "rare" joins only 1 and 2
    terms = {str(i): {"m:Humans": 1.0, f"w:own{i}": 1.0} for i in range(1, 41)}
    terms["1"]["w:rare"] = terms["2"]["w:rare"] = 1.0
    got = similar_papers(terms, top=5, min_score=0.01)
    assert got == {"1": ["2"], "2": ["1"]}


def test_load_terms_reads_only_new_and_changed_pages(sample_kb: Config, monkeypatch) -> None:
    src = sample_kb.site_src
    first = load_terms(src)
    assert len(first) == 30 and catalog.cache_path(src, "terms").is_file()
    read: list[str] = []
    real = catalog.split_page
    monkeypatch.setattr(catalog, "split_page", lambda t, n: read.append(n) or real(t, n))
    assert load_terms(src) == first and read == []
    page = src / "papers" / "40629355.md"
    meta, body = split_page(page.read_text(encoding="utf-8"))
    meta["mesh"] = [*meta.get("mesh", []), "Zebrafish"]
    page.write_text(dump_page(meta, body), encoding="utf-8")
    st = os.stat(page)
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    again = load_terms(src)
    assert read == [str(page)]  # its frontmatter, once (the terms reuse it)
    ids, weights = decode_terms(again["40629355"])
    assert weights[list(ids).index(_term_id("m:Zebrafish"))] == 1.0
    assert ids.tolist() == sorted(ids.tolist())
    assert {k: v for k, v in again.items() if k != "40629355"} == {
        k: v for k, v in first.items() if k != "40629355"
    }
    # the frontmatter cache is its own: the terms did not replace it
    assert catalog.paper_metas(src)["40629355"]["pmid"] == "40629355"


def test_similar_papers_go_into_cite_json_and_re_key_its_cache(
    sample_kb: Config, tmp_path: Path
) -> None:
    papers = read_papers(sample_kb.site_src)
    near = similar_in(sample_kb.site_src)
    assert len(near) == 30  # every sample paper has a neighbour in the sample
    cache = tmp_path / "cache"
    write_exports(papers, sample_kb, tmp_path / "a", cache, similar=near)
    record = json.loads((tmp_path / "a/papers/40629355/cite.json").read_text("utf-8"))
    assert record["custom"]["similar"] == [int(p) for p in near["40629355"]]
    changed = {**near, "40629355": near["40629355"][:1]}
    write_exports(papers, sample_kb, tmp_path / "b", cache, similar=changed)
    record = json.loads((tmp_path / "b/papers/40629355/cite.json").read_text("utf-8"))
    assert record["custom"]["similar"] == [int(near["40629355"][0])]


def test_encoded_terms_keep_every_term_and_weight() -> None:
    terms = {"m:Exosomes": 2.0, "w:cells": 1.5, "k:mirna": 1.5, "w:tumour": 0.5}
    ids, weights = decode_terms(encode_terms(terms))
    assert dict(zip(ids.tolist(), weights.tolist(), strict=True)) == {
        _term_id(t): w for t, w in terms.items()
    }
    assert decode_terms(encode_terms({}))[0].size == 0
