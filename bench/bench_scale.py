"""Time the real pipeline on a synthetic knowledge base of N papers.

    python bench/bench_scale.py N [--keep DIR] [--seed S] [--search] [--profile-index]

In a work folder (a temporary one, or ``--keep DIR``) holding a copy of ``bench/kb.yml``,
a copy of the repository's ``mkdocs.yml`` and symlinks to what that file names (the hook
``generator/mkdocs_hook.py``, any ``overrides/``), each step runs as its own subprocess,
through the CLI where the CLI can do it:

1. ``python bench/synth.py N input/kb-N.xml.gz`` (PubMed XML + topics per paper);
2. ingest: ``python bench/ingest_topics.py`` (the library's ``ingest_files`` with a topic
   list per paper; ``generator ingest --keyword`` gives every paper the same topics);
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


def run(n: int, work: Path, seed: int, search: bool, profile: bool) -> dict[str, Any]:
    prepare(work)
    xml = work / "input" / f"kb-{n}.xml.gz"
    topics = work / "input" / f"kb-{n}.topics.json"
    queries = work / "input" / f"kb-{n}.queries.json"
    steps: list[Step] = []
    print(f"bench_scale: N={n}, work folder {work}")

    steps.append(
        run_step("synth", [PY, str(HERE / "synth.py"), str(n), str(xml), "--seed", str(seed)], work)
    )
    steps.append(
        run_step(
            "ingest",
            [
                *(PY, str(HERE / "ingest_topics.py"), "--config", "kb.yml"),
                *(str(xml), "--topics", str(topics)),
            ],
            work,
        )
    )
    index_cmd = [PY, "-m", "generator", "--config", "kb.yml", "index"]
    first = run_step("index (first)", index_cmd, work)
    first.extra = index_counts(first.output)
    steps.append(first)
    before = snapshot(work / "site_src")
    rerun = run_step("index (rerun, unchanged)", index_cmd, work)
    after = snapshot(work / "site_src")
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    rerun.extra = {**index_counts(rerun.output), "files_touched": len(changed)}
    rerun.extra["files_touched_sample"] = changed[:10]
    steps.append(rerun)
    prof = profile_index(work) if profile else None

    build = run_step(
        "build (generator)",
        [PY, "-m", "generator", "--config", "kb.yml", "build", "--site-dir", str(work / "site")],
        work,
    )
    steps.append(build)
    plain = run_step(
        "build (plain mkdocs)",
        [PY, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml", "-d", str(work / "site-plain")],
        work,
    )
    steps.append(plain)

    synth_info = _synth_info(steps[0].output)
    src_bytes, src_files = tree_size(work / "site_src")
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
        "synth": synth_info,
        "steps": [asdict(s) for s in steps],
        "build_ratio": round(build.wall_s / plain.wall_s, 2) if plain.wall_s else None,
        "site_src": {"bytes": src_bytes, "files": src_files},
        "site": site_sizes(work / "site"),
        "site_plain": site_sizes(work / "site-plain"),
        "index_profile": prof,
    }
    # Pagefind on its own (over the plain site, once its sizes are taken): the build's
    # remainder, beyond index + MkDocs + Pagefind, is the generator's own post-build work.
    pagefind = run_step(
        "pagefind alone (over site-plain)",
        [
            *(PY, "-m", "pagefind", "--site", str(work / "site-plain")),
            *("--silent", "--exclude-selectors", ".headerlink"),
        ],
        work,
    )
    result["steps"].append(asdict(pagefind))
    parts = {
        "index (rerun)": rerun.cpu_s,
        "mkdocs build": plain.cpu_s,
        "pagefind": pagefind.cpu_s,
    }
    parts["rest (exports, feeds, …)"] = round(build.cpu_s - sum(parts.values()), 2)
    result["build_breakdown_cpu_s"] = {"total": build.cpu_s, **parts}
    result["build_cpu_ratio"] = round(build.cpu_s / plain.cpu_s, 2) if plain.cpu_s else None
    if search:
        out = work / "search.json"
        subprocess.run(
            [
                *(PY, str(HERE / "bench_search.py"), str(work / "site")),
                *("--queries", str(queries), "--json", str(out)),
            ],
            env=_env(),
            check=False,
        )
        result["search"] = json.loads(out.read_text()) if out.exists() else None
    return result


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
        elif s["name"] == "ingest":
            note = _last(s["output"]).split(" → ")[0].removeprefix("ingest: ")
        elif s["name"].startswith("index"):
            e = s["extra"]
            note = f"{e.get('written', '?')} pages written, {e.get('unchanged', '?')} unchanged"
            if "files_touched" in e:
                note += f"; {e['files_touched']} files touched on disk"
        elif s["name"] == "build (generator)":
            note = (
                f"{result['build_ratio']}× the plain build's wall time, "
                f"{result.get('build_cpu_ratio', '?')}× its CPU time"
            )
        lines.append(
            f"| {s['name']} | {s['wall_s']:.1f} | {s['cpu_s']:.1f} | {s['peak_rss_mb']:.0f} "
            f"| {note} |"
        )
    breakdown = result.get("build_breakdown_cpu_s")
    if breakdown:
        lines += [
            "",
            "Generator build, CPU s: "
            + ", ".join(f"{k} {v:.1f}" for k, v in breakdown.items())
            + " (the rest is the total minus the three measured apart).",
        ]
    site, plain = result["site"], result["site_plain"]
    lines += [
        "",
        "| output | site/ (generator build) | site-plain/ (plain mkdocs) |",
        "|---|---:|---:|",
        f"| size (MB) | {site['bytes'] / 1e6:.1f} | {plain['bytes'] / 1e6:.1f} |",
        f"| files | {site['files']:,} | {plain['files']:,} |",
        f"| HTML pages | {site['html_files']:,} | {plain['html_files']:,} |",
        f"| mean paper page (KB) | {site['paper_page_mean_bytes'] / 1e3:.1f} "
        f"| {plain['paper_page_mean_bytes'] / 1e3:.1f} |",
        f"| search index | {site['search_engine']}: {site['search_index_bytes'] / 1e6:.1f} MB "
        f"in {site['search_index_files']:,} files | {plain['search_engine']}: "
        f"{plain['search_index_bytes'] / 1e6:.1f} MB |",
        f"| site_src/ (Markdown) | {result['site_src']['bytes'] / 1e6:.1f} MB, "
        f"{result['site_src']['files']:,} files | |",
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
    args = parser.parse_args(argv)
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix=f"kb-{args.n}-"))
    try:
        result = run(args.n, work, args.seed, args.search, args.profile_index)
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
