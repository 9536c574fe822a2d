"""MkDocs hook: take the site title, description, language and navigation from kb.yml.

``mkdocs.yml`` names this file under ``hooks:``, so a plain ``mkdocs build`` or
``mkdocs serve`` shows the same site as ``python -m generator build``. The
config file is ``$KB_CONFIG`` or ``kb.yml`` beside ``mkdocs.yml``.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from generator.config import load_config
from generator.exports import MESH_BULK_MAX
from generator.i18n import labels

THEME_DIR = Path(__file__).resolve().parent / "theme"


def on_config(config: Any) -> Any:
    kb_path = os.environ.get("KB_CONFIG") or str(Path(config.config_file_path).parent / "kb.yml")
    kb = load_config(kb_path)
    lab = labels(kb.site.language)
    config.site_name = kb.site.title
    if kb.site.description:
        config.site_description = kb.site.description
    if kb.site.url:
        config.site_url = kb.site.url
    config.theme["language"] = kb.site.language
    config.extra["kb_labels"] = lab
    config.extra["kb_mesh_bulk_max"] = MESH_BULK_MAX  # words for the theme overrides (main.html)
    if str(THEME_DIR) not in config.theme.dirs:
        config.theme.dirs.insert(0, str(THEME_DIR))
    config.nav = [
        {lab["home"]: "index.md"},
        {lab["topics"]: "keywords/index.md"},
        {lab["mesh_terms"]: "mesh/index.md"},
        {lab["all_papers"]: "papers/index.md"},
        {
            lab["browse_by"]: [
                {lab["publication_types"]: "types/index.md"},
                {lab["years"]: "years/index.md"},
                {lab["journals"]: "journals/index.md"},
                {lab["retracted_page"]: "retracted.md"},
            ]
        },
        {lab["status"]: "status.md"},
    ]
    return config


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """Escape the frontmatter title and description before any template prints them.

    MkDocs renders its templates without autoescaping, and Material prints
    ``page.meta.title`` / ``page.meta.description`` as they are (``<title>``, the header,
    ``<meta name="description">``). Both come from PubMed records, so a title such as
    ``</title><script>…`` would otherwise become live HTML. The page files keep the exact text.
    """
    for key in ("title", "description"):
        value = page.meta.get(key)
        if isinstance(value, str):
            page.meta[key] = html.escape(value, quote=True)
    return markdown
