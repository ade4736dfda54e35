"""The review engine: clocks, decisions, de-duplication, ordering, health, plugins,
the agenda's JSON schema, and properties over generated portfolios."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import kamcore
from kamcore import hookimpl
from kamcore.classification import compile_rules, parse_rules
from kamcore.model import (
    Account,
    AnswerPromised,
    ClientFile,
    Complaint,
    Decision,
    Event,
    Interaction,
    Portfolio,
    Report,
    Request,
    SurveyResponse,
    Timeline,
    Transaction,
    WaitEnded,
    WaitStarted,
)
from kamcore.review import (
    ACTIONS,
    AGENDA_VERSION,
    SEVERITIES,
    SIGNAL_WEIGHTS,
    Agenda,
    DuplicatePrincipleError,
    Finding,
    Principle,
    ReviewContext,
    ReviewSettings,
    SimplePrinciple,
    account_health,
    deadline,
    installed_principles,
    review,
)
from kamcore.review.health import health_signals
from kamcore.review.principles import BUILTIN_PRINCIPLES
from strategies import CONTINUATION_TYPES, STANDARD, _event, fast, moments, portfolios

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
TINY = timedelta(microseconds=1)

RULES = parse_rules(
    {
        "name": "review tests",
        "currency": {"base": "EUR"},
        "tiers": [
            {
                "id": "key",
                "key": True,
                "when": {"field": "fact.strategic_list", "op": "==", "value": True},
                "standard": {**STANDARD, "response_sla_hours": 4, "contact_cadence_days": 7},
            },
            {"id": "regular", "standard": STANDARD},
        ],
    }
)
CLASSIFIER = compile_rules(RULES)
"""Reads no amounts, so generated transactions in any currency classify."""

SCHEMA: dict[str, Any] = json.loads(
    resources.files("kamcore.review").joinpath("agenda.schema.json").read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def client(*events: Event, owner: str = "anna", account_id: str = "A-1", **kw: Any) -> ClientFile:
    return ClientFile(
        account=Account(id=account_id, name=f"Client {account_id}", owner=owner),
        timeline=Timeline(events),
        **kw,
    )


def context(
    *events: Event, as_of: datetime, settings: ReviewSettings | None = None, **kw: Any
) -> ReviewContext:
    """A context over a regular-tier account (response SLA 10 hours, contact every 14 days)."""
    file = client(*events, **kw).as_of(as_of)
    return ReviewContext(
        client=file,
        as_of=as_of,
        tier="regular",
        key=False,
        standard=RULES.tier("regular").standard,
        settings=settings or ReviewSettings(),
    )


def run(
    portfolio: Portfolio | Iterable[ClientFile], as_of: datetime, *principles: Principle
) -> Agenda:
    if not isinstance(portfolio, Portfolio):
        portfolio = Portfolio(files=list(portfolio))
    return review(portfolio, as_of, classifier=CLASSIFIER, principles=principles)


REQUEST = Request(id="R-1", at=T0, subject="Volume discount")
OTHER = Request(id="R-2", at=T0, subject="Delivery dates")


def _open_requests(context: ReviewContext) -> Iterator[Finding]:
    for state in context.client.timeline.open_requests():
        yield context.finding(
            principle="test",
            code="request_open",
            severity="violation",
            evidence=(state.request.id,),
            action="answer_request",
            due=state.request.at + DAY,
        )


OPEN_REQUESTS = SimplePrinciple(
    "test", "Test", {"request_open": "a request has no answer"}, _open_requests
)


def fixed(*findings: dict[str, Any], principle_id: str = "fixed") -> SimplePrinciple:
    """A principle that yields *findings* (fields beyond account and owner) on every account."""

    def check(context: ReviewContext) -> Iterator[Finding]:
        for fields in findings:
            yield context.finding(principle=principle_id, action="call", **fields)

    codes = {f["code"]: "test" for f in findings}
    return SimplePrinciple(principle_id, principle_id.title(), codes, check)


# -------------------------------------------------------------------------------------------------
# deadline(): warning before the breach, violation after it, pauses while waiting on the client
# -------------------------------------------------------------------------------------------------


def clock(*events: Event, as_of: datetime, about: str | None = "R-1", start: datetime = T0) -> Any:
    ctx = context(REQUEST, OTHER, *events, as_of=as_of)
    return deadline(ctx, start=start, allowed=10 * HOUR, about=about)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(0), None),
        (8 * HOUR - TINY, None),  # before the last fifth of the 10 hours
        (8 * HOUR, ("warning", T0 + 10 * HOUR)),  # the last fifth begins
        (10 * HOUR, ("warning", T0 + 10 * HOUR)),  # due now: not breached yet
        (10 * HOUR + TINY, ("violation", T0 + 10 * HOUR)),
        (30 * DAY, ("violation", T0 + 10 * HOUR)),
    ],
)
def test_deadline_warns_in_the_last_share_and_is_violated_after_the_due_time(
    elapsed: timedelta, expected: Any
) -> None:
    assert clock(as_of=T0 + elapsed) == expected


def test_the_warning_lead_is_a_setting() -> None:
    ctx = context(REQUEST, as_of=T0 + 5 * HOUR, settings=ReviewSettings(warning_lead=0.5))
    assert deadline(ctx, start=T0, allowed=10 * HOUR, about="R-1") == ("warning", T0 + 10 * HOUR)
    early = attrs.evolve(ctx, as_of=T0 + 5 * HOUR - TINY)
    assert deadline(early, start=T0, allowed=10 * HOUR, about="R-1") is None


WAIT = WaitStarted(id="W-1", at=T0 + 2 * HOUR, reason="drawings", about="R-1")
WAIT_ENDED = WaitEnded(id="W-1e", at=T0 + 5 * HOUR, wait_id="W-1")


def test_a_wait_about_the_event_moves_its_due_time_by_the_wait() -> None:
    due = T0 + 13 * HOUR
    assert clock(WAIT, WAIT_ENDED, as_of=T0 + 10 * HOUR + TINY) is None
    assert clock(WAIT, WAIT_ENDED, as_of=T0 + 11 * HOUR) == ("warning", due)
    assert clock(WAIT, WAIT_ENDED, as_of=due) == ("warning", due)
    assert clock(WAIT, WAIT_ENDED, as_of=due + TINY) == ("violation", due)


def test_a_clock_never_runs_out_while_the_wait_goes_on() -> None:
    for days in (1, 10, 400):
        assert clock(WAIT, as_of=T0 + days * DAY) is None


def test_a_wait_ended_after_the_review_still_pauses_the_clock_at_the_review() -> None:
    late_end = WaitEnded(id="W-1e", at=T0 + 40 * DAY, wait_id="W-1")
    assert clock(WAIT, late_end, as_of=T0 + 20 * DAY) is None


def test_a_wait_about_another_event_does_not_pause_the_clock() -> None:
    other = WaitStarted(id="W-2", at=T0 + 2 * HOUR, reason="specs", about="R-2")
    assert clock(other, as_of=T0 + 11 * HOUR) == ("violation", T0 + 10 * HOUR)
    assert clock(other, as_of=T0 + 11 * HOUR, about="R-2") is None


def test_a_wait_about_nothing_pauses_every_clock() -> None:
    general = WaitStarted(id="W-3", at=T0 + 2 * HOUR, reason="client on holiday")
    ended = WaitEnded(id="W-3e", at=T0 + 5 * HOUR, wait_id="W-3")
    for about in ("R-1", "R-2", None):
        assert clock(general, ended, as_of=T0 + 12 * HOUR, about=about) == (
            "warning",
            T0 + 13 * HOUR,
        )


def test_a_clock_about_nothing_is_not_paused_by_a_wait_about_an_event() -> None:
    assert clock(WAIT, WAIT_ENDED, as_of=T0 + 11 * HOUR, about=None) == (
        "violation",
        T0 + 10 * HOUR,
    )


def test_overlapping_waits_pause_the_clock_once() -> None:
    general = WaitStarted(id="W-3", at=T0 + 4 * HOUR, reason="client on holiday")
    ended = WaitEnded(id="W-3e", at=T0 + 8 * HOUR, wait_id="W-3")
    # W-1 from 2h to 5h and W-3 from 4h to 8h: paused from 2h to 8h, 6 hours.
    assert clock(WAIT, WAIT_ENDED, general, ended, as_of=T0 + 16 * HOUR) == (
        "warning",
        T0 + 16 * HOUR,
    )
    assert clock(WAIT, WAIT_ENDED, general, ended, as_of=T0 + 16 * HOUR + TINY)[0] == "violation"


def test_only_the_part_of_a_wait_after_the_clock_started_counts() -> None:
    # The clock starts at 4h; W-1 ran from 2h to 5h, so it pauses the clock for 1 hour.
    result = clock(WAIT, WAIT_ENDED, as_of=T0 + 20 * HOUR, start=T0 + 4 * HOUR)
    assert result == ("violation", T0 + 15 * HOUR)


# -------------------------------------------------------------------------------------------------
# Decisions: snooze and acknowledge
# -------------------------------------------------------------------------------------------------


def test_a_finding_snoozed_by_its_key_is_hidden_until_the_snooze_ends() -> None:
    (finding,) = run([client(REQUEST)], T0 + 2 * DAY, OPEN_REQUESTS).findings
    snooze = Decision(
        id="D-1", at=T0 + 2 * DAY, finding=finding.key, action="snooze", until=T0 + 5 * DAY
    )
    files = [client(REQUEST, snooze)]
    during = run(files, T0 + 5 * DAY - TINY, OPEN_REQUESTS)
    assert (during.findings, during.snoozed, during.acknowledged) == ((), (finding,), ())
    for after in (T0 + 5 * DAY, T0 + 9 * DAY):
        back = run(files, after, OPEN_REQUESTS)
        assert (back.findings, back.snoozed, back.acknowledged) == ((finding,), (), ())


def test_a_snooze_by_code_hides_every_finding_with_that_code() -> None:
    snooze = Decision(
        id="D-1", at=T0 + HOUR, finding="request_open", action="snooze", until=T0 + 5 * DAY
    )
    agenda = run([client(REQUEST, OTHER, snooze)], T0 + 2 * DAY, OPEN_REQUESTS)
    assert agenda.findings == ()
    assert [f.evidence for f in agenda.snoozed] == [("R-1",), ("R-2",)]


def test_an_acknowledged_finding_moves_to_acknowledged_and_no_longer_weighs_on_health() -> None:
    (finding,) = run([client(REQUEST)], T0 + 2 * DAY, OPEN_REQUESTS).findings
    ack = Decision(id="D-1", at=T0 + 2 * DAY, finding=finding.key, action="acknowledge")
    agenda = run([client(REQUEST, OTHER, ack)], T0 + 3 * DAY, OPEN_REQUESTS)
    assert agenda.acknowledged == (finding,)
    assert [f.evidence for f in agenda.findings] == [("R-2",)]
    assert agenda.health["A-1"].signals["findings"] == 0.75  # one violation, not two


def test_the_latest_decision_on_a_finding_wins() -> None:
    (finding,) = run([client(REQUEST)], T0 + 2 * DAY, OPEN_REQUESTS).findings
    ack = Decision(id="D-1", at=T0 + 2 * DAY, finding=finding.key, action="acknowledge")
    snooze = Decision(
        id="D-2", at=T0 + 3 * DAY, finding="request_open", action="snooze", until=T0 + 6 * DAY
    )
    files = [client(REQUEST, ack, snooze)]
    assert run(files, T0 + 4 * DAY, OPEN_REQUESTS).snoozed == (finding,)
    # The snooze was the last word; once it ends the finding is open again.
    assert run(files, T0 + 7 * DAY, OPEN_REQUESTS).findings == (finding,)


def test_a_decision_recorded_after_the_review_moment_does_not_count() -> None:
    (finding,) = run([client(REQUEST)], T0 + 2 * DAY, OPEN_REQUESTS).findings
    ack = Decision(id="D-1", at=T0 + 3 * DAY, finding=finding.key, action="acknowledge")
    assert run([client(REQUEST, ack)], T0 + 2 * DAY, OPEN_REQUESTS).findings == (finding,)


def test_a_decision_on_another_finding_changes_nothing() -> None:
    ack = Decision(
        id="D-1", at=T0 + HOUR, finding="request_open:000000000000", action="acknowledge"
    )
    agenda = run([client(REQUEST, ack)], T0 + 2 * DAY, OPEN_REQUESTS)
    assert len(agenda.findings) == 1
    assert agenda.acknowledged == ()


def test_the_key_is_stable_and_names_the_situation() -> None:
    first = run([client(REQUEST)], T0 + 2 * DAY, OPEN_REQUESTS).findings[0]
    later = run([client(REQUEST, OTHER)], T0 + 9 * DAY, OPEN_REQUESTS).findings[0]
    assert first.key == later.key
    assert first.key.startswith("request_open:")
    other = run([client(REQUEST, OTHER)], T0 + 9 * DAY, OPEN_REQUESTS).findings[1]
    assert other.key != first.key


# -------------------------------------------------------------------------------------------------
# One finding per situation; agenda order; grouping by owner
# -------------------------------------------------------------------------------------------------


def test_a_principle_yielding_the_same_finding_twice_gives_one_finding() -> None:
    twice = fixed(
        {"code": "x", "severity": "warning", "evidence": ("R-1",)},
        {"code": "x", "severity": "warning", "evidence": ("R-1",)},
    )
    assert len(run([client(REQUEST)], T0, twice).findings) == 1


def test_two_principles_finding_the_same_situation_give_one_finding() -> None:
    one = fixed({"code": "x", "severity": "warning", "evidence": ("R-1",)}, principle_id="one")
    two = fixed({"code": "x", "severity": "violation", "evidence": ("R-1",)}, principle_id="two")
    (finding,) = run([client(REQUEST)], T0, one, two).findings
    assert finding.principle == "one"


def test_the_same_code_on_other_evidence_is_another_finding() -> None:
    twice = fixed(
        {"code": "x", "severity": "warning", "evidence": ("R-1",)},
        {"code": "x", "severity": "warning", "evidence": ("R-2",)},
    )
    assert len(run([client(REQUEST, OTHER)], T0, twice).findings) == 2


def test_the_agenda_is_ordered_by_due_time_then_severity_worst_first() -> None:
    principle = fixed(
        {"code": "later", "severity": "critical", "due": T0 + 2 * DAY},
        {"code": "no_due", "severity": "critical"},
        {"code": "soon_warning", "severity": "warning", "due": T0 + DAY},
        {"code": "soon_critical", "severity": "critical", "due": T0 + DAY},
        {"code": "soon_info", "severity": "info", "due": T0 + DAY},
        {"code": "soon_violation", "severity": "violation", "due": T0 + DAY},
        {"code": "earliest", "severity": "info", "due": T0 - DAY},
    )
    agenda = run([client(account_id="B"), client(account_id="A")], T0, principle)
    assert [(f.code, f.account_id) for f in agenda.findings] == [
        ("earliest", "A"),
        ("earliest", "B"),
        ("soon_critical", "A"),
        ("soon_critical", "B"),
        ("soon_violation", "A"),
        ("soon_violation", "B"),
        ("soon_warning", "A"),
        ("soon_warning", "B"),
        ("soon_info", "A"),
        ("soon_info", "B"),
        ("later", "A"),
        ("later", "B"),
        ("no_due", "A"),
        ("no_due", "B"),
    ]


def test_by_owner_groups_open_findings_by_owner_in_name_order_keeping_the_agenda_order() -> None:
    principle = fixed(
        {"code": "b", "severity": "warning", "due": T0 + 2 * DAY},
        {"code": "a", "severity": "warning", "due": T0 + DAY},
    )
    files = [client(account_id="Z-1", owner="zoe"), client(account_id="A-1", owner="adam")]
    agenda = run(files, T0, principle)
    groups = agenda.by_owner()
    assert list(groups) == ["adam", "zoe"]
    assert [(f.account_id, f.code) for f in groups["adam"]] == [("A-1", "a"), ("A-1", "b")]
    assert [(f.account_id, f.code) for f in groups["zoe"]] == [("Z-1", "a"), ("Z-1", "b")]
    assert sum(len(g) for g in groups.values()) == len(agenda.findings)
    assert agenda.for_account("Z-1") == groups["zoe"]


def test_records_at_the_same_moment_give_the_same_agenda_in_any_order() -> None:
    # Two answer dates committed at the same moment, and two decisions at the same
    # moment: "the latest" must not depend on the order the source listed them in.
    events = [
        REQUEST,
        AnswerPromised(id="AP-1", at=T0 + HOUR, request_id="R-1", answer_by=T0 + 2 * DAY),
        AnswerPromised(id="AP-2", at=T0 + HOUR, request_id="R-1", answer_by=T0 + 5 * DAY),
        OTHER,
        Decision(id="D-1", at=T0 + HOUR, finding="request_unanswered", action="acknowledge"),
        Decision(
            id="D-2",
            at=T0 + HOUR,
            finding="request_unanswered",
            action="snooze",
            until=T0 + 9 * DAY,
        ),
    ]
    agendas = [
        run([client(*order)], T0 + 3 * DAY, *BUILTIN_PRINCIPLES).as_dict()
        for order in (events, events[::-1], [*events[3:], *events[:3]])
    ]
    assert agendas[0] == agendas[1] == agendas[2]


def test_a_review_with_no_accounts_is_an_empty_agenda() -> None:
    agenda = run([], T0, OPEN_REQUESTS)
    assert (agenda.findings, agenda.by_owner(), dict(agenda.health)) == ((), {}, {})


# -------------------------------------------------------------------------------------------------
# Health
# -------------------------------------------------------------------------------------------------


def call(event_id: str, at: datetime, *, personal: bool = True) -> Interaction:
    return Interaction(id=event_id, at=at, channel="call", personal=personal)


def test_missing_signals_are_left_out_not_counted_as_zero() -> None:
    # Last personal contact one cadence (14 days) ago: contact 0.5. No survey, no purchases.
    ctx = context(call("I-1", T0 - 14 * DAY), as_of=T0)
    health = account_health(ctx, [])
    assert dict(health.signals) == {
        "contact": 0.5,
        "satisfaction": None,
        "purchases": None,
        "complaints": 1.0,
        "findings": 1.0,
    }
    # (0.5 * 1 + 1.0 * 1 + 1.0 * 2) / (1 + 1 + 2), not divided by all weights.
    assert health.score == pytest.approx(87.5)


def test_an_account_with_no_data_has_no_signal_but_the_findings() -> None:
    health = account_health(context(as_of=T0), [])
    assert {k for k, v in health.signals.items() if v is not None} == {"findings"}
    assert (health.score, health.trend) == (100.0, None)


def test_weights_are_normalised() -> None:
    ctx = context(call("I-1", T0 - 14 * DAY), as_of=T0)
    scaled = {name: 10 * weight for name, weight in SIGNAL_WEIGHTS.items()}
    assert account_health(ctx, [], weights=scaled).score == pytest.approx(
        account_health(ctx, []).score
    )
    only_contact = dict.fromkeys(SIGNAL_WEIGHTS, 0.0) | {"contact": 3.0}
    assert account_health(ctx, [], weights=only_contact).score == pytest.approx(50.0)


def test_worst_of_takes_the_weakest_signal() -> None:
    ctx = context(call("I-1", T0 - 14 * DAY), as_of=T0)
    assert account_health(ctx, [], worst_of=True).score == pytest.approx(50.0)


def test_open_findings_lower_the_findings_signal_by_severity() -> None:
    ctx = context(as_of=T0)

    def finding(code: str, severity: str) -> Finding:
        return ctx.finding(principle="p", code=code, severity=severity, action="call")

    signals = health_signals(ctx, [finding("a", "warning"), finding("b", "violation")])
    assert signals["findings"] == pytest.approx(1 - 1.5 / 4)
    assert health_signals(ctx, [finding(str(i), "critical") for i in range(3)])["findings"] == 0
    assert health_signals(ctx, [finding("a", "info")])["findings"] == 1.0
    assert "findings" not in health_signals(ctx, None)


def test_satisfaction_purchases_and_complaints_signals() -> None:
    transactions = [
        Transaction(
            id=f"T-{i}", at=T0 - i * 30 * DAY, product="x", amount=Decimal(1), currency="EUR"
        )
        for i in range(12)
    ]
    events = [
        SurveyResponse(id="S-1", at=T0 - 60 * DAY, product_quality=2),
        SurveyResponse(id="S-2", at=T0 - 10 * DAY, product_quality=4, service_attitude=5),
        Complaint(id="C-1", at=T0 - 5 * DAY, subject="late delivery"),
    ]
    signals = health_signals(context(*events, as_of=T0, transactions=transactions), None)
    assert signals["satisfaction"] == pytest.approx((4.5 - 1) / 4)  # the latest survey
    assert signals["purchases"] == pytest.approx(1.0)  # 3 in 90 days of 12 in a year
    assert signals["complaints"] == pytest.approx(0.5)  # one not resolved
    assert signals["contact"] == 0.0  # events, but never a personal contact


def test_trend_compares_with_thirty_days_earlier() -> None:
    # Now: last contact 7 days ago (0.75). Thirty days ago: the last was 1 day before (27/28).
    ctx = context(call("I-1", T0 - 31 * DAY), call("I-2", T0 - 7 * DAY), as_of=T0)
    health = account_health(ctx, [])
    before = (27 / 28 + 1.0) / 2 * 100
    assert health.trend is not None
    assert health.trend == pytest.approx((0.75 + 1.0) / 2 * 100 - before)
    assert health.trend < 0  # less healthy than 30 days ago


def test_trend_is_unknown_when_nothing_was_known_thirty_days_earlier() -> None:
    # The first event came 10 days ago: the earlier moment must not read it.
    health = account_health(context(call("I-1", T0 - 10 * DAY), as_of=T0), [])
    assert health.trend is None


def test_health_as_dict_says_higher_is_healthier_and_rounds() -> None:
    health = account_health(context(call("I-1", T0 - 5 * DAY), as_of=T0), [])
    data = health.as_dict()
    assert data["higher_is_healthier"] is True
    assert data["score"] == round(health.score, 1)
    assert data["signals"]["satisfaction"] is None


# -------------------------------------------------------------------------------------------------
# Principles from plugins
# -------------------------------------------------------------------------------------------------


class PrinciplePlugin:
    def __init__(self, *principles: Principle) -> None:
        self.principles = principles

    @hookimpl
    def kamcore_principles(self) -> Sequence[Principle]:
        return self.principles


class NoPrinciples:
    @hookimpl
    def kamcore_principles(self) -> None:
        return None


def test_a_plugin_principle_is_installed_and_reviewed() -> None:
    manager = kamcore.get_plugin_manager(
        entry_points=False, plugins=[PrinciplePlugin(OPEN_REQUESTS), NoPrinciples()]
    )
    assert installed_principles(manager) == (OPEN_REQUESTS,)
    agenda = review(
        Portfolio(files=[client(REQUEST)]),
        T0 + 2 * DAY,
        classifier=CLASSIFIER,
        principles=installed_principles(manager),
    )
    assert [f.principle for f in agenda.findings] == ["test"]


def test_plugin_principles_come_with_the_built_in_ones_sorted_by_id() -> None:
    manager = kamcore.get_plugin_manager(plugins=[PrinciplePlugin(OPEN_REQUESTS)])
    ids = [p.id for p in installed_principles(manager)]
    assert ids == sorted(ids)
    assert {"test", "responsiveness", "commitment", "honesty"} <= set(ids)


def test_two_principles_with_one_id_are_an_error() -> None:
    twin = attrs.evolve(OPEN_REQUESTS, name="Twin")
    manager = kamcore.get_plugin_manager(
        entry_points=False, plugins=[PrinciplePlugin(OPEN_REQUESTS), PrinciplePlugin(twin)]
    )
    with pytest.raises(DuplicatePrincipleError, match="'test'"):
        installed_principles(manager)


def test_a_plugin_cannot_replace_a_built_in_principle() -> None:
    impostor = attrs.evolve(OPEN_REQUESTS, id="responsiveness")
    manager = kamcore.get_plugin_manager(plugins=[PrinciplePlugin(impostor)])
    with pytest.raises(kamcore.KamcoreError, match="'responsiveness'"):
        installed_principles(manager)


# -------------------------------------------------------------------------------------------------
# The agenda's JSON form and its schema
# -------------------------------------------------------------------------------------------------


def test_the_schema_is_valid_and_versioned() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["version"]["const"] == AGENDA_VERSION


def test_the_schema_enums_are_the_python_constants() -> None:
    finding = SCHEMA["$defs"]["Finding"]["properties"]
    assert finding["severity"]["enum"] == list(SEVERITIES)
    assert finding["action"]["enum"] == sorted(ACTIONS)
    assert set(SCHEMA["$defs"]["Health"]["properties"]["signals"]["properties"]) == set(
        SIGNAL_WEIGHTS
    )


def _described(node: Any, path: str = "$") -> Iterator[str]:
    """Paths of the schema's fields that have no description."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if "description" not in sub:
                yield f"{path}.{name}"
        for key, sub in node.items():
            yield from _described(sub, f"{path}.{key}")
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            yield from _described(sub, f"{path}[{index}]")


