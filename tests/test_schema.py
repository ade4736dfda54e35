"""The shipped JSON Schema: valid, shipped, in step with the model, and in agreement with the decoder.

The schema is what CRM integrators validate their exports against, so it must
accept exactly what :func:`kamcore.fileformat.decode_portfolio` accepts, record
by record. Rules that relate records (unique ids, references between events,
report account ids) are beyond JSON Schema and are left out of the agreement
checks on purpose.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest

import kamcore
from kamcore import InvalidValueError, PortfolioFormatError
from kamcore.fileformat import decode_portfolio, dumps_portfolio, encode_portfolio
from kamcore.fileformat._fields import plan
from kamcore.fileformat.decode import _ACCOUNT_KEYS, _TOP_KEYS
from kamcore.fileformat.schema import SCHEMA_PATH, load_schema
from kamcore.model import (
    ADVERSE_CHANGES,
    CHANNELS,
    COMPLAINT_STEPS,
    DECISIONS,
    EVENT_TYPES,
    INITIATORS,
    ROLES,
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
from kamcore_adapters.files._csv import read_csv_portfolio

SCHEMA = load_schema()
DEFS: dict[str, Any] = SCHEMA["$defs"]
FORMAT_PAGE = Path(__file__).parent.parent / "docs" / "file-format.md"

# jsonschema checks "date-time" only with an optional package installed; this
# stand-in makes the format assertive, as a strict validator would be.
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value))


VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=FORMATS)


def def_validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one of the schema's ``$defs``."""
    return jsonschema.Draft202012Validator(
        {"$defs": DEFS, "$ref": f"#/$defs/{name}"}, format_checker=FORMATS
    )


