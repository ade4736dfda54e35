"""Know the client: is the client file complete enough to serve the client?"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from kamcore.model import Account
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple

__all__ = ["KNOW_THE_CLIENT", "PROFILE_PARTS", "profile_parts"]

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


def _know_the_client(context: ReviewContext) -> Iterator[Finding]:
    account = context.client.account
    parts = profile_parts(account)
    missing = tuple(part for part in PROFILE_PARTS if not parts[part])
    share = (len(PROFILE_PARTS) - len(missing)) / len(PROFILE_PARTS)
    if not account.contacts:
        yield context.finding(
            principle="know_the_client",
            code="no_contacts",
            severity="violation",
            params={"name": account.name},
            action="complete_profile",
            due=context.as_of + timedelta(days=1),
        )
    if share < context.settings.completeness:
        yield context.finding(
            principle="know_the_client",
            code="profile_incomplete",
            severity="violation" if context.key else "warning",
            params={
                "missing": missing,
                "contacts_without_position": tuple(
                    c.id for c in account.contacts if c.position is None
                ),
                "contacts_without_channel": tuple(
                    c.id for c in account.contacts if c.channel is None
                ),
            },
            values={"completeness": share, "required": context.settings.completeness},
            action="complete_profile",
            due=context.as_of + timedelta(days=7),
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
