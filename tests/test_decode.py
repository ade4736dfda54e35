"""Decoding a portfolio document: every kind of problem, its location and its message."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import kamcore
from kamcore import PortfolioFormatError, Problem, Quarantined
from kamcore.fileformat import FORMAT, VERSION, decode_portfolio, encode_portfolio
from kamcore.model import (
    EVENT_TYPES,
    Account,
    ClientFile,
    Portfolio,
    Promise,
    PromiseKept,
    Request,
    Timeline,
)

T0 = "2024-03-01T09:00:00+00:00"
KNOWN_KINDS = ", ".join(sorted(EVENT_TYPES))


def moment(days: int = 0, hours: int = 0) -> str:
    base = datetime(2024, 3, 1, 9, tzinfo=UTC)
    return (base + timedelta(days=days, hours=hours)).isoformat()


def acct(account_id: str = "A-1", **fields: Any) -> dict[str, Any]:
    return {"id": account_id, "name": "Acme", "owner": "li", **fields}


def tx(transaction_id: str = "T-1", **fields: Any) -> dict[str, Any]:
    record = {"id": transaction_id, "at": T0, "product": "pump", "amount": "10.50"}
    return {**record, "currency": "EUR", **fields}


def ev(kind: str, event_id: str, when: str = T0, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "id": event_id, "at": when, **fields}


def request(event_id: str = "R-1", when: str = T0, **fields: Any) -> dict[str, Any]:
    return ev("request", event_id, when, **{"subject": "discount", **fields})


def promise(event_id: str = "P-1", when: str = T0, **fields: Any) -> dict[str, Any]:
    return ev("promise", event_id, when, **{"what": "quote", "due": moment(7), **fields})


def doc(*accounts: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "accounts": list(accounts), **top}


def refused(document: Any, source: str = "portfolio.json") -> tuple[Problem, ...]:
    """The problems of a strict refusal of *document*."""
    with pytest.raises(PortfolioFormatError) as info:
        decode_portfolio(document, source=source)
    assert isinstance(info.value, kamcore.KamcoreError)
    assert info.value.source == source
    return info.value.problems


def only_problem(document: Any) -> Problem:
    """The single problem of *document*, the same in strict and collect mode."""
    (problem,) = refused(document)
    result = decode_portfolio(document, source="portfolio.json", strict=False)
    assert result.problems == (problem,)
    return problem


def collected(document: Any) -> kamcore.LoadResult:
    return decode_portfolio(document, source="portfolio.json", strict=False)


# -------------------------------------------------------------------------------------------------
# The document as a whole: refused in both modes
# -------------------------------------------------------------------------------------------------


def fatal(document: Any) -> tuple[Problem, ...]:
    """Problems of a document refused as a whole, checked to be the same in both modes."""
    problems = refused(document)
    with pytest.raises(PortfolioFormatError) as info:
        decode_portfolio(document, source="portfolio.json", strict=False)
    assert info.value.problems == problems
    return problems


@pytest.mark.parametrize("document", [[], "accounts", 1, None, [doc()]])
def test_top_level_must_be_an_object(document: Any) -> None:
    assert fatal(document) == (Problem("$", "expected a JSON object with a list of accounts"),)


def test_wrong_format() -> None:
    problems = fatal(doc(format="zoho.export"))
    assert problems == (Problem("format", "expected 'kamcore.portfolio', got 'zoho.export'"),)


@pytest.mark.parametrize(
    ("version", "shown"), [(2, "2"), ("1", "'1'"), (True, "True"), (None, "None")]
)
def test_wrong_version(version: Any, shown: str) -> None:
    assert fatal(doc(version=version)) == (
        Problem("version", f"this kamcore reads version 1, got {shown}"),
    )


def test_missing_accounts() -> None:
    assert fatal({"format": FORMAT, "version": 1}) == (Problem("accounts", "missing"),)


def test_unknown_top_level_key() -> None:
    assert fatal(doc(account=[])) == (Problem("account", "unknown field"),)


def test_every_header_problem_is_listed() -> None:
    problems = fatal({"format": "x", "version": 2, "Accounts": []})
    assert problems == (
        Problem("Accounts", "unknown field"),
        Problem("format", "expected 'kamcore.portfolio', got 'x'"),
        Problem("version", "this kamcore reads version 1, got 2"),
        Problem("accounts", "missing"),
    )


def test_format_and_version_may_be_left_out() -> None:
    assert len(decode_portfolio({"accounts": [acct()]}, source="s").portfolio) == 1


@pytest.mark.parametrize("key", ["accounts", "staff", "reports"])
@pytest.mark.parametrize("value", [{}, "A-1", None, 3])
def test_collections_must_be_lists(key: str, value: Any) -> None:
    document = doc(**{key: value})
    assert fatal(document) == (Problem(key, "expected a list"),)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "'yesterday' is not an ISO 8601 date-time"),
        ("2024-03-01T10:00:00", "naive datetime; give an offset"),
        (1709283600, "expected an ISO 8601 date-time string, got a number"),
    ],
)
def test_bad_exported_at(value: Any, message: str) -> None:
    assert fatal(doc(acct(), exported_at=value)) == (Problem("exported_at", message),)


def test_exported_at_is_read() -> None:
    document = doc(exported_at="2024-03-31T18:00:00+02:00")
    exported = decode_portfolio(document, source="s").portfolio.exported_at
    assert exported == datetime(2024, 3, 31, 16, tzinfo=UTC)
    assert exported is not None
    assert exported.utcoffset() == timedelta(hours=2)
    assert decode_portfolio(doc(exported_at=None), source="s").portfolio.exported_at is None


def test_source_names_the_error() -> None:
    with pytest.raises(PortfolioFormatError) as info:
        decode_portfolio([], source="zoho:acme-eu")
    assert (
        str(info.value)
        == "zoho:acme-eu: 1 problem\n  $: expected a JSON object with a list of accounts"
    )


# -------------------------------------------------------------------------------------------------
# Accounts
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", ["A-1", 7, None, [acct()]])
def test_account_must_be_an_object(item: Any) -> None:
    document = doc(acct("A-0"), item)
    assert only_problem(document) == Problem("accounts[1]", "expected an object")
    (entry,) = collected(document).quarantine
    assert (entry.kind, entry.location, entry.record_id, entry.account_id) == (
        "account",
        "accounts[1]",
        None,
        None,
    )
    assert entry.raw is document["accounts"][1]


def test_missing_required_field() -> None:
    record = acct()
    del record["owner"]
    assert only_problem(doc(record)) == Problem("accounts[0] (id=A-1).owner", "missing")


def test_missing_id_leaves_the_record_unnamed() -> None:
    record = acct()
    del record["id"]
    assert only_problem(doc(record)) == Problem("accounts[0].id", "missing")
    assert collected(doc(record)).quarantine[0].record_id is None


def test_unknown_field() -> None:
    assert only_problem(doc(acct(region="EU"))) == Problem(
        "accounts[0] (id=A-1).region", "unknown field"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", 5, "expected a string, got a number"),
        ("name", Decimal("5.5"), "expected a string, got a number"),
        ("name", True, "expected a string, got true/false"),
        ("name", ["Acme"], "expected a string, got a list"),
        ("name", {"en": "Acme"}, "expected a string, got an object"),
        ("name", None, "expected a string, got null"),
        ("tier", 1, "expected a string, got a number"),
        ("needs", "spare parts", "expected a list, got a string"),
        ("needs", None, "expected a list, got null"),
        ("needs", ["ok", 3], "[1] expected a string, got a number"),
        ("contacts", {"id": "C-1"}, "expected a list, got an object"),
        ("facts", [], "expected an object of facts, got a list"),
        ("facts", {"tags": ["a"]}, "tags: expected text, a number or true/false, got a list"),
        ("facts", {"x": None}, "x: expected text, a number or true/false, got null"),
        ("client_since", 2019, "expected an ISO 8601 date string, got a number"),
    ],
)
def test_wrong_type(field: str, value: Any, message: str) -> None:
    assert only_problem(doc(acct(**{field: value}))) == Problem(
        f"accounts[0] (id=A-1).{field}", message
    )


def test_wrong_type_in_a_boolean_field() -> None:
    event = ev("interaction", "I-1", channel="call", personal="yes")
    assert only_problem(doc(acct(events=[event]))) == Problem(
        "accounts[0] (id=A-1).events[0] (id=I-1).personal", "expected true or false, got a string"
    )


@pytest.mark.parametrize("blank", ["", "   ", "\u3000"])
def test_blank_string(blank: str) -> None:
    assert only_problem(doc(acct(name=blank))) == Problem(
        "accounts[0] (id=A-1).name", "must not be blank"
    )
    assert only_problem(doc(acct(needs=["ERP", blank]))) == Problem(
        "accounts[0] (id=A-1).needs", "[1] must not be blank"
    )


def test_blank_id_leaves_the_record_unnamed() -> None:
    assert only_problem(doc(acct(" "))) == Problem("accounts[0].id", "must not be blank")


def test_null_means_left_out_for_optional_fields() -> None:
    (client,) = decode_portfolio(doc(acct(tier=None, client_since=None)), source="s").portfolio
    assert client.account.tier is None
    assert client.account.client_since is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-02-30", "'2024-02-30' is not an ISO 8601 date (YYYY-MM-DD)"),
        ("01.04.2019", "'01.04.2019' is not an ISO 8601 date (YYYY-MM-DD)"),
    ],
)
def test_bad_iso_date(value: str, message: str) -> None:
    assert only_problem(doc(acct(client_since=value))) == Problem(
        "accounts[0] (id=A-1).client_since", message
    )


def test_date_is_read() -> None:
    (client,) = decode_portfolio(doc(acct(client_since="2019-04-01")), source="s").portfolio
    assert client.account.client_since == date(2019, 4, 1)


def test_bad_contact_costs_the_account() -> None:
    record = acct(contacts=[{"id": "C-1", "name": "Wang"}, {"id": "C-2"}], events=[request()])
    assert only_problem(doc(record)) == Problem(
        "accounts[0] (id=A-1).contacts", "[1] name: missing"
    )


def test_duplicate_contact_costs_the_account() -> None:
    contacts = [{"id": "C-1", "name": "Wang"}, {"id": "C-1", "name": "Li"}]
    assert only_problem(doc(acct(contacts=contacts))) == Problem(
        "accounts[0] (id=A-1).contacts[1].id", "duplicate contact id 'C-1'"
    )


def test_note_about_unknown_contact_costs_the_account() -> None:
    notes = [{"text": "from Harbin", "contact_id": "C-9"}]
    assert only_problem(doc(acct(personal_notes=notes))) == Problem(
        "accounts[0] (id=A-1).personal_notes[0].contact_id",
        "no contact with id 'C-9' in this account",
    )


def test_facts_are_read() -> None:
    facts = {"potential": 120, "share": Decimal("0.35"), "retail": True, "segment": "零售", "x": ""}
    (client,) = decode_portfolio(doc(acct(facts=facts)), source="s").portfolio
    assert dict(client.account.facts) == {**facts, "share": 0.35}
    assert isinstance(client.account.facts["share"], float)
    assert client.account.facts["retail"] is True


def test_transactions_and_events_must_be_lists() -> None:
    record = acct(transactions={"id": "T-1"}, events="none")
    assert refused(doc(record)) == (
        Problem("accounts[0] (id=A-1).transactions", "expected a list"),
        Problem("accounts[0] (id=A-1).events", "expected a list"),
    )


def test_duplicate_account_ids() -> None:
    document = doc(acct("A-1"), acct("A-2"), acct("A-1", name="Other"))
    assert only_problem(document) == Problem(
        "accounts[2] (id=A-1).id", "duplicate account id 'A-1'"
    )
    result = collected(document)
    assert [c.account.name for c in result.portfolio] == ["Acme", "Acme"]
    assert result.quarantine[0].raw is document["accounts"][2]


# -------------------------------------------------------------------------------------------------
# Transactions and amounts
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1200.50", Decimal("1200.50")),
        ("-35", Decimal("-35")),
        (Decimal("0.10"), Decimal("0.10")),
        (12, Decimal(12)),
    ],
)
def test_amount_is_read_exactly(amount: Any, expected: Decimal) -> None:
    (client,) = decode_portfolio(doc(acct(transactions=[tx(amount=amount)])), source="s").portfolio
    (transaction,) = client.transactions
    assert transaction.amount == expected
    assert str(transaction.amount) == str(expected)


def test_amount_in_exponent_notation_is_read() -> None:
    """docs/file-format.md: "Write it as a JSON string, such as "1200.50", "-35" or "1.2E+3"."""
    (client,) = decode_portfolio(
        doc(acct(transactions=[tx(amount="1.2E+3")])), source="s"
    ).portfolio
    assert client.transactions[0].amount == Decimal("1200")


