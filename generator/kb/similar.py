"""Similar papers here: for each paper, the papers of this knowledge base most like it.

Each page gives weighted terms (:func:`paper_terms`): its MeSH descriptors (major topics
count double), its author keywords, the words of its title and of its abstract. Over the
whole knowledge base each term is weighted by its rarity (``log(N / df)``), each paper
becomes a unit vector, and two papers are as similar as the cosine of their vectors.
Terms that nearly every paper has (``Humans``, "patients") say nothing about which
papers are alike and are left out, as are terms only one paper has.

:func:`similar_papers` is pure and deterministic (ties go to the lower PMID). It is one
sparse matrix product, in blocks of rows (SciPy), so 50,000 papers take seconds, not the
hour a Python loop over pairs would. The terms of a page are cached by its content
(:func:`generator.kb.catalog.per_paper`): a build reads only new and changed pages.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from generator.kb.catalog import body_of, paper_metas, per_paper

TOP = 5  # papers shown
MIN_SCORE = 0.12  # below this cosine, two papers share a word or two, not a subject
MAX_DF_SHARE = 0.02  # a term in more than 2% of the papers tells little about a pair...
MIN_MAX_DF = 25  # ...but in a small knowledge base 5% is a paper or two
BLOCK = 1024  # rows per block of the product (~5 million pairs at 50,000 papers)

WEIGHTS = {"mesh_major": 2.0, "mesh": 1.0, "keyword": 1.5, "title": 1.0, "abstract": 0.5}
TERMS_VERSION = "terms-2"  # change it with paper_terms: cached terms are then made again

_WORD = re.compile(r"\w[\w-]*\w", re.UNICODE)
# Words of any abstract (and structured abstracts' labels): too common to tell papers apart
# even where a knowledge base is too small for the document-frequency cut to find them.
STOPWORDS = frozenset(
    """about above after again against all also among and any are background because been
    before being below between both but can cannot conclusion conclusions could did does
    doing down during each few for from further had has have having here how however into
    its itself may method methods more most not objective objectives our out over own
    purpose result results same should shown since some such than that the their them then
    there these they this those through thus under until upon using very was were what when
    where which while who whom why will with within without would""".split()
)


def _words(text: str) -> list[str]:
    out = []
    for word in _WORD.findall(text.lower()):
        if len(word) > 2 and word not in STOPWORDS and not word.replace("-", "").isdigit():
            out.append(word)
    return out


def abstract_text(body: str, heading: str) -> str:
    """The text of a page's abstract section (``## <heading>`` up to the next ``## ``)."""
    start = body.find(f"\n## {heading}\n")
    if start < 0:
        return ""
    start += len(heading) + 5
    end = body.find("\n## ", start)
    return body[start:] if end < 0 else body[start:end]


def paper_terms(meta: Mapping[str, Any], body: str, heading: str = "Abstract") -> dict[str, float]:
    """A page's terms and their weights (pure): ``m:`` MeSH descriptors, ``k:`` author
    keywords, ``w:`` words of the title and the abstract (section ``## <heading>``).
    A word in the title counts 1, in the abstract 0.5 per use up to three uses."""
    terms: dict[str, float] = {}

    def add(term: str, weight: float) -> None:
        terms[term] = terms.get(term, 0.0) + weight

    major = {str(m) for m in meta.get("mesh_major") or ()}
    for name in dict.fromkeys(str(m) for m in meta.get("mesh") or ()):
        add(f"m:{name}", WEIGHTS["mesh_major" if name in major else "mesh"])
    for keyword in dict.fromkeys(str(k).strip().lower() for k in meta.get("keywords") or ()):
        if keyword:
            add(f"k:{keyword}", WEIGHTS["keyword"])
    for word in dict.fromkeys(_words(str(meta.get("title") or ""))):
        add(f"w:{word}", WEIGHTS["title"])
    counts: dict[str, int] = {}
    for word in _words(abstract_text(body, heading)):
        counts[word] = counts.get(word, 0) + 1
    for word, n in counts.items():
        add(f"w:{word}", WEIGHTS["abstract"] * min(n, 3))
    return {t: round(w, 3) for t, w in sorted(terms.items())}


def _term_id(term: str) -> int:
    """A term's number: 31 bits of its BLAKE2 hash (the same on every machine; two of a
    knowledge base's ~300,000 terms share one about once in 50,000 knowledge bases)."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "little") & 0x7FFFFFFF


def encode_terms(terms: Mapping[str, float]) -> str:
    """A paper's terms as the catalog caches them: term numbers (int32) and weights in
    halves (uint8), base64. 50,000 papers' terms as JSON objects were 142 MB and took 6 s
    to read; as these strings they are a third of that and read in a fraction of a second."""
    merged: dict[int, int] = {}
    for term, weight in terms.items():
        key = _term_id(term)
        merged[key] = min(255, merged.get(key, 0) + round(weight * 2))
    ids = np.array(sorted(merged), dtype="<i4")
    halves = np.array([merged[i] for i in sorted(merged)], dtype=np.uint8)
    return base64.b64encode(ids.tobytes() + halves.tobytes()).decode("ascii")


def decode_terms(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Term numbers and weights of :func:`encode_terms`' string."""
    raw = base64.b64decode(text)
    n = len(raw) // 5
    ids = np.frombuffer(raw, dtype="<i4", count=n).astype(np.int64)
    weights = np.frombuffer(raw, dtype=np.uint8, offset=4 * n).astype(np.float32) / 2
    return ids, weights


