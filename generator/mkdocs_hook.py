"""MkDocs hook: take the site title, description, language and navigation from kb.yml.

``mkdocs.yml`` names this file under ``hooks:``, so a plain ``mkdocs build`` or
``mkdocs serve`` shows the same site as ``python -m generator build``. The
config file is ``$KB_CONFIG`` or ``kb.yml`` beside ``mkdocs.yml``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from generator.config import load_config
from generator.i18n import labels


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
    config.nav = [
        {lab["home"]: "index.md"},
        {lab["topics"]: "keywords/index.md"},
        {lab["mesh_terms"]: "mesh/index.md"},
        {lab["all_papers"]: "papers/index.md"},
    ]
    return config
