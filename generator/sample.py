"""The embedded sample: 30 real PubMed records (bibliographic facts only) for the demo."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

SAMPLE_DIR = resources.files("generator") / "sample"


@dataclass(frozen=True)
class Sample:
    xml_path: Path
    topics_by_pmid: dict[str, tuple[str, ...]]
    collected: dict[str, str]


def load_sample() -> Sample:
    """The sample XML's path and which topics matched each PMID, and when."""
    data = yaml.safe_load((SAMPLE_DIR / "topics.yml").read_text(encoding="utf-8"))
    by_pmid: dict[str, list[str]] = {}
    for topic, pmids in data["topics"].items():
        for pmid in pmids:
            by_pmid.setdefault(str(pmid), []).append(str(topic))
    return Sample(
        xml_path=Path(str(SAMPLE_DIR / "pubmed_sample.xml")),
        topics_by_pmid={k: tuple(v) for k, v in by_pmid.items()},
        collected={str(k): str(v) for k, v in data["collected"].items()},
    )
