"""Zoho users → the staff of the portfolio document, as pure functions.

Read only when the profile sets ``staff_roles``: each active user becomes a
staff member with the kamcore role its Zoho role maps to, the language of its
Zoho language or locale, and ``reports_to`` ← ``Reporting_To``, so a level of
the escalation ladder held by a role reaches the nearest holder up the owner's
own line (:class:`kamcore.escalation.Holder`).

What the decoder would refuse never reaches it: a ``Reporting_To`` naming a
user that was not read (deactivated, deleted) is dropped from that member, and
a reporting line that loops is broken at its first member; each with a warning.
A user record without an id or a name is quarantined (location ``users/ID``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from kamcore.errors import Problem
from kamcore.fileformat import Quarantined
from kamcore.model import StaffMember
from kamcore.model.portfolio import reporting_line_problem
from kamcore_adapters.zoho._mapping import _text
from kamcore_adapters.zoho._settings import StaffRoles

__all__ = ["LOCATION_PREFIX", "StaffRead", "language_tag", "staff_from_users"]

LOCATION_PREFIX: Final = "users/"
"""Where a quarantined user is said to be: ``users/5725767000000400001``."""

# ``en_US``, ``zh_CN``, ``sr_Latn_RS``, ``uk``: a language, then an optional script and region.
_LOCALE: Final = re.compile(
    r"(?P<language>[A-Za-z]{2,3})(?:[_-](?P<script>[A-Za-z]{4}))?"
    r"(?:[_-](?P<region>[A-Za-z]{2}|[0-9]{3}))?"
)


def language_tag(value: Any) -> str | None:
    """A Zoho language or locale (``en_US``) as a BCP 47 tag (``en-US``), or ``None``
    when it is not one that maps cleanly.

    Example::

        >>> language_tag("en_US"), language_tag("sr_latn_rs"), language_tag("uk")
        ('en-US', 'sr-Latn-RS', 'uk')
        >>> language_tag("English") is None, language_tag(None) is None
        (True, True)
    """
    text = _text(value)
    match = _LOCALE.fullmatch(text) if text is not None else None
    if match is None:
        return None
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts)


@attrs.frozen
class StaffRead:
    """The staff read from Zoho's users.

    Attributes:
        members: the staff entries of the portfolio document, in id order.
        set_aside: the user records that are no staff member (no id, no name, an
            id given twice), quarantined as ``staff`` at ``users/ID``.
        warnings: what was dropped so that the document stays sound (a
            ``Reporting_To`` naming a user not read, a reporting line that loops).
    """

    members: tuple[dict[str, Any], ...]
    set_aside: tuple[Quarantined, ...]
    warnings: tuple[str, ...]


def _name(user: Mapping[str, Any]) -> str | None:
    return _text(user.get("full_name")) or _text(
        " ".join(
            part for part in (_text(user.get("first_name")), _text(user.get("last_name"))) if part
        )
    )


def _identifier(value: Any) -> str | None:
    # Ids are numeric texts; a server may write them as JSON numbers.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _quarantined(index: int, user: Any, identifier: str | None, reason: str) -> Quarantined:
    location = f"{LOCATION_PREFIX}{identifier if identifier is not None else f'[{index}]'}"
    raw = dict(user) if isinstance(user, Mapping) else {"value": user}
    return Quarantined("staff", location, identifier, None, (Problem(location, reason),), raw)


def _member(user: Mapping[str, Any], identifier: str, name: str, roles: StaffRoles) -> StaffMember:
    role = user.get("role")
    role_name = _text(role.get("name")) if isinstance(role, Mapping) else None
    manager = user.get("Reporting_To")
    manager_id = _identifier(manager.get("id")) if isinstance(manager, Mapping) else None
    return StaffMember(
        id=identifier,
        name=name,
        role=roles.role_of(role_name),
        language=language_tag(user.get("language")) or language_tag(user.get("locale")),
        reports_to=manager_id,
    )


def _document_entry(member: StaffMember) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": member.id, "name": member.name, "role": member.role}
    if member.language is not None:
        entry["language"] = member.language
    if member.reports_to is not None:
        entry["reports_to"] = member.reports_to
    return entry


def staff_from_users(users: Iterable[Any], roles: StaffRoles) -> StaffRead:
    """The staff of the users Zoho listed, each role mapped by *roles*.

    Args:
        users: the user records as Zoho wrote them (``GET /crm/v8/users``).
        roles: the Zoho role → kamcore role map of the profile.

    Returns:
        The staff entries, the user records set aside, and the warnings.
    """
    read: dict[str, StaffMember] = {}
    manager_names: dict[str, str] = {}
    set_aside: list[Quarantined] = []
    for index, user in enumerate(users):
        if not isinstance(user, Mapping):
            set_aside.append(_quarantined(index, user, None, "the user is not a JSON object"))
            continue
        identifier, name = _identifier(user.get("id")), _name(user)
        if identifier is None or name is None:
            missing = [
                what for what, value in (("id", identifier), ("name", name)) if value is None
            ]
            reason = "the user has no " + " and no ".join(missing)
            set_aside.append(_quarantined(index, user, identifier, reason))
            continue
        if identifier in read:
            set_aside.append(
                _quarantined(index, user, identifier, f"a second user with the id {identifier!r}")
            )
            continue
        member = _member(user, identifier, name, roles)
        read[identifier] = member
        manager = user.get("Reporting_To")
        if member.reports_to is not None and isinstance(manager, Mapping):
            manager_names[identifier] = _text(manager.get("name")) or member.reports_to
    warnings: list[str] = []
    members = sorted(read.values(), key=lambda member: member.id)
    for position, member in enumerate(members):
        if member.reports_to is not None and member.reports_to not in read:
            warnings.append(
                f"{LOCATION_PREFIX}{member.id}: Reporting_To names {manager_names[member.id]} "
                f"({member.reports_to}), who is not an active user: {member.name} reports to no one"
            )
            members[position] = attrs.evolve(member, reports_to=None)
    # Every id named now is on the list, so a problem left is a loop: break it
    # where kamcore's own check names it, until every line ends.
    while (problem := reporting_line_problem(members)) is not None:
        position, reason = problem
        member = members[position]
        warnings.append(
            f"{LOCATION_PREFIX}{member.id}: {reason}; broken here: {member.name} reports to no one"
        )
        members[position] = attrs.evolve(member, reports_to=None)
    return StaffRead(
        tuple(_document_entry(member) for member in members), tuple(set_aside), tuple(warnings)
    )
