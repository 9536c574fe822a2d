"""What the MkDocs plugin ``pubmed-kb`` does (``generator.site.mkdocs_plugin``): take the
site title, description, language and navigation from kb.yml, and render the generated pages
outside the navigation (papers, terms, facet values, list continuations) itself, each
reused from a cache while its inputs stay (``generator.site.render``).

A knowledge base's ``mkdocs.yml`` names the plugin (``plugins: [pubmed-kb]``), so a plain
``mkdocs build`` or ``mkdocs serve`` shows the same site as ``python -m generator build``.
This file also still works as a hook (``hooks: [generator/site/mkdocs_hook.py]``); forks
made before the plugin named it at ``generator/mkdocs_hook.py``, where it no longer is:
their ``mkdocs.yml`` should say ``plugins: [pubmed-kb]`` instead. The config file is
``$KB_CONFIG``, else the plugin's ``config`` option, else ``kb.yml`` beside ``mkdocs.yml``.
"""

from __future__ import annotations

import html
import json
import logging
import os
import shutil
import urllib.parse
from pathlib import Path
from typing import Any

from generator.config.load import load_config
from generator.site.links import resolve_raw_links
from generator.site.render import (
    RenderCache,
    RenderJob,
    code_fingerprint,
    config_fingerprint,
    is_managed,
    page_urls,
    render_managed_pages,
)
from generator.utils.i18n import labels
from generator.utils.journals import citation_journal
from generator.utils.languages import iso639_1
from generator.utils.slug import heading_id

THEME_DIR = Path(__file__).resolve().parent / "theme"
log = logging.getLogger("mkdocs.hooks.pubmed_kb")


class _Build:
    """What the hook learns during one build (MkDocs calls the events in order)."""

    cache_root: Path | None = None
    managed: list[str] = []  # noqa: RUF012 (replaced, never mutated in place)
    nav: Any = None
    env: Any = None
    files: Any = None
    urls: dict[str, str] | None = None


class _QuietExcludedLinks(logging.Filter):
    """MkDocs notes (at INFO) every link to a page it does not build itself; the hook builds
    the managed pages, so those notes (thousands at scale) say nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno <= logging.INFO
            and "which is excluded from the built site" in record.getMessage()
        )


_QUIET = _QuietExcludedLinks()
logging.getLogger("mkdocs.structure.pages").addFilter(_QUIET)


def on_config(config: Any, default_kb: Path | None = None) -> Any:
    beside = Path(config.config_file_path or "mkdocs.yml").parent / "kb.yml"
    kb = load_config(os.environ.get("KB_CONFIG") or default_kb or beside)
    _Build.cache_root = kb.site_src.parent / ".kb-cache" / "render"
    lab = labels(kb.site.language)
    config.site_name = kb.site.title
    if kb.site.description:
        config.site_description = kb.site.description
    if kb.site.url:
        config.site_url = kb.site.url
    config.theme["language"] = kb.site.language
    toc = config.mdx_configs.setdefault("toc", {})
    toc.setdefault("slugify", heading_id)  # short heading ids (generator.utils.slug.heading_id)
    config.extra["kb_labels"] = lab
    if str(THEME_DIR) not in config.theme.dirs:
        config.theme.dirs.insert(0, str(THEME_DIR))
    config.nav = [
        {lab["home"]: "index.md"},
        {lab["topics"]: "keywords/index.md"},
        {lab["mesh_terms"]: "mesh/index.md"},
        {lab["all_papers"]: "papers/index.md"},
        {
            # browse/index.md is the section's own page (navigation.indexes): the tab opens
            # an overview, not the first facet; the harvest status lives here, not in a tab
            lab["browse_by"]: [
                "browse/index.md",
                {lab["publication_types"]: "types/index.md"},
                {lab["years"]: "years/index.md"},
                {lab["journals"]: "journals/index.md"},
                {lab["retracted_page"]: "retracted.md"},
                {lab["status"]: "status.md"},
            ]
        },
    ]
    return config


def escape_meta(page: Any) -> None:
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


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    escape_meta(page)
    return markdown


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Links written as HTML (the long lists) point at source paths: make them URLs."""
    if _Build.urls is None:
        _Build.urls = page_urls(files)
    return resolve_raw_links(html, page.file.src_uri, page.file.url, _Build.urls)


def on_files(files: Any, config: Any) -> Any:
    """Take the managed pages out of MkDocs' page loop: the hook renders them (links to
    them still resolve, to their URLs, and are still checked)."""
    from mkdocs.structure.files import InclusionLevel

    managed = []
    for file in files.documentation_pages():
        if is_managed(file.src_uri):
            file.inclusion = InclusionLevel.EXCLUDED
            managed.append(file.src_uri)
    _Build.managed = managed
    _Build.files = files
    _Build.urls = None
    return files


def on_nav(nav: Any, config: Any, files: Any) -> Any:
    _Build.nav = nav
    return nav


def on_env(env: Any, config: Any, files: Any) -> Any:
    env.filters["kb_managed"] = is_managed  # main.html: is this a page the hook renders?
    env.filters["kb_iso639_1"] = iso639_1  # main.html: citation_language as "en", not "eng"
    env.filters["kb_journal"] = citation_journal  # main.html: the journal as citations name it
    _Build.env = env
    return env


ICONS = ("material/magnify", "material/close", "material/arrow-up", "material/library")


