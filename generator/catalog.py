"""The frontmatter of every paper page, read once and remembered between runs.

Parsing YAML costs about 1 ms a page, so ``index``, the harvester's fetch plan and the
exports would each spend ~10 s at 10,000 papers re-reading what did not change. The
catalog keeps each page's frontmatter in a JSON cache keyed by the file's content (a
BLAKE2 digest), so a fresh checkout, whose files all have new modification times, reuses
it too (the publish workflow restores ``.kb-cache/`` between runs); size and modification
time only spare reading a file whose stamp is unchanged. A page whose content changed is
parsed again. The cache lives beside ``site_src`` in ``.kb-cache/`` (not committed) and is
only ever a copy: delete it any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from generator.errors import PageError
from generator.pages import split_page
from generator.store import iter_pages, read_text, write_atomic

CACHE_VERSION = 2


def cache_path(site_src: Path) -> Path:
    return site_src.parent / ".kb-cache" / f"{site_src.name}-frontmatter.json"


def _load_cache(path: Path) -> dict[str, Any]:
    text = read_text(path)
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}  # a damaged cache is rebuilt, never trusted
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    pages = data.get("pages")
    return pages if isinstance(pages, dict) else {}


def paper_metas(site_src: Path) -> dict[str, dict[str, Any]]:
    """Frontmatter of every ``papers/<pmid>.md``, by PMID (sorted numerically).

    Raises :class:`PageError` for a page whose YAML is broken or whose ``pmid`` is not
    its file name.
    """
    path = cache_path(site_src)
    cached = _load_cache(path)
    fresh: dict[str, Any] = {}
    metas: dict[str, dict[str, Any]] = {}
    for page in iter_pages(site_src / "papers"):
        if not page.stem.isdigit():
            continue  # papers/index.md and its numbered pages
        st = os.stat(page)
        stamp = [st.st_size, st.st_mtime_ns]
        hit = cached.get(page.name)
        if not isinstance(hit, dict):
            hit = {}
        digest = hit.get("digest")
        if hit.get("stamp") == stamp and "meta" in hit:
            meta = hit["meta"]
        else:
            data = page.read_bytes()
            if hashlib.blake2b(data, digest_size=16).hexdigest() == digest and "meta" in hit:
                meta = hit["meta"]  # same content, new file times (a fresh checkout)
            else:
                digest = hashlib.blake2b(data, digest_size=16).hexdigest()
                meta, _ = split_page(data.decode("utf-8"), str(page))
                meta = json.loads(json.dumps(meta, default=str))  # what the cache gives back
                if str(meta.get("pmid") or "") != page.stem:
                    pmid = meta.get("pmid")
                    raise PageError(f"{page}: frontmatter pmid {pmid!r} is not the file's")
        fresh[page.name] = {"stamp": stamp, "digest": digest, "meta": meta}
        metas[page.stem] = meta
    if fresh != cached:
        text = json.dumps({"version": CACHE_VERSION, "pages": fresh}, sort_keys=True)
        with contextlib.suppress(OSError):  # a read-only checkout works without the cache
            write_atomic(path, text)
    return dict(sorted(metas.items(), key=lambda kv: int(kv[0])))