def schema_errors(document: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def decoder_accepts(document: Any) -> bool:
    try:
        decode_portfolio(document, source="t")
    except PortfolioFormatError:
        return False
    return True


def from_json(document: Any) -> Any:
    """*document* as the file adapter would see it: numbers with a fraction are Decimal."""
    return json.loads(json.dumps(document), parse_float=Decimal)


# ---------------------------------------------------------------------------
# A portfolio that uses every record type, every event kind and every field
# ---------------------------------------------------------------------------

PLUS2 = timezone(timedelta(hours=2))
T0 = datetime(2024, 3, 4, 9, 0, tzinfo=PLUS2)


def _at(hours: int, event_id: str) -> dict[str, Any]:
    """The fields every event has, all set."""
    return {
        "id": event_id,
        "at": T0 + timedelta(hours=hours),
        "by": "u-anna",
        "documents": (
            Document(
                name=f"{event_id}.pdf",
                uri=f"https://crm.example/attachments/{event_id}",
                media_type="application/pdf",
            ),
        ),
    }


ALL_EVENTS: tuple[Event, ...] = (
    Interaction(
        **_at(0, "I-1"),
        channel="call",
        initiated_by="client",
        personal=False,
        topics=("update", "future_plans"),
        contact_id="C-1",
        summary="Asked about next season's volumes.",
    ),
    Request(**_at(1, "R-1"), subject="Volume discount for Q3", channel="email", contact_id="C-1"),
    AnswerPromised(**_at(2, "AP-1"), request_id="R-1", answer_by=T0 + timedelta(days=2)),
    WaitStarted(**_at(3, "W-1"), reason="Waiting for the client's forecast", about="R-1"),
    WaitEnded(**_at(4, "WE-1"), wait_id="W-1"),
    RequestAnswered(
        **_at(5, "RA-1"),
        request_id="R-1",
        declined=True,
        alternative="A 3 % discount from 500 units",
        summary="No flat discount; tiered pricing instead.",
    ),
    Situation(**_at(6, "S-1"), description="Customs held the shipment over a label error."),
    SituationResponse(
        **_at(7, "SR-1"),
        situation_id="S-1",
        playbook="Re-issue labels from the bonded warehouse; call the broker first.",
        reusable=True,
    ),
    Promise(
        **_at(8, "P-1"),
        what="Send the revised contract",
        due=T0 + timedelta(days=7),
        contact_id="C-1",
    ),
    PromiseRenegotiated(
        **_at(9, "PR-1"),
        promise_id="P-1",
        new_due=T0 + timedelta(days=10),
        explanation="Legal review takes three more days.",
        apology=True,
        written=True,
    ),
    PromiseKept(**_at(10, "PK-1"), promise_id="P-1"),
    AdverseChange(**_at(11, "AC-1"), change="price_change", description="List prices +4 %."),
    ChangeCommunicated(
        **_at(12, "CC-1"),
        change_id="AC-1",
        alternatives=("Lock the old price with a 12-month order",),
        written=True,
        contact_id="C-1",
    ),
    Complaint(**_at(13, "CO-1"), subject="Late delivery of order 4471", contact_id="C-1"),
    ComplaintStep(**_at(14, "CS-1"), complaint_id="CO-1", step="accepted", owner="u-boris"),
    SurveyResponse(
        **_at(15, "SV-1"),
        product_quality=4.5,
        service_attitude=5.0,
        resolution_efficiency=3.0,
        nps=9,
        contact_id="C-1",
    ),
    Goal(
        **_at(16, "G-1"),
        title="Cut reorder lead time to 5 days",
        client_participants=("C-1",),
        target=T0 + timedelta(days=90),
    ),
    GoalProgress(**_at(17, "GP-1"), goal_id="G-1", progress=0.4, note="Forecast sharing live."),
    Decision(
        **_at(18, "D-1"),
        finding="silence:KA-T1",
        action="snooze",
        until=T0 + timedelta(days=14),
        reason="Client on holiday.",
    ),
)

ACCOUNT = Account(
    id="KA-T1",
    name="Acme Handel GmbH",
    owner="u-anna",
    tier="key",
    client_since=date(2019, 4, 1),
    facts={"potential": 120, "segment": "retail", "uses_competitor": True, "share": 0.35},
    contacts=(
        Contact(
            id="C-1",
            name="Olena Kovalenko",
            position="Head of purchasing",
            channel="call",
            language="uk",
            email="o.kovalenko@acme.example",
            phone="+380 44 000 0000",
        ),
    ),
    needs=("spare parts", "quarterly restock"),
    preferences=("calls before e-mails",),
    personal_notes=(PersonalNote(text="Supports Dynamo Kyiv.", topic="sport", contact_id="C-1"),),
)

FULL_PORTFOLIO = Portfolio(
    files=[
        ClientFile(
            account=ACCOUNT,
            transactions=(
                Transaction(
                    id="T-1",
                    at=T0 - timedelta(days=30),
                    product="Pump X200",
                    amount=Decimal("1200.50"),
                    currency="EUR",
                ),
                Transaction(
                    id="T-2",
                    at=T0 - timedelta(days=20),
                    product="Pump X200 (refund)",
                    amount=Decimal("-35"),
                    currency="UAH",
                ),
            ),
            timeline=Timeline(ALL_EVENTS),
        )
    ],
    staff=(
        StaffMember(
            id="u-anna",
            name="Anna Petrova",
            role="department_head",
            client_facing=False,
            sees_key_list=False,
            language="ru",
            reports_to="u-eva",
        ),
        StaffMember(id="u-eva", name="Eva Novak", role="executive"),
    ),
    reports=(Report(id="REP-1", at=T0 + timedelta(days=1), to="u-anna", account_ids=("KA-T1",)),),
    exported_at=T0 + timedelta(days=30),
)

FULL = from_json(encode_portfolio(FULL_PORTFOLIO))
EVENT_INDEX = {event["id"]: index for index, event in enumerate(FULL["accounts"][0]["events"])}


def ev(event_id: str, *keys: str | int) -> tuple[str | int, ...]:
    """The path of *keys* inside event *event_id* of the full document."""
    return ("accounts", 0, "events", EVENT_INDEX[event_id], *keys)


ACC: tuple[str | int, ...] = ("accounts", 0)
DELETE = object()


def _get(document: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def event_with(event_id: str, **changes: Any) -> dict[str, Any]:
    """Event *event_id* of the full document with *changes*; ``DELETE`` removes a key."""
    event: dict[str, Any] = copy.deepcopy(_get(FULL, ev(event_id)))
    for key, value in changes.items():
        if value is DELETE:
            del event[key]
        else:
            event[key] = value
    return event


def changed(path: tuple[str | int, ...], value: Any, base: Any = None) -> Any:
    """A copy of *base* (the full document) with *value* at *path*; ``DELETE`` removes the key."""
    document = copy.deepcopy(FULL if base is None else base)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


# ---------------------------------------------------------------------------
# (a) the schema is a valid draft 2020-12 schema; (f) it ships in the package
# ---------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_file_is_package_data() -> None:
    shipped = resources.files("kamcore.fileformat").joinpath("portfolio.schema.json")
    assert shipped.is_file()
    assert SCHEMA_PATH.name == "portfolio.schema.json"
    assert SCHEMA_PATH.is_file()
    with resources.as_file(SCHEMA_PATH) as path:
        assert path.parent == Path(kamcore.fileformat.__file__).parent
    assert load_schema() == json.loads(shipped.read_text(encoding="utf-8"))


def test_load_schema_returns_a_fresh_copy() -> None:
    first = load_schema()
    first["$defs"].clear()
    assert load_schema()["$defs"]


# ---------------------------------------------------------------------------
# (b) the sample portfolio and (c) a document with every event kind validate
# ---------------------------------------------------------------------------


def test_sample_portfolio_validates() -> None:
    text = Path(kamcore.SAMPLE_PORTFOLIO).read_text(encoding="utf-8")
    assert schema_errors(json.loads(text)) == []
    # Read as the file adapter reads it, too; kamcore loads it, and writes it back validly.
    document = json.loads(text, parse_float=Decimal)
    assert schema_errors(document) == []
    loaded = decode_portfolio(document, source=kamcore.SAMPLE_PORTFOLIO).portfolio
    assert schema_errors(from_json(encode_portfolio(loaded))) == []


def test_sample_portfolio_events_each_validate_on_their_own() -> None:
    """Each sample event matches the definition of its kind (a finer message on drift)."""
    document = json.loads(Path(kamcore.SAMPLE_PORTFOLIO).read_text(encoding="utf-8"))
    for account in document.get("accounts", []):
        for event in account.get("events", []):
            cls = EVENT_TYPES.get(event.get("kind"))
            name = cls.__name__ if cls else "Event"
            errors = [e.message for e in def_validator(name).iter_errors(event)]
            assert errors == [], f"{account.get('id')} {event.get('id')}: {errors}"


def test_full_document_uses_every_event_kind_and_every_field() -> None:
    assert {type(event) for event in ALL_EVENTS} == set(EVENT_TYPES.values())
    account = FULL["accounts"][0]
    for event in account["events"]:
        fields = {f.name for f in attrs.fields(EVENT_TYPES[event["kind"]])}
        assert set(event) == fields | {"kind"}, event["kind"]
    records: list[tuple[type, dict[str, Any]]] = [
        (Account, {k: v for k, v in account.items() if k not in _ACCOUNT_KEYS}),
        (Contact, account["contacts"][0]),
        (PersonalNote, account["personal_notes"][0]),
        (Document, account["events"][0]["documents"][0]),
        (Transaction, account["transactions"][0]),
        (StaffMember, FULL["staff"][0]),
        (Report, FULL["reports"][0]),
    ]
    for cls, raw in records:
        assert set(raw) == {f.name for f in attrs.fields(cls)}, cls.__name__
    assert set(FULL) == set(_TOP_KEYS)


def test_full_document_validates_and_loads() -> None:
    assert schema_errors(FULL) == []
    assert schema_errors(json.loads(dumps_portfolio(FULL_PORTFOLIO))) == []
    assert decode_portfolio(FULL, source="t").portfolio == FULL_PORTFOLIO


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_each_event_kind_validates_against_its_definition(kind: str) -> None:
    (event,) = (e for e in FULL["accounts"][0]["events"] if e["kind"] == kind)
    assert list(def_validator("Event").iter_errors(event)) == []
    assert list(def_validator(EVENT_TYPES[kind].__name__).iter_errors(event)) == []


# ---------------------------------------------------------------------------
# (d) the schema and the decoder agree
# ---------------------------------------------------------------------------

INVALID: dict[str, tuple[tuple[str | int, ...], Any]] = {
    "naive event datetime": (ev("P-1", "due"), "2024-03-11T09:00:00"),
    "naive event at": (ev("I-1", "at"), "2024-03-04T09:00:00"),
    "naive transaction at": ((*ACC, "transactions", 0, "at"), "2024-02-03T09:00:00"),
    "naive exported_at": (("exported_at",), "2024-04-03T09:00:00"),
    "date where a date-time belongs": (ev("D-1", "until"), "2024-03-18"),
    "datetime not a string": (ev("P-1", "due"), 1710000000),
    "impossible datetime": (ev("P-1", "due"), "2024-02-30T09:00:00+02:00"),
    "offset out of range": (ev("P-1", "due"), "2024-03-11T09:00:00+24:00"),
    "leap second": (ev("P-1", "due"), "2024-03-11T23:59:60Z"),
    "lower-case z": (ev("P-1", "due"), "2024-03-11T09:00:00z"),
    "unknown top-level key": (("generator",), "crm-export 2.1"),
    "unknown account key": ((*ACC, "region"), "EU"),
    "unknown event key": (ev("P-1", "priority"), "high"),
    "unknown transaction key": ((*ACC, "transactions", 0, "discount"), "5"),
    "unknown contact key": ((*ACC, "contacts", 0, "title"), "Dr"),
    "unknown note key": ((*ACC, "personal_notes", 0, "private"), True),
    "unknown document key": (ev("I-1", "documents", 0, "size"), 1024),
    "unknown staff key": (("staff", 0, "email"), "anna@example.com"),
    "unknown report key": (("reports", 0, "format"), "pdf"),
    "lower-case currency": ((*ACC, "transactions", 0, "currency"), "eur"),
    "four-letter currency": ((*ACC, "transactions", 0, "currency"), "EURO"),
    "currency symbol": ((*ACC, "transactions", 0, "currency"), "€"),
    "unknown event kind": (ev("I-1", "kind"), "meeting"),
    "event kind not a string": (ev("I-1", "kind"), 1),
    "missing event kind": (ev("I-1", "kind"), DELETE),
    "event kind of another class": (ev("I-1", "kind"), "request"),
    "bad interaction channel": (ev("I-1", "channel"), "fax"),
    "bad request channel": (ev("R-1", "channel"), "Email"),
    "bad initiator": (ev("I-1", "initiated_by"), "them"),
    "bad complaint step": (ev("CS-1", "step"), "closed"),
    "bad adverse change": (ev("AC-1", "change"), "price_increase"),
    "bad decision action": (ev("D-1", "action"), "dismiss"),
    "bad staff role": (("staff", 0, "role"), "manager"),
    "score above 5": (ev("SV-1", "product_quality"), 6),
    "score below 1": (ev("SV-1", "service_attitude"), Decimal("0.5")),
    "score as text": (ev("SV-1", "service_attitude"), "4"),
    "score as bool": (ev("SV-1", "resolution_efficiency"), True),
    "nps above 10": (ev("SV-1", "nps"), 11),
    "nps negative": (ev("SV-1", "nps"), -1),
    "nps with a fraction": (ev("SV-1", "nps"), Decimal("8.5")),
    "progress above 1": (ev("GP-1", "progress"), Decimal("1.5")),
    "progress as a percentage": (ev("GP-1", "progress"), 40),
    "missing accounts": (("accounts",), DELETE),
    "missing account name": ((*ACC, "name"), DELETE),
    "missing account owner": ((*ACC, "owner"), DELETE),
    "missing transaction amount": ((*ACC, "transactions", 0, "amount"), DELETE),
    "missing transaction currency": ((*ACC, "transactions", 0, "currency"), DELETE),
    "missing event id": (ev("I-1", "id"), DELETE),
    "missing event at": (ev("I-1", "at"), DELETE),
    "missing interaction channel": (ev("I-1", "channel"), DELETE),
    "missing promise due": (ev("P-1", "due"), DELETE),
    "missing reference": (ev("PK-1", "promise_id"), DELETE),
    "missing contact name": ((*ACC, "contacts", 0, "name"), DELETE),
    "missing document name": (ev("I-1", "documents", 0, "name"), DELETE),
    "missing staff name": (("staff", 0, "name"), DELETE),
    "missing report to": (("reports", 0, "to"), DELETE),
    "amount with a decimal comma": ((*ACC, "transactions", 0, "amount"), "1200,50"),
    "amount in words": ((*ACC, "transactions", 0, "amount"), "twelve"),
    "amount with a currency": ((*ACC, "transactions", 0, "amount"), "1200.50 EUR"),
    "amount NaN": ((*ACC, "transactions", 0, "amount"), "NaN"),
    "amount infinite": ((*ACC, "transactions", 0, "amount"), "Infinity"),
    "amount true": ((*ACC, "transactions", 0, "amount"), True),
    "amount null": ((*ACC, "transactions", 0, "amount"), None),
    "amount blank": ((*ACC, "transactions", 0, "amount"), ""),
    "blank account name": ((*ACC, "name"), "   "),
    "blank event id": (ev("I-1", "id"), ""),
    "blank topic": (ev("I-1", "topics"), ["update", " "]),
    "blank need": ((*ACC, "needs"), [""]),
    "null where no null is allowed": (ev("I-1", "personal"), None),
    "null list": (ev("I-1", "topics"), None),
    "null staff list": (("staff",), None),
    "null events list": ((*ACC, "events"), None),
    "events not a list": ((*ACC, "events"), {}),
    "event not an object": (ev("I-1"), "call on Monday"),
    "account not an object": (ACC, "KA-T1"),
    "bool as text": (ev("I-1", "personal"), "false"),
    "wrong format": (("format",), "kamcore.accounts"),
    "wrong version": (("version",), 2),
    "version true": (("version",), True),
    "version as text": (("version",), "1"),
    "client_since not ISO": ((*ACC, "client_since"), "01/04/2019"),
    "client_since a date-time": ((*ACC, "client_since"), "2019-04-01T00:00:00+00:00"),
    "client_since impossible": ((*ACC, "client_since"), "2019-02-29"),
    "fact null": ((*ACC, "facts", "potential"), None),
    "fact list": ((*ACC, "facts", "segment"), ["retail"]),
    "blank fact name": ((*ACC, "facts", " "), 1),
    "facts not an object": ((*ACC, "facts"), ["potential"]),
    "survey without a score": (
        ev("SV-1"),
        event_with(
            "SV-1",
            product_quality=None,
            service_attitude=None,
            resolution_efficiency=None,
            nps=None,
        ),
    ),
    "survey with no score keys": (
        ev("SV-1"),
        event_with(
            "SV-1",
            product_quality=DELETE,
            service_attitude=DELETE,
            resolution_efficiency=DELETE,
            nps=DELETE,
        ),
    ),
    "snooze without until": (ev("D-1", "until"), DELETE),
    "snooze with null until": (ev("D-1", "until"), None),
}

VALID: dict[str, tuple[tuple[str | int, ...], Any]] = {
    "no format": (("format",), DELETE),
    "no version": (("version",), DELETE),
    "version 1.0": (("version",), Decimal("1.0")),
    "null exported_at": (("exported_at",), None),
    "no staff": (("staff",), DELETE),
    "no reports": (("reports",), []),
    "no transactions key": ((*ACC, "transactions"), DELETE),
    "no events key": ((*ACC, "events"), DELETE),
    "amount as integer": ((*ACC, "transactions", 0, "amount"), 1200),
    "amount as JSON decimal": ((*ACC, "transactions", 0, "amount"), Decimal("1200.50")),
    "amount with exponent": ((*ACC, "transactions", 0, "amount"), "1.2E+3"),
    "amount with plus sign": ((*ACC, "transactions", 0, "amount"), "+5"),
    "amount zero": ((*ACC, "transactions", 0, "amount"), "0.00"),
    "UTC written Z": (ev("P-1", "due"), "2024-03-11T09:00:00Z"),
    "negative offset": (ev("P-1", "due"), "2024-03-11T09:00:00-05:30"),
    "fractional seconds": (ev("P-1", "due"), "2024-03-11T09:00:00.250+02:00"),
    "null optional text": (ev("I-1", "summary"), None),
    "null optional enum": (ev("R-1", "channel"), None),
    "null optional date": ((*ACC, "client_since"), None),
    "null optional date-time": (ev("PR-1", "new_due"), None),
    "null by": (ev("I-1", "by"), None),
    "blank fact value": ((*ACC, "facts", "segment"), ""),
    "integral float score": (ev("SV-1", "product_quality"), 4),
    "score bounds": (ev("SV-1", "service_attitude"), 1),
    "nps bound": (ev("SV-1", "nps"), 0),
    "progress bound": (ev("GP-1", "progress"), 1),
    "survey with only nps": (
        ev("SV-1"),
        event_with(
            "SV-1", product_quality=None, service_attitude=DELETE, resolution_efficiency=None
        ),
    ),
    "acknowledge without until": (ev("D-1"), event_with("D-1", action="acknowledge", until=DELETE)),
    "reports left out": (("reports",), DELETE),
    "text in any script": ((*ACC, "name"), "纷享销客 客户"),
}


INVALID_PARAMS = [
    *(pytest.param(path, value, id=name) for name, (path, value) in INVALID.items()),
    # A bad value inside a nested record fails in that record's constructor.
    pytest.param((*ACC, "contacts", 0, "channel"), "pigeon", id="bad contact channel"),
]


@pytest.mark.parametrize(("path", "value"), INVALID_PARAMS)
def test_invalid_documents_are_refused_by_schema_and_decoder(
    path: tuple[str | int, ...], value: Any
) -> None:
    document = changed(path, value)
    assert schema_errors(document), "the schema accepts it"
    with pytest.raises(PortfolioFormatError):
        decode_portfolio(document, source="t")


def test_bad_contact_is_quarantined_with_its_account() -> None:
    document = changed((*ACC, "contacts", 0, "channel"), "pigeon")
    result = decode_portfolio(document, source="t", strict=False)
    # The account is set aside with its contacts; a report covering it follows it.
    assert result.quarantine[0].kind == "account"
    assert {q.kind for q in result.quarantine} <= {"account", "report"}
    assert result.quarantine[0].problems[0].message.startswith("[0] channel:")


@pytest.mark.parametrize(("path", "value"), VALID.values(), ids=VALID.keys())
def test_valid_variants_are_accepted_by_schema_and_decoder(
    path: tuple[str | int, ...], value: Any
) -> None:
    document = changed(path, value)
    assert schema_errors(document) == []
    decode_portfolio(document, source="t")


# Keys whose values other records depend on (ids, references, event order): a
# change there can break a cross-record rule that the schema cannot express.
REF_KEYS = frozenset({cls.REF[0] for cls in EVENT_TYPES.values() if cls.REF} | {"about"})
CROSS_RECORD = REF_KEYS | {
    "id",
    "at",
    "account_ids",
    "accounts",
    "contacts",
    "contact_id",
    "reports_to",
}
EVENT_COMMON = frozenset({"id", "at", "by", "documents"})

REPLACEMENTS: tuple[Any, ...] = (
    None,
    "",
    "  ",
    "text",
    "call",
    "EUR",
    "12.50",
    "12,50",
    "2024-05-01T09:00:00+02:00",
    "2024-05-01T09:00:00",
    "2024-05-01",
    0,
    1,
    3,
    11,
    -1,
    Decimal("0.5"),
    True,
    [],
    ["text"],
    [" "],
    [{"name": "x"}],
    {},
    {"text": 1},
    {" ": 1},
)


def _paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _with_events(keep: set[str]) -> Any:
    """The full document with only the events in *keep*, so validation stays quick."""
    document = copy.deepcopy(FULL)
    account = document["accounts"][0]
    account["events"] = [e for e in account["events"] if e["id"] in keep]
    return document


def _chain(event_id: str) -> set[str]:
    """*event_id* and every event it refers to, directly or not."""
    by_id = {e["id"]: e for e in FULL["accounts"][0]["events"]}
    chain: set[str] = set()
    todo = [event_id]
    while todo:
        current = todo.pop()
        if current not in chain:
            chain.add(current)
            todo.extend(by_id[current][key] for key in REF_KEYS if key in by_id[current])
    return chain


def _fuzz_cases() -> dict[str, tuple[Any, list[tuple[str | int, ...]]]]:
    """Per case: a base document and the paths in it to change."""
    cases = {}
    records = _with_events({"I-1"})
    events_at = (*ACC, "events")
    cases["records"] = (
        records,
        [
            path
            for path in _paths(records)
            if path[:3] != events_at or (len(path) > 4 and path[4] in ("by", "documents"))
        ],
    )
    for event in FULL["accounts"][0]["events"]:
        document = _with_events(_chain(event["id"]))
        index = [e["id"] for e in _get(document, events_at)].index(event["id"])
        here = (*events_at, index)
        cases[event["kind"]] = (
            document,
            [
                path
                for path in _paths(_get(document, here), here)
                if len(path) == len(here) or path[len(here)] not in EVENT_COMMON
            ],
        )
    return cases


FUZZ = _fuzz_cases()


def _disagreement(label: str, document: Any) -> str | None:
    by_schema = VALIDATOR.is_valid(document)
    try:
        by_decoder = decoder_accepts(document)
    except InvalidValueError as error:
        return f"{label}: decoder crashes with InvalidValueError ({error})"
    if by_schema == by_decoder:
        return None
    schema_says = "accepts" if by_schema else "refuses"
    decoder_says = "accepts" if by_decoder else "refuses"
    return f"{label}: schema {schema_says}, decoder {decoder_says}"


@pytest.mark.parametrize("case", FUZZ)
def test_schema_and_decoder_agree_on_every_single_change(case: str) -> None:
    """Replace, remove or add one value anywhere in a record: both accept, or both refuse."""
    base, paths = FUZZ[case]
    assert VALIDATOR.is_valid(base)
    assert decoder_accepts(base)
    disagreements = []
    for path in paths:
        if isinstance(_get(base, path), dict):
            disagreements.append(
                _disagreement(f"{path} + unknown key", changed((*path, "x_extra"), 1, base))
            )
        if not path or path[-1] in CROSS_RECORD:
            continue
        if isinstance(path[-1], int) and path[-2] in CROSS_RECORD:
            continue  # an item of a list of ids, or a record others refer to
        for value in REPLACEMENTS:
            disagreements.append(_disagreement(f"{path} = {value!r}", changed(path, value, base)))
        if isinstance(path[-1], str):
            disagreements.append(_disagreement(f"del {path}", changed(path, DELETE, base)))
    found = [d for d in disagreements if d]
    assert found == [], "\n".join(found[:40])


# ---------------------------------------------------------------------------
# (e) the schema cannot drift from the model
# ---------------------------------------------------------------------------

RECORDS: dict[type, frozenset[str]] = {
    Account: _ACCOUNT_KEYS,
    Contact: frozenset(),
    PersonalNote: frozenset(),
    Transaction: frozenset(),
    StaffMember: frozenset(),
    Report: frozenset(),
    Document: frozenset(),
}
EVENT_CLASSES = {cls.__name__: cls for cls in EVENT_TYPES.values()}


def test_event_kinds_match_the_model() -> None:
    event = DEFS["Event"]
    assert set(event["properties"]["kind"]["enum"]) == set(EVENT_TYPES)
    dispatch = {
        branch["if"]["properties"]["kind"]["const"]: branch["then"]["$ref"]
        for branch in event["allOf"]
    }
    assert dispatch == {kind: f"#/$defs/{cls.__name__}" for kind, cls in EVENT_TYPES.items()}
    assert DEFS["Account"]["properties"]["events"]["items"] == {"$ref": "#/$defs/Event"}


@pytest.mark.parametrize("name", sorted(EVENT_CLASSES))
def test_event_definition_matches_its_class(name: str) -> None:
    cls = EVENT_CLASSES[name]
    definition = DEFS[name]
    assert definition["additionalProperties"] is False
    assert set(definition["properties"]) == {f.name for f in attrs.fields(cls)} | {"kind"}
    assert definition["properties"]["kind"]["const"] == cls.kind
    assert set(definition["required"]) == {f.name for f in plan(cls) if f.required} | {"kind"}


@pytest.mark.parametrize("cls", list(RECORDS), ids=lambda cls: cls.__name__)
def test_record_definition_matches_its_class(cls: type) -> None:
    definition = DEFS[cls.__name__]
    assert definition["additionalProperties"] is False
    assert set(definition["properties"]) == {f.name for f in attrs.fields(cls)} | RECORDS[cls]
    assert set(definition["required"]) == {f.name for f in plan(cls) if f.required}


def test_document_keys_match_the_decoder() -> None:
    assert SCHEMA["additionalProperties"] is False
    assert set(SCHEMA["properties"]) == set(_TOP_KEYS)
    assert SCHEMA["required"] == ["accounts"]


@pytest.mark.parametrize("cls", [*RECORDS, *EVENT_TYPES.values()], ids=lambda cls: cls.__name__)
def test_null_is_allowed_exactly_where_the_decoder_reads_it_as_absent(cls: type) -> None:
    for field in plan(cls):
        validator = def_validator(f"{cls.__name__}/properties/{field.name}")
        assert validator.is_valid(None) == field.optional, f"{cls.__name__}.{field.name}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("channel", sorted(CHANNELS)),
        ("initiator", sorted(INITIATORS)),
        ("complaintStep", list(COMPLAINT_STEPS)),
        ("adverseChange", sorted(ADVERSE_CHANGES)),
        ("decisionAction", sorted(DECISIONS)),
        ("role", sorted(ROLES)),
    ],
)
def test_enums_match_the_model(name: str, expected: list[str]) -> None:
    assert DEFS[name]["enum"] == expected


