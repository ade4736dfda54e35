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
]

Scalar: TypeAlias = str | int | float | bool
"""A value a condition compares with."""

Values: TypeAlias = Mapping[str, Any]
"""The values a condition reads, by field name; a missing field or ``None`` is absent."""

Predicate: TypeAlias = Callable[[Values], bool]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _comparable(left: Any, right: Any) -> bool:
    # Numbers compare with numbers, text with text, booleans with booleans:
    # a fact "high" is never silently greater than 5.
    if _is_number(left) and _is_number(right):
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


_TESTS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "==": _equal,
    "!=": lambda left, right: not _equal(left, right),
    "<": _ordered(operator.lt),
    "<=": _ordered(operator.le),
    ">": _ordered(operator.gt),
    ">=": _ordered(operator.ge),
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
    """Turn *condition* into a function of the field values; done once per rule set."""
    if isinstance(condition, Compare):
        return _compile_compare(condition)
    if isinstance(condition, All):
        parts = tuple(compile_condition(c) for c in condition.conditions)
        return lambda values: all(part(values) for part in parts)
    if isinstance(condition, AnyOf):
        parts = tuple(compile_condition(c) for c in condition.conditions)
        return lambda values: any(part(values) for part in parts)
    inner = compile_condition(condition.condition)
    return lambda values: not inner(values)


def _compile_compare(condition: Compare) -> Predicate:
    field, expected = condition.field, condition.value
    if condition.op == "exists":
        wanted = bool(expected)
        return lambda values: (values.get(field) is not None) is wanted
    test = _TESTS[condition.op]

    def predicate(values: Values) -> bool:
        actual = values.get(field)
        return actual is not None and test(actual, expected)

    return predicate


def condition_fields(condition: Condition) -> frozenset[str]:
    """Every field *condition* reads."""
    if isinstance(condition, Compare):
        return frozenset({condition.field})
    if isinstance(condition, Not):
        return condition_fields(condition.condition)
    return frozenset().union(*(condition_fields(c) for c in condition.conditions))
