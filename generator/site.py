"""Build and serve the static site with MkDocs (the only module that runs MkDocs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from generator.config import Config
from generator.errors import BuildError


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


def build_site(config: Config, site_dir: Path | None = None, strict: bool = True) -> Path:
    """Run ``mkdocs build`` (strict by default) and return the site folder."""
    mk = mkdocs_file(config)
    out = site_dir or mk.parent / "site"
    cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(mk), "-d", str(out)]
    if strict:
        cmd.append("--strict")
    proc = subprocess.run(cmd, env=_env(config), capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise BuildError(f"mkdocs build failed (exit {proc.returncode}):\n{detail}")
    return out


def serve_site(config: Config, address: str = "127.0.0.1:8000") -> int:
    """Run ``mkdocs serve`` in the foreground until interrupted."""
    mk = mkdocs_file(config)
    cmd = [sys.executable, "-m", "mkdocs", "serve", "-f", str(mk), "-a", address]
    try:
        return subprocess.call(cmd, env=_env(config))
    except KeyboardInterrupt:
        return 0
