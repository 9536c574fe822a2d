"""E-utilities' requests and answers as data (pure; :mod:`generator.pubmed.eutils` sends them).

Request parameters (``build_*``), date windows and PMID checks; requests described and
redacted for messages (no API key, e-mail or IP address); answers parsed and checked
(``parse_*``, ``check_*``), with the ``<ERROR>`` texts that are transient
(:func:`is_transient_error`) told from those that are final. XML answers are parsed
without entity expansion or network access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO
from urllib.parse import urlencode

from lxml import etree

from generator.utils.errors import (
    EutilsResponseError,
)

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_TOOL = "kb-generator"
PUBMED_LIST_CAP = 9999  # esearch lists the first 9,999 ids of a PubMed result, no more
RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
EFETCH_BATCH_SIZE = 200
EFETCH_MAX_BATCH = 10_000  # NCBI's per-request ceiling for efetch
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")
UID_MAX = 2**27  # above every PMID PubMed will assign for years (41 million in 2026)
DATETYPES = ("crdt", "edat", "pdat", "mdat")

# ``<ERROR>`` texts NCBI sends while a backend is down or overloaded (lower case). They
# clear on their own, so they are retried like a 5xx; every other ``<ERROR>`` is final.
TRANSIENT_ERRORS = (
    "search backend failed",
    "database is not supported",
    "address table is empty",
    "temporarily unavailable",
    "unable to connect",
    "connection refused",
    "timed out",
    "timeout",
)
# ...except these, which share a transient prefix but will never succeed.
PERMANENT_ERRORS = ("cannot be larger than 9998", "invalid", "syntax", "unknown field")


# --------------------------------------------------------------------------- request builders


def format_date(value: date | str) -> str:
    """A date as NCBI wants it: ``YYYY/MM/DD`` (strings such as ``2024`` pass through)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"
    return str(value)


def build_esearch_params(
    term: str,
    mindate: date | str | None = None,
    maxdate: date | str | None = None,
    datetype: str = "edat",
    retstart: int = 0,
    retmax: int = PUBMED_LIST_CAP,
    usehistory: bool = True,
    webenv: str | None = None,
    query_key: str | int | None = None,
) -> dict[str, str]:
    """Parameters of one PubMed esearch (without tool/email/api_key, which the client adds).

    ``mindate``/``maxdate`` go together (NCBI ignores one alone) and are inclusive.
    With ``webenv`` and ``query_key`` NCBI intersects ``term`` with that history set, which
    is how later pages of one search stay in the same history environment.
    """
    if (mindate is None) != (maxdate is None):
        raise ValueError("mindate and maxdate must be given together")
    if retstart < 0 or retmax < 0:
        raise ValueError(f"retstart and retmax must not be negative ({retstart}, {retmax})")
    if query_key is not None and webenv is None:
        raise ValueError("query_key needs webenv")
    params: dict[str, str] = {"db": "pubmed", "term": term}
    if mindate is not None and maxdate is not None:
        params["datetype"] = datetype
        params["mindate"] = format_date(mindate)
        params["maxdate"] = format_date(maxdate)
    params["retstart"] = str(retstart)
    params["retmax"] = str(retmax)
    if usehistory:
        params["usehistory"] = "y"
    if webenv is not None:
        params["WebEnv"] = webenv
    if query_key is not None:
        params["query_key"] = str(query_key)
    return params


def build_efetch_params(
    ids: Sequence[str] | None = None,
    *,
    webenv: str | None = None,
    query_key: str | int | None = None,
    retstart: int | None = None,
    retmax: int | None = None,
) -> dict[str, str]:
    """Parameters of one PubMed efetch (XML), by id list or by history set."""
    params: dict[str, str] = {"db": "pubmed", "retmode": "xml"}
    if ids is not None:
        if webenv is not None or query_key is not None:
            raise ValueError("give ids or webenv/query_key, not both")
        if not ids:
            raise ValueError("efetch needs at least one id")
        params["id"] = ",".join(ids)
    elif webenv is not None and query_key is not None:
        params["WebEnv"] = webenv
        params["query_key"] = str(query_key)
    else:
        raise ValueError("efetch needs ids, or webenv and query_key")
    if retstart is not None:
        params["retstart"] = str(retstart)
    if retmax is not None:
        params["retmax"] = str(retmax)
    return params


