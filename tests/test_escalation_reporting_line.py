"""Reporting lines: a level held by a role goes to the nearest holder up the owner's line.

``StaffMember.reports_to`` names whom a person reports to. A level held by a
role is held, for a finding, by the nearest person with the role up its owner's
reporting line, and by everyone with the role when that line names no one; a
portfolio without reporting lines escalates as it did before they existed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import pairwise

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore import InvalidValueError, PortfolioFormatError
from kamcore.escalation import (
    BusinessCalendar,
    Escalation,
    EscalationPolicy,
    Holder,
    escalate,
    escalation_notices,
    escalator,
    parse_policy,
)
from kamcore.escalation.policy import ReportingLines
from kamcore.fileformat import decode_portfolio, dumps_portfolio, encode_portfolio
from kamcore.model import Account, ClientFile, Portfolio, StaffMember
from kamcore.review import Agenda, Finding

WEEKDAYS = BusinessCalendar()  # UTC, Monday to Friday, 09:00-17:00
HEAD = Holder("role", "department_head")
EXECUTIVE = Holder("role", "executive")
LADDER = parse_policy(
    {
        "escalation": {
            "levels": [
                {"name": "owner"},
                {"name": "head", "role": "department_head"},
                {"name": "sponsor", "role": "executive"},
            ],
            "delays": {"violation": {"business_days": 2}},
        }
    }
)
NAMED_SPONSOR = parse_policy(
    {
        "escalation": {
            "levels": [
                {"name": "owner"},
                {"name": "head", "role": "department_head"},
                {"name": "sponsor", "staff": "zoe"},
            ],
            "delays": {"violation": {"business_days": 2}},
        }
    }
)
# Two departments under one executive, and the lines that name no one of a role.
STAFF = (
    StaffMember(id="ivanova", name="Maria Ivanova", reports_to="collins"),
    StaffMember(id="petrov", name="Ivan Petrov", reports_to="dimitrov"),
    StaffMember(id="collins", name="Ann Collins", role="department_head", reports_to="chen"),
    StaffMember(id="dimitrov", name="Georgi Dimitrov", role="department_head", reports_to="chen"),
    StaffMember(id="chen", name="Chen Wei", role="executive"),
    StaffMember(id="zoe", name="Zoe Adams", role="executive"),
    # Reports to a colleague who reports to no one: no head on the line.
    StaffMember(id="sokolova", name="Olga Sokolova", reports_to="mentor"),
    StaffMember(id="mentor", name="Mark Mentor"),
    # Reports straight to an executive: the line skips the heads.
    StaffMember(id="novak", name="Eva Novak", reports_to="zoe"),
    # Reports to no one.
    StaffMember(id="loner", name="Lone Ranger"),
)
HEADS = ("collins", "dimitrov")
EXECUTIVES = ("chen", "zoe")


def at(day: int, hour: int = 9) -> datetime:
    """A moment in March 2026, UTC (Monday 2nd, Monday 9th, Monday 16th…)."""
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def finding(owner: str, account_id: str | None = None) -> Finding:
    return Finding(
        account_id=account_id or f"K-{owner}",
        owner=owner,
        principle="responsiveness",
        code="request_unanswered",
        severity="violation",
        evidence=(),
        action="answer_request",
        due=at(2),
    )


def climbed(owners: list[str], policy: EscalationPolicy = LADDER) -> dict[str, Escalation]:
    """Each owner's finding, open since Monday 2nd, at Monday 16th: two levels up."""
    findings = tuple(finding(owner) for owner in owners)
    agenda = Agenda(as_of=at(16), findings=findings)
    escalations = escalate(
        agenda, policy, WEEKDAYS, opened={f.key: at(2) for f in findings}, staff=STAFF
    )
    return {e.finding.owner: e for e in escalations}


def held(escalation: Escalation) -> list[tuple[str, tuple[str, ...]]]:
    return [(stay.name, stay.staff) for stay in escalation.stays]


# Who holds a level --------------------------------------------------------------------


