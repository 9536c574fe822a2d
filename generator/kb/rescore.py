"""Score pages again when their citation signals change (the opt-in citation rule).

With ``scoring.weights.citations`` above 0, a paper's score adds points for its Relative
Citation Ratio (:func:`generator.kb.score.citation_reason`). Ingest scores a paper with the
signals known then; the signals of papers already on disk change every few weeks, when no
paper is fetched again. This step, run by the harvest after the signals are updated,
brings the score, the relevance and the "Why" line of those pages up to date from what
the page itself keeps (``score_rules``, ``score_citations``, ``score_capped``), without the
paper's record. It rewrites only pages whose citation points changed: the points move in
quarter steps of the weight, not with every drift of the RCR.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.config.model import Config, ScoringConfig
from generator.kb.pages import dump_page, explain_score, score_parts, split_page
from generator.kb.score import Reason, Score, citation_reason, relevance_for, with_citations
from generator.utils.i18n import labels
from generator.utils.store import write_atomic

SCORE_KEYS = ("score_rules", "score_citations", "score_capped")


def _item_prefix(label: str) -> str:
    return f"- **{label}**: "


def rescore_text(
    text: str, rcr: float | None, scoring: ScoringConfig, lab: Mapping[str, str], name: str = ""
) -> str:
    """The page ``text`` scored again for the Relative Citation Ratio ``rcr`` (pure)."""
    meta, body = split_page(text, name)
    lines = body.split("\n")
    why_prefix = _item_prefix(lab["why"])
    why_at = next((i for i, line in enumerate(lines) if line.startswith(why_prefix)), None)
    why = lines[why_at][len(why_prefix) :] if why_at is not None else ""
    excluded = f"{lab['rule_excluded']} “" in why
    if "score_rules" in meta:
        rules = float(meta["score_rules"])
        capped = bool(meta.get("score_capped")) or excluded
    else:  # written while the rule was off: its score is the rules' alone
        rules = float(meta.get("score") or 0)
        clipped = relevance_for(min(1.0, rules), scoring)
        capped = excluded or (meta.get("relevance") == "low" and clipped != "low")
    base = Score(
        min(1.0, rules),
        "low" if capped else relevance_for(min(1.0, rules), scoring),
        (Reason("excluded", ""),) if excluded else (),
        rules=rules,
        capped=capped,
    )
    new = with_citations(base, rcr, scoring)

    out: dict[str, Any] = {}
    for key, value in meta.items():
        if key in SCORE_KEYS:
            continue
        out[key] = value
        if key == "score":
            out[key] = new.value
        elif key == "relevance":
            out[key] = new.relevance
            out.update(score_parts(new))
    score_prefix = _item_prefix(lab["score"])
    for i, line in enumerate(lines):
        if line.startswith(score_prefix):
            lines[i] = (
                f"{score_prefix}{lab[new.relevance]} ({lab['keyword_score']} {new.value:.2f})"
            )
    if why_at is not None:
        lines[why_at] = why_prefix + _why(why, new, lab)
    return dump_page(out, "\n".join(lines))


def _why(why: str, new: Score, lab: Mapping[str, str]) -> str:
    """The "Why" line with the citation rule's part (always the last reason) replaced by
    ``new``'s, as :func:`generator.kb.pages.explain_score` would write it."""
    label = re.escape(lab["rule_citations"])
    why = re.sub(rf"(?:; )?{label} “[^”]*” \+\d+\.\d\d$", "", why)
    cited = [r for r in new.reasons if r.rule == "citations"]
    if cited:
        text = explain_score(Score(new.value, new.relevance, tuple(cited)), dict(lab))
        if why.endswith(lab["no_rules"]):
            return why[: -len(lab["no_rules"])] + text
        return f"{why}{text}" if why.endswith(": ") or not why else f"{why}; {text}"
    return f"{why}{lab['no_rules']}" if why.endswith(": ") or not why else why


def citation_points(rcr: float | None, scoring: ScoringConfig) -> float:
    reason = citation_reason(rcr, scoring)
    return reason.points if reason else 0.0


def rescore_pages(
    config: Config,
    metas: Mapping[str, Mapping[str, Any]],
    signals: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """Score again the paper pages whose citation points are not what their signals give
    now; the PMIDs of the pages rewritten (none when the rule is off)."""
    scoring = config.scoring
    if not scoring.weights.citations:
        return []
    lab = labels(config.site.language)
    changed = []
    for pmid, meta in metas.items():
        rcr = (signals.get(pmid) or {}).get("rcr")
        points = citation_points(rcr, scoring)
        if "score_rules" in meta and float(meta.get("score_citations") or 0) == points:
            continue
        path = Path(config.site_src) / "papers" / f"{pmid}.md"
        text = path.read_text(encoding="utf-8")
        new = rescore_text(text, rcr, scoring, lab, str(path))
        if new != text:
            write_atomic(path, new)
            changed.append(pmid)
    return changed