@pytest.mark.parametrize("amount", ["1E+999999999", Decimal("-1E+999999999"), "1E-999999999"])
def test_amount_with_an_absurd_exponent_is_refused(amount: Any) -> None:
    """Accepted, such an amount makes the canonical writer (``format(amount, "f")``) build
    a string of a billion digits: a 20-byte file would exhaust memory on the next save."""
    problem = only_problem(doc(acct(transactions=[tx(amount=amount)])))
    assert problem.location == "accounts[0] (id=A-1).transactions[0] (id=T-1).amount"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (1.5, 'expected a decimal amount such as "1200.50", got a number'),
        (float("nan"), 'expected a decimal amount such as "1200.50", got a number'),
        (True, 'expected a decimal amount such as "1200.50", got true/false'),
        (None, 'expected a decimal amount such as "1200.50", got null'),
        (Decimal("NaN"), "must be a finite amount"),
        (Decimal("-Infinity"), "must be a finite amount"),
    ],
)
def test_bad_amount(amount: Any, message: str) -> None:
    assert only_problem(doc(acct(transactions=[tx(amount=amount)]))) == Problem(
        "accounts[0] (id=A-1).transactions[0] (id=T-1).amount", message
    )


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1200,50", "1 200.50", "€12", "", "abc"])
def test_amount_text_that_is_not_a_decimal_is_refused(amount: str) -> None:
    problem = only_problem(doc(acct(transactions=[tx(amount=amount)])))
    assert problem.location == "accounts[0] (id=A-1).transactions[0] (id=T-1).amount"
    assert "not a decimal amount" in problem.message or "must be a finite amount" in problem.message