def test_every_field_of_the_schema_is_described() -> None:
    assert list(_described(SCHEMA)) == []
    for name, definition in SCHEMA["$defs"].items():
        if definition.get("type") == "object":
            assert "description" in definition, name


def test_the_schema_fields_are_the_fields_as_dict_writes() -> None:
    agenda = run([client(REQUEST, call("I-1", T0))], T0 + 2 * DAY, OPEN_REQUESTS)
    data = agenda.as_dict()
    assert set(SCHEMA["required"]) == set(data)
    finding = SCHEMA["$defs"]["Finding"]
    # `escalation` is the one optional field: only `kamcore review --format json` adds it.
    assert set(finding["required"]) == set(data["findings"][0])
    assert set(finding["properties"]) == set(data["findings"][0]) | {"escalation"}
    health = SCHEMA["$defs"]["Health"]
    assert set(health["required"]) == set(health["properties"]) == set(data["health"]["A-1"])


def hand_built() -> Portfolio:
    snoozed = Request(id="R-3", at=T0, subject="Certificates")
    acknowledged = Request(id="R-4", at=T0, subject="Price list 2027")
    return Portfolio(
        files=[
            client(
                REQUEST,
                OTHER,
                snoozed,
                acknowledged,
                WAIT,
                call("I-1", T0 - 20 * DAY),
                SurveyResponse(id="S-1", at=T0 - 40 * DAY, product_quality=3, nps=7),
                Complaint(id="C-1", at=T0 - 40 * DAY, subject="Broken seal"),
                Decision(
                    id="D-1",
                    at=T0 + HOUR,
                    finding="request_unanswered",
                    action="snooze",
                    until=T0 + 30 * DAY,
                ),
                transactions=[
                    Transaction(
                        id="T-1",
                        at=T0 - 100 * DAY,
                        product="Pumps",
                        amount=Decimal(10),
                        currency="CNY",
                    )
                ],
            ),
            client(
                Request(id="R-9", at=T0 + DAY, subject="Visit"),
                Decision(id="D-9", at=T0 + DAY, finding="request_open", action="acknowledge"),
                account_id="华信-1",
                owner="王磊",
            ),
            client(account_id="EMPTY", owner="anna"),
        ],
        reports=[Report(id="REP-1", at=T0, to="head", account_ids=["A-1"])],
    )


