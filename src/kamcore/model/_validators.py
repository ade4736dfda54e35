"""Shared attrs validators for the client-file model.

They raise :class:`~kamcore.errors.InvalidValueError`, which names the field, so
a bad value is reported the same way whether it comes from code or from a file.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, NoReturn

import attrs

from kamcore.errors import InvalidValueError

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

CURRENCY_CODE_LENGTH: Final = 3
MAX_EXPONENT: Final = 40

_AT: Final = operator.attrgetter("at")


def _record_id(instance: Any) -> str | None:
    # Validators run in attribute order and ``id`` is always declared first.
    value = getattr(instance, "id", None)
    return value if isinstance(value, str) and value.strip() else None


def fail(instance: Any, field: str, reason: str) -> NoReturn:
    """Raise :class:`InvalidValueError` for *field* of *instance*."""
    raise InvalidValueError(field, reason, record_id=_record_id(instance))


def aware(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Require a timezone-aware :class:`datetime`."""
    if not isinstance(value, datetime):
        fail(instance, attribute.name, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        fail(instance, attribute.name, "naive datetime; give an offset")


def optional_aware(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Like :func:`aware` but accepts ``None``."""
    if value is not None:
        aware(instance, attribute, value)


def text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Require a string that is not blank."""
    if not isinstance(value, str):
        fail(instance, attribute.name, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        fail(instance, attribute.name, "must not be blank")


def optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Like :func:`text` but accepts ``None``."""
    if value is not None:
        text(instance, attribute, value)


def texts(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Require a tuple of non-blank strings."""
    if not isinstance(value, tuple):
        fail(instance, attribute.name, f"expected a list of strings, got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            fail(instance, f"{attribute.name}[{index}]", "must be a non-blank string")


def one_of(choices: Collection[str]) -> Validator:
    """Require one of *choices*; the error lists them."""
    ordered = sorted(choices)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in choices:
            fail(instance, attribute.name, f"{value!r} is not one of {', '.join(ordered)}")

    return check


def instances_of(kind: type) -> Validator:
    """Require a tuple whose items are all *kind*."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, tuple):
            fail(instance, attribute.name, f"expected a tuple, got {type(value).__name__}")
        if _all_instances(value, kind):
            return
        for index, item in enumerate(value):
            if not isinstance(item, kind):
                fail(
                    instance,
                    f"{attribute.name}[{index}]",
                    f"expected {kind.__name__}, got {type(item).__name__}",
                )

    return check


def finite_decimal(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Require a finite :class:`~decimal.Decimal` (never a float: money is exact)."""
    if not isinstance(value, Decimal):
        fail(instance, attribute.name, f"expected a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        fail(instance, attribute.name, "must be a finite number")
    if abs(value.adjusted()) > MAX_EXPONENT:
        fail(instance, attribute.name, "is out of range for an amount (beyond 10**40)")


def score(low: float, high: float) -> Validator:
    """Require ``None`` or a number within ``[low, high]``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(instance, attribute.name, f"expected a number, got {type(value).__name__}")
        if (isinstance(value, float) and math.isnan(value)) or not low <= value <= high:
            fail(instance, attribute.name, f"{value!r} is outside {low:g}..{high:g}")

    return check


def currency(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Require an ISO 4217 code: three upper-case ASCII letters."""
    if not (
        isinstance(value, str)
        and len(value) == CURRENCY_CODE_LENGTH
        and value.isascii()
        and value.isalpha()
        and value.isupper()
    ):
        fail(instance, attribute.name, f"{value!r} is not an ISO 4217 code such as EUR")


def frozen_tuple(items: Iterable[Any]) -> tuple[Any, ...]:
    """Converter: a list or other collection becomes a tuple, so records stay immutable.

    Text, mappings and non-iterables are left as they are for the validator to
    refuse: ``"abc"`` must not quietly become ``("a", "b", "c")``.
    """
    # The usual cases first: the abstract-class checks below cost more than the
    # conversion itself (and ``tuple(items)`` of a tuple is *items*).
    if type(items) is tuple:
        return items
    if type(items) is list:
        return tuple(items)
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        return items  # type: ignore[return-value]
    return tuple(items)


def instance(kind: type) -> Validator:
    """Require an instance of *kind* (``True``/``False`` only for ``bool``)."""

    def check(instance_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, kind) or (kind is date and isinstance(value, datetime)):
            fail(
                instance_,
                attribute.name,
                f"expected {_kind_name(kind)}, got {type(value).__name__}",
            )

    return check


def optional_instance(kind: type) -> Validator:
    """Like :func:`instance` but accepts ``None``."""
    check = instance(kind)

    def optional(instance_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            check(instance_, attribute, value)

    return optional


def _kind_name(kind: type) -> str:
    return {bool: "true or false", date: "a date (not a datetime)"}.get(kind, kind.__name__)


def as_float(value: Any) -> Any:
    """Converter: a whole number becomes a float, so ``4`` and ``4.0`` are one score.

    Anything else is left for the validator to judge.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def chronological(
    items: Iterable[Any], kind: type, tie_break: Callable[[Any], Any] | None = None
) -> tuple[Any, ...]:
    """Converter: records of *kind* sorted by their ``at``, then by *tie_break* (a stable sort).

    When an item is not a *kind*, the items are left unsorted for the
    validator to refuse, rather than failing inside the sort.
    """
    converted = frozen_tuple(items)
    if not (isinstance(converted, tuple) and _all_instances(converted, kind)):
        return converted
    times = list(map(_AT, converted))
    if all(map(operator.lt, times, times[1:])):
        # Already in time order with no two at the same moment (the usual case: a
        # source written in order), so there is nothing to sort and no tie to break.
        return converted
    key = _AT if tie_break is None else lambda item: (item.at, tie_break(item))
    return tuple(sorted(converted, key=key))


def first_repeated(ids: Sequence[str]) -> int | None:
    """The position of the first of *ids* that came before it, or ``None`` when all differ."""
    if len(set(ids)) == len(ids):
        return None  # the usual case, decided in C
    seen: set[str] = set()
    for index, id_ in enumerate(ids):
        if id_ in seen:
            return index
        seen.add(id_)
    return None  # unreachable: the set was smaller than the ids


def _all_instances(items: tuple[Any, ...], kind: type) -> bool:
    # One pass in C: the records of a timeline or a portfolio are checked on every build.
    return all(map(isinstance, items, itertools.repeat(kind)))