def check_pmids(ids: Sequence[str]) -> list[str]:
    """The ids as strings, duplicates dropped (first kept); ValueError for a non-PMID."""
    if isinstance(ids, str):
        raise ValueError("ids must be a sequence of PMIDs, not one string")
    unique = list(dict.fromkeys(str(i).strip() for i in ids))
    bad = [i for i in unique if not i.isdigit() or i.startswith("0")]
    if bad:
        raise ValueError(f"not PMIDs: {', '.join(repr(b) for b in bad[:5])}")
    return unique


def split_date_window(lo: date, hi: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """Halve an inclusive date window: ``[lo, mid]`` and ``[mid + 1 day, hi]``."""
    if lo >= hi:
        raise ValueError(f"cannot split the window {lo}..{hi}")
    mid = lo + timedelta(days=(hi - lo).days // 2)
    return (lo, mid), (mid + timedelta(days=1), hi)


# --------------------------------------------------------------------------- describing


def describe_request(endpoint: str, params: Mapping[str, str]) -> str:
    """A short, key-free name for a request, for error messages and logs.

    ``esearch term='asthma' edat 2024/01/01-2024/06/30 retstart=200`` or
    ``efetch (200 ids, 31000001..31000200)``.
    """
    if endpoint == "efetch":
        if "id" in params:
            ids = [i for i in params["id"].split(",") if i]
            span = ids[0] if len(ids) == 1 else f"{ids[0]}..{ids[-1]}"
            noun = "id" if len(ids) == 1 else "ids"
            return f"efetch ({len(ids)} {noun}, {span})"
        parts = [f"query_key={params.get('query_key')}"]
        parts += [f"{k}={params[k]}" for k in ("retstart", "retmax") if k in params]
        return f"efetch (history {' '.join(parts)})"
    parts = [endpoint]
    if "term" in params:
        term = params["term"]
        if len(term) > 120:
            term = term[:117] + "..."
        parts.append(f"term={term!r}")
    if "mindate" in params:
        parts.append(f"{params.get('datetype', '')} {params['mindate']}-{params['maxdate']}")
    if params.get("retstart", "0") != "0":
        parts.append(f"retstart={params['retstart']}")
    return " ".join(parts)


_PRIVATE_PARAMS = ("api_key", "email")  # a secret, and a contact address: neither is logged


def redacted_url(url: str, params: Mapping[str, str]) -> str:
    """The request as a GET URL, ``api_key`` and ``email`` shown as ``***`` (messages only).

    Error messages end up in run records that a public repository commits, so the
    contact address is kept out of them as well as the key.
    """
    shown = {k: v for k, v in params.items() if k not in _PRIVATE_PARAMS}
    query = urlencode(shown)
    for key in _PRIVATE_PARAMS:
        if key in params:
            query = f"{query}&{key}=***" if query else f"{key}=***"
    return f"{url}?{query}" if query else url


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class SearchResult:
    """One esearch answer. ``errors`` holds its ErrorList entries and ``warnings`` its
    WarningList entries, each as ``Tag: text`` (e.g. ``PhraseNotFound: exosomez``)."""

    count: int
    ids: tuple[str, ...]
    webenv: str | None = None
    query_key: str | None = None
    query_translation: str | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass
class SearchOutcome:
    """Everything one logical search found: its ids over the whole window (however it was
    split), PubMed's translation of the query and what PubMed said about it, and ``notes``
    on what the client did about the service's quirks (short lists, PMID-range splits)."""

    ids: list[str] = field(default_factory=list)
    translation: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def absorb(self, result: SearchResult) -> None:
        """Keep the first translation and every distinct error and warning of ``result``."""
        if self.translation is None:
            self.translation = result.query_translation
        self.errors += [e for e in result.errors if e not in self.errors]
        self.warnings += [w for w in result.warnings if w not in self.warnings]


class MalformedBody(EutilsResponseError):
    """A 200 answer that is not the XML document asked for (cut short, empty, HTML page).

    The client retries these: NCBI now and then ends a response early.
    """


class TransientError(EutilsResponseError):
    """An ``<ERROR>`` answer whose text says the service is down for now: retried."""


def is_transient_error(message: str) -> bool:
    """True for an ``<ERROR>`` text NCBI sends during an outage (pure; see TRANSIENT_ERRORS)."""
    text = message.lower()
    if any(p in text for p in PERMANENT_ERRORS):
        return False
    return any(p in text for p in TRANSIENT_ERRORS)


def _raise_error_element(error: etree._Element) -> None:
    message = " ".join("".join(error.itertext()).split())
    kind = TransientError if is_transient_error(message) else EutilsResponseError
    raise kind(f"NCBI answered with an error: {message}")


def _xml_parser() -> etree.XMLParser:
    # No entity expansion, no DTD loading, no network: PubMed's DOCTYPE points at an
    # external DTD that must never be fetched.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse_esearch(body: bytes) -> SearchResult:
    """Parse an esearch XML answer.

    A top-level ``<ERROR>`` (e.g. ``retstart`` past 9,998) raises EutilsResponseError.
    ``ErrorList`` entries (``PhraseNotFound``, ``FieldNotFound``) and ``WarningList`` entries
    (``OutputMessage``, ``QuotedPhraseNotFound``) do not raise: NCBI still ran (part of) the
    search, so they come back as ``errors`` and ``warnings`` for the caller to judge.
    """
    try:
        root = etree.fromstring(body, parser=_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedBody(f"esearch answer is not well-formed XML: {exc}") from None
    if root is None or root.tag != "eSearchResult":
        tag = None if root is None else root.tag
        raise MalformedBody(f"esearch answer has root <{tag}>, expected <eSearchResult>")
    error = root.find("ERROR")
    if error is not None:
        _raise_error_element(error)
    count_text = root.findtext("Count")
    if count_text is None or not count_text.strip().isdigit():
        raise MalformedBody(f"esearch answer has no valid <Count> ({count_text!r})")
    ids = tuple(t.strip() for t in root.xpath("IdList/Id/text()"))
    return SearchResult(
        count=int(count_text),
        ids=ids,
        webenv=_text_or_none(root.findtext("WebEnv")),
        query_key=_text_or_none(root.findtext("QueryKey")),
        query_translation=_text_or_none(root.findtext("QueryTranslation")),
        errors=_list_entries(root, "ErrorList"),
        warnings=_list_entries(root, "WarningList"),
    )


def _list_entries(root: etree._Element, container: str) -> tuple[str, ...]:
    return tuple(
        f"{child.tag}: {' '.join(''.join(child.itertext()).split())}"
        for child in root.findall(f"{container}/*")
        if isinstance(child.tag, str)
    )


def _text_or_none(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text or None


def parse_efetch_pmids(body: bytes) -> tuple[str, ...]:
    """The PMIDs of the records in an efetch ``PubmedArticleSet``, in document order.

    Streams with ``iterparse`` and frees each record once counted. Only each record's own
    PMID counts (``MedlineCitation/PMID`` or ``BookDocument/PMID``), never the PMIDs of
    cited or commented works. A body that is not well-formed XML raises
    EutilsResponseError; so does an ``<eFetchResult><ERROR>`` answer.
    """
    context = etree.iterparse(
        BytesIO(body),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    root = None
    pmids: list[str] = []
    try:
        for event, elem in context:
            if root is None:
                root = elem
                if root.tag not in ("PubmedArticleSet", "eFetchResult"):
                    raise MalformedBody(
                        f"efetch answer has root <{root.tag}>, expected <PubmedArticleSet>"
                    )
                continue
            if event != "end" or elem.getparent() is not root or elem.tag not in RECORD_TAGS:
                continue
            path = "MedlineCitation/PMID" if elem.tag == "PubmedArticle" else "BookDocument/PMID"
            pmid = (elem.findtext(path) or "").strip()
            if not pmid:
                raise EutilsResponseError(
                    f"efetch answer has a <{elem.tag}> without {path} (record {len(pmids) + 1})"
                )
            pmids.append(pmid)
            elem.clear(keep_tail=True)
            while elem.getprevious() is not None:
                del root[0]
    except etree.XMLSyntaxError as exc:
        after = f" after PMID {pmids[-1]}" if pmids else ""
        raise MalformedBody(
            f"efetch answer is not well-formed XML (cut short?){after}: {exc}"
        ) from None
    if root is None:
        raise MalformedBody("efetch answer is empty")
    error = root.find("ERROR")
    if error is not None:
        _raise_error_element(error)
    return tuple(pmids)


def check_efetch_batch(body: bytes, ids: Sequence[str]) -> tuple[str, ...]:
    """Return the ids asked for that ``body`` lacks, in the order asked (empty if complete)."""
    got = set(parse_efetch_pmids(body))
    return tuple(i for i in ids if i not in got)
