"""Render one paper page (YAML frontmatter + Markdown body), and read one back.

Pure functions: a :class:`~generator.pubmed.models.Paper` plus what the knowledge
base remembers about it (:class:`PageState`) in, page text out. The frontmatter
is written through python-frontmatter / PyYAML's safe dumper, so any title
round-trips exactly; every piece of paper text in the body is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import frontmatter
import yaml

from generator.kb.score import Score
from generator.kb.summarize import at_a_glance, extractive_summary, split_sentences
from generator.pubmed.models import AbstractSection, Author, CommentCorrection, Paper
from generator.utils.errors import PageError
from generator.utils.i18n import labels
from generator.utils.journals import citation_journal, list_journal
from generator.utils.languages import language_name
from generator.utils.markdown import (
    doi_url,
    escape_html,
    escape_md,
    md_link,
    pmc_url,
    pubmed_url,
)
from generator.utils.slug import slugify

SCHEMA_VERSION = 1
NOTES_MARKER = "<!-- notes: everything below this line is yours and survives every refresh -->"
_NOTES_HEADINGS = ("## Notes", "## 메모")

# libyaml's safe loader/dumper are several times faster on thousands of pages and
# produce the same YAML as the pure-Python ones.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _YAMLHandler(frontmatter.YAMLHandler):
    """Reads frontmatter with ``_Loader`` (``frontmatter.loads`` would take a ``Loader=``
    keyword as a default metadata value, not as the loader)."""

    def load(self, fm: str, **kwargs: Any) -> Any:
        return yaml.load(fm, Loader=_Loader)  # a safe loader: no arbitrary objects


_HANDLER = _YAMLHandler()


@dataclass(frozen=True)
class PageState:
    """What the knowledge base remembers about a paper between runs."""

    search_keywords: tuple[str, ...] = ()
    collected: str | None = None
    updated: str | None = None
    notes: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """A paper's summary and where it came from (``extractive`` or ``llm``)."""

    text: str
    source: str = "extractive"
    model: str | None = None


# Frontmatter keys that other stages own (e.g. the Paper Surfer importer's history):
# a re-render keeps them exactly as they were.
CARRIED_KEYS = ("imported",)


@dataclass(frozen=True)
class PageOptions:
    language: str = "en"
    summary_max_chars: int = 400
    abstract_omitted: bool = False  # the embedded sample carries no abstract text
    sample: bool = False  # the page comes from the embedded sample, not from PubMed
    notice: str | None = None  # shown as a note admonition right after the title


def csl_name(author: Author) -> dict[str, str]:
    """A CSL-JSON name: ``{family, given}`` for a person, ``{literal}`` for a group."""
    if author.collective_name:
        return {"literal": author.collective_name}
    name = {"family": author.last_name or "", "given": author.fore_name or author.initials or ""}
    if author.suffix:
        name["suffix"] = author.suffix
    return {k: v for k, v in name.items() if v}


def corrections(paper: Paper) -> list[CommentCorrection]:
    """Comments and corrections worth showing: not the legacy ``Cites`` reference entries
    (old MEDLINE records list every cited work there, thousands in all)."""
    return [c for c in paper.comments_corrections if c.ref_type != "Cites"]


def paper_path(pmid: str) -> str:
    """The page's path relative to ``site_src``."""
    if not pmid.isdigit():
        raise PageError(f"refusing a page for a non-numeric PMID {pmid!r}")
    return f"papers/{pmid}.md"


