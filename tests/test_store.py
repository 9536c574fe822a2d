"""Atomic writes under failure: a write, fsync or rename that fails part-way, and a run
killed between (or inside) pages, leave every page old or new, never partial."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.kb.pages import NOTES_MARKER, split_page
from generator.utils import store
from generator.utils.store import remove_temp_files, write_atomic
from tests.conftest import REPO, tree_bytes, write_kb

OLD = "---\ntitle: old\n---\n\nold body\n"
NEW = "---\ntitle: new\n---\n\n" + "new body line\n" * 20_000  # several writes' worth


def _temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(store.TEMP_SUFFIX))


def _fail_write_half_way(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.write
    calls = {"n": 0}

    def write(fd: int, data: bytes | memoryview) -> int:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(28, "No space left on device")
        return real(fd, bytes(data)[: len(data) // 2])  # a short write, then the disk is full

    monkeypatch.setattr(store.os, "write", write)


def _fail(name: str):
    def install(monkeypatch: pytest.MonkeyPatch) -> None:
        def boom(*args: object) -> None:
            raise OSError(5, f"{name} failed")

        monkeypatch.setattr(store.os, name, boom)

    return install


STEPS = {
    "write": _fail_write_half_way,
    "fsync": _fail("fsync"),
    "replace": _fail("replace"),
}


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("had_old", [True, False], ids=["replacing", "new-file"])
def test_a_failure_at_any_step_keeps_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, had_old: bool
) -> None:
    page = tmp_path / "papers" / "1.md"
    if had_old:
        write_atomic(page, OLD)
    STEPS[step](monkeypatch)
    with pytest.raises(OSError):
        write_atomic(page, NEW)
    monkeypatch.undo()
    if had_old:
        assert page.read_text(encoding="utf-8") == OLD
    else:
        assert not page.exists()
    assert _temp_files(page.parent) == []
    write_atomic(page, NEW)  # and the next attempt goes through
    assert page.read_text(encoding="utf-8") == NEW


def test_a_short_write_is_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.write
    monkeypatch.setattr(store.os, "write", lambda fd, data: real(fd, bytes(data)[:1000]))
    write_atomic(tmp_path / "a.md", NEW)
    monkeypatch.undo()
    assert (tmp_path / "a.md").read_text(encoding="utf-8") == NEW


def test_a_written_page_is_flushed_before_it_replaces_the_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(store.os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(
        store.os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b))
    )
    write_atomic(tmp_path / "a.md", NEW)
    assert order == ["fsync", "replace"]
    assert (tmp_path / "a.md").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_remove_temp_files_takes_only_leftovers(tmp_path: Path) -> None:
    for name in (".1.md.abc123.tmp", ".index.md.x.tmp", "1.md", "notes.tmp", ".hidden"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert remove_temp_files(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden", "1.md", "notes.tmp"]
    assert remove_temp_files(tmp_path / "missing") == 0


# --- a run killed part-way ---------------------------------------------------------


def _synth(n: int, out: Path) -> Path:
    xml = out / f"kb-{n}.xml.gz"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "synth.py"), str(n), str(xml)],
        check=True,
        capture_output=True,
    )
    return xml


def _ingest(kb: Path, xml: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "ingest", "--config", str(kb), str(xml)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _complete(text: str, name: str) -> bool:
    meta, body = split_page(text, name)
    return meta.get("pmid") == name.removesuffix(".md") and NOTES_MARKER in body


def test_a_killed_ingest_leaves_whole_pages_and_a_rerun_finishes_the_job(tmp_path: Path) -> None:
    xml = _synth(600, tmp_path)
    killed = write_kb(tmp_path / "killed")
    proc = _ingest(killed, xml)
    papers = tmp_path / "killed" / "site_src" / "papers"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if papers.is_dir() and sum(1 for p in papers.iterdir() if p.suffix == ".md") >= 50:
            break
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.fail("the ingest finished before it could be killed: use more papers")
    proc.send_signal(signal.SIGKILL)  # no handler, no cleanup: a crash or an OOM kill
    proc.wait()
    pages = [p for p in papers.iterdir() if p.name.endswith(".md")]
    assert 50 <= len(pages) < 600
    for p in pages:  # every page on disk is whole
        assert _complete(p.read_text(encoding="utf-8"), p.name), p

    (papers / ".36000001.md.k1ll3d.tmp").write_text("half a pa", encoding="utf-8")
    rerun = _ingest(killed, xml)
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()
    assert _temp_files(papers) == []  # leftovers of the killed run are gone

    clean = write_kb(tmp_path / "clean")
    done = _ingest(clean, xml)
    assert done.wait(timeout=120) == 0
    # the same pages as one uninterrupted run, byte for byte
    assert tree_bytes(papers) == tree_bytes(tmp_path / "clean" / "site_src" / "papers")
