"""Field-by-field conversion between JSON values and model attributes.

The file format maps each model class's attrs fields one to one onto JSON
keys, so one table of converters, chosen by the field's type, reads and writes
every record. A converter raises :class:`BadValue` with a message for people.
"""

from __future__ import annotations

import math
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs

from kamcore.errors import InvalidValueError
from kamcore.model import Contact, Document, PersonalNote
from kamcore.model import _validators as v
from kamcore.model._validators import MAX_EXPONENT

__all__ = [
    "BadValue",
    "FieldPlan",
    "RecordReader",
    "dump_record",
    "plan",
    "read_bool",
    "read_datetime",
    "read_decimal",
    "read_fields",
    "read_int",
    "read_number",
    "read_text",
    "record_reader",
]


class BadValue(Exception):
    """A JSON value that cannot become the field's value; the message says why."""


Reader = Callable[[Any], Any]

MAX_MAGNITUDE = 10**MAX_EXPONENT

# Plain ASCII decimal notation, as the JSON Schema has it: no spaces, no
# underscores, no other scripts' digits.
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
Writer = Callable[[Any], Any]

# The JSON kinds the number readers take, as tuples made once: a union such as
# ``str | int`` written in a call is built anew on every call.
_AMOUNT_KINDS: Final = (str, int, Decimal)
_NUMBER_KINDS: Final = (int, float, Decimal)
_FRACTION_KINDS: Final = (Decimal, float)
_PLAIN_FACT_KINDS: Final = (str, bool, int)


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
    if type(value) is str and value.strip():
        # The usual case, first: most values of a record are text. Names, owners,
        # channels, topics and references repeat across thousands of records; the
        # JSON parser gives each its own copy, one interned string serves all.
        return sys.intern(value)
    if not isinstance(value, str):
        raise BadValue(f"expected a string, got {_json_type(value)}")
    if not value.strip():
        raise BadValue("must not be blank")
    return value  # a subclass of str, which cannot be interned


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
    if isinstance(value, bool) or not isinstance(value, _AMOUNT_KINDS):
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
    if isinstance(value, bool) or not isinstance(value, _NUMBER_KINDS):
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
            isinstance(value, _FRACTION_KINDS)
            and math.isfinite(value)
            and abs(value) < MAX_MAGNITUDE
            and value == int(value)
        )
        if whole:
            return int(value)
        raise BadValue(f"expected a whole number, got {_json_type(value)}")
    return value


def _read_fact(value: Any) -> str | int | float | bool:
    if isinstance(value, _PLAIN_FACT_KINDS):
        return value
    if isinstance(value, _FRACTION_KINDS):
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
        record = record_reader(cls)(value)
        if record is not None:
            return record
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


_read_texts = _read_list(read_text)

_READERS: dict[Any, Reader] = {
    str: read_text,
    bool: read_bool,
    datetime: read_datetime,
    date: _read_date,
    Decimal: read_decimal,
    float: read_number,
    int: read_int,
    tuple[str, ...]: _read_texts,
    Mapping[str, str | int | float | bool]: _read_facts,
    tuple[Contact, ...]: _read_list(_read_record(Contact)),
    tuple[PersonalNote, ...]: _read_list(_read_record(PersonalNote)),
    tuple[Document, ...]: _read_list(_read_record(Document)),
}


