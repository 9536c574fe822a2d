"""The citation data of a built site, and the lists the ``export`` command writes.

The built site carries one data file per paper, ``papers/<pmid>/cite.json``: its CSL-JSON
item (:mod:`generator.site.formats`), with what BibTeX and RIS need beyond CSL under
CSL's ``custom`` key, and the paper's citation signals and similar papers. The browser
makes the three formats from it (``theme/assets/kb/cite.js``). :func:`write_exports`
writes them through a content cache, so that a weekly build links files instead of
writing 50,000 of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.config.model import Config
from generator.kb.catalog import paper_metas
from generator.site.formats import (
    Meta,
    cite_head,
    cite_tail,
    render_bibtex,
    render_cite_record,
    render_csl_json,
    render_ris,
    string_list,
)
from generator.utils.store import write_atomic

# --- reading (the only I/O of this module, besides write_exports) ------------------


def read_papers(site_src: Path, digests: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The frontmatter of every paper page under ``site_src/papers``, sorted by PMID (the
    pages' content digests into ``digests`` when given, :func:`write_exports`' keys)."""
    return list(paper_metas(site_src, digests).values())


def topic_groups(papers: Sequence[Meta], config: Config) -> dict[str, list[Meta]]:
    """Papers by topic: every topic a page names plus every configured topic (even
    without papers), exactly as the topic pages are made (``generator.site.index``)."""
    groups: dict[str, list[Meta]] = defaultdict(list)
    for m in papers:
        for k in string_list(m, "search_keywords"):
            groups[k].append(m)
    for t in config.topics:
        groups.setdefault(t.name, [])
    return dict(groups)


def mesh_groups(papers: Sequence[Meta]) -> dict[str, list[Meta]]:
    """Papers by MeSH descriptor."""
    groups: dict[str, list[Meta]] = defaultdict(list)
    for m in papers:
        for term in string_list(m, "mesh"):
            groups[term].append(m)
    return dict(groups)


FORMATS = ("bib", "ris", "json")


def render_export(papers: Sequence[Meta], fmt: str, language: str = "en") -> str:
    """Every paper of ``papers`` in one file of format ``bib``, ``ris`` or ``json`` (CSL)."""
    if fmt == "bib":
        return render_bibtex(papers, language)
    if fmt == "ris":
        return render_ris(papers, language)
    if fmt == "json":
        return render_csl_json(papers)
    raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")


@dataclass(frozen=True)
class ExportReport:
    papers: int
    files: int
    bytes: int


def iter_exports(papers: Sequence[Meta]) -> Iterator[tuple[str, str]]:
    """Every export file as (path relative to the site folder, text), one at a time (pure)."""
    for m in papers:
        yield f"papers/{m['pmid']}/cite.json", render_cite_record(m)


def build_exports(papers: Sequence[Meta]) -> dict[str, str]:
    """Every export file, keyed by its path relative to the site folder (pure)."""
    return dict(iter_exports(papers))


def write_site_file(site_dir: Path, rel: str, text: str) -> int:
    """Write one derived file into the freshly built site; return its size in bytes.

    A plain write, as MkDocs writes its own output: ``site/`` is rebuilt from scratch
    by every build, and the files get the usual permissions (``store.write_atomic``'s
    temporary files are private, 0600, which a web server running as another user
    could not read).
    """
    path = site_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


CITE_CACHE_SCHEMA = 2
_PACKAGE = Path(__file__).resolve().parents[1]  # the whole package: generator/


def _code_fingerprint() -> str:
    """The generator's Python code: a cached ``cite.json`` is only as good as it."""
    h = hashlib.blake2b(f"cite-cache {CITE_CACHE_SCHEMA}".encode(), digest_size=16)
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _meta_key(meta: Meta) -> str:
    return _digest(json.dumps(meta, sort_keys=True, ensure_ascii=False, default=str))


