"""The README's main job, `python -m generator site`: harvest when E-utilities answers,
otherwise the embedded sample, and it says which."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from generator import cli
from generator.config.load import load_config
from generator.utils.clock import system_clock
from tests.conftest import write_kb
from tests.eutils_standin import EutilsStandin, minimal_article


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


def test_offline_it_builds_the_embedded_sample_and_says_so(tmp_path, monkeypatch, capsys):
    kb = write_kb(tmp_path / "kb")
    monkeypatch.setenv("NCBI_EUTILS_URL", f"http://127.0.0.1:{closed_port()}/entrez/eutils/")
    code = cli.run(["site", "--config", str(kb), "--site-dir", str(tmp_path / "site")])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert "PubMed is not reachable" in out and "EMBEDDED SAMPLE" in out
    assert len(list((tmp_path / "site" / "papers").glob("[0-9]*/index.html"))) == 30
    assert (tmp_path / "site" / "pagefind").is_dir()


def test_online_it_harvests_replaces_the_sample_and_says_so(tmp_path, monkeypatch, capsys):
    kb = write_kb(tmp_path / "kb", edit=lambda d: d["harvest"].update(lookback_days=30))
    config = load_config(kb)
    today = system_clock().today()
    # every topic's query finds two papers added last week
    standin = EutilsStandin(
        any_term=[("39100001", today - dt.timedelta(days=7)), ("39100002", today)],
        make_record=minimal_article,
        rate_limit=False,
    )
    site = tmp_path / "site"
    with standin.serve() as url:
        monkeypatch.setenv("NCBI_EUTILS_URL", url)
        # a first offline run left the sample behind; the harvest must not mix with it
        monkeypatch.setenv("NCBI_EUTILS_URL", f"http://127.0.0.1:{closed_port()}/x/")
        assert cli.run(["site", "--config", str(kb), "--site-dir", str(site)]) == 0
        monkeypatch.setenv("NCBI_EUTILS_URL", url)
        capsys.readouterr()
        code = cli.run(["site", "--config", str(kb), "--site-dir", str(site)])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK, out
    assert "HARVESTING from PubMed" in out and "built from PUBMED: 2 papers" in out
    assert "removed 30 sample pages" in out
    pages = sorted(p.stem for p in (config.site_src / "papers").glob("[0-9]*.md"))
    assert pages == ["39100001", "39100002"]
    assert (site / "papers" / "39100001" / "index.html").is_file()
    assert standin.fetched_ids().count("39100001") == 1  # once, across all 13 topics


@pytest.mark.parametrize("args", [["--help"], ["site", "--help"]])
def test_help_names_the_main_job(args, capsys):
    with pytest.raises(SystemExit) as info:
        cli.run(args)
    assert info.value.code == 0
    assert "site" in capsys.readouterr().out
