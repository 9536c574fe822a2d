"""The GitHub Actions workflows: actionlint and zizmor clean, and the publish job's contract.

GitHub's runners are not available here, so the workflow files are checked statically: by
the two linters (a finding of medium or high severity fails the suite) and by the promises
docs/deploy.md makes about them (a schedule, a manual trigger with ``since``, the secrets,
least-privilege permissions per job, SHA-pinned actions, one publish at a time, a Pages
deploy that only follows a good harvest, a keepalive). The job's steps themselves run in
tests/test_publish_local.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.y*ml"))
PUBLISH = GITHUB / "workflows" / "publish.yml"
TEST = GITHUB / "workflows" / "test.yml"
DEPENDABOT = GITHUB / "dependabot.yml"

SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")


def _tool(name: str) -> str:
    """The linter's executable (beside this Python first); skipped locally when absent."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (make install: it is in the dev extra)"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI must lint the workflows, never skip it
    pytest.skip(message)


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: not a mapping"
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def _step(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    for step in _steps(job):
        if step.get("id") == step_id:
            return step
    raise AssertionError(f"no step with id {step_id!r}")


def _uses(job: dict[str, Any]) -> list[str]:
    return [s["uses"].split("@")[0] for s in _steps(job) if "uses" in s]


@pytest.fixture(scope="module")
def publish() -> dict[str, Any]:
    return _load(PUBLISH)


# ------------------------------------------------------------------------------ linters


def test_there_are_workflows() -> None:
    assert PUBLISH in WORKFLOWS and TEST in WORKFLOWS


def test_actionlint_is_clean(tmp_path: Path) -> None:
    actionlint = _tool("actionlint")
    cwd = ROOT
    inside_git = (
        shutil.which("git") is not None
        and subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=ROOT, capture_output=True
        ).returncode
        == 0
    )
    if not inside_git:
        # actionlint looks for the repository's root; give it one.
        cwd = tmp_path / "repo"
        shutil.copytree(GITHUB, cwd / ".github")
        if shutil.which("git"):
            subprocess.run(["git", "init", "--quiet"], cwd=cwd, check=True)
    files = [str((cwd / p.relative_to(ROOT)).relative_to(cwd)) for p in WORKFLOWS]
    result = subprocess.run(
        [actionlint, "-no-color", *files], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"actionlint:\n{result.stdout}{result.stderr}"


def test_zizmor_finds_nothing_of_medium_or_high_severity() -> None:
    zizmor = _tool("zizmor")
    inputs = [str(p.relative_to(ROOT)) for p in [*WORKFLOWS, DEPENDABOT]]
    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "json", *inputs],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        findings = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"zizmor gave no JSON (exit {result.returncode}):\n{result.stderr}")
    serious = [
        f
        for f in findings
        if f["determinations"]["severity"] in ("Medium", "High") and not f.get("ignored")
    ]
    report = "\n".join(
        f"{f['determinations']['severity']} {f['ident']}: {f['desc']} at "
        + ", ".join(
            f"{loc['symbolic']['key']['Local']['verbatim_path']}:"
            f"{loc['concrete']['location']['start_point']['row'] + 1}"
            for loc in f["locations"]
            if "Local" in loc["symbolic"]["key"]
        )
        for f in serious
    )
    assert not serious, f"zizmor:\n{report}"
    assert result.returncode == 0 or findings, result.stderr


