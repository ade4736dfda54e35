"""``kamcore accounts``: one summary line per account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kamcore.cli._render import Align, table
from kamcore.model import ClientFile

__all__ = ["UNKNOWN", "account_row", "account_summary", "accounts_table"]

UNKNOWN = "—"
"""What a table shows for a value that is not known (no tier, no event yet)."""

_HEADER = ("ID", "NAME", "OWNER", "TIER", "CONTACTS", "TRANSACTIONS", "EVENTS", "LAST EVENT")
_ALIGN: tuple[Align, ...] = ("left", "left", "left", "left", "right", "right", "right", "left")


def account_summary(client: ClientFile) -> dict[str, Any]:
    """The ``--format json`` output's object for one account (the output lists them
    in portfolio order).

    Keys: ``id``, ``name``, ``owner``, ``tier`` (``None`` when unknown),
    ``contacts``, ``transactions``, ``events`` (counts) and ``last_event_at``
    (ISO 8601 date-time of the latest event, ``None`` when there is none).
    """
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


def account_row(client: ClientFile) -> list[str]:
    """The ``--format table`` output's cells for one account (see :func:`accounts_table`)."""
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


def accounts_table(rows: Sequence[Sequence[str]]) -> list[str]:
    """The ``--format table`` output: a header line, then one line per account, from
    each account's :func:`account_row`.

    The last-event column shows the day of the latest event, in that event's
    own UTC offset.
    """
    return table(rows, header=_HEADER, align=_ALIGN)
