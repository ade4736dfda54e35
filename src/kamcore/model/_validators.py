"""Shared attrs validators for the client-file model.

They raise :class:`~kamcore.errors.InvalidValueError`, which names the field, so
a bad value is reported the same way whether it comes from code or from a file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from kamcore.errors import InvalidValueError

T = TypeVar("T")
Validator = Callable[[Any, "attrs.Attribute[T]", T], None]


def _record_id(instance: Any) -> str | None:
    # Validators run in attribute order and ``id`` is always declared first.
    value = getattr(instance, "id", None)
    return value if isinstance(value, str) else None


def fail(instance: Any, field: str, reason: str) -> None:
    """Raise :class:`InvalidValueError` for *field* of *instance*."""
    raise InvalidValueError(field, reason, record_id=_record_id(instance))


def aware(instance: Any, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    """Require a timezone-aware :class:`datetime`."""
    if not isinstance(value, datetime):
        fail(instance, attribute.name, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        fail(instance, attribute.name, "naive datetime; give an offset")


def optional_aware(
    instance: Any, attribute: attrs.Attribute[datetime | None], value: datetime | None
) -> None:
    """Like :func:`aware` but accepts ``None``."""
    if value is not None:
        aware(instance, attribute, value)  # type: ignore[arg-type]


def text(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    """Require a string that is not blank."""
    if not isinstance(value, str):
        fail(instance, attribute.name, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        fail(instance, attribute.name, "must not be blank")


def optional_text(instance: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    """Like :func:`text` but accepts ``None``."""
    if value is not None:
        text(instance, attribute, value)  # type: ignore[arg-type]


def texts(instance: Any, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
    """Require a tuple of non-blank strings."""
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            fail(instance, f"{attribute.name}[{index}]", "must be a non-blank string")


def one_of(choices: Collection[str]) -> Validator[str]:
    """Require one of *choices*; the error lists them."""
    ordered = sorted(choices)

    def check(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in choices:
            fail(instance, attribute.name, f"{value!r} is not one of {', '.join(ordered)}")

    return check


def instances_of(kind: type) -> Validator[tuple[Any, ...]]:
    """Require a tuple whose items are all *kind*."""

    def check(instance: Any, attribute: attrs.Attribute[tuple[Any, ...]], value: Any) -> None:
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


def finite_decimal(instance: Any, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    """Require a finite :class:`~decimal.Decimal` (never a float: money is exact)."""
    if not isinstance(value, Decimal):
        fail(instance, attribute.name, f"expected a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        fail(instance, attribute.name, "must be a finite number")


def score(low: float, high: float) -> Validator[float | None]:
    """Require ``None`` or a number within ``[low, high]``."""

    def check(instance: Any, attribute: attrs.Attribute[float | None], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(instance, attribute.name, f"expected a number, got {type(value).__name__}")
        if math.isnan(value) or not low <= value <= high:
            fail(instance, attribute.name, f"{value!r} is outside {low:g}..{high:g}")

    return check


def currency(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    """Require an ISO 4217 code: three upper-case ASCII letters."""
    if not (isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()):
        fail(instance, attribute.name, f"{value!r} is not an ISO 4217 code such as EUR")
