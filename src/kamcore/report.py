"""The department head's regular report on every key client (DOMAIN §5).

The department head gets a report on the state and problems of every key client
on a fixed cadence, so that no key client goes unmentioned longer than the
reporting interval. :func:`report_dates` gives the cadence (every Monday or
every first of the month at 09:00) and :func:`department_head_report` the report
at one of those moments: one entry for **every** account classified key then,
with a one-line state (``no issues`` when there are none), plus a health
summary per owner and the open findings counted by principle.

Typical use::

    >>> import kamcore
    >>> from kamcore.report import department_head_report
    >>> portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    >>> report = department_head_report(portfolio, portfolio.exported_at)
    >>> all(entry.state for entry in report.accounts)
    True
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

import attrs
from dateutil import rrule

from kamcore.classification import Classifier, load_classifier
from kamcore.model import ClientFile, Portfolio
from kamcore.review import SEVERITIES, Agenda, Finding, review, severity_rank

ACCOUNT_COLUMNS: Final = (
    "Account",
    "Name",
    "Owner",
    "Tier",
    "Health",
    "Trend",
    "Open findings",
    "Promises slipped",
    "Complaints open",
    "State",
)
"""The columns of the key-account table, in every format."""

__all__ = [
    "ACCOUNT_COLUMNS",
    "NO_ISSUES",
    "PERIODS",
    "REPORT_VERSION",
    "AccountEntry",
    "DepartmentHeadReport",
    "OwnerSummary",
    "department_head_report",
    "previous_report_date",
    "report_dates",
]

REPORT_VERSION: Final = 1
"""The version of the report's JSON form (:meth:`DepartmentHeadReport.as_dict`)."""

PERIODS: Final = ("week", "month")
"""Reporting cadences: every Monday at 09:00, or every first of the month at 09:00."""

NO_ISSUES: Final = "no issues"
"""The state line of a key account with no open finding, slipped promise or open complaint."""

REPORT_HOUR: Final = 9

_LOOKBACK: Final = {"week": timedelta(days=8), "month": timedelta(days=32)}
"""Further back than the longest gap between two report dates of each period."""

_WORST_FIRST: Final = tuple(sorted(SEVERITIES, key=severity_rank, reverse=True))
_MARKDOWN_SPECIAL: Final = frozenset("\\`*_[]<>|~")
_MISSING: Final = "n/a"


def _rule(period: str, dtstart: datetime, until: datetime | None) -> rrule.rrule:
    if dtstart.tzinfo is None:
        raise ValueError("report dates need a time-zone-aware moment")
    if period == "week":
        return rrule.rrule(
            rrule.WEEKLY,
            dtstart=dtstart,
            until=until,
            byweekday=rrule.MO,
            byhour=REPORT_HOUR,
            byminute=0,
            bysecond=0,
        )
    if period == "month":
        return rrule.rrule(
            rrule.MONTHLY,
            dtstart=dtstart,
            until=until,
            bymonthday=1,
            byhour=REPORT_HOUR,
            byminute=0,
            bysecond=0,
        )
    raise ValueError(f"unknown report period {period!r} (known: {', '.join(PERIODS)})")


