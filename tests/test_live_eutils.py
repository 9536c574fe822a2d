"""The stand-in against the real E-utilities: opt-in, never part of a normal run.

    python -m pytest --run-network tests/test_live_eutils.py

Each check sends the same request to NCBI and to ``tests/eutils_standin.py`` and compares
the *shape* of the two answers (the elements the client reads), so that the stand-in the
rest of the suite trusts keeps playing the service as it is. Skipped without
``--run-network``; set ``NCBI_EMAIL`` (and optionally ``NCBI_API_KEY``) as NCBI asks.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import requests
from lxml import etree

from generator.pubmed.parse import parse_bytes
from generator.pubmed.protocol import DEFAULT_BASE_URL, build_esearch_params
from tests.eutils_standin import EutilsStandin, minimal_article

pytestmark = pytest.mark.network

# A real, stable PubMed record and a query that finds it.
KNOWN_PMID = "31452104"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@pytest.fixture(scope="module", autouse=True)
def _ncbi_reachable() -> None:
    try:
        requests.get(f"{DEFAULT_BASE_URL}einfo.fcgi", params={"db": "pubmed"}, timeout=10)
    except requests.RequestException as exc:
        pytest.skip(f"NCBI E-utilities not reachable from here: {type(exc).__name__}")


@pytest.fixture(scope="module")
def standin_url() -> Iterator[str]:
    standin = EutilsStandin(
        {"exosomes": [(KNOWN_PMID, "2019/08/27")]}, make_record=minimal_article, rate_limit=False
    )
    with standin.serve() as url:
        yield url


def _get(base: str, endpoint: str, params: dict[str, str]) -> bytes:
    extra = {"tool": "pubmed-kb-contract-test"}
    if os.environ.get("NCBI_EMAIL"):
        extra["email"] = os.environ["NCBI_EMAIL"]
    if os.environ.get("NCBI_API_KEY") and base == DEFAULT_BASE_URL:
        extra["api_key"] = os.environ["NCBI_API_KEY"]
    time.sleep(0.4)  # NCBI's 3 requests/s without a key
    answer = requests.post(f"{base}{endpoint}.fcgi", data={**params, **extra}, timeout=30)
    answer.raise_for_status()
    return answer.content


def _children(body: bytes) -> tuple[str, set[str]]:
    root = etree.fromstring(body, parser=PARSER)
    return root.tag, {c.tag for c in root if isinstance(c.tag, str)}


def _both(standin_url: str, endpoint: str, params: dict[str, str]) -> tuple[bytes, bytes]:
    return _get(DEFAULT_BASE_URL, endpoint, params), _get(standin_url, endpoint, params)


def test_esearch_answers_have_the_elements_the_client_reads(standin_url: str) -> None:
    params = build_esearch_params("exosomes", retmax=5, usehistory=True)
    real, ours = _both(standin_url, "esearch", params)
    read = {"Count", "RetMax", "RetStart", "IdList", "WebEnv", "QueryKey", "QueryTranslation"}
    for body in (real, ours):
        tag, children = _children(body)
        assert tag == "eSearchResult" and read <= children


def test_a_phrase_not_found_is_reported_alike(standin_url: str) -> None:
    params = build_esearch_params("xyzzyplughfrobnicate", retmax=5, usehistory=False)
    for body in _both(standin_url, "esearch", params):
        root = etree.fromstring(body, parser=PARSER)
        assert root.find("ErrorList/PhraseNotFound") is not None
        assert root.findtext("Count") == "0"


def test_retstart_past_the_list_cap_is_an_error_element_alike(standin_url: str) -> None:
    params = build_esearch_params("exosomes", retstart=10_000, retmax=5, usehistory=False)
    for body in _both(standin_url, "esearch", params):
        root = etree.fromstring(body, parser=PARSER)
        assert root.tag == "eSearchResult"
        assert "cannot be larger than 9998" in (root.findtext("ERROR") or "")


def test_efetch_record_shape_matches(standin_url: str) -> None:
    params = {"db": "pubmed", "retmode": "xml", "id": KNOWN_PMID}
    real, ours = _both(standin_url, "efetch", params)
    for body in (real, ours):
        assert b"<!DOCTYPE PubmedArticleSet" in body
        tag, children = _children(body)
        assert (tag, children) == ("PubmedArticleSet", {"PubmedArticle"})
        (paper,) = parse_bytes(body, name="efetch")
        assert paper.pmid == KNOWN_PMID