@pytest.mark.parametrize("currency", ["eur", "EU1", "EURO"])
def test_bad_currency(currency: str) -> None:
    assert only_problem(doc(acct(transactions=[tx(currency=currency)]))) == Problem(
        "accounts[0] (id=A-1).transactions[0] (id=T-1).currency",
        f"{currency!r} is not an ISO 4217 code such as EUR",
    )


def test_naive_transaction_time() -> None:
    assert only_problem(doc(acct(transactions=[tx(at="2024-03-01T09:00:00")]))) == Problem(
        "accounts[0] (id=A-1).transactions[0] (id=T-1).at", "naive datetime; give an offset"
    )


def test_bad_date_time() -> None:
    assert only_problem(doc(acct(transactions=[tx(at="2024-03-01 9am")]))) == Problem(
        "accounts[0] (id=A-1).transactions[0] (id=T-1).at",
        "'2024-03-01 9am' is not an ISO 8601 date-time",
    )


def test_duplicate_transaction_ids() -> None:
    document = doc(acct(transactions=[tx("T-1"), tx("T-2"), tx("T-1", product="other")]))
    assert only_problem(document) == Problem(
        "accounts[0] (id=A-1).transactions[2] (id=T-1).id", "duplicate transaction id 'T-1'"
    )
    (entry,) = collected(document).quarantine
    assert (entry.kind, entry.record_id, entry.account_id) == ("transaction", "T-1", "A-1")
    (client,) = collected(document).portfolio
    assert [t.product for t in client.transactions] == ["pump", "pump"]


