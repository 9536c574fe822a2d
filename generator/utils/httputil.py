"""Small pieces every HTTP client here shares: secret redaction, Retry-After, backoff, and
the session a client may own. Pure, except that :class:`SessionOwner` closes a session."""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, quote_plus

import requests


def redact(text: str, secret: str | None) -> str:
    """``text`` with every plain or URL-encoded copy of ``secret`` replaced by ``***``."""
    if not secret:
        return text
    forms = {secret, quote(secret), quote(secret, safe=""), quote_plus(secret)}
    forms.add(quote_plus(secret, safe="/"))
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return text


_IPV4 = r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?!\.?\d)"
# IPv6: at least two colon-separated hex groups with a "::" or 7 colons (not a clock time).
_IPV6 = (
    r"(?<![\w:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"
    r"|(?:[0-9a-fA-F]{1,4}:){0,6}[0-9a-fA-F]{0,4}::(?:[0-9a-fA-F]{1,4}:){0,6}[0-9a-fA-F]{0,4})"
    r"(?![\w:])"
)
_ADDRESS = re.compile(f"{_IPV6}|{_IPV4}")


def scrub_addresses(text: str) -> str:
    """``text`` with every IPv4/IPv6 address replaced by ``<address>``.

    NCBI's 429 answer to a caller without an API key echoes the caller's address, and
    error messages reach run records that a public repository commits.
    """
    return _ADDRESS.sub("<address>", text)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date); None if absent."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(retry: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in ``[0, min(cap, base * 2**retry)]``."""
    return rng.uniform(0.0, min(cap, base * (2.0**retry)))


def retryable_status(status: int) -> bool:
    """HTTP answers worth retrying: 429 (slow down) and 5xx (the server's trouble)."""
    return status == 429 or 500 <= status <= 599


def retry_after_s(headers: Any) -> float | None:
    """Seconds a ``Retry-After`` header asks for, from now; None when absent."""
    return parse_retry_after(headers.get("Retry-After"), datetime.now(timezone.utc))


class SessionOwner:
    """Mixin: a client that closes its ``requests`` session when it created it."""

    _session: requests.Session
    _own_session: bool

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session:
            self._session.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
