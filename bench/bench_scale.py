"""Time the real pipeline on a synthetic knowledge base of N papers.

    python bench/bench_scale.py N [--keep DIR] [--seed S] [--search] [--profile-index] [--signals]

In a work folder (a temporary one, or ``--keep DIR``) holding a copy of ``bench/kb.yml``,
a copy of the repository's ``mkdocs.yml`` and symlinks to what that file names (the hook
``generator/site/mkdocs_hook.py``, any ``overrides/``), each step runs as its own subprocess,
through the CLI where the CLI can do it:

1. ``python bench/synth.py N input/kb-N.xml.gz`` (PubMed XML + topics per paper);
2. ingest: ``python bench/ingest_topics.py`` (the library's ``ingest_files`` with a topic
   list per paper; ``generator ingest --keyword`` gives every paper the same topics), and
   with ``--signals`` synthetic iCite signals for every paper (``bench/synth_signals.py``);
3. ``python -m generator index``, then again over the unchanged pages: the rerun must write
   nothing (counted from the CLI's report *and* from the files' mtimes and inodes);
4. ``python -m generator build --site-dir site`` against a plain
   ``python -m mkdocs build -q -f mkdocs.yml -d site-plain`` of the same Markdown;
5. Pagefind alone over ``site-plain/`` (after its sizes are taken), which splits the build's
   CPU time into index, MkDocs, Pagefind and the rest (citation exports, feeds …).

Each step reports wall time, CPU time (user + sys, children included) and peak RSS (the
largest process of the step's tree, from ``getrusage(RUSAGE_CHILDREN)`` in a fresh wrapper
process). Then sizes: site bytes and files, the search index (``site/pagefind/`` if present,
else ``site/search/search_index.json``), the average paper page. ``--search`` runs
``bench/bench_search.py`` on the built site; ``--profile-index`` profiles the index rerun
with cProfile. Prints Markdown tables and writes ``bench/out/scale-N.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

NEXT_WEEK = "2026-01-08"  # when the +N papers are collected: a weekly run later
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT_DIR = HERE / "out"
PY = sys.executable

# Runs ``argv`` and writes its children's rusage as JSON (peak RSS of the largest process in
# the tree that was waited for; CPU of all of them). Its own memory is not counted.
_WRAPPER = r"""
import json, resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    json.dump({"rc": rc, "user": ru.ru_utime, "sys": ru.ru_stime, "maxrss_kb": ru.ru_maxrss}, f)
sys.exit(rc)
"""


@dataclass
class Step:
    name: str
    command: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    rc: int
    output: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_step(name: str, argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Step:
    """Run one step in a fresh process tree; raise SystemExit with its output if it fails."""
    usage = cwd / f".rusage-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.json"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [PY, "-c", _WRAPPER, str(usage), *argv],
        cwd=cwd,
        env=env or _env(),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    ru = json.loads(usage.read_text())
    usage.unlink()
    output = (proc.stdout + proc.stderr).strip()
    step = Step(
        name=name,
        command=" ".join(_short(a, cwd) for a in argv),
        wall_s=round(wall, 2),
        cpu_s=round(ru["user"] + ru["sys"], 2),
        peak_rss_mb=round(ru["maxrss_kb"] / 1024, 1),
        rc=ru["rc"],
        output=output[-2000:],
    )
    print(f"  {name}: {step.wall_s:.1f} s wall, {step.peak_rss_mb:.0f} MB — {_last(output)}")
    if proc.returncode != 0:
        print(output, file=sys.stderr)
        raise SystemExit(f"bench_scale: step {name!r} failed (exit {proc.returncode})")
    return step


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.pop("KB_CONFIG", None)
    env.pop("NCBI_API_KEY", None)
    env["PYTHONPATH"] = str(REPO)  # the checkout's generator, whatever the venv holds
    return env


def _short(arg: str, cwd: Path) -> str:
    return arg.replace(str(cwd) + "/", "").replace(str(REPO) + "/", "").replace(PY, "python")


def _last(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


# --- the work folder ---------------------------------------------------------------


def prepare(work: Path) -> None:
    """kb.yml + mkdocs.yml + symlinks to what mkdocs.yml names (hooks, overrides …)."""
    work.mkdir(parents=True, exist_ok=True)
    if any(work.iterdir()):
        raise SystemExit(f"bench_scale: {work} is not empty")
    shutil.copyfile(HERE / "kb.yml", work / "kb.yml")
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    (work / "mkdocs.yml").write_text(text, encoding="utf-8")
    own = {"kb.yml", "mkdocs.yml", "site", "site_src", "state", "bench", "tests"}
    for entry in sorted(REPO.iterdir()):
        if entry.name.startswith(".") or entry.name in own:
            continue
        if re.search(rf"(?<![\w.-]){re.escape(entry.name)}(?![\w-])", text):
            (work / entry.name).symlink_to(entry)


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """path → (inode, mtime_ns, size) of every file (a rewrite changes the inode)."""
    out = {}
    for p in folder.rglob("*"):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(folder))] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def tree_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) under ``folder`` (apparent sizes)."""
    total = files = 0
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
            files += 1
    return total, files