def test_same_transaction_id_in_two_accounts_is_fine() -> None:
    document = doc(acct("A-1", transactions=[tx()]), acct("A-2", transactions=[tx()]))
    assert len(decode_portfolio(document, source="s").portfolio) == 2


# -------------------------------------------------------------------------------------------------
# Events
# -------------------------------------------------------------------------------------------------


def test_naive_due_date() -> None:
    document = doc(acct("KA-003", events=[promise("P-3", due="2024-03-11T17:00:00")]))
    problem = only_problem(document)
    assert problem == Problem(
        "accounts[0] (id=KA-003).events[0] (id=P-3).due", "naive datetime; give an offset"
    )
    (entry,) = collected(document).quarantine
    assert (entry.kind, entry.location, entry.record_id, entry.account_id) == (
        "event",
        "accounts[0] (id=KA-003).events[0] (id=P-3)",
        "P-3",
        "KA-003",
    )


@pytest.mark.parametrize("kind", ["meeting", "Request", None, 3])
def test_unknown_event_kind(kind: Any) -> None:
    event = {"id": "E-1", "at": T0} if kind is None else {"kind": kind, "id": "E-1", "at": T0}
    assert only_problem(doc(acct(events=[event]))) == Problem(
        "accounts[0] (id=A-1).events[0] (id=E-1).kind",
        f"unknown event kind {kind!r}; expected one of {KNOWN_KINDS}",
    )