def test_a_hand_built_agenda_validates_against_the_schema() -> None:
    principles = (*BUILTIN_PRINCIPLES, OPEN_REQUESTS)
    agenda = review(hand_built(), T0 + 3 * DAY, classifier=CLASSIFIER, principles=principles)
    assert agenda.findings
    assert agenda.snoozed
    assert agenda.acknowledged
    data = json.loads(json.dumps(agenda.as_dict(), ensure_ascii=False))
    VALIDATOR.validate(data)


def test_params_and_values_of_any_model_type_are_written_as_json() -> None:
    principle = fixed(
        {
            "code": "x",
            "severity": "info",
            "params": {"amount": Decimal("12.50"), "ids": frozenset({"b", "a"}), "at": T0},
            "values": {"by_month": {"2026-01": Decimal(3)}, "window": timedelta(days=1)},
        }
    )
    data = run([client()], T0, principle).as_dict()
    VALIDATOR.validate(json.loads(json.dumps(data)))
    assert data["findings"][0]["params"] == {
        "amount": "12.50",
        "ids": ["a", "b"],
        "at": T0.isoformat(),
    }
    assert data["findings"][0]["values"] == {"by_month": {"2026-01": "3"}, "window": 86400.0}


def test_the_schema_refuses_what_is_not_an_agenda() -> None:
    agenda = run([client(REQUEST)], T0 + 2 * DAY, OPEN_REQUESTS).as_dict()
    for broken in (
        {**agenda, "version": 2},
        {**agenda, "findings": [{**agenda["findings"][0], "severity": "bad"}]},
        {**agenda, "findings": [{**agenda["findings"][0], "action": "shrug"}]},
        {**agenda, "health": {"A-1": {**agenda["health"]["A-1"], "score": 101}}},
        {**agenda, "health": {"A-1": {**agenda["health"]["A-1"], "higher_is_healthier": False}}},
    ):
        assert not VALIDATOR.is_valid(broken)


