"""A finding's ``params`` and ``values`` are compact read-only copies.

A review of 100,000 accounts holds 740,000 findings, and a dict behind a
``MappingProxyType`` per copy was a third of their memory; a finding now keeps
its values in a tuple, with a key index shared by every copy with the same keys.
These tests hold that copy to what it replaces: a ``MappingProxyType`` of a dict
of the same items (lookups, order, views, equality both ways, ``copy``, ``|``,
pickling, no hash, no change), and check that it is smaller.
"""

from __future__ import annotations

import copy
import math
import pickle
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kamcore.model import Account, ClientFile
from kamcore.review import Finding
from kamcore.review import _frozen as frozen_module
from principle_support import T0, review_context
from strategies import fast, moments

_values = st.one_of(
    st.integers(),
    st.floats(),  # NaN included: equality must treat it as a dict does
    st.text(max_size=4),
    moments(),
    st.none(),
    st.tuples(st.text(max_size=3)),
)
_mappings = st.dictionaries(st.text(max_size=4), _values, max_size=8)
_probes = st.text(max_size=4)

CONTEXT = review_context(ClientFile(account=Account(id="KA-1", name="One", owner="am-1")), as_of=T0)


def _finding(**fields: Any) -> Finding:
    return Finding(
        account_id="KA-1",
        owner="am-1",
        principle="care",
        code="c",
        severity="info",
        action="call",
        **fields,
    )


def _outcome(operation: Any) -> tuple[str, Any]:
    """What *operation* gives, or the type of what it raises (as dict and proxy differ in text)."""
    try:
        return "value", operation()
    except Exception as error:  # the type is the outcome compared
        return "raises", type(error)


@fast(300)
@given(items=_mappings, probe=_probes)
def test_the_copy_reads_as_a_read_only_dict_of_the_same_items(
    items: dict[str, Any], probe: str
) -> None:
    frozen: Any = _finding(params=items).params  # Any: what a proxy has beyond Mapping, too
    proxy = MappingProxyType(dict(items))
    assert len(frozen) == len(proxy)
    assert list(frozen) == list(proxy)
    assert list(reversed(frozen)) == list(reversed(proxy))
    assert list(frozen.keys()) == list(proxy.keys())
    assert list(frozen.items()) == list(proxy.items())
    assert list(frozen.values()) == list(proxy.values())
    assert len(frozen.items()) == len(proxy.items())
    keys, proxy_keys = frozen.keys(), proxy.keys()
    for key in [*items, probe]:
        assert (key in frozen) == (key in proxy)
        assert (key in keys) == (key in proxy_keys)
        assert _outcome(lambda key=key: frozen[key]) == _outcome(lambda key=key: proxy[key])
        assert frozen.get(key) is proxy.get(key)
        assert frozen.get(key, "none") is proxy.get(key, "none")
    for key, value in items.items():
        assert (key, value) in frozen.items()
    assert (probe, object()) not in frozen.items()
    assert frozen.keys() & {probe} == proxy.keys() & {probe}
    assert repr(frozen) == repr(dict(items))
    assert frozen.copy() == proxy.copy()
    assert type(frozen.copy()) is dict
    assert frozen | {probe: 1} == proxy | {probe: 1}
    assert {probe: 1} | frozen == {probe: 1} | proxy
    assert isinstance(frozen, Mapping)


@fast(300)
@given(items=_mappings, other=_mappings)
def test_it_equals_what_a_dict_or_a_proxy_of_its_items_equals(
    items: dict[str, Any], other: dict[str, Any]
) -> None:
    frozen: Any = _finding(values=items).values
    proxy = MappingProxyType(dict(items))
    reordered = dict(reversed(list(items.items())))
    for compared in (items, reordered, other, MappingProxyType(other), MappingProxyType(reordered)):
        assert (frozen == compared) == (proxy == compared)
        assert (compared == frozen) == (compared == proxy)
        assert (frozen != compared) == (proxy != compared)
    assert (frozen == _finding(values=other).values) == (proxy == other)
    assert frozen == _finding(values=reordered).values
    assert frozen != list(items)
    assert frozen != 1


@fast(200)
@given(items=_mappings)
def test_it_pickles_and_copies_to_an_equal_compact_copy(items: dict[str, Any]) -> None:
    frozen = _finding(params=items).params
    for twin in (pickle.loads(pickle.dumps(frozen)), copy.copy(frozen), copy.deepcopy(frozen)):
        assert type(twin) is type(frozen)
        assert list(twin.items()) == list(frozen.items()) or _has_nan(items)
        assert repr(twin) == repr(frozen)


def _has_nan(items: dict[str, Any]) -> bool:
    # A NaN that crossed a pickle is another float object, unequal to the first.
    return any(isinstance(value, float) and math.isnan(value) for value in items.values())


