"""The command line: help with examples, --config everywhere, clean errors, exit codes."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator import cli
from generator.config.model import Config
from tests.conftest import REPO, SAMPLE_XML, write_kb

EXPECTED_COMMANDS = {"ingest", "harvest", "site", "index", "build", "serve", "demo"}


def commands() -> list[str]:
    parser = cli._parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(action.choices)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_expected_command_exists():
    assert set(commands()) >= EXPECTED_COMMANDS


def test_python_dash_m_help():
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: python -m generator")
    assert "examples:" in proc.stdout
    for command in commands():
        assert re.search(rf"^\s+{command}\s", proc.stdout, re.M), command  # listed with help
        assert f"python -m generator {command}" in proc.stdout, command  # and an example
    assert "--config PATH" in proc.stdout
    assert "exit codes:" in proc.stdout


@pytest.mark.parametrize("command", sorted(EXPECTED_COMMANDS))
def test_each_command_has_help_with_an_example(capsys, command):
    with pytest.raises(SystemExit) as info:
        cli.run([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m generator {command}")
    assert "--config PATH" in out
    assert re.search(rf"^examples?:.*python -m generator {command}\b", out, re.M | re.S), out


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.run([])
    assert info.value.code == 2
    assert "required: COMMAND" in capsys.readouterr().err


ARGS = {
    "ingest": [str(SAMPLE_XML)],
    "harvest": ["--dry-run"],
    "site": [],
    "index": [],
    "build": [],
    "serve": [],
    "demo": [],
}


@pytest.mark.parametrize("command", sorted(EXPECTED_COMMANDS))
@pytest.mark.parametrize("where", ["before", "after"])
def test_config_is_accepted_before_and_after_the_command(capsys, tmp_path, command, where):
    bad = write_kb(tmp_path / "kb", "site: {title: T, colour: red}\ntopics: [{name: a}]\n")
    argv = [command, *ARGS[command]]
    argv = ["--config", str(bad), *argv] if where == "before" else [*argv, "--config", str(bad)]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: invalid config {bad}:\n")
    assert "  - site.colour: unknown key" in err
    assert "  - topics[0].query: required" in err
    assert "Traceback" not in err


def test_the_default_config_is_kb_yml_in_the_current_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "index")
    assert code == 2
    assert err == "error: invalid config kb.yml:\n  - file not found (use --config PATH)\n"


def test_not_yaml_config_names_line_and_column(capsys, tmp_path):
    bad = write_kb(tmp_path / "kb", "site: {title: T\ntopics: []\n")
    code, _, err = run(capsys, "--config", str(bad), "index")
    assert code == 2
    assert f"error: invalid config {bad}:\n  - line 2, column 7: not valid YAML" in err


def test_ingest_then_index(capsys, kb: Config):
    code, out, err = run(
        capsys, "--config", str(kb.path), "ingest", str(SAMPLE_XML), "--keyword", "Cancer"
    )
    assert (code, err) == (0, "")
    assert out == f"ingest: 30 new, 0 updated, 0 unchanged → {kb.site_src / 'papers'}\n"
    code, out, err = run(capsys, "index", "--config", str(kb.path))
    assert (code, err) == (0, "")
    assert re.fullmatch(
        r"index: 30 papers; \d+ grouping pages written, 0 unchanged, 0 removed\n", out
    )
    code, out, _ = run(capsys, "index", "--config", str(kb.path))
    assert re.fullmatch(
        r"index: 30 papers; 0 grouping pages written, \d+ unchanged, 0 removed\n", out
    )


def test_ingest_of_a_missing_path(capsys, kb: Config, tmp_path):
    missing = tmp_path / "downloads" / "pubmed.xml"
    code, out, err = run(capsys, "--config", str(kb.path), "ingest", str(missing))
    assert code == 2
    assert out == ""
    assert err == f"error: {missing}: no such file or folder\n"
    assert not kb.site_src.exists()


def test_ingest_of_broken_xml(capsys, kb: Config):
    bad = REPO / "tests" / "fixtures" / "xml" / "malformed.xml"
    code, _, err = run(capsys, "--config", str(kb.path), "ingest", str(SAMPLE_XML), str(bad))
    assert code == 2
    assert err.startswith(f"error: {bad}: line 12: ")
    assert not kb.site_src.exists()


def test_ingest_with_an_unknown_keyword(capsys, kb: Config):
    code, _, err = run(
        capsys, "--config", str(kb.path), "ingest", str(SAMPLE_XML), "--keyword", "x"
    )
    assert code == 2
    assert err.startswith("error: --keyword 'x' is not a topic in ")


def test_demo_refuses_to_mix_the_sample_into_real_papers(capsys, kb: Config, tmp_path):
    real = tmp_path / "real.xml"
    real.write_text(
        '<?xml version="1.0"?><PubmedArticleSet><PubmedArticle><MedlineCitation>'
        "<PMID>1</PMID><Article><ArticleTitle>Real.</ArticleTitle></Article>"
        "</MedlineCitation></PubmedArticle></PubmedArticleSet>",
        encoding="utf-8",
    )
    assert run(capsys, "--config", str(kb.path), "ingest", str(real))[0] == 0
    code, _, err = run(capsys, "--config", str(kb.path), "demo")
    assert code == 2
    assert "already holds 1 harvested papers" in err
    assert "--force" in err
    assert sorted(p.name for p in (kb.site_src / "papers").iterdir()) == ["1.md"]


def test_readme_mentions_every_command():
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet")
    text = readme.read_text(encoding="utf-8")
    missing = [c for c in commands() if f"python -m generator {c}" not in text]
    assert missing == [], f"README.md does not mention: {missing}"
    assert "--config PATH" in text


def test_the_console_script_is_declared():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'pubmed-kb = "generator.cli:main"' in pyproject


def test_makefile_targets_use_existing_commands():
    makefile = REPO / "Makefile"
    used = set(re.findall(r"-m generator ([\w-]+)", makefile.read_text(encoding="utf-8")))
    assert used <= set(commands()), used - set(commands())


def test_main_exits_with_the_code(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["generator", "index"])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 2


def test_run_returns_the_exit_code_not_raising(tmp_path: Path, capsys):
    # a library error never escapes as a traceback
    code = cli.run(["--config", str(tmp_path / "missing.yml"), "build"])
    assert code == cli.EXIT_ERROR == 2
    assert "file not found" in capsys.readouterr().err
