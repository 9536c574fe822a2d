"""The MkDocs plugin ``pubmed-kb``: what a knowledge base's ``mkdocs.yml`` names to be built
by this package, wherever the package is installed::

    plugins:
      - pubmed-kb              # or, with another config file:  - pubmed-kb: {config: my.yml}

It is registered under the ``mkdocs.plugins`` entry point (pyproject.toml) and does what
``generator.site.mkdocs_hook`` does (title, language and navigation from kb.yml, the theme
overrides, escaping, the pages rendered from the content-keyed cache): each event calls the
hook's function of the same name, so a fork whose ``mkdocs.yml`` still names the hook file
builds the same site.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config as PluginConfig
from mkdocs.plugins import BasePlugin, event_priority

from generator.site import mkdocs_hook as hook


class KBPluginConfig(PluginConfig):
    # The knowledge base's config file, relative to mkdocs.yml ($KB_CONFIG wins: the
    # generator's build passes the one it was given).
    config = config_options.Type(str, default="kb.yml")


class KnowledgeBasePlugin(BasePlugin[KBPluginConfig]):
    """Builds a pubmed-kb knowledge base (see the module's docstring)."""

    @event_priority(50)  # before other plugins: they see the title, nav and theme it sets
    def on_config(self, config: Any) -> Any:
        kb_path = Path(config.config_file_path or "mkdocs.yml").parent / self.config.config
        return hook.on_config(config, default_kb=kb_path)

    def on_files(self, files: Any, *, config: Any) -> Any:
        return hook.on_files(files, config)

    def on_nav(self, nav: Any, *, config: Any, files: Any) -> Any:
        return hook.on_nav(nav, config, files)

    def on_env(self, env: Any, *, config: Any, files: Any) -> Any:
        return hook.on_env(env, config, files)

    def on_page_markdown(self, markdown: str, *, page: Any, config: Any, files: Any) -> str:
        return hook.on_page_markdown(markdown, page)

    def on_page_content(self, html: str, *, page: Any, config: Any, files: Any) -> str:
        return hook.on_page_content(html, page, config, files)

    def on_post_build(self, *, config: Any) -> None:
        hook.on_post_build(config)