# -------------------------------------------------------------------------------------------------
# Properties over generated portfolios
# -------------------------------------------------------------------------------------------------

BUILT_IN = tuple(BUILTIN_PRINCIPLES)


def built_in_review(portfolio: Portfolio, as_of: datetime) -> Agenda:
    return review(portfolio, as_of, classifier=CLASSIFIER, principles=BUILT_IN)


PREFIX = "later·"


def _renamed(event: Event, prefix: str, at: datetime) -> Event:
    changes: dict[str, Any] = {"id": prefix + event.id, "at": at}
    if event.REF:
        changes[event.REF[0]] = prefix + str(event.ref)
    if isinstance(event, WaitStarted) and event.about is not None:
        changes["about"] = prefix + event.about
    return attrs.evolve(event, **changes)


@st.composite
def _later_events(draw: st.DrawFn, file: ClientFile, as_of: datetime) -> list[Event]:
    """Events after *as_of*: copies of the account's events moved after it, and
    continuations of its own lifecycles (answers, kept promises, ended waits…)."""
    events: list[Event] = []
    if file.timeline.events:
        earliest = file.timeline.events[0].at
        shift = max(timedelta(0), as_of - earliest) + draw(
            st.timedeltas(timedelta(microseconds=1), timedelta(days=60))
        )
        events += [_renamed(e, PREFIX, e.at + shift) for e in file.timeline]
    for number in range(draw(st.integers(0, 3))):
        candidates = [
            (cls, target)
            for cls in CONTINUATION_TYPES
            for target in file.timeline
            if isinstance(target, cls.REF[1])  # type: ignore[index]
        ]
        if not candidates:
            break
        cls, target = draw(st.sampled_from(candidates))
        at = max(as_of, target.at) + draw(st.timedeltas(timedelta(microseconds=1), 30 * DAY))
        events.append(
            _event(draw, cls, f"{PREFIX}c{number}", at, **{cls.REF[0]: target.id})  # type: ignore[index]
        )
    return events


