"""Structured conditions: comparisons combined with all / any / not.

A condition is data, never code: ``{field = "fact.segment", op = "in", value =
["fintech", "ev"]}`` or ``{all = [...]}``. :func:`compile_condition` turns one
into a plain Python callable once, so evaluating it over many accounts does no
parsing and no lookups in the condition tree.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias

import attrs

__all__ = [
    "OPERATORS",
    "All",
    "AnyOf",
    "Compare",
    "Condition",
    "Not",
    "Scalar",
    "compile_condition",
    "condition_fields",
    "is_number",
]

Scalar: TypeAlias = str | int | float | bool
"""A value a condition compares with."""

Values: TypeAlias = Mapping[str, Any]
"""The values a condition reads, by field name; a missing field or ``None`` is absent."""

Predicate: TypeAlias = Callable[[Values], bool]


_PLAIN_NUMBERS: Final = frozenset({int, float})


def is_number(value: Any) -> bool:
    """Whether *value* is an int or float (``True`` and ``False`` are not numbers)."""
    # The exact-class test first: it is what nearly every value takes, and cheap.
    return value.__class__ in _PLAIN_NUMBERS or (
        isinstance(value, int | float) and not isinstance(value, bool)
    )


def _comparable(left: Any, right: Any) -> bool:
    # Numbers compare with numbers, text with text, booleans with booleans:
    # a fact "high" is never silently greater than 5.
    if is_number(left) and is_number(right):
        return True
    return type(left) is type(right)


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def test(left: Any, right: Any) -> bool:
        return _comparable(left, right) and compare(left, right)

    return test


def _equal(left: Any, right: Any) -> bool:
    return _comparable(left, right) and left == right


def _member(left: Any, right: Any) -> bool:
    return any(_equal(left, item) for item in right)


_ORDERS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

_TESTS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "==": _equal,
    "!=": lambda left, right: not _equal(left, right),
    **{op: _ordered(order) for op, order in _ORDERS.items()},
    "in": _member,
    "not in": lambda left, right: not _member(left, right),
}

OPERATORS: Final = frozenset({*_TESTS, "exists"})
"""The comparison operators a :class:`Compare` may use."""


@attrs.frozen
class Compare:
    """Compare one field with a value.

    A field that is absent (missing, or ``None`` as a metric with no data)
    makes every comparison false, except ``exists``, which is true exactly when
    the field is present.

    Attributes:
        field: the value to read, e.g. ``fact.segment``, ``metric.amount_12m``, ``score``.
        op: one of :data:`OPERATORS`.
        value: what to compare with: a scalar, a tuple for ``in`` / ``not in``,
            ``True`` for ``exists``.
    """

    field: str
    op: str
    value: Scalar | tuple[Scalar, ...] = True


@attrs.frozen
class All:
    """True when every condition is (and for no conditions)."""

    conditions: tuple[Condition, ...]


@attrs.frozen
class AnyOf:
    """True when at least one condition is."""

    conditions: tuple[Condition, ...]


@attrs.frozen
class Not:
    """True when the condition is not."""

    condition: Condition


Condition: TypeAlias = Compare | All | AnyOf | Not
"""Any condition."""


def compile_condition(condition: Condition) -> Predicate:
    """Turn *condition* into a function of the field values; done once per rule set.

    Each comparison gets a function specialised for its operator and the type
    of its value, so that evaluating it is a dictionary look-up and one or two
    tests, with no further calls.
    """
    if isinstance(condition, Compare):
        return _compile_compare(condition)
    if isinstance(condition, Not):
        inner = compile_condition(condition.condition)
        return lambda values: not inner(values)
    parts = tuple(compile_condition(c) for c in condition.conditions)
    if isinstance(condition, All):
        return _every(parts)
    return _some(parts)


def _every(parts: tuple[Predicate, ...]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:  # noqa: PLR2004 - the common pair, without a loop
        first, second = parts
        return lambda values: first(values) and second(values)

    def every(values: Values) -> bool:
        return all(part(values) for part in parts)

    return every


def _some(parts: tuple[Predicate, ...]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:  # noqa: PLR2004 - the common pair, without a loop
        first, second = parts
        return lambda values: first(values) or second(values)

    def some(values: Values) -> bool:
        return any(part(values) for part in parts)

    return some


def _compile_compare(condition: Compare) -> Predicate:
    field, op, expected = condition.field, condition.op, condition.value
    if op == "exists":
        wanted = bool(expected)
        return lambda values: (values.get(field) is not None) is wanted
    special = _specialised(field, op, expected)
    if special is not None:
        return special
    test = _TESTS[op]

    def predicate(values: Values) -> bool:
        actual = values.get(field)
        return actual is not None and test(actual, expected)

    return predicate


def _specialised(field: str, op: str, expected: Any) -> Predicate | None:
    """A faster predicate with the same meaning as the generic one, where there is one."""
    if op == "==" and isinstance(expected, bool):
        return lambda values: values.get(field) is expected
    if op == "==" and expected.__class__ is str:
        # Only a str equals a str (the generic rule compares exact types).
        return lambda values: (actual := values.get(field)).__class__ is str and actual == expected
    if op == "==" and is_number(expected):
        return lambda values: (actual := values.get(field)) == expected and is_number(actual)
    if op in ("<", "<=", ">", ">=") and is_number(expected):
        compare = _ORDERS[op]
        return lambda values: is_number(actual := values.get(field)) and compare(actual, expected)
    return None


def condition_fields(condition: Condition) -> frozenset[str]:
    """Every field *condition* reads."""
    if isinstance(condition, Compare):
        return frozenset({condition.field})
    if isinstance(condition, Not):
        return condition_fields(condition.condition)
    return frozenset().union(*(condition_fields(c) for c in condition.conditions))
