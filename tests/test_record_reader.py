"""The one-pass record reader gives what the full pass gives, and says "no" where it says "no".

Sound records are read by :func:`kamcore.fileformat._fields.record_reader` and
whole sound accounts by ``decode._sound_client_file``, without building a dict
of arguments or running a validator twice; anything else takes the full pass,
which reports every problem. These properties pin the two together: the same
record (same ``repr``) for a sound record, ``None`` exactly where the full pass
finds a problem, and the same load (records and quarantine) with or without the
fast paths.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kamcore
from kamcore import InvalidValueError, LoadResult, PortfolioFormatError
from kamcore.fileformat import (
    _fields,
    decode,
    decode_portfolio,
    decode_portfolio_stream,
    encode_portfolio,
)
from kamcore.fileformat._fields import BadValue, read_fields, record_reader
from kamcore.model import (
    EVENT_TYPES,
    Account,
    Contact,
    Document,
    Interaction,
    PersonalNote,
    Portfolio,
    Report,
    StaffMember,
    Timeline,
    Transaction,
)
from kamcore.model import _validators as v
from kamcore.synthetic import SyntheticSpec, write_synthetic_portfolio
from strategies import fast, portfolios, timelines, transactions

_ACCOUNT_KEYS = decode._ACCOUNT_KEYS
_EVENT_KEYS = decode._EVENT_KEYS

# JSON values of every kind, with the near misses the readers must tell apart.
_TRICKY = st.sampled_from(
    [
        "",
        "  ",
        "\u3000",
        "x",
        "EUR",
        "eur",
        "call",
        "us",
        "snooze",
        "resolved",
        "price_change",
        "2024-03-01T09:00:00+00:00",
        "2024-03-01T09:00:00",
        "2024-03-01",
        "1200.50",
        "1e99",
        "NaN",
        "12,5",
        Decimal("4.5"),
        Decimal("1E+50"),
        Decimal("0.5"),
        float("nan"),
        float("inf"),
        10**400,
        -1,
        0,
        3,
        11,
        True,
        False,
        None,
    ]
)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-20, 20)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.text(max_size=6)
    | _TRICKY,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _json_round_trip(value: Any) -> Any:
    """*value* as the JSON reader gives it back (fractions as ``Decimal``)."""
    # Decimals go out as JSON numbers and come back as Decimals, as the readers get them.
    return json.loads(json.dumps(value, default=float), parse_float=Decimal)


def _records(portfolio: Portfolio) -> Iterator[tuple[type, frozenset[str], dict[str, Any]]]:
    """Every record of *portfolio* as a class, the keys its reader skips and its JSON object."""
    document = _json_round_trip(encode_portfolio(portfolio))
    for account in document["accounts"]:
        yield Account, _ACCOUNT_KEYS, account
        for contact in account.get("contacts", []):
            yield Contact, frozenset(), contact
        for note in account.get("personal_notes", []):
            yield PersonalNote, frozenset(), note
        for transaction in account.get("transactions", []):
            yield Transaction, frozenset(), transaction
        for event in account.get("events", []):
            yield EVENT_TYPES[event["kind"]], _EVENT_KEYS, event
            for attached in event.get("documents", []):
                yield Document, frozenset(), attached
    for member in document.get("staff", []):
        yield StaffMember, frozenset(), member
    for report in document.get("reports", []):
        yield Report, frozenset(), report


def _full_pass(cls: type, skip: frozenset[str], raw: dict[str, Any]) -> Any:
    """What the full pass makes of *raw*: the record, or ``None`` when it finds a problem."""
    fields, problems = read_fields(cls, raw, skip=skip)
    if problems:
        return None
    try:
        return cls(**fields)
    except InvalidValueError:
        return None


def _same(read: Any, built: Any) -> None:
    assert read == built
    assert repr(read) == repr(built)
    assert type(read) is type(built)
    if read is not None:
        for name in read.__attrs_attrs__:
            assert type(getattr(read, name.name)) is type(getattr(built, name.name)), name.name


# -------------------------------------------------------------------------------------------------
# Record by record
# -------------------------------------------------------------------------------------------------


@fast(40)
@given(portfolios())
def test_a_sound_record_reads_as_the_constructor_builds_it(portfolio: Portfolio) -> None:
    for cls, skip, raw in _records(portfolio):
        read = record_reader(cls, skip)(raw)
        assert read is not None, (cls.__name__, raw)
        _same(read, _full_pass(cls, skip, raw))


@st.composite
def _broken(draw: st.DrawFn) -> tuple[type, frozenset[str], dict[str, Any]]:
    """A record of a generated portfolio with one key changed, dropped or added."""
    records = list(_records(draw(portfolios(max_accounts=1))))
    if not records:
        records = [(Account, _ACCOUNT_KEYS, {"id": "A", "name": "n", "owner": "o"})]
    cls, skip, raw = draw(st.sampled_from(records))
    raw = dict(raw)
    fields = [field.name for field in _fields.plan(cls)]
    key = draw(st.sampled_from([*fields, "unknown"]))
    if draw(st.booleans()) or key not in raw:
        raw[key] = _json_round_trip(draw(_JSON))
    else:
        del raw[key]
    return cls, skip, raw


@fast(100)
@given(_broken())
def test_a_changed_record_reads_in_one_pass_exactly_when_the_full_pass_accepts_it(
    case: tuple[type, frozenset[str], dict[str, Any]],
) -> None:
    cls, skip, raw = case
    _same(record_reader(cls, skip)(raw), _full_pass(cls, skip, raw))


_PLAIN = SimpleNamespace(name="field")


@fast(300)
@given(_JSON)
def test_a_validator_left_out_passes_every_value_its_reader_gives(value: Any) -> None:
    value = _json_round_trip(value)
    for reader, validators in _fields._ENFORCED_BY.items():
        try:
            read = reader(value)
        except BadValue:
            continue
        if reader is _fields._read_texts:
            read = v.frozen_tuple(read)  # the converter of every field it reads
        for validator in validators:
            validator(None, _PLAIN, read)


def test_every_validator_left_out_belongs_to_its_fields_reader() -> None:
    # A validator is only left out after the reader that makes it redundant.
    skipped = 0
    for cls in (Account, Transaction, StaffMember, Report, Contact, PersonalNote, Document):
        skipped += _check_steps(cls)
    for cls in EVENT_TYPES.values():
        skipped += _check_steps(cls)
    assert skipped > 0


def _check_steps(cls: type) -> int:
    attributes = {a.name: a for a in cls.__attrs_attrs__}  # type: ignore[attr-defined]
    skipped = 0
    for field in _fields.plan(cls):
        step = _fields._step(cls, field, attributes[field.name])
        validator = step[5]
        if validator is None and attributes[field.name].validator is not None:
            assert attributes[field.name].validator in _fields._ENFORCED_BY[field.read]
            skipped += 1
    return skipped


def test_null_in_an_optional_field_is_the_default() -> None:
    raw = {"kind": "interaction", "id": "E-1", "at": "2024-03-01T09:00:00+00:00"}
    read = record_reader(Interaction, _EVENT_KEYS)({**raw, "channel": "call", "summary": None})
    assert read == Interaction(
        id="E-1", at=datetime(2024, 3, 1, 9, tzinfo=UTC), channel="call", summary=None
    )


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ({"id": "E-1", "at": "2024-03-01T09:00:00+00:00"}, "missing required field"),
        (
            {"id": "E-1", "at": "2024-03-01T09:00:00+00:00", "channel": "fax"},
            "validator refuses",
        ),
        ({"id": "E-1", "at": "2024-03-01T09:00", "channel": "call"}, "reader refuses"),
        (
            {"id": "E-1", "at": "2024-03-01T09:00:00+00:00", "channel": "call", "x": 1},
            "unknown key",
        ),
        (
            {"id": " ", "at": "2024-03-01T09:00:00+00:00", "channel": "call"},
            "blank id",
        ),
    ],
)
def test_a_problem_gives_no_record(raw: dict[str, Any], why: str) -> None:
    assert record_reader(Interaction, _EVENT_KEYS)({"kind": "interaction", **raw}) is None, why


def test_a_whole_record_rule_gives_no_record() -> None:
    survey = {"kind": "survey", "id": "S-1", "at": "2024-03-01T09:00:00+00:00"}
    assert record_reader(EVENT_TYPES["survey"], _EVENT_KEYS)(survey) is None
    assert record_reader(EVENT_TYPES["survey"], _EVENT_KEYS)({**survey, "nps": 9}) is not None


# -------------------------------------------------------------------------------------------------
# Whole loads, with and without the fast paths
# -------------------------------------------------------------------------------------------------


@contextmanager
def _full_pass_only() -> Iterator[None]:
    """Decode as before the one-pass readers: every record through the full pass."""
    with (
        mock.patch.object(decode, "_sound_client_file", return_value=None),
        mock.patch.object(decode, "record_reader", return_value=_never),
        mock.patch.object(_fields, "record_reader", return_value=_never),
    ):
        yield


def _never(raw: Any) -> None:
    return None


def _described(result: LoadResult) -> tuple[str, ...]:
    portfolio = result.portfolio
    return (
        repr([(c.account, c.transactions, tuple(c.timeline)) for c in portfolio]),
        repr((portfolio.staff, portfolio.reports, portfolio.exported_at)),
        repr(
            [(q.kind, q.location, q.record_id, q.account_id, q.problems) for q in result.quarantine]
        ),
    )


def _both_ways(document: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    with _full_pass_only():
        full_load = _load(document)
    return _load(document), full_load


def _load(document: Any) -> tuple[str, ...]:
    try:
        return _described(decode_portfolio(document, source="p.json", strict=False))
    except PortfolioFormatError as refused:  # the document as a whole is unreadable
        return ("refused", repr(refused.problems))


@st.composite
def _damaged_documents(draw: st.DrawFn) -> Any:
    """An encoded portfolio with a few values replaced, keys dropped or records repeated."""
    document = _json_round_trip(encode_portfolio(draw(portfolios(max_accounts=2))))
    for _ in range(draw(st.integers(1, 3))):
        records = list(_records_in(document))
        if not records:
            break
        record = draw(st.sampled_from(records))
        action = draw(st.sampled_from(["replace", "drop", "repeat"]))
        if action == "repeat":
            # The same record twice in its list: a duplicate id.
            container = next(c for c in _lists_in(document) if any(r is record for r in c))
            container.append(dict(record))
        elif action == "drop" and record:
            del record[draw(st.sampled_from(sorted(record)))]
        else:
            key = draw(st.sampled_from(sorted({*record, "id", "at", "kind", "unknown"})))
            record[key] = _json_round_trip(draw(_JSON))
    return document


def _records_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object below the top level of a document."""
    for item in value.values() if isinstance(value, dict) else value:
        if isinstance(item, list):
            for element in item:
                if isinstance(element, dict):
                    yield element
                    yield from _records_in(element)


