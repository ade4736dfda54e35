"""Where every open finding of an agenda stands on the escalation ladder.

:func:`escalate` composes on top of :func:`kamcore.review.review`: it takes the
agenda at ``as_of``, and for every open finding says which level it is at, who
holds it (the account's owner, then the staff with the policy's roles), when it
climbs next and to whom, and how long it sat on each level it reached.

A level held by a role is held, for a finding, by the nearest person up its
owner's reporting line (``StaffMember.reports_to``) with that role, and by
everyone with the role when that line names no one (see
:meth:`~kamcore.escalation.Holder.staff_ids`).

Everything is derived from the agenda, the portfolio's timeline and the
policy, so the same inputs always give the same escalations:

* A finding is **open** from the moment its situation could first be seen: the
  latest of its evidence records (its key is made of the evidence, so the same
  finding has the same evidence), else its due time once that has passed.
  Without either it is open from ``as_of`` and stays with its owner.
* It climbs as :func:`~kamcore.escalation.escalation_history` says: one level
  per delay from its due time, never skipping one.
* A finding absent from the agenda is resolved (or snoozed, or acknowledged):
  it has no escalation, and it climbs no further.

Typical use::

    >>> import kamcore
    >>> from kamcore.escalation import escalate, load_policy
    >>> from kamcore.review import review
    >>> portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    >>> agenda = review(portfolio, portfolio.exported_at)
    >>> escalations = escalate(agenda, load_policy(), portfolio=portfolio)
    >>> len(escalations) == len(agenda.findings)
    True
    >>> all(e.stays[-1].level == e.level for e in escalations)
    True
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, overload

import attrs

from kamcore.escalation.calendar import BusinessCalendar
from kamcore.escalation.history import EscalationHistory, escalation_history
from kamcore.escalation.policy import EscalationPolicy, Holder, ReportingLines, load_policy
from kamcore.model import ClientFile, Portfolio, StaffMember
from kamcore.review import Agenda, Finding

__all__ = [
    "Escalation",
    "Escalator",
    "NextEscalation",
    "Stay",
    "escalate",
    "escalator",
    "opened_at",
]


@attrs.frozen(kw_only=True)
class Stay:
    """A level an open finding reached, and how long it has sat there.

    Attributes:
        level: the level's index, 0 being the account's owner.
        name: the level's name (``department_head``).
        holder: who holds the level for the finding, as the policy says.
        staff: the ids of the people who hold it for the finding, in id order:
            for a role, the nearest holder of it up the owner's reporting line,
            else everyone with it; empty when no one on the staff list has it.
        since: when the finding reached the level.
        until: when it climbed on; ``None`` while it is still there.
        duration: how long it sat there, up to ``until`` or the escalation's ``as_of``.
    """

    level: int
    name: str
    holder: Holder
    staff: tuple[str, ...]
    since: datetime
    until: datetime | None
    duration: timedelta

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "level": self.level,
            "name": self.name,
            "holder": str(self.holder),
            "staff": list(self.staff),
            "since": self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "seconds": int(self.duration.total_seconds()),
        }


@attrs.frozen(kw_only=True)
class NextEscalation:
    """The level an open finding climbs to next if it stays open.

    Attributes:
        level: the level's index.
        name: the level's name.
        holder: who will hold it.
        staff: the ids of the people who will hold it for the finding (as
            :attr:`Stay.staff`).
        at: when the finding reaches it.
    """

    level: int
    name: str
    holder: Holder
    staff: tuple[str, ...]
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "level": self.level,
            "name": self.name,
            "holder": str(self.holder),
            "staff": list(self.staff),
            "at": self.at.isoformat(),
        }


@attrs.frozen(kw_only=True)
class Escalation:
    """Where one open finding stands on the ladder at ``as_of``.

    Attributes:
        finding: the open finding.
        as_of: the moment of the agenda.
        stays: every level reached by ``as_of``, from level 0 up without a gap;
            the last one is the current level.
        next: the next level and when it is reached; ``None`` at the top level
            (or the delay's ``up_to`` level) or when the finding never escalates.
    """

    finding: Finding
    as_of: datetime
    stays: tuple[Stay, ...]
    next: NextEscalation | None = None

    @property
    def current(self) -> Stay:
        """The level the finding is at."""
        return self.stays[-1]

    @property
    def level(self) -> int:
        """The current level's index, 0 being the account's owner."""
        return self.current.level

    @property
    def level_name(self) -> str:
        """The current level's name."""
        return self.current.name

    @property
    def staff(self) -> tuple[str, ...]:
        """Who holds the finding now (staff ids)."""
        return self.current.staff

    @property
    def since(self) -> datetime:
        """When the finding reached its current level."""
        return self.current.since

    @property
    def escalated(self) -> bool:
        """Whether the finding has climbed above its owner."""
        return self.level > 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values: the current level, the next one, and every stay."""
        return {
            "finding": self.finding.key,
            "level": self.level,
            "name": self.level_name,
            "holder": str(self.current.holder),
            "staff": list(self.staff),
            "since": self.since.isoformat(),
            "next": None if self.next is None else self.next.as_dict(),
            "history": [stay.as_dict() for stay in self.stays],
        }


def opened_at(finding: Finding, client: ClientFile | None, as_of: datetime) -> datetime:
    """When *finding* became open, as its record shows at *as_of*.

    The latest moment among its evidence records known at *as_of* (events and
    transactions of *client*): the finding's key is made of its evidence, so the
    situation exists since its last piece was recorded. Without evidence, its due
    time once passed; else *as_of*.
    """
    evidence = set(finding.evidence)
    moments: list[datetime] = []
    if client is not None and evidence:
        moments += [e.at for e in client.timeline if e.id in evidence and e.at <= as_of]
        moments += [t.at for t in client.transactions if t.id in evidence and t.at <= as_of]
    if moments:
        return max(moments)
    if finding.due is not None and finding.due <= as_of:
        return finding.due
    return as_of


def _elapsed(start: datetime, end: datetime) -> timedelta:
    # Between instants: two datetimes of one ZoneInfo subtract as wall-clock times,
    # an hour off across a clock change.
    return end.astimezone(UTC) - start.astimezone(UTC)


def _years(moments: Iterable[datetime]) -> range:
    """The years the ladder's moments span, and the next: a climb may cross New Year."""
    # The set of a few years, not a list of a year per moment: a large agenda
    # has 740,000 findings, each with its moments (a year is an int of its own).
    years = {moment.year for moment in moments}
    return range(min(years), max(years) + 2)


def _escalation(
    history: EscalationHistory,
    finding: Finding,
    holding: Callable[[Holder, str], tuple[str, ...]],
) -> Escalation:
    """*finding*'s escalation from its *history*; ``holding(holder, owner)`` names the staff
    who hold a level for a finding *owner* owns."""
    reached = history.steps
    stays = []
    for index, step in enumerate(reached):
        until = reached[index + 1].reached_at if index + 1 < len(reached) else None
        stays.append(
            Stay(
                level=step.level,
                name=step.name,
                holder=step.holder,
                staff=holding(step.holder, finding.owner),
                since=step.reached_at,
                until=until,
                duration=_elapsed(step.reached_at, until if until is not None else history.as_of),
            )
        )
    # The schedule climbs one level at a time, so the step after the last one
    # reached is the next escalation (if the finding stays open).
    upcoming = history.schedule[len(reached)] if len(history.schedule) > len(reached) else None
    following = None
    if upcoming is not None:
        following = NextEscalation(
            level=upcoming.level,
            name=upcoming.name,
            holder=upcoming.holder,
            staff=holding(upcoming.holder, finding.owner),
            at=upcoming.reached_at,
        )
    return Escalation(finding=finding, as_of=history.as_of, stays=tuple(stays), next=following)


@attrs.frozen(kw_only=True)
class Escalator:
    """Where each open finding of one agenda stands on the ladder, one finding at a time.

    :func:`escalate` for a caller that wants the escalations one by one (to write
    each with its finding) rather than all of them at once: every escalation is
    computed on the one calendar when asked for, and none is kept. Make one with
    :func:`escalator`.

    Attributes:
        policy: the ladder and its delays.
        calendar: the business calendar delays are measured on.
        as_of: the moment of the agenda.
        opened: when each open finding became open, by finding key.
        staff: the staff list that says who holds each level: for a role, the
            nearest holder up the finding owner's reporting line, else everyone
            with it.
    """

    policy: EscalationPolicy
    calendar: BusinessCalendar
    as_of: datetime
    opened: Mapping[str, datetime]
    staff: tuple[StaffMember, ...]
    _lines: ReportingLines = attrs.field(
        init=False,
        default=attrs.Factory(lambda self: ReportingLines.of(self.staff), takes_self=True),
        eq=False,
        repr=False,
    )
    """The staff list read once, by id and by role."""
    _staff_by_holder: dict[tuple[Holder, str], tuple[str, ...]] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
    )
    """Who holds each level, by holder and finding owner: looked up once, not per
    finding (the ladder has a few holders and a portfolio some owners; an agenda,
    many findings and a long staff list)."""

    def escalation(self, finding: Finding) -> Escalation:
        """Where *finding*, an open finding of the agenda, stands at :attr:`as_of`.

        Raises:
            ValueError: *finding* is not one of the agenda's open findings
                (:attr:`opened` has no moment for it).
        """
        opened = self.opened.get(finding.key)
        if opened is None:
            raise ValueError(f"opened has no moment for the open finding {finding.key!r}")
        history = escalation_history(finding, self.policy, self.calendar, self.as_of, opened)
        return _escalation(history, finding, self._holding)

    def _holding(self, holder: Holder, owner: str) -> tuple[str, ...]:
        key = (holder, owner)
        ids = self._staff_by_holder.get(key)
        if ids is None:
            ids = self._staff_by_holder[key] = holder.staff_ids(self._lines, owner=owner)
        return ids


