"""Check the built site's internal links: every target file exists, every ``#anchor`` too.

One pass over every HTML file under the site folder (lxml's HTML parser, C speed)
collects each page's ids and the ``href``/``src`` values of its elements; then every
internal link is resolved against the set of files:

- relative (``../papers/1/``) and root-relative (``/papers/1/``) links both count;
  root-relative ones are taken from the site folder's root;
- a URL ending in ``/`` (or naming a folder) means its ``index.html``;
- ``?query`` is ignored; ``#anchor`` must be an ``id`` (or ``<a name>``) in the target
  page, except ``#`` and ``#top``, which HTML defines for every page;
- anything with a scheme or a host (``https:``, ``mailto:``, ``javascript:``, ``data:``,
  ``//cdn…``) is external and not checked.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

from generator.utils.errors import KBError

_LINKS = etree.XPath("//*[@href]/@href | //*[@src]/@src")
_IDS = etree.XPath("//@id | //a/@name")
_ALWAYS_THERE = frozenset({"", "top"})


@dataclass(frozen=True)
class BrokenLink:
    """One link that does not resolve: the page it is on, the link as written, and why."""

    page: str  # relative to the site folder
    href: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.href} ({self.reason})"


@dataclass
class LinkReport:
    pages: int = 0
    links: int = 0  # internal links checked (each distinct link once per page)
    broken: list[BrokenLink] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


def _all_files(site_dir: Path) -> tuple[set[str], set[str]]:
    files: set[str] = set()
    folders: set[str] = {""}
    for root, dirs, names in os.walk(site_dir):
        rel = Path(root).relative_to(site_dir).as_posix()
        rel = "" if rel == "." else rel + "/"
        folders.update(rel + d for d in dirs)
        files.update(rel + n for n in names)
    return files, folders


def _parse(path: Path) -> tuple[set[str], set[str]]:
    """The ids and the distinct link values of one HTML file."""
    data = path.read_bytes()
    if not data.strip():
        return set(), set()
    try:
        root = lxml.html.document_fromstring(data)
    except (etree.ParserError, ValueError):
        return set(), set()
    ids = {str(v) for v in _IDS(root)}
    links = {str(v).strip() for v in _LINKS(root)}
    return ids, links


def resolve(page: str, href: str) -> tuple[str, str] | None:
    """(target file relative to the site, fragment), or ``None`` for an external link.

    The target is ``..``-prefixed when the link leaves the site folder.
    """
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    fragment = unquote(parts.fragment)
    if not path:
        return page, fragment  # "#anchor" or "?q": this very page
    if path.startswith("/"):
        target = posixpath.normpath(path.lstrip("/") or ".")
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if path.endswith("/") or target == ".":
        target = "index.html" if target == "." else target + "/index.html"
    return target, fragment


def check_site(site_dir: Path) -> LinkReport:
    """Every broken internal link of the built site in ``site_dir``, with its page."""
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").is_file():
        raise KBError(f"{site_dir}: no built site there (run python -m generator build first)")
    files, folders = _all_files(site_dir)
    pages = sorted(f for f in files if f.endswith((".html", ".htm")))
    ids: dict[str, set[str]] = {}
    links: dict[str, set[str]] = {}
    for page in pages:
        ids[page], links[page] = _parse(site_dir / page)
    report = LinkReport(pages=len(pages))
    for page in pages:
        for href in sorted(links[page]):
            resolved = resolve(page, href)
            if resolved is None:
                continue
            report.links += 1
            target, fragment = resolved
            if target == ".." or target.startswith("../"):
                report.broken.append(BrokenLink(page, href, "outside the site"))
                continue
            if target not in files and target in folders:
                target += "/index.html"
            if target not in files:
                report.broken.append(BrokenLink(page, href, f"no file {target}"))
            elif fragment not in _ALWAYS_THERE and target in ids and fragment not in ids[target]:
                report.broken.append(BrokenLink(page, href, f"no id {fragment!r} in {target}"))
    return report
