"""The department head's regular report on every key client (DOMAIN §5).

The department head gets a report on the state and problems of every key client
on a fixed cadence, so that no key client goes unmentioned longer than the
reporting interval. :func:`report_dates` gives the cadence (every Monday or
every first of the month at 09:00) and :func:`department_head_report` the report
at one of those moments: one entry for **every** account classified key then,
with a one-line state (``no issues`` when there are none), the findings of key
accounts that climbed the escalation ladder (level, holder, since when, how
long on each level), a health summary per owner and the open findings counted
by principle. :func:`department_head_report_stream` gives the same report of a
portfolio file read one account at a time, never held whole.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import IO, Any, Final

import attrs
from dateutil import rrule

from kamcore.classification import Classifier, load_classifier
from kamcore.escalation import (
    BusinessCalendar,
    Escalation,
    EscalationPolicy,
    Holder,
    Stay,
    escalate,
    load_policy,
    opened_at,
)
from kamcore.i18n import Messages, level_text, principle_name, severity_text
from kamcore.model import ClientFile, Portfolio, StaffMember
from kamcore.review import SEVERITIES, Agenda, Finding, review, severity_rank
from kamcore.review.stream import EachReview, review_portfolio_stream

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
    "Escalated",
    "State",
)
"""The columns of the key-account table, in every format."""

ESCALATION_COLUMNS: Final = (
    "Account",
    "Finding",
    "Severity",
    "Level",
    "Held by",
    "Since",
    "Time at each level",
    "Next",
)
"""The columns of the escalations table, in every format."""

ACCOUNT_COLUMN_KEYS: Final = (
    "account",
    "name",
    "owner",
    "tier",
    "health",
    "trend",
    "open_findings",
    "promises_slipped",
    "complaints_open",
    "escalated",
    "state",
)
"""The message keys (``report.KEY``) of :data:`ACCOUNT_COLUMNS` in another language."""

ESCALATION_COLUMN_KEYS: Final = (
    "account",
    "finding",
    "severity",
    "level",
    "held_by",
    "since",
    "time_at_levels",
    "next",
)
"""The message keys (``report.KEY``) of :data:`ESCALATION_COLUMNS` in another language."""

OWNER_COLUMNS: Final = (
    "Owner",
    "Key accounts",
    "With issues",
    "Open findings",
    "Average",
    "Lowest",
)
"""The columns of the health-by-owner table."""

OWNER_COLUMN_KEYS: Final = (
    "owner",
    "key_account_count",
    "with_issues",
    "open_findings",
    "average",
    "lowest",
)
"""The message keys (``report.KEY``) of :data:`OWNER_COLUMNS` in another language."""

__all__ = [
    "ACCOUNT_COLUMNS",
    "ACCOUNT_COLUMN_KEYS",
    "ESCALATION_COLUMNS",
    "ESCALATION_COLUMN_KEYS",
    "NO_ISSUES",
    "OWNER_COLUMNS",
    "OWNER_COLUMN_KEYS",
    "PERIODS",
    "REPORT_VERSION",
    "AccountEntry",
    "DepartmentHeadReport",
    "EscalationEntry",
    "OwnerSummary",
    "department_head_report",
    "department_head_report_stream",
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

NO_ESCALATIONS: Final = "No findings of key accounts have climbed above their owner."


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"unknown report period {period!r} (known: {', '.join(PERIODS)})")


def _rule(period: str, dtstart: datetime, until: datetime | None) -> rrule.rrule:
    _check_period(period)
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
    return rrule.rrule(  # month, the other period _check_period knows
        rrule.MONTHLY,
        dtstart=dtstart,
        until=until,
        bymonthday=1,
        byhour=REPORT_HOUR,
        byminute=0,
        bysecond=0,
    )


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
    """The last report date strictly before *as_of*, in *as_of*'s time zone.

    Raises:
        ValueError: *as_of* is naive, or *period* is not one of :data:`PERIODS`.
    """
    _check_period(period)  # before the look-back, which only the known periods have
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
        escalated: by escalation level name, how many open findings are at
            that level above the owner, highest level first.
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
    escalated: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen)
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
            "escalated": dict(self.escalated),
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
class EscalationEntry:
    """An open finding of a key account that climbed above its owner.

    Attributes:
        account_name: the client's name.
        escalation: where the finding stands on the ladder, and its history.
        staff_names: names of the staff who hold its levels, by id (for display).
    """

    account_name: str
    escalation: Escalation
    staff_names: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)

    @property
    def account_id(self) -> str:
        """The account."""
        return self.escalation.finding.account_id

    def holder_text(self, messages: Messages | None = None) -> str:
        """Who holds the finding now: staff ids with their names."""
        current = self.escalation.current
        return holder_text(current.holder, current.staff, self.staff_names, messages)

    def history_text(self, messages: Messages | None = None) -> str:
        """How long the finding sat on each level: ``account_manager 2d 4h → …``."""
        return history_text(self.escalation.stays, messages)

    def next_text(self, messages: Messages | None = None) -> str:
        """When the finding climbs next and to whom, or that it is at its top."""
        upcoming = self.escalation.next
        if upcoming is None:
            return say(messages, "top_level", "none (top level)")
        holders = holder_text(upcoming.holder, upcoming.staff, self.staff_names, messages)
        at = _moment(upcoming.at)
        level = level_label(upcoming.name, upcoming.holder, messages)
        return say(
            messages,
            "next_at",
            f"{level} ({holders}) at {at}",
            level=level,
            holders=holders,
            at=at,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values: the finding, and its escalation."""
        finding = self.escalation.finding
        return {
            "account_id": finding.account_id,
            "account_name": self.account_name,
            "principle": finding.principle,
            "code": finding.code,
            "severity": finding.severity,
            "escalation": self.escalation.as_dict(),
        }


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
        escalations: open findings of key accounts above their owner's level,
            highest level first, then longest there.
        levels: the names of the escalation ladder's levels, from the owner up.
    """

    as_of: datetime
    period: str
    previous: datetime
    accounts: tuple[AccountEntry, ...]
    owners: tuple[OwnerSummary, ...]
    findings_by_principle: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen)
    escalations: tuple[EscalationEntry, ...] = ()
    levels: tuple[str, ...] = ()

    def account_ids(self) -> frozenset[str]:
        """The ids of every account the report mentions."""
        return frozenset(entry.account_id for entry in self.accounts)

    def summary(self, messages: Messages | None = None) -> str:
        """One line: how many key accounts, how many with issues (in the language of
        *messages*, when given)."""
        issues = sum(1 for entry in self.accounts if entry.has_issues)
        count = len(self.accounts)
        english = f"{count} key account{'' if count == 1 else 's'}, {issues} with issues"
        return say(messages, "summary", english, accounts=count, with_issues=issues)

    def intro(self, messages: Messages | None = None) -> str:
        """The report's opening sentence: cadence, previous report, summary."""
        if messages is None:
            return (
                f"Every key client, reported every {self.period}; previous report "
                f"{_moment(self.previous)}. {self.summary()}."
            )
        return messages.text(
            "report.intro",
            period=messages.text(f"report.period_{self.period}"),
            previous=_moment(self.previous),
            summary=self.summary(messages),
        )

    def title(self, messages: Messages | None = None) -> str:
        """The report's title."""
        as_of = _moment(self.as_of)
        return say(messages, "title", f"Key-account report as of {as_of}", as_of=as_of)

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
            "escalation_levels": list(self.levels),
            "escalations": [entry.as_dict() for entry in self.escalations],
        }

    def escalations_by_level(self) -> dict[str, int]:
        """How many escalated findings sit at each level above the owner, from the lowest."""
        counts = Counter(entry.escalation.level_name for entry in self.escalations)
        return {name: counts[name] for name in self.levels[1:] if counts[name]}

    def as_markdown(self, messages: Messages | None = None) -> str:
        """The report as a Markdown document: accounts, owners, findings by principle.

        With *messages* (:func:`kamcore.i18n.messages`), headings, labels, states,
        severities and principles are in their language; ids, names and level names
        stay as they are.
        """
        return "\n".join(self.markdown_lines(messages)) + "\n"

    def markdown_lines(self, messages: Messages | None = None) -> Iterator[str]:
        """The lines of :meth:`as_markdown`'s document, without their newlines, each
        made when it is asked for (the document of a large portfolio is never held)."""
        m = messages
        yield from [
            f"# {_md(self.title(m))}",
            "",
            _md(self.intro(m)),
            "",
            f"## {say(m, 'key_accounts', 'Key accounts')}",
            "",
        ]
        if self.accounts:
            yield from [
                _md_row(columns(ACCOUNT_COLUMNS, ACCOUNT_COLUMN_KEYS, m)),
                _md_row(["---"] * 4 + ["---:"] * 2 + ["---"] + ["---:"] * 2 + ["---"] * 2),
            ]
            yield from (
                _md_row(
                    [
                        _md(entry.account_id),
                        _md(entry.name),
                        _md(owner_label(entry.owner, entry.owner_name)),
                        _md(tier_label(entry, m)),
                        _md(score_text(entry.health, m)),
                        _md(trend_text(entry.trend, m)),
                        _md(findings_text(entry, m)),
                        str(entry.promises_slipped),
                        str(entry.complaints_open),
                        _md(escalated_text(entry, m)),
                        _md(state_text(entry, m)),
                    ]
                )
                for entry in self.accounts
            )
        else:
            yield say(m, "no_key_accounts", "No key accounts.")
        yield from ["", f"## {say(m, 'escalations', 'Escalations')}", ""]
        if self.escalations:
            yield from [
                _md_row(columns(ESCALATION_COLUMNS, ESCALATION_COLUMN_KEYS, m)),
                _md_row(["---"] * 8),
            ]
            yield from (
                _md_row([_md(text) for text in escalation_cells(entry, m)])
                for entry in self.escalations
            )
        else:
            yield say(m, "no_escalations", NO_ESCALATIONS)
        yield from ["", f"## {say(m, 'health_by_owner', 'Health by owner')}", ""]
        if self.owners:
            yield from [
                _md_row(columns(OWNER_COLUMNS, OWNER_COLUMN_KEYS, m)),
                _md_row(["---", "---:", "---:", "---:", "---:", "---:"]),
            ]
            yield from (
                _md_row(
                    [
                        _md(owner_label(owner.owner, owner.name)),
                        str(owner.accounts),
                        str(owner.with_issues),
                        str(owner.open_findings),
                        _md(score_text(owner.average_health, m)),
                        _md(score_text(owner.lowest_health, m)),
                    ]
                )
                for owner in self.owners
            )
        else:
            yield say(m, "no_owners", "No owners of key accounts.")
        yield from ["", f"## {say(m, 'findings_by_principle', 'Open findings by principle')}", ""]
        if self.findings_by_principle:
            yield from [
                _md_row(columns(("Principle", "Open findings"), ("principle", "open_findings"), m)),
                _md_row(["---", "---:"]),
            ]
            yield from (
                _md_row([_md(principle_label(principle, m)), str(count)])
                for principle, count in self.findings_by_principle.items()
            )
        else:
            yield say(m, "no_findings", "No open findings on key accounts.")

    def as_html(self, messages: Messages | None = None) -> str:
        """The report as one self-contained HTML page with inline SVG charts, in the
        language of *messages* when given (see :meth:`as_markdown`)."""
        return "\n".join(self.html_lines(messages)) + "\n"

    def html_lines(self, messages: Messages | None = None) -> Iterator[str]:
        """The lines of :meth:`as_html`'s page, without their newlines, each made when it
        is asked for (the page of a large portfolio is never held)."""
        # Imported here: report_html reads this module's labels and helpers.
        from kamcore.report_html import report_html_lines

        return report_html_lines(self, messages)


