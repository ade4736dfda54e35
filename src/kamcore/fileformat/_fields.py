"""Field-by-field conversion between JSON values and model attributes.

The file format maps each model class's attrs fields one to one onto JSON
keys, so one table of converters, chosen by the field's type, reads and writes
every record. A converter raises :class:`BadValue` with a message for people.
"""

from __future__ import annotations

import math
import re
import sys
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from kamcore.errors import InvalidValueError
from kamcore.model import Contact, Document, PersonalNote
from kamcore.model._validators import MAX_EXPONENT

__all__ = [
    "BadValue",
    "FieldPlan",
    "dump_record",
    "plan",
    "read_bool",
    "read_datetime",
    "read_decimal",
    "read_fields",
    "read_int",
    "read_number",
    "read_text",
]


class BadValue(Exception):
    """A JSON value that cannot become the field's value; the message says why."""


Reader = Callable[[Any], Any]

MAX_MAGNITUDE = 10**MAX_EXPONENT

# Plain ASCII decimal notation, as the JSON Schema has it: no spaces, no
# underscores, no other scripts' digits.
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
Writer = Callable[[Any], Any]


_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (type(None), "null"),
    (bool, "true/false"),
    ((int, float, Decimal), "a number"),
    (str, "a string"),
    (list, "a list"),
    (dict, "an object"),
)


def _json_type(value: Any) -> str:
    return next(
        (name for kind, name in _JSON_TYPES if isinstance(value, kind)), type(value).__name__
    )


def read_text(value: Any) -> str:
    """A non-blank string."""
    if not isinstance(value, str):
        raise BadValue(f"expected a string, got {_json_type(value)}")
    if not value.strip():
        raise BadValue("must not be blank")
    # Names, owners, channels, topics and references repeat across thousands of
    # records; the JSON parser gives each its own copy, one interned string serves all.
    return sys.intern(value) if type(value) is str else value


def read_bool(value: Any) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise BadValue(f"expected true or false, got {_json_type(value)}")
    return value