def _matrix(rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> sparse.csr_matrix:
    """Rows: the papers' unit vectors of rarity-weighted terms (terms of one paper, or of
    more than the document-frequency cut, left out)."""
    n = len(rows)
    lengths = np.array([len(ids) for ids, _ in rows], dtype=np.int64)
    ids = np.concatenate([r[0] for r in rows]) if n else np.zeros(0, np.int64)
    weights = np.concatenate([r[1] for r in rows]) if n else np.zeros(0, np.float32)
    row_of = np.repeat(np.arange(n), lengths)
    terms, column, df = np.unique(ids, return_inverse=True, return_counts=True)
    cut = max(MIN_MAX_DF, int(n * MAX_DF_SHARE))
    kept = (df[column] > 1) & (df[column] <= cut)
    idf = np.log(n / df.astype(np.float64)).astype(np.float32)
    values = (weights * idf[column])[kept]
    row_of, column = row_of[kept], column[kept]
    norms = np.sqrt(np.bincount(row_of, weights=values.astype(np.float64) ** 2, minlength=n))
    values = values / np.where(norms > 0, norms, 1.0)[row_of].astype(np.float32)
    return sparse.csr_matrix(
        (values.astype(np.float32), (row_of, column)), shape=(n, len(terms)), dtype=np.float32
    )


def nearest(
    pmids: Sequence[str],
    rows: Sequence[tuple[np.ndarray, np.ndarray]],
    top: int = TOP,
    min_score: float = MIN_SCORE,
) -> dict[str, list[str]]:
    """For each paper (``pmids[i]``, its terms ``rows[i]``), up to ``top`` others by falling
    similarity (ties: lower PMID first), those at least ``min_score`` alike; papers with
    none are left out (pure). Each block of rows is one sparse product; only the pairs
    over ``min_score`` are ever sorted."""
    if len(pmids) < 2:
        return {}
    matrix = _matrix(rows)
    transposed = matrix.T.tocsr()
    numbers = np.array([int(p) for p in pmids], dtype=np.int64)
    out: dict[str, list[str]] = {}
    for start in range(0, len(pmids), BLOCK):
        block = (matrix[start : start + BLOCK] @ transposed).tocoo()
        # round away float noise so that ties are ties, then the lower PMID wins
        score = np.round(block.data, 5)
        row, col = block.row.astype(np.int64), block.col.astype(np.int64)
        hit = (score >= min_score) & (col != row + start)  # a paper is not like itself
        row, col, score = row[hit], col[hit], score[hit]
        order = np.lexsort((numbers[col], -score, row))
        row, col = row[order], col[order]
        first = np.searchsorted(row, row)  # where each row's run begins
        best = np.arange(len(row)) - first < top
        for r, c in zip(row[best].tolist(), col[best].tolist(), strict=True):
            out.setdefault(pmids[start + r], []).append(pmids[c])
    return out


def similar_papers(
    terms: Mapping[str, Mapping[str, float]], top: int = TOP, min_score: float = MIN_SCORE
) -> dict[str, list[str]]:
    """:func:`nearest` for terms by PMID, as :func:`paper_terms` gives them (pure)."""
    pmids = sorted(terms, key=int)
    return nearest(pmids, [decode_terms(encode_terms(terms[p])) for p in pmids], top, min_score)


def load_terms(
    site_src: Path, heading: str = "Abstract", metas: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, str]:
    """Every paper page's terms, by PMID, encoded (:func:`encode_terms`; read through the
    catalog's cache, so only new and changed pages are read, and their frontmatter is the
    catalog's, ``metas`` when the caller has it, not read again)."""
    if metas is None:
        metas = paper_metas(site_src)

    def derive(pmid: str, text: str, name: str) -> str:
        return encode_terms(paper_terms(metas[pmid], body_of(text), heading))

    return per_paper(site_src, "terms", derive, f"{TERMS_VERSION}:{heading}")


def similar_in(
    site_src: Path, heading: str = "Abstract", metas: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, list[str]]:
    """Similar papers here for every paper page under ``site_src`` (``metas``: their
    frontmatter by PMID, when the caller has read it)."""
    encoded = load_terms(site_src, heading, metas)
    pmids = list(encoded)  # in PMID order
    return nearest(pmids, [decode_terms(encoded[p]) for p in pmids])
