"""The same inputs give byte-identical output across processes, whatever Python's hash seed.

A determinism check inside one process would pass with an order that depends on the hash
seed (set iteration over strings): here the demo is built twice in separate processes with
different ``PYTHONHASHSEED`` values and the trees are compared byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, tree_bytes, write_kb


def _demo(folder: Path, seed: str) -> Path:
    kb = write_kb(folder)
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-m", "generator", "demo", "--config", str(kb)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    return folder


def _site_without_search_index(site: Path) -> dict[str, bytes]:
    # Pagefind's own output is not byte-stable from run to run even in one process (its
    # filter chunks get new names), so its folder is left out; every file we write is in.
    return {k: v for k, v in tree_bytes(site).items() if not k.startswith("pagefind/")}


def test_demo_is_byte_identical_under_different_hash_seeds(tmp_path: Path) -> None:
    one = _demo(tmp_path / "one", "1")
    two = _demo(tmp_path / "two", "4242")
    src_one, src_two = tree_bytes(one / "site_src"), tree_bytes(two / "site_src")
    assert len(src_one) > 60  # 30 paper pages and the grouping pages
    assert src_one == src_two
    site_one = _site_without_search_index(one / "site")
    site_two = _site_without_search_index(two / "site")
    exports = [k for k in site_one if k.endswith((".bib", ".ris", ".json", "feed.xml"))]
    assert len(exports) >= 30 + 8  # every paper's cite.json, every feed
    assert sorted(site_one) == sorted(site_two)
    different = [k for k in site_one if site_one[k] != site_two[k]]
    assert different == []