def read_datetime(value: Any) -> datetime:
    """Read an ISO 8601 date-time with an offset; a naive one is refused."""
    if not isinstance(value, str):
        raise BadValue(f"expected an ISO 8601 date-time string, got {_json_type(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(f"{value!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise BadValue("naive datetime; give an offset")
    return moment


def _read_date(value: Any) -> date:
    if not isinstance(value, str):
        raise BadValue(f"expected an ISO 8601 date string, got {_json_type(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadValue(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None


def read_decimal(value: Any) -> Decimal:
    """An exact amount, from a decimal string or a number."""
    # Numbers arrive as Decimal (the JSON reader parses floats that way) or as
    # strings; a float is never accepted, as money must stay exact.
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise BadValue(f'expected a decimal amount such as "1200.50", got {_json_type(value)}')
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise BadValue(f'{value!r} is not a decimal amount such as "-1200.50"')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise BadValue(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise BadValue("must be a finite amount")
    if abs(amount.adjusted()) > MAX_EXPONENT:
        raise BadValue(f"{value!r} is out of range for an amount")
    return amount


def read_number(value: Any) -> float:
    """A finite number (integers and decimals alike), as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise BadValue(f"expected a number, got {_json_type(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise BadValue("must be a finite number") from None
    if not math.isfinite(number):
        raise BadValue("must be a finite number")
    return number


def read_int(value: Any) -> int:
    """A whole number."""
    if isinstance(value, bool) or not isinstance(value, int):
        whole = (
            isinstance(value, Decimal | float)
            and math.isfinite(value)
            and abs(value) < MAX_MAGNITUDE
            and value == int(value)
        )
        if whole:
            return int(value)
        raise BadValue(f"expected a whole number, got {_json_type(value)}")
    return value


def _read_fact(value: Any) -> str | int | float | bool:
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, Decimal | float):
        return read_number(value)
    raise BadValue(f"expected text, a number or true/false, got {_json_type(value)}")


def _read_facts(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadValue(f"expected an object of facts, got {_json_type(value)}")
    facts, problems = {}, []
    for key, fact in value.items():
        try:
            facts[key] = _read_fact(fact)
        except BadValue as bad:
            problems.append(f"{key}: {bad}")
    if problems:
        raise BadValue("; ".join(problems))
    return facts


def _read_list(item: Reader) -> Reader:
    def read(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise BadValue(f"expected a list, got {_json_type(value)}")
        items, problems = [], []
        for index, element in enumerate(value):
            try:
                items.append(item(element))
            except BadValue as bad:
                problems.append(f"[{index}] {bad}")
        if problems:
            raise BadValue("; ".join(problems))
        return tuple(items)

    return read


def _read_record(cls: type) -> Reader:
    def read(value: Any) -> Any:
        if not isinstance(value, dict):
            raise BadValue(f"expected an object, got {_json_type(value)}")
        fields, problems = read_fields(cls, value)
        if problems:
            raise BadValue("; ".join(f"{name}: {message}" for name, message in problems))
        try:
            return cls(**fields)
        except InvalidValueError as error:
            raise BadValue(f"{error.field}: {error.reason}") from None

    return read


def _write_record(record: Any) -> dict[str, Any]:
    return {f.name: dump_value(f, getattr(record, f.name)) for f in _kept_fields(record)}


_READERS: dict[Any, Reader] = {
    str: read_text,
    bool: read_bool,
    datetime: read_datetime,
    date: _read_date,
    Decimal: read_decimal,
    float: read_number,
    int: read_int,
    tuple[str, ...]: _read_list(read_text),
    Mapping[str, str | int | float | bool]: _read_facts,
    tuple[Contact, ...]: _read_list(_read_record(Contact)),
    tuple[PersonalNote, ...]: _read_list(_read_record(PersonalNote)),
    tuple[Document, ...]: _read_list(_read_record(Document)),
}


def _writer(kind: Any) -> Writer:
    if kind in (datetime, date):
        return lambda value: value.isoformat()
    if kind is Decimal:
        return lambda value: format(value, "f")
    if kind in (tuple[Contact, ...], tuple[PersonalNote, ...], tuple[Document, ...]):
        return lambda records: [_write_record(r) for r in records]
    if kind == tuple[str, ...]:
        return list
    if kind == Mapping[str, str | int | float | bool]:
        return dict
    return lambda value: value


@attrs.frozen
class FieldPlan:
    """How one attrs field is read from and written to JSON."""

    name: str
    required: bool
    optional: bool
    default: Any
    read: Reader
    write: Writer


_PLANS: dict[type, tuple[FieldPlan, ...]] = {}


def plan(cls: type) -> tuple[FieldPlan, ...]:
    """The reading and writing plan for every init field of attrs class *cls*."""
    if cls not in _PLANS:
        _PLANS[cls] = _make_plan(cls)
    return _PLANS[cls]


def _make_plan(cls: type) -> tuple[FieldPlan, ...]:
    hints = typing.get_type_hints(cls)
    plans = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        kind = hints[field.name]
        optional = type(None) in typing.get_args(kind) and typing.get_origin(kind) is not tuple
        if optional:
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        plans.append(
            FieldPlan(
                name=field.name,
                required=field.default is attrs.NOTHING,
                optional=optional,
                default=default,
                read=_READERS[kind],
                write=_writer(kind),
            )
        )
    return tuple(plans)


_MISSING: Any = object()


class _Table:
    """A class's fields by name, for reading records of it quickly."""

    def __init__(self, plans: tuple[FieldPlan, ...], skip: frozenset[str]) -> None:
        self.by_name = {field.name: field for field in plans}
        self.required = frozenset(field.name for field in plans if field.required)
        self.allowed = frozenset(self.by_name) | skip


_TABLES: dict[tuple[type, frozenset[str]], _Table] = {}


def read_fields(
    cls: type, raw: Mapping[str, Any], *, skip: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Read *raw*'s keys into keyword arguments for *cls*.

    Keys in *skip* are left alone: the caller reads them (an event's ``kind``).

    Returns:
        The arguments that read well, and ``(field, problem)`` pairs for the rest,
        including missing required fields and keys *cls* does not know.
    """
    table = _TABLES.get((cls, skip))
    if table is None:
        table = _TABLES[cls, skip] = _Table(plan(cls), skip)
    # The usual record is sound: read just the keys it has. Problems are rare,
    # and the full pass below reports them all in field order.
    if raw.keys() <= table.allowed and table.required <= raw.keys():
        fields: dict[str, Any] = {}
        try:
            for key, value in raw.items():
                field = table.by_name.get(key)
                if field is not None and not (value is None and field.optional):
                    fields[key] = field.read(value)
        except BadValue:
            pass
        else:
            return fields, []
    return _read_every_field(cls, raw, table.allowed)


def _read_every_field(
    cls: type, raw: Mapping[str, Any], allowed: frozenset[str]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    fields: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for field in plan(cls):
        value = raw.get(field.name, _MISSING)
        if value is _MISSING:
            if field.required:
                problems.append((field.name, "missing"))
            continue
        if value is None and field.optional:
            continue
        try:
            fields[field.name] = field.read(value)
        except BadValue as bad:
            problems.append((field.name, str(bad)))
    problems.extend((key, "unknown field") for key in raw if key not in allowed)
    return fields, problems


def dump_value(field: FieldPlan, value: Any) -> Any:
    """The JSON form of *value* for *field*."""
    return field.write(value)


def _kept_fields(record: Any) -> tuple[FieldPlan, ...]:
    # Fields at their default are left out, so the written form is canonical.
    return tuple(
        f for f in plan(type(record)) if f.required or getattr(record, f.name) != f.default
    )


def dump_record(record: Any) -> dict[str, Any]:
    """The JSON object for model *record*: every field not at its default."""
    return _write_record(record)