def du_bytes(folder: Path) -> int | None:
    """Disk usage as ``du -sb`` reports it (None without du)."""
    try:
        out = subprocess.run(["du", "-sb", str(folder)], capture_output=True, text=True).stdout
        return int(out.split()[0])
    except (OSError, ValueError, IndexError):
        return None


def site_sizes(site: Path) -> dict[str, Any]:
    total, files = tree_size(site)
    html = [p for p in site.rglob("*.html")]
    papers = [p for p in (site / "papers").glob("[0-9]*/index.html")]
    pagefind = site / "pagefind"
    lunr = site / "search" / "search_index.json"
    if pagefind.is_dir():
        index_bytes, index_files = tree_size(pagefind)
        engine = "pagefind"
    elif lunr.is_file():
        index_bytes, index_files, engine = lunr.stat().st_size, 1, "lunr (Material)"
    else:
        index_bytes, index_files, engine = 0, 0, "none"
    biggest = sorted(html, key=lambda p: p.stat().st_size, reverse=True)[:3]
    return {
        "bytes": total,
        "du_bytes": du_bytes(site),
        "files": files,
        "html_files": len(html),
        "paper_pages": len(papers),
        "paper_page_mean_bytes": round(sum(p.stat().st_size for p in papers) / len(papers))
        if papers
        else 0,
        "search_engine": engine,
        "search_index_bytes": index_bytes,
        "search_index_files": index_files,
        "largest_html": [[str(p.relative_to(site)), p.stat().st_size] for p in biggest],
    }


# --- the steps ---------------------------------------------------------------------

_INDEX_RE = re.compile(
    r"index: (\d+) papers; (\d+) grouping pages written, (\d+) unchanged, (\d+) removed"
)


def index_counts(output: str) -> dict[str, int]:
    m = _INDEX_RE.search(output)
    if not m:
        return {}
    keys = ("papers", "written", "unchanged", "removed")
    return dict(zip(keys, map(int, m.groups()), strict=True))


def profile_index(work: Path, top: int = 25) -> dict[str, Any]:
    """cProfile of ``generator index`` over unchanged pages; the top functions."""
    prof = work / "index.prof"
    subprocess.run(
        [PY, "-m", "cProfile", "-o", str(prof), "-m", "generator", "--config", "kb.yml", "index"],
        cwd=work,
        env=_env(),
        check=True,
        capture_output=True,
    )
    stats = pstats.Stats(str(prof))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (file, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_short(file, work)}:{line}({func})",
                "calls": ncalls,
                "tottime_s": round(tottime, 3),
                "cumtime_s": round(cumtime, 3),
            }
        )
    by_cum = sorted(rows, key=lambda r: r["cumtime_s"], reverse=True)[:top]
    by_tot = sorted(rows, key=lambda r: r["tottime_s"], reverse=True)[:top]
    return {"total_s": round(total, 2), "by_cumulative": by_cum, "by_own_time": by_tot}


def plain_config(work: Path) -> Path:
    """``mkdocs-plain.yml``: the same site without the pubmed-kb plugin (or, in a fork's
    older mkdocs.yml, its hook): MkDocs and Material render every page themselves, as the
    build did before the plugin's renderer: the baseline."""
    text = (work / "mkdocs.yml").read_text(encoding="utf-8")
    text = re.sub(r"\nhooks:\n(?:  - .*\n)+", "\n", text)
    text = re.sub(r"\nplugins:\n(?:  - .*\n)+", "\nplugins: []\n", text)
    settings = "\n".join(line.split("#")[0] for line in text.splitlines())
    if "pubmed-kb" in settings or "mkdocs_hook" in settings:
        raise SystemExit(f"{work / 'mkdocs.yml'}: could not take the plugin out of it")
    path = work / "mkdocs-plain.yml"
    path.write_text(text, encoding="utf-8")
    return path


