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
TEMP_SUFFIX = ".tmp"  # with a leading dot: ".<name>.<random>.tmp"


def write_atomic(path: Path, text: str, durable: bool = True) -> None:
    """Write ``text`` (UTF-8, ``\\n`` newlines) to ``path`` atomically.

    The bytes go to a temporary file in the same folder, are flushed to disk (``fsync``),
    and only then replace ``path`` in one rename: a reader, a crash or a full disk leaves
    either the old file or the new one, never a part of either. On any failure the
    temporary file is removed and the error raised. ``durable=False`` skips the flush, for
    files every build derives again (a crash leaves them old or new all the same; a power
    cut may lose the newest, which the next build writes again).
    """
    data = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    closed = False
    try:
        # mkstemp makes the file private (0600); a page is an ordinary file (0644), as
        # it would be had it been written in place, so web servers and other users can read it.
        os.chmod(tmp, _FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
        os.close(fd)
        closed = True
        os.replace(tmp, path)
    except BaseException:
        if not closed:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise


def read_text(path: Path) -> str | None:
    """The file's text, or ``None`` when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def write_if_changed(path: Path, text: str, durable: bool = True) -> bool:
    """Write only when the content differs; return whether it wrote."""
    if read_text(path) == text:
        return False
    write_atomic(path, text, durable)
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


def remove_temp_files(folder: Path) -> int:
    """Remove the temporary files a killed run left in ``folder`` (``.<name>.*.tmp``,
    written by :func:`write_atomic`, never the pages themselves); return how many."""
    if not folder.is_dir():
        return 0
    doomed = [
        p
        for p in folder.iterdir()
        if p.name.startswith(".") and p.name.endswith(TEMP_SUFFIX) and p.is_file()
    ]
    return remove_files(doomed)
