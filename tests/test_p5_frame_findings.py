"""``ReviewContext.finding`` builds its findings without attrs' keyword handling.

Every principle's findings come through it, so it takes a trusted path
(``finding._trusted_finding``); these properties hold that path to the public
constructor ``Finding(...)``: the same value (equality, repr, key, pickling,
``as_dict``), the same read-only copies, and the same errors for a bad severity,
action or mapping.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kamcore.model import Account, ClientFile
from kamcore.review import ACTIONS, SEVERITIES, Finding, ReviewContext
from principle_support import T0, review_context
from strategies import fast, moments

CLIENT = ClientFile(account=Account(id="KA-9", name="Nine", owner="am-1"))
CONTEXT = review_context(CLIENT, as_of=T0)

_values = st.one_of(
    st.integers(), st.floats(allow_nan=False), st.text(max_size=4), moments(), st.none()
)
_mappings = st.dictionaries(st.text(max_size=4), _values, max_size=3)


@st.composite
def finding_fields(draw: st.DrawFn) -> dict[str, Any]:
    """The fields a check passes to ``context.finding``, some left to their defaults."""
    fields: dict[str, Any] = {
        "principle": draw(st.sampled_from(["care", "responsiveness", "x"])),
        "code": draw(st.text(min_size=1, max_size=6)),
        "severity": draw(st.sampled_from(SEVERITIES)),
        "action": draw(st.sampled_from(sorted(ACTIONS))),
    }
    optional = {
        "params": _mappings,
        "evidence": st.lists(st.text(max_size=5), max_size=3).map(tuple),
        "values": _mappings,
        "due": st.one_of(st.none(), moments()),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            fields[name] = draw(strategy)
    return fields


def _constructed(context: ReviewContext, fields: dict[str, Any]) -> Finding:
    """The definition: the public constructor with the account and owner of *context*."""
    return Finding(account_id=context.account_id, owner=context.owner, **fields)


@fast(200)
@given(fields=finding_fields())
def test_a_finding_of_the_context_is_the_finding_the_constructor_builds(
    fields: dict[str, Any],
) -> None:
    built, expected = CONTEXT.finding(**fields), _constructed(CONTEXT, fields)
    assert type(built) is Finding
    assert built == expected
    assert repr(built) == repr(expected)
    assert built.key == expected.key
    assert built.as_dict() == expected.as_dict()
    assert dict(built.params) == dict(expected.params)  # equal mappings in the same order
    assert list(built.params) == list(expected.params)
    assert list(built.values) == list(expected.values)
    unpickled = pickle.loads(pickle.dumps(built))
    assert unpickled == expected
    assert unpickled.key == expected.key
    assert pickle.dumps(built) == pickle.dumps(expected)


@fast(50)
@given(params=_mappings, values=_mappings)
def test_the_mappings_are_read_only_copies_and_empty_ones_are_shared(
    params: dict[str, Any], values: dict[str, Any]
) -> None:
    built = CONTEXT.finding(
        principle="care", code="c", severity="info", action="call", params=params, values=values
    )
    expected = _constructed(
        CONTEXT,
        {"principle": "care", "code": "c", "severity": "info", "action": "call"}
        | {"params": dict(params), "values": dict(values)},
    )
    params["added later"] = values["added later"] = 1  # the caller's dicts change
    assert built == expected
    for mapping in (built.params, built.values):
        assert isinstance(mapping, Mapping)
        with pytest.raises(TypeError):
            mapping["x"] = 1  # type: ignore[index]
    bare = CONTEXT.finding(principle="care", code="c", severity="info", action="call")
    constructed = Finding(
        account_id="A", owner="o", principle="care", code="c", severity="info", action="call"
    )
    assert bare.params is bare.values is constructed.params is constructed.values


def _error(build: Any) -> tuple[type[BaseException], str]:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - compared below, type and text
        build()
    return caught.type, str(caught.value)


@pytest.mark.parametrize(
    "fields",
    [
        {"severity": "serious"},
        {"action": "pray"},
        {"severity": "serious", "action": "pray"},  # the severity is checked first
        {"params": [1, 2]},  # not a mapping: dict() refuses it, before any check
        {"params": [1], "severity": "serious"},
        {"values": 3, "action": "pray"},
    ],
)
def test_a_bad_field_raises_what_the_constructor_raises(fields: dict[str, Any]) -> None:
    complete = {"principle": "care", "code": "c", "severity": "info", "action": "call"} | fields
    raised = _error(lambda: CONTEXT.finding(**complete))
    assert raised == _error(lambda: _constructed(CONTEXT, complete))
    assert raised[0] in (ValueError, TypeError)


def test_a_missing_or_unknown_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=re.escape("action")):
        CONTEXT.finding(principle="care", code="c", severity="info")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="colour"):
        CONTEXT.finding(  # type: ignore[call-arg]
            principle="care", code="c", severity="info", action="call", colour="red"
        )


def test_the_finding_is_on_the_account_and_owner_of_the_context() -> None:
    moment = datetime(2026, 1, 1, tzinfo=T0.tzinfo)
    finding = CONTEXT.finding(
        principle="care", code="c", severity="warning", action="call", evidence=("E1",), due=moment
    )
    assert (finding.account_id, finding.owner) == ("KA-9", "am-1")
    assert finding == Finding(
        account_id="KA-9",
        owner="am-1",
        principle="care",
        code="c",
        severity="warning",
        evidence=("E1",),
        action="call",
        due=moment,
    )
