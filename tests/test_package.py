"""The tool as a lab installs it: a wheel with everything a build needs, the registered MkDocs
plugin, ``init`` laying out a knowledge base of its own, and upgrades of the page format."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from generator import pipeline
from generator.cli import run
from generator.config.load import load_config
from generator.kb import pages, upgrade
from generator.scaffold import NewKB, init_kb, render_files, tool_spec
from generator.utils.errors import KBError
from tests.conftest import REPO, tree_bytes, write_kb
from tests.test_incremental import _non_search_files, _search_records
from tests.test_workflows import _tool

# ------------------------------------------------------------------------------ init


def test_init_lays_out_a_knowledge_base_that_loads(tmp_path: Path) -> None:
    kb = NewKB(
        title='Lab "Ω" #1: exosomes',
        language="ko",
        email="me@lab.org",
        topic="tumour exosomes",
        query='"exosomes"[MeSH Terms]\n  AND cancer[tiab]',
    )
    folder = tmp_path / "my-kb"
    written = init_kb(folder, kb, "pubmed-kb==9.9.9")
    assert sorted(written) == sorted(render_files(kb, "x"))
    config = load_config(folder / "kb.yml")  # the config validator accepts it as it is
    assert config.site.title == kb.title and config.site.language == "ko"
    assert config.email == "me@lab.org"
    assert [(t.name, t.query) for t in config.topics] == [
        ("tumour exosomes", '"exosomes"[MeSH Terms] AND cancer[tiab]')
    ]
    assert config.site_src == (folder / "site_src").resolve()
    mk = yaml.safe_load((folder / "mkdocs.yml").read_text(encoding="utf-8"))
    assert mk["plugins"] == ["pubmed-kb"] and "hooks" not in mk
    for name in ("test.yml", "publish.yml"):
        text = (folder / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert 'pip install "pubmed-kb==9.9.9"' in text
        assert not re.search(r"@[A-Z_]+@", text)  # every placeholder filled
    ignored = (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/site/" in ignored and "/.kb-cache/" in ignored and "/site_src/mesh/" in ignored
    assert "/site_src/papers/" not in ignored  # the knowledge base itself is committed
    assert not list(folder.rglob("*.py"))  # no copy of the tool's code
    assert "pubmed-kb==9.9.9" in (folder / "README.md").read_text(encoding="utf-8")


def test_init_refuses_to_overwrite_a_knowledge_base(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    init_kb(folder, NewKB(), "pubmed-kb==1")
    (folder / "kb.yml").write_text("# mine\n", encoding="utf-8")
    with pytest.raises(KBError, match="already here"):
        init_kb(folder, NewKB(), "pubmed-kb==1")
    assert (folder / "kb.yml").read_text(encoding="utf-8") == "# mine\n"
    page = folder / "site_src" / "papers" / "1.md"
    page.write_text("---\npmid: '1'\n---\nmy notes\n", encoding="utf-8")
    (folder / "kb.yml").unlink()
    for rel in render_files(NewKB(), "x"):
        (folder / rel).unlink(missing_ok=True)
    with pytest.raises(KBError, match=r"site_src/papers/"):  # pages alone are a KB too
        init_kb(folder, NewKB(), "pubmed-kb==1")
    init_kb(folder, NewKB(), "pubmed-kb==1", force=True)
    assert page.read_text(encoding="utf-8").endswith("my notes\n")  # never a page


def test_init_rejects_a_language_it_does_not_speak(tmp_path: Path) -> None:
    with pytest.raises(KBError, match="--language"):
        init_kb(tmp_path, NewKB(language="fr"))
    assert not any(tmp_path.iterdir())


def test_init_on_the_command_line_takes_defaults_without_a_terminal(tmp_path: Path) -> None:
    code = run(["init", str(tmp_path / "kb"), "--title", "Reading list", "--tool-spec", "x==1"])
    assert code == 0
    config = load_config(tmp_path / "kb" / "kb.yml")
    assert config.site.title == "Reading list" and config.topics[0].name == NewKB.topic
    assert run(["init", str(tmp_path / "kb")]) == 2  # already there


def test_the_workflows_init_writes_pass_the_linters(tmp_path: Path) -> None:
    actionlint, zizmor = _tool("actionlint"), _tool("zizmor")
    folder = tmp_path / "kb"
    init_kb(folder, NewKB(), tool_spec("1.2.3"))
    subprocess.run(["git", "init", "--quiet"], cwd=folder, check=True)
    files = [".github/workflows/test.yml", ".github/workflows/publish.yml"]
    lint = subprocess.run([actionlint, "-no-color", *files], cwd=folder, capture_output=True)
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()
    audit = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "json", *files],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    findings = json.loads(audit.stdout)
    serious = [f for f in findings if f["determinations"]["severity"] in ("Medium", "High")]
    assert not serious, [f["ident"] for f in serious]


def test_the_publish_command_runs_the_workflow_step_in_the_kb_folder(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    init_kb(folder, NewKB(), "pubmed-kb==1")
    subprocess.run(["git", "init", "--quiet"], cwd=folder, check=True)
    page = folder / "site_src" / "papers" / "40000001.md"
    page.write_text("---\npmid: '40000001'\n---\n# A paper\n", encoding="utf-8")
    (folder / "site_src" / "mesh").mkdir()
    (folder / "site_src" / "mesh" / "x.md").write_text("derived\n", encoding="utf-8")
    code = run(["--config", str(folder / "kb.yml"), "publish", "commit"])
    assert code == 0
    log = subprocess.run(
        ["git", "log", "--name-only", "--format=%an: %s"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "github-actions[bot]: Harvest" in log and "site_src/papers/40000001.md" in log
    assert "site_src/mesh/x.md" not in log  # grouping pages are derived, never committed


# ------------------------------------------------------------------------------ plugin


def test_the_plugin_builds_the_same_site_as_the_hook(tmp_path: Path) -> None:
    """This repository's site before (hooks: the file) and after (plugins: pubmed-kb)."""
    plugin = load_config(write_kb(tmp_path / "plugin"))
    pipeline.demo(plugin, tmp_path / "plugin-site")
    hook = load_config(write_kb(tmp_path / "hook"))
    mk = hook.path.parent / "mkdocs.yml"
    text = mk.read_text(encoding="utf-8")
    hook_file = (REPO / "generator" / "site" / "mkdocs_hook.py").as_posix()
    mk.write_text(
        text.replace("plugins:\n  - pubmed-kb\n", f"plugins: []\nhooks:\n  - {hook_file}\n"),
        encoding="utf-8",
    )
    assert "hooks:" in mk.read_text(encoding="utf-8")
    pipeline.demo(hook, tmp_path / "hook-site")
    a, b = tmp_path / "plugin-site", tmp_path / "hook-site"
    assert _non_search_files(a) == _non_search_files(b)
    assert _search_records(a) == _search_records(b)


