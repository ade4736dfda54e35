"""Escalation: business calendar arithmetic, policies read from TOML, histories."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore.errors import KamcoreError, RuleSetError
from kamcore.escalation import (
    DEFAULT_POLICY,
    BusinessCalendar,
    CalendarError,
    CalendarSettings,
    Delay,
    EscalationPolicy,
    Holder,
    Level,
    MissingExtraError,
    escalation_history,
    holidays_for,
    load_policy,
    parse_policy,
    read_policy,
)
from kamcore.review import SEVERITIES, Finding

SOFIA = ZoneInfo("Europe/Sofia")
LONDON = ZoneInfo("Europe/London")

# 2026: the EU clocks go forward on Sunday 29 March and back on Sunday 25 October.
SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)
EVERY_DAY = frozenset(range(7))


def at(zone: ZoneInfo, *parts: int) -> datetime:
    """The local moment YEAR, MONTH, DAY[, HOUR[, MINUTE]] in *zone*."""
    year, month, day, *rest = parts
    hour, minute = (*rest, 0, 0)[:2]
    return datetime(year, month, day, hour, minute, tzinfo=zone)


# Calendar: days ---------------------------------------------------------------------------


def test_weekends_holidays_and_closed_days_are_not_worked() -> None:
    calendar = BusinessCalendar(
        time_zone="Europe/Sofia",
        holidays=frozenset({date(2026, 3, 3)}),
        closed_days=frozenset({date(2026, 3, 4)}),
    )
    assert calendar.is_working_day(date(2026, 3, 2))  # Monday
    assert not calendar.is_working_day(date(2026, 3, 3))  # Liberation Day
    assert not calendar.is_working_day(date(2026, 3, 4))  # company closed
    assert not calendar.is_working_day(date(2026, 3, 7))  # Saturday
    assert not calendar.is_working_day(date(2026, 3, 8))  # Sunday
    # A datetime counts by its local date: 23:30 UTC on Monday is Tuesday in Sofia.
    assert not calendar.is_working_day(datetime(2026, 3, 2, 23, 30, tzinfo=UTC))


def test_add_business_days_skips_weekends_holidays_and_closed_days() -> None:
    calendar = BusinessCalendar(
        time_zone="Europe/Sofia",
        holidays=frozenset({date(2026, 3, 3)}),
        closed_days=frozenset({date(2026, 3, 4)}),
    )
    friday = at(SOFIA, 2026, 2, 27, 15, 30)
    assert calendar.add_business_days(friday, 1) == at(SOFIA, 2026, 3, 2, 15, 30)
    assert calendar.add_business_days(friday, 2) == at(SOFIA, 2026, 3, 5, 15, 30)
    assert calendar.add_business_days(friday, -1) == at(SOFIA, 2026, 2, 26, 15, 30)
    # A Saturday is rolled forward to Monday first.
    assert calendar.add_business_days(at(SOFIA, 2026, 2, 28, 8), 0) == at(SOFIA, 2026, 3, 2, 8)
    assert calendar.add_business_days(at(SOFIA, 2026, 2, 28, 8), 1) == at(SOFIA, 2026, 3, 5, 8)


def test_business_days_between_counts_start_not_end() -> None:
    calendar = BusinessCalendar(holidays=frozenset({date(2026, 3, 3)}))
    monday, next_monday = date(2026, 3, 2), date(2026, 3, 9)
    assert calendar.business_days_between(monday, next_monday) == 4
    assert calendar.business_days_between(next_monday, monday) == -4
    assert calendar.business_days_between(monday, monday) == 0
    assert calendar.business_days_between(date(2026, 3, 7), date(2026, 3, 9)) == 0


@pytest.mark.parametrize(
    ("zone", "wall"),
    [(SOFIA, time(10, 0)), (LONDON, time(10, 0)), (SOFIA, time(23, 30)), (LONDON, time(0, 30))],
)
def test_add_business_days_keeps_the_wall_clock_across_dst(zone: ZoneInfo, wall: time) -> None:
    calendar = BusinessCalendar(time_zone=str(zone))
    for friday in (date(2026, 3, 27), date(2026, 10, 23)):
        start = datetime.combine(friday, wall, tzinfo=zone)
        later = calendar.add_business_days(start, 1)
        assert later.date() == friday + timedelta(days=3)
        assert later.time() == wall
        assert later.utcoffset() != start.utcoffset()  # the clocks changed on Sunday


def test_a_wall_clock_time_missing_on_the_new_day_moves_on_by_the_gap() -> None:
    calendar = BusinessCalendar(time_zone="Europe/Sofia", weekdays=EVERY_DAY)
    # 03:30 does not exist in Sofia on 29 March 2026 (03:00 → 04:00).
    landed = calendar.add_business_days(at(SOFIA, 2026, 3, 28, 3, 30), 1)
    assert landed == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert (landed.date(), landed.time()) == (SPRING, time(4, 30))


# Calendar: hours --------------------------------------------------------------------------


def test_add_business_hours_within_a_day_and_across_nights_and_weekends() -> None:
    calendar = BusinessCalendar(time_zone="Europe/London")
    monday = at(LONDON, 2026, 3, 2, 10)
    assert calendar.add_business_hours(monday, 3) == at(LONDON, 2026, 3, 2, 13)
    assert calendar.add_business_hours(monday, 7) == at(LONDON, 2026, 3, 2, 17)
    assert calendar.add_business_hours(monday, 8) == at(LONDON, 2026, 3, 3, 10)
    assert calendar.add_business_hours(at(LONDON, 2026, 3, 6, 16), 2) == at(LONDON, 2026, 3, 9, 10)
    # Before opening and after closing count from the next opening.
    assert calendar.add_business_hours(at(LONDON, 2026, 3, 2, 6), 1) == at(LONDON, 2026, 3, 2, 10)
    assert calendar.add_business_hours(at(LONDON, 2026, 3, 2, 20), 1.5) == at(
        LONDON, 2026, 3, 3, 10, 30
    )
    assert calendar.add_business_hours(monday, 0) == monday


def test_add_business_hours_skips_holidays_and_closed_days() -> None:
    calendar = BusinessCalendar(
        time_zone="Europe/Sofia",
        holidays=frozenset({date(2026, 3, 3)}),
        closed_days=frozenset({date(2026, 3, 4)}),
    )
    start = at(SOFIA, 2026, 3, 2, 16)
    assert calendar.add_business_hours(start, 2) == at(SOFIA, 2026, 3, 5, 10)


def test_add_business_hours_across_the_weekend_of_a_clock_change() -> None:
    calendar = BusinessCalendar(time_zone="Europe/Sofia")
    friday = at(SOFIA, 2026, 3, 27, 16)
    monday = calendar.add_business_hours(friday, 2)
    assert monday == at(SOFIA, 2026, 3, 30, 10)
    assert monday.utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        # Open 00:00-06:00 local on the Sunday of the change: 5 real hours in
        # spring (one hour skipped), 7 in autumn (one hour repeated).
        ("Europe/Sofia", SPRING, 5),
        ("Europe/Sofia", AUTUMN, 7),
        ("Europe/London", SPRING, 5),
        ("Europe/London", AUTUMN, 7),
    ],
)
def test_working_hours_on_a_clock_change_day_have_their_real_length(
    zone: str, day: date, hours: int
) -> None:
    calendar = BusinessCalendar(time_zone=zone, weekdays=EVERY_DAY, opens=time(0), closes=time(6))
    opening = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    assert calendar.add_business_hours(opening, hours) == datetime.combine(
        day, time(6), tzinfo=ZoneInfo(zone)
    )
    # One more hour spills into the next day.
    assert calendar.add_business_hours(opening, hours + 1) == datetime.combine(
        day + timedelta(days=1), time(1), tzinfo=ZoneInfo(zone)
    )


@pytest.mark.parametrize(
    "settings_",
    [
        {"time_zone": "Mars/Olympus"},
        {"weekdays": frozenset()},
        {"weekdays": frozenset({7})},
        {"opens": time(17), "closes": time(9)},
    ],
)
def test_calendar_refuses_bad_settings(settings_: dict[str, Any]) -> None:
    with pytest.raises(CalendarError):
        BusinessCalendar(**settings_)


def test_calendar_refuses_naive_moments_and_negative_hours() -> None:
    calendar = BusinessCalendar()
    with pytest.raises(CalendarError, match="aware"):
        calendar.add_business_days(datetime(2026, 3, 2, 10), 1)  # noqa: DTZ001
    with pytest.raises(CalendarError, match="hours"):
        calendar.add_business_hours(at(SOFIA, 2026, 3, 2, 10), -1)


# Calendar: public holidays from the optional package ----------------------------------------


@pytest.mark.skipif(
    importlib.util.find_spec("holidays") is None,
    reason="the optional 'holidays' package (kamcore[holidays]) is not installed",
)
def test_holidays_for_reads_the_holidays_package() -> None:
    bulgaria = holidays_for("BG", years=2026)
    assert {date(2026, 3, 3), date(2026, 12, 25)} <= bulgaria
    calendar = BusinessCalendar(time_zone="Europe/Sofia", holidays=bulgaria)
    assert calendar.add_business_days(at(SOFIA, 2026, 3, 2, 9), 1) == at(SOFIA, 2026, 3, 4, 9)
    with pytest.raises(CalendarError, match="XX"):
        holidays_for("XX", years=2026)


def test_holidays_for_names_the_extra_when_the_package_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "holidays", None)  # makes the import fail
    with pytest.raises(MissingExtraError, match=r"kamcore\[holidays\]") as raised:
        holidays_for("BG", years=2026)
    assert isinstance(raised.value, KamcoreError)


# Calendar: properties against a day-by-day count -------------------------------------------

BASE = date(2025, 1, 1)
days_in_range = st.integers(min_value=0, max_value=3 * 366).map(lambda n: BASE + timedelta(n))
calendars = st.builds(
    BusinessCalendar,
    time_zone=st.sampled_from(["Europe/Sofia", "Europe/London", "UTC", "America/New_York"]),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    holidays=st.frozensets(days_in_range, max_size=40),
    closed_days=st.frozensets(days_in_range, max_size=5),
)


def brute_count(calendar: BusinessCalendar, start: date, end: date) -> int:
    sign, (low, high) = (1, (start, end)) if start <= end else (-1, (end, start))
    days = (low + timedelta(n) for n in range((high - low).days))
    return sign * sum(1 for day in days if brute_working(calendar, day))


def brute_working(calendar: BusinessCalendar, day: date) -> bool:
    return (
        day.weekday() in calendar.weekdays
        and day not in calendar.holidays
        and day not in calendar.closed_days
    )


def brute_add(calendar: BusinessCalendar, day: date, n: int) -> date:
    while not brute_working(calendar, day):
        day += timedelta(1)
    step = timedelta(1) if n >= 0 else timedelta(-1)
    left = abs(n)
    while left:
        day += step
        left -= brute_working(calendar, day)
    return day


@settings(max_examples=300, deadline=None)
@given(calendars, days_in_range, days_in_range)
def test_business_days_between_agrees_with_a_day_by_day_count(
    calendar: BusinessCalendar, start: date, end: date
) -> None:
    assert calendar.business_days_between(start, end) == brute_count(calendar, start, end)


@settings(max_examples=300, deadline=None)
@given(
    calendars,
    days_in_range,
    st.integers(-120, 120),
    st.times(min_value=time(5), max_value=time(22)),
)
def test_add_business_days_agrees_with_a_day_by_day_walk(
    calendar: BusinessCalendar, start: date, n: int, wall: time
) -> None:
    moment = datetime.combine(start, wall, tzinfo=calendar.zone)
    landed = calendar.add_business_days(moment, n)
    assert landed.date() == brute_add(calendar, start, n)
    assert landed.time() == wall  # 05:00-22:00 exists on every day in these zones
    assert calendar.is_working_day(landed)
    assert calendar.business_days_between(start, landed.date()) == n


# Policy -----------------------------------------------------------------------------------

GOOD_POLICY: dict[str, Any] = {
    "escalation": {
        "levels": [
            {"name": "owner"},
            {"name": "head", "role": "department_head"},
            {"name": "sponsor", "staff": "S-CEO"},
        ],
        "delays": {
            "violation": {"business_days": 2},
            "critical": {"business_hours": 4},
            "warning": {"business_days": 3, "up_to": "head"},
            "codes": {"request_unanswered": {"business_hours": 8}},
        },
    }
}


def finding(
    severity: str = "violation",
    code: str = "silent_past_cadence",
    due: datetime | None = None,
    principle: str = "relationship",
) -> Finding:
    return Finding(
        account_id="KA-1",
        owner="S-AM",
        principle=principle,
        code=code,
        severity=severity,
        action="call",
        due=due,
    )


def test_the_default_policy_reads() -> None:
    policy = read_policy(DEFAULT_POLICY)
    assert [level.name for level in policy.levels] == [
        "account_manager",
        "department_head",
        "executive_sponsor",
    ]
    assert load_policy() == policy
    assert policy.delay_for(finding("info")) is None


def test_policy_reads_levels_holders_and_delays() -> None:
    policy = parse_policy(GOOD_POLICY, source="company.toml")
    assert policy.name == "company"
    assert policy.levels[1] == Level("head", Holder("role", "department_head"))
    assert policy.levels[2].holder == Holder("staff", "S-CEO")
    assert policy.holder(0, finding()) == Holder("staff", "S-AM")
    assert policy.delay_for(finding("critical")) == Delay(4.0, "business_hours")
    assert policy.delay_for(finding(code="request_unanswered")) == Delay(8.0, "business_hours")
    assert policy.delay_for(finding("info")) is None
    warning = policy.delay_for(finding("warning"))
    assert warning is not None
    assert policy.top_for(warning) == 1


def test_code_delays_can_name_the_principle() -> None:
    document = {
        "escalation": {
            "levels": GOOD_POLICY["escalation"]["levels"],
            "delays": {"codes": {"responsiveness.request_unanswered": {"business_days": 1}}},
        }
    }
    policy = parse_policy(document)
    assert policy.delay_for(finding(code="request_unanswered", principle="responsiveness"))
    assert policy.delay_for(finding(code="request_unanswered", principle="other")) is None


def problems_of(document: Any) -> list[str]:
    with pytest.raises(RuleSetError) as raised:
        parse_policy(document, source="bad.toml")
    return [str(problem) for problem in raised.value.problems]


def test_policy_errors_are_all_listed_and_located() -> None:
    document = {
        "escalation": {
            "levels": [
                {"name": "owner", "role": "account_manager"},
                {"name": "head", "role": "boss"},
                {"name": "sponsor"},
                {"name": "head", "staff": "S-2"},
            ],
            "delays": {
                "violation": {"business_days": -2},
                "critical": {"business_hours": 0},
                "urgent": {"business_days": 1},
                "warning": {"business_days": 1, "up_to": "board"},
                "codes": {"churn_risk": {"business_days": 1, "business_hours": 2}},
            },
        }
    }
    problems = problems_of(document)
    assert problems == [
        "escalation.levels[0] (name=owner).role: level 0 is held by the account's owner",
        "escalation.levels[1] (name=head).role: 'boss' is not a role; use one of "
        "account_manager, billing, delivery, department_head, executive, other, support",
        "escalation.levels[2] (name=sponsor): give who holds the level: "
        "either role = … or staff = …",
        "escalation.levels[3] (name=head).name: duplicate level name 'head'",
        "escalation.delays.violation.business_days: a delay must be greater than zero, got -2",
        "escalation.delays.critical.business_hours: a delay must be greater than zero, got 0.0",
        "escalation.delays.urgent: unknown severity 'urgent'; use one of "
        "info, warning, violation, critical (or codes for finding codes)",
        "escalation.delays.warning.up_to: unknown level 'board'; use one of owner, head, sponsor",
        "escalation.delays.codes.churn_risk: give exactly one of "
        "business_days = … or business_hours = …",
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({}, "escalation: missing; add an [escalation] table"),
        ({"escalation": []}, "escalation: expected a table"),
        ({"escalation": {"delays": {}}}, "escalation.levels: missing"),
        ({"escalation": {"levels": [{"name": "owner"}]}}, "at least two levels"),
        ({"escalation": {"levels": "owner"}}, "escalation.levels: expected a list"),
        (
            {"escalation": {"levels": [{"name": "a"}, {"role": "executive"}]}},
            "escalation.levels[1].name: missing",
        ),
        (
            {"escalation": {"levels": GOOD_POLICY["escalation"]["levels"], "ladder": 1}},
            "escalation.ladder: unknown key",
        ),
        (
            {
                "escalation": {
                    "levels": GOOD_POLICY["escalation"]["levels"],
                    "delays": {"info": {"business_days": "soon"}},
                }
            },
            "escalation.delays.info.business_days: expected a whole number",
        ),
    ],
)
def test_policy_refuses_incomplete_documents(document: Any, expected: str) -> None:
    assert any(expected in problem for problem in problems_of(document))


def test_read_policy_refuses_bad_toml(tmp_path: Any) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[escalation\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="not valid TOML"):
        read_policy(path)


# History ----------------------------------------------------------------------------------

POLICY = parse_policy(GOOD_POLICY)
WEEKDAYS = BusinessCalendar(time_zone="Europe/Sofia")


def test_a_violation_climbs_one_level_per_delay_from_its_due_time() -> None:
    due = at(SOFIA, 2026, 3, 2, 10)  # Monday
    history = escalation_history(
        finding(due=due), POLICY, WEEKDAYS, as_of=at(SOFIA, 2026, 3, 5, 12), opened_at=due
    )
    assert [(s.level, s.name, s.reached_at) for s in history.schedule] == [
        (0, "owner", due),
        (1, "head", at(SOFIA, 2026, 3, 4, 10)),
        (2, "sponsor", at(SOFIA, 2026, 3, 6, 10)),
    ]
    assert [s.level for s in history.steps] == [0, 1]
    current = history.current()
    assert current is not None
    assert current.holder == Holder("role", "department_head")
    assert history.next_escalation() == (at(SOFIA, 2026, 3, 6, 10), Holder("staff", "S-CEO"))
    assert history.next_escalation(at(SOFIA, 2026, 3, 6, 10)) is None
    assert history.current(at(SOFIA, 2026, 3, 1)) is None


def test_a_warning_stops_at_its_up_to_level() -> None:
    due = at(SOFIA, 2026, 3, 2, 10)
    history = escalation_history(
        finding("warning", due=due), POLICY, WEEKDAYS, as_of=at(SOFIA, 2027, 1, 1), opened_at=due
    )
    assert [s.level for s in history.steps] == [0, 1]


def test_findings_without_a_delay_stay_with_the_owner() -> None:
    due = at(SOFIA, 2026, 3, 2, 10)
    history = escalation_history(
        finding("info", due=due), POLICY, WEEKDAYS, as_of=at(SOFIA, 2027, 1, 1), opened_at=due
    )
    assert [s.level for s in history.steps] == [0]
    assert history.next_escalation() is None


def test_a_breach_found_late_catches_up_at_opening() -> None:
    due = at(SOFIA, 2026, 3, 2, 10)
    opened = at(SOFIA, 2026, 3, 5, 9)
    history = escalation_history(finding(due=due), POLICY, WEEKDAYS, opened, opened_at=opened)
    assert [(s.level, s.reached_at) for s in history.schedule] == [
        (0, opened),
        (1, opened),  # due Monday + 2 business days = Wednesday, before it was opened
        (2, at(SOFIA, 2026, 3, 6, 10)),
    ]


def test_nothing_climbs_at_or_after_resolution() -> None:
    due = at(SOFIA, 2026, 3, 2, 10)
    resolved = at(SOFIA, 2026, 3, 4, 10)  # exactly when it would reach level 1
    history = escalation_history(
        finding(due=due),
        POLICY,
        WEEKDAYS,
        as_of=at(SOFIA, 2027, 1, 1),
        opened_at=due,
        resolved_at=resolved,
    )
    assert [s.level for s in history.schedule] == [0]
    assert history.next_escalation(due) is None


def test_history_refuses_naive_moments() -> None:
    with pytest.raises(CalendarError, match="opened_at"):
        escalation_history(
            finding(),
            POLICY,
            WEEKDAYS,
            as_of=at(SOFIA, 2026, 3, 2),
            opened_at=datetime(2026, 3, 2),  # noqa: DTZ001
        )


moments = st.integers(min_value=0, max_value=400 * 24 * 60).map(
    lambda minutes: datetime(2025, 6, 1, tzinfo=UTC) + timedelta(minutes=minutes)
)
delays = st.one_of(
    st.builds(Delay, st.integers(1, 10), st.just("business_days")),
    st.builds(
        Delay, st.floats(0.25, 40, allow_nan=False, allow_infinity=False), st.just("business_hours")
    ),
)


def ladder(n: int, delay: Delay) -> EscalationPolicy:
    """A policy with *n* levels and the same delay for every severity."""
    levels = [Level("owner"), *(Level(f"L{i}", Holder("role", "executive")) for i in range(1, n))]
    by_severity: dict[str, Delay] = dict.fromkeys(SEVERITIES, delay)
    return EscalationPolicy(levels=tuple(levels), by_severity=by_severity)


policies = st.builds(ladder, st.integers(2, 6), delays)


@settings(max_examples=200, deadline=None)
@given(
    calendars,
    policies,
    moments,
    st.integers(-10 * 24 * 60, 10 * 24 * 60),
    st.lists(moments, min_size=1, max_size=20),
)
def test_levels_rise_one_at_a_time_and_never_fall(
    calendar: BusinessCalendar,
    policy: EscalationPolicy,
    due: datetime,
    opened_offset: int,
    probes: list[datetime],
) -> None:
    opened = due + timedelta(minutes=opened_offset)
    history = escalation_history(
        finding(due=due), policy, calendar, as_of=max(probes), opened_at=opened
    )
    levels = [step.level for step in history.schedule]
    assert levels == list(range(len(levels)))
    assert len(levels) == len(policy.levels)  # an unresolved finding reaches the top
    times = [step.reached_at for step in history.schedule]
    assert times == sorted(times)
    assert times[0] == opened
    seen = [history.current(t) for t in sorted(probes)]
    reached = [-1 if step is None else step.level for step in seen]
    assert reached == sorted(reached)


@settings(max_examples=200, deadline=None)
@given(calendars, policies, moments, moments)
def test_nothing_climbs_after_resolution(
    calendar: BusinessCalendar, policy: EscalationPolicy, due: datetime, resolved: datetime
) -> None:
    open_forever = escalation_history(finding(due=due), policy, calendar, due, opened_at=due)
    history = escalation_history(
        finding(due=due), policy, calendar, due, opened_at=due, resolved_at=resolved
    )
    assert all(step.reached_at < resolved for step in history.schedule[1:])
    assert history.schedule == tuple(
        step for step in open_forever.schedule if step.level == 0 or step.reached_at < resolved
    )
    assert history.next_escalation(resolved) is None


# Calendar: business hours against a quarter-hour walk ---------------------------------------

QUARTER = timedelta(minutes=15)
quarter_hours = st.integers(5 * 4, 23 * 4 - 1).map(lambda q: time(q // 4, q % 4 * 15))
hour_calendars = st.builds(
    BusinessCalendar,
    time_zone=st.sampled_from(["Europe/Sofia", "Europe/London", "America/New_York"]),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    holidays=st.frozensets(days_in_range, max_size=40),
    closed_days=st.frozensets(days_in_range, max_size=5),
).flatmap(
    lambda calendar: (
        st.tuples(quarter_hours, quarter_hours)
        .filter(lambda pair: pair[0] < pair[1])
        .map(lambda pair: attrs.evolve(calendar, opens=pair[0], closes=pair[1]))
    )
)
# Quarter-hour instants over 2025-2027, across every clock change of those years.
quarter_instants = st.integers(0, 3 * 365 * 24 * 4).map(
    lambda n: datetime(2025, 1, 1, tzinfo=UTC) + n * QUARTER
)


def brute_add_hours(calendar: BusinessCalendar, start: datetime, hours: float) -> datetime:
    """Walk real time a quarter hour at a time, counting the quarters that start inside
    the working hours of a working day, as the local clock shows them."""
    left = round(hours * 4)
    moment = start.astimezone(UTC)
    while True:
        local = moment.astimezone(calendar.zone)
        working = (
            calendar.is_working_day(local.date())
            and calendar.opens <= local.time() < calendar.closes
        )
        if working and left == 0:
            return moment
        if working:
            left -= 1
            if left == 0:
                return moment + QUARTER
        moment += QUARTER


@settings(max_examples=200, deadline=None)
@given(hour_calendars, quarter_instants, st.integers(1, 4 * 30).map(lambda q: q / 4))
def test_add_business_hours_agrees_with_a_quarter_hour_walk(
    calendar: BusinessCalendar, start: datetime, hours: float
) -> None:
    # Opening and closing between 05:00 and 23:00 exist on every day in these zones,
    # so the walk and the calendar agree on what a working day's hours are.
    assert calendar.add_business_hours(start, hours) == brute_add_hours(calendar, start, hours)


# Policy: the [calendar] table ---------------------------------------------------------------

CALENDAR_TOML = """\
[escalation]
levels = [{ name = "owner" }, { name = "head", role = "department_head" }]

