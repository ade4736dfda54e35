"""The ``--as-of`` moment: parsing it, and its default."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time

from kamcore.model import Portfolio

__all__ = ["default_moment", "parse_as_of", "show_moment"]

OFFSET_HINT = "give an offset, e.g. 2026-11-20T18:00+00:00"


def parse_as_of(text: str) -> datetime:
    """Read an ``--as-of`` value: an ISO 8601 date or date-time with an offset.

    A bare date (``2026-11-20``) means the end of that day in UTC, so everything
    recorded that day is included.

    Raises:
        argparse.ArgumentTypeError: the value is not ISO 8601, or is a date-time
            without an offset (argparse turns it into a usage error).
    """
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return datetime.combine(day, time.max, tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or date-time; "
            "use e.g. 2026-11-20 or 2026-11-20T18:00+00:00"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset; {OFFSET_HINT}")
    return moment


def default_moment(portfolio: Portfolio) -> datetime:
    """The moment to show when ``--as-of`` is not given: the export time, else now (UTC)."""
    return portfolio.exported_at if portfolio.exported_at is not None else datetime.now(UTC)


def show_moment(moment: datetime) -> str:
    """*moment* for people: ``2026-11-20 18:00+00:00`` (seconds only when not zero)."""
    spec = "minutes" if moment.second == 0 and moment.microsecond == 0 else "seconds"
    return moment.isoformat(sep=" ", timespec=spec)