@fast(30)
@given(portfolio=portfolios(), as_of=moments(), data=st.data())
def test_events_after_the_review_moment_do_not_change_the_agenda(
    portfolio: Portfolio, as_of: datetime, data: st.DataObject
) -> None:
    files = []
    for file in portfolio:
        later = data.draw(_later_events(file, as_of))
        ids = [e.id for e in (*file.timeline, *later)]
        assume(len(set(ids)) == len(ids))
        extra = [
            attrs.evolve(t, id=PREFIX + t.id, at=max(t.at, as_of) + DAY) for t in file.transactions
        ]
        assume(not {t.id for t in extra} & {t.id for t in file.transactions})
        files.append(
            ClientFile(
                account=file.account,
                transactions=[*file.transactions, *extra],
                timeline=Timeline([*file.timeline, *later]),
            )
        )
    late_reports = [
        attrs.evolve(r, id=PREFIX + r.id, at=max(r.at, as_of) + DAY) for r in portfolio.reports
    ]
    assume(not {r.id for r in late_reports} & {r.id for r in portfolio.reports})
    grown = attrs.evolve(portfolio, files=files, reports=[*portfolio.reports, *late_reports])
    assert built_in_review(grown, as_of).as_dict() == built_in_review(portfolio, as_of).as_dict()


