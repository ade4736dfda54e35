"""Zoho records → the kamcore portfolio document, as pure functions.

The adapter reads Accounts, Contacts, Deals, Tasks, Calls, Events and Notes as
Zoho returns them (JSON objects, amounts parsed as ``Decimal``) and this module
turns them into the documented portfolio document (docs/file-format.md), which
:func:`kamcore.fileformat.decode_portfolio` then validates like any file.

The mapping (see docs/connect-zoho.md for the table):

- an **Account** is a client file; its **Contacts** are the file's contacts;
- a **Deal** in a won stage is a transaction, an open deal counts in the facts
  ``open_deals`` and ``pipeline_amount``;
- a **Call** is an ``interaction`` on the ``call`` channel (a *missed* inbound
  call is a ``request`` the client made by phone); an **Event** (a meeting) an
  ``interaction`` on the ``meeting`` channel;
- a **Task** is a ``promise`` due at the end of its due date, and when completed
  a ``promise_kept`` too; tasks kamcore created itself (they carry an action
  key) are kamcore's own to-dos, not promises to the client, and are not read;
- a **Note** is a personal note of the account (Zoho notes have no channel and
  no client side, so turning them into interactions would fake contact);
  notes kamcore created are not read.

An activity, deal or note that names no account, directly or through its deal
or contact, cannot be placed in any client file: it is quarantined with that
reason instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Final

from kamcore.errors import Problem
from kamcore.fileformat import FORMAT, VERSION, Quarantined
from kamcore.fileformat.decode import RecordKind
from kamcore.model import CHANNELS
from kamcore_adapters.zoho._settings import FieldMapping

__all__ = [
    "KEY_MARKER",
    "MODULES",
    "Records",
    "account_of",
    "build_document",
    "module_fields",
    "touched_accounts",
    "utc_text",
]

MODULES: Final = ("Accounts", "Contacts", "Deals", "Tasks", "Calls", "Events", "Notes")
"""The modules a sync reads, in the order it reads them."""

KEY_MARKER: Final = "kamcore-key:"
"""The line ``kamcore-key: KEY`` marks a task or note kamcore created for the action *KEY*."""

_LOST_STAGE_PREFIX: Final = "closed"  # "Closed Lost", "Closed-Lost to Competition"

Records = Mapping[str, Mapping[str, Mapping[str, Any]]]
"""Records by module, then by id."""

_STANDARD_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "Accounts": (
        "Account_Name",
        "Owner",
        "Account_Type",
        "Industry",
        "Rating",
        "Annual_Revenue",
        "Employees",
        "Created_Time",
        "Modified_Time",
    ),
    "Contacts": (
        "Full_Name",
        "First_Name",
        "Last_Name",
        "Email",
        "Phone",
        "Mobile",
        "Title",
        "Account_Name",
        "Owner",
        "Modified_Time",
    ),
    "Deals": (
        "Deal_Name",
        "Amount",
        "Currency",
        "Stage",
        "Closing_Date",
        "Account_Name",
        "Owner",
        "Created_Time",
        "Modified_Time",
    ),
    "Tasks": (
        "Subject",
        "Due_Date",
        "Status",
        "What_Id",
        "Who_Id",
        "Closed_Time",
        "Owner",
        "Description",
        "Created_Time",
        "Modified_Time",
    ),
    "Calls": (
        "Subject",
        "Call_Type",
        "Call_Start_Time",
        "Call_Duration",
        "Call_Purpose",
        "Call_Result",
        "What_Id",
        "Who_Id",
        "Owner",
        "Created_Time",
        "Modified_Time",
    ),
    "Events": (
        "Event_Title",
        "Start_DateTime",
        "End_DateTime",
        "What_Id",
        "Who_Id",
        "Owner",
        "Created_Time",
        "Modified_Time",
    ),
    "Notes": ("Note_Title", "Note_Content", "Parent_Id", "Owner", "Created_Time", "Modified_Time"),
}


def module_fields(module: str, fields: FieldMapping) -> tuple[str, ...]:
    """The ``fields`` parameter for *module*: the standard fields and the mapped custom ones."""
    custom = {
        "Accounts": (fields.tier, fields.client_since, fields.needs, fields.preferences),
        "Contacts": (fields.contact_channel, fields.contact_language),
        "Tasks": (fields.key,),
    }.get(module, ())
    return _STANDARD_FIELDS[module] + tuple(name for name in custom if name)


# -------------------------------------------------------------------------------------------------
# Values
# -------------------------------------------------------------------------------------------------


def utc_text(value: Any) -> Any:
    """A Zoho date-time (with the user's offset) as an RFC 3339 UTC text.

    A value that is not a date-time with an offset is returned unchanged, so
    that the decoder reports it with its location instead of it vanishing.
    """
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _offset_of(value: Any) -> timedelta:
    """The UTC offset of a Zoho date-time: the time zone of the user Zoho answered for."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return timedelta(0)
        offset = moment.utcoffset()
        if offset is not None:
            return offset
    return timedelta(0)


def _day_at(day: Any, clock: time, offset: timedelta) -> Any:
    """A Zoho date (``yyyy-MM-dd``) at *clock* in the zone *offset*, as UTC text."""
    if not isinstance(day, str):
        return day
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return day
    local = datetime.combine(parsed, clock, tzinfo=timezone(offset))
    return utc_text(local.isoformat())


def _lookup_id(value: Any) -> str | None:
    if type(value) is dict:  # JSON objects are dicts; an ABC check costs much more here
        identifier = value.get("id")
        return str(identifier) if identifier not in (None, "") else None
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _lines(value: Any) -> list[str]:
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    if isinstance(value, list):  # a multi-select picklist
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


def _is_kamcore_record(record: Mapping[str, Any], text_field: str, key_field: str) -> bool:
    if _text(record.get(key_field)):
        return True
    text = record.get(text_field)
    return isinstance(text, str) and any(
        line.strip().startswith(KEY_MARKER) for line in text.splitlines()
    )


# -------------------------------------------------------------------------------------------------
# Which account a record belongs to
# -------------------------------------------------------------------------------------------------


def account_of(module: str, record: Mapping[str, Any], records: Records) -> str | None:
    """The id of the account *record* belongs to, or ``None`` when it names none.

    Activities name their account through ``What_Id`` (an account, or a deal of
    the account) or, failing that, their contact (``Who_Id``); notes through
    ``Parent_Id``; contacts and deals through ``Account_Name``.
    """
    if module == "Accounts":
        return str(record["id"])
    if module in ("Contacts", "Deals"):
        return _lookup_id(record.get("Account_Name"))
    if module == "Notes":
        parent = record.get("Parent_Id")
        return _through(_module_of(parent, record), _lookup_id(parent), records)
    what = record.get("What_Id")
    what_account = _through(_module_of(what, record), _lookup_id(what), records)
    if what_account is not None:
        return what_account
    return _through("Contacts", _lookup_id(record.get("Who_Id")), records)


def _module_of(lookup: Any, record: Mapping[str, Any]) -> Any:
    """The module a ``What_Id`` or ``Parent_Id`` points into, as far as Zoho said.

    v8 names it inside the lookup (``{"module": {"api_name": ...}}``), v2 and
    the activities beside it (``$se_module``); a server may also say neither
    unless ``$se_module`` was asked for (``None``: found by id, see :func:`_through`).
    """
    if isinstance(lookup, Mapping) and isinstance(lookup.get("module"), Mapping):
        named = lookup["module"].get("api_name")
        if named:
            return named
    return record.get("$se_module")


def _through(module: Any, identifier: str | None, records: Records) -> str | None:
    if identifier is None:
        return None
    if module is None:
        # Zoho record ids are unique across modules: the module that holds the id is it.
        module = next(
            (
                name
                for name in ("Accounts", "Deals", "Contacts")
                if identifier in records.get(name, {})
            ),
            None,
        )
    if module == "Accounts":
        return identifier
    if module in ("Deals", "Contacts"):
        parent = records.get(module, {}).get(identifier)
        return _lookup_id(parent.get("Account_Name")) if parent is not None else None
    return None


def touched_accounts(
    changed: Mapping[str, Iterable[str]], before: Records, after: Records
) -> set[str]:
    """The accounts whose client file the changed records touch, before or after the change.

    A contact moved from one account to another touches both.
    """
    touched: set[str] = set()
    for module, identifiers in changed.items():
        for identifier in identifiers:
            for state in (before, after):
                record = state.get(module, {}).get(identifier)
                if record is not None and (account := account_of(module, record, state)):
                    touched.add(account)
    return {account for account in touched if account in after.get("Accounts", {})}


# -------------------------------------------------------------------------------------------------
# Records → document
# -------------------------------------------------------------------------------------------------


def _owner_id(record: Mapping[str, Any]) -> str | None:
    return _lookup_id(record.get("Owner"))


def _contact(record: Mapping[str, Any], fields: FieldMapping) -> dict[str, Any]:
    name = _text(record.get("Full_Name")) or " ".join(
        part for part in (_text(record.get("First_Name")), _text(record.get("Last_Name"))) if part
    )
    contact: dict[str, Any] = {"id": str(record["id"]), "name": name or None}
    optional = {
        "position": _text(record.get("Title")),
        "email": _text(record.get("Email")),
        "phone": _text(record.get("Phone")) or _text(record.get("Mobile")),
    }
    if fields.contact_channel:
        channel = (_text(record.get(fields.contact_channel)) or "").lower()
        optional["channel"] = channel if channel in CHANNELS else None
    if fields.contact_language:
        optional["language"] = _text(record.get(fields.contact_language))
    contact.update({key: value for key, value in optional.items() if value is not None})
    return contact


class _Builder:
    """Builds client files from an indexed set of records; collects what cannot be placed."""

    def __init__(
        self, records: Records, fields: FieldMapping, currency: str, won: Sequence[str]
    ) -> None:
        self.records = records
        self.fields = fields
        self.currency = currency
        self.won = frozenset(won)
        self.set_aside: list[Quarantined] = []
        self.by_account: dict[str, dict[str, list[Mapping[str, Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.staff: dict[str, str] = {}
        for module in MODULES[1:]:
            for record in records.get(module, {}).values():
                self.place(module, record)

    def place(self, module: str, record: Mapping[str, Any]) -> None:
        account = account_of(module, record, self.records)
        if account is not None and account in self.records.get("Accounts", {}):
            self.by_account[account][module].append(record)
        elif module != "Contacts":  # a contact of no account is a person, not a client file
            self.unplaced(module, record, account)

    def unplaced(self, module: str, record: Mapping[str, Any], account: str | None) -> None:
        identifier = str(record.get("id"))
        location = f"{module}/{identifier}"
        reason = (
            f"names account {account}, which was not read"
            if account is not None
            else "is linked to no account (neither directly nor through a deal or contact)"
        )
        kind: RecordKind = "transaction" if module == "Deals" else "event"
        self.set_aside.append(
            Quarantined(
                kind, location, identifier, account, (Problem(location, reason),), dict(record)
            )
        )

    def person(self, record: Mapping[str, Any]) -> str | None:
        owner = record.get("Owner")
        identifier = _lookup_id(owner)
        if identifier is not None and isinstance(owner, Mapping):
            name = _text(owner.get("name"))
            if name:
                self.staff.setdefault(identifier, name)
        return identifier

    def client_file(self, account: Mapping[str, Any]) -> dict[str, Any]:
        identifier = str(account["id"])
        related = self.by_account.get(identifier, {})
        document: dict[str, Any] = {
            "id": identifier,
            "name": account.get("Account_Name"),
            "owner": self.person(account),
        }
        fields = self.fields
        if fields.tier and (tier := _text(account.get(fields.tier))):
            document["tier"] = tier
        if fields.client_since and account.get(fields.client_since) is not None:
            document["client_since"] = account.get(fields.client_since)
        facts = self.facts(account, related.get("Deals", []))
        if facts:
            document["facts"] = facts
        contacts = [_contact(c, fields) for c in related.get("Contacts", [])]
        if contacts:
            document["contacts"] = contacts
        for key, name in (("needs", fields.needs), ("preferences", fields.preferences)):
            if name and (values := _lines(account.get(name))):
                document[key] = values
        notes = [
            note
            for record in related.get("Notes", [])
            if (note := self.personal_note(record)) is not None
        ]
        if notes:
            document["personal_notes"] = notes
        transactions = [
            self.transaction(deal)
            for deal in related.get("Deals", [])
            if deal.get("Stage") in self.won
        ]
        if transactions:
            document["transactions"] = transactions
        contact_ids = {c["id"] for c in contacts}
        events = [
            event
            for module in ("Calls", "Events", "Tasks")
            for record in related.get(module, [])
            for event in self.events(module, record, contact_ids)
        ]
        if events:
            document["events"] = events
        return {key: value for key, value in document.items() if value is not None}

    def facts(
        self, account: Mapping[str, Any], deals: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        for name, field in (
            ("industry", "Industry"),
            ("account_type", "Account_Type"),
            ("rating", "Rating"),
        ):
            if text := _text(account.get(field)):
                facts[name] = text
        for name, field in (("annual_revenue", "Annual_Revenue"), ("employees", "Employees")):
            value = account.get(field)
            if isinstance(value, int | Decimal) and not isinstance(value, bool):
                facts[name] = value
        open_deals = [
            deal
            for deal in deals
            if deal.get("Stage") not in self.won
            and not str(deal.get("Stage") or "").lower().startswith(_LOST_STAGE_PREFIX)
        ]
        if open_deals:
            facts["open_deals"] = len(open_deals)
            facts["pipeline_amount"] = sum(
                (
                    deal["Amount"]
                    for deal in open_deals
                    if isinstance(deal.get("Amount"), int | Decimal)
                ),
                Decimal(0),
            )
        return facts

    def personal_note(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        if _is_kamcore_record(record, "Note_Content", ""):
            return None
        text = _text(record.get("Note_Content")) or _text(record.get("Note_Title"))
        if text is None:
            # A blank note would cost the whole account in the decoder: set it aside alone.
            location = f"Notes/{record.get('id')}"
            self.set_aside.append(
                Quarantined(
                    "event",
                    location,
                    str(record.get("id")),
                    account_of("Notes", record, self.records),
                    (Problem(location, "the note has neither a title nor a text"),),
                    dict(record),
                )
            )
            return None
        note = {"text": text}
        if (title := _text(record.get("Note_Title"))) and title != text:
            note["topic"] = title
        return note

    def transaction(self, deal: Mapping[str, Any]) -> dict[str, Any]:
        self.person(deal)
        offset = _offset_of(deal.get("Modified_Time") or deal.get("Created_Time"))
        transaction = {
            "id": str(deal["id"]),
            "at": _day_at(deal.get("Closing_Date"), time(12, 0), offset),
            "product": deal.get("Deal_Name"),
            "amount": deal.get("Amount"),
            "currency": _text(deal.get("Currency")) or self.currency,
        }
        return {key: value for key, value in transaction.items() if value is not None}

    def events(
        self, module: str, record: Mapping[str, Any], contact_ids: set[str]
    ) -> list[dict[str, Any]]:
        identifier = str(record["id"])
        by = self.person(record)
        who = _lookup_id(record.get("Who_Id"))
        common: dict[str, Any] = {"id": identifier, "by": by}
        contact = who if who in contact_ids else None
        if module == "Calls":
            subject = _text(record.get("Subject"))
            at = utc_text(record.get("Call_Start_Time"))
            if record.get("Call_Type") == "Missed":
                event = {**common, "kind": "request", "at": at, "subject": subject}
                event.update({"channel": "call", "contact_id": contact})
            else:
                purpose = _text(record.get("Call_Purpose"))
                event = {
                    **common,
                    "kind": "interaction",
                    "at": at,
                    "channel": "call",
                    "initiated_by": "client" if record.get("Call_Type") == "Inbound" else "us",
                    "topics": [purpose.lower()] if purpose else None,
                    "contact_id": contact,
                    "summary": _text(record.get("Call_Result")) or subject,
                }
            return [_compact(event)]
        if module == "Events":
            event = {
                **common,
                "kind": "interaction",
                "at": utc_text(record.get("Start_DateTime")),
                "channel": "meeting",
                "contact_id": contact,
                "summary": _text(record.get("Event_Title")),
            }
            return [_compact(event)]
        # Tasks
        if _is_kamcore_record(record, "Description", self.fields.key):
            return []
        created = record.get("Created_Time")
        promise = {
            **common,
            "kind": "promise",
            "at": utc_text(created),
            "what": _text(record.get("Subject")),
            "due": _day_at(record.get("Due_Date"), time(23, 59, 59), _offset_of(created)),
            "contact_id": contact,
        }
        events = [_compact(promise)]
        if record.get("Status") == "Completed":
            kept_at = record.get("Closed_Time") or record.get("Modified_Time")
            kept = {
                "kind": "promise_kept",
                "id": f"{identifier}-kept",
                "at": utc_text(kept_at),
                "by": by,
                "promise_id": identifier,
            }
            events.append(_compact(kept))
        return events


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if value is not None}


def build_document(
    records: Records,
    *,
    fields: FieldMapping,
    currency: str,
    won_stages: Sequence[str],
    exported_at: datetime,
    only: Iterable[str] | None = None,
    staff: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[dict[str, Any], list[Quarantined]]:
    """The portfolio document of *records*, and the records that fit no client file.

    Args:
        records: every record read, by module and id (the whole org, so that an
            activity on a deal can be placed through the deal).
        fields: the custom-field mapping.
        currency: the currency of deals that carry none.
        won_stages: the deal stages that make a deal a transaction.
        exported_at: when the records were read.
        only: build only these accounts' files (an incremental sync); ``None`` for all.
        staff: the staff read from Zoho's users (see ``_staff.staff_from_users``);
            a record owner not among them still joins the staff as an account
            manager. ``None``: the staff are the owners alone.

    Returns:
        The document for :func:`kamcore.fileformat.decode_portfolio`, and every
        record that fits no client file, quarantined with its reason, to hand it
        as ``set_aside`` (an incremental sync keeps only those that changed).
    """
    builder = _Builder(records, fields, currency, won_stages)
    wanted = set(only) if only is not None else None
    accounts = [
        builder.client_file(account)
        for identifier, account in records.get("Accounts", {}).items()
        if wanted is None or identifier in wanted
    ]
    members: list[Mapping[str, Any]] = [
        {"id": identifier, "name": name} for identifier, name in builder.staff.items()
    ]
    if staff is not None:
        users = {member["id"] for member in staff}
        members = [*staff, *(owner for owner in members if owner["id"] not in users)]
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "staff": sorted(members, key=lambda member: str(member["id"])),
        "accounts": accounts,
    }
    return document, builder.set_aside
