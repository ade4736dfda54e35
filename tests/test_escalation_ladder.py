"""``escalate()``: where every open finding of an agenda stands on the escalation ladder."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore.escalation import (
    BusinessCalendar,
    CalendarSettings,
    Delay,
    Escalation,
    EscalationPolicy,
    Holder,
    Level,
    escalate,
    load_policy,
    opened_at,
    parse_policy,
)
from kamcore.model import (
    Account,
    ClientFile,
    Interaction,
    Portfolio,
    Request,
    StaffMember,
    Timeline,
)
from kamcore.review import SEVERITIES, Agenda, Finding, review
from kamcore.review.principles.churn import CHURN_WARNING
from kamcore.review.principles.goals import JOINT_GOALS
from kamcore.review.principles.profile import KNOW_THE_CLIENT
from principle_support import KEY_FACTS

POLICY = parse_policy(
    {
        "escalation": {
            "levels": [
                {"name": "owner"},
                {"name": "head", "role": "department_head"},
                {"name": "sponsor", "staff": "eve"},
            ],
            "delays": {
                "violation": {"business_days": 2},
                "warning": {"business_days": 3, "up_to": "head"},
            },
        }
    }
)
WEEKDAYS = BusinessCalendar()  # UTC, Monday to Friday, 09:00-17:00
STAFF = (
    StaffMember(id="anna", name="Anna Petrova"),
    StaffMember(id="hana", name="Hana Head", role="department_head"),
    StaffMember(id="hugo", name="Hugo Head", role="department_head"),
    StaffMember(id="eve", name="Eve Exec", role="executive"),
)


def at(day: int, hour: int = 9) -> datetime:
    """A moment in March 2026, UTC (Monday 2nd, Monday 9th, Monday 16th…)."""
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def portfolio(*requests: Request, staff: tuple[StaffMember, ...] = STAFF) -> Portfolio:
    account = ClientFile(
        account=Account(id="K-1", name="Client", owner="anna"), timeline=Timeline(requests)
    )
    return Portfolio(files=[account], staff=staff)


def finding(
    *evidence: str,
    due: datetime | None = None,
    severity: str = "violation",
    code: str = "request_unanswered",
) -> Finding:
    return Finding(
        account_id="K-1",
        owner="anna",
        principle="responsiveness",
        code=code,
        severity=severity,
        evidence=evidence,
        action="answer_request",
        due=due,
    )


REQUESTS = (
    Request(id="R-1", at=at(2), subject="Price"),
    Request(id="R-2", at=at(4, 12), subject="Terms"),
)


def test_an_open_finding_climbs_one_level_per_delay_and_says_who_holds_it() -> None:
    overdue = finding("R-1", due=at(3))  # Tuesday
    agenda = Agenda(as_of=at(6, 12), findings=(overdue,))
    (escalation,) = escalate(agenda, POLICY, WEEKDAYS, portfolio=portfolio(*REQUESTS))
    assert escalation.finding == overdue
    assert (escalation.level, escalation.level_name) == (1, "head")
    assert escalation.staff == ("hana", "hugo")  # everyone with the role, in id order
    assert escalation.since == at(5)  # Tuesday + 2 business days
    assert escalation.escalated
    assert [(s.level, s.name, s.staff, s.since, s.until) for s in escalation.stays] == [
        (0, "owner", ("anna",), at(2), at(5)),  # open since its evidence, R-1
        (1, "head", ("hana", "hugo"), at(5), None),
    ]
    assert [s.duration for s in escalation.stays] == [timedelta(days=3), timedelta(days=1, hours=3)]
    assert escalation.next is not None
    assert (escalation.next.level, escalation.next.name, escalation.next.at) == (
        2,
        "sponsor",
        at(9),  # Thursday + 2 business days, over the weekend
    )
    assert (escalation.next.holder, escalation.next.staff) == (Holder("staff", "eve"), ("eve",))


def test_at_the_top_there_is_no_next_level() -> None:
    warning = finding("R-1", due=at(3), severity="warning")  # climbs up to the head only
    agenda = Agenda(as_of=at(30), findings=(warning,))
    (escalation,) = escalate(agenda, POLICY, WEEKDAYS, portfolio=portfolio(*REQUESTS))
    assert escalation.level_name == "head"
    assert escalation.next is None


def test_a_finding_that_never_escalates_stays_with_its_owner() -> None:
    note = finding("R-1", due=at(3), severity="info")
    agenda = Agenda(as_of=at(30), findings=(note,))
    (escalation,) = escalate(agenda, POLICY, WEEKDAYS, portfolio=portfolio(*REQUESTS))
    assert (escalation.level, escalation.staff, escalation.next) == (0, ("anna",), None)
    assert not escalation.escalated
    assert escalation.stays[0].duration == at(30) - at(2)


def test_a_role_no_one_has_is_held_by_no_one() -> None:
    agenda = Agenda(as_of=at(6, 12), findings=(finding("R-1", due=at(3)),))
    (escalation,) = escalate(agenda, POLICY, WEEKDAYS, portfolio=portfolio(*REQUESTS, staff=()))
    assert (escalation.level_name, escalation.staff) == ("head", ())
    assert escalation.current.holder == Holder("role", "department_head")


def test_only_open_findings_escalate() -> None:
    open_, snoozed, acknowledged = (
        finding("R-1", due=at(3)),
        finding("R-2", due=at(3)),
        finding(due=at(3), code="promise_overdue"),
    )
    agenda = Agenda(
        as_of=at(16), findings=(open_,), snoozed=(snoozed,), acknowledged=(acknowledged,)
    )
    escalations = escalate(agenda, POLICY, WEEKDAYS, portfolio=portfolio(*REQUESTS))
    assert [e.finding for e in escalations] == [open_]


def test_escalations_follow_the_agenda_order_and_each_is_independent() -> None:
    first, second = finding("R-1", due=at(3)), finding("R-2", due=at(5))
    files = portfolio(*REQUESTS)
    both = escalate(
        Agenda(as_of=at(16), findings=(first, second)), POLICY, WEEKDAYS, portfolio=files
    )
    alone = escalate(Agenda(as_of=at(16), findings=(second,)), POLICY, WEEKDAYS, portfolio=files)
    assert [e.finding for e in both] == [first, second]
    assert both[1:] == alone


def test_opened_at_is_the_latest_evidence_else_the_passed_due_time_else_as_of() -> None:
    client = portfolio(*REQUESTS).files["K-1"]
    assert opened_at(finding("R-1", "R-2", due=at(3)), client, at(16)) == at(4, 12)
    # Evidence recorded after as_of is not known yet.
    assert opened_at(finding("R-1", "R-2"), client, at(3)) == at(2)
    assert opened_at(finding(due=at(3)), client, at(16)) == at(3)
    assert opened_at(finding(due=at(20)), client, at(16)) == at(16)
    assert opened_at(finding("R-1"), None, at(16)) == at(16)


def test_the_policy_calendar_is_used_with_its_holidays_for_the_years_involved() -> None:
    # Wednesday 4 March is closed: the climb from Monday 2nd moves to Thursday 5th.
    closed = EscalationPolicy(
        levels=POLICY.levels,
        by_severity=POLICY.by_severity,
        calendar=CalendarSettings(closed_days=frozenset({date(2026, 3, 4)})),
    )
    agenda = Agenda(as_of=at(16), findings=(finding("R-1", due=at(2)),))
    (escalation,) = escalate(agenda, closed, portfolio=portfolio(*REQUESTS))
    assert escalation.stays[1].since == at(5)


@pytest.mark.skipif(
    importlib.util.find_spec("holidays") is None,
    reason="the optional 'holidays' package (kamcore[holidays]) is not installed",
)
def test_public_holidays_of_the_policy_country_delay_the_climb() -> None:
    bulgaria = parse_policy(
        {
            "escalation": {
                "levels": [{"name": "owner"}, {"name": "head", "role": "department_head"}],
                "delays": {"violation": {"business_days": 1}},
            },
            "calendar": {"time_zone": "Europe/Sofia", "holidays": {"country": "BG"}},
        }
    )
    # Monday 2 March 2026, 10:00 in Sofia; Tuesday 3 March is Liberation Day.
    due = datetime(2026, 3, 2, 8, tzinfo=UTC)
    agenda = Agenda(as_of=at(16), findings=(finding(due=due),))
    (escalation,) = escalate(agenda, bulgaria, portfolio=portfolio())
    assert escalation.since == datetime(2026, 3, 4, 8, tzinfo=UTC)


def test_the_default_policy_is_used_when_none_is_given() -> None:
    agenda = Agenda(as_of=at(16), findings=(finding("R-1", due=at(3)),))
    files = portfolio(*REQUESTS)
    assert escalate(agenda, portfolio=files) == escalate(agenda, load_policy(), portfolio=files)


def test_as_dict_is_json_ready() -> None:
    agenda = Agenda(as_of=at(6, 12), findings=(finding("R-1", due=at(3)),))
    (escalation,) = escalate(agenda, POLICY, WEEKDAYS, portfolio=portfolio(*REQUESTS))
    values = escalation.as_dict()
    assert values["finding"] == escalation.finding.key
    assert (values["level"], values["name"], values["holder"]) == (
        1,
        "head",
        "role:department_head",
    )
    assert values["next"]["at"] == at(9).isoformat()
    assert [stay["seconds"] for stay in values["history"]] == [3 * 86400, 86400 + 3 * 3600]


# Properties ---------------------------------------------------------------------------------

BASE = datetime(2026, 1, 5, tzinfo=UTC)
minutes = st.integers(min_value=0, max_value=120 * 24 * 60)
ladder_delays = st.one_of(
    st.builds(Delay, st.integers(1, 5), st.just("business_days")),
    st.builds(Delay, st.sampled_from([0.5, 1, 4, 8, 20]), st.just("business_hours")),
)


@st.composite
def policies(draw: st.DrawFn) -> EscalationPolicy:
    """Ladders of 2-5 levels, each severity with its own delay or none."""
    size = draw(st.integers(2, 5))
    levels = [
        Level("owner"),
        *(Level(f"L{i}", Holder("role", "executive")) for i in range(1, size)),
    ]
    delays = draw(st.dictionaries(st.sampled_from(SEVERITIES), ladder_delays))
    return EscalationPolicy(levels=tuple(levels), by_severity=delays)


calendars = st.builds(
    BusinessCalendar,
    time_zone=st.sampled_from(["Europe/Sofia", "America/New_York", "Asia/Shanghai", "UTC"]),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    closed_days=st.frozensets(
        st.integers(0, 150).map(lambda n: BASE.date() + timedelta(days=n)), max_size=20
    ),
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Portfolio, tuple[Finding, ...], list[datetime]]:
    """A portfolio with a few requests, open findings on them, and review moments after
    all of their evidence (a finding's evidence is known when it is found)."""
    moments = sorted(draw(st.lists(minutes, min_size=1, max_size=6, unique=True)))
    requests = tuple(
        Request(id=f"R-{i}", at=BASE + timedelta(minutes=m), subject="ask")
        for i, m in enumerate(moments)
    )
    findings = []
    for index in range(draw(st.integers(1, 4))):
        evidence = draw(st.lists(st.sampled_from([r.id for r in requests]), unique=True))
        due = draw(st.none() | minutes.map(lambda m: BASE + timedelta(minutes=m)))
        findings.append(
            Finding(
                account_id="K-1",
                owner="anna",
                principle="responsiveness",
                code=f"code_{index}",
                severity=draw(st.sampled_from(SEVERITIES)),
                evidence=tuple(evidence),
                action="answer_request",
                due=due,
            )
        )
    start = requests[-1].at
    offsets = draw(st.lists(st.integers(0, 90 * 24 * 60), min_size=1, max_size=6))
    as_ofs = sorted(start + timedelta(minutes=m) for m in offsets)
    return portfolio(*requests), tuple(findings), as_ofs


def check_ladder(escalation: Escalation, policy: EscalationPolicy) -> None:
    """One escalation is well formed: levels from 0 without a gap, each stay ending when
    the next begins, the time adding up, the next level one above."""
    stays = escalation.stays
    assert [stay.level for stay in stays] == list(range(len(stays)))
    assert [stay.name for stay in stays] == [level.name for level in policy.levels[: len(stays)]]
    assert all(a.until == b.since for a, b in pairwise(stays))
    assert stays[-1].until is None
    assert all(stay.duration >= timedelta(0) for stay in stays)
    assert sum((stay.duration for stay in stays), timedelta(0)) == escalation.as_of - stays[0].since
    assert escalation.since <= escalation.as_of
    if escalation.next is not None:
        assert escalation.next.level == escalation.level + 1
        assert escalation.next.at > escalation.as_of


@settings(max_examples=150, deadline=None)
@given(scenarios(), policies(), calendars)
def test_levels_only_rise_one_at_a_time_while_a_finding_stays_open(
    scenario: tuple[Portfolio, tuple[Finding, ...], list[datetime]],
    policy: EscalationPolicy,
    calendar: BusinessCalendar,
) -> None:
    files, findings, as_ofs = scenario
    seen: dict[str, list[Escalation]] = {f.key: [] for f in findings}
    for as_of in as_ofs:
        agenda = Agenda(as_of=as_of, findings=findings)
        escalations = escalate(agenda, policy, calendar, portfolio=files)
        assert escalations == escalate(agenda, policy, calendar, portfolio=files)  # deterministic
        assert [e.finding for e in escalations] == list(findings)
        for escalation in escalations:
            check_ladder(escalation, policy)
            seen[escalation.finding.key].append(escalation)
    for history in seen.values():
        levels = [escalation.level for escalation in history]
        assert levels == sorted(levels)  # monotonic in time, never falling
        for earlier, later in pairwise(history):
            finding = earlier.finding
            if finding.evidence or (finding.due is not None and finding.due <= earlier.as_of):
                # Once a finding's start is on record, what it went through stays as it was.
                assert [s.since for s in later.stays[: len(earlier.stays)]] == [
                    s.since for s in earlier.stays
                ]


@settings(max_examples=100, deadline=None)
@given(scenarios(), policies(), calendars, st.data())
def test_a_resolved_finding_does_not_escalate(
    scenario: tuple[Portfolio, tuple[Finding, ...], list[datetime]],
    policy: EscalationPolicy,
    calendar: BusinessCalendar,
    data: st.DataObject,
) -> None:
    files, findings, as_ofs = scenario
    resolved = data.draw(st.sampled_from(findings))
    still_open = tuple(f for f in findings if f is not resolved)
    as_of = as_ofs[-1]
    before = escalate(Agenda(as_of=as_of, findings=findings), policy, calendar, portfolio=files)
    after = escalate(Agenda(as_of=as_of, findings=still_open), policy, calendar, portfolio=files)
    assert resolved.key not in {e.finding.key for e in after}
    assert after == tuple(e for e in before if e.finding is not resolved)


def test_findings_due_from_the_accounts_data_climb_the_ladder_at_later_reviews() -> None:
    # A key account known since one call on Monday 2 March, never called again,
    # with no goal and an empty client file: its churn alert, missing goal and
    # incomplete profile are due a fixed time after its data, not after each review,
    # so as the reviews go on they climb instead of staying with the owner.
    account = Account(id="K-1", name="Client", owner="anna", facts=KEY_FACTS)
    call = Interaction(id="C-1", at=at(2), channel="call")
    files = Portfolio(files=[ClientFile(account=account, timeline=Timeline((call,)))], staff=STAFF)
    principles = (CHURN_WARNING, JOINT_GOALS, KNOW_THE_CLIENT)
    codes = ("churn_risk", "no_joint_goal", "profile_incomplete")
    reviews = (at(5), datetime(2026, 4, 1, 9, tzinfo=UTC), datetime(2026, 4, 10, 9, tzinfo=UTC))
    seen: dict[str, list[tuple[datetime | None, int]]] = {code: [] for code in codes}
    for as_of in reviews:
        agenda = review(files, as_of, principles=principles)
        for escalation in escalate(agenda, POLICY, WEEKDAYS, portfolio=files):
            if escalation.finding.code in seen:
                seen[escalation.finding.code].append((escalation.finding.due, escalation.level))
    assert seen == {
        # the silence reaches twice the 14-day cadence on 30 March: due 3 days later
        "churn_risk": [(at(30) + timedelta(days=3), 0), (at(30) + timedelta(days=3), 2)],
        "no_joint_goal": [(at(16), 0), (at(16), 2), (at(16), 2)],
        "profile_incomplete": [(at(9), 0), (at(9), 2), (at(9), 2)],
    }