@pytest.mark.parametrize("path", [*WORKFLOWS, DEPENDABOT], ids=lambda p: p.name)
def test_no_linter_finding_is_silenced(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "zizmor: ignore" not in text
    assert "shellcheck disable" not in text


def test_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (actionlint uses it too when present)")
    scripts = sorted(str(p) for d in ("scripts", "generator") for p in (ROOT / d).glob("*.sh"))
    result = subprocess.run([shellcheck, *scripts], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# ------------------------------------------------------------------------------ every workflow


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_sha_with_its_version(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = USES_LINE.match(line)
        if not match:
            continue
        ref, rest = match.groups()
        if ref.startswith("./"):
            continue  # a local action is this commit's own code
        assert SHA_PINNED.match(ref), f"{path.name}:{number}: {ref} is not pinned to a SHA"
        assert re.match(r"\s*#\s*v\d+(\.\d+)*\s*$", rest), (
            f"{path.name}:{number}: say which release the SHA is (# vX.Y.Z)"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_least_privilege_per_job(path: Path) -> None:
    workflow = _load(path)
    assert workflow.get("permissions") == {}, "the workflow's default token must get nothing"
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"job {name}: permissions must be listed"
        assert set(permissions.values()) <= {"read", "write", "none"}, name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_setup_python_caches_pip_against_pyproject(path: Path) -> None:
    workflow = _load(path)
    seen = 0
    for job in workflow["jobs"].values():
        for step in _steps(job):
            if step.get("uses", "").startswith("actions/setup-python@"):
                seen += 1
                assert step["with"]["cache"] == "pip"
                assert step["with"]["cache-dependency-path"] == "pyproject.toml"
    assert seen


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_do_not_leave_the_token_on_disk(path: Path) -> None:
    workflow = _load(path)
    for name, job in workflow["jobs"].items():
        for step in _steps(job):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_dependabot_keeps_the_action_pins_fresh() -> None:
    config = yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    assert "github-actions" in ecosystems


# ------------------------------------------------------------------------------ test.yml


def test_test_workflow_runs_the_readme_targets() -> None:
    workflow = _load(TEST)
    assert {"push", "pull_request"} <= set(workflow["on"])
    runs = "\n".join(s.get("run", "") for j in workflow["jobs"].values() for s in _steps(j))
    assert "make test" in runs
    assert "make demo" in runs and "make build" in runs


# ------------------------------------------------------------------------------ publish.yml


def test_publish_runs_on_a_schedule_and_by_hand(publish: dict[str, Any]) -> None:
    triggers = publish["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch"}, "no push trigger: no loop"
    (schedule,) = triggers["schedule"]
    fields = schedule["cron"].split()
    assert len(fields) == 5, schedule["cron"]
    assert schedule["cron"] == "0 2 * * 6" and schedule["timezone"] == "Asia/Seoul"
    since = triggers["workflow_dispatch"]["inputs"]["since"]
    assert since["required"] is False and since["type"] == "string"


def test_the_deploy_guide_shows_the_schedule_as_it_is(publish: dict[str, Any]) -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    (schedule,) = publish["on"]["schedule"]
    assert schedule["cron"] in guide and schedule["timezone"] in guide


def test_publish_runs_one_at_a_time(publish: dict[str, Any]) -> None:
    concurrency = publish["concurrency"]
    assert concurrency["group"]
    assert concurrency["cancel-in-progress"] is False, "never cancel a harvest half-way"


def test_publish_jobs_get_only_what_they_need(publish: dict[str, Any]) -> None:
    permissions = {name: job["permissions"] for name, job in publish["jobs"].items()}
    assert permissions == {
        "harvest": {"contents": "write"},
        "build": {"contents": "read", "pages": "read"},
        "deploy": {"pages": "write", "id-token": "write"},
        "keepalive": {"actions": "write"},
    }


def test_the_harvest_uses_the_secrets_and_the_since_input(publish: dict[str, Any]) -> None:
    harvest = _step(publish["jobs"]["harvest"], "harvest")
    assert harvest["env"]["NCBI_API_KEY"] == "${{ secrets.NCBI_API_KEY }}"
    assert harvest["env"]["NCBI_EMAIL"] == "${{ secrets.NCBI_EMAIL }}"
    assert harvest["env"]["SINCE"] == "${{ inputs.since }}"
    assert harvest["run"] == 'bash scripts/publish.sh harvest "$SINCE"'
    text = PUBLISH.read_text(encoding="utf-8")
    assert text.count("secrets.") == 2, "secrets reach the harvest step and nothing else"


def test_a_failed_harvest_commits_its_work_fails_the_run_and_deploys_nothing(
    publish: dict[str, Any],
) -> None:
    jobs = publish["jobs"]
    harvest_job = jobs["harvest"]
    harvest = _step(harvest_job, "harvest")
    assert harvest["continue-on-error"] is True
    commit = _step(harvest_job, "commit")
    assert "steps.harvest.outputs.exit == '0'" in commit["if"]
    assert "steps.harvest.outputs.exit == '1'" in commit["if"]
    assert commit["run"] == "bash scripts/publish.sh commit"
    push = _step(harvest_job, "push")
    assert push["run"] == "bash scripts/publish.sh push"
    assert push["env"]["GH_TOKEN"] == "${{ github.token }}"
    last = _steps(harvest_job)[-1]
    assert last["if"] == "steps.harvest.outputs.exit != '0'"
    assert "exit 1" in last["run"]
    assert harvest_job["outputs"]["sha"] == "${{ steps.push.outputs.sha }}"
    # build and deploy follow only a harvest job that succeeded (the default of `needs`)
    assert jobs["build"]["needs"] == "harvest" and "if" not in jobs["build"]
    assert jobs["deploy"]["needs"] == "build" and "if" not in jobs["deploy"]


def test_the_site_is_built_strictly_from_the_pushed_commit(publish: dict[str, Any]) -> None:
    build = publish["jobs"]["build"]
    checkout = _steps(build)[0]
    assert checkout["with"]["ref"] == "${{ needs.harvest.outputs.sha }}"
    assert "make build" in [s.get("run") for s in _steps(build)]
    assert "actions/configure-pages" in _uses(build)
    upload = next(s for s in _steps(build) if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "site"


def test_the_site_is_deployed_to_pages(publish: dict[str, Any]) -> None:
    deploy = publish["jobs"]["deploy"]
    assert deploy["environment"]["name"] == "github-pages"
    assert _uses(deploy) == ["actions/deploy-pages"]
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"


def test_the_keepalive_reenables_this_workflow(publish: dict[str, Any]) -> None:
    keepalive = publish["jobs"]["keepalive"]
    assert "needs" not in keepalive, "it must run even when the harvest fails"
    (step,) = _steps(keepalive)
    assert "gh api --method PUT" in step["run"] and "/enable" in step["run"]
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_the_local_run_uses_the_workflow_s_own_steps(publish: dict[str, Any]) -> None:
    runs = [s.get("run", "") for j in publish["jobs"].values() for s in _steps(j)]
    workflow_steps = {m for r in runs for m in re.findall(r"scripts/publish\.sh (\w+)", r)}
    assert workflow_steps == {"harvest", "commit", "push"}
    local = (ROOT / "scripts" / "publish_local.sh").read_text(encoding="utf-8")
    local_steps = set(re.findall(r"^\s*(?:\w+=\S+ )*bash scripts/publish\.sh (\w+)", local, re.M))
    assert local_steps == workflow_steps
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^publish-local:", makefile, re.M)