def git_packed_bytes(repo: Path) -> int:
    """The repository's packed size after ``git gc`` (what a clone downloads)."""
    subprocess.run(["git", "gc", "--quiet"], cwd=repo, check=True)
    out = subprocess.run(
        ["git", "count-objects", "-v"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    fields = dict(line.split(": ", 1) for line in out.splitlines())
    return (int(fields["size-pack"]) + int(fields["size"])) * 1024


def commit_sources(work: Path, message: str) -> int:
    """Commit as the publish workflow does (scripts/publish.sh commit); packed bytes after."""
    if not (work / ".git").is_dir():
        subprocess.run(["git", "init", "--quiet"], cwd=work, check=True)
        # no background "gc --auto" racing the measurement's own gc
        subprocess.run(["git", "config", "gc.auto", "0"], cwd=work, check=True)
    script = work / "scripts" / "publish.sh"  # it works in the folder above its own
    script.parent.mkdir(exist_ok=True)
    shutil.copyfile(REPO / "scripts" / "publish.sh", script)
    env = {**_env(), "PY": PY, "HARVEST_EXIT": "0"}
    subprocess.run(
        ["bash", str(script), "commit"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
    )
    return git_packed_bytes(work)


def budget(site: Path) -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from generator.site.budget import measure_site

    b = measure_site(site)
    return {
        "papers": b.papers,
        "files": b.files,
        "bytes": b.total,
        "parts": {k: {"files": v[0], "bytes": v[1]} for k, v in b.parts.items()},
        "per_paper_bytes": round(b.per_paper),
        "projected_papers_at_1gb": b.projected_papers,
    }


def same_site(a: Path, b: Path) -> dict[str, Any]:
    """Files that differ between two builds (Pagefind's own output is compared by the
    pages it indexed, since its file names vary from run to run)."""
    differ = []
    names_a = {str(p.relative_to(a)) for p in a.rglob("*") if p.is_file()}
    names_b = {str(p.relative_to(b)) for p in b.rglob("*") if p.is_file()}
    for rel in sorted(names_a | names_b):
        if rel.startswith("pagefind/") and "/fragment/" not in rel:
            continue
        pa, pb = a / rel, b / rel
        if rel.startswith("pagefind/"):
            continue  # fragments: compared as a multiset below
        if not (pa.is_file() and pb.is_file()) or pa.read_bytes() != pb.read_bytes():
            differ.append(rel)
    frag_a = sorted(p.read_bytes() for p in (a / "pagefind").rglob("*.pf_fragment"))
    frag_b = sorted(p.read_bytes() for p in (b / "pagefind").rglob("*.pf_fragment"))
    return {"files_differing": len(differ), "sample": differ[:10], "search_same": frag_a == frag_b}


def fresh(site: Path) -> Path:
    """The publish workflow builds in a fresh checkout: no site/ from an earlier build to
    delete (only .kb-cache/ is restored). Removing it here, untimed, measures that."""
    shutil.rmtree(site, ignore_errors=True)
    return site


def run(
    n: int,
    work: Path,
    seed: int,
    search: bool,
    profile: bool,
    plain: bool,
    add: int,
    compare: bool = True,
    signals: bool = False,
) -> dict[str, Any]:
    prepare(work)
    xml = work / "input" / f"kb-{n}.xml.gz"
    topics = work / "input" / f"kb-{n}.topics.json"
    queries = work / "input" / f"kb-{n}.queries.json"
    steps: list[Step] = []
    print(f"bench_scale: N={n}, work folder {work}")
    steps.append(
        run_step("synth", [PY, str(HERE / "synth.py"), str(n), str(xml), "--seed", str(seed)], work)
    )
    ingest = [PY, str(HERE / "ingest_topics.py"), "--config", "kb.yml"]  # day: 2026-01-01
    steps.append(run_step("ingest", [*ingest, str(xml), "--topics", str(topics)], work))
    # citation signals as a harvest's iCite step leaves them (bench/synth_signals.py)
    synth_signals = [PY, str(HERE / "synth_signals.py"), str(work), "--seed", str(seed)]
    if signals:
        steps.append(run_step("citation signals (synthetic)", synth_signals, work))
    index_cmd = [PY, "-m", "generator", "--config", "kb.yml", "index"]
    first = run_step("index (first)", index_cmd, work)
    first.extra = index_counts(first.output)
    steps.append(first)
    before = snapshot(work / "site_src")
    rerun = run_step("index (rerun, unchanged)", index_cmd, work)
    after = snapshot(work / "site_src")
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    rerun.extra = {**index_counts(rerun.output), "files_touched": len(changed)}
    steps.append(rerun)
    prof = profile_index(work) if profile else None

    site = work / "site"
    build_cmd = [PY, "-m", "generator", "--config", "kb.yml", "build"]
    cold = run_step("build (cold: no cache)", [*build_cmd, "--site-dir", str(site)], work)
    steps.append(cold)
    result: dict[str, Any] = {
        "n": n,
        "seed": seed,
        "work": str(work),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": _versions(),
        "synth": _synth_info(steps[0].output),
        "site": site_sizes(site),
        "budget": budget(site),
        "index_profile": prof,
        "signals": signals,
    }
    src_bytes, src_files = tree_size(work / "site_src")
    result["site_src"] = {"bytes": src_bytes, "files": src_files}
    fresh(site)
    again = run_step("build (warm, nothing changed)", [*build_cmd, "--site-dir", str(site)], work)
    steps.append(again)
    if search:
        result["search"] = _search(work, site, queries)
    repo_before = commit_sources(work, "first") if add else None

    if add:
        total = n + add
        more = work / "input" / f"kb-{total}-tail.xml.gz"
        tail = [PY, str(HERE / "synth.py"), str(total), str(more), "--seed", str(seed)]
        steps.append(run_step(f"synth +{add}", [*tail, "--start", str(n)], work))
        more_topics = work / "input" / f"kb-{total}-tail.topics.json"
        steps.append(
            # the weekly run a week after the first harvest (ingest_topics' default day)
            run_step(
                f"ingest +{add}",
                [*ingest, str(more), "--topics", str(more_topics), "--today", NEXT_WEEK],
                work,
            )
        )
        if signals:
            steps.append(run_step(f"citation signals +{add} (synthetic)", synth_signals, work))
        fresh(site)
        warm = run_step(f"build (+{add}, warm cache)", [*build_cmd, "--site-dir", str(site)], work)
        steps.append(warm)
        result["incremental_share"] = round(warm.wall_s / cold.wall_s, 3)
        repo_after = commit_sources(work, "second")
        result["repository"] = {
            "packed_bytes_before": repo_before,
            "packed_bytes_after": repo_after,
            "growth_bytes": repo_after - (repo_before or 0),
        }
        result["site_after"] = site_sizes(site)
        result["budget_after"] = budget(site)
    if add and compare:  # the same pages built from nothing: must be the same site
        shutil.move(str(work / ".kb-cache"), str(work / ".kb-cache-warm"))
        cold_site = work / "site-cold"
        steps.append(
            run_step(
                f"build (N+{add}, cold, to compare)",
                [*build_cmd, "--site-dir", str(cold_site)],
                work,
            )
        )
        result["warm_equals_cold"] = same_site(site, cold_site)
        shutil.rmtree(cold_site, ignore_errors=True)
    if plain:
        p = run_step(
            "build (plain mkdocs, no hook)",
            [
                PY,
                "-m",
                "mkdocs",
                "build",
                "-q",
                "-f",
                str(plain_config(work)),
                "-d",
                str(work / "site-plain"),
            ],
            work,
        )
        steps.append(p)
        result["build_ratio_vs_plain"] = round(cold.wall_s / p.wall_s, 2) if p.wall_s else None
        result["site_plain"] = site_sizes(work / "site-plain")
        shutil.rmtree(work / "site-plain", ignore_errors=True)
    result["steps"] = [asdict(s) for s in steps]
    return result


def _search(work: Path, site: Path, queries: Path) -> dict[str, Any] | None:
    out = work / "search.json"
    subprocess.run(
        [
            *(PY, str(HERE / "bench_search.py"), str(site)),
            *("--queries", str(queries)),
            "--json",
            str(out),
        ],
        env=_env(),
        check=False,
    )
    return json.loads(out.read_text()) if out.exists() else None


def _synth_info(output: str) -> dict[str, Any]:
    info: dict[str, Any] = {}
    m = re.search(r"(\d+) distinct MeSH descriptors, (\d+) Korean, (\d+) retracted", output)
    if m:
        info.update(distinct_mesh=int(m[1]), korean=int(m[2]), retracted=int(m[3]))
    m = re.search(r"([\d.]+) MB of XML", output)
    if m:
        info["xml_mb"] = float(m[1])
    m = re.search(r"queries: (\{.*\})", output)
    if m:
        info["queries"] = json.loads(m[1])
    return info


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("mkdocs", "mkdocs-material", "pagefind", "lxml", "PyYAML"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


# --- report ------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    n = result["n"]
    lines = [
        f"### {n:,} papers",
        "",
        "| step | wall s | CPU s | peak RSS MB | notes |",
        "|---|---:|---:|---:|---|",
    ]
    for s in result["steps"]:
        note = ""
        if s["name"] == "synth":
            info = result["synth"]
            note = f"{info.get('xml_mb', '?')} MB XML, {info.get('distinct_mesh', '?')} MeSH terms"
        elif s["name"].startswith("ingest"):
            note = _last(s["output"]).split(" → ")[0].removeprefix("ingest: ")
        elif s["name"].startswith("index"):
            e = s["extra"]
            note = f"{e.get('written', '?')} pages written, {e.get('unchanged', '?')} unchanged"
            if "files_touched" in e:
                note += f"; {e['files_touched']} files touched on disk"
        elif "warm cache" in s["name"]:
            note = f"{result.get('incremental_share', 0):.0%} of the cold build"
        elif "plain" in s["name"]:
            note = f"the cold build is {result.get('build_ratio_vs_plain')}× this"
        lines.append(
            f"| {s['name']} | {s['wall_s']:.1f} | {s['cpu_s']:.1f} | {s['peak_rss_mb']:.0f} "
            f"| {note} |"
        )
    for key, title in (("budget", "after the cold build"), ("budget_after", "after +papers")):
        b = result.get(key)
        if not b:
            continue
        lines += [
            "",
            f"Site {title}: {b['papers']:,} papers, {b['files']:,} files, "
            f"{b['bytes'] / 1e6:,.1f} MB; {b['per_paper_bytes'] / 1e3:.1f} KB per paper; "
            f"1 GB holds about {b['projected_papers_at_1gb']:,} papers at that rate.",
            "",
            "| part | MB | files | KB per paper |",
            "|---|---:|---:|---:|",
        ]
        for part, v in b["parts"].items():
            per = v["bytes"] / b["papers"] / 1e3 if b["papers"] else 0
            lines.append(f"| {part} | {v['bytes'] / 1e6:,.1f} | {v['files']:,} | {per:.1f} |")
    repo = result.get("repository")
    if repo:
        lines += [
            "",
            f"Repository (paper pages + state, committed as scripts/publish.sh does, packed): "
            f"{repo['packed_bytes_before'] / 1e6:.1f} MB → {repo['packed_bytes_after'] / 1e6:.1f}"
            f" MB (+{repo['growth_bytes'] / 1e6:.1f} MB for the added papers).",
        ]
    same = result.get("warm_equals_cold")
    if same:
        lines += [
            "",
            f"Warm build vs a cold build of the same pages: {same['files_differing']} files "
            f"differ; search index records {'identical' if same['search_same'] else 'DIFFER'}.",
        ]
    prof = result.get("index_profile")
    if prof:
        lines += [
            "",
            f"Index rerun under cProfile: {prof['total_s']} s. Top functions by own time:",
            "",
            "| function | calls | own s | cumulative s |",
            "|---|---:|---:|---:|",
        ]
        for r in prof["by_own_time"][:12]:
            lines.append(
                f"| `{r['function']}` | {r['calls']:,} | {r['tottime_s']} | {r['cumtime_s']} |"
            )
    search = result.get("search")
    if search and search.get("markdown"):
        lines += ["", search["markdown"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time ingest, index and build on a synthetic knowledge base of N papers.",
        epilog="example: python bench/bench_scale.py 1000 --keep /tmp/kb-1000 --search",
    )
    parser.add_argument("n", type=int)
    parser.add_argument("--keep", type=Path, help="work here (must be empty) and keep it")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--search", action="store_true", help="also run bench_search.py")
    parser.add_argument(
        "--profile-index", action="store_true", help="cProfile the unchanged index rerun"
    )
    parser.add_argument(
        "--plain", action="store_true", help="also time a plain mkdocs build (no hook)"
    )
    parser.add_argument(
        "--no-compare",
        action="store_true",
        help="skip the cold build of N+add papers that checks the warm build's output",
    )
    parser.add_argument(
        "--add", type=int, default=1000, help="papers added for the incremental build (0: none)"
    )
    parser.add_argument(
        "--signals",
        action="store_true",
        help="give every paper synthetic citation signals (bench/synth_signals.py)",
    )
    args = parser.parse_args(argv)
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix=f"kb-{args.n}-"))
    try:
        result = run(
            args.n,
            work,
            args.seed,
            args.search,
            args.profile_index,
            args.plain,
            args.add,
            compare=not args.no_compare,
            signals=args.signals,
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / f"scale-{args.n}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print()
    print(markdown(result))
    print(f"\n→ {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
