"""The client-file model: one test per validation rule, and the timeline queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

import attrs
import pytest

import kamcore
from kamcore.model import (
    EVENT_TYPES,
    Account,
    AdverseChange,
    AnswerPromised,
    ChangeCommunicated,
    ClientFile,
    Complaint,
    ComplaintStep,
    Contact,
    Decision,
    Document,
    Event,
    Goal,
    GoalProgress,
    Interaction,
    PersonalNote,
    Portfolio,
    Promise,
    PromiseKept,
    PromiseRenegotiated,
    Report,
    Request,
    RequestAnswered,
    Situation,
    SituationResponse,
    StaffMember,
    SurveyResponse,
    Timeline,
    Transaction,
    WaitEnded,
    WaitStarted,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
CN = timezone(timedelta(hours=8))


def at(days: float = 0, hours: float = 0) -> datetime:
    """A moment *days* and *hours* after ``T0``."""
    return T0 + timedelta(days=days, hours=hours)


@contextmanager
def invalid(field: str, reason: str | None = None, record_id: str | None = None) -> Iterator[None]:
    """Expect an :class:`InvalidValueError` naming *field* (and *reason*, *record_id*)."""
    with pytest.raises(kamcore.InvalidValueError) as info:
        yield
    error = info.value
    assert isinstance(error, kamcore.KamcoreError)
    assert isinstance(error, ValueError)
    assert error.field == field, str(error)
    if reason is not None:
        assert reason in error.reason, error.reason
        assert reason in str(error)
    if record_id is not None:
        assert error.record_id == record_id
        assert str(error).startswith(f"{field} (id={record_id}): ")


def account(**changes: Any) -> Account:
    return Account(**{"id": "A-1", "name": "Acme", "owner": "li", **changes})


def transaction(**changes: Any) -> Transaction:
    fields = {
        "id": "T-1",
        "at": at(),
        "product": "widget",
        "amount": Decimal("1200.50"),
        "currency": "EUR",
    }
    return Transaction(**{**fields, **changes})


def request(event_id: str = "R-1", when: datetime = T0, **changes: Any) -> Request:
    return Request(id=event_id, at=when, subject="price list", **changes)


def promise(event_id: str = "P-1", when: datetime = T0, due: datetime | None = None) -> Promise:
    return Promise(id=event_id, at=when, what="send a quote", due=due or at(days=7))


def interaction(event_id: str, when: datetime, **changes: Any) -> Interaction:
    return Interaction(id=event_id, at=when, **{"channel": "call", **changes})


def wait(event_id: str, when: datetime, about: str | None) -> WaitStarted:
    return WaitStarted(id=event_id, at=when, reason="waiting for specs", about=about)


# -------------------------------------------------------------------------------------------------
# The error
# -------------------------------------------------------------------------------------------------


def test_invalid_value_error_is_a_kamcore_and_value_error() -> None:
    error = kamcore.InvalidValueError("due", "naive datetime", record_id="P-3")
    assert isinstance(error, kamcore.KamcoreError)
    assert isinstance(error, ValueError)
    assert (error.field, error.reason, error.record_id) == ("due", "naive datetime", "P-3")
    assert str(error) == "due (id=P-3): naive datetime"
    assert str(kamcore.InvalidValueError("staff", "must be unique")) == "staff: must be unique"


# -------------------------------------------------------------------------------------------------
# Validators: datetimes
# -------------------------------------------------------------------------------------------------


def test_naive_datetime_is_refused() -> None:
    with invalid("at", "naive datetime; give an offset", record_id="T-1"):
        transaction(at=datetime(2024, 3, 1, 9, 0))  # noqa: DTZ001 - the point of the test


def test_datetime_whose_tzinfo_gives_no_offset_is_naive() -> None:
    class NoOffset(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            return None

    with invalid("due", "naive datetime"):
        Promise(id="P-1", at=T0, what="x", due=datetime(2024, 3, 1, tzinfo=NoOffset()))


@pytest.mark.parametrize("value", ["2024-03-01T09:00:00+00:00", date(2024, 3, 1), 1709283600])
def test_non_datetime_is_refused(value: Any) -> None:
    with invalid("at", "expected a datetime"):
        transaction(at=value)


@pytest.mark.parametrize(
    ("cls", "field", "fields"),
    [
        (AnswerPromised, "answer_by", {"request_id": "R-1"}),
        (PromiseRenegotiated, "new_due", {"promise_id": "P-1"}),
        (Goal, "target", {"title": "grow"}),
        (Decision, "until", {"finding": "silence", "action": "snooze"}),
    ],
)
def test_naive_datetime_in_any_datetime_field_is_refused(
    cls: type[Event], field: str, fields: dict[str, Any]
) -> None:
    naive = datetime(2024, 3, 8)  # noqa: DTZ001 - the point of the test
    with invalid(field, "naive datetime", record_id="E-1"):
        cls(id="E-1", at=T0, **fields, **{field: naive})


def test_naive_exported_at_is_refused() -> None:
    with invalid("exported_at", "naive datetime"):
        Portfolio(exported_at=datetime(2024, 3, 1))  # noqa: DTZ001


def test_naive_report_time_is_refused() -> None:
    with invalid("at", "naive datetime", record_id="R-1"):
        Report(id="R-1", at=datetime(2024, 3, 1), to="head")  # noqa: DTZ001


# -------------------------------------------------------------------------------------------------
# Validators: text
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "\t\n", "\u3000"])  # \u3000: ideographic space
def test_blank_text_is_refused(blank: str) -> None:
    with invalid("name", "must not be blank", record_id="A-1"):
        account(name=blank)


def test_blank_id_is_refused_and_names_no_record() -> None:
    with pytest.raises(kamcore.InvalidValueError) as info:
        account(id=" ")
    assert info.value.field == "id"
    assert info.value.record_id is None


@pytest.mark.parametrize("value", [5, None, b"Acme", ["Acme"]])
def test_non_string_text_is_refused(value: Any) -> None:
    with invalid("owner", "expected a string"):
        account(owner=value)


@pytest.mark.parametrize(
    ("cls", "fields", "field"),
    [
        (Contact, {"id": "C-1", "name": "Wang"}, "position"),
        (Contact, {"id": "C-1", "name": "Wang"}, "email"),
        (PersonalNote, {"text": "from Harbin"}, "topic"),
        (Document, {"name": "minutes.pdf"}, "uri"),
        (StaffMember, {"id": "S-1", "name": "Li"}, "language"),
    ],
)
def test_blank_optional_text_is_refused(cls: type, fields: dict[str, Any], field: str) -> None:
    with invalid(field, "must not be blank"):
        cls(**fields, **{field: " "})


def test_optional_text_accepts_none_and_text() -> None:
    contact = Contact(id="C-1", name="Олена", position=None, email="o@example.com")
    assert contact.position is None
    assert contact.email == "o@example.com"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda bad: account(needs=["ERP", bad]), "needs[1]"),
        (lambda bad: account(preferences=[bad]), "preferences[0]"),
        (lambda bad: interaction("I-1", T0, topics=["thanks", "update", bad]), "topics[2]"),
        (
            lambda bad: ChangeCommunicated(id="E", at=T0, change_id="C", alternatives=[bad]),
            "alternatives[0]",
        ),
        (
            lambda bad: Goal(id="G", at=T0, title="grow", client_participants=["C-1", bad]),
            "client_participants[1]",
        ),
        (lambda bad: Report(id="R", at=T0, to="head", account_ids=[bad]), "account_ids[0]"),
    ],
)
@pytest.mark.parametrize("bad", [" ", 7, None])
def test_list_of_texts_refuses_blank_or_non_string_items(build: Any, field: str, bad: Any) -> None:
    with invalid(field, "must be a non-blank string"):
        build(bad)


def test_string_for_a_list_of_texts_is_refused() -> None:
    """``needs="ERP"`` must not silently become ``("E", "R", "P")``."""
    with invalid("needs"):
        account(needs="ERP")


@pytest.mark.parametrize("field", ["contacts", "needs", "personal_notes"])
def test_none_for_a_collection_raises_invalid_value_error(field: str) -> None:
    """A bad value raises InvalidValueError naming the field, never a bare TypeError."""
    with invalid(field):
        account(**{field: None})


# -------------------------------------------------------------------------------------------------
# Validators: choices
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field", "bad"),
    [
        (lambda bad: Contact(id="C", name="Wang", channel=bad), "channel", "fax"),
        (lambda bad: interaction("I", T0, channel=bad), "channel", "Call"),
        (lambda bad: interaction("I", T0, initiated_by=bad), "initiated_by", "them"),
        (lambda bad: request(channel=bad), "channel", "letter"),
        (lambda bad: AdverseChange(id="X", at=T0, change=bad, description="d"), "change", "price"),
        (lambda bad: ComplaintStep(id="X", at=T0, complaint_id="C", step=bad), "step", "closed"),
        (lambda bad: Decision(id="X", at=T0, finding="f", action=bad), "action", "ignore"),
        (lambda bad: StaffMember(id="S", name="Li", role=bad), "role", "boss"),
    ],
)
def test_value_outside_its_choices_is_refused(build: Any, field: str, bad: str) -> None:
    with pytest.raises(kamcore.InvalidValueError) as info:
        build(bad)
    assert info.value.field == field
    assert f"{bad!r} is not one of " in info.value.reason


def test_choice_error_lists_the_choices() -> None:
    with invalid("step", "is not one of accepted, feedback_given, investigating, resolved"):
        ComplaintStep(id="X", at=T0, complaint_id="C", step="open")


# -------------------------------------------------------------------------------------------------
# Validators: typed collections
# -------------------------------------------------------------------------------------------------


def test_contacts_must_be_contacts() -> None:
    with invalid("contacts[1]", "expected Contact, got dict", record_id="A-1"):
        account(contacts=[Contact(id="C-1", name="Wang"), {"id": "C-2", "name": "Li"}])


def test_personal_notes_must_be_notes() -> None:
    with invalid("personal_notes[0]", "expected PersonalNote, got str"):
        account(personal_notes=["likes football"])


def test_documents_must_be_documents() -> None:
    with invalid("documents[0]", "expected Document, got str", record_id="R-1"):
        request(documents=["minutes.pdf"])


def test_staff_must_be_staff_members() -> None:
    with invalid("staff[0]", "expected StaffMember, got str"):
        Portfolio(staff=["Li"])


def test_files_must_be_client_files() -> None:
    with invalid("files[0]", "expected ClientFile, got Account"):
        Portfolio(files=[account()])


def test_transactions_must_be_transactions() -> None:
    with invalid("transactions[1]", "expected Transaction"):
        ClientFile(account=account(), transactions=[transaction(), "T-2"])


def test_reports_must_be_reports() -> None:
    with invalid("reports[0]", "expected Report"):
        Portfolio(reports=[{"id": "R-1"}])


def test_timeline_events_must_be_events() -> None:
    with invalid("events[1]"):
        Timeline([request(), "R-2"])


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ClientFile(account={"id": "A-1"}), "account"),
        (lambda: ClientFile(account=account(), timeline=[request()]), "timeline"),
        (lambda: account(client_since="2024-01-01"), "client_since"),
        (lambda: interaction("I-1", T0, personal="no"), "personal"),
        (lambda: RequestAnswered(id="X", at=T0, request_id="R", declined=1), "declined"),
        (lambda: StaffMember(id="S-1", name="Li", sees_key_list=None), "sees_key_list"),
    ],
)
def test_wrong_type_raises_invalid_value_error(build: Any, field: str) -> None:
    """Every bad value raises InvalidValueError naming the field (the model's promise),
    not the bare TypeError of ``attrs.validators.instance_of``."""
    with invalid(field):
        build()


def test_client_since_must_be_a_date_not_a_datetime() -> None:
    """A datetime is a date subclass; accepted, it encodes to a value the decoder refuses."""
    with invalid("client_since"):
        account(client_since=datetime(2020, 5, 1, tzinfo=UTC))


# -------------------------------------------------------------------------------------------------
# Validators: amounts, currencies, scores, facts
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1200.5, 1200, "1200.50", None])
def test_amount_must_be_a_decimal(value: Any) -> None:
    with invalid("amount", "expected a Decimal", record_id="T-1"):
        transaction(amount=value)


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_amount_must_be_finite(value: str) -> None:
    with invalid("amount", "must be a finite number"):
        transaction(amount=Decimal(value))


def test_negative_and_exact_amounts_are_kept() -> None:
    assert transaction(amount=Decimal("-0.10")).amount == Decimal("-0.10")
    assert str(transaction(amount=Decimal("1200.50")).amount) == "1200.50"


@pytest.mark.parametrize(
    "code", ["eur", "EU1", "EURO", "EU", "", "\u0415\u0423\u0420", "E R", 978, None]
)
def test_bad_currency_is_refused(code: Any) -> None:
    with invalid("currency", "is not an ISO 4217 code such as EUR", record_id="T-1"):
        transaction(currency=code)


@pytest.mark.parametrize("code", ["EUR", "CNY", "BGN", "UAH", "RUB"])
def test_currency_codes_are_accepted(code: str) -> None:
    assert transaction(currency=code).currency == code


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("product_quality", 0, "0 is outside 1..5"),
        ("service_attitude", 5.5, "5.5 is outside 1..5"),
        ("resolution_efficiency", float("nan"), "outside 1..5"),
        ("product_quality", float("inf"), "outside 1..5"),
        ("product_quality", True, "expected a number, got bool"),
        ("service_attitude", "4", "expected a number, got str"),
        ("nps", -1, "-1 is outside 0..10"),
        ("nps", 11, "11 is outside 0..10"),
        ("nps", False, "expected a number, got bool"),
    ],
)
def test_survey_score_out_of_range_is_refused(field: str, value: Any, reason: str) -> None:
    with invalid(field, reason, record_id="S-1"):
        SurveyResponse(id="S-1", at=T0, **{field: value})


def test_survey_nps_must_be_a_whole_number() -> None:
    with invalid("nps", "must be a whole number from 0 to 10"):
        SurveyResponse(id="S-1", at=T0, nps=7.5)


def test_survey_needs_at_least_one_score() -> None:
    with invalid("product_quality", "needs at least one score", record_id="S-1"):
        SurveyResponse(id="S-1", at=T0)


def test_survey_with_only_an_nps_is_valid() -> None:
    survey = SurveyResponse(id="S-1", at=T0, nps=0)
    assert survey.mean_score is None
    assert SurveyResponse(id="S-2", at=T0, product_quality=4, service_attitude=5).mean_score == 4.5


def test_huge_nps_is_refused_as_out_of_range() -> None:
    """An integer too large for a float is out of 0..10, not an OverflowError."""
    with invalid("nps", "outside 0..10"):
        SurveyResponse(id="S-1", at=T0, nps=10**400)


@pytest.mark.parametrize("progress", [-0.1, 1.01, float("nan")])
def test_goal_progress_must_be_a_share(progress: float) -> None:
    with invalid("progress", "outside 0..1", record_id="GP-1"):
        GoalProgress(id="GP-1", at=T0, goal_id="G-1", progress=progress)


@pytest.mark.parametrize(
    ("facts", "field", "reason"),
    [
        ({"": 1}, "facts", "fact name '' must be a non-blank string"),
        ({"  ": 1}, "facts", "must be a non-blank string"),
        ({1: "x"}, "facts", "fact name 1"),
        ({"tags": ["a"]}, "facts.tags", "expected text, a number or true/false, got list"),
        ({"potential": None}, "facts.potential", "got NoneType"),
        ({"potential": Decimal("1.5")}, "facts.potential", "got Decimal"),
        ({"potential": float("nan")}, "facts.potential", "must be a finite number"),
        ({"potential": float("-inf")}, "facts.potential", "must be a finite number"),
    ],
)
def test_bad_fact_is_refused(facts: dict[Any, Any], field: str, reason: str) -> None:
    with invalid(field, reason, record_id="A-1"):
        account(facts=facts)


def test_facts_of_every_kind_are_kept_and_frozen() -> None:
    facts = {"brand": "华为", "reps": 120, "potential": 0.75, "strategic_list": True, "note": ""}
    client = account(facts=facts)
    assert dict(client.facts) == facts
    facts["reps"] = 1  # the account does not share the caller's dict
    assert client.facts["reps"] == 120
    with pytest.raises(TypeError):
        client.facts["reps"] = 2  # type: ignore[index]


def test_records_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        account().name = "Other"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        request().subject = "other"  # type: ignore[misc]


def test_collections_become_tuples() -> None:
    client = account(needs=["ERP", "CRM"], contacts=iter([Contact(id="C-1", name="Wang")]))
    assert client.needs == ("ERP", "CRM")
    assert isinstance(client.contacts, tuple)


# -------------------------------------------------------------------------------------------------
# Cross-field checks
# -------------------------------------------------------------------------------------------------


def test_snooze_needs_until() -> None:
    with invalid("until", "a snooze needs the date it ends", record_id="D-1"):
        Decision(id="D-1", at=T0, finding="silence", action="snooze")


def test_acknowledge_needs_no_until() -> None:
    assert Decision(id="D-1", at=T0, finding="silence", action="acknowledge").until is None


def test_duplicate_contact_ids_are_refused() -> None:
    people = [Contact(id="C-1", name="Wang"), Contact(id="C-1", name="Li")]
    with invalid("contacts[1].id", "duplicate contact id 'C-1'", record_id="A-1"):
        account(contacts=people)


def test_personal_note_about_unknown_contact_is_refused() -> None:
    notes = [
        PersonalNote(text="company", contact_id=None),
        PersonalNote(text="x", contact_id="C-9"),
    ]
    with invalid("personal_notes[1].contact_id", "no contact with id 'C-9'", record_id="A-1"):
        account(contacts=[Contact(id="C-1", name="Wang")], personal_notes=notes)


def test_personal_note_about_a_known_contact_is_valid() -> None:
    note = PersonalNote(text="fan of Shandong Taishan", topic="sport", contact_id="C-1")
    client = account(contacts=[Contact(id="C-1", name="Wang")], personal_notes=[note])
    assert client.contact("C-1") == Contact(id="C-1", name="Wang")
    assert client.contact("C-2") is None


def test_duplicate_transaction_ids_are_refused() -> None:
    pair = [transaction(id="T-1", at=at(1)), transaction(id="T-1", at=at(2))]
    with invalid("transactions[1].id", "duplicate transaction id 'T-1'", record_id="A-1"):
        ClientFile(account=account(), transactions=pair)


def test_transactions_are_kept_oldest_first() -> None:
    late, early = transaction(id="T-2", at=at(5)), transaction(id="T-1", at=at(1))
    assert ClientFile(account=account(), transactions=[late, early]).transactions == (early, late)


def test_duplicate_account_ids_are_refused() -> None:
    files = [ClientFile(account=account()), ClientFile(account=account(name="Acme 2"))]
    with invalid("files[1].account.id", "duplicate account id 'A-1'", record_id="A-1"):
        Portfolio(files=files)


def test_duplicate_staff_ids_are_refused() -> None:
    staff = [StaffMember(id="S-1", name="Li"), StaffMember(id="S-1", name="Wang")]
    with invalid("staff", "staff ids must be unique"):
        Portfolio(staff=staff)


def test_report_covering_unknown_account_is_refused() -> None:
    report = Report(id="R-1", at=T0, to="head", account_ids=["A-1", "A-9"])
    with invalid("reports[0].account_ids[1]", "no account with id 'A-9'", record_id="R-1"):
        Portfolio(files=[ClientFile(account=account())], reports=[report])


def test_duplicate_report_ids_are_refused() -> None:
    """A report id is "unique in the portfolio" (Report docs); two reports may not share one."""
    reports = [Report(id="R-1", at=at(1), to="head"), Report(id="R-1", at=at(2), to="head")]
    with invalid("reports", "report ids must be unique"):
        Portfolio(reports=reports)


def test_portfolio_lookup() -> None:
    portfolio = Portfolio(
        files=[ClientFile(account=account()), ClientFile(account=account(id="B"))]
    )
    assert len(portfolio) == 2
    assert "A-1" in portfolio
    assert "Z" not in portfolio
    assert [c.id for c in portfolio] == ["A-1", "B"]
    assert portfolio["B"].account.id == "B"
    with pytest.raises(kamcore.UnknownAccountError) as info:
        portfolio["Z"]
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, kamcore.KamcoreError)
    assert info.value.account_id == "Z"


def test_reports_are_kept_oldest_first() -> None:
    late = Report(id="R-2", at=at(3), to="head")
    early = Report(id="R-1", at=at(1, hours=1).astimezone(CN), to="head")
    assert Portfolio(reports=[late, early]).reports == (early, late)


# -------------------------------------------------------------------------------------------------
# Timeline construction
# -------------------------------------------------------------------------------------------------


def test_duplicate_event_ids_are_refused() -> None:
    with invalid("events[1].id", "duplicate event id 'E-1'", record_id="E-1"):
        Timeline([request("E-1", at(1)), promise("E-1", at(2))])


def test_reference_to_a_missing_event_is_refused() -> None:
    kept = PromiseKept(id="K-1", at=at(1), promise_id="P-9")
    with invalid("events[1].promise_id", "no event with id 'P-9' in this timeline", "K-1"):
        Timeline([promise("P-1"), kept])


def test_reference_to_an_event_of_the_wrong_kind_is_refused() -> None:
    kept = PromiseKept(id="K-1", at=at(1), promise_id="R-1")
    with invalid("events[1].promise_id", "'R-1' is a request, expected a promise", "K-1"):
        Timeline([request("R-1"), kept])


def test_reference_to_a_later_event_is_refused() -> None:
    answer = RequestAnswered(id="RA-1", at=at(1), request_id="R-1")
    with invalid("events[0].request_id", "'R-1' happens later (2024-03-03T09:00:00+00:00)", "RA-1"):
        Timeline([request("R-1", at(2)), answer])


def test_reference_to_an_event_at_the_same_moment_is_valid() -> None:
    # The same instant written in another offset; the continuation is given first.
    answer = RequestAnswered(id="RA-1", at=T0.astimezone(CN), request_id="R-1")
    timeline = Timeline([answer, request("R-1", T0)])
    assert [e.id for e in timeline] == ["R-1", "RA-1"]


def test_wait_about_a_missing_event_is_refused() -> None:
    with invalid("events[0].about", "no event with id 'X'", "W-1"):
        Timeline([wait("W-1", T0, about="X")])


def test_wait_about_a_later_event_is_refused() -> None:
    with invalid("events[0].about", "happens later"):
        Timeline([wait("W-1", at(1), about="R-1"), request("R-1", at(2))])


def test_wait_may_be_about_any_kind_of_event_or_none() -> None:
    events = [
        request("R-1", at(1)),
        wait("W-1", at(2), about="R-1"),
        wait("W-2", at(3), about="W-1"),
        wait("W-3", at(4), about=None),
        WaitEnded(id="WE-1", at=at(5), wait_id="W-1"),
    ]
    assert len(Timeline(events)) == 5


@pytest.mark.parametrize(
    ("event", "opener"),
    [
        (AnswerPromised(id="X", at=T0, request_id="O", answer_by=at(2)), "request"),
        (RequestAnswered(id="X", at=T0, request_id="O"), "request"),
        (WaitEnded(id="X", at=T0, wait_id="O"), "wait_started"),
        (SituationResponse(id="X", at=T0, situation_id="O", playbook="p"), "situation"),
        (PromiseKept(id="X", at=T0, promise_id="O"), "promise"),
        (PromiseRenegotiated(id="X", at=T0, promise_id="O"), "promise"),
        (ChangeCommunicated(id="X", at=T0, change_id="O"), "adverse_change"),
        (ComplaintStep(id="X", at=T0, complaint_id="O", step="accepted"), "complaint"),
        (GoalProgress(id="X", at=T0, goal_id="O", progress=0.5), "goal"),
    ],
    ids=lambda value: getattr(value, "kind", value),
)
def test_every_continuation_needs_an_opener_of_its_class(event: Event, opener: str) -> None:
    assert event.REF is not None
    field, expected = event.REF
    assert expected.kind == opener
    assert event.ref == "O"
    wrong = interaction("O", T0)
    with invalid(f"events[1].{field}", f"'O' is a interaction, expected a {opener}", "X"):
        Timeline([wrong, event])


def test_every_event_class_is_registered_under_its_kind() -> None:
    assert len(EVENT_TYPES) == 19
    for kind, cls in EVENT_TYPES.items():
        assert cls.kind == kind
        assert issubclass(cls, Event)


# -------------------------------------------------------------------------------------------------
# Timeline queries
# -------------------------------------------------------------------------------------------------


def test_open_requests_and_answer_by() -> None:
    timeline = Timeline(
        [
            request("R-1", at(0)),
            request("R-2", at(1)),
            AnswerPromised(id="AP-1", at=at(1), request_id="R-1", answer_by=at(3)),
            AnswerPromised(id="AP-2", at=at(2), request_id="R-1", answer_by=at(5)),
            RequestAnswered(id="RA-2", at=at(2), request_id="R-2", declined=True),
        ]
    )
    assert [s.request.id for s in timeline.requests()] == ["R-1", "R-2"]
    (state,) = timeline.open_requests()
    assert state.request.id == "R-1"
    assert state.open
    assert [p.id for p in state.answer_promises] == ["AP-1", "AP-2"]
    assert state.answer_by == at(5)
    answered = timeline.requests()[1]
    assert not answered.open
    assert answered.answer is not None
    assert answered.answer.declined
    assert answered.answer_by is None
    # Before the answer came, R-2 was open too.
    assert [s.request.id for s in timeline.as_of(at(1.5)).open_requests()] == ["R-1", "R-2"]
    assert timeline.as_of(at(1.5)).requests()[0].answer_by == at(3)


def test_promise_due_follows_the_last_new_date() -> None:
    timeline = Timeline(
        [
            promise("P-1", at(0), due=at(7)),
            PromiseRenegotiated(id="PR-1", at=at(6), promise_id="P-1", new_due=at(10)),
            PromiseRenegotiated(id="PR-2", at=at(9), promise_id="P-1", new_due=at(14)),
            # Renegotiated again but no new date was given: the last one stays in force.
            PromiseRenegotiated(id="PR-3", at=at(13), promise_id="P-1"),
        ]
    )
    (state,) = timeline.promises()
    assert [r.id for r in state.renegotiations] == ["PR-1", "PR-2", "PR-3"]
    assert state.due == at(14)
    assert timeline.as_of(at(6.5)).promises()[0].due == at(10)
    assert timeline.as_of(at(1)).promises()[0].due == at(7)
    assert state.open
    assert not state.overdue(at(14))  # due exactly now is not overdue yet
    assert state.overdue(at(14, hours=1))


def test_kept_promise_is_never_overdue() -> None:
    timeline = Timeline(
        [promise("P-1", due=at(1)), PromiseKept(id="K-1", at=at(3), promise_id="P-1")]
    )
    (state,) = timeline.promises()
    assert not state.open
    assert not state.overdue(at(30))
    assert timeline.open_promises() == ()
    assert timeline.as_of(at(2)).promises()[0].overdue(at(2))


def test_slipped_promises() -> None:
    timeline = Timeline(
        [
            promise("ON-TIME", at(0), due=at(5)),
            PromiseKept(id="K-1", at=at(4), promise_id="ON-TIME"),
            promise("RENEGOTIATED", at(0), due=at(5)),
            PromiseRenegotiated(id="PR-1", at=at(4), promise_id="RENEGOTIATED", new_due=at(8)),
            PromiseKept(id="K-2", at=at(7), promise_id="RENEGOTIATED"),
            promise("LATE", at(0), due=at(6)),
            promise("NOT-YET", at(0), due=at(20)),
        ]
    )
    slipped = timeline.slipped_promises(at(10))
    assert [s.promise.id for s in slipped] == ["RENEGOTIATED", "LATE"]
    assert [s.promise.id for s in timeline.slipped_promises(at(5))] == ["RENEGOTIATED"]


def test_complaint_workflow() -> None:
    timeline = Timeline(
        [
            Complaint(id="C-1", at=at(0), subject="late delivery"),
            ComplaintStep(id="S-1", at=at(0, 2), complaint_id="C-1", step="accepted", owner="li"),
            ComplaintStep(id="S-2", at=at(1), complaint_id="C-1", step="investigating"),
            Complaint(id="C-2", at=at(2), subject="wrong invoice"),
            ComplaintStep(id="S-3", at=at(3), complaint_id="C-1", step="resolved"),
            # A step recorded out of order does not move the complaint back.
            ComplaintStep(id="S-4", at=at(4), complaint_id="C-1", step="accepted"),
        ]
    )
    first, second = timeline.complaints()
    assert first.current_step == "resolved"
    assert not first.open
    reached = first.reached("accepted")
    assert reached is not None
    assert reached.id == "S-1"
    assert first.reached("feedback_given") is None
    assert second.current_step is None
    assert second.open
    assert [c.complaint.id for c in timeline.open_complaints()] == ["C-2"]
    earlier = timeline.as_of(at(2)).complaints()[0]
    assert earlier.current_step == "investigating"
    assert earlier.open


def test_paused_seconds_counts_overlapping_waits_once() -> None:
    hour = 3600.0
    timeline = Timeline(
        [
            request("R-1", at(0)),
            request("R-2", at(0)),
            wait("W-1", at(0, 1), about="R-1"),
            WaitEnded(id="E-1", at=at(0, 3), wait_id="W-1"),
            wait("W-2", at(0, 2), about="R-1"),
            WaitEnded(id="E-2", at=at(0, 5), wait_id="W-2"),
            wait("W-3", at(0, 6), about=None),
            WaitEnded(id="E-3", at=at(0, 7), wait_id="W-3"),
            wait("W-4", at(0, 0), about="R-2"),
            WaitEnded(id="E-4", at=at(0, 10), wait_id="W-4"),
            wait("W-5", at(0, 8), about="R-1"),  # still open
        ]
    )
    # [1,5] from two overlapping waits, [6,7] for everyone, [8,10] still open.
    assert timeline.paused_seconds("R-1", at(0), at(0, 10)) == 7 * hour
    # The window clips every wait.
    assert timeline.paused_seconds("R-1", at(0, 2), at(0, 6.5)) == 3.5 * hour
    # its own wait covers [0,10] and contains the general one.
    assert timeline.paused_seconds("R-2", at(0), at(0, 10)) == 10 * hour
    # Anything else: only the wait about nothing in particular.
    assert timeline.paused_seconds("P-9", at(0), at(1)) == 1 * hour
    # A window before every wait.
    assert timeline.paused_seconds("R-1", at(-1), at(0)) == 0.0
    (open_wait,) = [w for w in timeline.waits() if w.ended is None]
    assert open_wait.overlap(at(0), at(0, 9)) == 1 * hour


def test_adverse_change_first_told() -> None:
    timeline = Timeline(
        [
            AdverseChange(id="AC-1", at=at(0), change="price_change", description="+8%"),
            ChangeCommunicated(id="CC-2", at=at(5), change_id="AC-1", written=True),
            ChangeCommunicated(id="CC-1", at=at(2), change_id="AC-1", alternatives=["annual plan"]),
            AdverseChange(id="AC-2", at=at(1), change="delay", description="shipping late"),
        ]
    )
    told, untold = timeline.adverse_changes()
    assert told.first_told is not None
    assert told.first_told.id == "CC-1"
    assert [c.id for c in told.communications] == ["CC-1", "CC-2"]
    assert untold.change.id == "AC-2"
    assert untold.first_told is None


def test_goal_latest_progress() -> None:
    timeline = Timeline(
        [
            GoalProgress(id="GP-2", at=at(20), goal_id="G-1", progress=0.6),
            Goal(id="G-1", at=at(0), title="launch in Shenzhen", client_participants=["C-1"]),
            GoalProgress(id="GP-1", at=at(10), goal_id="G-1", progress=0.3),
            Goal(id="G-2", at=at(1), title="cut costs"),
        ]
    )
    first, second = timeline.goals()
    assert first.latest is not None
    assert first.latest.id == "GP-2"
    assert second.latest is None
    assert timeline.as_of(at(15)).goals()[0].latest.progress == 0.3  # type: ignore[union-attr]


def test_situations_with_responses() -> None:
    timeline = Timeline(
        [
            Situation(id="S-1", at=at(0), description="customs hold"),
            SituationResponse(id="SR-1", at=at(1), situation_id="S-1", playbook="call broker"),
        ]
    )
    (state,) = timeline.situations()
    assert [r.id for r in state.responses] == ["SR-1"]


def test_surveys_between_inclusive_bounds() -> None:
    surveys = [SurveyResponse(id=f"S-{d}", at=at(d), nps=d) for d in (1, 2, 3, 4)]
    timeline = Timeline([*surveys, request("R-1", at(2))])
    assert timeline.surveys() == tuple(surveys)
    assert [s.id for s in timeline.surveys(at(2), at(3))] == ["S-2", "S-3"]
    assert [s.id for s in timeline.surveys(start=at(3))] == ["S-3", "S-4"]
    assert [s.id for s in timeline.surveys(end=at(1))] == ["S-1"]


def test_last_contact_and_topics() -> None:
    timeline = Timeline(
        [
            interaction("I-1", at(0), topics=["thanks"], initiated_by="client"),
            interaction("I-2", at(1), channel="email", topics=["future_plans", "thanks"]),
            interaction("I-3", at(2), channel="email", personal=False, topics=["update"]),
            request("R-1", at(3)),
        ]
    )
    last = timeline.last_contact()
    assert last is not None
    assert last.id == "I-2"  # personal ones only, by default
    any_contact = timeline.last_contact(personal=None)
    assert any_contact is not None
    assert any_contact.id == "I-3"
    from_client = timeline.last_contact(initiated_by="client")
    assert from_client is not None
    assert from_client.id == "I-1"
    assert timeline.as_of(at(-1)).last_contact() is None
    assert [i.id for i in timeline.with_topic("thanks")] == ["I-1", "I-2"]
    assert timeline.with_topic("price") == ()
    assert [i.id for i in timeline.interactions(personal=False)] == ["I-3"]


def test_decisions_by_finding() -> None:
    timeline = Timeline(
        [
            Decision(id="D-1", at=at(0), finding="silence", action="snooze", until=at(7)),
            Decision(id="D-2", at=at(1), finding="open_request", action="acknowledge"),
            Decision(id="D-3", at=at(2), finding="silence", action="acknowledge"),
        ]
    )
    assert [d.id for d in timeline.decisions("silence")] == ["D-1", "D-3"]
    assert [d.id for d in timeline.decisions()] == ["D-1", "D-2", "D-3"]
    assert timeline.decisions("churn") == ()


def test_get_between_and_of_type() -> None:
    events = [request("R-1", at(0)), promise("P-1", at(1)), request("R-2", at(2))]
    timeline = Timeline(events)
    assert timeline.get("P-1") is events[1]
    assert timeline.get("nope") is None
    assert [e.id for e in timeline.between(at(0, 1), at(2))] == ["P-1", "R-2"]
    assert [e.id for e in timeline.of_type(Request)] == ["R-1", "R-2"]
    assert [e.id for e in timeline.as_of(at(1))] == ["R-1", "P-1"]


def test_same_moment_events_keep_the_given_order() -> None:
    first, second = request("R-1", T0), request("R-2", T0.astimezone(CN))
    assert [e.id for e in Timeline([first, second])] == ["R-1", "R-2"]
    assert [e.id for e in Timeline([second, first])] == ["R-2", "R-1"]
    assert Timeline([first, second]) != Timeline([second, first])


def test_client_file_as_of() -> None:
    client = ClientFile(
        account=account(),
        transactions=[transaction(id="T-1", at=at(1)), transaction(id="T-2", at=at(3))],
        timeline=Timeline([request("R-1", at(1)), promise("P-1", at(3))]),
    )
    cut = client.as_of(at(2))
    assert cut.id == "A-1"
    assert [t.id for t in cut.transactions] == ["T-1"]
    assert [e.id for e in cut.timeline] == ["R-1"]
    assert cut.account is client.account