# Text helpers shared by the renderers ------------------------------------------------------------


def clean(text: str) -> str:
    """*text* on one line: control characters (newlines included) become spaces."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def _moment(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def owner_label(owner: str, name: str | None) -> str:
    """``owner (Name)`` when the owner has a name on the staff list, else the id."""
    return f"{owner} ({name})" if name and name != owner else owner


def level_label(name: str, holder: Holder, messages: Messages | None) -> str:
    """An escalation level's name, or its term in the language of *messages*."""
    if messages is None:
        return name
    return level_text(name, messages, holder.id if holder.kind == "role" else None)


def say(messages: Messages | None, key: str, english: str, /, **params: Any) -> str:
    """The report's text ``report.KEY`` in the language of *messages*, filled with
    *params*; without *messages*, the report's own English wording *english*."""
    return english if messages is None else messages.text(f"report.{key}", **params)


def columns(english: Sequence[str], keys: Sequence[str], messages: Messages | None) -> list[str]:
    """Column titles: *english*, or each of *keys* (``report.KEY``) in another language."""
    return list(english) if messages is None else [messages.text(f"report.{k}") for k in keys]


def principle_label(principle: str, messages: Messages | None = None) -> str:
    """A principle: its id, or its name in the language of *messages*."""
    return principle if messages is None else principle_name(principle, messages)


