"""The principle interface and what a check sees: one account as of a moment."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol

import attrs

from kamcore.classification import CurrencyTable, ServiceStandard
from kamcore.model import ClientFile, StaffMember
from kamcore.review.finding import Finding, _trusted_finding

__all__ = [
    "CheckFunction",
    "Principle",
    "ReviewContext",
    "ReviewSettings",
    "SimplePrinciple",
    "deadline",
]


_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})
"""The default params and values of :meth:`ReviewContext.finding` (read-only, so shared)."""


def _frozen_staff(staff: Mapping[str, StaffMember]) -> Mapping[str, StaffMember]:
    # A read-only view is shared as it is: review() hands every account's context
    # the same one, and copying the whole staff per account would make the cost of
    # an account grow with the size of the company.
    if isinstance(staff, MappingProxyType):
        return staff
    return MappingProxyType(dict(staff))


@attrs.frozen(kw_only=True)
class ReviewSettings:
    """Knobs of a review that are not part of a tier's service standard.

    Attributes:
        warning_lead: how early before a deadline a *warning* is raised, as a share
            of the time allowed (0.2: in the last fifth).
        completeness: the share of the client file that must be filled in
            (contacts with roles and channels, needs, preferences, personal notes).
        churn_window_days: the recent window churn signals compare with the year before.
        goal_min_participants: client contacts a joint goal needs.
    """

    warning_lead: float = 0.2
    completeness: float = 0.75
    churn_window_days: int = 90
    goal_min_participants: int = 1


@attrs.frozen(kw_only=True)
class ReviewContext:
    """What a principle check reads: one account as known at ``as_of``.

    Attributes:
        client: the client file, already cut at ``as_of`` (nothing later is in it).
        as_of: the moment of the review.
        tier: the account's tier, as classified at ``as_of``.
        key: whether that tier is a key-client tier.
        standard: the tier's service standard.
        staff: the people on our side, by id.
        report_times: when department-head reports covering this account were sent.
        settings: the review's settings.
        currency: the rule set's base currency and rates, for checks that compare
            amounts; ``None`` when there is no rule set.
    """

    client: ClientFile
    as_of: datetime
    tier: str
    key: bool
    standard: ServiceStandard
    staff: Mapping[str, StaffMember] = attrs.field(factory=dict, converter=_frozen_staff)
    report_times: tuple[datetime, ...] = ()
    settings: ReviewSettings = ReviewSettings()
    currency: CurrencyTable | None = None

    @property
    def account_id(self) -> str:
        """The account's id."""
        return self.client.id

    @property
    def owner(self) -> str:
        """The account manager."""
        return self.client.account.owner

    def finding(
        self,
        *,
        principle: str,
        code: str,
        severity: str,
        params: Mapping[str, Any] = _NO_FIELDS,
        evidence: tuple[str, ...] = (),
        values: Mapping[str, Any] = _NO_FIELDS,
        action: str,
        due: datetime | None = None,
    ) -> Finding:
        """A :class:`Finding` on this account and owner; the arguments give the rest.

        The same finding, copies and errors as ``Finding(account_id=…, owner=…,
        …)`` with these fields.
        """
        # Read from the client file, not through the two properties, and built
        # without attrs' keyword handling: this runs for every finding of a review.
        client = self.client
        return _trusted_finding(
            account_id=client.id,
            owner=client.account.owner,
            principle=principle,
            code=code,
            severity=severity,
            params=params,
            evidence=evidence,
            values=values,
            action=action,
            due=due,
        )


class Principle(Protocol):
    """A service principle: a stable id, a name, and a pure check.

    Plugins hand principles to kamcore through the ``kamcore_principles`` hook;
    the built-in ones come the same way.
    """

    @property
    def id(self) -> str:
        """Stable id, e.g. ``responsiveness``; part of every finding it yields."""

    @property
    def name(self) -> str:
        """A name for people."""

    @property
    def codes(self) -> Mapping[str, str]:
        """Every finding code it can yield, with what it means and what to do."""

    def check(self, context: ReviewContext) -> Iterable[Finding]:
        """The findings on one account as of ``context.as_of``.

        Must be pure: the same context gives the same findings, and nothing after
        ``as_of`` may matter (the context holds nothing later).
        """


CheckFunction = Callable[[ReviewContext], Iterable[Finding]]


@attrs.frozen
class SimplePrinciple:
    """A :class:`Principle` from a plain check function.

    Attributes:
        id: the principle's id.
        name: its name for people.
        codes: the codes it yields, each with its meaning.
        function: ``function(context) -> findings``.
    """

    id: str
    name: str
    codes: Mapping[str, str]
    function: CheckFunction

    def check(self, context: ReviewContext) -> Iterable[Finding]:
        """Run the check function."""
        return self.function(context)


def deadline(
    context: ReviewContext, *, start: datetime, allowed: timedelta, about: str | None
) -> tuple[str, datetime] | None:
    """Where a service clock stands: ``("warning" | "violation", due)``, or ``None`` if fine.

    The clock starts at *start* and allows *allowed*; time the account spent
    waiting on the client about event *about* (or about nothing in particular)
    does not count, so the due time moves later by those waits. A warning comes
    in the last ``settings.warning_lead`` share of the allowed time.
    """
    as_of = context.as_of
    due = start + allowed
    paused = context.client.timeline.paused_seconds(about or "", start, as_of)
    if paused:  # usually not: most accounts never wait on the client
        due += timedelta(seconds=paused)
    if as_of > due:
        return "violation", due
    if as_of >= due - _warning_time(allowed, context.settings.warning_lead):
        return "warning", due
    return None


@functools.lru_cache(maxsize=1024)
def _warning_time(allowed: timedelta, warning_lead: float) -> timedelta:
    # Why kept: a timedelta times a float is exact (through the float's integer
    # ratio), which costs more than the rest of a clock, and a review asks for the
    # same few allowances (a tier's cadence, SLAs, intervals) over and over.
    return allowed * warning_lead
