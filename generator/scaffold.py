"""Lay out a new knowledge base (``python -m generator init DIR``): kb.yml, mkdocs.yml naming
the ``pubmed-kb`` plugin, the test and publish workflows pinned to this version of the tool,
a .gitignore for what builds derive, and a README that says how to deploy. Nothing of the
generator's code is copied: the knowledge base installs the tool with pip.

``render_files`` is pure; ``init_kb`` writes, and refuses to overwrite a knowledge base
that is already there unless told.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from generator.config.model import LANGUAGES
from generator.kb.upgrade import DISTRIBUTION, tool_version
from generator.site.index import GENERATED_DIRS, GENERATED_ROOT
from generator.utils.errors import KBError
from generator.utils.store import write_atomic

TEMPLATES = Path(__file__).resolve().parent / "templates"
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


@dataclass(frozen=True)
class NewKB:
    """What ``init`` asks for (or takes as options)."""

    title: str = "PubMed knowledge base"
    language: str = "en"
    email: str = ""
    topic: str = "exosomes"
    query: str = '"exosomes"[MeSH Terms] AND "neoplasms"[MeSH Terms]'
    description: str = ""


def _direct_url() -> dict[str, object]:
    """PEP 610's record of where the installed tool came from ({} from a package index)."""
    try:
        raw = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        direct = json.loads(raw) if raw else {}
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return {}
    return direct if isinstance(direct, dict) else {}


def tool_spec(version: str | None = None) -> str:
    """What the workflows install: this version of the tool, exactly. Installed from a git
    repository (PEP 610's direct_url.json says so), that repository at that commit; else
    the version from the package index."""
    if version is None:
        direct = _direct_url()
        vcs = direct.get("vcs_info")
        if isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
            return f"{DISTRIBUTION} @ {vcs['vcs']}+{direct['url']}@{vcs['commit_id']}"
    return f"{DISTRIBUTION}=={version or tool_version()}"


def installed_from_a_path() -> bool:
    """Whether the tool was installed from a folder or a file (a checkout, a wheel), which a
    workflow on GitHub cannot install from: ``init`` then says to name a source."""
    direct = _direct_url()
    return bool(direct) and "vcs_info" not in direct


def _scalar(value: str) -> str:
    """A YAML scalar for any text (a JSON string is a YAML double-quoted one); null if empty."""
    return json.dumps(value, ensure_ascii=False) if value else "null"


def _fill(template: str, values: dict[str, str]) -> str:
    """The template with each ``@NAME@`` replaced by ``values[NAME]`` (every one known)."""
    unknown = set(_PLACEHOLDER.findall(template)) - values.keys()
    if unknown:
        raise AssertionError(f"templates name unknown values: {sorted(unknown)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def gitignore() -> str:
    """What builds derive, so git never sees it (the grouping pages are made every build)."""
    lines = [
        "# Made by pubmed-kb init. What every build derives is not committed: the site, the",
        "# build cache and the grouping pages (the publish workflow never commits them).",
        "/site/",
        "/.kb-cache/",
        "/.venv/",
        "__pycache__/",
    ]
    for rel in sorted({*GENERATED_ROOT, *GENERATED_DIRS}):
        lines.append(f"/site_src/{rel}" + ("" if rel.endswith(".md") else "/"))
    return "\n".join(lines) + "\n"


def readme(kb: NewKB, spec: str) -> str:
    title = kb.title.replace("\n", " ")
    return f"""# {title}

A knowledge base of PubMed papers, built by [pubmed-kb]({_HOME}) (`{spec}`): one page per
paper, pages per topic and MeSH term, full-text search, citation downloads and feeds, as a
static site on GitHub Pages. The topics (PubMed queries) are in `kb.yml`.

## On this computer

```sh
python -m venv .venv && .venv/bin/python -m pip install "{spec}"
.venv/bin/python -m generator demo      # the embedded sample: see the site before harvesting
.venv/bin/python -m generator harvest   # PubMed → site_src/papers/ (set NCBI_EMAIL first)
.venv/bin/python -m generator serve     # build, then browse http://127.0.0.1:8000/
```

`site_src/papers/` (one Markdown page per paper; notes written under "Notes" are kept) and
`state/` are the knowledge base: commit them. Everything else is rebuilt by every build.

## Deploy to GitHub Pages

1. Push this folder to a new GitHub repository.
2. Settings → Pages → Source: **GitHub Actions**.
3. Settings → Secrets and variables → Actions: add `NCBI_EMAIL` (NCBI asks for a contact
   address) and, for faster harvests, `NCBI_API_KEY` (free, from your NCBI account).
4. Actions → publish → Run workflow. It then runs every Saturday: it harvests what PubMed
   added, commits the new pages and state, rebuilds the site and republishes it.

The test workflow builds the site strictly on every push.

## Upgrading the tool

Change the version in both workflows (`.github/workflows/*.yml`) and install it here
(`pip install -U "{DISTRIBUTION}==NEW"`). A newer version that changes the page format
migrates the pages the first time it runs (`python -m generator migrate` does it alone and
says what changed); commit them.
"""


_HOME = "https://pypi.org/project/pubmed-kb/"


def render_files(kb: NewKB, spec: str) -> dict[str, str]:
    """Every file of a new knowledge base, by path relative to its folder (pure)."""
    if kb.language not in LANGUAGES:
        raise KBError(f"--language {kb.language!r}: one of {', '.join(LANGUAGES)}")
    if not kb.topic.strip() or not kb.query.strip():
        raise KBError("the first topic needs a name and a PubMed query (--topic, --query)")
    description = kb.description or f"Papers from PubMed on {kb.topic}, collected weekly."
    values = {
        "TITLE": _scalar(kb.title.strip() or NewKB.title),
        "DESCRIPTION": _scalar(description),
        "LANGUAGE": kb.language,
        "EMAIL": _scalar(kb.email.strip()),
        "TOPIC_NAME": _scalar(kb.topic.strip()),
        "TOPIC_QUERY": _scalar(" ".join(kb.query.split())),
        "TOOL_SPEC": spec,
    }
    read = lambda rel: (TEMPLATES / rel).read_text(encoding="utf-8")  # noqa: E731
    return {
        "kb.yml": _fill(read("kb.yml"), values),
        "mkdocs.yml": read("mkdocs.yml"),
        ".gitignore": gitignore(),
        "README.md": readme(kb, spec),
        ".github/workflows/test.yml": _fill(read("workflows/test.yml"), values),
        ".github/workflows/publish.yml": _fill(read("workflows/publish.yml"), values),
    }


def init_kb(folder: Path, kb: NewKB, spec: str | None = None, force: bool = False) -> list[str]:
    """Write a new knowledge base into ``folder`` (made if missing); return what was written.
    Refuses when a knowledge base is already there (any of its files, or paper pages),
    unless ``force`` (which overwrites those files, never the pages)."""
    files = render_files(kb, spec or tool_spec())
    present = sorted(rel for rel in files if (folder / rel).exists())
    papers = folder / "site_src" / "papers"
    has_pages = papers.is_dir() and any(papers.glob("*.md"))
    if (present or has_pages) and not force:
        what = ", ".join(present) or "site_src/papers/"
        raise KBError(
            f"{folder}: a knowledge base is already here ({what}); "
            "nothing written (--force overwrites these files, never the paper pages)"
        )
    for rel, text in files.items():
        write_atomic(folder / rel, text)
        os.chmod(folder / rel, 0o644)  # a file to commit, not a private temp file
    (folder / "site_src" / "papers").mkdir(parents=True, exist_ok=True)
    (folder / "state").mkdir(exist_ok=True)
    return list(files)
