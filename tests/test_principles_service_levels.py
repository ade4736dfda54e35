"""The service-level principles: contact, the future, joint goals, satisfaction,
complaints, churn early warning and regular reporting.

Every code gets a timeline that triggers it and a near-identical one that does not;
every clock gets a warning before its deadline and a violation after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore.classification import CurrencyTable
from kamcore.model import (
    Account,
    AdverseChange,
    ClientFile,
    Complaint,
    ComplaintStep,
    Event,
    Goal,
    GoalProgress,
    Interaction,
    Portfolio,
    Promise,
    PromiseKept,
    PromiseRenegotiated,
    Report,
    Request,
    SurveyResponse,
    Timeline,
    Transaction,
    WaitEnded,
    WaitStarted,
)
from kamcore.review import Finding, ReviewContext, ReviewSettings, SimplePrinciple, review
from kamcore.review.principles.churn import CHURN_SIGNALS, CHURN_WARNING, alert_since, churn_risk
from kamcore.review.principles.complaints import COMPLAINTS
from kamcore.review.principles.contact import COMMUNICATE_FUTURE, PROACTIVE_CONTACT
from kamcore.review.principles.goals import JOINT_GOALS
from kamcore.review.principles.reporting import REPORTING
from kamcore.review.principles.satisfaction import SATISFACTION
from principle_support import KEY_FACTS, KEY_STANDARD, T0, at, review_context
from principle_support import run as checked_run

PRINCIPLES = (
    PROACTIVE_CONTACT,
    COMMUNICATE_FUTURE,
    JOINT_GOALS,
    SATISFACTION,
    COMPLAINTS,
    CHURN_WARNING,
    REPORTING,
)


def account(**changes: Any) -> Account:
    return Account(id="ACME", name="Acme", owner="mgr", facts=KEY_FACTS, **changes)


def context(
    events: Iterable[Event] = (),
    *,
    as_of: datetime,
    key: bool = True,
    transactions: Iterable[Transaction] = (),
    report_times: Iterable[datetime] = (),
    settings: ReviewSettings | None = None,
    client_since: date | None = None,
) -> ReviewContext:
    """A review context for the key-facts account with *events* and *transactions*."""
    client = ClientFile(
        account=account(client_since=client_since),
        transactions=tuple(transactions),
        timeline=Timeline(tuple(events)),
    )
    return review_context(
        client, as_of=as_of, key=key, report_times=report_times, settings=settings
    )


def run(principle: SimplePrinciple, ctx: ReviewContext) -> list[Finding]:
    """Checked findings; every finding of these principles has a due time."""
    return checked_run(principle, ctx, due=True)


def codes(principle: SimplePrinciple, ctx: ReviewContext) -> list[str]:
    return [f.code for f in run(principle, ctx)]


def only(principle: SimplePrinciple, ctx: ReviewContext, code: str) -> Finding:
    found = [f for f in run(principle, ctx) if f.code == code]
    assert len(found) == 1, found
    return found[0]


def call(event_id: str, days: float, **fields: Any) -> Interaction:
    return Interaction(id=event_id, at=at(days), channel="call", **fields)


def email(event_id: str, days: float, **fields: Any) -> Interaction:
    return Interaction(id=event_id, at=at(days), channel="email", **fields)


def survey(event_id: str, days: float, score: float) -> SurveyResponse:
    return SurveyResponse(
        id=event_id,
        at=at(days),
        product_quality=score,
        service_attitude=score,
        resolution_efficiency=score,
    )


def purchases(
    days: Iterable[float], *, amount: str = "100", currency: str = "EUR", prefix: str = "t"
) -> list[Transaction]:
    return [
        Transaction(
            id=f"{prefix}{n}", at=at(d), product="parts", amount=Decimal(amount), currency=currency
        )
        for n, d in enumerate(days)
    ]


# ---------------------------------------------------------------------------
# Every code: a timeline that triggers it and a near-identical one that does not
# ---------------------------------------------------------------------------

Build = Callable[[bool], ReviewContext]
"""``build(trigger)``: the triggering context, or with ``False`` the quiet twin."""


def _silent(trigger: bool) -> ReviewContext:
    return context([call("c1", 0)], as_of=at(15 if trigger else 10))


def _problem_without_call(trigger: bool) -> ReviewContext:
    follow_up = email("e1", 2) if trigger else call("e1", 2)
    return context(
        [call("c0", 0), Complaint(id="k1", at=at(1), subject="late"), follow_up], as_of=at(3)
    )


def _no_future_talk(trigger: bool) -> ReviewContext:
    topics = ("thanks",) if trigger else ("thanks", "future_plans")
    events = [call("c1", 0, topics=("thanks", "future_plans")), call("c2", 30, topics=topics)]
    return context(events, as_of=at(61))


def _no_joint_goal(trigger: bool) -> ReviewContext:
    events: list[Event] = [call("c1", 0)]
    if not trigger:
        events += [Goal(id="g1", at=at(1), title="grow", client_participants=("ann",))]
    return context(events, as_of=at(5))


def _goal_without_client(trigger: bool) -> ReviewContext:
    participants = () if trigger else ("ann",)
    goal = Goal(id="g1", at=at(0), title="grow", client_participants=participants)
    return context([goal], as_of=at(5))


def _goal_progress_stale(trigger: bool) -> ReviewContext:
    goal = Goal(id="g1", at=at(0), title="grow", client_participants=("ann",))
    return context(
        [goal, GoalProgress(id="p1", at=at(10), goal_id="g1", progress=0.5)],
        as_of=at(75 if trigger else 55),
    )


def _survey_overdue(trigger: bool) -> ReviewContext:
    return context([survey("s1", 0, 4.5)], as_of=at(125 if trigger else 90))


def _satisfaction_drop(trigger: bool) -> ReviewContext:
    latest = 3.7 if trigger else 3.9
    return context([survey("s1", 0, 4.5), survey("s2", 30, latest)], as_of=at(31))


def _complaint_step_overdue(trigger: bool) -> ReviewContext:
    return context(
        [Complaint(id="k1", at=at(0), subject="late")], as_of=at(hours=9 if trigger else 5)
    )


def _churn_risk(trigger: bool) -> ReviewContext:
    # Monthly purchases for a year; the quiet twin goes on buying in the recent window.
    history = purchases(range(50, 410, 30))
    recent = [] if trigger else purchases((420, 450, 480), prefix="r")
    return context([call("c1", 500)], as_of=at(500), transactions=history + recent)


def _not_reported(trigger: bool) -> ReviewContext:
    return context([call("c1", 0)], as_of=at(10), report_times=() if trigger else (at(8),))


CASES: dict[str, tuple[SimplePrinciple, Build]] = {
    "silent_past_cadence": (PROACTIVE_CONTACT, _silent),
    "problem_without_call": (PROACTIVE_CONTACT, _problem_without_call),
    "no_future_talk": (COMMUNICATE_FUTURE, _no_future_talk),
    "no_joint_goal": (JOINT_GOALS, _no_joint_goal),
    "goal_without_client": (JOINT_GOALS, _goal_without_client),
    "goal_progress_stale": (JOINT_GOALS, _goal_progress_stale),
    "survey_overdue": (SATISFACTION, _survey_overdue),
    "satisfaction_drop": (SATISFACTION, _satisfaction_drop),
    "complaint_step_overdue": (COMPLAINTS, _complaint_step_overdue),
    "churn_risk": (CHURN_WARNING, _churn_risk),
    "not_reported": (REPORTING, _not_reported),
}


def test_every_code_of_every_principle_has_a_case() -> None:
    assert set(CASES) == {code for p in PRINCIPLES for code in p.codes}
    assert len(set(CASES)) == sum(len(p.codes) for p in PRINCIPLES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_code_triggers(code: str) -> None:
    principle, build = CASES[code]
    assert code in codes(principle, build(True))


@pytest.mark.parametrize("code", sorted(CASES))
def test_code_quiet_on_the_near_identical_timeline(code: str) -> None:
    principle, build = CASES[code]
    assert code not in codes(principle, build(False))


def test_codes_explain_what_it_means_and_what_to_do() -> None:
    for principle in PRINCIPLES:
        for code, text in principle.codes.items():
            meaning, _, todo = text.partition(": ")
            assert meaning, code
            assert todo, code
            assert text == text.strip()
            assert not text.endswith(".")


# ---------------------------------------------------------------------------
# Clocks for things that never happened start when the account became known
# ---------------------------------------------------------------------------

NEVER: dict[str, tuple[SimplePrinciple, str, float]] = {
    # code: principle, the parameter naming the last time, key-tier interval in days
    "silent_past_cadence": (PROACTIVE_CONTACT, "last_contact", 14),
    "no_future_talk": (COMMUNICATE_FUTURE, "last_thanks", 60),
    "survey_overdue": (SATISFACTION, "last_survey", 120),
    "not_reported": (REPORTING, "last_report", 7),
}


@pytest.mark.parametrize("code", sorted(NEVER))
def test_never_happened_runs_from_the_first_event(code: str) -> None:
    principle, last, days = NEVER[code]
    first = Request(id="r1", at=at(0), subject="quote")
    assert code not in codes(principle, context([first], as_of=at(days * 0.7)))
    finding = only(principle, context([first], as_of=at(days + 1)), code)
    assert finding.severity == "violation"
    assert finding.params[last] is None
    assert finding.due == at(days)
    assert finding.evidence == ("r1",)
    assert run(principle, context(as_of=at(days + 1))) == []


@pytest.mark.parametrize("code", sorted(NEVER))
def test_never_happened_runs_from_the_first_purchase_when_it_is_earlier(code: str) -> None:
    principle, _, days = NEVER[code]
    first = Request(id="r1", at=at(days), subject="quote")
    bought = purchases((0,))
    finding = only(principle, context([first], as_of=at(days + 1), transactions=bought), code)
    assert finding.due == at(days)
    assert finding.evidence == ("t0",)


@pytest.mark.parametrize("code", sorted(NEVER))
def test_never_happened_runs_from_client_since_when_it_is_earliest(code: str) -> None:
    # A CRM export whose timeline starts long after the client did.
    principle, _, days = NEVER[code]
    first = Request(id="r1", at=at(days), subject="quote")
    ctx = context([first], as_of=at(days + 1), client_since=T0.date() - timedelta(days=1))
    finding = only(principle, ctx, code)
    assert finding.due == datetime(2025, 3, 2, tzinfo=UTC) + timedelta(days=days)
    assert finding.evidence == ()
    assert code not in codes(principle, context([first], as_of=at(days + 1)))


# ---------------------------------------------------------------------------
# proactive_contact: silence
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "severity"),
    [(11, None), (11.3, "warning"), (14, "warning"), (14.01, "violation"), (40, "violation")],
)
def test_silence_warns_before_the_cadence_and_violates_after(
    days: float, severity: str | None
) -> None:
    # key cadence 14 days, warning in the last fifth: from day 11.2
    found = run(PROACTIVE_CONTACT, context([call("c1", 0)], as_of=at(days)))
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].due == at(14)
        assert found[0].evidence == ("c1",)
        assert found[0].action == "call"
        assert found[0].values["cadence_days"] == 14


def test_silence_counts_from_the_last_personal_contact_only() -> None:
    mass = email("e1", 10, personal=False)
    personal = email("e1", 10)
    assert codes(PROACTIVE_CONTACT, context([call("c1", 0), mass], as_of=at(15))) == [
        "silent_past_cadence"
    ]
    assert codes(PROACTIVE_CONTACT, context([call("c1", 0), personal], as_of=at(15))) == []


def test_client_initiated_personal_contact_ends_the_silence() -> None:
    theirs = call("c2", 10, initiated_by="client")
    assert codes(PROACTIVE_CONTACT, context([call("c1", 0), theirs], as_of=at(15))) == []


def test_silence_follows_the_tier_cadence() -> None:
    assert codes(PROACTIVE_CONTACT, context([call("c1", 0)], as_of=at(30), key=False)) == []
    assert codes(PROACTIVE_CONTACT, context([call("c1", 0)], as_of=at(91), key=False)) == [
        "silent_past_cadence"
    ]


def test_an_empty_timeline_has_no_silence_finding() -> None:
    assert run(PROACTIVE_CONTACT, context(as_of=at(100))) == []


def test_a_wait_on_one_request_does_not_pause_the_contact_clock() -> None:
    events = [
        call("c1", 0),
        Request(id="r1", at=at(1), subject="quote"),
        WaitStarted(id="w1", at=at(5), reason="specs", about="r1"),
    ]
    assert codes(PROACTIVE_CONTACT, context(events, as_of=at(15))) == ["silent_past_cadence"]


def test_an_account_wide_wait_pauses_the_contact_clock() -> None:
    wait = [
        WaitStarted(id="w1", at=at(5), reason="client on holiday"),
        WaitEnded(id="w2", at=at(10), wait_id="w1"),
    ]
    assert codes(PROACTIVE_CONTACT, context([call("c1", 0)], as_of=at(15))) == [
        "silent_past_cadence"
    ]
    assert codes(PROACTIVE_CONTACT, context([call("c1", 0), *wait], as_of=at(15))) == []
    finding = only(
        PROACTIVE_CONTACT, context([call("c1", 0), *wait], as_of=at(17)), "silent_past_cadence"
    )
    assert finding.severity == "warning"
    assert finding.due == at(19)


# ---------------------------------------------------------------------------
# proactive_contact: the principle of the preferred call
# ---------------------------------------------------------------------------

PROBLEMS: dict[str, tuple[list[Event], datetime]] = {
    "complaint": ([Complaint(id="p1", at=at(1), subject="late delivery")], at(1)),
    "overdue promise": ([Promise(id="p1", at=at(0.5), what="a quote", due=at(1))], at(1)),
    "renegotiated promise": (
        [
            Promise(id="p1", at=at(0.2), what="a quote", due=at(10)),
            PromiseRenegotiated(id="p2", at=at(1), promise_id="p1", new_due=at(12)),
        ],
        at(1),
    ),
    "adverse change": (
        [AdverseChange(id="p1", at=at(1), change="price_change", description="+5%")],
        at(1),
    ),
}


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_problem_handled_by_email_only_needs_a_call(problem: str) -> None:
    events, started = PROBLEMS[problem]
    ctx = context([call("c0", 0), *events, email("e1", 1.5), email("e2", 2)], as_of=at(3))
    finding = only(PROACTIVE_CONTACT, ctx, "problem_without_call")
    assert finding.severity == "violation"
    assert finding.action == "call"
    assert finding.due == started + timedelta(days=2)
    assert finding.evidence[0] == "p1"
    assert finding.params["written_contacts"] == ("e1", "e2")
    assert finding.values["written_contacts"] == 2


@pytest.mark.parametrize("channel", ["call", "meeting", "visit"])
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_a_call_meeting_or_visit_after_the_problem_is_enough(problem: str, channel: str) -> None:
    events, _ = PROBLEMS[problem]
    talk = Interaction(id="c1", at=at(2), channel=channel)
    ctx = context([call("c0", 0), *events, email("e1", 1.5), talk], as_of=at(3))
    assert "problem_without_call" not in codes(PROACTIVE_CONTACT, ctx)


def test_a_call_before_the_problem_does_not_count() -> None:
    events = [call("c0", 0.9), Complaint(id="k1", at=at(1), subject="late")]
    assert "problem_without_call" in codes(PROACTIVE_CONTACT, context(events, as_of=at(1.5)))


def test_a_problem_with_no_contact_at_all_needs_a_call_too() -> None:
    events = [call("c0", 0), Complaint(id="k1", at=at(1), subject="late")]
    finding = only(PROACTIVE_CONTACT, context(events, as_of=at(2)), "problem_without_call")
    assert finding.params["written_contacts"] == ()


def test_an_impersonal_call_does_not_count() -> None:
    events = [
        call("c0", 0),
        Complaint(id="k1", at=at(1), subject="late"),
        call("c1", 1.5, personal=False),
    ]
    assert "problem_without_call" in codes(PROACTIVE_CONTACT, context(events, as_of=at(2)))


def test_problems_that_are_over_need_no_call() -> None:
    resolved = [
        Complaint(id="k1", at=at(1), subject="late"),
        ComplaintStep(id="k2", at=at(1.5), complaint_id="k1", step="resolved"),
    ]
    kept = [
        Promise(id="p1", at=at(0.5), what="a quote", due=at(1)),
        PromiseKept(id="p2", at=at(1.5), promise_id="p1"),
    ]
    renegotiated_then_kept = [
        Promise(id="p1", at=at(0.5), what="a quote", due=at(1)),
        PromiseRenegotiated(id="p2", at=at(1), promise_id="p1", new_due=at(2)),
        PromiseKept(id="p3", at=at(1.5), promise_id="p1"),
    ]
    not_yet_due = [Promise(id="p1", at=at(0.5), what="a quote", due=at(5))]
    for events in (resolved, kept, renegotiated_then_kept, not_yet_due):
        ctx = context([call("c0", 0), *events], as_of=at(3))
        assert "problem_without_call" not in codes(PROACTIVE_CONTACT, ctx)


# ---------------------------------------------------------------------------
# communicate_future
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "severity"), [(47, None), (49, "warning"), (60, "warning"), (61, "violation")]
)
def test_future_talk_warns_then_violates(days: float, severity: str | None) -> None:
    # key: every 60 days, warning from day 48
    ctx = context([call("c1", 0, topics=("thanks", "future_plans"))], as_of=at(days))
    found = run(COMMUNICATE_FUTURE, ctx)
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].due == at(60)
        assert found[0].params["topics"] == ("thanks", "future_plans")
        assert found[0].action == "thank_and_discuss_future"


def test_future_talk_names_the_missing_topic_only() -> None:
    events = [call("c1", 0, topics=("thanks", "future_plans")), call("c2", 30, topics=("thanks",))]
    finding = only(COMMUNICATE_FUTURE, context(events, as_of=at(61)), "no_future_talk")
    assert finding.params["topics"] == ("future_plans",)
    assert finding.evidence == ("c1",)
    assert finding.params["last_thanks"] == at(30)


def test_future_talk_both_topics_late_is_one_finding_with_the_worst_severity() -> None:
    events = [call("c1", 0, topics=("thanks",)), call("c2", 10, topics=("future_plans",))]
    finding = only(COMMUNICATE_FUTURE, context(events, as_of=at(61)), "no_future_talk")
    assert finding.params["topics"] == ("thanks", "future_plans")
    assert finding.severity == "violation"
    assert finding.due == at(60)
    assert finding.evidence == ("c1", "c2")


def test_a_templated_thank_you_is_not_a_conversation() -> None:
    base = call("c1", 0, topics=("thanks", "future_plans"))
    mass = email("m1", 40, topics=("thanks", "future_plans"), personal=False)
    personal = email("m1", 40, topics=("thanks", "future_plans"))
    assert codes(COMMUNICATE_FUTURE, context([base, mass], as_of=at(61))) == ["no_future_talk"]
    assert codes(COMMUNICATE_FUTURE, context([base, personal], as_of=at(61))) == []


# ---------------------------------------------------------------------------
# joint_goals
# ---------------------------------------------------------------------------


def test_no_joint_goal_is_a_violation_due_two_weeks_after_the_account_is_known() -> None:
    finding = only(JOINT_GOALS, _no_joint_goal(True), "no_joint_goal")
    assert finding.severity == "violation"
    assert finding.due == at(0) + timedelta(days=14)  # the first event, c1
    assert finding.action == "agree_goals"


@pytest.mark.parametrize("later", [0, 10, 400])
def test_no_joint_goal_is_due_at_the_same_time_at_every_later_review(later: float) -> None:
    events = [call("c1", 30), call("c2", 60)]
    ctx = context(events, as_of=at(70 + later), client_since=date(2025, 1, 6))
    finding = only(JOINT_GOALS, ctx, "no_joint_goal")
    # client_since, from the start of that day, comes before the first event
    assert finding.due == datetime(2025, 1, 20, tzinfo=UTC)


def test_no_joint_goal_without_anything_dated_counts_from_the_review() -> None:
    finding = only(JOINT_GOALS, context(as_of=at(5)), "no_joint_goal")
    assert finding.due == at(5) + timedelta(days=14)


def test_joint_goals_are_for_key_accounts_only() -> None:
    goal = Goal(id="g1", at=at(0), title="grow")
    assert run(JOINT_GOALS, context([call("c1", 0)], as_of=at(5), key=False)) == []
    assert run(JOINT_GOALS, context([goal], as_of=at(500), key=False)) == []
    assert {"goal_without_client", "goal_progress_stale"} <= set(
        codes(JOINT_GOALS, context([goal], as_of=at(500)))
    )


def test_goal_participants_follow_the_setting() -> None:
    goal = Goal(id="g1", at=at(0), title="grow", client_participants=("ann", "bob", "ann"))
    three = ReviewSettings(goal_min_participants=3)
    two = ReviewSettings(goal_min_participants=2)
    finding = only(JOINT_GOALS, context([goal], as_of=at(5), settings=three), "goal_without_client")
    assert finding.severity == "warning"
    assert finding.values == {"client_participants": 2, "needed": 3}
    assert finding.evidence == ("g1",)
    assert codes(JOINT_GOALS, context([goal], as_of=at(5), settings=two)) == []


@pytest.mark.parametrize(
    ("days", "severity"), [(57, None), (59, "warning"), (70, "warning"), (70.01, "violation")]
)
def test_goal_progress_warns_then_violates(days: float, severity: str | None) -> None:
    # key: progress every 60 days; last progress on day 10, so due on day 70, warning from 58
    ctx = _goal_progress_stale(True)
    ctx = attrs.evolve(ctx, as_of=at(days))
    found = [f for f in run(JOINT_GOALS, ctx) if f.code == "goal_progress_stale"]
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].due == at(70)
        assert found[0].evidence == ("g1", "p1")
        assert found[0].values["progress"] == 0.5


def test_goal_without_progress_runs_from_the_goal() -> None:
    goal = Goal(id="g1", at=at(0), title="grow", client_participants=("ann",))
    finding = only(JOINT_GOALS, context([goal], as_of=at(61)), "goal_progress_stale")
    assert finding.due == at(60)
    assert finding.evidence == ("g1",)


def test_a_done_goal_needs_no_review() -> None:
    goal = Goal(id="g1", at=at(0), title="grow")
    done = GoalProgress(id="p1", at=at(10), goal_id="g1", progress=1.0)
    nearly = GoalProgress(id="p1", at=at(10), goal_id="g1", progress=0.99)
    assert run(JOINT_GOALS, context([goal, done], as_of=at(400))) == []
    assert set(codes(JOINT_GOALS, context([goal, nearly], as_of=at(400)))) == {
        "goal_without_client",
        "goal_progress_stale",
    }


def test_a_wait_on_the_goal_pauses_its_review_clock() -> None:
    goal = Goal(id="g1", at=at(0), title="grow", client_participants=("ann",))
    other = Goal(id="g2", at=at(0), title="save", client_participants=("ann",))
    wait = WaitStarted(id="w1", at=at(20), reason="client reorganising", about="g1")
    ctx = context([goal, other, wait], as_of=at(65))
    stale = [f for f in run(JOINT_GOALS, ctx) if f.code == "goal_progress_stale"]
    assert [f.evidence for f in stale] == [("g2",)]


# ---------------------------------------------------------------------------
# satisfaction
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "severity"), [(95, None), (97, "warning"), (120, "warning"), (121, "violation")]
)
def test_survey_overdue_warns_then_violates(days: float, severity: str | None) -> None:
    # key: a survey every 120 days, warning from day 96
    found = run(SATISFACTION, context([survey("s1", 0, 4.5)], as_of=at(days)))
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].due == at(120)
        assert found[0].action == "schedule_survey"
        assert found[0].evidence == ("s1",)


def test_satisfaction_drop_reports_before_and_after() -> None:
    events = [survey("s1", 0, 4.6), survey("s2", 20, 4.4), survey("s3", 30, 3.7)]
    finding = only(SATISFACTION, context(events, as_of=at(31)), "satisfaction_drop")
    assert finding.severity == "violation"
    assert finding.values["before"] == 4.5
    assert finding.values["after"] == 3.7
    assert finding.values["drop"] == 0.8
    assert finding.due == at(33)
    assert finding.evidence == ("s3", "s1", "s2")
    assert finding.action == "investigate_satisfaction"
    assert finding.params["fallen_scores"] == (
        "product_quality",
        "service_attitude",
        "resolution_efficiency",
    )


@pytest.mark.parametrize(("before", "after"), [(3.8, 3.1), (4.0, 3.3), (4.5, 3.8)])
def test_a_drop_exactly_at_the_threshold_counts(before: float, after: float) -> None:
    events = [survey("s1", 0, before), survey("s2", 30, after)]
    assert codes(SATISFACTION, context(events, as_of=at(31))) == ["satisfaction_drop"]


def test_satisfaction_compares_with_the_year_before_the_latest_survey_only() -> None:
    old = [survey("s1", 0, 5.0), survey("s2", 400, 3.5)]
    recent = [survey("s1", 100, 5.0), survey("s2", 400, 3.5)]
    assert codes(SATISFACTION, context(old, as_of=at(401))) == []
    assert codes(SATISFACTION, context(recent, as_of=at(401))) == ["satisfaction_drop"]


def test_surveys_with_only_an_nps_are_not_scored() -> None:
    nps = SurveyResponse(id="s2", at=at(30), nps=2)
    events = [survey("s1", 0, 4.5), nps]
    assert codes(SATISFACTION, context(events, as_of=at(31))) == []
    assert codes(SATISFACTION, context([*events, survey("s3", 31, 3.0)], as_of=at(31))) == [
        "satisfaction_drop"
    ]


def test_a_zero_threshold_reports_any_fall_but_not_a_steady_score() -> None:
    ctx = context([survey("s1", 0, 4.5), survey("s2", 30, 4.5)], as_of=at(31))
    ctx = attrs.evolve(ctx, standard=attrs.evolve(KEY_STANDARD, satisfaction_drop=0))
    assert codes(SATISFACTION, ctx) == []
    ctx = context([survey("s1", 0, 4.5), survey("s2", 30, 4.4)], as_of=at(31))
    ctx = attrs.evolve(ctx, standard=attrs.evolve(KEY_STANDARD, satisfaction_drop=0))
    assert codes(SATISFACTION, ctx) == ["satisfaction_drop"]


def test_satisfaction_drop_follows_the_tier_threshold() -> None:
    # regular tier: a drop of 1.0 or more
    events = [survey("s1", 0, 4.5), survey("s2", 30, 3.7)]
    assert codes(SATISFACTION, context(events, as_of=at(31), key=False)) == []
    events = [survey("s1", 0, 4.5), survey("s2", 30, 3.5)]
    assert codes(SATISFACTION, context(events, as_of=at(31), key=False)) == ["satisfaction_drop"]


# ---------------------------------------------------------------------------
# complaints
# ---------------------------------------------------------------------------


def step(event_id: str, hours: float, name: str, owner: str | None = None) -> ComplaintStep:
    return ComplaintStep(id=event_id, at=at(hours=hours), complaint_id="k1", step=name, owner=owner)


COMPLAINT = Complaint(id="k1", at=T0, subject="wrong invoice")


@pytest.mark.parametrize(
    ("hours", "severity"), [(6, None), (6.5, "warning"), (8, "warning"), (8.01, "violation")]
)
def test_complaint_acceptance_warns_then_violates(hours: float, severity: str | None) -> None:
    # key: accepted within 8 hours, warning from 6.4
    found = run(COMPLAINTS, context([COMPLAINT], as_of=at(hours=hours)))
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].due == at(hours=8)
        assert found[0].params["step"] == "accepted"
        assert found[0].params["previous_step"] is None
        assert found[0].evidence == ("k1",)
        assert found[0].action == "advance_complaint"


@pytest.mark.parametrize(
    ("reached", "next_step", "sla"),
    [
        ((("a", 2, "accepted"),), "investigating", 48),
        ((("a", 2, "accepted"), ("b", 10, "investigating")), "resolved", 120),
        (
            (("a", 2, "accepted"), ("b", 10, "investigating"), ("c", 50, "resolved")),
            "feedback_given",
            48,
        ),
        # a step recorded without the ones before it: the next one counts from it
        ((("c", 20, "resolved"),), "feedback_given", 48),
    ],
)
def test_each_step_is_due_after_the_previous_one(
    reached: tuple[tuple[str, float, str], ...], next_step: str, sla: float
) -> None:
    steps = [step(i, h, name, owner=f"owner-{name}") for i, h, name in reached]
    last = reached[-1][1]
    quiet = context([COMPLAINT, *steps], as_of=at(hours=last + sla * 0.7))
    assert run(COMPLAINTS, quiet) == []
    late = context([COMPLAINT, *steps], as_of=at(hours=last + sla + 1))
    finding = only(COMPLAINTS, late, "complaint_step_overdue")
    assert finding.severity == "violation"
    assert finding.due == at(hours=last + sla)
    assert finding.params["step"] == next_step
    assert finding.params["previous_step"] == reached[-1][2]
    assert finding.params["step_owner"] == f"owner-{reached[-1][2]}"
    assert finding.owner == "mgr"
    assert finding.values["sla_hours"] == sla


def test_a_complaint_with_feedback_given_is_done() -> None:
    steps = [step("a", 1, "accepted"), step("b", 2, "resolved"), step("c", 3, "feedback_given")]
    assert run(COMPLAINTS, context([COMPLAINT, *steps], as_of=at(400))) == []


def test_a_wait_on_the_complaint_pauses_its_clock() -> None:
    wait = [
        WaitStarted(id="w1", at=at(hours=1), reason="photos of the damage", about="k1"),
        WaitEnded(id="w2", at=at(hours=5), wait_id="w1"),
    ]
    assert codes(COMPLAINTS, context([COMPLAINT], as_of=at(hours=10))) == ["complaint_step_overdue"]
    assert run(COMPLAINTS, context([COMPLAINT, *wait], as_of=at(hours=10))) == []
    finding = only(
        COMPLAINTS, context([COMPLAINT, *wait], as_of=at(hours=11)), "complaint_step_overdue"
    )
    assert finding.severity == "warning"
    assert finding.due == at(hours=12)
    assert finding.values["hours_counted"] == 7.0


def test_an_open_wait_pauses_until_now_and_a_wait_on_something_else_does_not() -> None:
    open_wait = WaitStarted(id="w1", at=at(hours=1), reason="photos", about="k1")
    other = Request(id="r1", at=T0, subject="quote")
    elsewhere = WaitStarted(id="w1", at=at(hours=1), reason="specs", about="r1")
    assert run(COMPLAINTS, context([COMPLAINT, open_wait], as_of=at(200))) == []
    assert codes(COMPLAINTS, context([COMPLAINT, other, elsewhere], as_of=at(hours=10))) == [
        "complaint_step_overdue"
    ]


def test_complaint_slas_follow_the_tier() -> None:
    # regular: 24 hours to accept
    assert run(COMPLAINTS, context([COMPLAINT], as_of=at(hours=10), key=False)) == []
    assert codes(COMPLAINTS, context([COMPLAINT], as_of=at(hours=25), key=False)) == [
        "complaint_step_overdue"
    ]


def test_every_complaint_gets_its_own_clock() -> None:
    second = Complaint(id="k2", at=at(hours=5), subject="broken part")
    ctx = context([COMPLAINT, second, step("a", 1, "accepted")], as_of=at(hours=14))
    found = run(COMPLAINTS, ctx)
    assert [(f.evidence[0], f.params["step"]) for f in found] == [("k2", "accepted")]


# ---------------------------------------------------------------------------
# churn_warning
# ---------------------------------------------------------------------------

AS_OF = at(500)
HISTORY = purchases(range(50, 410, 30))  # monthly, in the year before the 90-day window
BUYING = purchases((420, 450, 480), prefix="r")  # same pace in the window


def churn_context(
    events: Iterable[Event] = (), transactions: Iterable[Transaction] = (), *, key: bool = True
) -> ReviewContext:
    return context(events, as_of=AS_OF, transactions=transactions, key=key)


def test_churn_signals_are_all_reported() -> None:
    risk, signals = churn_risk(churn_context([call("c1", 500)], HISTORY))
    assert tuple(signals) == CHURN_SIGNALS
    assert signals["purchase_frequency"] == 1.0
    assert signals["purchase_amount"] == 1.0
    assert signals["satisfaction"] is None
    assert signals["silence"] == 0.0
    assert signals["complaints"] == 0.0
    assert risk == pytest.approx((2 * 1 + 2 * 1 + 0 + 0) / 6)  # purchases weigh double


def test_missing_signals_are_left_out_not_counted_as_zero_or_one() -> None:
    # Stopped buying, everything else fine; no surveys at all.
    risk, _ = churn_risk(churn_context([call("c1", 500)], HISTORY))
    assert risk == pytest.approx((2 * 1 + 2 * 1 + 0 + 0) / 6)
    # No purchase history: only the timeline signals count.
    risk, signals = churn_risk(churn_context([call("c1", 472)]))
    assert signals["purchase_frequency"] is None
    assert signals["purchase_amount"] is None
    assert risk == pytest.approx((28 / 28 + 0) / 2)


def test_nothing_known_is_no_risk_and_no_alert() -> None:
    risk, signals = churn_risk(churn_context())
    assert risk is None
    assert set(signals.values()) == {None}
    assert run(CHURN_WARNING, churn_context()) == []


CHURN_BASE: list[Event] = [call("c1", 493), survey("s1", 300, 4.5), survey("s2", 480, 4.4)]
CHURN_SALES = HISTORY + purchases((420, 450), prefix="r")
WORSE: dict[str, tuple[list[Event], list[Transaction]]] = {
    "an open complaint": (
        [*CHURN_BASE, Complaint(id="k1", at=at(450), subject="late")],
        CHURN_SALES,
    ),
    "silence": ([call("c1", 480), *CHURN_BASE[1:]], CHURN_SALES),
    "falling satisfaction": ([*CHURN_BASE[:2], survey("s2", 480, 3.6)], CHURN_SALES),
    "fewer purchases": (CHURN_BASE, HISTORY + purchases((420,), prefix="r")),
    "smaller purchases": (CHURN_BASE, HISTORY + purchases((420, 450), prefix="r", amount="40")),
}


@pytest.mark.parametrize("worse", sorted(WORSE))
def test_risk_rises_when_a_signal_worsens(worse: str) -> None:
    before, _ = churn_risk(churn_context(CHURN_BASE, CHURN_SALES))
    after, _ = churn_risk(churn_context(*WORSE[worse]))
    assert before is not None
    assert after is not None
    assert after > before


def test_risk_rises_with_each_open_complaint() -> None:
    complaints = [Complaint(id=f"k{n}", at=at(450 + n), subject="late") for n in range(3)]
    risks = [
        churn_risk(churn_context([*CHURN_BASE, *complaints[:n]], CHURN_SALES))[0] for n in range(4)
    ]
    assert risks == sorted(set(risks))  # strictly rising
    resolved = ComplaintStep(id="k0r", at=at(470), complaint_id="k0", step="resolved")
    assert (
        churn_risk(churn_context([*CHURN_BASE, complaints[0], resolved], CHURN_SALES))[0]
        == risks[0]
    )


def test_churn_silence_without_contact_runs_from_when_the_account_is_known() -> None:
    _, signals = churn_risk(churn_context([Complaint(id="k1", at=at(486), subject="late")]))
    assert signals["silence"] == pytest.approx(0.5)


def test_churn_silence_is_capped_and_complaints_saturate() -> None:
    complaints = [Complaint(id=f"k{n}", at=at(100 + n), subject="late") for n in range(3)]
    _, signals = churn_risk(churn_context([call("c1", 0), *complaints]))
    assert signals["silence"] == 1.0
    assert signals["complaints"] == pytest.approx(0.75)


def test_churn_amount_is_compared_per_currency_never_added() -> None:
    euros = purchases((60, 150, 240, 330), amount="1000", prefix="e")
    dollars = purchases((70, 160, 250, 340), amount="10", currency="USD", prefix="d")
    recent = purchases((450,), amount="1000", prefix="r")
    _, signals = churn_risk(churn_context([call("c1", 500)], euros + dollars + recent))
    # EUR: 1000 in the window against 4000 a year (986 per 90 days): no drop.
    # USD: nothing against 40 a year: a full drop. Equal purchase counts: half.
    # Adding the currencies would have shown no drop at all.
    assert signals["purchase_amount"] == pytest.approx(0.5)


def test_refunds_lower_the_amount_but_are_not_purchases() -> None:
    two = purchases((420, 450), prefix="r")
    recent_refund = purchases((480,), amount="-100", prefix="x")
    old_refund = purchases((200,), amount="-100", prefix="y")
    _, plain = churn_risk(churn_context([call("c1", 500)], HISTORY + two))
    _, refunded = churn_risk(churn_context([call("c1", 500)], HISTORY + two + recent_refund))
    _, old = churn_risk(churn_context([call("c1", 500)], HISTORY + two + old_refund))
    assert plain["purchase_frequency"] == pytest.approx(1 - 2 / (12 * 90 / 365))
    assert refunded["purchase_frequency"] == plain["purchase_frequency"]
    assert old["purchase_frequency"] == plain["purchase_frequency"]
    assert refunded["purchase_amount"] > plain["purchase_amount"]  # type: ignore[operator]
    assert old["purchase_amount"] < plain["purchase_amount"]  # type: ignore[operator]


def test_churn_satisfaction_signal_scales_with_the_tier_threshold() -> None:
    # the key threshold is 0.7: a fall of 0.35 is half the signal, 0.7 or more all of it
    events = [call("c1", 500), survey("s1", 300, 4.5), survey("s2", 480, 4.15)]
    _, signals = churn_risk(churn_context(events))
    assert signals["satisfaction"] == pytest.approx(0.5)
    events = [call("c1", 500), survey("s1", 300, 4.5), survey("s2", 480, 3.0)]
    _, signals = churn_risk(churn_context(events))
    assert signals["satisfaction"] == 1.0
    rising = [call("c1", 500), survey("s1", 300, 3.8), survey("s2", 480, 4.5)]
    _, signals = churn_risk(churn_context(rising))
    assert signals["satisfaction"] == 0.0


def test_churn_risk_at_the_alert_score_is_a_violation() -> None:
    finding = only(CHURN_WARNING, churn_context([call("c1", 500)], HISTORY), "churn_risk")
    assert finding.severity == "violation"
    assert finding.values["risk"] == pytest.approx(4 / 6, abs=1e-3)
    assert finding.values["satisfaction"] is None
    assert set(CHURN_SIGNALS) <= set(finding.values)
    assert finding.params["top_signals"] == ("purchase_frequency", "purchase_amount")
    # The risk reached the alert score on day 440, when the purchase of day 350 left
    # the 90-day window (0.35 before, 0.71 after); due three days later.
    assert alert_since(churn_context([call("c1", 500)], HISTORY)) == at(440)
    assert finding.due == at(443)
    assert finding.action == "retention_plan"
    assert finding.evidence == (HISTORY[-1].id,)


@pytest.mark.parametrize("as_of", [at(500), at(520), at(560)])
def test_churn_alert_is_due_at_the_same_time_at_every_later_review(as_of: datetime) -> None:
    ctx = context([call("c1", 500)], as_of=as_of, transactions=HISTORY)
    assert only(CHURN_WARNING, ctx, "churn_risk").due == at(443)


def test_churn_alert_from_silence_is_due_after_the_moment_it_crossed() -> None:
    # Silence and no open complaint: the risk is silence / 2, so it reaches the
    # alert score (0.5) when the silence reaches twice the cadence: 28 days after c1.
    for later in (29, 40, 90):
        ctx = context([call("c1", 0)], as_of=at(later))
        assert alert_since(ctx) == at(28)
        assert only(CHURN_WARNING, ctx, "churn_risk").due == at(31)


def test_churn_alert_counts_from_the_current_run_of_high_risk() -> None:
    # A call on day 35 ends the first run (risk 0.5 from day 28); the next one starts on day 63.
    ctx = context([call("c1", 0), call("c2", 35)], as_of=at(70))
    assert alert_since(ctx) == at(63)
    assert only(CHURN_WARNING, ctx, "churn_risk").due == at(66)


@st.composite
def churning_accounts(draw: st.DrawFn) -> tuple[list[Event], list[Transaction], datetime]:
    """Calls, complaints and purchases over about a year and a half, and a review moment."""
    days = st.floats(min_value=0, max_value=500, allow_nan=False).map(lambda d: round(d, 2))
    calls = [call(f"c{n}", d) for n, d in enumerate(draw(st.lists(days, max_size=4)))]
    complaints = [
        Complaint(id=f"k{n}", at=at(d), subject="late")
        for n, d in enumerate(draw(st.lists(days, max_size=2)))
    ]
    bought = purchases(draw(st.lists(days, max_size=12)))
    return [*calls, *complaints], bought, at(draw(st.integers(min_value=1, max_value=600)))


@settings(max_examples=40, deadline=None)
@given(churning_accounts(), st.floats(min_value=0, max_value=1))
def test_every_review_within_a_run_of_high_risk_dates_it_alike(
    account: tuple[list[Event], list[Transaction], datetime], share: float
) -> None:
    events, transactions, as_of = account
    since = alert_since(context(events, as_of=as_of, transactions=transactions))
    assert since <= as_of
    # Any earlier review inside the same run finds the same start, and so the same due time.
    inside = since + timedelta(seconds=round((as_of - since).total_seconds() * share))
    assert alert_since(context(events, as_of=inside, transactions=transactions)) == since


def test_alert_since_is_the_review_itself_below_the_alert_score() -> None:
    ctx = context([call("c1", 0)], as_of=at(10))
    assert run(CHURN_WARNING, ctx) == []
    assert alert_since(ctx) == at(10)


def test_churn_alert_follows_the_tier_score() -> None:
    context = churn_context([call("c1", 500)], HISTORY, key=False)  # risk 4/6
    strict = attrs.evolve(context.standard, churn_alert_score=0.7)
    lenient = attrs.evolve(context.standard, churn_alert_score=0.6)
    assert run(CHURN_WARNING, attrs.evolve(context, standard=strict)) == []
    assert run(CHURN_WARNING, attrs.evolve(context, standard=lenient)) != []


def test_churn_risk_from_0_8_is_critical() -> None:
    events = [
        call("c1", 400),
        survey("s1", 300, 4.5),
        survey("s2", 480, 3.0),
        *(Complaint(id=f"k{n}", at=at(450 + n), subject="late") for n in range(3)),
    ]
    finding = only(CHURN_WARNING, churn_context(events, HISTORY), "churn_risk")
    assert finding.severity == "critical"
    assert finding.values["risk"] == pytest.approx((2 + 2 + 1 + 1 + 0.75) / 7, abs=1e-3)
    assert finding.params["top_signals"] == (
        "purchase_frequency",
        "purchase_amount",
        "satisfaction",
    )
    assert set(finding.evidence) == {"k0", "k1", "k2", "c1", "s2", HISTORY[-1].id}


def test_churn_window_is_a_setting() -> None:
    # With a 15-day window the purchases of days 420-480 are all before it.
    ctx = attrs.evolve(
        churn_context([call("c1", 500)], HISTORY + BUYING),
        settings=ReviewSettings(churn_window_days=15),
    )
    _, signals = churn_risk(ctx)
    assert signals["purchase_frequency"] == 1.0


# ---------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "severity"), [(5.5, None), (5.7, "warning"), (7, "warning"), (7.01, "violation")]
)
def test_reporting_warns_then_violates(days: float, severity: str | None) -> None:
    # key: a report every 7 days, warning from day 5.6
    ctx = context([call("c1", 0)], as_of=at(days), report_times=(at(-3), at(0)))
    found = run(REPORTING, ctx)
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].due == at(7)
        assert found[0].params["last_report"] == at(0)
        assert found[0].action == "report_to_department_head"


def test_reporting_is_for_key_accounts_only() -> None:
    assert run(REPORTING, context([call("c1", 0)], as_of=at(100), key=False)) == []


def test_reports_after_the_review_moment_do_not_count() -> None:
    ctx = context([call("c1", 0)], as_of=at(10), report_times=(at(0), at(11)))
    assert codes(REPORTING, ctx) == ["not_reported"]


def test_review_passes_the_reports_covering_the_account() -> None:
    client = ClientFile(account=account(), timeline=Timeline((call("c1", 0),)))
    other = ClientFile(
        account=Account(id="OTHER", name="Other", owner="mgr", facts=KEY_FACTS),
        timeline=Timeline((call("o1", 0),)),
    )
    reports = [Report(id="rep1", at=at(8), to="head", account_ids=("OTHER",))]
    portfolio = Portfolio(files=[client, other], reports=reports)
    agenda = review(portfolio, at(10), principles=[REPORTING])
    assert [(f.account_id, f.code) for f in agenda.findings] == [("ACME", "not_reported")]
    covered = Portfolio(
        files=[client, other],
        reports=[Report(id="rep1", at=at(8), to="head", account_ids=("OTHER", "ACME"))],
    )
    assert review(covered, at(10), principles=[REPORTING]).findings == ()


def test_all_principles_through_review() -> None:
    client = ClientFile(
        account=account(),
        transactions=HISTORY,
        timeline=Timeline(
            (
                call("c1", 0),
                Complaint(id="k1", at=at(450), subject="late"),
                email("e1", 451),
            )
        ),
    )
    agenda = review(Portfolio(files=[client]), AS_OF, principles=PRINCIPLES)
    assert {f.code for f in agenda.findings} == set(CASES) - {
        "goal_without_client",
        "goal_progress_stale",
        "satisfaction_drop",
    }


def test_a_currency_switch_with_a_rate_is_not_an_amount_drop() -> None:
    # Bulgaria: BGN before the switch, the same value in EUR after it.
    before = purchases(range(50, 410, 30), amount="195.583", currency="BGN")
    after = purchases((420, 450, 480), amount="100", currency="EUR", prefix="r")
    context = churn_context([call("c1", 500)], before + after)
    with_rates = attrs.evolve(context, currency=CurrencyTable("EUR", {"BGN": Decimal("1.95583")}))
    assert churn_risk(with_rates)[1]["purchase_amount"] == pytest.approx(0.0)
    # Without rates the currencies stay apart, and the BGN purchases look stopped.
    assert churn_risk(context)[1]["purchase_amount"] == pytest.approx(1.0)
