"""What day it is: the one place the generator asks.

Harvest windows, a page's ``collected`` / ``updated`` dates, run records (and through
them the status page and the landing page's "what is new") all take their date from a
:class:`Clock`. The command line uses :func:`system_clock`: the real time in UTC, or the
moment named by ``$PUBMED_KB_NOW`` (an ISO date or date-time) when that is set, so that a
run can be reproduced, and tests mean the same thing on any day.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass

from generator.utils.errors import ConfigError

NOW_ENV = "PUBMED_KB_NOW"


@dataclass(frozen=True)
class Clock:
    """A source of the current moment (always timezone-aware, in UTC)."""

    now: Callable[[], dt.datetime]

    def today(self) -> dt.date:
        """Today's date in UTC."""
        return self.now().date()

    def today_iso(self) -> str:
        return self.today().isoformat()

    def timestamp(self) -> str:
        """``2026-03-01T12:00:00+00:00``: a run record's start or end."""
        return self.now().replace(microsecond=0).isoformat()


def parse_moment(value: str) -> dt.datetime:
    """``2026-03-01`` (midnight UTC) or ``2026-03-01T12:30:00[+00:00|Z]`` → an aware UTC
    datetime; a naive time is taken as UTC."""
    text = value.strip()
    try:
        if len(text) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"${NOW_ENV}", [f"{value!r}: expected an ISO date or date-time (2026-03-01T12:00:00Z)"]
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def fixed_clock(moment: str | dt.datetime | dt.date) -> Clock:
    """A clock that always says ``moment`` (tests; reproducing a run)."""
    if isinstance(moment, str):
        when = parse_moment(moment)
    elif isinstance(moment, dt.datetime):
        when = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    else:
        when = dt.datetime.combine(moment, dt.time(), tzinfo=dt.timezone.utc)
    return Clock(lambda: when)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def system_clock() -> Clock:
    """The real clock in UTC, unless ``$PUBMED_KB_NOW`` names a fixed moment."""
    fixed = os.environ.get(NOW_ENV)
    if fixed:
        return fixed_clock(fixed)
    return Clock(_utc_now)
