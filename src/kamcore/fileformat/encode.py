"""Write the model as a portfolio document (JSON-ready Python values)."""

from __future__ import annotations

import json
from typing import Any

from kamcore.fileformat._fields import dump_record
from kamcore.fileformat.decode import FORMAT, VERSION
from kamcore.model import ClientFile, Event, Portfolio

__all__ = ["dumps_portfolio", "encode_client_file", "encode_event", "encode_portfolio"]


def encode_event(event: Event) -> dict[str, Any]:
    """The JSON object of one timeline event, ``kind`` first."""
    return {"kind": event.kind, **dump_record(event)}


def encode_client_file(client: ClientFile) -> dict[str, Any]:
    """The JSON object of one account with its transactions and events."""
    return {
        **dump_record(client.account),
        "transactions": [dump_record(t) for t in client.transactions],
        "events": [encode_event(e) for e in client.timeline],
    }


def encode_portfolio(portfolio: Portfolio) -> dict[str, Any]:
    """The canonical portfolio document for *portfolio*.

    Fields at their default value are left out, records come in time order, and
    amounts are decimal strings, so decoding the result and encoding it again
    gives the same document. ``accounts`` comes last, so that a reader can
    review each account as it reads it (see :func:`kamcore.review.review_stream`).
    """
    document: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    if portfolio.exported_at is not None:
        document["exported_at"] = portfolio.exported_at.isoformat()
    if portfolio.staff:
        document["staff"] = [dump_record(member) for member in portfolio.staff]
    if portfolio.reports:
        document["reports"] = [dump_record(report) for report in portfolio.reports]
    document["accounts"] = [encode_client_file(client) for client in portfolio]
    return document


def dumps_portfolio(portfolio: Portfolio, *, indent: int | None = 2) -> str:
    """*portfolio* as JSON text (UTF-8 friendly: names in any script stay readable)."""
    return json.dumps(encode_portfolio(portfolio), ensure_ascii=False, indent=indent)
