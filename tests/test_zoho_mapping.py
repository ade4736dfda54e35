"""The pure half of the Zoho adapter: time zones, which account a record belongs to,
and which client files a change touches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kamcore_adapters.zoho._mapping import (
    account_of,
    build_document,
    module_fields,
    touched_accounts,
    utc_text,
)
from kamcore_adapters.zoho._settings import DEFAULT_FIELDS, FieldMapping

offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - bounds of st.datetimes are naive
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=offsets,
)


@given(moments)
def test_a_zoho_date_time_in_any_time_zone_becomes_the_same_instant_in_utc(
    moment: datetime,
) -> None:
    text = utc_text(moment.isoformat())

    assert text.endswith("Z")
    assert datetime.fromisoformat(text) == moment


def test_values_that_are_not_date_times_with_an_offset_pass_through_for_the_reader() -> None:
    assert utc_text("2026-03-04T10:00:00") == "2026-03-04T10:00:00"  # naive: the reader refuses it
    assert utc_text("yesterday") == "yesterday"
    assert utc_text(None) is None


ACCOUNT = {"id": "A1", "Account_Name": "Acme"}
DEAL = {"id": "D1", "Account_Name": {"id": "A1", "name": "Acme"}}
CONTACT = {"id": "C1", "Account_Name": {"id": "A2", "name": "Beta"}}
RECORDS: dict[str, dict[str, dict[str, Any]]] = {
    "Accounts": {"A1": ACCOUNT, "A2": {"id": "A2", "Account_Name": "Beta"}},
    "Deals": {"D1": DEAL},
    "Contacts": {"C1": CONTACT},
}


def test_an_activity_finds_its_account_directly_through_its_deal_or_its_contact() -> None:
    direct = {"id": "T1", "What_Id": {"id": "A1"}, "$se_module": "Accounts"}
    on_deal = {"id": "T2", "What_Id": {"id": "D1"}, "$se_module": "Deals"}
    on_contact = {"id": "T3", "Who_Id": {"id": "C1"}}
    nowhere = {"id": "T4", "What_Id": {"id": "X"}, "$se_module": "Campaigns"}
    note = {"id": "N1", "Parent_Id": {"module": {"api_name": "Deals"}, "id": "D1"}}

    assert [account_of("Tasks", r, RECORDS) for r in (direct, on_deal, on_contact, nowhere)] == [
        "A1",
        "A1",
        "A2",
        None,
    ]
    assert account_of("Notes", note, RECORDS) == "A1"


def test_a_contact_that_moved_touches_both_accounts() -> None:
    after = {**RECORDS, "Contacts": {"C1": {**CONTACT, "Account_Name": {"id": "A1"}}}}

    assert touched_accounts({"Contacts": ["C1"]}, RECORDS, after) == {"A1", "A2"}
    assert touched_accounts({"Contacts": ["C1"]}, after, after) == {"A1"}


def test_fields_asked_for_are_the_standard_ones_and_the_mapped_custom_ones() -> None:
    without_tier = FieldMapping(tier="", needs="Segment_Needs")

    assert "Kamcore_Tier" in module_fields("Accounts", DEFAULT_FIELDS)
    assert "Kamcore_Tier" not in module_fields("Accounts", without_tier)
    assert "Segment_Needs" in module_fields("Accounts", without_tier)
    assert "Kamcore_Key" in module_fields("Tasks", DEFAULT_FIELDS)
    assert all(len(module_fields(m, DEFAULT_FIELDS)) <= 50 for m in ("Accounts", "Tasks", "Notes"))


def test_a_blank_note_is_set_aside_alone_not_with_its_account() -> None:
    records = {
        "Accounts": {"A1": {**ACCOUNT, "Owner": {"id": "U1", "name": "Anna"}}},
        "Notes": {
            "N1": {
                "id": "N1",
                "Note_Content": " ",
                "Parent_Id": {"module": {"api_name": "Accounts"}, "id": "A1"},
            }
        },
    }

    document, unplaced = build_document(
        records,
        fields=DEFAULT_FIELDS,
        currency="EUR",
        won_stages=["Closed Won"],
        exported_at=datetime(2026, 3, 1, tzinfo=UTC),
    )

    assert [a["id"] for a in document["accounts"]] == ["A1"]
    assert [(q.record_id, q.account_id) for q in unplaced] == [("N1", "A1")]
    assert document["staff"] == [{"id": "U1", "name": "Anna"}]
