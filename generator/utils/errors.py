"""The project's exceptions. Every message names the file, key, PMID or URL at fault.

KBError                    base: the CLI turns any of these into a clean message, exit 2
├── ConfigError            kb.yml is missing, not YAML, or has wrong keys/values (all listed)
├── ParseError             PubMed XML is malformed or truncated (file and line named)
├── PageError              an existing page on disk cannot be read back
├── EutilsError            an E-utilities request failed for good (request named)
│   ├── EutilsResponseError  the server answered, but with an error / short / broken body
│   │   └── MissingRecordsError  efetch returned fewer records than ids asked (ids listed)
│   └── ResultTooLarge     esearch matched more ids than PubMed lists (9,999): split the query
└── BuildError             mkdocs (or the search indexer) failed
"""

from __future__ import annotations


class KBError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(KBError):
    """The configuration is invalid; ``errors`` lists every problem with its path."""

    def __init__(self, source: str, errors: list[str]) -> None:
        self.source = source
        self.errors = list(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"invalid config {source}:\n{lines}")


class ParseError(KBError):
    """PubMed XML could not be parsed."""


class PageError(KBError):
    """An existing Markdown page could not be read."""


class EutilsError(KBError):
    """An E-utilities request failed after all retries."""


class EutilsResponseError(EutilsError):
    """E-utilities answered with an error message, too few records, or truncated XML."""


class MissingRecordsError(EutilsResponseError):
    """efetch left out some of the ids asked for (e.g. deleted PMIDs).

    ``missing_ids`` lists them in the order asked; ``document`` holds the batch's XML as
    received, so a caller that tolerates gaps can still use the records that did come back.
    """

    def __init__(self, message: str, missing_ids: tuple[str, ...], document: bytes) -> None:
        self.missing_ids = tuple(missing_ids)
        self.document = document
        super().__init__(message)


class ResultTooLarge(EutilsError):
    """esearch matched more ids than PubMed will list; narrow the query (e.g. its date window).

    ``count`` is the number of matches, ``cap`` the most PubMed lists for one query.
    """

    def __init__(self, message: str, count: int, cap: int) -> None:
        self.count = count
        self.cap = cap
        super().__init__(message)


class BuildError(KBError):
    """The static site build failed."""
