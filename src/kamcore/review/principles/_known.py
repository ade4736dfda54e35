"""Where an account's clocks start when the thing they measure never happened."""

from __future__ import annotations

from datetime import datetime, time

from kamcore.model import ClientFile, Event

__all__ = ["known_since", "last_or_known"]


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
    # The earliest candidate wins, the first one listed on a tie.
    known: tuple[datetime, tuple[str, ...]] | None = None
    if client.timeline.events:
        first = client.timeline.events[0]
        known = (first.at, (first.id,))
    if client.transactions:
        bought = client.transactions[0]
        if known is None or bought.at < known[0]:
            known = (bought.at, (bought.id,))
    since = client.account.client_since
    if since is not None:
        started = datetime.combine(since, time(), tzinfo=as_of.tzinfo)
        if known is None or started < known[0]:
            known = (started, ())
    return known


def last_or_known(
    client: ClientFile, as_of: datetime, last: Event | None
) -> tuple[datetime, tuple[str, ...]] | None:
    """Where a clock starts: at *last* with its id, or without it at :func:`known_since`."""
    if last is not None:
        return last.at, (last.id,)
    return known_since(client, as_of)