# The model validators that a reader's values always pass: the one-pass reader
# does not run them a second time (tests/test_record_reader.py checks each pair).
_ENFORCED_BY: dict[Reader, frozenset[Any]] = {
    read_text: frozenset({v.text, v.optional_text}),
    _read_texts: frozenset({v.texts}),
    read_datetime: frozenset({v.aware, v.optional_aware}),
    read_decimal: frozenset({v.finite_decimal}),
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


def read_fields(
    cls: type, raw: Mapping[str, Any], *, skip: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Read *raw*'s keys into keyword arguments for *cls*, with every problem.

    Keys in *skip* are left alone: the caller reads them (an event's ``kind``).
    Sound records are read faster by :func:`record_reader`; this full pass says
    what is wrong with the others.

    Returns:
        The arguments that read well, and ``(field, problem)`` pairs for the rest,
        in field order: missing required fields, values that cannot be read, then
        keys *cls* does not know.
    """
    fields: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    plans = plan(cls)
    for field in plans:
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
    known = {field.name for field in plans} | skip
    problems.extend((key, "unknown field") for key in raw if key not in known)
    return fields, problems


RecordReader = Callable[[Mapping[str, Any]], Any]
"""Reads a JSON object into a record, or gives ``None`` when anything is wrong with it."""

_READ_RECORDS: dict[tuple[type, frozenset[str]], RecordReader] = {}


def record_reader(cls: type, skip: frozenset[str] = frozenset()) -> RecordReader:
    """The one-pass reader of sound JSON objects into records of attrs class *cls*.

    It gives the record that :func:`read_fields` and the class's constructor
    together give, or ``None`` at the first problem; the caller then takes that
    full pass, which says what every problem is. Keys in *skip* are allowed and
    left to the caller, as for :func:`read_fields`.

    Why it is fast: the constructor would check every value a second time and
    take its arguments through a dict. Instead, each field is read, converted
    and checked by the field's own converter and validator (the same rules as
    the constructor's: the model states them once) and set on the new record
    directly; the class's ``__attrs_post_init__`` checks the record as a whole
    last, as the constructor would.
    """
    reader = _READ_RECORDS.get((cls, skip))
    if reader is None:
        reader = _READ_RECORDS[cls, skip] = _compile_reader(cls, skip)
    return reader


_REQUIRED: Any = object()


def _compile_reader(cls: type, skip: frozenset[str]) -> RecordReader:
    attributes = {attribute.name: attribute for attribute in attrs.fields(cls)}
    plans = plan(cls)
    if len(plans) != len(attributes) or hasattr(cls, "__attrs_pre_init__"):
        # The reader does what the constructor does for these fields and no more.
        raise TypeError(f"{cls.__name__}: only init fields and a post-init check can be read")
    steps = [_step(cls, field, attributes[field.name]) for field in plans]
    allowed = frozenset(attributes) | skip
    new = object.__new__
    post_init = getattr(cls, "__attrs_post_init__", None)

    def read(raw: Mapping[str, Any]) -> Any:
        if not raw.keys() <= allowed:
            return None
        record: Any = new(cls)
        try:
            # What the constructor does, with the JSON reading first and no dict of arguments.
            for name, optional, default, read_json, convert, validate, attribute, set_slot in steps:
                value = raw.get(name, _MISSING)
                if value is _MISSING or (value is None and optional):
                    if default is _REQUIRED:
                        return None
                    set_slot(record, default)
                    continue
                value = read_json(value)
                if convert is not None:
                    value = convert(value)
                if validate is not None:
                    validate(record, attribute, value)
                set_slot(record, value)
            if post_init is not None:
                post_init(record)
        except Exception:
            # Whatever went wrong, the full pass reports it (or raises it) as it always did.
            return None
        return record

    return read


def _step(cls: type, field: FieldPlan, attribute: attrs.Attribute[Any]) -> tuple[Any, ...]:
    """How :func:`record_reader` reads *field*: its key, whether null means "left out",
    its default, its JSON reader, the converter and validator to run after it, the
    field (for the validator) and the setter of its slot."""
    converter = attribute.converter
    if isinstance(converter, getattr(attrs, "Converter", ())):
        raise TypeError(f"{attribute.name}: converter {converter!r} is not supported")
    validator = attribute.validator
    if validator in _ENFORCED_BY.get(field.read, ()):
        validator = None  # every value the reader gives passes it
    return (
        field.name,
        field.optional,
        _converted_default(attribute),
        field.read,
        converter,
        validator,
        attribute,
        _slot_setter(cls, field.name),
    )


def _converted_default(attribute: attrs.Attribute[Any]) -> Any:
    """The field's default as the constructor would set it; computed once, as the model's
    defaults are immutable (``None``, empty tuples, an empty read-only mapping)."""
    default: Any = attribute.default
    if default is attrs.NOTHING:
        return _REQUIRED
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            raise TypeError(f"{attribute.name}: a default that takes self is not supported")
        default = default.factory()
    convert: Callable[[Any], Any] | None = attribute.converter  # type: ignore[assignment]
    return default if convert is None else convert(default)


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """Set attribute *name* of a record of slotted *cls*, frozen or not, without checks."""
    slot = getattr(cls, name)
    if not isinstance(slot, types.MemberDescriptorType):
        raise TypeError(f"{cls.__name__} must be a slotted attrs class to be read")
    return slot.__set__


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
