"""Upgrades: which version of the tool last built a knowledge base, and moving its paper
pages to the page format (``kb_schema``) of the tool that runs now.

Every paper page names its format in its frontmatter (``kb_schema``, ``pages.SCHEMA_VERSION``).
A change to the format bumps that number and adds a step to ``MIGRATIONS`` (old number →
function from one format to the next), so that a knowledge base made by an older tool is
brought up to date the first time a newer one runs (``python -m generator migrate`` does it
alone), keeping every note. Pages from a *newer* tool stop an older one with the command
that installs the newer one, instead of being misread. ``state/tool.json`` records the tool
and format that last built the knowledge base.

``migrate_page`` is pure; the rest reads and writes ``site_src/papers`` and ``state/``.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.kb import pages
from generator.utils.errors import KBError
from generator.utils.store import read_text, write_atomic, write_if_changed

DISTRIBUTION = "pubmed-kb"
RECORD = "tool.json"
# kb_schema N → N + 1: (frontmatter, body) → (frontmatter, body). Empty while the format is
# the first one; the first change to it adds MIGRATIONS[1].
Migration = Callable[[dict[str, Any], str], tuple[dict[str, Any], str]]
MIGRATIONS: dict[int, Migration] = {}


def tool_version() -> str:
    """The installed version of the tool ("0+unknown" when it is not installed as a package)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def page_schema(meta: Mapping[str, Any]) -> int:
    """A page's format number (pages from before the number was written are format 1)."""
    value = meta.get("kb_schema", 1)
    return value if isinstance(value, int) and value >= 1 else 1


def migrate_page(text: str, name: str = "<page>") -> str | None:
    """The page in the current format, or None when it already is in it (pure)."""
    meta, body = pages.split_page(text, name)
    schema = page_schema(meta)
    current = pages.SCHEMA_VERSION
    if schema >= current:
        return None
    while schema < current:
        step = MIGRATIONS.get(schema)
        if step is None:
            raise KBError(f"{name}: no migration from page format {schema} to {schema + 1}")
        meta, body = step(meta, body)
        schema += 1
    meta["kb_schema"] = current
    return pages.dump_page(meta, body)


@dataclass
class MigrationReport:
    migrated: list[str] = field(default_factory=list)  # PMIDs whose pages were rewritten
    to_schema: int = 0


def read_record(state_dir: Path) -> dict[str, Any]:
    text = read_text(state_dir / RECORD)
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def write_record(state_dir: Path) -> bool:
    """Record this tool and page format as the last to build the knowledge base."""
    record = {"tool": DISTRIBUTION, "version": tool_version(), "page_schema": pages.SCHEMA_VERSION}
    return write_if_changed(state_dir / RECORD, json.dumps(record, indent=2) + "\n")


def _too_new(where: str, schema: int, by: str | None) -> KBError:
    ours = f"{DISTRIBUTION} {tool_version()} (page format {pages.SCHEMA_VERSION})"
    made = f"{DISTRIBUTION} {by}" if by else "a newer pubmed-kb"
    need = f'"{DISTRIBUTION}>={by}"' if by else f"-U {DISTRIBUTION}"
    return KBError(
        f"{where} was written by {made} (page format {schema}); this is {ours}, which would "
        f"misread it. Install the newer tool: python -m pip install {need}"
    )


def migrate_kb(
    site_src: Path, state_dir: Path, metas: Mapping[str, Mapping[str, Any]]
) -> MigrationReport:
    """Bring every paper page (``metas``: their frontmatter by PMID) to the current format;
    refuse, saying what to install, when a page or the record comes from a newer tool."""
    record = read_record(state_dir)
    recorded = record.get("page_schema")
    by = record.get("version") if isinstance(record.get("version"), str) else None
    if isinstance(recorded, int) and recorded > pages.SCHEMA_VERSION:
        raise _too_new(f"{state_dir / RECORD}", recorded, by)
    report = MigrationReport(to_schema=pages.SCHEMA_VERSION)
    for pmid, meta in metas.items():
        schema = page_schema(meta)
        if schema > pages.SCHEMA_VERSION:
            raise _too_new(f"{site_src / 'papers' / pmid}.md", schema, by)
        if schema < pages.SCHEMA_VERSION:
            path = site_src / "papers" / f"{pmid}.md"
            new = migrate_page(path.read_text(encoding="utf-8"), str(path))
            if new is not None:
                write_atomic(path, new)
                report.migrated.append(pmid)
    return report