@fast(100)
@given(items=_mappings, key=_probes)
def test_it_cannot_change_and_the_callers_dict_can(items: dict[str, Any], key: str) -> None:
    given_items = dict(items)
    finding = _finding(params=given_items, values=given_items)
    given_items[key + "!"] = 1  # the caller's dict changes afterwards
    given_items.clear()
    assert list(finding.params) == list(items)
    assert list(finding.values) == list(items)
    frozen: Any = finding.params
    with pytest.raises(TypeError):
        frozen[key] = 1
    with pytest.raises(TypeError):
        del frozen[key]
    for method in ("clear", "update", "pop", "popitem", "setdefault"):
        assert not hasattr(frozen, method)
    with pytest.raises(AttributeError):
        frozen.extra = 1
    with pytest.raises(TypeError, match="unhashable"):
        hash(frozen)
    assert list(finding.params) == list(items)


def test_a_finding_stays_unhashable() -> None:
    # It was: a MappingProxyType has no hash, and attrs hashes the fields.
    for finding in (
        _finding(),
        _finding(params={"days": 3}),
        CONTEXT.finding(principle="care", code="c", severity="info", action="call"),
    ):
        with pytest.raises(TypeError, match="unhashable"):
            hash(finding)


def test_a_finding_reads_its_mappings_as_dicts() -> None:
    finding = _finding(params={"days": 12, "limit": 10}, values={})
    assert "params={'days': 12, 'limit': 10}" in repr(finding)
    assert "values={}" in repr(finding)
    assert finding.params == {"limit": 10, "days": 12}
    assert {"days": 12, "limit": 10} == finding.params  # noqa: SIM300 - dict's == hands over
    assert finding.params != {"days": 12}


def test_keys_of_other_types_come_back_as_given() -> None:
    # 1 == 1.0 == True: a shared index of the first would give back its key, not the one given.
    keyed: Any = {1: "a"}, {1.0: "b"}
    by_int: Any = _finding(params=keyed[0]).params
    by_float: Any = _finding(params=keyed[1]).params
    assert [type(key) for key in by_int] == [int]
    assert [type(key) for key in by_float] == [float]
    assert by_float[1] == "b"


def test_copies_with_the_same_keys_share_their_index_and_are_smaller_than_a_proxy() -> None:
    first = _finding(params={"days": 12, "limit": 10}).params
    second = CONTEXT.finding(
        principle="care", code="c", severity="info", action="call", params={"days": 3, "limit": 9}
    ).params
    assert type(first) is type(second)
    assert first._index is second._index  # type: ignore[attr-defined]
    items = {"days": 12, "limit": 10}
    compact = sys.getsizeof(first) + sys.getsizeof(first._values)  # type: ignore[attr-defined]
    proxied = sys.getsizeof(MappingProxyType(items)) + sys.getsizeof(items)
    assert compact * 2 <= proxied


def test_an_empty_copy_is_shared_and_a_copy_given_again_is_kept() -> None:
    empty = _finding().params
    assert _finding(params={}).values is empty
    assert CONTEXT.finding(principle="c", code="c", severity="info", action="call").params is empty
    frozen = _finding(params={"days": 1}).params
    assert _finding(params=frozen).params is frozen


def test_the_shared_indexes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frozen_module, "_INDEXES", {})
    monkeypatch.setattr(frozen_module, "_MAX_INDEXES", 2)
    built = [_finding(params={f"key{n}": n, "other": -n}).params for n in range(5)]
    assert len(frozen_module._INDEXES) == 2
    for n, frozen in enumerate(built):
        assert dict(frozen) == {f"key{n}": n, "other": -n}


def test_a_mapping_that_is_not_a_dict_is_copied_as_dict_copies_it() -> None:
    proxy = MappingProxyType({"b": 2, "a": 1})
    assert list(_finding(params=proxy).params.items()) == [("b", 2), ("a", 1)]
    with pytest.raises(TypeError) as raised:
        _finding(params=[1, 2])
    with pytest.raises(TypeError) as expected:
        dict([1, 2])  # type: ignore[arg-type]
    assert str(raised.value) == str(expected.value)


@fast(100)
@given(params=_mappings, values=_mappings)
def test_as_dict_reads_a_compact_copy_as_it_reads_any_mapping(
    params: dict[str, Any], values: dict[str, Any]
) -> None:
    finding = _finding(params=params, values=values)
    # A finding unpickled from before this change holds MappingProxyType copies.
    old = _finding()
    object.__setattr__(old, "params", MappingProxyType(dict(params)))
    object.__setattr__(old, "values", MappingProxyType(dict(values)))
    fresh, former = finding.as_dict(), old.as_dict()
    assert repr(fresh["params"]) == repr(former["params"])
    assert repr(fresh["values"]) == repr(former["values"])
    assert finding == old or _has_nan(params) or _has_nan(values)