def _record_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    yield "$", SCHEMA
    for name, definition in DEFS.items():
        if "properties" in definition:
            yield name, definition


def test_every_property_has_a_description() -> None:
    missing = [
        f"{name}.{key}"
        for name, definition in _record_schemas()
        for key, schema in definition["properties"].items()
        if not schema.get("description", "").strip()
    ]
    assert missing == []


def test_every_record_is_closed() -> None:
    open_records = [
        name
        for name, definition in _record_schemas()
        if name != "Event" and definition.get("additionalProperties") is not False
    ]
    assert open_records == []


# ---------------------------------------------------------------------------
# The CSV tables and the examples of the format page
# ---------------------------------------------------------------------------


def test_csv_tables_make_a_valid_document(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        "id,name,owner,tier,client_since,needs,preferences,fact.potential,fact.share,"
        "fact.uses_competitor,fact.segment,fact.zip\n"
        "KA-001,Acme Handel GmbH,u-anna,key,2019-04-01,spare parts; restock,calls,"
        "120,0.35,TRUE,retail,007\n"
        "KA-002,Beta OOD,u-boris,,,,,,,,,\n",
        encoding="utf-8",
    )
    (tmp_path / "transactions.csv").write_text(
        "account_id,id,at,product,amount,currency\n"
        "KA-001,T-1,2024-02-03T09:00:00+02:00,Pump X200,1200.50,EUR\n"
        "KA-002,T-1,2024-02-05T10:30:00Z,Service,-35,BGN\n",
        encoding="utf-8",
    )
    document, orphans = read_csv_portfolio(tmp_path, "t")
    assert orphans == []
    assert schema_errors(document) == []
    facts = document["accounts"][0]["facts"]
    assert facts == {
        "potential": 120,
        "share": 0.35,
        "uses_competitor": True,
        "segment": "retail",
        "zip": 7,
    }
    assert document["accounts"][0]["needs"] == ["spare parts", "restock"]
    decode_portfolio(document, source="t")