def report_dates(start: datetime, end: datetime, period: str = "week") -> tuple[datetime, ...]:
    """The report dates from *start* to *end* (both included), oldest first.

    ``week``: every Monday at 09:00; ``month``: the first of every month at 09:00,
    both as wall-clock time in *start*'s time zone.

    Raises:
        ValueError: *start* or *end* is naive, or *period* is not one of :data:`PERIODS`.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("report dates need time-zone-aware start and end")
    dates = _rule(period, start, end)
    return tuple(moment for moment in dates if start <= moment <= end)


def previous_report_date(as_of: datetime, period: str = "week") -> datetime:
    """The last report date strictly before *as_of*, in *as_of*'s time zone."""
    before = _rule(period, as_of - _LOOKBACK[period], None).before(as_of)
    assert before is not None  # the look-back always holds a report date
    return before


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class AccountEntry:
    """One key account's line in the report.

    Attributes:
        account_id: the account.
        name: the client's name.
        owner: the account manager (their id).
        owner_name: the owner's name from the staff list, ``None`` if not listed.
        tier: the tier at the report's moment.
        previous_tier: the tier at the previous report date.
        health: the health score (0-100, higher is healthier); ``None`` if unknown.
        trend: the change of health over 30 days; ``None`` if unknown.
        findings: open findings' codes by severity, worst severity first.
        promises_slipped: promises renegotiated, or open past their due time.
        complaints_open: complaints not resolved.
        state: one line about the account's state; :data:`NO_ISSUES` when it has none.
    """

    account_id: str
    name: str
    owner: str
    owner_name: str | None = None
    tier: str
    previous_tier: str
    health: float | None = None
    trend: float | None = None
    findings: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_frozen)
    promises_slipped: int = 0
    complaints_open: int = 0
    state: str = NO_ISSUES

    @property
    def tier_changed(self) -> bool:
        """Whether the tier changed since the previous report date."""
        return self.tier != self.previous_tier

    @property
    def finding_count(self) -> int:
        """How many open findings the account has."""
        return sum(len(codes) for codes in self.findings.values())

    @property
    def has_issues(self) -> bool:
        """Whether there is anything to report beyond ``no issues``."""
        return bool(self.finding_count or self.promises_slipped or self.complaints_open)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "account_id": self.account_id,
            "name": self.name,
            "owner": self.owner,
            "owner_name": self.owner_name,
            "tier": self.tier,
            "previous_tier": self.previous_tier,
            "tier_changed": self.tier_changed,
            "health": None if self.health is None else round(self.health, 1),
            "trend": None if self.trend is None else round(self.trend, 1),
            "findings": {severity: list(codes) for severity, codes in self.findings.items()},
            "promises_slipped": self.promises_slipped,
            "complaints_open": self.complaints_open,
            "state": self.state,
        }


@attrs.frozen(kw_only=True)
class OwnerSummary:
    """The health of one owner's key accounts.

    Attributes:
        owner: the account manager (their id).
        name: their name from the staff list, ``None`` if not listed.
        accounts: how many key accounts they own.
        with_issues: how many of those have something to report.
        open_findings: open findings on those accounts.
        average_health: mean health score; ``None`` if no account's health is known.
        lowest_health: lowest health score; ``None`` if no account's health is known.
    """

    owner: str
    name: str | None = None
    accounts: int
    with_issues: int
    open_findings: int
    average_health: float | None = None
    lowest_health: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "owner": self.owner,
            "name": self.name,
            "accounts": self.accounts,
            "with_issues": self.with_issues,
            "open_findings": self.open_findings,
            "average_health": _rounded(self.average_health),
            "lowest_health": _rounded(self.lowest_health),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@attrs.frozen(kw_only=True)