def icon_names(config: Any) -> list[str]:
    """The icons the pages draw with CSS (partials/kb-icon.html): the theme's logo, top and
    colour-scheme icons, and the search dialog's."""
    icon = config.theme.get("icon") or {}
    names = {*ICONS, icon.get("logo") or "material/library", icon.get("top") or ICONS[2]}
    palette = config.theme.get("palette") or []
    for option in palette if isinstance(palette, list) else [palette]:
        toggle = option.get("toggle") or {}
        if toggle.get("icon"):
            names.add(toggle["icon"])
    return sorted(names)


def icons_css(config: Any, env: Any) -> str:
    """``assets/kb/icons.css``: each icon as a mask image, as Material draws its admonition
    icons; written once per build instead of inline SVG on every page."""
    rules = []
    for name in icon_names(config):
        svg, _, _ = env.loader.get_source(env, f".icons/{name}.svg")
        # '"' is percent-encoded: the SVG's attribute quotes would end the url("...") early
        data = urllib.parse.quote(" ".join(svg.split()), safe=" /=:'<>")
        css_name = name.replace("/", "-").replace(".", "-")
        rules.append(f'.kb-i--{css_name}{{--kb-i:url("data:image/svg+xml;charset=utf-8,{data}")}}')
    return "\n".join(rules) + "\n"


# Material's partials/javascripts/palette.html (MIT licence): apply the stored scheme.
_PALETTE_RESTORE = (
    'var palette=__md_get("__palette");if(palette&&palette.color){if("(prefers-color-scheme)"'
    '===palette.color.media){var media=matchMedia("(prefers-color-scheme: light)"),input=docu'
    "ment.querySelector(media.matches?\"[data-md-color-media='(prefers-color-scheme: light)']"
    '":"[data-md-color-media=\'(prefers-color-scheme: dark)\']");palette.color.media=input.ge'
    'tAttribute("data-md-color-media"),palette.color.scheme=input.getAttribute("data-md-color-'
    'scheme"),palette.color.primary=input.getAttribute("data-md-color-primary"),palette.color.'
    'accent=input.getAttribute("data-md-color-accent")}for(var[key,value]of Object.entries(pal'
    'ette.color))document.body.setAttribute("data-md-color-"+key,value)}'
)


def palette_js(config: Any, env: Any) -> str:
    """``assets/kb/palette.js``: on a lean page (its script tag says ``data-kb-form``) it puts
    Material's palette form where the tag is; on every page it applies the reader's stored
    colour scheme, as Material's inline script did. Made from ``theme.palette``, once a build,
    instead of 1.5 KB of form and script on every page."""
    palette = config.theme.get("palette") or []
    form = ""
    if isinstance(palette, list) and palette:
        form = env.get_template("partials/kb-palette-form.html").render(config=config).strip()
    build = (
        "(function(){var s=document.currentScript;"
        'if(!s||!s.hasAttribute("data-kb-form")||document.querySelector('
        '"[data-md-component=palette]"))return;var f=document.createElement("form");'
        'f.className="md-header__option";f.setAttribute("data-md-component","palette");'
        f"f.innerHTML={json.dumps(form)};s.parentNode.insertBefore(f,s)}})();\n"
    )
    header = "/* pubmed-kb: written by the MkDocs hook from mkdocs.yml's theme.palette */\n"
    return header + build + _PALETTE_RESTORE + "\n"


# What Material copies into every site that a knowledge base never loads: the lunr search
# (the site searches with Pagefind; lunr is loaded only by Material's search worker, for its
# languages) and the source maps of its scripts and styles (read by browser devtools
# only). 2.2 MB of a site that reaches GitHub Pages' 1 GB at ~50,000 papers.
UNUSED_THEME_FILES = (
    "assets/javascripts/lunr",
    "assets/javascripts/**/*.map",
    "assets/stylesheets/*.map",
)


def remove_unused_theme_files(site_dir: Path) -> int:
    """Delete :data:`UNUSED_THEME_FILES` from a built site; the bytes freed."""
    freed = 0
    for pattern in UNUSED_THEME_FILES:
        for path in sorted(site_dir.glob(pattern)):
            if path.is_dir():
                freed += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
                shutil.rmtree(path)
            elif path.is_file():
                freed += path.stat().st_size
                path.unlink()
    return freed


def on_post_build(config: Any) -> None:
    """Write the icon styles and the palette script; remove the theme's files no page
    loads; render (or reuse from the cache) every managed page."""
    remove_unused_theme_files(Path(config.site_dir))
    if _Build.env is not None:
        kb_assets = Path(config.site_dir) / "assets" / "kb"
        kb_assets.mkdir(parents=True, exist_ok=True)
        (kb_assets / "icons.css").write_text(icons_css(config, _Build.env), encoding="utf-8")
        (kb_assets / "palette.js").write_text(palette_js(config, _Build.env), encoding="utf-8")
    if _Build.cache_root is None or _Build.files is None:
        return
    job = RenderJob(
        config=config,
        files=_Build.files,
        nav=_Build.nav,
        env=_Build.env,
        cache=RenderCache.open(_Build.cache_root),
        escape_meta=escape_meta,
    )
    fingerprint = code_fingerprint() + config_fingerprint(config)
    report = render_managed_pages(job, _Build.managed, fingerprint, Path(config.site_dir))
    log.info(
        f"pubmed-kb: {report.pages} generated pages: {report.rendered} rendered, "
        f"{report.reused} reused from {_Build.cache_root}"
    )