[calendar]
time_zone = "Europe/Sofia"
working_days = ["Mon", "tue", "WED", "thu", "sun"]
opens = 08:30:00
closes = 17:30:00
closed_days = [2026-12-24, 2026-12-31]
"""


def test_policy_reads_the_calendar_table(tmp_path: Any) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(CALENDAR_TOML, encoding="utf-8")
    calendar = read_policy(path).calendar
    assert calendar == CalendarSettings(
        time_zone="Europe/Sofia",
        weekdays=frozenset({0, 1, 2, 3, 6}),
        opens=time(8, 30),
        closes=time(17, 30),
        closed_days=frozenset({date(2026, 12, 24), date(2026, 12, 31)}),
    )
    business = calendar.business_calendar([2026])
    assert business.holidays == frozenset()
    assert not business.is_working_day(date(2026, 12, 24))
    assert business.is_working_day(date(2026, 12, 27))  # a Sunday, worked


def test_policy_reads_the_calendar_from_json_text() -> None:
    document = {
        "escalation": GOOD_POLICY["escalation"],
        "calendar": {"opens": "07:00", "closes": "15:00", "closed_days": ["2026-05-06"]},
    }
    calendar = parse_policy(document).calendar
    assert (calendar.opens, calendar.closes) == (time(7), time(15))
    assert calendar.closed_days == frozenset({date(2026, 5, 6)})


def test_without_a_calendar_table_it_is_utc_monday_to_friday() -> None:
    calendar = parse_policy(GOOD_POLICY).calendar
    assert calendar == CalendarSettings()
    assert (calendar.time_zone, calendar.weekdays) == ("UTC", frozenset(range(5)))
    assert (calendar.opens, calendar.closes, calendar.country) == (time(9), time(17), None)


def calendar_problems(calendar: Any) -> list[str]:
    return problems_of({"escalation": GOOD_POLICY["escalation"], "calendar": calendar})


def test_calendar_errors_are_all_listed_and_located() -> None:
    problems = calendar_problems(
        {
            "time_zone": "",
            "working_days": ["mon", "funday", 3],
            "opens": "nine",
            "closes": 17,
            "closed_days": ["2026-13-01", "2026-12-24"],
            "holidays": {"region": "BY"},
            "weekend": ["sat"],
        }
    )
    assert problems == [
        "calendar.weekend: unknown key; expected one of closed_days, closes, holidays, "
        "opens, time_zone, working_days",
        "calendar.time_zone: must not be blank",
        "calendar.working_days[1]: 'funday' is not a day; use one of "
        "mon, tue, wed, thu, fri, sat, sun",
        "calendar.working_days[2]: 3 is not a day; use one of mon, tue, wed, thu, fri, sat, sun",
        "calendar.opens: 'nine' is not a time of day such as 09:00",
        "calendar.closes: expected a time of day such as 09:00",
        "calendar.closed_days[0]: '2026-13-01' is not an ISO 8601 date (YYYY-MM-DD)",
        "calendar.holidays.region: unknown key; expected one of country, subdivision",
        "calendar.holidays.country: missing; give an ISO 3166-1 code (BG)",
    ]


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        ([], "calendar: expected a table"),
        ({"time_zone": "Mars/Olympus"}, "calendar: time_zone: 'Mars/Olympus' is not an IANA"),
        ({"opens": "18:00"}, "calendar: closes (17:00:00) must be after opens (18:00:00)"),
        ({"working_days": []}, "calendar.working_days: expected a list of day names"),
        ({"closed_days": "2026-12-24"}, "calendar.closed_days: expected a list of dates"),
        ({"opens": "09:00+02:00"}, "calendar.opens: give a wall-clock time without an offset"),
    ],
)
def test_calendar_refuses_bad_values(calendar: Any, expected: str) -> None:
    assert any(problem.startswith(expected) for problem in calendar_problems(calendar))


@pytest.mark.skipif(
    importlib.util.find_spec("holidays") is None,
    reason="the optional 'holidays' package (kamcore[holidays]) is not installed",
)
def test_calendar_holidays_come_from_the_country_and_region() -> None:
    settings_ = parse_policy(
        {
            "escalation": GOOD_POLICY["escalation"],
            "calendar": {"holidays": {"country": "DE", "subdivision": "BY"}},
        }
    ).calendar
    assert (settings_.country, settings_.subdivision) == ("DE", "BY")
    calendar = settings_.business_calendar([2026, 2027])
    assert date(2026, 1, 6) in calendar.holidays  # Epiphany: Bavaria, not all of Germany
    assert date(2027, 12, 25) in calendar.holidays
    assert date(2026, 1, 6) not in holidays_for("DE", years=2026)
    problems = calendar_problems({"holidays": {"country": "XX"}})
    assert problems == ["calendar.holidays: no public holidays known for 'XX'"]
    problems = calendar_problems({"holidays": {"country": "DE", "subdivision": "ZZ"}})
    assert problems == ["calendar.holidays: no public holidays known for 'DE-ZZ'"]


def test_calendar_holidays_name_the_extra_when_the_package_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "holidays", None)
    problems = calendar_problems({"holidays": {"country": "BG"}})
    assert len(problems) == 1
    assert problems[0].startswith("calendar.holidays: ")
    assert "pip install 'kamcore[holidays]'" in problems[0]
    settings_ = CalendarSettings(country="BG")  # built by hand, past the reader's check
    with pytest.raises(MissingExtraError):
        settings_.business_calendar([2026])
    assert settings_.business_calendar([]).holidays == frozenset()
