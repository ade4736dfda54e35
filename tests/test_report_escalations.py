"""The department-head report's escalations: level, holder, since when, time on each level."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from kamcore.classification import compile_rules, parse_rules
from kamcore.escalation import BusinessCalendar, parse_policy
from kamcore.model import Account, ClientFile, Portfolio, Request, StaffMember, Timeline
from kamcore.report import (
    ESCALATION_COLUMNS,
    NO_ESCALATIONS,
    NO_ISSUES,
    DepartmentHeadReport,
    department_head_report,
    duration_text,
)
from kamcore.review import Agenda, Finding
from strategies import STANDARD

AS_OF = datetime(2026, 3, 9, 9, tzinfo=UTC)  # a Monday
CLASSIFIER = compile_rules(
    parse_rules(
        {
            "name": "escalation report tests",
            "currency": {"base": "EUR"},
            "tiers": [
                {
                    "id": "key",
                    "key": True,
                    "when": {"field": "fact.strategic_list", "op": "==", "value": True},
                    "standard": STANDARD,
                },
                {"id": "regular", "standard": STANDARD},
            ],
        }
    )
)
POLICY = parse_policy(
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
CALENDAR = BusinessCalendar()  # UTC, Monday to Friday


def at(day: int, hour: int = 9) -> datetime:
    """A moment in March 2026, UTC."""
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def client(account_id: str, *requests: Request, key: bool = True) -> ClientFile:
    return ClientFile(
        account=Account(
            id=account_id,
            name=f"Client {account_id}",
            owner="anna",
            facts={"strategic_list": key},
        ),
        timeline=Timeline(requests),
    )


def violation(account_id: str, evidence: str, due: datetime) -> Finding:
    return Finding(
        account_id=account_id,
        owner="anna",
        principle="responsiveness",
        code="request_unanswered",
        severity="violation",
        evidence=(evidence,),
        action="answer_request",
        due=due,
    )


def files(*, executive: bool = True) -> Portfolio:
    staff = [
        StaffMember(id="anna", name="Anna Petrova"),
        StaffMember(id="hana", name="Hana Head", role="department_head"),
    ]
    if executive:
        staff.append(StaffMember(id="eve", name="Eve Exec", role="executive"))
    return Portfolio(
        files=[
            client(
                "K-1",
                Request(id="R-1", at=at(2), subject="Price"),
                Request(id="R-2", at=at(3), subject="Terms"),
            ),
            client("K-2"),
            client("R-1", Request(id="R-9", at=at(2), subject="Old"), key=False),
        ],
        staff=staff,
    )


def agenda() -> Agenda:
    return Agenda(
        as_of=AS_OF,
        findings=(
            # Due Monday 2nd: the head has it from Wednesday 4th, the sponsor from Friday 6th.
            violation("K-1", "R-1", at(2)),
            # Due Wednesday 4th 15:00: the head from Friday 6th 15:00, the sponsor Tuesday 10th.
            violation("K-1", "R-2", at(4, 15)),
            # A regular account's escalation is not the department head's report.
            violation("R-1", "R-9", at(2)),
        ),
    )


def report(*, executive: bool = True) -> DepartmentHeadReport:
    return department_head_report(
        files(executive=executive),
        AS_OF,
        classifier=CLASSIFIER,
        agenda=agenda(),
        policy=POLICY,
        calendar=CALENDAR,
    )


def test_escalated_findings_of_key_accounts_with_level_holder_and_history() -> None:
    made = report()
    assert made.levels == ("owner", "head", "sponsor")
    top, second = made.escalations
    assert (top.account_id, top.escalation.level, top.escalation.level_name) == (
        "K-1",
        2,
        "sponsor",
    )
    assert top.holder_text() == "eve (Eve Exec)"
    assert top.escalation.since == at(6)
    assert top.history_text() == "owner 2d 0h → head 2d 0h → sponsor 3d 0h (now)"
    assert top.next_text() == "none (top level)"
    assert (second.escalation.level_name, second.holder_text()) == ("head", "hana (Hana Head)")
    assert second.history_text() == "owner 3d 6h → head 2d 18h (now)"
    assert second.next_text() == "sponsor (eve (Eve Exec)) at 2026-03-10T15:00+00:00"
    k1, k2 = made.accounts
    assert dict(k1.escalated) == {"sponsor": 1, "head": 1}
    assert (k2.state, dict(k2.escalated)) == (NO_ISSUES, {})
    assert made.escalations_by_level() == {"head": 1, "sponsor": 1}


def test_a_role_no_one_has_is_said_so() -> None:
    top, _ = report(executive=False).escalations
    assert top.holder_text() == "no executive on the staff list"


def test_markdown_has_an_escalations_table() -> None:
    lines = report().as_markdown().splitlines()
    start = lines.index("## Escalations")
    table = [line for line in lines[start + 1 :] if line.startswith("|")][:4]
    assert table[0] == "| " + " | ".join(ESCALATION_COLUMNS) + " |"
    assert table[2] == (
        "| K-1 (Client K-1) | request\\_unanswered | violation | 2 sponsor | eve (Eve Exec) "
        "| 2026-03-06T09:00+00:00 | owner 2d 0h → head 2d 0h → sponsor 3d 0h (now) "
        "| none (top level) |"
    )
    assert table[3].startswith("| K-1 (Client K-1) | request\\_unanswered | violation | 1 head |")
    assert "R-1" not in "\n".join(lines)
    # Every key account still has its line, escalated or not.
    assert any(line.startswith("| K-2 |") and line.endswith("| no issues |") for line in lines)


def test_json_lists_the_escalations() -> None:
    document = json.loads(json.dumps(report().as_dict()))
    assert document["escalation_levels"] == ["owner", "head", "sponsor"]
    top, second = document["escalations"]
    assert (top["account_id"], top["code"], top["severity"]) == (
        "K-1",
        "request_unanswered",
        "violation",
    )
    assert [stay["seconds"] for stay in top["escalation"]["history"]] == [
        2 * 86400,
        2 * 86400,
        3 * 86400,
    ]
    assert second["escalation"]["next"]["staff"] == ["eve"]
    assert document["accounts"][0]["escalated"] == {"sponsor": 1, "head": 1}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.svg: list[str] = []
        self.bars: dict[str, int] = {}
        self.tables: dict[str, int] = {}
        self.table = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes: dict[str, Any] = dict(attrs)
        if tag == "svg":
            self.svg.append(attributes.get("id") or "")
        if tag == "rect" and "bar" in (attributes.get("class") or "").split():
            self.bars[self.svg[-1]] = self.bars.get(self.svg[-1], 0) + 1
        if tag == "table":
            self.table = attributes.get("id") or ""
            self.tables[self.table] = 0
        if tag == "tr":
            self.tables[self.table] += 1


def test_html_has_an_escalations_chart_and_table() -> None:
    page = _Page()
    page.feed(report().as_html())
    assert page.svg == ["health-by-owner", "escalations-by-level", "findings-by-principle"]
    assert page.bars["escalations-by-level"] == 2
    assert page.tables["escalations"] == 1 + 2  # the header and a row per escalation


def test_without_escalations_the_report_says_so() -> None:
    quiet = Agenda(as_of=AS_OF, findings=(violation("K-1", "R-2", at(8)),))  # due Sunday
    made = department_head_report(
        files(), AS_OF, classifier=CLASSIFIER, agenda=quiet, policy=POLICY, calendar=CALENDAR
    )
    assert made.escalations == ()
    assert NO_ESCALATIONS in made.as_markdown()
    page = _Page()
    page.feed(made.as_html())
    assert "escalations-by-level" not in page.svg
    assert made.as_dict()["escalations"] == []


def test_durations_read_in_days_and_hours_or_hours_and_minutes() -> None:
    assert duration_text(timedelta(days=3, hours=4, minutes=59)) == "3d 4h"
    assert duration_text(timedelta(hours=4, minutes=30)) == "4h 30m"
    assert duration_text(timedelta(0)) == "0h 0m"