def _lists_in(value: Any) -> Iterator[list[Any]]:
    for item in value.values() if isinstance(value, dict) else value:
        if isinstance(item, list):
            yield item
            for element in item:
                if isinstance(element, dict | list):
                    yield from _lists_in(element)


@fast(40)
@given(_damaged_documents())
def test_a_damaged_document_loads_the_same_with_and_without_the_fast_paths(document: Any) -> None:
    fast_load, full_load = _both_ways(document)
    assert fast_load == full_load


def test_the_sample_portfolio_loads_the_same_with_and_without_the_fast_paths() -> None:
    text = Path(kamcore.SAMPLE_PORTFOLIO).read_text(encoding="utf-8-sig")
    fast_load, full_load = _both_ways(json.loads(text, parse_float=Decimal))
    assert fast_load == full_load
    assert fast_load[2] == "[]"


def test_a_clean_synthetic_file_streams_without_the_full_pass() -> None:
    stream = io.StringIO()
    write_synthetic_portfolio(SyntheticSpec(accounts=25, events_per_account=20, seed=3), stream)
    with mock.patch.object(decode, "read_fields", side_effect=AssertionError("full pass")):
        stream.seek(0)
        result = decode_portfolio_stream(stream, source="synthetic")
    stream.seek(0)
    with _full_pass_only():
        expected = decode_portfolio_stream(stream, source="synthetic")
    assert _described(result) == _described(expected)
    assert len(result.portfolio) == 25


