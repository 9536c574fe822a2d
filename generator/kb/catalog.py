"""What every paper page says, read once and remembered between runs.

Parsing YAML costs about 1 ms a page, so ``index``, the harvester's fetch plan and the
exports would each spend ~10 s at 10,000 papers re-reading what did not change. The
catalog keeps what is taken from each page (its frontmatter; the words that make papers
similar, :mod:`generator.kb.similar`) in a JSON cache keyed by the file's content (a BLAKE2
digest), so a fresh checkout, whose files all have new modification times, reuses it too
(the publish workflow restores ``.kb-cache/`` between runs); size and modification time
only spare reading a file whose stamp is unchanged. A page whose content changed is read
again. The caches live beside ``site_src`` in ``.kb-cache/`` (not committed) and are only
ever a copy: delete them any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.kb.pages import split_page
from generator.utils.errors import PageError
from generator.utils.store import iter_pages, read_text, write_atomic

CACHE_VERSION = 3


def cache_path(site_src: Path, kind: str = "frontmatter") -> Path:
    return site_src.parent / ".kb-cache" / f"{site_src.name}-{kind}.json"


def _load_cache(path: Path, version: str) -> dict[str, Any]:
    text = read_text(path)
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}  # a damaged cache is rebuilt, never trusted
    if not isinstance(data, dict) or data.get("version") != version:
        return {}
    pages = data.get("pages")
    return pages if isinstance(pages, dict) else {}


def _frontmatter(pmid: str, text: str, name: str) -> dict[str, Any]:
    meta, _ = split_page(text, name)
    if str(meta.get("pmid") or "") != pmid:
        raise PageError(f"{name}: frontmatter pmid {meta.get('pmid')!r} is not the file's")
    return meta


def body_of(text: str) -> str:
    """A page's Markdown below its frontmatter (no YAML read)."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end >= 0:
            line_end = text.find("\n", end + 4)
            return "" if line_end < 0 else text[line_end + 1 :]
    return text


def per_paper(
    site_src: Path,
    kind: str,
    derive: Callable[[str, str, str], Any],
    version: str = "",
    digests: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``derive(pmid, text, file name)`` of every ``papers/<pmid>.md``, by PMID (sorted
    numerically), cached in ``.kb-cache/<site_src>-<kind>.json`` under ``version`` (name
    there what ``derive`` computes, so a new way of computing it is not served old values).
    ``digests``, when given, receives each page's content digest by PMID: a key for what
    is made from the page that costs nothing to compute again.
    """
    path = cache_path(site_src, kind)
    version = f"{CACHE_VERSION}:{version}"
    cached = _load_cache(path, version)
    fresh: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for page in iter_pages(site_src / "papers"):
        if not page.stem.isdigit():
            continue  # papers/index.md and its numbered pages
        st = os.stat(page)
        stamp = [st.st_size, st.st_mtime_ns]
        hit = cached.get(page.name)
        if not isinstance(hit, dict):
            hit = {}
        digest = hit.get("digest")
        if hit.get("stamp") == stamp and "value" in hit:
            value = hit["value"]
        else:
            data = page.read_bytes()
            if hashlib.blake2b(data, digest_size=16).hexdigest() == digest and "value" in hit:
                value = hit["value"]  # same content, new file times (a fresh checkout)
            else:
                digest = hashlib.blake2b(data, digest_size=16).hexdigest()
                value = derive(page.stem, data.decode("utf-8"), str(page))
                # what the cache gives back: JSON types only
                value = json.loads(json.dumps(value, default=str))
        fresh[page.name] = {"stamp": stamp, "digest": digest, "value": value}
        values[page.stem] = value
        if digests is not None:
            digests[page.stem] = digest
    if fresh != cached:
        text = json.dumps({"version": version, "pages": fresh}, sort_keys=True)
        with contextlib.suppress(OSError):  # a read-only checkout works without the cache
            write_atomic(path, text)
    return dict(sorted(values.items(), key=lambda kv: int(kv[0])))


def paper_metas(site_src: Path, digests: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Frontmatter of every ``papers/<pmid>.md``, by PMID (sorted numerically); the pages'
    content digests into ``digests`` when given (see :func:`per_paper`).

    Raises :class:`PageError` for a page whose YAML is broken or whose ``pmid`` is not
    its file name.
    """
    return per_paper(site_src, "frontmatter", _frontmatter, digests=digests)