def tier_label(entry: AccountEntry, messages: Messages | None = None) -> str:
    """The tier, with the previous one when it changed."""
    if not entry.tier_changed:
        return entry.tier
    english = f"{entry.tier} (was {entry.previous_tier})"
    return say(messages, "tier_was", english, tier=entry.tier, previous=entry.previous_tier)


def state_text(entry: AccountEntry, messages: Messages | None = None) -> str:
    """The account's one-line state: :attr:`AccountEntry.state`, or the same facts in
    the language of *messages*."""
    if messages is None:
        return entry.state
    parts = []
    if entry.finding_count:
        by_severity = messages.text("format.list_separator").join(
            f"{severity_text(severity, messages)}: {len(codes)}"
            for severity, codes in entry.findings.items()
        )
        parts.append(
            messages.text(
                "report.state_findings", count=entry.finding_count, by_severity=by_severity
            )
        )
    if entry.promises_slipped:
        parts.append(messages.text("report.state_promises", count=entry.promises_slipped))
    if entry.complaints_open:
        parts.append(messages.text("report.state_complaints", count=entry.complaints_open))
    return "; ".join(parts) or messages.text("report.no_issues")


def _decimal(value: float | None, spec: str, messages: Messages | None) -> str:
    if value is None:
        return say(messages, "not_available", _MISSING)
    text = format(value, spec)
    return (
        text if messages is None else text.replace(".", messages.text("format.decimal_separator"))
    )


