"""``kamcore show``: one client file as text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from kamcore.cli._accounts import UNKNOWN
from kamcore.cli._moment import show_moment
from kamcore.cli._render import cell, table
from kamcore.fileformat import encode_event
from kamcore.model import Account, ClientFile, Event, StaffMember

__all__ = ["client_file_text", "event_details"]

INDENT = "  "
_PLAIN = re.compile(r"[^\s\"=\[\],]+")
# Shown in the date, kind and id columns of a timeline line, not among the details.
_EVENT_COLUMNS = frozenset({"kind", "id", "at"})


def _value(value: Any) -> str:
    """A JSON value of an event field, compact and on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if _PLAIN.fullmatch(value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        # A nested record (an attached document) is shown by its name when it has one.
        if "name" in value:
            return _value(value["name"])
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def event_details(event: Event) -> str:
    """The fields of *event* that are set, as ``name=value`` pairs.

    Generic over every event class: it shows what the file format would write
    (fields at their default are left out), except the kind, id and time.
    Text with spaces is quoted; lists are bracketed.
    """
    return "  ".join(
        f"{name}={_value(value)}"
        for name, value in encode_event(event).items()
        if name not in _EVENT_COLUMNS
    )


def _fact(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _section(title: str, lines: Iterable[str]) -> list[str]:
    body = list(lines)
    return ["", title, *(body or [f"{INDENT}(none)"])]


def _bullets(items: Iterable[str]) -> list[str]:
    return [f"{INDENT}- {cell(item)}" for item in items]


def _owner(account: Account, staff: Sequence[StaffMember]) -> str:
    member = next((m for m in staff if m.id == account.owner), None)
    return f"{account.owner} ({member.name})" if member else account.owner


def _profile(account: Account, staff: Sequence[StaffMember]) -> list[str]:
    rows = [
        ["id", account.id],
        ["name", account.name],
        ["owner", _owner(account, staff)],
        ["tier", account.tier or UNKNOWN],
        ["client since", account.client_since.isoformat() if account.client_since else UNKNOWN],
    ]
    return _section("Profile", table(rows, indent=INDENT))


def _contacts(account: Account) -> list[str]:
    rows = [
        [c.id, c.name, c.position or UNKNOWN, c.channel or UNKNOWN, c.language or UNKNOWN]
        for c in account.contacts
    ]
    header = ("ID", "NAME", "POSITION", "CHANNEL", "LANGUAGE")
    title = f"Contacts ({len(rows)})"
    return _section(title, table(rows, header=header, indent=INDENT) if rows else [])


def _personal_notes(account: Account) -> list[str]:
    lines = []
    for note in account.personal_notes:
        text = f"{note.topic}: {note.text}" if note.topic else note.text
        if note.contact_id:
            contact = account.contact(note.contact_id)
            about = f"{note.contact_id} {contact.name}" if contact else note.contact_id
            text += f" (about {about})"
        lines.append(text)
    return _section("Personal notes", _bullets(lines))


def _transactions(client: ClientFile) -> list[str]:
    rows = [
        [t.at.date().isoformat(), t.id, t.product, format(t.amount, "f"), t.currency]
        for t in client.transactions
    ]
    header = ("DATE", "ID", "PRODUCT", "AMOUNT", "CURRENCY")
    lines = (
        table(rows, header=header, align=("left", "left", "left", "right"), indent=INDENT)
        if rows
        else []
    )
    return _section(f"Transactions ({len(rows)})", lines)


def _timeline(client: ClientFile) -> list[str]:
    rows = [[show_moment(e.at), e.kind, e.id, event_details(e)] for e in client.timeline.events]
    count = len(rows)
    title = f"Timeline ({count} event{'' if count == 1 else 's'})"
    return _section(title, table(rows, indent=INDENT))


def client_file_text(
    client: ClientFile, *, moment: datetime, staff: Sequence[StaffMember] = ()
) -> list[str]:
    """The ``--format table`` output of ``kamcore show``: the client file, section by section.

    Args:
        client: the client file, already cut at *moment*.
        moment: the moment it is shown as of, printed in the heading.
        staff: the portfolio's staff, to name the owner.

    Returns:
        The lines: a heading, then the profile, facts, contacts, needs,
        preferences, personal notes, transactions and timeline (oldest first).
    """
    account = client.account
    facts = table([[name, _fact(value)] for name, value in account.facts.items()], indent=INDENT)
    return [
        cell(f"{account.id}  {account.name}"),
        f"as of {show_moment(moment)}",
        *_profile(account, staff),
        *_section("Facts", facts),
        *_contacts(account),
        *_section("Needs", _bullets(account.needs)),
        *_section("Preferences", _bullets(account.preferences)),
        *_personal_notes(account),
        *_transactions(client),
        *_timeline(client),
    ]
