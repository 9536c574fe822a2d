"""The site's byte budget: where its bytes go, per paper, and how far GitHub Pages' 1 GB goes.

GitHub Pages refuses a site over 1 GB, and ``actions/deploy-pages`` only warns, and only on
the zipped artifact, so a site far over the limit can look fine until it is refused. Every
build ends with this report; ``python -m generator budget`` fails when the site is over the
limit (the publish workflow runs it before deploying).

``measure_site`` reads the folder; everything else is pure.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PAGES_LIMIT = 1_000_000_000  # GitHub Pages: "no larger than 1 GB" (read as 10^9 bytes)
WARN_SHARE = 0.8
PARTS = ("paper pages", "grouping pages", "citations", "feeds and sitemaps", "search", "assets")


def classify(rel: str) -> str:
    """The part of the site a file (path relative to the site root) belongs to."""
    parts = rel.split("/")
    if parts[0] == "pagefind":
        return "search"
    if rel.endswith(".html"):
        if len(parts) == 3 and parts[0] == "papers" and parts[1].isdigit():
            return "paper pages"
        return "grouping pages"
    if parts[-1] == "cite.json":
        return "citations"
    if parts[-1].endswith((".xml", ".xml.gz")):
        return "feeds and sitemaps"
    return "assets"


@dataclass(frozen=True)
class SiteBudget:
    papers: int
    files: int
    total: int
    parts: dict[str, tuple[int, int]] = field(default_factory=dict)  # part → (files, bytes)
    limit: int = PAGES_LIMIT

    @property
    def per_paper(self) -> float:
        """Bytes per paper, not counting the assets every site has whatever its size."""
        grows = self.total - self.parts.get("assets", (0, 0))[1]
        return grows / self.papers if self.papers else 0.0

    @property
    def projected_papers(self) -> int | None:
        """Papers that would fill ``limit`` at today's bytes per paper (a linear estimate)."""
        if not self.per_paper:
            return None
        fixed = self.parts.get("assets", (0, 0))[1]
        return max(0, int((self.limit - fixed) / self.per_paper))

    @property
    def over(self) -> bool:
        return self.total > self.limit

    @property
    def near(self) -> bool:
        return self.total > WARN_SHARE * self.limit


def summarize(
    files: Iterable[tuple[str, int]], papers: int, limit: int = PAGES_LIMIT
) -> SiteBudget:
    """A budget from ``(relative path, size)`` pairs (pure)."""
    counts = dict.fromkeys(PARTS, 0)
    sizes = dict.fromkeys(PARTS, 0)
    n = total = 0
    for rel, size in files:
        part = classify(rel)
        counts[part] += 1
        sizes[part] += size
        n += 1
        total += size
    parts = {p: (counts[p], sizes[p]) for p in PARTS}
    return SiteBudget(papers=papers, files=n, total=total, parts=parts, limit=limit)


def measure_site(site_dir: Path, limit: int = PAGES_LIMIT) -> SiteBudget:
    """The budget of a built site folder (file sizes in bytes, not blocks, not zipped)."""
    files = []
    papers = 0
    for root, _, names in os.walk(site_dir):
        base = Path(root)
        for name in names:
            path = base / name
            rel = path.relative_to(site_dir).as_posix()
            files.append((rel, path.stat().st_size))
            if name == "index.html" and classify(rel) == "paper pages":
                papers += 1
    return summarize(files, papers, limit)


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def render_report(b: SiteBudget) -> str:
    """The one-screen report printed after every build."""
    lines = [
        f"site: {b.papers:,} papers, {b.files:,} files, {_mb(b.total)} "
        f"({b.total / b.limit:.0%} of GitHub Pages' {_mb(b.limit)})",
    ]
    for part in PARTS:
        files, size = b.parts.get(part, (0, 0))
        share = size / b.total if b.total else 0
        per = f"{size / b.papers / 1e3:7.1f} KB/paper" if b.papers else ""
        lines.append(f"  {part:<19} {_mb(size):>11} {share:4.0%} {files:>9,} files {per}")
    if b.papers:
        lines.append(
            f"  per paper: {b.per_paper / 1e3:.1f} KB; at that rate "
            f"{_mb(b.limit)} holds about {b.projected_papers:,} papers"
        )
    if b.over:
        lines.append(
            f"WARNING: the site is {_mb(b.total - b.limit)} over GitHub Pages' limit: "
            "GitHub will refuse to publish it (docs/scaling.md: what to do)"
        )
    elif b.near:
        lines.append(
            f"warning: the site uses {b.total / b.limit:.0%} of GitHub Pages' limit "
            "(docs/scaling.md: what to do before it is full)"
        )
    return "\n".join(lines)
