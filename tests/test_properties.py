"""Properties of the model and the file format, checked on generated portfolios."""

from __future__ import annotations

import copy
import itertools
import json
import math
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import kamcore
from kamcore.fileformat import decode_portfolio, dumps_portfolio, encode_portfolio
from kamcore.model import (
    EVENT_TYPES,
    Account,
    ClientFile,
    Event,
    Portfolio,
    SurveyResponse,
    Timeline,
)
from strategies import TIMEZONES, fast, moments, portfolios, timelines

PLUGINS = kamcore.get_plugin_manager()
"""One manager with the installed plugins (the file adapter), shared by the file tests."""

# -------------------------------------------------------------------------------------------------
# Round trip
# -------------------------------------------------------------------------------------------------


@fast(40)
@given(portfolios())
def test_decode_of_encode_gives_the_portfolio_back(portfolio: Portfolio) -> None:
    document = encode_portfolio(portfolio)
    result = decode_portfolio(document, source="generated")
    assert result.quarantine == ()
    assert result.portfolio == portfolio
    assert encode_portfolio(result.portfolio) == document


@fast(40)
@given(portfolios())
def test_round_trip_through_json_text(portfolio: Portfolio) -> None:
    text = dumps_portfolio(portfolio)
    document = json.loads(text, parse_float=Decimal)
    result = decode_portfolio(document, source="generated.json")
    assert result.portfolio == portfolio
    assert encode_portfolio(result.portfolio) == encode_portfolio(portfolio)
    # Names in any script are written as they are, not as \u escapes.
    for client in portfolio:
        assert json.dumps(client.account.name, ensure_ascii=False) in text


_INT_SCORE = Portfolio(
    files=[
        ClientFile(
            account=Account(id="A-1", name="Acme", owner="li"),
            timeline=Timeline(
                [SurveyResponse(id="S-1", at=datetime(2024, 5, 1, tzinfo=UTC), product_quality=4)]
            ),
        )
    ]
)


@fast(30)
@given(portfolios())
@example(_INT_SCORE)
def test_json_text_is_canonical(portfolio: Portfolio) -> None:
    """Writing what was read gives the very same text: the encoding is canonical.

    Two equal models must give one text; an integer survey score (the model accepts
    ``3`` and ``3.0`` as equal) must not come back as ``3.0`` after a round trip.
    """
    text = dumps_portfolio(portfolio)
    again = decode_portfolio(json.loads(text, parse_float=Decimal), source="t").portfolio
    assert dumps_portfolio(again) == text


# -------------------------------------------------------------------------------------------------
# Fuzzing the loader
# -------------------------------------------------------------------------------------------------

# Values a JSON parser produces when fractions are read as Decimal (NaN and
# Infinity are accepted by Python's json module and come back as floats).
JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, min_value=-(10**6), max_value=10**6
    ),
    st.floats(),
    st.text(max_size=10),
)

FIELD_NAMES = sorted(
    {"id", "kind", "at", "format", "version", "accounts", "transactions", "events", "staff"}
    | {name for cls in EVENT_TYPES.values() for name in cls.__attrs_attrs__.__dict__}
    | {"name", "owner", "facts", "contacts", "amount", "currency", "product", "account_ids"}
)

NASTY = st.sampled_from(
    [
        "",
        "   ",
        "2024-03-01T10:00:00",
        "2024-13-01T10:00:00+00:00",
        "2024-03-01T10:00:00+08:00",
        "2024-02-30",
        "NaN",
        "eur",
        "fax",
        -1,
        0,
        11,
        1.5,
        Decimal("2.5"),
        float("nan"),
        float("inf"),
        10**400,
        Decimal("1E+400"),
        [],
        {},
        *EVENT_TYPES,
    ]
)

json_values = st.recursive(
    JSON_LEAVES | NASTY,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.sampled_from(FIELD_NAMES), children, max_size=4)
    ),
    max_leaves=12,
)