def test_event_must_be_an_object() -> None:
    assert only_problem(doc(acct(events=[request(), "R-2"]))) == Problem(
        "accounts[0] (id=A-1).events[1]", "expected an object"
    )


def test_event_field_of_another_kind_is_unknown() -> None:
    assert only_problem(doc(acct(events=[request(due=T0)]))) == Problem(
        "accounts[0] (id=A-1).events[0] (id=R-1).due", "unknown field"
    )


def test_reference_to_a_missing_event() -> None:
    events = [promise(), ev("promise_kept", "K-1", moment(1), promise_id="P-9")]
    assert only_problem(doc(acct(events=events))) == Problem(
        "accounts[0] (id=A-1).events[1] (id=K-1).promise_id",
        "no event with id 'P-9' in this timeline",
    )


def test_reference_to_an_event_of_another_account() -> None:
    document = doc(
        acct("A-1", events=[promise()]),
        acct("A-2", events=[ev("promise_kept", "K-1", moment(1), promise_id="P-1")]),
    )
    assert only_problem(document) == Problem(
        "accounts[1] (id=A-2).events[0] (id=K-1).promise_id",
        "no event with id 'P-1' in this timeline",
    )


def test_reference_to_a_quarantined_event() -> None:
    events = [promise(what=" "), ev("promise_kept", "K-1", moment(1), promise_id="P-1")]
    document = doc(acct(events=events))
    assert refused(document) == (
        Problem("accounts[0] (id=A-1).events[0] (id=P-1).what", "must not be blank"),
        Problem(
            "accounts[0] (id=A-1).events[1] (id=K-1).promise_id",
            "refers to 'P-1', which was set aside",
        ),
    )
    result = collected(document)
    assert [q.record_id for q in result.quarantine] == ["P-1", "K-1"]
    assert len(result.portfolio["A-1"].timeline) == 0


def test_reference_to_a_later_event() -> None:
    events = [ev("promise_kept", "K-1", moment(1), promise_id="P-1"), promise("P-1", moment(2))]
    assert only_problem(doc(acct(events=events))) == Problem(
        "accounts[0] (id=A-1).events[0] (id=K-1).promise_id",
        "'P-1' happens later (2024-03-03T09:00:00+00:00) than this event",
    )


def test_reference_to_an_event_of_the_wrong_kind() -> None:
    events = [request(), ev("promise_kept", "K-1", moment(1), promise_id="R-1")]
    assert only_problem(doc(acct(events=events))) == Problem(
        "accounts[0] (id=A-1).events[1] (id=K-1).promise_id",
        "'R-1' is a request, expected a promise",
    )


def test_wait_about_a_missing_event() -> None:
    events = [ev("wait_started", "W-1", reason="forecast", about="R-9")]
    assert only_problem(doc(acct(events=events))) == Problem(
        "accounts[0] (id=A-1).events[0] (id=W-1).about", "no event with id 'R-9' in this timeline"
    )


def test_quarantine_cascades_through_a_chain_of_references() -> None:
    events = [
        ev("wait_started", "W-1", T0, reason="forecast", about="RA-1"),
        ev("request_answered", "RA-1", T0, request_id="R-9"),
        ev("wait_ended", "WE-1", moment(1), wait_id="W-1"),
        request("R-1"),
    ]
    result = collected(doc(acct(events=events)))
    assert {q.record_id for q in result.quarantine} == {"RA-1", "W-1", "WE-1"}
    assert [e.id for e in result.portfolio["A-1"].timeline] == ["R-1"]
    assert len(refused(doc(acct(events=events)))) == 3


def test_same_moment_reference_in_any_order() -> None:
    events = [
        ev("request_answered", "RA-1", "2024-03-01T17:00:00+08:00", request_id="R-1"),
        request(),
    ]
    (client,) = decode_portfolio(doc(acct(events=events)), source="s").portfolio
    assert [e.id for e in client.timeline] == ["R-1", "RA-1"]