def test_each_head_gets_only_the_findings_of_their_own_managers() -> None:
    escalations = climbed(["ivanova", "petrov"])
    assert held(escalations["ivanova"]) == [
        ("owner", ("ivanova",)),
        ("head", ("collins",)),
        ("sponsor", ("chen",)),
    ]
    assert held(escalations["petrov"]) == [
        ("owner", ("petrov",)),
        ("head", ("dimitrov",)),
        ("sponsor", ("chen",)),
    ]


def test_a_line_without_a_head_goes_to_every_head() -> None:
    escalations = climbed(["sokolova", "loner", "ghost"])  # ghost is on no staff list
    for owner in ("sokolova", "loner", "ghost"):
        assert held(escalations[owner])[1:] == [("head", HEADS), ("sponsor", EXECUTIVES)]


def test_a_line_that_skips_a_role_finds_the_next_one_above_and_all_of_the_skipped() -> None:
    (escalation,) = climbed(["novak"]).values()
    assert held(escalation)[1:] == [("head", HEADS), ("sponsor", ("zoe",))]


def test_a_level_held_by_a_named_staff_member_stays_that_member() -> None:
    escalations = climbed(["ivanova", "petrov", "loner"], policy=NAMED_SPONSOR)
    assert [held(e)[2] for e in escalations.values()] == [("sponsor", ("zoe",))] * 3
    assert held(escalations["ivanova"])[1] == ("head", ("collins",))
    assert Holder("staff", "zoe").staff_ids(STAFF, owner="ivanova") == ("zoe",)


def test_the_next_level_is_named_on_the_owners_line_too() -> None:
    agenda = Agenda(as_of=at(3, 12), findings=(finding("petrov"),))
    (escalation,) = escalate(
        agenda, LADDER, WEEKDAYS, opened={agenda.findings[0].key: at(2)}, staff=STAFF
    )
    assert escalation.next is not None
    assert (escalation.level, escalation.next.name, escalation.next.staff) == (
        0,
        "head",
        ("dimitrov",),
    )


def test_an_owner_with_the_role_is_not_their_own_holder() -> None:
    # The line starts above the owner: a head's own finding climbs past them.
    assert HEAD.staff_ids(STAFF, owner="collins") == HEADS  # no head above Collins
    assert EXECUTIVE.staff_ids(STAFF, owner="collins") == ("chen",)


def test_staff_ids_without_an_owner_are_everyone_with_the_role() -> None:
    assert HEAD.staff_ids(STAFF) == HEADS
    assert HEAD.staff_ids(ReportingLines.of(STAFF)) == HEADS
    assert Holder("role", "billing").staff_ids(STAFF, owner="ivanova") == ()


def test_a_staff_list_given_on_its_own_may_loop_and_the_line_still_ends() -> None:
    # escalate(opened=…, staff=…) takes staff no Portfolio checked.
    looping = (
        StaffMember(id="a", name="A", reports_to="b"),
        StaffMember(id="b", name="B", reports_to="a"),
        StaffMember(id="h", name="H", role="department_head"),
    )
    assert [m.id for m in ReportingLines.of(looping).above("a")] == ["b"]
    assert HEAD.staff_ids(looping, owner="a") == ("h",)


def test_the_escalator_caches_per_holder_and_owner() -> None:
    findings = (finding("ivanova", "K-1"), finding("petrov", "K-2"), finding("ivanova", "K-3"))
    agenda = Agenda(as_of=at(16), findings=findings)
    each = escalator(agenda, LADDER, WEEKDAYS, opened={f.key: at(2) for f in findings}, staff=STAFF)
    heads = [each.escalation(f).stays[1].staff for f in findings]
    assert heads == [("collins",), ("dimitrov",), ("collins",)]


def test_notices_go_to_the_owners_own_head_only() -> None:
    files = [
        ClientFile(account=Account(id=f"K-{owner}", name=f"Client of {owner}", owner=owner))
        for owner in ("ivanova", "petrov")
    ]
    portfolio = Portfolio(files=files, staff=STAFF)
    findings = tuple(finding(owner) for owner in ("ivanova", "petrov"))
    agenda = Agenda(as_of=at(16), findings=findings)
    escalations = escalate(agenda, LADDER, WEEKDAYS, portfolio=portfolio)
    notices = escalation_notices(escalations, portfolio)
    assert [(n.account_id, n.level, n.recipient) for n in notices] == [
        ("K-ivanova", 1, "collins"),
        ("K-ivanova", 2, "chen"),
        ("K-petrov", 1, "dimitrov"),
        ("K-petrov", 2, "chen"),
    ]