def _containers(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in children:
        if isinstance(child, dict | list):
            yield from _containers(child, (*path, key))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for child in node.values():
            yield from _strings(child)
    elif isinstance(node, list):
        for child in node:
            yield from _strings(child)


@st.composite
def almost_valid_documents(draw: st.DrawFn, *, keep_top_level: bool = False) -> dict[str, Any]:
    """A valid encoded portfolio with a few random mutations, deep in its records.

    Mutations delete a key or an item, replace a value by arbitrary JSON, a nasty
    value or another string of the document (an id, so references and duplicates
    go wrong), add a key, or duplicate a list item. With *keep_top_level*, the
    top-level object itself is left alone, so the document stays readable as a whole.
    """
    document = encode_portfolio(draw(portfolios()))
    for _ in range(draw(st.integers(1, 4))):
        containers = [
            (path, node)
            for path, node in _containers(document)
            if not (keep_top_level and path == ())
        ]
        if not containers:
            break
        _, node = draw(st.sampled_from(containers))
        # A copy: later mutations must not change the strategies' own constants.
        value = copy.deepcopy(
            draw(json_values | NASTY | st.sampled_from([*_strings(document), "X"]))
        )
        if isinstance(node, dict):
            operation = draw(st.sampled_from(["delete", "replace", "add"]))
            if operation == "add" or not node:
                node[draw(st.sampled_from(FIELD_NAMES) | st.text(max_size=4))] = value
            elif operation == "delete":
                del node[draw(st.sampled_from(sorted(node)))]
            else:
                node[draw(st.sampled_from(sorted(node)))] = value
        else:
            operation = draw(st.sampled_from(["delete", "replace", "insert", "duplicate"]))
            if operation == "insert" or not node:
                node.insert(draw(st.integers(0, len(node))), value)
            else:
                index = draw(st.integers(0, len(node) - 1))
                if operation == "delete":
                    del node[index]
                elif operation == "replace":
                    node[index] = value
                else:
                    node.append(copy.deepcopy(node[index]))
    return document


@fast(120)
@given(st.one_of(json_values, almost_valid_documents()), st.booleans())
@example({"format": "kamcore.portfolio", "version": 1, "accounts": 5}, True)
def test_decoder_raises_only_format_errors(document: Any, strict: bool) -> None:
    refusal: kamcore.PortfolioFormatError | None = None
    try:
        result = decode_portfolio(document, source="fuzz", strict=strict)
    except kamcore.PortfolioFormatError as error:
        refusal = error
    if refusal is not None:
        assert refusal.problems
        assert refusal.source == "fuzz"
        return
    assert isinstance(result.portfolio, Portfolio)
    if strict:
        assert result.quarantine == ()


def _load_bytes(data: bytes, strict: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "portfolio.json"
        path.write_bytes(data)
        try:
            result = kamcore.load_portfolio(str(path), strict=strict, plugins=PLUGINS)
        except (kamcore.PortfolioFormatError, kamcore.SourceError):
            return
    assert isinstance(result.portfolio, Portfolio)


@fast(60)
@given(st.binary(max_size=200), st.booleans())
@example(b"\xef\xbb\xbf{", True)
@example(b"\xff\xfe{}", False)
def test_file_adapter_on_random_bytes(data: bytes, strict: bool) -> None:
    _load_bytes(data, strict)


@fast(40)
@given(st.one_of(json_values, almost_valid_documents()), st.booleans())
def test_file_adapter_on_random_json_text(document: Any, strict: bool) -> None:
    text = json.dumps(document, default=float, ensure_ascii=False)
    _load_bytes(text.encode("utf-8"), strict)


# -------------------------------------------------------------------------------------------------
# Collect mode drops nothing
# -------------------------------------------------------------------------------------------------


def _count(records: Any, key: str) -> int:
    value = records.get(key) if isinstance(records, dict) else None
    return len(value) if isinstance(value, list) else 0


@fast(100)
@given(almost_valid_documents(keep_top_level=True))
def test_collect_mode_keeps_or_quarantines_every_record(document: dict[str, Any]) -> None:
    result = decode_portfolio(document, source="mutated", strict=False)
    portfolio, quarantine = result.portfolio, result.quarantine
    by_kind = Counter(q.kind for q in quarantine)
    inside = [q.raw for q in quarantine if q.kind == "account"]

    assert len(document["accounts"]) == len(portfolio) + by_kind["account"]
    assert sum(_count(a, "transactions") for a in document["accounts"]) == (
        sum(len(c.transactions) for c in portfolio)
        + by_kind["transaction"]
        + sum(_count(a, "transactions") for a in inside)
    )
    assert sum(_count(a, "events") for a in document["accounts"]) == (
        sum(len(c.timeline) for c in portfolio)
        + by_kind["event"]
        + sum(_count(a, "events") for a in inside)
    )
    assert _count(document, "staff") == len(portfolio.staff) + by_kind["staff"]
    assert _count(document, "reports") == len(portfolio.reports) + by_kind["report"]

    for entry in quarantine:
        assert entry.problems
        assert all(p.location.startswith(entry.location) for p in entry.problems)

    # Strict mode refuses exactly when something was set aside, naming the same problems.
    if quarantine:
        with pytest.raises(kamcore.PortfolioFormatError) as refused:
            decode_portfolio(document, source="mutated", strict=True)
        assert sorted(map(str, refused.value.problems)) == sorted(map(str, result.problems))
    else:
        assert decode_portfolio(document, source="mutated").portfolio == portfolio


# -------------------------------------------------------------------------------------------------
# Slicing at a moment
# -------------------------------------------------------------------------------------------------


@st.composite
def portfolios_and_moments(draw: st.DrawFn) -> tuple[Portfolio, datetime]:
    portfolio = draw(portfolios())
    known = [e.at for c in portfolio for e in c.timeline] + [
        t.at for c in portfolio for t in c.transactions
    ]
    known += [r.at for r in portfolio.reports]
    # Slicing exactly at a recorded moment (in another offset, too) tests the boundary.
    if known:
        exact = st.tuples(st.sampled_from(known), st.sampled_from(TIMEZONES))
        moment = draw(moments() | exact.map(lambda pair: pair[0].astimezone(pair[1])))
    else:
        moment = draw(moments())
    return portfolio, moment


@fast(50)
@given(portfolios_and_moments())
def test_as_of_keeps_exactly_what_happened_by_then(case: tuple[Portfolio, datetime]) -> None:
    portfolio, moment = case
    sliced = portfolio.as_of(moment)
    assert list(sliced.files) == list(portfolio.files)
    for client in portfolio:
        cut = sliced[client.id]
        assert cut.account == client.account
        assert [e.id for e in cut.timeline] == [e.id for e in client.timeline if e.at <= moment]
        assert [t.id for t in cut.transactions] == [
            t.id for t in client.transactions if t.at <= moment
        ]
        # The slice is a valid timeline: building it again raises nothing.
        assert Timeline(cut.timeline.events) == cut.timeline
        assert cut.timeline == client.timeline.as_of(moment)
    assert [r.id for r in sliced.reports] == [r.id for r in portfolio.reports if r.at <= moment]
    assert sliced.staff == portfolio.staff
    expected_export = (
        moment if portfolio.exported_at is None else min(portfolio.exported_at, moment)
    )
    assert sliced.exported_at == expected_export
    assert sliced.as_of(moment) == sliced


# -------------------------------------------------------------------------------------------------
# Timeline order
# -------------------------------------------------------------------------------------------------


def _opener_index(events: tuple[Event, ...]) -> dict[str, int]:
    return {e.id: i for i, e in enumerate(events)}


@fast(100)
@given(timelines(max_openers=5, max_continuations=5), st.randoms(use_true_random=False))
def test_timeline_order(timeline: Timeline, random: Any) -> None:
    events = list(timeline.events)
    random.shuffle(events)
    rebuilt = Timeline(events)
    ordered = rebuilt.events
    assert Counter(map(id, ordered)) == Counter(map(id, events))
    # Oldest first.
    assert all(a.at <= b.at for a, b in itertools.pairwise(ordered))
    # An opener comes before every event that continues it, even at the same moment.
    position = _opener_index(ordered)
    for index, event in enumerate(ordered):
        if event.ref is not None:
            assert position[event.ref] < index
    # At one moment, openers come before continuations and otherwise the given order stays.
    given_position = {e.id: i for i, e in enumerate(events)}
    for a, b in itertools.pairwise(ordered):
        if a.at == b.at and (a.ref is None) == (b.ref is None):
            assert given_position[a.id] < given_position[b.id]
        if a.at == b.at:
            assert not (a.ref is not None and b.ref is None)
    # When no two events share a moment, the order given does not matter at all.
    if len({e.at for e in events}) == len(events):
        assert rebuilt == timeline
        assert rebuilt == Timeline(reversed(events))


@fast(40)
@given(timelines())
def test_timeline_queries_agree_with_the_events(timeline: Timeline) -> None:
    kinds = Counter(e.kind for e in timeline)
    assert len(timeline.requests()) == kinds["request"]
    assert len(timeline.promises()) == kinds["promise"]
    assert len(timeline.complaints()) == kinds["complaint"]
    assert len(timeline.waits()) == kinds["wait_started"]
    assert len(timeline.goals()) == kinds["goal"]
    answered = {e.request_id for e in timeline if e.kind == "request_answered"}  # type: ignore[attr-defined]
    assert {s.request.id for s in timeline.open_requests()} == {
        s.request.id for s in timeline.requests() if s.request.id not in answered
    }
    for event in timeline:
        assert timeline.get(event.id) is event
    if timeline.events:
        first, last = timeline.events[0].at, timeline.events[-1].at
        assert timeline.between(first, last) == timeline.events
        for state in timeline.waits():
            total = state.overlap(first, last)
            assert 0 <= total <= (last - first).total_seconds()
            assert math.isfinite(total)