def test_duplicate_event_ids() -> None:
    events = [request("E-1"), promise("P-1"), promise("E-1", moment(1))]
    document = doc(acct(events=events))
    assert only_problem(document) == Problem(
        "accounts[0] (id=A-1).events[2] (id=E-1).id", "duplicate event id 'E-1'"
    )
    (client,) = collected(document).portfolio
    assert isinstance(client.timeline.get("E-1"), Request)


@pytest.mark.parametrize(
    ("event", "field", "message"),
    [
        (ev("survey", "S-1"), "product_quality", "a survey response needs at least one score"),
        (ev("survey", "S-1", nps=11), "nps", "11 is outside 0..10"),
        (ev("survey", "S-1", nps=Decimal("7.5")), "nps", "expected a whole number, got a number"),
        (ev("survey", "S-1", product_quality=6), "product_quality", "6.0 is outside 1..5"),
        (
            ev("survey", "S-1", service_attitude="5"),
            "service_attitude",
            "expected a number, got a string",
        ),
        (
            ev("decision", "S-1", finding="silence", action="snooze"),
            "until",
            "a snooze needs the date it ends",
        ),
        (
            ev("interaction", "S-1", channel="fax"),
            "channel",
            "'fax' is not one of call, demo, email, meeting, message, visit",
        ),
        (
            ev("complaint_step", "S-1", complaint_id="C", step="closed"),
            "step",
            "'closed' is not one of accepted, feedback_given, investigating, resolved",
        ),
        (
            ev("goal_progress", "S-1", goal_id="G", progress=Decimal("1.5")),
            "progress",
            "1.5 is outside 0..1",
        ),
    ],
)
def test_event_values_that_break_a_rule(event: dict[str, Any], field: str, message: str) -> None:
    assert only_problem(doc(acct(events=[event]))) == Problem(
        f"accounts[0] (id=A-1).events[0] (id=S-1).{field}", message
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nps", float("nan")),
        ("nps", float("inf")),
        ("nps", Decimal("1E+400")),
        ("nps", 10**400),
        ("product_quality", 10**400),
        ("product_quality", float("nan")),
    ],
    ids=["nps-NaN", "nps-Infinity", "nps-1e400", "nps-10**400", "quality-10**400", "quality-NaN"],
)
def test_non_finite_or_huge_survey_score_is_a_problem_not_a_crash(field: str, value: Any) -> None:
    """Python's json module reads NaN, Infinity, 1e400 and very long integers: all must
    end as a problem of the record, never as a ValueError/OverflowError out of the loader."""
    problem = only_problem(doc(acct(events=[ev("survey", "S-1", **{field: value})])))
    assert problem.location == f"accounts[0] (id=A-1).events[0] (id=S-1).{field}"


# -------------------------------------------------------------------------------------------------
# Staff and reports
# -------------------------------------------------------------------------------------------------


def test_duplicate_staff_ids() -> None:
    staff = [{"id": "S-1", "name": "Li"}, {"id": "S-1", "name": "Wang"}]
    document = doc(staff=staff)
    assert only_problem(document) == Problem("staff[1] (id=S-1).id", "duplicate staff id 'S-1'")
    (entry,) = collected(document).quarantine
    assert (entry.kind, entry.record_id, entry.account_id) == ("staff", "S-1", None)
    assert [m.name for m in collected(document).portfolio.staff] == ["Li"]


def test_bad_staff_role() -> None:
    assert only_problem(doc(staff=[{"id": "S-1", "name": "Li", "role": "boss"}])) == Problem(
        "staff[0] (id=S-1).role",
        "'boss' is not one of account_manager, billing, delivery, department_head, "
        "executive, other, support",
    )


def test_report_covering_an_unknown_account() -> None:
    report = {"id": "REP-1", "at": T0, "to": "head", "account_ids": ["A-1", "A-9"]}
    document = doc(acct("A-1"), reports=[report])
    assert only_problem(document) == Problem(
        "reports[0] (id=REP-1).account_ids[1]", "no account with id 'A-9' (or it was set aside)"
    )
    (entry,) = collected(document).quarantine
    assert (entry.kind, entry.location, entry.record_id) == (
        "report",
        "reports[0] (id=REP-1)",
        "REP-1",
    )