def _blocks(language: str) -> list[str]:
    text = FORMAT_PAGE.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_format_page_json_examples_are_valid() -> None:
    blocks = [json.loads(block, parse_float=Decimal) for block in _blocks("json")]
    documents = [b for b in blocks if "accounts" in b]
    events = [b for b in blocks if "kind" in b]
    assert documents, "the format page shows a whole document"
    assert {e["kind"] for e in events} == set(EVENT_TYPES), "an example of every event kind"
    for document in documents:
        assert schema_errors(document) == []
        decode_portfolio(document, source="t")
    for event in events:
        errors = [e.message for e in def_validator("Event").iter_errors(event)]
        assert errors == [], event["id"]
    for block in blocks:
        if block not in documents and block not in events:
            assert any(def_validator(cls.__name__).is_valid(block) for cls in RECORDS), block


def test_format_page_csv_examples_load(tmp_path: Path) -> None:
    tables = {block.split(",", 1)[0]: block for block in _blocks("text")}
    (tmp_path / "accounts.csv").write_text(tables["id"], encoding="utf-8")
    (tmp_path / "transactions.csv").write_text(tables["account_id"], encoding="utf-8")
    document, orphans = read_csv_portfolio(tmp_path, "t")
    assert orphans == []
    assert schema_errors(document) == []
    portfolio = decode_portfolio(document, source="t").portfolio
    assert [len(client.transactions) for client in portfolio] == [2, 1]
    assert portfolio["KA-001"].account.facts["uses_competitor"] is True


