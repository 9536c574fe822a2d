"""`make publish-local`: the publish workflow's steps, run here against the E-utilities stand-in.

scripts/publish_local.sh runs scripts/publish.sh (the very steps of
.github/workflows/publish.yml) in a throw-away copy of the repository whose `origin` is a
local bare repository, with NCBI_EUTILS_URL pointing at tests/eutils_standin.py on
127.0.0.1. These tests check what the workflow promises: a good harvest is committed by the
bot and pushed, a second commit step commits nothing, the site builds strictly from a fresh
clone of the pushed commit; a failed harvest commits its run record, fails, and builds
nothing; a push rebases onto work pushed meanwhile, and a conflict fails without pushing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from generator.utils.clock import system_clock

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "publish_local.sh"
STEPS = ROOT / "generator" / "publish.sh"  # scripts/publish.sh runs it
BOT = "github-actions[bot]"
FIRST_STANDIN_PMID = "30000000"  # tests/eutils_standin.py's synthetic corpus starts here

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash"
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "NCBI_"))}
    env["PY"] = sys.executable
    return env


def _run_local(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    # In a process group of its own, so that a run killed on timeout takes the stand-in
    # server it started down with it.
    with subprocess.Popen(
        ["bash", str(SCRIPT), *args],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            pytest.fail(f"publish_local.sh took over {timeout} s:\n{out}{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_publish_local_harvests_commits_pushes_and_builds(tmp_path: Path) -> None:
    run = tmp_path / "run"
    since = (system_clock().today() - dt.timedelta(days=30)).isoformat()
    ours = ROOT / "site_src" / "papers" / f"{FIRST_STANDIN_PMID}.md"
    had_it = ours.exists()

    result = _run_local("--keep", str(run), "--since", since, "--count", "25")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"hits in {since}.." in output, "the workflow's `since` input reaches the harvest"
    assert "publish-local: OK" in result.stdout
    origin = run / "origin.git"
    author, subject = _git(origin, "log", "-1", "--format=%an%n%s", "main").splitlines()
    assert author == BOT
    assert subject.endswith("[skip ci]") and "25 new" in subject
    changed = _git(origin, "show", "--name-only", "--format=", "main").splitlines()
    assert f"site_src/papers/{FIRST_STANDIN_PMID}.md" in changed
    assert {"state/harvest.json", "state/runs.jsonl"} <= set(changed)
    assert "nothing changed in site_src state: no commit" in result.stdout  # second commit step
    site = run / "build" / "site"
    assert (site / "index.html").is_file()
    assert (site / "papers" / FIRST_STANDIN_PMID / "index.html").is_file()
    assert ours.exists() == had_it, "the real checkout must not be touched"


def test_a_failed_harvest_commits_its_record_fails_and_builds_nothing(tmp_path: Path) -> None:
    run = tmp_path / "run"

    result = _run_local("--keep", str(run), "--fail-upstream", "--count", "5")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "SOME TOPICS FAILED" in result.stdout
    assert "the site was NOT rebuilt" in result.stderr
    assert not (run / "build").exists()
    origin = run / "origin.git"
    subject = _git(origin, "log", "-1", "--format=%s", "main")
    assert "some topics FAILED" in subject
    records = _git(origin, "show", "main:state/runs.jsonl").splitlines()
    last = json.loads(records[-1])
    assert last["ok"] is False and all(not t["ok"] for t in last["topics"])


def _repo_with_origin(tmp_path: Path) -> tuple[Path, Path]:
    """A bare origin with one commit, and a shallow clone of it holding scripts/publish.sh."""
    seed, origin, work = tmp_path / "seed", tmp_path / "origin.git", tmp_path / "work"
    seed.mkdir()
    (seed / "scripts").mkdir()
    shutil.copy(STEPS, seed / "scripts" / "publish.sh")
    (seed / "state").mkdir()
    (seed / "state" / "runs.jsonl").write_text("first\n", encoding="utf-8")
    (seed / "README.md").write_text("hello\n", encoding="utf-8")
    _git(seed, "init", "--quiet")
    _git(seed, "symbolic-ref", "HEAD", "refs/heads/main")
    _git(seed, "add", "--all")
    _git(seed, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "seed")
    _git(tmp_path, "clone", "--quiet", "--bare", str(seed), str(origin))
    # Like actions/checkout: a clone of depth 1.
    _git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{origin}", str(work))
    return origin, work


def _push_from_elsewhere(tmp_path: Path, origin: Path, path: str, text: str) -> None:
    other = tmp_path / "other"
    _git(tmp_path, "clone", "--quiet", str(origin), str(other))
    (other / path).write_text(text, encoding="utf-8")
    _git(other, "-c", "user.name=u", "-c", "user.email=u@example.org", "commit", "-qam", "u")
    _git(other, "push", "--quiet", "origin", "main")


def _push(work: Path) -> subprocess.CompletedProcess[str]:
    env = _env()
    env.pop("GH_TOKEN", None)
    return subprocess.run(
        ["bash", "scripts/publish.sh", "push"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _commit_in(work: Path, path: str, text: str) -> None:
    (work / path).write_text(text, encoding="utf-8")
    _git(work, "-c", f"user.name={BOT}", "-c", "user.email=b@example.org", "commit", "-qam", "h")


def test_push_rebases_onto_work_pushed_meanwhile(tmp_path: Path) -> None:
    origin, work = _repo_with_origin(tmp_path)
    _commit_in(work, "state/runs.jsonl", "first\nsecond\n")
    _push_from_elsewhere(tmp_path, origin, "README.md", "hello, edited by a person\n")

    result = _push(work)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebasing onto what main holds now" in result.stdout
    subjects = _git(origin, "log", "--format=%s", "main").splitlines()
    assert subjects == ["h", "u", "seed"], "both kept, history linear"
    assert _git(origin, "show", "main:README.md") == "hello, edited by a person"


def test_push_refuses_a_conflict_and_pushes_nothing(tmp_path: Path) -> None:
    origin, work = _repo_with_origin(tmp_path)
    _commit_in(work, "state/runs.jsonl", "first\nours\n")
    _push_from_elsewhere(tmp_path, origin, "state/runs.jsonl", "first\ntheirs\n")
    before = _git(origin, "rev-parse", "main")

    result = _push(work)

    assert result.returncode == 1
    assert "does not rebase cleanly" in result.stdout
    assert _git(origin, "rev-parse", "main") == before


def test_commit_takes_the_paper_pages_and_state_never_the_grouping_pages(
    tmp_path: Path, _sample_site_src: Path
) -> None:
    """The grouping pages are derived by every build: committing them made each week's
    commit rewrite thousands of list pages. A clone that still tracks some (from an earlier
    version) has them removed from the repository, not from the disk."""
    _, work = _repo_with_origin(tmp_path)
    (work / "kb.yml").write_text((ROOT / "kb.yml").read_text(encoding="utf-8"), "utf-8")
    shutil.copytree(_sample_site_src, work / "site_src")
    # an earlier version committed a grouping page
    _git(work, "add", "kb.yml", "site_src/mesh/neoplasms.md")
    _git(work, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "old")
    (work / "site_src" / "about.md").write_text("# About this lab\n", encoding="utf-8")

    result = subprocess.run(
        ["bash", "scripts/publish.sh", "commit"],
        cwd=work,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    tracked = set(_git(work, "ls-files", "site_src").splitlines())
    papers = {p for p in tracked if p.startswith("site_src/papers/")}
    assert len(papers) == 30 and all(p[len("site_src/papers/") : -3].isdigit() for p in papers)
    assert tracked == papers | {"site_src/about.md"}  # a page of the user's own is source
    assert (work / "site_src" / "mesh" / "neoplasms.md").is_file()  # left on disk
    subject = _git(work, "log", "-1", "--format=%s")
    assert subject.startswith("Harvest ") and "30 new" in subject
