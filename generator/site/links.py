"""Links written as HTML in the generated pages, resolved as MkDocs resolves Markdown links.

The long lists are written as HTML (``generator.site.listing.item_html``), which Markdown passes
through untouched, so their links keep the target page's source path
(``<a href="../papers/1.md">``). The MkDocs hook turns each into the target's URL relative to
the page, exactly as MkDocs does for ``[text](../papers/1.md)``, and reports a link to a page
that does not exist as MkDocs would (a warning, which fails a strict build).
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable, Mapping

log = logging.getLogger("mkdocs.structure.pages")

# href="….md" or href="….md#anchor", relative (no scheme), in HTML the hook renders
_RAW_HREF = re.compile(r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:)([^"#?]+\.md)(#[^"]*)?"')


def relative_url(target: str, source: str) -> str:
    """``target`` URL as seen from the page at URL ``source`` (both site-relative)."""
    from mkdocs.utils import get_relative_url

    return get_relative_url(target, source)


def resolve_raw_links(
    html: str,
    src_uri: str,
    page_url: str,
    urls: Mapping[str, str],
    warn: Callable[[str], None] = log.warning,
) -> str:
    """``html`` with every relative ``href="….md"`` replaced by the target page's URL;
    ``urls`` maps source paths (``papers/1.md``) to site URLs (``papers/1/``)."""
    base = posixpath.dirname(src_uri)

    def sub(m: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(base, m.group(1)))
        url = urls.get(target)
        if url is None:
            warn(
                f"Doc file '{src_uri}' contains a link '{m.group(1)}', but the target "
                f"'{target}' is not found among documentation files."
            )
            return m.group(0)
        return f'href="{relative_url(url, page_url)}{m.group(2) or ""}"'

    return _RAW_HREF.sub(sub, html)