# The portfolio refuses broken lines ----------------------------------------------------


def refusal(staff: list[StaffMember]) -> InvalidValueError:
    with pytest.raises(InvalidValueError) as caught:
        Portfolio(staff=staff)
    return caught.value


def test_a_reports_to_that_names_no_staff_member_is_refused_naming_the_record() -> None:
    error = refusal([*STAFF, StaffMember(id="x", name="X", reports_to="nobody")])
    assert (error.field, error.record_id) == (f"staff[{len(STAFF)}].reports_to", "x")
    assert error.reason == "no staff member with id 'nobody'"
    assert f"staff[{len(STAFF)}].reports_to (id=x)" in str(error)


def test_a_reporting_line_that_loops_is_refused_naming_its_first_record() -> None:
    error = refusal(
        [
            StaffMember(id="top", name="Top", role="executive"),
            StaffMember(id="c", name="C", reports_to="a"),  # runs into the loop
            StaffMember(id="a", name="A", reports_to="b"),
            StaffMember(id="b", name="B", reports_to="a"),
        ]
    )
    assert (error.field, error.record_id) == ("staff[2].reports_to", "a")
    assert error.reason == "the reporting line loops: a → b → a"


def test_reporting_to_oneself_is_a_loop() -> None:
    error = refusal([StaffMember(id="a", name="A", reports_to="a")])
    assert (error.field, error.reason) == ("staff[0].reports_to", "the reporting line loops: a → a")


def test_reports_to_is_validated_like_the_other_staff_fields() -> None:
    with pytest.raises(InvalidValueError, match="reports_to"):
        StaffMember(id="a", name="A", reports_to=" ")
    with pytest.raises(InvalidValueError, match="reports_to"):
        StaffMember(id="a", name="A", reports_to=3)  # type: ignore[arg-type]


def test_sound_lines_are_kept_and_survive_as_of() -> None:
    portfolio = Portfolio(staff=STAFF, exported_at=at(20))
    assert portfolio.as_of(at(10)).staff == STAFF


# The file format ------------------------------------------------------------------------


def test_reports_to_is_written_and_read_back() -> None:
    portfolio = Portfolio(staff=STAFF, exported_at=at(20))
    document = encode_portfolio(portfolio)
    written = {member["id"]: member.get("reports_to") for member in document["staff"]}
    assert written["ivanova"] == "collins"
    assert written["loner"] is None  # not at its default: left out
    assert "reports_to" not in document["staff"][-1]
    assert decode_portfolio(document, source="t").portfolio == portfolio
    parsed = json.loads(dumps_portfolio(portfolio))
    assert decode_portfolio(parsed, source="t").portfolio == portfolio


def test_a_staff_record_with_reports_to_loads_from_json() -> None:
    document = {
        "format": "kamcore.portfolio",
        "version": 1,
        "staff": [
            {"id": "u-anna", "name": "Anna Petrova", "reports_to": "u-boris"},
            {"id": "u-boris", "name": "Boris Ivanov", "role": "department_head"},
        ],
        "accounts": [],
    }
    (anna, boris) = decode_portfolio(document, source="t").portfolio.staff
    assert (anna.reports_to, boris.reports_to) == ("u-boris", None)


# Properties -------------------------------------------------------------------------------

ROLES_ON_LADDER = ("account_manager", "department_head", "executive")


@st.composite
def staff_trees(draw: st.DrawFn) -> tuple[StaffMember, ...]:
    """A staff list whose reporting lines form a forest, in a shuffled order."""
    size = draw(st.integers(1, 9))
    members = []
    for index in range(size):
        manager = draw(st.none() | st.integers(0, index - 1)) if index else None
        members.append(
            StaffMember(
                id=f"s{index}",
                name=f"Staff {index}",
                role=draw(st.sampled_from(ROLES_ON_LADDER)),
                reports_to=None if manager is None else f"s{manager}",
            )
        )
    return tuple(draw(st.permutations(members)))