def _events_up_to_17() -> list[dict[str, Any]]:
    """Seventeen good events, then the promise of the format page's error example."""
    good = [
        {
            "kind": "interaction",
            "id": f"I-{n}",
            "at": f"2024-03-{n + 1:02d}T09:00:00+02:00",
            "channel": "call",
        }
        for n in range(17)
    ]
    naive_due = {
        "kind": "promise",
        "id": "P-3",
        "at": "2024-03-20T09:00:00+02:00",
        "what": "Quote",
        "due": "2024-03-22T17:00:00",
    }
    return [*good, naive_due]


def test_format_page_error_example_is_what_kamcore_says() -> None:
    """The strict refusal shown on the format page is kamcore's message, word for word."""
    bad_amount = {"id": "T-1", "at": "2024-03-01T10:00:00+02:00", "product": "Pump"}
    accounts: list[dict[str, Any]] = [
        {"id": "KA-001", "name": "Acme", "owner": "u-anna", "region": "EU"},
        {
            "id": "KA-002",
            "name": "Beta",
            "owner": "u-anna",
            "transactions": [bad_amount | {"amount": "1200,50", "currency": "EUR"}],
        },
        {"id": "KA-003", "name": "Gamma", "owner": "u-anna", "events": _events_up_to_17()},
    ]
    document = {"format": "kamcore.portfolio", "version": 1, "accounts": accounts}
    with pytest.raises(PortfolioFormatError) as refused:
        decode_portfolio(document, source="portfolio.json")
    shown = re.search(r"```text\n(portfolio\.json: .*?)```", FORMAT_PAGE.read_text("utf-8"), re.S)
    assert shown is not None
    assert str(refused.value) == shown.group(1).rstrip("\n")
    assert len(schema_errors(document)) == 3

    result = decode_portfolio(document, source="portfolio.json", strict=False)
    assert [q.kind for q in result.quarantine] == ["account", "transaction", "event"]
    assert result.quarantine[2].location == "accounts[2] (id=KA-003).events[17] (id=P-3)"
