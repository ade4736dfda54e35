"""Shared attrs validators for the client-file model.

They raise :class:`~kamcore.errors.InvalidValueError`, which names the field, so
a bad value is reported the same way whether it comes from code or from a file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, NoReturn

import attrs

from kamcore.errors import InvalidValueError

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

CURRENCY_CODE_LENGTH: Final = 3


def _record_id(instance: Any) -> str | None:
    # Validators run in attribute order and ``id`` is always declared first.
    value = getattr(instance, "id", None)
    return value if isinstance(value, str) else None


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


def score(low: float, high: float) -> Validator:
    """Require ``None`` or a number within ``[low, high]``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(instance, attribute.name, f"expected a number, got {type(value).__name__}")
        if math.isnan(value) or not low <= value <= high:
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
    """Converter: any iterable becomes a tuple, so records stay immutable."""
    return tuple(items)


def as_float(value: Any) -> Any:
    """Converter: a whole number becomes a float, so ``4`` and ``4.0`` are one score.

    Anything else is left for the validator to judge.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