def expected_holders(holder: Holder, owner: str, staff: tuple[StaffMember, ...]) -> tuple[str, ...]:
    """The rule, walked the plain way: up from the owner to the first with the role."""
    if holder.kind == "staff":
        return (holder.id,)
    by_id = {member.id: member for member in staff}
    current = by_id.get(owner)
    while current is not None and current.reports_to is not None:
        current = by_id[current.reports_to]
        if current.role == holder.id:
            return (current.id,)
    return everyone_with(holder, staff)


def everyone_with(holder: Holder, staff: tuple[StaffMember, ...]) -> tuple[str, ...]:
    """Who held a level before reporting lines: a named member, or everyone with the role."""
    if holder.kind == "staff":
        return (holder.id,)
    return tuple(sorted(member.id for member in staff if member.role == holder.id))


def without_lines(staff: tuple[StaffMember, ...]) -> tuple[StaffMember, ...]:
    return tuple(attrs.evolve(member, reports_to=None) for member in staff)


def never_skips(escalation: Escalation) -> bool:
    levels = [stay.level for stay in escalation.stays]
    return levels[0] == 0 and all(b == a + 1 for a, b in pairwise(levels))


@settings(max_examples=60, deadline=None)
@given(
    staff_trees(),
    st.lists(st.integers(0, 9), min_size=1, max_size=4),
    st.sampled_from([LADDER, NAMED_SPONSOR]),
    st.integers(2, 20),
)
def test_every_stay_is_held_by_the_nearest_holders_on_the_owners_line(
    staff: tuple[StaffMember, ...], owners: list[int], policy: EscalationPolicy, opened_day: int
) -> None:
    Portfolio(staff=staff)  # the drawn lines are sound
    findings = tuple(
        finding(f"s{owner}", f"K-{position}") for position, owner in enumerate(owners)
    )  # s9 and up may be on no staff list
    agenda = Agenda(as_of=at(31), findings=findings)
    opened = {f.key: at(opened_day) for f in findings}
    escalations = escalate(agenda, policy, WEEKDAYS, opened=opened, staff=staff)
    flat = escalate(agenda, policy, WEEKDAYS, opened=opened, staff=without_lines(staff))
    for escalation, before in zip(escalations, flat, strict=True):
        owner = escalation.finding.owner
        assert never_skips(escalation)
        for stay in escalation.stays:
            assert stay.staff == expected_holders(stay.holder, owner, staff)
        if escalation.next is not None:
            assert escalation.next.staff == expected_holders(escalation.next.holder, owner, staff)
        # Without reporting lines, every level is everyone with its role, as before.
        assert never_skips(before)
        assert [s.staff for s in before.stays] == [
            everyone_with(s.holder, staff) for s in before.stays
        ]
        assert [(s.level, s.since, s.until) for s in before.stays] == [
            (s.level, s.since, s.until) for s in escalation.stays
        ]


def test_the_reader_sets_aside_a_staff_member_whose_line_is_broken() -> None:
    document = {
        "format": "kamcore.portfolio",
        "version": 1,
        "staff": [
            {"id": "a", "name": "A", "reports_to": "nobody"},
            {"id": "b", "name": "B", "reports_to": "a"},  # orphaned once a is set aside
            {"id": "c", "name": "C"},
        ],
        "accounts": [],
    }
    result = decode_portfolio(document, source="t", strict=False)
    assert [m.id for m in result.portfolio.staff] == ["c"]
    assert [(q.kind, q.record_id, q.problems[0].location) for q in result.quarantine] == [
        ("staff", "a", "staff[0] (id=a).reports_to"),
        ("staff", "b", "staff[1] (id=b).reports_to"),
    ]
    with pytest.raises(PortfolioFormatError, match="no staff member with id 'nobody'"):
        decode_portfolio(document, source="t")
