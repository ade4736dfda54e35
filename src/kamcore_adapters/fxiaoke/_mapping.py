"""Turn Fenxiang Xiaoke records into kamcore portfolio-document records (pure functions).

The CRM's shapes: times are epoch milliseconds, numbers and money are strings,
employee fields are lists (``["1000"]``), select fields hold option values whose
labels come from the object's describe, and empty fields are left out. The
result is the documented portfolio document (docs/file-format.md), which
:func:`kamcore.fileformat.decode_portfolio` validates like any file source. A
value that cannot be converted at all (a time that is not a number) sets its
record aside here, with the reason and the record exactly as the CRM gave it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs

from kamcore.errors import Problem
from kamcore.fileformat import Quarantined
from kamcore_adapters.fxiaoke._settings import Settings

__all__ = [
    "Children",
    "FieldInfo",
    "Mapped",
    "Unmappable",
    "client_file",
    "epoch_ms_date",
    "epoch_ms_datetime",
    "exact_decimal",
    "fields_from_describe",
    "first_employee",
    "guess_channel",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# The vendor's home time zone, in which a date field's day is read.
_BEIJING: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
_NUMERIC_TYPES: Final = frozenset({"number", "currency", "percentile"})
_CHANNEL_WORDS: Final = (
    ("电话", "call"),
    ("call", "call"),
    ("phone", "call"),
    ("拜访", "visit"),
    ("visit", "visit"),
    ("会议", "meeting"),
    ("meeting", "meeting"),
    ("邮件", "email"),
    ("mail", "email"),
    ("演示", "demo"),
    ("demo", "demo"),
    ("微信", "message"),
    ("短信", "message"),
    ("message", "message"),
)


class Unmappable(ValueError):
    """A CRM value that has no kamcore meaning (a time that is not a number…)."""


@attrs.frozen
class FieldInfo:
    """What the describe says about one field.

    Attributes:
        type: the field type (``select_one``, ``number``, ``date_time``…), ``""`` if unknown.
        options: option value → label, for select fields.
    """

    type: str = ""
    options: Mapping[str, str] = attrs.field(factory=dict)


def fields_from_describe(describe: Mapping[str, Any]) -> dict[str, FieldInfo]:
    """The fields of an object's describe, by api name (tolerant of missing parts).

    >>> fields = fields_from_describe(
    ...     {
    ...         "fields": {
    ...             "account_level": {
    ...                 "type": "select_one",
    ...                 "options": [{"value": "1", "label": "重要客户"}],
    ...             }
    ...         }
    ...     }
    ... )
    >>> fields["account_level"].options["1"]
    '重要客户'
    """
    raw_fields = describe.get("fields")
    items: Iterable[Any]
    if isinstance(raw_fields, Mapping):
        items = raw_fields.items()
    elif isinstance(raw_fields, list):
        items = (
            (field.get("api_name") or field.get("apiName"), field)
            for field in raw_fields
            if isinstance(field, dict)
        )
    else:
        return {}
    fields: dict[str, FieldInfo] = {}
    for name, field in items:
        if not isinstance(name, str) or not isinstance(field, Mapping):
            continue
        options = {
            str(option["value"]): str(option.get("label") or option["value"])
            for option in field.get("options") or ()
            if isinstance(option, Mapping) and option.get("value") is not None
        }
        fields[name] = FieldInfo(str(field.get("type") or ""), options)
    return fields


def epoch_ms_datetime(value: Any) -> datetime:
    """An epoch-milliseconds value (a number or a string of digits) as a UTC datetime.

    >>> epoch_ms_datetime(1612247399397).isoformat()
    '2021-02-02T06:29:59.397000+00:00'

    Raises:
        Unmappable: not a whole number of milliseconds.
    """
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise Unmappable(f"{value!r} is not a time in epoch milliseconds")
    try:
        milliseconds = int(value)
        return _EPOCH + timedelta(milliseconds=milliseconds)
    except (ValueError, OverflowError, ArithmeticError):
        raise Unmappable(f"{value!r} is not a time in epoch milliseconds") from None


def epoch_ms_date(value: Any) -> str:
    """The calendar day of a date field's epoch-milliseconds value, ``YYYY-MM-DD``.

    A date is stored as the milliseconds of a midnight: Beijing's, UTC's, or the
    tenant's own. Read in Beijing time, each of those (and any midnight from
    UTC-12 to UTC+8) is still its own day; read in UTC, Beijing's is the day before.

    >>> epoch_ms_date(1740758400000)  # 2025-03-01 00:00 in Beijing
    '2025-03-01'
    >>> epoch_ms_date(1740787200000)  # 2025-03-01 00:00 UTC
    '2025-03-01'
    """
    return epoch_ms_datetime(value).astimezone(_BEIJING).date().isoformat()


def exact_decimal(value: Any) -> str:
    """A number or money value (the CRM sends strings such as ``"100.01"``) as an exact decimal text.

    >>> exact_decimal("100.01")
    '100.01'

    Raises:
        Unmappable: not a finite decimal number.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise Unmappable(f"{value!r} is not a decimal number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Unmappable(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise Unmappable(f"{value!r} is not a finite number")
    return str(number)


def first_employee(value: Any) -> str | None:
    """The first id of an employee field (``["1000"]`` → ``"1000"``); ``None`` when empty."""
    if isinstance(value, list):
        value = next((item for item in value if item not in (None, "")), None)
    if value is None or value == "":
        return None
    return str(value)


def guess_channel(label: str | None) -> str | None:
    """The channel a follow-up type's label names (``电话拜访`` → ``call``), if any."""
    if not label:
        return None
    lowered = label.lower()
    return next((channel for word, channel in _CHANNEL_WORDS if word in lowered), None)


def _first(record: Mapping[str, Any], names: Sequence[str]) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, "", []):
            return value
    return None


