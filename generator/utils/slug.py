"""File-name slugs for topics and MeSH terms: safe, stable and collision-free.

A *simple* term (ASCII letters/digits separated by single spaces) becomes its
lower-cased, hyphenated form (``Breast Neoplasms`` → ``breast-neoplasms``).
Any other term (commas, slashes, ``..``, Unicode, double spaces, and ``index``, whose
slug would be the grouping folder's own ``index.md``) becomes an ASCII approximation
followed by ``--`` and 8 hex digits of the term's SHA-1.
Simple slugs never contain ``--``, so the two forms cannot collide; two simple
terms collide only when they are equal ignoring case.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

_SIMPLE = re.compile(r"[A-Za-z0-9]+( [A-Za-z0-9]+)*")
_MAX_READABLE = 60
_RESERVED = frozenset({"index"})  # keywords/index.md and mesh/index.md list the terms


@lru_cache(maxsize=1 << 16)  # pure, and called ~85,000 times by an index of 10,000 papers
def slugify(term: str) -> str:
    """Return the slug for ``term`` (deterministic; no I/O)."""
    simple = _SIMPLE.fullmatch(term) and term.lower() not in _RESERVED
    if simple and len(term) <= _MAX_READABLE:
        return term.lower().replace(" ", "-")
    ascii_form = unicodedata.normalize("NFKD", term).encode("ascii", "ignore").decode()
    readable = re.sub(r"[^a-z0-9]+", "-", ascii_form.lower()).strip("-")[:_MAX_READABLE]
    readable = re.sub(r"-+", "-", readable).strip("-") or "term"
    digest = hashlib.sha1(term.encode("utf-8")).hexdigest()[:8]
    return f"{readable}--{digest}"


HEADING_ID_MAX = 40


def heading_id(value: str, separator: str) -> str:
    """A heading's id: Python-Markdown's own slug, cut on a word at ``HEADING_ID_MAX``
    characters (the hook makes it the ``toc`` extension's ``slugify``). A paper's title,
    ~130 characters, was its heading's id three times on every page (id, permalink, skip
    link); the toc extension keeps ids unique on a page by appending ``_1``, ``_2``."""
    from markdown.extensions.toc import slugify as markdown_slugify

    slug = markdown_slugify(value, separator)
    if len(slug) <= HEADING_ID_MAX:
        return slug
    return slug[:HEADING_ID_MAX].rsplit(separator, 1)[0] or slug[:HEADING_ID_MAX]