def build_frontmatter(
    paper: Paper,
    search_keywords: Sequence[str],
    score: Score,
    collected: str,
    updated: str,
    summary: Summary | None,
    options: PageOptions,
    carried: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The page's metadata, in a fixed key order (pure)."""
    j = paper.journal
    meta: dict[str, Any] = {
        "kb_schema": SCHEMA_VERSION,
        "pmid": paper.pmid,
        "pmid_version": paper.pmid_version,
        "title": paper.title or labels(options.language)["untitled"],
        "vernacular_title": paper.vernacular_title,
        "authors": [a.display_name for a in paper.authors if a.display_name],
        "author_names": [csl_name(a) for a in paper.authors if a.display_name],
        "journal": j.title,
        "journal_iso": j.iso_abbreviation,
        "volume": j.volume,
        "issue": j.issue,
        "pages": j.pages,
        "pub_date": paper.pub_date,
        "year": paper.year,
        "epub_date": paper.electronic_date,
        "entrez_date": paper.entrez_date,
        "doi": paper.doi,
        "pmcid": paper.pmcid,
        "keywords": list(paper.keywords),
        "mesh": [m.descriptor for m in paper.mesh],
        "mesh_major": [m.descriptor for m in paper.mesh if m.major],
        "mesh_qualifiers": {
            m.descriptor: [q + ("*" if major else "") for q, major in m.qualifiers]
            for m in paper.mesh
            if m.qualifiers
        },
        "publication_types": list(paper.publication_types),
        "language": list(paper.languages),
        "grants": [
            {k: v for k, v in (("id", g.grant_id), ("agency", g.agency), ("country", g.country))}
            for g in paper.grants
        ],
        "search_keywords": sorted(set(search_keywords), key=str.casefold),
        "score": score.value,
        "relevance": score.relevance,
        **score_parts(score),
        "collected": collected,
        "updated": updated,
        "retracted": paper.retracted,
        "corrections": [
            {"type": c.ref_type, "pmid": c.pmid, "source": c.ref_source} for c in corrections(paper)
        ],
        "citation_status": paper.citation_status,
        "is_book": paper.is_book,
        "abstract_omitted": options.abstract_omitted and not paper.abstract,
        "sample": options.sample,
        "url": paper.url,
    }
    if summary:
        text = summary.text
        meta["summary_source"] = summary.source
        if summary.model:
            meta["summary_model"] = summary.model
        meta["description"] = text if len(text) <= 200 else text[:199] + "…"
    elif glance := at_a_glance(paper, options.language):
        # No abstract to summarise: the "at a glance" line describes the page instead (a
        # search result, a feed entry and a shared link say what the paper is).
        meta["description"] = glance if len(glance) <= 200 else glance[:199] + "…"
    for key in CARRIED_KEYS:
        if carried and carried.get(key) is not None:
            meta[key] = carried[key]
    return meta


def render_paper_page(
    paper: Paper,
    state: PageState,
    score: Score,
    today: str,
    options: PageOptions | None = None,
    summary: Summary | None = None,
) -> str:
    """The whole page text for ``paper`` (pure and deterministic).

    ``state`` carries what an earlier page remembered (topics, first collection
    date, last update, the user's notes, carried frontmatter); ``today`` is used for
    a new page. ``summary`` defaults to the extractive one.
    """
    options = options or PageOptions()
    if summary is None:
        text = extractive_summary(paper, options.summary_max_chars)
        summary = Summary(text) if text else None
    collected = state.collected or today
    updated = state.updated or today
    meta = build_frontmatter(
        paper, state.search_keywords, score, collected, updated, summary, options, state.meta
    )
    body = render_body(paper, meta, score, summary, state.notes, options)
    return dump_page(meta, body)


def dump_page(meta: dict[str, Any], body: str) -> str:
    """Frontmatter + body as text; no line wrapping, keys in the given order."""
    post = frontmatter.Post(body, **meta)
    text = frontmatter.dumps(post, Dumper=_Dumper, sort_keys=False, width=2**30, allow_unicode=True)
    return text.rstrip("\n") + "\n"


def render_body(
    paper: Paper,
    meta: dict[str, Any],
    score: Score,
    summary: Summary | None,
    notes: str,
    options: PageOptions,
) -> str:
    lab = labels(options.language)
    out: list[str] = [f"# {escape_md(meta['title'])}", ""]
    if options.notice:
        out += ["!!! note", "", f"    {escape_md(options.notice)}", ""]
    if paper.retracted:
        out += _retraction_block(paper, lab)
    out += _citation_line(paper, meta, lab)
    # The summary repeats the abstract's own sentences, and the collection section says
    # how this knowledge base filed the paper: neither is text to search the paper by.
    out += _unsearched(_summary_section(paper, summary, options, lab))
    out += _information_section(paper, meta, lab)
    out += _abstract_section(paper, options, lab, summary)
    out += _unsearched(_collection_section(meta, score, lab))
    out += _metadata_section(paper, lab, options.language)
    # The marker stays in every page (write below it); the heading shows only over notes.
    out += [f"## {lab['notes']}", "", NOTES_MARKER, ""] if notes.strip() else [NOTES_MARKER, ""]
    body = "\n".join(out)
    if notes.strip():
        body += notes.strip("\n") + "\n"
    return body


CITATION_AUTHORS = 3  # authors named in the citation line before "et al."


def _citation_line(paper: Paper, meta: dict[str, Any], lab: dict[str, str]) -> list[str]:
    """The line a reader cites from, under the title as on PubMed: first authors, journal
    abbreviation, year;volume(issue):pages, DOI and PMID."""
    j = paper.journal
    authors = list(meta["authors"])
    parts = []
    if authors:
        named = ", ".join(authors[:CITATION_AUTHORS])
        if len(authors) > CITATION_AUTHORS:
            named += f", {lab['et_al']}"
        parts.append(escape_md(named) + ("" if named.endswith(".") else "."))
    journal = list_journal(j.title, j.iso_abbreviation)
    if journal:
        parts.append(f"*{escape_md(journal)}*.")
    where = str(paper.year or "")
    if j.volume:
        where += f";{j.volume}" + (f"({j.issue})" if j.issue else "")
    elif j.issue:
        where += f";({j.issue})"
    if j.pages:
        where += f":{j.pages}"
    if where:
        parts.append(escape_md(where) + ".")
    if paper.doi:
        parts.append(f"{lab['doi']}: {md_link(paper.doi, doi_url(paper.doi))}.")
    parts.append(f"{lab['pmid']}: {md_link(paper.pmid, paper.url)}.")
    if paper.pmcid:
        parts.append(f"{md_link(paper.pmcid, pmc_url(paper.pmcid))}.")
    return ['<p class="kb-citation" markdown="1">', " ".join(parts), "</p>", ""]


def _unsearched(lines: list[str]) -> list[str]:
    """Lines kept out of the search index (Pagefind skips ``data-pagefind-ignore``); the
    Markdown inside is still Markdown (``md_in_html``)."""
    if not lines:
        return []
    return ['<div data-pagefind-ignore markdown="1">', "", *lines, "</div>", ""]


def _retraction_block(paper: Paper, lab: dict[str, str]) -> list[str]:
    notices = [
        c
        for c in paper.comments_corrections
        if c.ref_type in ("RetractionIn", "RetractionOf") and c.pmid
    ]
    lines = [
        f'!!! danger "{lab["retracted_title"]}"',
        "",
        f"    {lab['retracted_body']}",
    ]
    for c in notices:
        lines += ["", f"    - {md_link(c.ref_source or 'PMID ' + c.pmid, pubmed_url(c.pmid))}"]
    return [*lines, ""]


def _summary_section(
    paper: Paper, summary: Summary | None, options: PageOptions, lab: dict[str, str]
) -> list[str]:
    """The "at a glance" line, and a machine-written summary. An extractive summary is made
    of the abstract's own sentences: they are marked in the abstract below instead of being
    said twice (the summary is still the page's description, in feeds and in search)."""
    lines = [f"## {lab['summary']}", ""]
    glance = at_a_glance(paper, options.language)
    if glance:
        lines += [f"**{lab['at_a_glance']}**: {escape_md(glance)}", ""]
    if summary and summary.source == "llm":
        note = lab["summary_llm"].format(model=summary.model or "?")
        lines += [escape_md(summary.text, line_start=True), "", f"*{escape_md(note)}*", ""]
    elif summary and _marked_sentences(paper, summary):
        lines += [f"*{escape_md(lab['summary_marked'])}*", ""]
    elif summary:
        lines += [
            escape_md(summary.text, line_start=True),
            "",
            f"*{lab['summary_extractive']}*",
            "",
        ]
    elif not options.abstract_omitted:  # the abstract section says why there is none
        lines += [lab["no_summary"], ""]
    return lines if len(lines) > 2 else []


def _marked_sentences(paper: Paper, summary: Summary | None) -> list[str]:
    """The escaped sentences of an extractive summary, each found whole in one section of
    the abstract (``[]`` when any is not, e.g. a sentence cut short)."""
    if summary is None or summary.source != "extractive":
        return []
    sentences = [escape_md(x) for x in split_sentences(summary.text)]
    texts = [_section_text(s) for s in paper.abstract]
    if not sentences or not all(any(x in t for t in texts) for x in sentences):
        return []
    return sentences


def _mark(text: str, sentences: Sequence[str]) -> str:
    for sentence in sentences:
        text = text.replace(sentence, f"<mark>{sentence}</mark>", 1)
    return text


def _item(label: str, value: str | None) -> list[str]:
    return [f"- **{label}**: {value}"] if value else []


def _information_section(paper: Paper, meta: dict[str, Any], lab: dict[str, str]) -> list[str]:
    j = paper.journal
    lines = [f"## {lab['paper_information']}", ""]
    if paper.vernacular_title:
        lines += _item(lab["vernacular_title"], escape_md(paper.vernacular_title))
    authors = meta["authors"]
    if len(authors) > CITATION_AUTHORS:  # the citation line names the first few only
        lines += _item(lab["authors"] + f" ({len(authors)})", escape_md(", ".join(authors)))
    lines += _item(lab["journal"], escape_md(citation_journal(j.title)) if j.title else None)
    lines += _item(lab["published"], paper.pub_date)
    lines += _item(lab["epub"], paper.electronic_date)
    lines += _item(
        lab["keywords"], escape_md(", ".join(paper.keywords)) if paper.keywords else None
    )
    affiliations = _affiliations(paper)
    if affiliations:
        # affiliations are not what a paper is searched by: kept out of the search index
        lines += ["", f"<details data-pagefind-ignore><summary>{lab['affiliations']}</summary>"]
        lines += ["<ul>"]
        lines += [f"<li>{a}</li>" for a in affiliations]
        lines += ["</ul>", "</details>"]
    return [*lines, ""]


def _affiliations(paper: Paper) -> list[str]:
    """Each affiliation once, after the authors who give it (in author order): a lab's
    six authors share one department, which was written out six times."""
    by_affiliation: dict[str, list[str]] = {}
    for a in paper.authors:
        for aff in a.affiliations:
            names = by_affiliation.setdefault(" ".join(aff.split()), [])
            if a.display_name and a.display_name not in names:
                names.append(a.display_name)
    return [
        f"{escape_html(', '.join(names))}: {escape_html(aff)}" if names else escape_html(aff)
        for aff, names in by_affiliation.items()
    ]


def _abstract_section(
    paper: Paper, options: PageOptions, lab: dict[str, str], summary: Summary | None = None
) -> list[str]:
    lines = [f"## {lab['abstract']}", ""]
    if not paper.abstract:
        lines += [lab["abstract_offline"] if options.abstract_omitted else lab["no_abstract"], ""]
    marked = _marked_sentences(paper, summary)
    for s in paper.abstract:
        lines += [_mark(_section_text(s), marked), ""]
    for other in paper.other_abstracts:
        tag = ", ".join(x for x in (other.language, other.type) if x)
        lines += [f"### {lab['other_abstract']}" + (f" ({escape_md(tag)})" if tag else ""), ""]
        for s in other.sections:
            lines += [_section_text(s), ""]
        if other.copyright:
            lines += [f"*{lab['copyright']}*: {escape_md(other.copyright)}", ""]
    if paper.copyright:
        lines += [f"*{lab['copyright']}*: {escape_md(paper.copyright)}", ""]
    return lines


def _section_text(s: AbstractSection) -> str:
    if s.label:
        return f"**{escape_md(s.label)}**: {escape_md(s.text)}"
    return escape_md(s.text, line_start=True)


def score_parts(score: Score) -> dict[str, Any]:
    """With the citation rule on, what a later refresh of the citations needs to score the
    page again without the paper: the rules' points before the clip, the citation points,
    and whether relevance is held at low (only when it is)."""
    if score.citations is None:
        return {}
    parts: dict[str, Any] = {"score_rules": score.rules, "score_citations": score.citations}
    if score.capped:
        parts["score_capped"] = True
    return parts


def explain_score(score: Score, lab: dict[str, str]) -> str:
    """The reasons behind a score, in words ("priority keyword 'x' +0.15; …")."""
    if not score.reasons:
        return lab["no_rules"]
    parts = []
    for r in score.reasons:
        text = f"{lab['rule_' + r.rule]} “{escape_md(r.detail)}”"
        if r.points:
            text += f" +{r.points:.2f}"
        parts.append(text)
    return "; ".join(parts)


def _collection_section(meta: dict[str, Any], score: Score, lab: dict[str, str]) -> list[str]:
    topics = ", ".join(md_link(k, f"../keywords/{slugify(k)}.md") for k in meta["search_keywords"])
    lines = [f"## {lab['collection']}", ""]
    lines += _item(lab["topics_matched"], topics or None)
    lines += _item(
        lab["score"], f"{lab[score.relevance]} ({lab['keyword_score']} {score.value:.2f})"
    )
    why = explain_score(score, lab)
    if score.topic:
        why = f"{escape_md(score.topic)}: {why}"
    lines += _item(lab["why"], why)
    lines += _item(lab["collected"], meta["collected"])
    lines += _item(lab["updated"], meta["updated"])
    return [*lines, ""]


def _metadata_section(paper: Paper, lab: dict[str, str], language: str = "en") -> list[str]:
    lines = [f"## {lab['metadata']}", ""]
    names = [language_name(code, language) for code in paper.languages]
    lines += _item(lab["language"], escape_md(", ".join(names)) or None)
    lines += _item(lab["publication_types"], escape_md(", ".join(paper.publication_types)) or None)
    if paper.mesh:
        terms = []
        for m in paper.mesh:
            link = md_link(m.descriptor, f"../mesh/{slugify(m.descriptor)}.md")
            quals = [escape_md(q) + ("★" if major else "") for q, major in m.qualifiers]
            star = "★" if m.major else ""
            terms.append(link + star + (f" ({', '.join(quals)})" if quals else ""))
        lines += [f"- **{lab['mesh']}** ({lab['mesh_major_note']}): " + "; ".join(terms)]
    if paper.supplementary_concepts:
        lines += _item(lab["supplementary"], escape_md("; ".join(paper.supplementary_concepts)))
    if paper.grants:
        grants = []
        for g in paper.grants:
            extra = ", ".join(x for x in (g.agency, g.country) if x)
            grants.append(escape_md((g.grant_id or "–") + (f" ({extra})" if extra else "")))
        lines += _item(lab["grants"], "; ".join(grants))
    if corrections(paper):
        items = []
        for c in corrections(paper):
            text = f"{c.ref_type}: {c.ref_source or ''}".strip().rstrip(":")
            items.append(md_link(text, pubmed_url(c.pmid)) if c.pmid else escape_md(text))
        lines += _item(lab["corrections"], "; ".join(items))
    return [*lines, ""]


# --- reading pages back -----------------------------------------------------------


def split_page(text: str, name: str = "<page>") -> tuple[dict[str, Any], str]:
    """Frontmatter and body of a page; ``PageError`` when the YAML is broken."""
    try:
        post = frontmatter.loads(text, handler=_HANDLER)
    except yaml.YAMLError as exc:
        raise PageError(f"{name}: frontmatter is not valid YAML: {exc}") from None
    if not isinstance(post.metadata, dict):
        raise PageError(f"{name}: frontmatter is not a mapping")
    return dict(post.metadata), post.content


def extract_notes(body: str) -> str:
    """The user's text below the notes marker (or below a Notes heading)."""
    if NOTES_MARKER in body:
        return body.split(NOTES_MARKER, 1)[1].strip("\n")
    for heading in _NOTES_HEADINGS:
        marker = "\n" + heading + "\n"
        if marker in "\n" + body:
            return ("\n" + body).split(marker, 1)[1].strip("\n")
    return ""


def read_page_state(text: str, name: str = "<page>") -> PageState:
    """What an existing page remembers: topics, dates, notes, and its metadata."""
    meta, body = split_page(text, name)
    keywords = meta.get("search_keywords") or []
    if not isinstance(keywords, list):
        raise PageError(f"{name}: search_keywords must be a list")
    return PageState(
        search_keywords=tuple(str(k) for k in keywords),
        collected=_date_str(meta.get("collected")),
        updated=_date_str(meta.get("updated")),
        notes=extract_notes(body),
        meta=meta,
    )


def _date_str(value: Any) -> str | None:
    return None if value is None else str(value)