def _load_cite_index(path: Path, code: str) -> dict[str, list[Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if isinstance(data, dict) and data.get("code") == code:
        records = data.get("papers")
        return records if isinstance(records, dict) else {}
    return {}


def _cached_head(path: str, cut: int) -> str | None:
    """The first ``cut`` characters of a cached ``cite.json`` (its :func:`cite_head`), or
    None when the file is gone or shorter."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            head = f.read(cut)
    except (OSError, ValueError):
        return None
    return head if len(head) == cut else None


def _write_derived(path: Path, data: bytes) -> None:
    """Write a cache file named by a hash of ``data``: through a temporary name and a
    rename (a crash never leaves a part under the real name), without
    :func:`~generator.utils.store.write_atomic`'s random name, mode change and flush: the name
    is the content, and the next build makes a lost file again. A weekly build writes
    thousands of these."""
    tmp = f"{path}.tmp"
    try:
        f = open(tmp, "wb")  # noqa: SIM115 - closed below, before the rename
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        f = open(tmp, "wb")  # noqa: SIM115
    with f:
        f.write(data)
    os.replace(tmp, path)


def _link(cached: str, dest: str) -> bool:
    """Hard-link ``cached`` at ``dest`` (else copy it), making ``dest``'s folder if it is
    missing and replacing a file there; False when ``cached`` is not there."""
    for _ in range(3):
        try:
            os.link(cached, dest)
            return True
        except FileExistsError:
            os.unlink(dest)
        except FileNotFoundError:
            if not os.path.isfile(cached):
                return False
            os.makedirs(os.path.dirname(dest), exist_ok=True)
        except OSError:  # another file system, or no hard links: a copy
            shutil.copyfile(cached, dest)
            return True
    raise OSError(f"could not link {cached} at {dest}")


SIGNAL_KEYS = ("citations", "rcr", "percentile", "clinical", "provisional", "unknown", "taken")


def signals_record(
    record: Mapping[str, Any] | None,
    cites: Sequence[str] = (),
    cited_by: Sequence[str] = (),
) -> dict[str, Any] | None:
    """The citation signals a paper page shows (``custom.signals`` of its cite.json): its
    line of ``state/citations.jsonl`` and the papers of this knowledge base it cites and
    that cite it; None when it was never asked."""
    if not record or not record.get("taken"):
        return None
    # false flags and no clinical citations are left out: ~30 bytes a paper (1.5 MB at
    # 50,000) of a site near GitHub Pages' 1 GB; the page reads them as false and 0
    shown = {
        k: record[k]
        for k in SIGNAL_KEYS
        if record.get(k) is not None and not (k != "citations" and record[k] in (False, 0))
    }
    # PMIDs as numbers: two bytes less each than strings, ~0.6 MB at 50,000 papers
    if cites:
        shown["kb_cites"] = [int(p) for p in cites]
    if cited_by:
        shown["kb_cited_by"] = [int(p) for p in cited_by]
    return shown


def write_exports(
    papers: Sequence[Meta],
    config: Config,
    site_dir: Path,
    cache_dir: Path | None = None,
    signals: Mapping[str, Mapping[str, Any]] | None = None,
    graph: tuple[Mapping[str, Sequence[str]], Mapping[str, Sequence[str]]] | None = None,
    similar: Mapping[str, Sequence[str]] | None = None,
    keys: Mapping[str, str] | None = None,
) -> ExportReport:
    """Write every paper's ``cite.json`` into the built site ``site_dir``.

    With ``cache_dir``, each file is kept there under a hash of its text and hard-linked
    into the site: a weekly build makes 50,000 links instead of writing 50,000 files. An
    index (under a fingerprint of the generator's code) keeps for each PMID the key of its
    frontmatter (``keys``, the catalog's page digests, else a hash of the frontmatter), a
    hash of its :func:`cite_tail`, its file, size and head length: an unchanged record is
    not made again, and one whose signals or similar papers moved is its cached head plus
    a new tail (a weekly run at 50,000 papers moves ~13,000 similar lists).
    Files no paper uses any more are removed from the cache. ``signals`` (by PMID, from
    ``state/citations.jsonl``) and the knowledge base's citation ``graph`` (cites, cited by)
    go under ``custom.signals``, and the ``similar`` papers (by PMID,
    :mod:`generator.kb.similar`) under ``custom.similar``: the paper page shows both.
    """
    signals = signals or {}
    similar = similar or {}
    cites, cited_by = graph or ({}, {})

    def shown_for(pmid: str) -> dict[str, Any] | None:
        return signals_record(signals.get(pmid), cites.get(pmid, ()), cited_by.get(pmid, ()))

    if cache_dir is None:
        size = 0
        for m in papers:
            pmid = str(m["pmid"])
            text = render_cite_record(m, shown_for(pmid), similar.get(pmid, ()))
            size += write_site_file(site_dir, f"papers/{m['pmid']}/cite.json", text)
        return ExportReport(papers=len(papers), files=len(papers), bytes=size)
    code = _code_fingerprint()
    index_path = cache_dir / "index.json"
    known = _load_cite_index(index_path, code)
    records: dict[str, list[Any]] = {}
    size = 0
    for m in papers:
        pmid = str(m["pmid"])
        base = (keys or {}).get(pmid) or _meta_key(m)
        tail_args = (shown_for(pmid), similar.get(pmid, ()))
        custom = None
        hit = known.get(pmid)
        if isinstance(hit, list) and len(hit) == 6 and hit[0] == base:
            _, old_tail, name, length, cut, custom = hit
            tail = cite_tail(custom, *tail_args)
            tail_key = _digest(tail)
            dest = os.path.join(site_dir, "papers", pmid, "cite.json")
            if tail_key == old_tail and _link(os.path.join(cache_dir, name[:2], name), dest):
                records[pmid] = hit
                size += length
                continue
            # the paper is the same, its signals or similar papers moved: the record's
            # head is taken from the file cached for it, not made again
            head = _cached_head(os.path.join(cache_dir, name[:2], name), cut)
        else:
            head = None
        if head is None:
            head, custom = cite_head(m)
            tail = cite_tail(custom, *tail_args)
            tail_key = _digest(tail)
        data = (head + tail).encode("utf-8")
        name = hashlib.blake2b(data, digest_size=16).hexdigest() + ".json"
        cached = cache_dir / name[:2] / name
        if not cached.is_file():
            _write_derived(cached, data)
        _link(str(cached), os.path.join(site_dir, "papers", pmid, "cite.json"))
        records[pmid] = [base, tail_key, name, len(data), len(head), custom]
        size += len(data)
    used = {record[2] for record in records.values()}
    for sub in cache_dir.iterdir():
        for f in sub.iterdir() if sub.is_dir() else ():
            if f.name not in used:
                f.unlink()
    if records != known:
        text = json.dumps({"code": code, "papers": records}, sort_keys=True, ensure_ascii=False)
        write_atomic(index_path, text)
    return ExportReport(papers=len(papers), files=len(papers), bytes=size)
