"""Know the client: is the client file complete enough to serve the client?

An incomplete profile (``profile_incomplete``) is due :data:`COMPLETE_WITHIN` after
the earliest moment kamcore knows the account from
(:func:`~kamcore.review.principles._known.known_since`: the day the relationship
started, ``client_since``, or else the first transaction or timeline event). The
gap exists since then, so the due time is a fact of the account's data: it stays
put from one review to the next while the profile stays incomplete, and the
finding climbs the escalation ladder once it has passed. A client file naming no
contact (``no_contacts``) is due a day after that same moment. Only an account
with nothing dated at all (no ``client_since``, no transaction, no event) counts
from the review itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Final

from kamcore.model import Account
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple
from kamcore.review.principles._known import known_since

__all__ = ["COMPLETE_WITHIN", "KNOW_THE_CLIENT", "PROFILE_PARTS", "known_from", "profile_parts"]

COMPLETE_WITHIN: Final = timedelta(days=7)
"""How long after the account is known its client file must be complete enough."""

_NAME_SOMEONE_WITHIN: Final = timedelta(days=1)

PROFILE_PARTS = (
    "contacts",
    "contact_positions",
    "contact_channels",
    "needs",
    "preferences",
    "personal_notes",
)
"""The parts of a client file that completeness counts, in report order."""


def profile_parts(account: Account) -> dict[str, bool]:
    """Which of :data:`PROFILE_PARTS` the profile has.

    Positions and channels count as present only when there is at least one
    contact and every contact has one: with no contact, no role is known.
    """
    contacts = account.contacts
    return {
        "contacts": bool(contacts),
        "contact_positions": bool(contacts) and all(c.position is not None for c in contacts),
        "contact_channels": bool(contacts) and all(c.channel is not None for c in contacts),
        "needs": bool(account.needs),
        "preferences": bool(account.preferences),
        "personal_notes": bool(account.personal_notes),
    }


def known_from(context: ReviewContext) -> datetime:
    """The account's first known moment, where clocks that run since "always" start.

    That is :func:`~kamcore.review.principles._known.known_since`, or ``context.as_of``
    when nothing dated is known (no ``client_since``, no transaction, no event).
    """
    known = known_since(context.client, context.as_of)
    # Nothing dated to anchor on: the review is the first moment the account is seen.
    return known[0] if known is not None else context.as_of


def _know_the_client(context: ReviewContext) -> Iterator[Finding]:
    account = context.client.account
    parts = profile_parts(account)
    # profile_parts lists the parts in PROFILE_PARTS order, so the missing ones are too.
    missing = tuple([part for part, present in parts.items() if not present])
    share = (len(PROFILE_PARTS) - len(missing)) / len(PROFILE_PARTS)
    if not account.contacts:
        yield context.finding(
            principle="know_the_client",
            code="no_contacts",
            severity="violation",
            params={"name": account.name},
            action="complete_profile",
            due=known_from(context) + _NAME_SOMEONE_WITHIN,
        )
    if share < context.settings.completeness:
        yield context.finding(
            principle="know_the_client",
            code="profile_incomplete",
            severity="violation" if context.key else "warning",
            params={
                "missing": missing,
                "contacts_without_position": tuple(
                    [c.id for c in account.contacts if c.position is None]
                ),
                "contacts_without_channel": tuple(
                    [c.id for c in account.contacts if c.channel is None]
                ),
            },
            values={"completeness": share, "required": context.settings.completeness},
            action="complete_profile",
            due=known_from(context) + COMPLETE_WITHIN,
        )


KNOW_THE_CLIENT = SimplePrinciple(
    "know_the_client",
    "Know the client",
    {
        "profile_incomplete": "too little of the client file is filled in (contacts with "
        "positions and channels, needs, preferences, personal notes): fill in the missing parts",
        "no_contacts": "the client file names no person at the client: record at least one "
        "contact with position and preferred channel",
    },
    _know_the_client,
)