class DepartmentHeadReport:
    """The department head's report on every key client at one moment.

    Attributes:
        as_of: the report's moment.
        period: the reporting cadence, one of :data:`PERIODS`.
        previous: the previous report date (tier changes are against it).
        accounts: one entry per key account, by owner then account id.
        owners: per owner of key accounts, their health summary, by owner id.
        findings_by_principle: open findings on key accounts counted by principle.
    """

    as_of: datetime
    period: str
    previous: datetime
    accounts: tuple[AccountEntry, ...]
    owners: tuple[OwnerSummary, ...]
    findings_by_principle: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen)

    def account_ids(self) -> frozenset[str]:
        """The ids of every account the report mentions."""
        return frozenset(entry.account_id for entry in self.accounts)

    def summary(self) -> str:
        """One line: how many key accounts, how many with issues."""
        issues = sum(1 for entry in self.accounts if entry.has_issues)
        count = len(self.accounts)
        return f"{count} key account{'' if count == 1 else 's'}, {issues} with issues"

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (versioned by ``version``)."""
        return {
            "version": REPORT_VERSION,
            "as_of": self.as_of.isoformat(),
            "period": self.period,
            "previous_report": self.previous.isoformat(),
            "accounts": [entry.as_dict() for entry in self.accounts],
            "owners": [owner.as_dict() for owner in self.owners],
            "findings_by_principle": dict(self.findings_by_principle),
        }

    def as_markdown(self) -> str:
        """The report as a Markdown document: accounts, owners, findings by principle."""
        lines = [
            f"# Key-account report as of {_moment(self.as_of)}",
            "",
            f"Every key client, reported every {self.period}; previous report "
            f"{_moment(self.previous)}. {self.summary()}.",
            "",
            "## Key accounts",
            "",
        ]
        if self.accounts:
            lines += [
                _md_row(list(ACCOUNT_COLUMNS)),
                _md_row(["---", "---", "---", "---", "---:", "---:", "---", "---:", "---:", "---"]),
            ]
            lines += [
                _md_row(
                    [
                        _md(entry.account_id),
                        _md(entry.name),
                        _md(owner_label(entry.owner, entry.owner_name)),
                        _md(tier_label(entry)),
                        score_text(entry.health),
                        trend_text(entry.trend),
                        _md(findings_text(entry)),
                        str(entry.promises_slipped),
                        str(entry.complaints_open),
                        _md(entry.state),
                    ]
                )
                for entry in self.accounts
            ]
        else:
            lines.append("No key accounts.")
        lines += ["", "## Health by owner", ""]
        if self.owners:
            lines += [
                _md_row(
                    ["Owner", "Key accounts", "With issues", "Open findings", "Average", "Lowest"]
                ),
                _md_row(["---", "---:", "---:", "---:", "---:", "---:"]),
            ]
            lines += [
                _md_row(
                    [
                        _md(owner_label(owner.owner, owner.name)),
                        str(owner.accounts),
                        str(owner.with_issues),
                        str(owner.open_findings),
                        score_text(owner.average_health),
                        score_text(owner.lowest_health),
                    ]
                )
                for owner in self.owners
            ]
        else:
            lines.append("No owners of key accounts.")
        lines += ["", "## Open findings by principle", ""]
        if self.findings_by_principle:
            lines += [_md_row(["Principle", "Open findings"]), _md_row(["---", "---:"])]
            lines += [
                _md_row([_md(principle), str(count)])
                for principle, count in self.findings_by_principle.items()
            ]
        else:
            lines.append("No open findings on key accounts.")
        return "\n".join(lines) + "\n"

    def as_html(self) -> str:
        """The report as one self-contained HTML page with inline SVG charts."""
        from kamcore.report_html import report_html

        return report_html(self)


# Text helpers shared by the renderers ------------------------------------------------------------


def clean(text: str) -> str:
    """*text* on one line: control characters (newlines included) become spaces."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def _moment(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def owner_label(owner: str, name: str | None) -> str:
    """``owner (Name)`` when the owner has a name on the staff list, else the id."""
    return f"{owner} ({name})" if name and name != owner else owner


def tier_label(entry: AccountEntry) -> str:
    """The tier, with the previous one when it changed."""
    return f"{entry.tier} (was {entry.previous_tier})" if entry.tier_changed else entry.tier


def score_text(score: float | None) -> str:
    """A health score with one decimal, or ``n/a``."""
    return _MISSING if score is None else f"{score:.1f}"


def trend_text(trend: float | None) -> str:
    """A signed health trend with one decimal, or ``n/a``."""
    return _MISSING if trend is None else f"{trend:+.1f}"


def findings_text(entry: AccountEntry) -> str:
    """``critical: a, b; warning: c`` or ``none``."""
    parts = [f"{severity}: {', '.join(codes)}" for severity, codes in entry.findings.items()]
    return "; ".join(parts) or "none"


def _md(text: str) -> str:
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in clean(text))


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


# Building the report -----------------------------------------------------------------------------


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _state(findings: Mapping[str, tuple[str, ...]], slipped: int, complaints: int) -> str:
    parts = []
    total = sum(len(codes) for codes in findings.values())
    if total:
        by_severity = ", ".join(f"{len(codes)} {severity}" for severity, codes in findings.items())
        parts.append(f"{_plural(total, 'open finding')} ({by_severity})")
    if slipped:
        parts.append(f"{_plural(slipped, 'promise')} slipped")
    if complaints:
        parts.append(f"{_plural(complaints, 'complaint')} open")
    return "; ".join(parts) or NO_ISSUES


