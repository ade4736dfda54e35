"""Where an account's clocks start when the thing they measure never happened."""

from __future__ import annotations

from datetime import datetime, time

from kamcore.model import ClientFile, Event, Transaction

__all__ = ["known_since", "last_or_known"]

_MIDNIGHT = time()


def known_since(client: ClientFile, as_of: datetime) -> tuple[datetime, tuple[str, ...]] | None:
    """The earliest moment the account is known from, and the id of the record that shows it.

    That is the earliest of the day the relationship started (``client_since``,
    from the start of that day in *as_of*'s time zone), the first transaction and
    the first timeline event. A CRM export often starts its timeline long after the
    client did; a client never surveyed since 2023 has been unsurveyed since 2023,
    not since the export's first event.

    Returns:
        ``(moment, evidence)``, the evidence empty when the moment is ``client_since``;
        ``None`` when nothing at all is known.
    """
    # The earliest candidate wins, the first one listed on a tie. The answer is built
    # only for the winner: usually client_since, which needs no evidence.
    events = client.timeline.events
    first: Event | Transaction | None = events[0] if events else None
    if client.transactions:
        bought = client.transactions[0]
        if first is None or bought.at < first.at:
            first = bought
    since = client.account.client_since
    if since is not None:
        started = datetime.combine(since, _MIDNIGHT, tzinfo=as_of.tzinfo)
        if first is None or started < first.at:
            return started, ()
    return (first.at, (first.id,)) if first is not None else None


def last_or_known(
    client: ClientFile, as_of: datetime, last: Event | None
) -> tuple[datetime, tuple[str, ...]] | None:
    """Where a clock starts: at *last* with its id, or without it at :func:`known_since`."""
    if last is not None:
        return last.at, (last.id,)
    return known_since(client, as_of)
