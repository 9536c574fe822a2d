"""The status page: when the harvest last ran, per topic what it found, and warnings.

Pure: run records (from ``state/runs.jsonl``) and the config in, page text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.config.model import Config
from generator.site.listing import page
from generator.utils.markdown import escape_html, escape_md

EMPTY_RUNS_WARNING = 3  # a topic that found nothing this many runs in a row is flagged


def last_run(runs: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest run that was not a dry run."""
    real = [r for r in runs if not r.get("dry_run")]
    return real[-1] if real else None


def empty_streak(runs: Sequence[dict[str, Any]], topic: str) -> int:
    """How many of the latest runs in a row found nothing for ``topic``."""
    streak = 0
    for run in reversed([r for r in runs if not r.get("dry_run")]):
        hit = next((t for t in run.get("topics", []) if t.get("name") == topic), None)
        if hit is None:
            continue
        if hit.get("ok") and hit.get("hits", 0) == 0:
            streak += 1
        else:
            break
    return streak


def render_status(runs: Sequence[dict[str, Any]], config: Config, lab: dict[str, str]) -> str:
    body = [f"# {lab['status']}", ""]
    run = last_run(runs)
    if run is None:
        body += [lab["status_never"], ""]
        return page(lab["status"], body, {"description": lab["status_description"]})
    ok = run.get("ok")
    kind = "success" if ok else "failure"
    head = lab["status_ok"] if ok else lab["status_failed"]
    started = escape_md(str(run.get("started", "?")))
    body += [f'!!! {kind} "{head}"', "", f"    {lab['status_last_run']}: {started}", ""]
    last_good = next((r for r in reversed(runs) if r.get("ok") and not r.get("dry_run")), None)
    if not ok and last_good:
        body += [f"{lab['status_last_good']}: {escape_md(str(last_good.get('started')))}", ""]
    body += [
        f"- {lab['status_new']}: {run.get('new', 0)}",
        f"- {lab['status_updated']}: {run.get('updated', 0)}",
        f"- {lab['status_fetched']}: {run.get('fetched', 0)}",
        "",
        f"| {lab['topic']} | {lab['query']} | {lab['status_window']} | {lab['status_hits']} "
        f"| {lab['status_new']} | {lab['status_updated']} | {lab['status_result']} |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    warnings = []
    for t in run.get("topics", []):
        window = t.get("window") or {}
        span = (
            f"{window.get('start', '?')} → {window.get('end', '?')} ({window.get('datetype', '')})"
        )
        result = "✅" if t.get("ok") else "❌ " + escape_html("; ".join(t.get("errors") or []))
        body.append(
            f"| {escape_md(str(t.get('name')))} | <code>{escape_html(str(t.get('query')))}</code> "
            f"| {span} | {t.get('hits', 0)} | {t.get('new', 0)} | {t.get('updated', 0)} "
            f"| {result} |"
        )
        streak = empty_streak(runs, str(t.get("name")))
        if streak >= EMPTY_RUNS_WARNING:
            warnings.append(lab["status_empty"].format(topic=t.get("name"), runs=streak))
    for w in warnings:
        body += ["", f'!!! warning "{lab["status_warning"]}"', "", f"    {escape_md(w)}"]
    for w in run.get("warnings") or []:
        body += ["", f'!!! warning "{lab["status_run_warning"]}"', "", f"    {escape_md(str(w))}"]
    body += _changes(run, lab)
    body += _missing(run, config, lab)
    body += _citations(run, lab)
    body += _searched(run.get("topics", []), lab)
    body += ["", f"## {lab['status_history']}", ""]
    body += [
        f"| {lab['status_started']} | {lab['status_result']} | {lab['status_new']} |",
        "|---|---|---:|",
    ]
    for r in list(reversed([r for r in runs if not r.get("dry_run")]))[:20]:
        mark = "✅" if r.get("ok") else "❌"
        body.append(f"| {escape_md(str(r.get('started')))} | {mark} | {r.get('new', 0)} |")
    return page(lab["status"], body, {"description": lab["status_description"]})


def _paper_links(pmids: Sequence[str]) -> str:
    return ", ".join(f"[{p}](papers/{p}.md)" for p in pmids)


def _changes(run: dict[str, Any], lab: dict[str, str]) -> list[str]:
    """Stored papers that PubMed revised, and which of them are newly retracted."""
    revised, retracted = run.get("revised") or [], run.get("retracted") or []
    if not revised and not retracted:
        return []
    out = ["", lab["revised_line"].format(n=len(revised), m=len(retracted)) + ":", ""]
    if retracted:
        out.append(f"- ⚠ {_paper_links(retracted)}")
    if revised:
        out.append(f"- {_paper_links(revised[:50])}" + (" …" if len(revised) > 50 else ""))
    return out


def _missing(run: dict[str, Any], config: Config, lab: dict[str, str]) -> list[str]:
    """PMIDs efetch withheld this run, linked to PubMed; those given up marked."""
    missing = run.get("missing") or []
    if not missing:
        return []
    given_up = set(run.get("given_up") or [])
    gave = lab["status_given_up"].format(runs=config.harvest.missing_give_up_runs)
    items = [
        f"[{p}](https://pubmed.ncbi.nlm.nih.gov/{p}/)" + (f" ({gave})" if p in given_up else "")
        for p in missing
    ]
    return ["", f"{lab['status_missing']}: {', '.join(items)}"]


def _citations(run: dict[str, Any], lab: dict[str, str]) -> list[str]:
    """What the run asked iCite, and whether it failed."""
    c = run.get("citations")
    if not isinstance(c, dict):
        return []
    counts = {k: c.get(k, 0) for k in ("asked", "updated", "unknown", "requests")}
    out = ["", f"**{lab['status_citations']}**: {lab['status_citations_line'].format(**counts)}"]
    if c.get("error"):
        out += ["", f"- ⚠ {lab['status_citations_failed']}: {escape_md(str(c['error']))}"]
    return out


def _searched(topics: Sequence[dict[str, Any]], lab: dict[str, str]) -> list[str]:
    """Per topic, PubMed's translation of its query, its ErrorList/WarningList and notes."""
    keys = ("translation", "query_errors", "query_warnings", "notes")
    shown = [t for t in topics if any(t.get(k) for k in keys)]
    if not shown:
        return []
    out = ["", f"## {lab['status_searched']}", "", lab["status_searched_intro"], ""]
    for t in shown:
        translation = escape_html(str(t.get("translation") or "—"))
        out.append(f"- **{escape_md(str(t.get('name')))}**: <code>{translation}</code>")
        for key, label in (
            ("query_errors", lab["status_query_errors"]),
            ("query_warnings", lab["status_query_warnings"]),
            ("notes", lab["status_notes"]),
        ):
            for item in t.get(key) or []:
                out.append(f"    - {label}: {escape_md(str(item))}")
    return out