def test_report_covering_a_quarantined_account() -> None:
    report = {"id": "REP-1", "at": T0, "to": "head", "account_ids": ["A-1", "A-2"]}
    document = doc(acct("A-1"), acct("A-2", owner=""), reports=[report])
    assert refused(document) == (
        Problem("accounts[1] (id=A-2).owner", "must not be blank"),
        Problem(
            "reports[0] (id=REP-1).account_ids[1]", "no account with id 'A-2' (or it was set aside)"
        ),
    )
    result = collected(document)
    assert [q.kind for q in result.quarantine] == ["account", "report"]
    assert result.portfolio.reports == ()


def test_duplicate_report_ids() -> None:
    reports = [{"id": "REP-1", "at": T0, "to": "head"}, {"id": "REP-1", "at": moment(1), "to": "x"}]
    assert only_problem(doc(reports=reports)) == Problem(
        "reports[1] (id=REP-1).id", "duplicate report id 'REP-1'"
    )


# -------------------------------------------------------------------------------------------------
# Strict and collect modes
# -------------------------------------------------------------------------------------------------


def messy_document() -> dict[str, Any]:
    """Several bad records, several bad fields in each, among good ones."""
    good_events = [request("R-1"), ev("request_answered", "RA-1", moment(1), request_id="R-1")]
    return doc(
        acct("A-1", name=" ", colour="red"),  # two problems
        acct(
            "A-2",
            transactions=[tx("T-1"), tx("T-2", amount=1.5, at="2024-03-01", product=7)],
            events=[
                *good_events,
                promise("P-1", due="2024-03-11T17:00:00", what="", extra=1),
                ev("unknown", "X-1"),
            ],
        ),
        acct("A-3"),
        staff=[{"id": "S-1", "name": "Li", "role": 3}],
        reports=[{"id": "REP-1", "at": T0, "to": "head", "account_ids": ["A-1"]}],
    )


MESSY_PROBLEMS = (
    Problem("staff[0] (id=S-1).role", "expected a string, got a number"),
    Problem("accounts[0] (id=A-1).name", "must not be blank"),
    Problem("accounts[0] (id=A-1).colour", "unknown field"),
    Problem(
        "accounts[1] (id=A-2).transactions[1] (id=T-2).at",
        "naive datetime; give an offset",
    ),
    Problem(
        "accounts[1] (id=A-2).transactions[1] (id=T-2).product", "expected a string, got a number"
    ),
    Problem(
        "accounts[1] (id=A-2).transactions[1] (id=T-2).amount",
        'expected a decimal amount such as "1200.50", got a number',
    ),
    Problem("accounts[1] (id=A-2).events[2] (id=P-1).what", "must not be blank"),
    Problem("accounts[1] (id=A-2).events[2] (id=P-1).due", "naive datetime; give an offset"),
    Problem("accounts[1] (id=A-2).events[2] (id=P-1).extra", "unknown field"),
    Problem(
        "accounts[1] (id=A-2).events[3] (id=X-1).kind",
        f"unknown event kind 'unknown'; expected one of {KNOWN_KINDS}",
    ),
    Problem(
        "reports[0] (id=REP-1).account_ids[0]", "no account with id 'A-1' (or it was set aside)"
    ),
)


def test_strict_lists_every_problem_of_every_record() -> None:
    with pytest.raises(PortfolioFormatError) as info:
        decode_portfolio(messy_document(), source="portfolio.json")
    assert info.value.problems == MESSY_PROBLEMS
    assert str(info.value).startswith("portfolio.json: 11 problems\n  staff[0] (id=S-1).role: ")
    assert str(info.value).count("\n  ") == 11