@overload
def escalator(
    agenda: Agenda,
    policy: EscalationPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    *,
    portfolio: Portfolio,
) -> Escalator: ...


@overload
def escalator(
    agenda: Agenda,
    policy: EscalationPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    *,
    opened: Mapping[str, datetime],
    staff: Iterable[StaffMember],
) -> Escalator: ...


def escalator(
    agenda: Agenda,
    policy: EscalationPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    *,
    portfolio: Portfolio | None = None,
    opened: Mapping[str, datetime] | None = None,
    staff: Iterable[StaffMember] | None = None,
) -> Escalator:
    """What :func:`escalate` computes for *agenda*, as an :class:`Escalator` that gives each
    open finding's escalation when asked: ``escalate(agenda, …)`` is
    ``tuple(map(escalator(agenda, …).escalation, agenda.findings))``.

    Takes the arguments of :func:`escalate` and refuses the same ones, at once.

    Raises:
        TypeError: as for :func:`escalate`.
        ValueError: as for :func:`escalate`.
        MissingExtraError: as for :func:`escalate`.
    """
    return _escalator(agenda, policy, calendar, portfolio=portfolio, opened=opened, staff=staff)


def _escalator(
    agenda: Agenda,
    policy: EscalationPolicy | None,
    calendar: BusinessCalendar | None,
    *,
    portfolio: Portfolio | None,
    opened: Mapping[str, datetime] | None,
    staff: Iterable[StaffMember] | None,
) -> Escalator:
    policy = policy if policy is not None else load_policy()
    as_of = agenda.as_of
    if portfolio is not None and opened is None and staff is None:
        files = portfolio.files
        opened = {
            finding.key: opened_at(finding, files.get(finding.account_id), as_of)
            for finding in agenda.findings
        }
        staff = portfolio.staff
    elif portfolio is not None or opened is None or staff is None:
        raise TypeError("escalate() takes either portfolio= or both opened= and staff=")
    else:
        undated = next((f.key for f in agenda.findings if f.key not in opened), None)
        if undated is not None:
            raise ValueError(f"opened has no moment for the open finding {undated!r}")
    if calendar is None:
        # Read as they come, not gathered in lists: those lists (and a year
        # object per moment) were 8 MiB per 10,000 accounts, at the peak of
        # `kamcore review`, when every finding is held.
        findings = agenda.findings
        moments = itertools.chain(
            (as_of,),
            (opened[f.key] for f in findings),
            (f.due for f in findings if f.due is not None),
        )
        calendar = policy.calendar.business_calendar(_years(moments))
    return Escalator(
        policy=policy, calendar=calendar, as_of=as_of, opened=opened, staff=tuple(staff)
    )


