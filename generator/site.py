"""Build and serve the static site: MkDocs, then Pagefind's search index over the result.

The only module that runs MkDocs or Pagefind.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from generator.config import Config
from generator.errors import BuildError
from generator.exports import read_papers, write_exports
from generator.feeds import write_feeds


def mkdocs_file(config: Config) -> Path:
    """``mkdocs.yml`` beside the kb config (the repository root)."""
    base = config.path.parent if config.path else Path.cwd()
    path = base / "mkdocs.yml"
    if not path.exists():
        raise BuildError(f"{path}: not found (mkdocs.yml must sit beside {config.path})")
    return path


def _env(config: Config) -> dict[str, str]:
    env = dict(os.environ)
    env["NO_MKDOCS_2_WARNING"] = "1"  # Material's end-of-life banner, on every build
    if config.path:
        env["KB_CONFIG"] = str(config.path)
    env.pop("NCBI_API_KEY", None)  # nothing in the site build needs it
    return env


def _run(cmd: list[str], config: Config, what: str) -> None:
    proc = subprocess.run(cmd, env=_env(config), capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise BuildError(f"{what} failed (exit {proc.returncode}):\n{detail}")


def build_site(config: Config, site_dir: Path | None = None, strict: bool = True) -> Path:
    """``mkdocs build`` (strict by default), the citation exports and Atom feeds, then the
    Pagefind index (it reads only HTML); return the site folder."""
    mk = mkdocs_file(config)
    out = (site_dir or mk.parent / "site").resolve()
    cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(mk), "-d", str(out)]
    if strict:
        cmd.append("--strict")
    _run(cmd, config, "mkdocs build")
    papers = read_papers(config.site_src)  # the pages' frontmatter, read once for both
    write_exports(papers, config, out)  # BibTeX, RIS, CSL-JSON beside the pages
    write_feeds(papers, config, out)  # Atom: feed.xml and keywords/<slug>/feed.xml
    index_search(config, out)
    return out


def index_search(config: Config, site_dir: Path) -> Path:
    """Build Pagefind's search index into ``site_dir/pagefind/``."""
    cmd = [sys.executable, "-m", "pagefind", "--site", str(site_dir), "--silent"]
    # Heading permalinks ("¶") are not text of the paper.
    cmd += ["--exclude-selectors", ".headerlink"]
    _run(cmd, config, "pagefind")
    return site_dir / "pagefind"


def serve_site(site_dir: Path, address: str = "127.0.0.1:8000") -> int:
    """Serve a built site over HTTP (search needs http, not file://) until interrupted."""
    host, _, port = address.rpartition(":")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site_dir))
    with ThreadingHTTPServer((host or "127.0.0.1", int(port)), handler) as server:
        print(f"serving {site_dir} on http://{host or '127.0.0.1'}:{port}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