def _first_name(record: Mapping[str, Any], names: Sequence[str]) -> str | None:
    return next((name for name in names if record.get(name) not in (None, "", [])), None)


@attrs.frozen(kw_only=True)
class Children:
    """The records of one account, each list as the CRM gave it."""

    contacts: Sequence[Mapping[str, Any]] = ()
    opportunities: Sequence[Mapping[str, Any]] = ()
    orders: Sequence[Mapping[str, Any]] = ()
    activities: Sequence[Mapping[str, Any]] = ()


@attrs.frozen
class Mapped:
    """One client file as a portfolio-document account, and the records set aside.

    Attributes:
        account: the account object of the document, or ``None`` when the
            account itself was set aside.
        set_aside: the records that could not be converted, with their reasons.
    """

    account: dict[str, Any] | None
    set_aside: tuple[Quarantined, ...] = ()


class _Mapper:
    def __init__(self, settings: Settings, describes: Mapping[str, Mapping[str, FieldInfo]]):
        self.settings = settings
        self.describes = describes
        self.set_aside: list[Quarantined] = []

    def names(self, target: str) -> tuple[str, ...]:
        return self.settings.fields[target]

    def label(self, object_name: str, field: str | None, value: Any) -> str | None:
        if field is None:
            return None
        info = self.describes.get(object_name, {}).get(field)
        return info.options.get(str(value)) if info is not None else None

    def fact(self, object_name: str, field: str, value: Any) -> Any:
        info = self.describes.get(object_name, {}).get(field, FieldInfo())
        if isinstance(value, list):
            return ", ".join(info.options.get(str(item), str(item)) for item in value)
        if isinstance(value, bool | int):
            return value
        if isinstance(value, Decimal) or info.type in _NUMERIC_TYPES:
            number = Decimal(exact_decimal(value))
            return int(number) if number == number.to_integral_value() else number
        text = str(value)
        return info.options.get(text, text)

    def refuse(
        self,
        kind: Any,
        *,
        object_name: str,
        record: Mapping[str, Any],
        field: str,
        reason: str,
        account_id: str | None,
    ) -> None:
        record_id = str(record.get("_id") or "") or None
        location = f"{object_name} {record_id or '(no _id)'}"
        problem = Problem(f"{location}.{field}", reason)
        self.set_aside.append(
            Quarantined(kind, location, record_id, account_id, (problem,), dict(record))
        )

    def account(self, raw: Mapping[str, Any], children: Children) -> dict[str, Any] | None:
        account_id = str(raw["_id"])
        document: dict[str, Any] = {"id": account_id}
        try:
            self.profile(raw, document)
        except _Refused as refused:
            self.refuse(
                "account",
                object_name="AccountObj",
                record=raw,
                field=refused.field,
                reason=refused.reason,
                account_id=account_id,
            )
            for kind, object_name, records in (
                ("transaction", "SalesOrderObj", children.orders),
                ("event", "ActiveRecordObj", children.activities),
            ):
                for record in records:
                    self.refuse(
                        kind,
                        object_name=object_name,
                        record=record,
                        field="account_id",
                        reason=f"its account {account_id} was set aside",
                        account_id=account_id,
                    )
            return None
        contacts = [self.contact(record) for record in children.contacts]
        if contacts:
            document["contacts"] = contacts
        names = [
            str(value)
            for record in children.opportunities
            if (value := _first(record, self.names("opportunity_name"))) is not None
        ]
        if names:
            document["needs"] = list(dict.fromkeys(names))
        if children.opportunities:
            document.setdefault("facts", {})["opportunities"] = len(children.opportunities)
        transactions = [
            mapped
            for record in children.orders
            if (mapped := self.transaction(record, account_id)) is not None
        ]
        if transactions:
            document["transactions"] = transactions
        events = [
            mapped
            for record in children.activities
            # Follow-up records kamcore wrote back are its own actions, not client contact.
            if not record.get(self.settings.action_key_field)
            and (mapped := self.event(record, account_id)) is not None
        ]
        if events:
            document["events"] = events
        return document

    def profile(self, raw: Mapping[str, Any], document: dict[str, Any]) -> None:
        name = _first(raw, self.names("account_name"))
        if name is not None:
            document["name"] = str(name)
        owner = first_employee(_first(raw, self.names("account_owner")))
        if owner is not None:
            document["owner"] = owner
        level_field = _first_name(raw, self.names("account_tier"))
        if level_field is not None:
            level = str(raw[level_field])
            document["tier"] = self.settings.tier_of(
                level, self.label("AccountObj", level_field, level)
            )
        since_field = _first_name(raw, self.names("account_client_since"))
        if since_field is not None:
            document["client_since"] = _converted(epoch_ms_date, raw[since_field], since_field)
        facts: dict[str, Any] = {}
        for fact, field in self.settings.facts.items():
            if raw.get(field) not in (None, "", []):
                facts[fact] = _converted(
                    lambda value, f=field: self.fact("AccountObj", f, value), raw[field], field
                )
        if facts:
            document["facts"] = facts

    def contact(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        contact: dict[str, Any] = {"id": str(raw["_id"])}
        for target, key in (
            ("contact_name", "name"),
            ("contact_position", "position"),
            ("contact_email", "email"),
            ("contact_phone", "phone"),
        ):
            value = _first(raw, self.names(target))
            if value is not None:
                contact[key] = str(value)
        return contact

    def transaction(self, raw: Mapping[str, Any], account_id: str) -> dict[str, Any] | None:
        transaction: dict[str, Any] = {"id": str(raw["_id"])}
        try:
            at_field = _first_name(raw, self.names("order_at"))
            if at_field is not None:
                transaction["at"] = _moment(raw, at_field)
            product = _first(raw, self.names("order_product"))
            if product is not None:
                transaction["product"] = str(product)
            amount_field = _first_name(raw, self.names("order_amount"))
            if amount_field is not None:
                transaction["amount"] = _converted(exact_decimal, raw[amount_field], amount_field)
        except _Refused as refused:
            self.refuse(
                "transaction",
                object_name="SalesOrderObj",
                record=raw,
                field=refused.field,
                reason=refused.reason,
                account_id=account_id,
            )
            return None
        currency = _first(raw, self.names("order_currency"))
        transaction["currency"] = str(currency) if currency is not None else self.settings.currency
        return transaction

    def event(self, raw: Mapping[str, Any], account_id: str) -> dict[str, Any] | None:
        event: dict[str, Any] = {"kind": "interaction", "id": str(raw["_id"])}
        try:
            at_field = _first_name(raw, self.names("activity_at"))
            if at_field is not None:
                event["at"] = _moment(raw, at_field)
        except _Refused as refused:
            self.refuse(
                "event",
                object_name="ActiveRecordObj",
                record=raw,
                field=refused.field,
                reason=refused.reason,
                account_id=account_id,
            )
            return None
        by = first_employee(_first(raw, self.names("activity_by")))
        if by is not None:
            event["by"] = by
        event["channel"] = self.channel(raw)
        summary = _first(raw, self.names("activity_summary"))
        if summary is not None:
            event["summary"] = str(summary)
        return event

    def channel(self, raw: Mapping[str, Any]) -> str:
        field = _first_name(raw, self.names("activity_channel"))
        if field is None:
            return self.settings.default_channel
        value = str(raw[field])
        return (
            self.settings.channels.get(value)
            or guess_channel(self.label("ActiveRecordObj", field, value))
            or self.settings.default_channel
        )


class _Refused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _moment(record: Mapping[str, Any], field: str) -> str:
    """The epoch-ms value of *field* as an ISO 8601 UTC moment (refused when it is none)."""
    return str(_converted(lambda v: epoch_ms_datetime(v).isoformat(), record[field], field))


def _converted(convert: Any, value: Any, field: str) -> Any:
    try:
        return convert(value)
    except Unmappable as problem:
        raise _Refused(field, str(problem)) from None


def client_file(
    account: Mapping[str, Any],
    children: Children,
    settings: Settings,
    describes: Mapping[str, Mapping[str, FieldInfo]],
) -> Mapped:
    """One account's client file as a portfolio-document account.

    Args:
        account: the ``AccountObj`` record.
        children: its contacts, opportunities, sales orders and follow-up records.
        settings: the field mapping, tier map, channels and currency.
        describes: the describes of the objects, by object name then field.

    Returns:
        The document account (``None`` when the account itself cannot be
        converted) and the records set aside with their reasons. Missing values
        are left out, so that the decoder names them as it would for a file.
    """
    mapper = _Mapper(settings, describes)
    document = mapper.account(account, children)
    return Mapped(document, tuple(mapper.set_aside))