@overload
def escalate(
    agenda: Agenda,
    policy: EscalationPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    *,
    portfolio: Portfolio,
) -> tuple[Escalation, ...]: ...


@overload
def escalate(
    agenda: Agenda,
    policy: EscalationPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    *,
    opened: Mapping[str, datetime],
    staff: Iterable[StaffMember],
) -> tuple[Escalation, ...]: ...


def escalate(
    agenda: Agenda,
    policy: EscalationPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    *,
    portfolio: Portfolio | None = None,
    opened: Mapping[str, datetime] | None = None,
    staff: Iterable[StaffMember] | None = None,
) -> tuple[Escalation, ...]:
    """Where every open finding of *agenda* stands on the ladder at ``agenda.as_of``.

    Pure and deterministic. Only the agenda's open findings escalate: snoozed
    and acknowledged ones are not nagged about, and a finding absent from the
    agenda is resolved.

    Give either the *portfolio* reviewed, or what is read of it: *opened* and
    *staff* (``escalate(agenda, opened=…, staff=portfolio.staff)`` with *opened*
    from :func:`opened_at` is ``escalate(agenda, portfolio=portfolio)``). The
    second form serves a review that never held the whole portfolio
    (:func:`kamcore.review.stream.review_portfolio_stream`): each finding is
    dated while its account's records are there.

    Args:
        agenda: the review at a moment (see :func:`kamcore.review.review`).
        policy: the ladder and its delays; kamcore's default policy when ``None``.
        calendar: the business calendar delays are measured on; the policy's
            ``[calendar]`` (with the public holidays of the years involved) when
            ``None``.
        portfolio: the portfolio reviewed: its timeline dates the findings and
            its staff list, with their reporting lines, says who holds each level.
        opened: instead of *portfolio*: when each open finding became open
            (:func:`opened_at` at ``agenda.as_of``), by finding key; other keys
            are ignored.
        staff: with *opened*: the staff list that says who holds each level.

    Returns:
        One escalation per open finding, in the agenda's order (:func:`escalator`
        gives them one at a time instead).

    Raises:
        TypeError: neither *portfolio* nor *opened* and *staff* are given, or both.
        ValueError: *opened* lacks an open finding of the agenda.
        MissingExtraError: the policy's calendar names a country and the
            ``holidays`` package is not installed.
    """
    each = _escalator(agenda, policy, calendar, portfolio=portfolio, opened=opened, staff=staff)
    return tuple(map(each.escalation, agenda.findings))
