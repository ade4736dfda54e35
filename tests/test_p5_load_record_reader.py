"""The one-pass reader still says "no" exactly where the full pass does.

Round 5 looks an event's reader up by asking rather than checking first, and
gives the number readers their accepted kinds as tuples made once.
tests/test_record_reader.py pins the readers to the full pass with generated
records; these cases name the edges of what changed, and of the required and
optional fields that the JSON reader alone makes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from kamcore.fileformat import decode
from kamcore.fileformat._fields import (
    BadValue,
    _read_fact,
    read_decimal,
    read_int,
    read_number,
    record_reader,
)
from kamcore.model import ClientFile, Interaction

_AT = "2024-03-01T09:00:00+00:00"
_CALL: dict[str, Any] = {"kind": "interaction", "id": "E-1", "at": _AT, "channel": "call"}


def _read_call(**changes: Any) -> Interaction | None:
    raw = {**_CALL, **changes}
    read: Interaction | None = record_reader(Interaction, decode._EVENT_KEYS)(raw)
    return read


def test_a_required_field_must_be_given_and_not_null() -> None:
    assert _read_call() == Interaction(
        id="E-1", at=datetime(2024, 3, 1, 9, tzinfo=UTC), channel="call"
    )
    without_id = dict(_CALL)
    del without_id["id"]
    assert record_reader(Interaction, decode._EVENT_KEYS)(without_id) is None
    assert _read_call(id=None) is None
    assert _read_call(at=None) is None
    assert _read_call(id=" ") is None


def test_an_optional_field_is_its_default_when_null_or_left_out() -> None:
    assert _read_call(by=None) == _read_call()
    read = _read_call(by="am-1", contact_id="C-1")
    assert read is not None
    assert (read.by, read.contact_id) == ("am-1", "C-1")
    assert _read_call(by="") is None
    assert _read_call(by=7) is None


def _account(*events: Any) -> dict[str, Any]:
    return {"id": "A-1", "name": "Acme", "owner": "am-1", "events": list(events)}


def test_a_sound_account_reads_whole() -> None:
    client = decode._sound_client_file(_account(_CALL))
    assert isinstance(client, ClientFile)
    assert [event.id for event in client.timeline] == ["E-1"]


@pytest.mark.parametrize(
    "event",
    [
        ["interaction"],
        "interaction",
        7,
        None,
        {"id": "E-1", "at": _AT, "channel": "call"},
        {**_CALL, "kind": ["interaction"]},
        {**_CALL, "kind": {"interaction": 1}},
        {**_CALL, "kind": 1},
        {**_CALL, "kind": "phone_call"},
    ],
    ids=[
        "list",
        "string",
        "number",
        "null",
        "no kind",
        "list kind",
        "object kind",
        "number kind",
        "unknown kind",
    ],
)
def test_an_event_that_is_not_a_known_kind_of_object_leaves_the_account_to_the_full_pass(
    event: Any,
) -> None:
    assert decode._sound_client_file(_account(_CALL, event)) is None


def test_the_number_readers_take_the_same_kinds() -> None:
    assert read_decimal("1200.50") == Decimal("1200.50")
    assert read_decimal(12) == Decimal(12)
    assert read_decimal(Decimal("1.5")) == Decimal("1.5")
    assert read_number(Decimal("4.5")) == 4.5
    assert read_number(4) == 4.0
    assert read_int(Decimal("4.0")) == 4
    assert read_int(4.0) == 4
    assert _read_fact("low") == "low"
    assert _read_fact(False) is False
    assert _read_fact(Decimal("2.5")) == 2.5
    for read, value in [
        (read_decimal, True),
        (read_decimal, 1.5),
        (read_decimal, None),
        (read_number, True),
        (read_number, "4"),
        (read_int, Decimal("4.5")),
        (read_int, "4"),
        (_read_fact, None),
        (_read_fact, [1]),
    ]:
        with pytest.raises(BadValue):
            read(value)
