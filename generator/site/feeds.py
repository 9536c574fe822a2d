"""Atom feeds of the newest papers: one for the whole site, one per topic.

``feed.xml`` at the site's root and ``keywords/<slug>/feed.xml`` beside each topic page
(same slugs as the topic pages), newest first by first-collected date, then publication
date, then PMID; at most :data:`MAX_ENTRIES` entries. ``render_feed`` and ``build_feeds``
are pure and deterministic: every date comes from the pages (``collected``,
``updated``), never from the clock, so an unchanged knowledge base gives the same bytes.

Links are absolute when ``site.url`` is set in kb.yml (or ``$KB_SITE_URL``, which the
publish workflow sets to the GitHub Pages URL). Without either they are relative to the
feed's own URL, which RFC 4287 allows and most readers resolve, but a reader given only
the file (not its URL) cannot follow them. Entry
ids are the papers' PubMed URLs, permanent and the same wherever the site is published,
so moving the site never shows old papers again as new.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from generator.config.model import Config
from generator.site.exports import topic_groups, write_site_file
from generator.site.formats import Meta
from generator.utils.i18n import labels
from generator.utils.journals import list_journal
from generator.utils.markdown import pubmed_url
from generator.utils.slug import slugify

MAX_ENTRIES = 50
MAX_AUTHORS = 10  # per entry: a consortium paper can list thousands
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPOCH = "1970-01-01"
GENERATOR = "pubmed-kb"
# Characters XML 1.0 forbids (lxml refuses them); PubMed text rarely has them, but one
# stray control character must not break a build.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    return " ".join(_INVALID_XML.sub("", str(value)).split()) if value is not None else ""


def _date(value: Any) -> str:
    """An ISO date (``2025-07-15``) or None → the date part, ``""`` when absent."""
    text = _text(value)
    return text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", text) else ""


def _timestamp(day: str) -> str:
    return f"{day or EPOCH}T00:00:00Z"


def newest_first(papers: Sequence[Meta]) -> list[Meta]:
    """Newest first: by first-collected date, then publication date, then PMID."""
    return sorted(
        papers,
        key=lambda m: (_text(m.get("collected")), _text(m.get("pub_date")), int(m["pmid"])),
        reverse=True,
    )


def _last_changed(m: Meta) -> str:
    return max(_date(m.get("updated")), _date(m.get("collected")))


def paper_href(pmid: str) -> str:
    """A paper page's URL relative to the site root (MkDocs' directory URLs)."""
    return f"papers/{pmid}/"


# Material's JavaScript takes every <link rel="alternate"> for a translation of the site and
# fetches "sitemap.xml" beside its href (bundle: `kt(new URL(link.href))`). Beside the site
# feed that is the site's own sitemap; beside a topic feed (keywords/<slug>/feed.xml) it
# would be a 404 in every topic page's console, so an empty sitemap stands there.
EMPTY_SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n'
)


@dataclass(frozen=True)
class FeedSpec:
    """What distinguishes one feed: where it lives and which page it accompanies."""

    path: str  # relative to the site root, e.g. "keywords/cancer/feed.xml"
    page: str  # the HTML page it belongs to, relative to the site root ("" = home)
    title: str
    subtitle: str = ""


def _href(target: str, spec: FeedSpec, base_url: str | None) -> str:
    """``target`` (relative to the site root) as seen from the feed: absolute with a base
    URL, else relative to the feed's own folder."""
    if base_url:
        return urljoin(base_url, target)
    depth = spec.path.count("/")
    return "../" * depth + target if target or depth else "./"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def render_feed(
    papers: Sequence[Meta],
    spec: FeedSpec,
    *,
    site_title: str,
    language: str = "en",
    base_url: str | None = None,
    fallback_updated: str = EPOCH,
) -> str:
    """An Atom 1.0 document of the newest ``MAX_ENTRIES`` of ``papers`` (pure)."""
    lab = labels(language)
    entries = newest_first(papers)[:MAX_ENTRIES]
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    feed.set(XML_LANG, language)
    _sub(feed, "title", _text(spec.title))
    if spec.subtitle:
        _sub(feed, "subtitle", _text(spec.subtitle))
    if base_url:
        feed_id = urljoin(base_url, spec.path)
    else:  # a permanent id without a URL to hang it on: the site's title and the feed's path
        name = f"pubmed-kb:{_text(site_title)}:{spec.path}"
        feed_id = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, name))
    _sub(feed, "id", feed_id)
    updated = max((_last_changed(m) for m in entries), default="") or _date(fallback_updated)
    _sub(feed, "updated", _timestamp(updated))
    _sub(
        feed, "link", rel="self", type="application/atom+xml", href=_href(spec.path, spec, base_url)
    )
    _sub(feed, "link", rel="alternate", type="text/html", href=_href(spec.page, spec, base_url))
    author = _sub(feed, "author")
    _sub(author, "name", _text(site_title))
    _sub(feed, "generator", GENERATOR)
    for m in entries:
        pmid = str(m["pmid"])
        entry = _sub(feed, "entry")
        title = _text(m.get("title")) or pmid
        if m.get("retracted"):
            title = f"{lab['retracted_title']}: {title}"
        _sub(entry, "title", title)
        _sub(entry, "id", _text(m.get("url")) or pubmed_url(pmid))
        _sub(
            entry,
            "link",
            rel="alternate",
            type="text/html",
            href=_href(paper_href(pmid), spec, base_url),
        )
        _sub(entry, "published", _timestamp(_date(m.get("collected"))))
        _sub(entry, "updated", _timestamp(_last_changed(m)))
        for name in _author_names(m)[:MAX_AUTHORS]:
            _sub(_sub(entry, "author"), "name", name)
        for topic in m.get("search_keywords") or []:
            _sub(entry, "category", term=_text(topic))
        _sub(entry, "summary", _summary(m), type="text")
    text = etree.tostring(feed, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + text


def _author_names(m: Meta) -> list[str]:
    names = []
    for n in m.get("author_names") or []:
        if isinstance(n, Mapping):
            literal = _text(n.get("literal"))
            person = " ".join(_text(n.get(k)) for k in ("given", "family", "suffix") if n.get(k))
            names.append(literal or person)
    return [n for n in names if n] or [_text(a) for a in m.get("authors") or [] if _text(a)]


def _summary(m: Meta) -> str:
    where = " · ".join(
        x
        for x in (
            list_journal(_text(m.get("journal")), _text(m.get("journal_iso"))),
            _text(m.get("pub_date") or m.get("year")),
        )
        if x
    )
    description = _text(m.get("description"))
    return f"{where}. {description}" if where and description else where or description


def build_feeds(papers: Sequence[Meta], config: Config) -> dict[str, str]:
    """The site-wide feed and one per topic (with its stand-in sitemap, see
    ``EMPTY_SITEMAP``), keyed by path relative to the site (pure)."""
    lab = labels(config.site.language)
    base = config.site.url.rstrip("/") + "/" if config.site.url else None
    latest = max((_last_changed(m) for m in papers), default="") or EPOCH
    common = {
        "site_title": config.site.title,
        "language": config.site.language,
        "base_url": base,
        "fallback_updated": latest,
    }
    site = FeedSpec("feed.xml", "", config.site.title, config.site.description)
    feeds = {site.path: render_feed(papers, site, **common)}  # type: ignore[arg-type]
    for name, members in sorted(topic_groups(papers, config).items()):
        slug = slugify(name)
        topic = config.topic(name)
        spec = FeedSpec(
            f"keywords/{slug}/feed.xml",
            f"keywords/{slug}/",
            f"{config.site.title}: {name}",
            (topic.description if topic else "") or f"{lab['topic']}: {name}",
        )
        feeds[spec.path] = render_feed(members, spec, **common)  # type: ignore[arg-type]
        feeds[f"keywords/{slug}/sitemap.xml"] = EMPTY_SITEMAP
    return feeds


@dataclass(frozen=True)
class FeedReport:
    feeds: int
    entries: int


def write_feeds(papers: Sequence[Meta], config: Config, site_dir: Path) -> FeedReport:
    """Write the site-wide and per-topic feeds into the built site ``site_dir``."""
    feeds = build_feeds(papers, config)
    for rel, text in feeds.items():
        write_site_file(site_dir, rel, text)
    count = sum(1 for rel in feeds if rel.endswith("feed.xml"))
    return FeedReport(feeds=count, entries=min(len(papers), MAX_ENTRIES))