def test_collect_keeps_the_good_records_and_quarantines_the_rest() -> None:
    document = messy_document()
    original = copy.deepcopy(document)
    result = decode_portfolio(document, source="portfolio.json", strict=False)
    assert document == original  # the input is not changed
    assert result.problems == MESSY_PROBLEMS
    portfolio = result.portfolio
    assert list(portfolio.files) == ["A-2", "A-3"]
    assert portfolio.staff == ()
    assert portfolio.reports == ()
    a2 = portfolio["A-2"]
    assert [t.id for t in a2.transactions] == ["T-1"]
    assert [e.id for e in a2.timeline] == ["R-1", "RA-1"]
    assert [(q.kind, q.location, q.record_id, q.account_id) for q in result.quarantine] == [
        ("staff", "staff[0] (id=S-1)", "S-1", None),
        ("account", "accounts[0] (id=A-1)", "A-1", None),
        ("transaction", "accounts[1] (id=A-2).transactions[1] (id=T-2)", "T-2", "A-2"),
        ("event", "accounts[1] (id=A-2).events[2] (id=P-1)", "P-1", "A-2"),
        ("event", "accounts[1] (id=A-2).events[3] (id=X-1)", "X-1", "A-2"),
        ("report", "reports[0] (id=REP-1)", "REP-1", None),
    ]
    # Each entry holds the very record of the source, so nothing is lost.
    raws = [q.raw for q in result.quarantine]
    assert raws[0] is document["staff"][0]
    assert raws[1] is document["accounts"][0]
    assert raws[2] is document["accounts"][1]["transactions"][1]
    assert raws[3] is document["accounts"][1]["events"][2]
    assert raws[4] is document["accounts"][1]["events"][3]
    assert raws[5] is document["reports"][0]
    assert [len(q.problems) for q in result.quarantine] == [1, 2, 3, 3, 1, 1]


def test_problems_come_in_document_order() -> None:
    """FormatError.problems is documented as "every problem found, in document order"."""
    events = [
        ev("promise_kept", "K-1", moment(1), promise_id="P-9"),  # events[0]: bad reference
        request("R-1", subject=""),  # events[1]: bad field
    ]
    locations = [p.location for p in refused(doc(acct(events=events)))]
    assert locations == [
        "accounts[0] (id=A-1).events[0] (id=K-1).promise_id",
        "accounts[0] (id=A-1).events[1] (id=R-1).subject",
    ]


def test_clean_document_has_an_empty_quarantine_in_both_modes() -> None:
    document = doc(acct(transactions=[tx()], events=[request()]))
    strict = decode_portfolio(document, source="s")
    lenient = decode_portfolio(document, source="s", strict=False)
    assert strict.quarantine == lenient.quarantine == ()
    assert strict.problems == ()
    assert strict.portfolio == lenient.portfolio


def test_set_aside_records_join_the_quarantine() -> None:
    orphan = Quarantined(
        "transaction",
        "transactions.csv line 3",
        "T-9",
        "A-404",
        (Problem("transactions.csv line 3.account_id", "no account with this id"),),
        {"id": "T-9"},
    )
    result = decode_portfolio(doc(acct()), source="s", strict=False, set_aside=[orphan])
    assert result.quarantine == (orphan,)
    assert len(result.portfolio) == 1
    with pytest.raises(PortfolioFormatError) as info:
        decode_portfolio(doc(acct()), source="s", set_aside=[orphan])
    assert info.value.problems == orphan.problems


# -------------------------------------------------------------------------------------------------
# Encoding
# -------------------------------------------------------------------------------------------------


def test_encoded_document_is_plain_json() -> None:
    """Lists, not tuples: the encoded document decodes as it is, without a trip through text."""
    cn = timezone(timedelta(hours=8))
    account = Account(id="A-1", name="纷享", owner="li", needs=["ERP"], preferences=["call"])
    events = [
        Promise(
            id="P-1",
            at=datetime(2024, 3, 1, tzinfo=cn),
            what="quote",
            due=datetime(2024, 3, 8, tzinfo=cn),
        ),
        PromiseKept(id="K-1", at=datetime(2024, 3, 2, tzinfo=cn), promise_id="P-1"),
    ]
    portfolio = Portfolio(files=[ClientFile(account=account, timeline=Timeline(events))])
    document = encode_portfolio(portfolio)
    assert document["accounts"][0]["needs"] == ["ERP"]
    assert type(document["accounts"][0]["needs"]) is list
    assert document["accounts"][0]["events"][0] == {
        "kind": "promise",
        "id": "P-1",
        "at": "2024-03-01T00:00:00+08:00",
        "what": "quote",
        "due": "2024-03-08T00:00:00+08:00",
    }
    assert decode_portfolio(document, source="s").portfolio == portfolio
    assert json.loads(json.dumps(document)) == document