@fast(30)
@given(portfolio=portfolios(), as_of=moments(), seed=st.integers(0, 2**32 - 1))
def test_the_agenda_does_not_depend_on_the_order_events_were_given_in(
    portfolio: Portfolio, as_of: datetime, seed: int
) -> None:
    shuffler = random.Random(seed)

    def shuffled(items: Sequence[Any]) -> list[Any]:
        return shuffler.sample(list(items), len(items))

    files = [
        ClientFile(
            account=f.account,
            transactions=shuffled(f.transactions),
            timeline=Timeline(shuffled(f.timeline.events)),
        )
        for f in portfolio
    ]
    again = attrs.evolve(portfolio, files=files)
    assert built_in_review(again, as_of).as_dict() == built_in_review(portfolio, as_of).as_dict()


@fast(30)
@given(portfolio=portfolios(), as_of=moments())
def test_evidence_refers_to_events_or_transactions_of_the_account_known_at_the_moment(
    portfolio: Portfolio, as_of: datetime
) -> None:
    agenda = built_in_review(portfolio, as_of)
    for finding in (*agenda.findings, *agenda.snoozed, *agenda.acknowledged):
        file = portfolio[finding.account_id]
        known = {e.id for e in file.timeline if e.at <= as_of}
        known |= {t.id for t in file.transactions if t.at <= as_of}
        assert set(finding.evidence) <= known, finding
        assert finding.owner == file.account.owner


@fast(30)
@given(portfolio=portfolios(), as_of=moments())
def test_review_is_deterministic_healthy_in_range_and_valid_json(
    portfolio: Portfolio, as_of: datetime
) -> None:
    first = built_in_review(portfolio, as_of)
    assert built_in_review(portfolio, as_of).as_dict() == first.as_dict()
    assert set(first.health) == {f.id for f in portfolio}
    for health in first.health.values():
        assert 0 <= health.score <= 100
        assert all(v is None or 0 <= v <= 1 for v in health.signals.values())
    VALIDATOR.validate(json.loads(json.dumps(first.as_dict(), ensure_ascii=False)))
