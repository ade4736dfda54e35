"""The department head's regular report (DOMAIN §5): every key client, on a cadence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kamcore
from kamcore.classification import compile_rules, load_classifier, parse_rules
from kamcore.model import Account, ClientFile, Complaint, Portfolio, Promise, StaffMember, Timeline
from kamcore.report import (
    NO_ISSUES,
    PERIODS,
    REPORT_VERSION,
    DepartmentHeadReport,
    department_head_report,
    previous_report_date,
    report_dates,
)
from kamcore.review import Agenda, Finding, Health, review
from strategies import STANDARD, TIMEZONES, fast, moments, portfolios

AS_OF = datetime(2026, 3, 9, 9, tzinfo=UTC)  # a Monday, a weekly report date
DAY = timedelta(days=1)
RULES = parse_rules(
    {
        "name": "report tests",
        "currency": {"base": "EUR"},
        "metrics": {
            "tenure": {"kind": "months_as_client"},
            "complaints": {"kind": "open_complaints"},
        },
        "tiers": [
            {
                "id": "hot",
                "key": True,
                "when": {"field": "metric.complaints", "op": ">=", "value": 1},
                "standard": STANDARD,
            },
            {
                "id": "key",
                "key": True,
                "when": {
                    "any": [
                        {"field": "fact.strategic_list", "op": "==", "value": True},
                        {"field": "metric.tenure", "op": ">=", "value": 24},
                    ]
                },
                "standard": STANDARD,
            },
            {"id": "regular", "standard": STANDARD},
        ],
    }
)
CLASSIFIER = compile_rules(RULES)
"""Reads no amounts (generated transactions come in any currency); key-ness changes over
time with tenure and open complaints."""


def client(
    account_id: str, *events: Any, owner: str = "anna", key: bool = True, name: str = ""
) -> ClientFile:
    return ClientFile(
        account=Account(
            id=account_id,
            name=name or f"Client {account_id}",
            owner=owner,
            facts={"strategic_list": key},
        ),
        timeline=Timeline(events),
    )


def portfolio(*files: ClientFile) -> Portfolio:
    return Portfolio(
        files=list(files),
        staff=[StaffMember(id="anna", name="Anna Petrova"), StaffMember(id="boris", name="Boris")],
    )


def quiet_agenda(files: Portfolio, as_of: datetime = AS_OF) -> Agenda:
    """A review with no principle: no findings, just health."""
    return review(files, as_of, classifier=CLASSIFIER, principles=())


def finding(account_id: str, code: str, severity: str, principle: str = "care") -> Finding:
    return Finding(
        account_id=account_id,
        owner="anna",
        principle=principle,
        code=code,
        severity=severity,
        evidence=(code,),
        action="call",
    )


# Report dates --------------------------------------------------------------------------------------


def test_weekly_report_dates_are_mondays_at_nine_in_the_start_time_zone() -> None:
    beijing = timezone(timedelta(hours=8))
    start = datetime(2026, 3, 2, 10, tzinfo=beijing)  # a Monday, after 09:00
    dates = report_dates(start, datetime(2026, 3, 30, 9, tzinfo=beijing), "week")
    assert dates == tuple(datetime(2026, 3, day, 9, tzinfo=beijing) for day in (9, 16, 23, 30))
    assert all(d.weekday() == 0 and d.utcoffset() == timedelta(hours=8) for d in dates)


def test_monthly_report_dates_are_the_first_at_nine() -> None:
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    dates = report_dates(start, datetime(2026, 4, 1, 8, 59, tzinfo=UTC), "month")
    assert dates == tuple(datetime(2026, month, 1, 9, tzinfo=UTC) for month in (1, 2, 3))


def test_report_dates_reject_naive_moments_unknown_periods_and_empty_spans() -> None:
    with pytest.raises(ValueError, match="aware"):
        report_dates(datetime(2026, 1, 1), AS_OF)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValueError, match="unknown report period"):
        report_dates(AS_OF, AS_OF + 30 * DAY, "fortnight")
    assert report_dates(AS_OF, AS_OF - DAY) == ()


def test_the_previous_report_date_is_strictly_before() -> None:
    assert previous_report_date(AS_OF, "week") == AS_OF - 7 * DAY
    assert previous_report_date(AS_OF + DAY, "week") == AS_OF
    assert previous_report_date(AS_OF, "month") == datetime(2026, 3, 1, 9, tzinfo=UTC)


# Who is in the report ------------------------------------------------------------------------------


def test_every_key_account_has_a_line_and_no_other_account_does() -> None:
    files = portfolio(client("K-1"), client("K-2", owner="boris"), client("R-1", key=False))
    report = department_head_report(files, AS_OF, classifier=CLASSIFIER, agenda=quiet_agenda(files))
    assert report.account_ids() == {"K-1", "K-2"}
    assert [(e.account_id, e.state) for e in report.accounts] == [
        ("K-1", NO_ISSUES),
        ("K-2", NO_ISSUES),
    ]
    assert [(o.owner, o.name, o.accounts) for o in report.owners] == [
        ("anna", "Anna Petrova", 1),
        ("boris", "Boris", 1),
    ]


def test_a_key_account_with_problems_says_what_they_are() -> None:
    files = portfolio(
        client(
            "K-1",
            Promise(id="P-1", at=AS_OF - 10 * DAY, what="Offer", due=AS_OF - 2 * DAY),
            Complaint(id="C-1", at=AS_OF - 3 * DAY, subject="Late delivery"),
        ),
        client("K-2"),
    )
    agenda = Agenda(
        as_of=AS_OF,
        findings=(
            finding("K-1", "silent_past_cadence", "warning", "contact"),
            finding("K-1", "promise_overdue", "violation", "commitment"),
            finding("K-1", "repeated_slips", "critical", "commitment"),
            finding("R-9", "ignored", "critical"),  # not a key account of this portfolio
        ),
        health={"K-1": Health(40.0, {}, -12.5), "K-2": Health(90.0, {}, None)},
    )
    report = department_head_report(files, AS_OF, classifier=CLASSIFIER, agenda=agenda)
    entry, other = report.accounts
    assert dict(entry.findings) == {
        "critical": ("repeated_slips",),
        "violation": ("promise_overdue",),
        "warning": ("silent_past_cadence",),
    }
    assert (entry.promises_slipped, entry.complaints_open) == (1, 1)
    assert entry.state == (
        "3 open findings (1 critical, 1 violation, 1 warning); 1 promise slipped; 1 complaint open"
    )
    assert (entry.health, entry.trend) == (40.0, -12.5)
    assert other.state == NO_ISSUES
    assert dict(report.findings_by_principle) == {"commitment": 2, "contact": 1}
    (owner,) = report.owners
    assert (owner.accounts, owner.with_issues, owner.open_findings) == (2, 1, 3)
    assert (owner.average_health, owner.lowest_health) == (65.0, 40.0)


def test_the_tier_change_since_the_previous_report_date_is_shown() -> None:
    complaint = Complaint(id="C-1", at=AS_OF - 2 * DAY, subject="Broken part")
    files = portfolio(client("K-1", complaint))
    report = department_head_report(files, AS_OF, classifier=CLASSIFIER, agenda=quiet_agenda(files))
    (entry,) = report.accounts
    assert (entry.tier, entry.previous_tier, entry.tier_changed) == ("hot", "key", True)
    assert "hot (was key)" in report.as_markdown()


def test_an_agenda_of_another_moment_is_an_error() -> None:
    files = portfolio(client("K-1"))
    with pytest.raises(ValueError, match="agenda"):
        department_head_report(
            files, AS_OF, classifier=CLASSIFIER, agenda=quiet_agenda(files, AS_OF - DAY)
        )


# Renderers -----------------------------------------------------------------------------------------

EVIL = "<script>alert('x')</script> & Co"


def evil_report() -> DepartmentHeadReport:
    files = portfolio(
        client("K-1", name=EVIL),
        client("K-2", owner="boris"),
        client("K-3", owner="carl|<b>"),
        client("R-1", key=False),
    )
    agenda = Agenda(as_of=AS_OF, findings=(finding("K-1", "silent_past_cadence", "warning"),))
    return department_head_report(files, AS_OF, classifier=CLASSIFIER, agenda=agenda)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.svg: list[str] = []
        self.bars: dict[str, int] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "svg":
            self.svg.append(attributes.get("id") or "")
        if tag == "rect" and "bar" in (attributes.get("class") or "").split():
            self.bars[self.svg[-1]] = self.bars.get(self.svg[-1], 0) + 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def test_markdown_has_a_row_per_key_account_with_its_state_escaped() -> None:
    text = evil_report().as_markdown()
    assert text.startswith("# Key-account report as of 2026-03-09T09:00+00:00")
    rows = [line for line in text.splitlines() if line.startswith("| K-")]
    assert [row.split(" | ")[0] for row in rows] == ["| K-1", "| K-2", "| K-3"]
    assert "1 open finding (1 warning)" in rows[0]
    assert rows[1].endswith("| no issues |")
    assert "<script>" not in text
    assert "R-1" not in text
    assert "carl\\|\\<b\\>" in text


def test_json_form_is_versioned_and_round_trips() -> None:
    report = evil_report()
    document = json.loads(json.dumps(report.as_dict()))
    assert document["version"] == REPORT_VERSION
    assert document["as_of"] == AS_OF.isoformat()
    assert document["previous_report"] == (AS_OF - 7 * DAY).isoformat()
    assert [a["account_id"] for a in document["accounts"]] == ["K-1", "K-2", "K-3"]
    assert document["accounts"][0]["name"] == EVIL
    assert document["accounts"][0]["findings"] == {"warning": ["silent_past_cadence"]}
    assert document["accounts"][1]["state"] == NO_ISSUES
    assert [o["owner"] for o in document["owners"]] == ["anna", "boris", "carl|<b>"]
    assert document["findings_by_principle"] == {"care": 1}


def test_html_is_one_self_contained_page_with_a_bar_per_owner() -> None:
    report = evil_report()
    page = report.as_html()
    parsed = parse(page)
    tags = [tag for tag, _ in parsed.tags]
    assert page.startswith("<!DOCTYPE html>")
    assert ("meta", {"charset": "utf-8"}) in parsed.tags
    assert "script" not in tags
    assert not {"link", "img", "iframe", "object", "embed"} & set(tags)
    assert "http://" not in page
    assert "https://" not in page
    assert not [a for _, a in parsed.tags if any(k in {"src", "href"} for k in a)]
    assert parsed.svg == ["health-by-owner", "findings-by-principle"]
    assert parsed.bars["health-by-owner"] == len(report.owners) == 3
    assert parsed.bars["findings-by-principle"] == 1
    assert "&lt;script&gt;" in page
    assert EVIL in "".join(parsed.text)  # shown as text, not markup
    assert "carl|&lt;b&gt;" in page


def test_html_without_key_accounts_still_renders() -> None:
    files = portfolio(client("R-1", key=False))
    report = department_head_report(files, AS_OF, classifier=CLASSIFIER, agenda=quiet_agenda(files))
    parsed = parse(report.as_html())
    assert parsed.svg == ["health-by-owner"]
    assert parsed.bars == {}
    assert "No key accounts." in "".join(parsed.text)


# The sample portfolio ------------------------------------------------------------------------------


def test_every_key_account_of_the_sample_portfolio_is_in_the_report() -> None:
    sample = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    as_of = sample.exported_at
    assert as_of is not None
    classifier = load_classifier()
    report = department_head_report(sample, as_of, classifier=classifier)
    key = {c.id for c in sample if classifier.classify(c.as_of(as_of), as_of).key}
    assert key
    assert report.account_ids() == key
    assert len(report.accounts) < len(sample)  # regular accounts are left out
    assert all(entry.state for entry in report.accounts)
    assert any(entry.state == NO_ISSUES for entry in report.accounts)
    assert any(entry.state != NO_ISSUES for entry in report.accounts)
    text = report.as_markdown()
    assert all(f"| {account_id} |" in text for account_id in key)
    parsed = parse(report.as_html())
    assert parsed.bars["health-by-owner"] == len({c.account.owner for c in sample if c.id in key})


# Properties ----------------------------------------------------------------------------------------

INTERVAL = {"week": 7 * DAY, "month": 31 * DAY}


@fast(30)
@given(
    files=portfolios(),
    start=moments(),
    days=st.integers(0, 70),
    period=st.sampled_from(PERIODS),
    zone=st.sampled_from(TIMEZONES),
)
def test_no_key_account_goes_unmentioned_longer_than_the_interval(
    files: Portfolio, start: datetime, days: int, period: str, zone: timezone
) -> None:
    start = start.astimezone(zone)
    end = start + timedelta(days=days)
    dates = report_dates(start, end, period)
    # The cadence leaves no gap longer than the interval…
    assert all(b - a <= INTERVAL[period] for a, b in pairwise([start, *dates, end]))
    assert all(
        d.hour == 9 and d.minute == 0 and d.utcoffset() == zone.utcoffset(None) for d in dates
    )
    # …and each report mentions every account that is key at its date, with a state line.
    for moment in dates:
        report = department_head_report(files, moment, period=period, classifier=CLASSIFIER)
        key = {c.id for c in files if CLASSIFIER.classify(c.as_of(moment), moment).key}
        assert report.account_ids() == key
        assert len(report.accounts) == len(key)
        assert all(entry.state for entry in report.accounts)
        assert all(
            (entry.state == NO_ISSUES) == (not entry.has_issues) for entry in report.accounts
        )
        # Escalations are of key accounts' open findings above their owner, each counted
        # on its account's line.
        assert {e.account_id for e in report.escalations} <= key
        assert all(e.escalation.escalated for e in report.escalations)
        assert sum(sum(entry.escalated.values()) for entry in report.accounts) == len(
            report.escalations
        )
        assert report.previous < moment
    if dates:
        parse(report.as_html())
        json.dumps(report.as_dict())