# -------------------------------------------------------------------------------------------------
# The model's converters, answered early for the usual input
# -------------------------------------------------------------------------------------------------


@fast(100)
@given(st.lists(transactions(), max_size=6), st.data())
def test_records_in_time_order_are_sorted_as_before(
    records: list[Transaction], data: st.DataObject
) -> None:
    # Ties are likely: some records share a moment.
    moment = datetime(2024, 3, 1, tzinfo=UTC)
    records = [
        Transaction(
            id=t.id,
            at=moment + timedelta(hours=data.draw(st.integers(0, 2))),
            product=t.product,
            amount=t.amount,
            currency=t.currency,
        )
        for t in records
    ]
    for items in (records, sorted(records, key=lambda t: t.at)):
        assert v.chronological(items, Transaction) == tuple(sorted(items, key=lambda t: t.at))


@fast(100)
@given(timelines())
def test_a_timeline_built_from_its_own_events_keeps_their_order(timeline: Timeline) -> None:
    expected = tuple(sorted(timeline.events, key=lambda e: (e.at, e.REF is not None)))
    assert timeline.events == expected
    assert Timeline(list(timeline.events)).events == expected
    # Reversed, the ties come in the other order, and the stable sort keeps it.
    backwards = timeline.events[::-1]
    assert Timeline(backwards).events == tuple(
        sorted(backwards, key=lambda e: (e.at, e.REF is not None))
    )


def test_a_tuple_is_kept_and_a_list_becomes_one() -> None:
    items = ("a", "b")
    assert v.frozen_tuple(items) is items
    assert v.frozen_tuple(["a", "b"]) == items
    assert v.frozen_tuple("ab") == "ab"
