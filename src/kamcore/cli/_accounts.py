"""``kamcore accounts``: one summary line per account."""

from __future__ import annotations

from typing import Any

from kamcore.cli._render import Align, table
from kamcore.model import ClientFile, Portfolio

__all__ = ["UNKNOWN", "account_summaries", "accounts_table"]

UNKNOWN = "—"
"""What a table shows for a value that is not known (no tier, no event yet)."""

_HEADER = ("ID", "NAME", "OWNER", "TIER", "CONTACTS", "TRANSACTIONS", "EVENTS", "LAST EVENT")
_ALIGN: tuple[Align, ...] = ("left", "left", "left", "left", "right", "right", "right", "left")


def _summary(client: ClientFile) -> dict[str, Any]:
    account = client.account
    events = client.timeline.events
    return {
        "id": account.id,
        "name": account.name,
        "owner": account.owner,
        "tier": account.tier,
        "contacts": len(account.contacts),
        "transactions": len(client.transactions),
        "events": len(events),
        "last_event_at": events[-1].at.isoformat() if events else None,
    }


def account_summaries(portfolio: Portfolio) -> list[dict[str, Any]]:
    """The ``--format json`` output: one object per account, in portfolio order.

    Keys: ``id``, ``name``, ``owner``, ``tier`` (``None`` when unknown),
    ``contacts``, ``transactions``, ``events`` (counts) and ``last_event_at``
    (ISO 8601 date-time of the latest event, ``None`` when there is none).
    """
    return [_summary(client) for client in portfolio]


def _row(client: ClientFile) -> list[str]:
    account = client.account
    events = client.timeline.events
    return [
        account.id,
        account.name,
        account.owner,
        account.tier or UNKNOWN,
        str(len(account.contacts)),
        str(len(client.transactions)),
        str(len(events)),
        events[-1].at.date().isoformat() if events else UNKNOWN,
    ]


def accounts_table(portfolio: Portfolio) -> list[str]:
    """The ``--format table`` output: a header line, then one line per account.

    The last-event column shows the day of the latest event, in that event's
    own UTC offset.
    """
    return table([_row(client) for client in portfolio], header=_HEADER, align=_ALIGN)
