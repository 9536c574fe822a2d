"""The only module that reads and writes the knowledge base on disk.

Writes are atomic (a temporary file in the same folder, then ``os.replace``),
and a file whose content would not change is not touched at all.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` newlines) to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); a page is an ordinary file (0644), as
        # it would be had it been written in place, so web servers and other users can read it.
        os.chmod(tmp, _FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_text(path: Path) -> str | None:
    """The file's text, or ``None`` when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def write_if_changed(path: Path, text: str) -> bool:
    """Write only when the content differs; return whether it wrote."""
    if read_text(path) == text:
        return False
    write_atomic(path, text)
    return True


def iter_pages(folder: Path) -> Iterator[Path]:
    """The Markdown pages directly in ``folder``, sorted by name."""
    if not folder.is_dir():
        return iter(())
    return iter(sorted(p for p in folder.iterdir() if p.suffix == ".md" and p.is_file()))


def remove_files(paths: list[Path]) -> int:
    """Remove the given files (missing ones are fine); return how many went."""
    removed = 0
    for p in paths:
        try:
            p.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed
