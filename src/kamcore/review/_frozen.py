"""Findings' read-only copies of their ``params`` and ``values``, kept compact.

A review of 100,000 accounts holds about 740,000 findings at once, each with
two such copies; as a dict behind a :class:`types.MappingProxyType` they were
a third of a finding's memory (docs/performance.md, change 30).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, Final

__all__ = ["EMPTY", "FrozenMapping", "frozen_copy", "items_of"]


class FrozenMapping(Mapping[str, Any]):
    """A finding's read-only copy of the ``params`` or ``values`` it was given.

    It behaves as a :class:`types.MappingProxyType` of a dict of the same items
    (lookups, order, views, equality with any mapping, ``copy``, ``|``, no hash,
    a ``TypeError`` on any change), reads as that dict, and costs less than half
    its memory: a review of 100,000 accounts holds 740,000 findings, and each
    copy stored as a dict behind a proxy was a third of a finding's memory.

    The items are a tuple of values and a key-to-position index shared by every
    copy with the same keys in the same order (checks use a few dozen key sets).
    Build one only through :func:`frozen_copy`.
    """

    __slots__ = ("_index", "_values")

    _index: dict[Any, int]
    _values: tuple[Any, ...]

    def __getitem__(self, key: Any) -> Any:
        return self._values[self._index[key]]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._index)

    def __reversed__(self) -> Iterator[Any]:
        backwards: Iterator[Any] = reversed(self._index)
        return backwards

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of *key*, or *default* when there is none (as ``dict.get``)."""
        position = self._index.get(key)
        return default if position is None else self._values[position]

    def keys(self) -> KeysView[Any]:
        """The keys, as ``dict.keys`` gives them."""
        return KeysView(self)

    def items(self) -> ItemsView[Any, Any]:
        """The items, as ``dict.items`` gives them."""
        return _Items(self)

    def values(self) -> ValuesView[Any]:
        """The values, as ``dict.values`` gives them."""
        return _Values(self)

    def copy(self) -> dict[Any, Any]:
        """A dict of the items, as ``MappingProxyType.copy`` gives."""
        # Not strict=True: a keyword argument makes zip() a slow call, and the
        # index and the values are the same length by construction.
        return dict(zip(self._index, self._values))  # noqa: B905

    def __eq__(self, other: object) -> bool:
        if type(other) is FrozenMapping:
            if self._index is other._index:  # the usual case: the same keys, in order
                return self._values == other._values
            return self.copy() == other.copy()
        if isinstance(other, dict):
            return self.copy() == other
        if isinstance(other, Mapping):
            return self.copy() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a mapping: as MappingProxyType, no hash

    def __or__(self, other: object) -> Any:
        return _as_dict(self) | _as_dict(other)

    def __ror__(self, other: object) -> Any:
        return _as_dict(other) | _as_dict(self)

    def __repr__(self) -> str:
        return repr(self.copy())

    def __reduce__(self) -> tuple[Any, tuple[dict[Any, Any]]]:
        return frozen_copy, (self.copy(),)


class _Items(ItemsView[Any, Any]):
    """:meth:`FrozenMapping.items`: the items view of the ABC, iterated in C."""

    __slots__ = ()
    _mapping: FrozenMapping

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        mapping = self._mapping
        return zip(mapping._index, mapping._values)  # noqa: B905 - as in copy()


class _Values(ValuesView[Any]):
    """:meth:`FrozenMapping.values`: the values view of the ABC, iterated in C."""

    __slots__ = ()
    _mapping: FrozenMapping

    def __iter__(self) -> Iterator[Any]:
        return iter(self._mapping._values)


def _as_dict(value: object) -> Any:
    # The operands of ``|`` as MappingProxyType hands them on: the dict of a copy,
    # anything else as it is (for dict.__or__ to refuse).
    return value.copy() if type(value) is FrozenMapping else value


_new_mapping: Final = object.__new__
_set_index: Final = FrozenMapping.__dict__["_index"].__set__
_set_values: Final = FrozenMapping.__dict__["_values"].__set__

_INDEXES: Final[dict[tuple[Any, ...], dict[Any, int]]] = {}
"""The shared key-to-position index of each key set seen, by its keys in order."""

_MAX_INDEXES: Final = 4096
"""How many key sets :data:`_INDEXES` keeps: checks that made up keys from their
data would make a new one each time, and those are not shared."""


def _index_of(keys: tuple[Any, ...]) -> dict[Any, int]:
    """The index of *keys*, shared when its keys are all plain strings."""
    index = {key: position for position, key in enumerate(keys)}
    # Only plain strings: a key equal to another of another type (1 and 1.0, a
    # str subclass) must come back as given, not as the one seen first.
    if len(_INDEXES) < _MAX_INDEXES and all(type(key) is str for key in keys):
        _INDEXES[keys] = index
    return index


def _new_copy(index: dict[Any, int], values: tuple[Any, ...]) -> FrozenMapping:
    """The copy of the items *values*, at the positions *index* gives their keys."""
    # Not FrozenMapping(...) with an __init__: its slots set from here cost less
    # than a call of Python code, and _frozen runs twice per finding.
    mapping: FrozenMapping = _new_mapping(FrozenMapping)
    _set_index(mapping, index)
    _set_values(mapping, values)
    return mapping


EMPTY: Final[Mapping[str, Any]] = _new_copy({}, ())
"""The one read-only empty mapping every finding without params (or values) shares."""


def frozen_copy(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy of *value*, so the caller's dict can change without
    changing the finding; an empty one is shared (a fifth of all findings have
    no values), and so is one that is already such a copy."""
    if not value:
        return EMPTY
    if type(value) is not dict:
        if type(value) is FrozenMapping:
            return value
        value = dict(value)  # what the copy has always been: its errors, its order
    keys = tuple(value)
    index = _INDEXES.get(keys)
    if index is None:
        index = _index_of(keys)
    return _new_copy(index, tuple(value.values()))


def items_of(mapping: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """The items of *mapping*; of a :class:`FrozenMapping` without making an items view
    (the JSON output of a large review reads 1.5 million of them)."""
    if type(mapping) is FrozenMapping:
        return zip(mapping._index, mapping._values)  # noqa: B905 - as in FrozenMapping.copy()
    return mapping.items()