def _by_severity(findings: Sequence[Finding]) -> dict[str, tuple[str, ...]]:
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for finding in findings:
        groups[finding.severity].append(finding.code)
    return {
        severity: tuple(sorted(groups[severity])) for severity in _WORST_FIRST if groups[severity]
    }


def _entry(
    client: ClientFile,
    *,
    tier: str,
    previous_tier: str,
    agenda: Agenda,
    owner_names: Mapping[str, str],
) -> AccountEntry:
    findings = _by_severity(agenda.for_account(client.id))
    slipped = len(client.timeline.slipped_promises(agenda.as_of))
    complaints = len(client.timeline.open_complaints())
    health = agenda.health.get(client.id)
    return AccountEntry(
        account_id=client.id,
        name=client.account.name,
        owner=client.account.owner,
        owner_name=owner_names.get(client.account.owner),
        tier=tier,
        previous_tier=previous_tier,
        health=None if health is None else health.score,
        trend=None if health is None else health.trend,
        findings=findings,
        promises_slipped=slipped,
        complaints_open=complaints,
        state=_state(findings, slipped, complaints),
    )


def _owners(entries: Sequence[AccountEntry]) -> tuple[OwnerSummary, ...]:
    groups: defaultdict[str, list[AccountEntry]] = defaultdict(list)
    for entry in entries:
        groups[entry.owner].append(entry)
    summaries = []
    for owner in sorted(groups):
        mine = groups[owner]
        scores = [entry.health for entry in mine if entry.health is not None]
        summaries.append(
            OwnerSummary(
                owner=owner,
                name=mine[0].owner_name,
                accounts=len(mine),
                with_issues=sum(1 for entry in mine if entry.has_issues),
                open_findings=sum(entry.finding_count for entry in mine),
                average_health=sum(scores) / len(scores) if scores else None,
                lowest_health=min(scores) if scores else None,
            )
        )
    return tuple(summaries)


def department_head_report(
    portfolio: Portfolio,
    as_of: datetime,
    *,
    period: str = "week",
    classifier: Classifier | None = None,
    agenda: Agenda | None = None,
) -> DepartmentHeadReport:
    """The department head's report on every key client of *portfolio* at *as_of*.

    Every account the classifier puts in a key tier at *as_of* gets an entry,
    problems or not (``no issues``); no other account does.

    Args:
        portfolio: the accounts.
        as_of: the report's moment (time-zone aware), usually one of :func:`report_dates`.
        period: the reporting cadence, one of :data:`PERIODS`; tier changes are
            against the previous report date of that cadence.
        classifier: decides which accounts are key and their tiers; the default
            rule set when ``None``.
        agenda: the review at *as_of* to take findings and health from; reviewed
            with *classifier* when ``None``.

    Raises:
        ValueError: *period* is unknown, *as_of* is naive, or *agenda* is of
            another moment.
    """
    previous = previous_report_date(as_of, period)
    classifier = classifier if classifier is not None else load_classifier()
    if agenda is None:
        agenda = review(portfolio, as_of, classifier=classifier)
    elif agenda.as_of != as_of:
        raise ValueError(f"the agenda is of {agenda.as_of.isoformat()}, not {as_of.isoformat()}")
    owner_names = {member.id: member.name for member in portfolio.staff}
    entries = []
    for original in portfolio:
        client = original.as_of(as_of)
        now = classifier.classify(client, as_of)
        if not now.key:
            continue
        before = classifier.classify(original.as_of(previous), previous)
        entries.append(
            _entry(
                client,
                tier=now.tier,
                previous_tier=before.tier,
                agenda=agenda,
                owner_names=owner_names,
            )
        )
    entries.sort(key=lambda entry: (entry.owner, entry.account_id))
    keys = {entry.account_id for entry in entries}
    principles = Counter(f.principle for f in agenda.findings if f.account_id in keys)
    return DepartmentHeadReport(
        as_of=as_of,
        period=period,
        previous=previous,
        accounts=tuple(entries),
        owners=_owners(entries),
        findings_by_principle={p: principles[p] for p in sorted(principles)},
    )