def test_the_shipped_mkdocs_yml_is_the_one_init_writes() -> None:
    """This repository's own site uses the plugin exactly as a new knowledge base does."""
    assert (REPO / "mkdocs.yml").read_text(encoding="utf-8") == render_files(NewKB(), "x")[
        "mkdocs.yml"
    ]


# ------------------------------------------------------------------------------ upgrades


def _rename_topics(meta: dict, body: str) -> tuple[dict, str]:
    meta = dict(meta)
    meta["kb_topics"] = meta.pop("search_keywords", [])
    return meta, body


def test_pages_of_an_older_format_are_migrated_keeping_their_notes(
    make_kb, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_kb()
    pipeline.demo(config)
    paper = next((config.site_src / "papers").glob("[0-9]*.md"))
    with_notes = paper.read_text(encoding="utf-8") + "\nMy note: read first.\n"
    paper.write_text(with_notes, encoding="utf-8")
    before = pages.split_page(with_notes)[0]
    monkeypatch.setattr(pages, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(upgrade, "MIGRATIONS", {1: _rename_topics})
    report = pipeline.migrate(config)
    assert paper.stem in report.migrated and report.to_schema == 2
    migrated = paper.read_text(encoding="utf-8")
    meta, _ = pages.split_page(migrated)
    assert meta["kb_schema"] == 2 and meta["kb_topics"] == before["search_keywords"]
    assert "search_keywords" not in meta and migrated.endswith("\nMy note: read first.\n")
    assert pipeline.migrate(config).migrated == []  # once is enough
    pipeline.build(config)
    record = json.loads((config.state_dir / "tool.json").read_text(encoding="utf-8"))
    assert record["page_schema"] == 2 and record["tool"] == "pubmed-kb"


def test_a_newer_tool_s_pages_stop_an_older_tool_with_what_to_install(
    make_kb, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_kb()
    pipeline.demo(config)
    record = config.state_dir / "tool.json"
    record.write_text(json.dumps({"version": "7.0", "page_schema": 5}), encoding="utf-8")
    with pytest.raises(KBError, match=r'pip install "pubmed-kb>=7\.0"'):
        pipeline.build(config)
    record.unlink()
    paper = next((config.site_src / "papers").glob("[0-9]*.md"))
    paper.write_text(
        paper.read_text(encoding="utf-8").replace("kb_schema: 1", "kb_schema: 3"), "utf-8"
    )
    with pytest.raises(KBError, match=r"page format 3.*pip install -U pubmed-kb"):
        pipeline.build(config)


def test_a_migration_step_that_is_missing_is_an_error_not_a_silent_skip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(upgrade, "MIGRATIONS", {1: _rename_topics})
    with pytest.raises(KBError, match="from page format 2 to 3"):
        upgrade.migrate_page("---\nkb_schema: 1\npmid: '1'\n---\nbody\n")


# ------------------------------------------------------------------------------ the wheel


def _source_copy(dest: Path) -> Path:
    """The files git tracks (or would), without build leftovers: what an sdist holds."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    names = listed.stdout.splitlines() if listed.returncode == 0 else []
    if not names:
        pytest.skip("not a git checkout: cannot tell sources from build output")
    for name in names:
        if (
            name.startswith(("pyproject.toml", "README.md", "generator/"))
            and (REPO / name).is_file()
        ):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    return dest


def test_a_wheel_in_a_fresh_venv_inits_and_builds_a_knowledge_base(tmp_path: Path) -> None:
    """pip wheel → a fresh venv (its dependencies from this environment, never the
    network) → init in an empty folder → demo there: search and theme, no tool code."""
    src = _source_copy(tmp_path / "src")
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(dist), str(src)],
        check=True,
    )  # fmt: skip
    (wheel,) = dist.glob("pubmed_kb-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [py, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )
    site_packages = Path(
        subprocess.run(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # the dependencies (mkdocs, material, pagefind, …) from this environment; a path in a
    # .pth file is added after the venv's own packages, and its .pth files (this
    # checkout's editable install) are not read
    (site_packages / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KB_CONFIG")}
    where = subprocess.run(
        [py, "-c", "import generator; print(generator.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    ).stdout
    assert where.startswith(str(site_packages)), where  # the wheel's, not this checkout's
    kb = tmp_path / "empty" / "kb"
    kb.parent.mkdir()
    args = ["--title", "Wheel KB", "--email", "me@lab.org", "--tool-spec", "pubmed-kb"]
    subprocess.run([py, "-m", "generator", "init", str(kb), *args], env=env, check=True)
    demo = subprocess.run(
        [py, "-m", "generator", "demo"], cwd=kb, env=env, capture_output=True, text=True
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    site = kb / "site"
    assert "Wheel KB" in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "pagefind" / "shards.json").is_file()  # search
    assert (site / "assets" / "kb" / "search.js").is_file()  # the theme's assets
    paper = next((site / "papers").glob("[0-9]*/index.html")).read_text(encoding="utf-8")
    assert "data-pagefind-body" in paper  # the theme's templates (search metadata)
    assert "assets/kb/icons.css" in paper  # the lean frame's header, icons drawn by CSS
    assert not [p for p in kb.rglob("*.py")]  # the knowledge base holds none of the code
    assert tree_bytes(kb / "site_src" / "papers")  # the sample's pages


def test_the_workflows_install_the_tool_from_where_it_came(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from generator import scaffold

    class Installed:
        version = "9.9"

        def __init__(self, direct: dict | None) -> None:
            self.direct = direct

        def read_text(self, name: str) -> str | None:
            assert name == "direct_url.json"
            return json.dumps(self.direct) if self.direct is not None else None

    git = {
        "url": "https://github.com/lab/pubmed-kb",
        "vcs_info": {"vcs": "git", "commit_id": "0123abc", "requested_revision": "main"},
    }
    monkeypatch.setattr(scaffold.importlib.metadata, "distribution", lambda n: Installed(git))
    assert tool_spec() == "pubmed-kb @ git+https://github.com/lab/pubmed-kb@0123abc"
    assert not scaffold.installed_from_a_path()
    local = {"url": "file:///home/me/pubmed-kb", "dir_info": {"editable": True}}
    monkeypatch.setattr(scaffold.importlib.metadata, "distribution", lambda n: Installed(local))
    assert tool_spec() == "pubmed-kb==9.9"  # a path CI cannot reach: the index's release
    assert scaffold.installed_from_a_path()  # so init says to name a source
    monkeypatch.setattr(scaffold.importlib.metadata, "distribution", lambda n: Installed(None))
    assert tool_spec() == "pubmed-kb==9.9" and not scaffold.installed_from_a_path()
    assert tool_spec("2.0") == "pubmed-kb==2.0"


def test_the_kb_workflows_keep_in_step_with_this_repository_s() -> None:
    """The template is this repository's publish workflow with the tool pip-installed: the
    same jobs, the same action pins (dependabot updates these; mirror them there)."""

    def shape(text: str) -> tuple[list[str], list[str]]:
        data = yaml.safe_load(text)
        pins = sorted(set(re.findall(r"uses:\s*(\S+)", text)))
        return list(data["jobs"]), pins

    template = REPO / "generator" / "templates" / "workflows" / "publish.yml"
    ours = REPO / ".github" / "workflows" / "publish.yml"
    assert shape(template.read_text("utf-8")) == shape(ours.read_text("utf-8"))
    test_pins = set(re.findall(r"uses:\s*(\S+)", (template.parent / "test.yml").read_text()))
    assert test_pins <= set(shape(ours.read_text("utf-8"))[1])