def score_text(score: float | None, messages: Messages | None = None) -> str:
    """A health score with one decimal, or ``n/a``."""
    return _decimal(score, ".1f", messages)


def trend_text(trend: float | None, messages: Messages | None = None) -> str:
    """A signed health trend with one decimal, or ``n/a``."""
    return _decimal(trend, "+.1f", messages)


def escalated_text(entry: AccountEntry, messages: Messages | None = None) -> str:
    """``department_head: 2; executive_sponsor: 1`` or ``none``."""
    text = "; ".join(f"{name}: {count}" for name, count in entry.escalated.items())
    return text or say(messages, "none", "none")


def duration_text(duration: timedelta, messages: Messages | None = None) -> str:
    """A duration as ``3d 4h``, or ``4h 30m`` under a day."""
    minutes = max(int(duration.total_seconds()) // 60, 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return say(messages, "duration_days", f"{days}d {hours}h", days=days, hours=hours)
    return say(messages, "duration_hours", f"{hours}h {minutes}m", hours=hours, minutes=minutes)


def holder_text(
    holder: Holder,
    staff: Sequence[str],
    names: Mapping[str, str],
    messages: Messages | None = None,
) -> str:
    """Who holds a level: ``id (Name)``, comma-separated; says so when no one has the role."""
    if not staff:
        return say(messages, "no_holder", f"no {holder.id} on the staff list", role=holder.id)
    return ", ".join(owner_label(member, names.get(member)) for member in staff)


def history_text(stays: Iterable[Stay], messages: Messages | None = None) -> str:
    """How long a finding sat on each level, lowest first; the current level says ``now``."""
    now = say(messages, "now", "(now)")
    parts = [
        f"{level_label(stay.name, stay.holder, messages)} {duration_text(stay.duration, messages)}"
        + (f" {now}" if stay.until is None else "")
        for stay in stays
    ]
    return " → ".join(parts)


def escalation_cells(entry: EscalationEntry, messages: Messages | None = None) -> list[str]:
    """The cells of an escalation's row, in :data:`ESCALATION_COLUMNS` order."""
    escalation = entry.escalation
    finding = escalation.finding
    return [
        f"{finding.account_id} ({clean(entry.account_name)})",
        finding.code,
        finding.severity if messages is None else severity_text(finding.severity, messages),
        f"{escalation.level} {level_label(escalation.level_name, escalation.current.holder, messages)}",
        entry.holder_text(messages),
        _moment(escalation.since),
        entry.history_text(messages),
        entry.next_text(messages),
    ]


def findings_text(entry: AccountEntry, messages: Messages | None = None) -> str:
    """``critical: a, b; warning: c`` or ``none``."""
    parts = [
        f"{severity if messages is None else severity_text(severity, messages)}: {', '.join(codes)}"
        for severity, codes in entry.findings.items()
    ]
    return "; ".join(parts) or say(messages, "none", "none")


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


@attrs.frozen(kw_only=True)
class _KeyAccount:
    """What the report reads of a key account's records: all it keeps of them."""

    account_id: str
    name: str
    owner: str
    tier: str
    previous_tier: str
    promises_slipped: int
    complaints_open: int


def _key_account(
    original: ClientFile, as_of: datetime, previous: datetime, classifier: Classifier
) -> _KeyAccount | None:
    """What the report needs of *original*'s records if it is key at *as_of*, else ``None``."""
    client = original.as_of(as_of)
    now = classifier.classify(client, as_of)
    if not now.key:
        return None
    before = classifier.classify(original.as_of(previous), previous)
    return _KeyAccount(
        account_id=client.id,
        name=client.account.name,
        owner=client.account.owner,
        tier=now.tier,
        previous_tier=before.tier,
        promises_slipped=len(client.timeline.slipped_promises(as_of)),
        complaints_open=len(client.timeline.open_complaints()),
    )


def _entry(
    key: _KeyAccount,
    *,
    agenda: Agenda,
    owner_names: Mapping[str, str],
    escalated: Sequence[Escalation],
) -> AccountEntry:
    findings = _by_severity(agenda.for_account(key.account_id))
    health = agenda.health.get(key.account_id)
    return AccountEntry(
        account_id=key.account_id,
        name=key.name,
        owner=key.owner,
        owner_name=owner_names.get(key.owner),
        tier=key.tier,
        previous_tier=key.previous_tier,
        health=None if health is None else health.score,
        trend=None if health is None else health.trend,
        findings=findings,
        promises_slipped=key.promises_slipped,
        complaints_open=key.complaints_open,
        escalated=_escalated(escalated),
        state=_state(findings, key.promises_slipped, key.complaints_open),
    )


def _escalated(escalations: Sequence[Escalation]) -> dict[str, int]:
    counts = Counter((e.level, e.level_name) for e in escalations if e.escalated)
    return {name: counts[level, name] for level, name in sorted(counts, reverse=True)}


def _holder_names(escalation: Escalation, names: Mapping[str, str]) -> dict[str, str]:
    """The names of everyone who held or will next hold *escalation*, by id."""
    upcoming = escalation.next.staff if escalation.next is not None else ()
    held = [member for stay in escalation.stays for member in stay.staff]
    return {member: names[member] for member in [*held, *upcoming] if member in names}


def _escalation_order(entry: EscalationEntry) -> tuple[Any, ...]:
    escalation = entry.escalation
    finding = escalation.finding
    return (-escalation.level, escalation.since, finding.account_id, finding.code, finding.key)


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
    policy: EscalationPolicy | None = None,
    calendar: BusinessCalendar | None = None,
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
        policy: the escalation ladder; kamcore's default policy when ``None``.
        calendar: the business calendar escalation delays are measured on; the
            policy's calendar (with the public holidays of the years the key
            accounts' findings involve) when ``None``.

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
    policy = policy if policy is not None else load_policy()
    keys = [
        key
        for key in (_key_account(client, as_of, previous, classifier) for client in portfolio)
        if key is not None
    ]
    return _report(
        keys,
        _of_key_accounts(agenda, keys),
        lambda findings: escalate(findings, policy, calendar, portfolio=portfolio),
        staff=portfolio.staff,
        period=period,
        previous=previous,
        policy=policy,
    )


def department_head_report_stream(
    stream: IO[str],
    as_of: datetime | None = None,
    *,
    source: str,
    period: str = "week",
    classifier: Classifier | None = None,
    policy: EscalationPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    default_as_of: datetime | None = None,
    each_review: EachReview | None = None,
) -> DepartmentHeadReport:
    """:func:`department_head_report` of the portfolio document in *stream*, read one
    account at a time.

    The report is the one ``department_head_report(decode_portfolio_stream(stream,
    source=source).portfolio, as_of, …)`` gives, and the document is refused for
    the same problems; what differs is memory. The document is reviewed as
    :func:`~kamcore.review.stream.review_portfolio_stream` reviews it, and while
    each account's records are there the report takes what it needs of them:
    of a key account, its tiers now and at the previous report date, its
    slipped promises and open complaints, and when each of its open findings
    became open (for the escalations); of any other account, nothing. A
    document kamcore wrote is never held whole (see
    :func:`~kamcore.review.stream.review_stream` for one that is).

        >>> import kamcore
        >>> portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
        >>> with open(kamcore.SAMPLE_PORTFOLIO, encoding="utf-8-sig") as stream:
        ...     report = department_head_report_stream(stream, source=kamcore.SAMPLE_PORTFOLIO)
        >>> report == department_head_report(portfolio, portfolio.exported_at)
        True

    Args:
        stream: the document's text (open files with ``encoding="utf-8-sig"``).
        as_of: the report's moment (time-zone aware); the document's
            ``exported_at`` when ``None``.
        source: how the caller names the source; it appears in errors.
        period: as for :func:`department_head_report`.
        classifier: as for :func:`department_head_report`; it also reviews the accounts.
        policy: as for :func:`department_head_report`.
        calendar: as for :func:`department_head_report`.
        default_as_of: the report's moment when *as_of* is ``None`` and the
            document gives no ``exported_at`` (``kamcore report`` passes now).
        each_review: called for every account once it is reviewed, as by
            :func:`~kamcore.review.stream.review_portfolio_stream` (after the
            report took what it needs of the account).

    Raises:
        PortfolioFormatError: as for :func:`~kamcore.review.stream.review_stream`.
        ValueError: *period* is unknown or *as_of* is naive (before anything is
            read); *as_of* and *default_as_of* are ``None`` and the document has
            no ``exported_at``.
    """
    _check_period(period)
    if as_of is not None:
        previous_report_date(as_of, period)  # refuses a naive moment before the reading
    classifier = classifier if classifier is not None else load_classifier()
    policy = policy if policy is not None else load_policy()
    keys: list[_KeyAccount] = []
    opened: dict[str, datetime] = {}
    previous: datetime | None = None  # the review's moment is known at its first account

    def take(client: ClientFile, findings: tuple[Finding, ...], moment: datetime) -> None:
        nonlocal previous
        if previous is None:
            previous = previous_report_date(moment, period)
        key = _key_account(client, moment, previous, classifier)
        if key is not None:
            keys.append(key)
            for finding in findings:
                opened[finding.key] = opened_at(finding, client, moment)
        if each_review is not None:
            each_review(client, findings, moment)

    streamed = review_portfolio_stream(
        stream,
        as_of,
        source=source,
        classifier=classifier,
        default_as_of=default_as_of,
        each_review=take,
    )
    staff = streamed.portfolio.staff
    key_agenda = _of_key_accounts(streamed.agenda, keys)
    # What the report reads of the review is in key_agenda: the other accounts'
    # findings (most of a big agenda) go before the escalations are made.
    del streamed
    if previous is None:  # no account
        previous = previous_report_date(key_agenda.as_of, period)
    return _report(
        keys,
        key_agenda,
        lambda findings: escalate(findings, policy, calendar, opened=opened, staff=staff),
        staff=staff,
        period=period,
        previous=previous,
        policy=policy,
    )


def _of_key_accounts(agenda: Agenda, keys: Sequence[_KeyAccount]) -> Agenda:
    """*agenda* cut to the key accounts *keys*: their open findings and their health,
    all the report reads of a review."""
    wanted = {key.account_id for key in keys}
    return Agenda(
        as_of=agenda.as_of,
        findings=tuple(finding for finding in agenda.findings if finding.account_id in wanted),
        health={account: health for account, health in agenda.health.items() if account in wanted},
    )


def _report(
    keys: Sequence[_KeyAccount],
    agenda: Agenda,
    escalated_of: Callable[[Agenda], Iterable[Escalation]],
    *,
    staff: Iterable[StaffMember],
    period: str,
    previous: datetime,
    policy: EscalationPolicy,
) -> DepartmentHeadReport:
    """The report on the key accounts *keys*, from the review *agenda* cut to them
    (:func:`_of_key_accounts`).

    ``escalated_of(agenda)`` gives the escalations of *agenda*'s open findings:
    those of the key accounts, the only ones the report shows (and the only ones
    dated while streaming).
    """
    names = {member.id: member.name for member in staff}
    by_account: defaultdict[str, list[Escalation]] = defaultdict(list)
    for escalation in escalated_of(agenda):
        by_account[escalation.finding.account_id].append(escalation)
    entries = []
    escalated: list[EscalationEntry] = []
    for key in keys:
        mine = by_account[key.account_id]
        entries.append(_entry(key, agenda=agenda, owner_names=names, escalated=mine))
        escalated += [
            EscalationEntry(
                account_name=key.name,
                escalation=escalation,
                staff_names=_holder_names(escalation, names),
            )
            for escalation in mine
            if escalation.escalated
        ]
    entries.sort(key=lambda entry: (entry.owner, entry.account_id))
    principles = Counter(finding.principle for finding in agenda.findings)
    return DepartmentHeadReport(
        as_of=agenda.as_of,
        period=period,
        previous=previous,
        accounts=tuple(entries),
        owners=_owners(entries),
        findings_by_principle={p: principles[p] for p in sorted(principles)},
        escalations=tuple(sorted(escalated, key=_escalation_order)),
        levels=tuple(level.name for level in policy.levels),
    )
