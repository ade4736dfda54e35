"""Where an open finding stands on the escalation ladder, moment by moment.

``escalation_history()`` is pure: the same finding, policy, calendar and moments
always give the same history.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from kamcore.escalation.calendar import BusinessCalendar, CalendarError
from kamcore.escalation.policy import EscalationPolicy, Holder
from kamcore.review.finding import Finding

__all__ = ["EscalationHistory", "Step", "escalation_history"]


@attrs.frozen
class Step:
    """A level reached.

    Attributes:
        level: the level's index, 0 being the account owner.
        name: the level's name.
        reached_at: when the finding reached it.
        holder: who holds it for this finding.
    """

    level: int
    name: str
    reached_at: datetime
    holder: Holder


@attrs.frozen(kw_only=True)
class EscalationHistory:
    """The escalation of one finding.

    Attributes:
        finding_key: the finding's :attr:`~kamcore.review.Finding.key`.
        as_of: the moment the history was taken at.
        schedule: every step, those reached by ``as_of`` and those that will be
            reached if the finding stays open (until ``resolved_at`` when given),
            by level.
        resolved_at: when the finding was resolved, if it was.
    """

    finding_key: str
    as_of: datetime
    schedule: tuple[Step, ...]
    resolved_at: datetime | None = None

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps reached by :attr:`as_of`, by level."""
        return tuple(step for step in self.schedule if step.reached_at <= self.as_of)

    def current(self, at: datetime | None = None) -> Step | None:
        """The level the finding is at at *at* (:attr:`as_of` by default); ``None``
        before it was opened."""
        moment = self.as_of if at is None else at
        reached = [step for step in self.schedule if step.reached_at <= moment]
        return reached[-1] if reached else None

    def next_escalation(self, at: datetime | None = None) -> tuple[datetime, Holder] | None:
        """When the finding climbs next after *at* (:attr:`as_of` by default), and to
        whom; ``None`` when it is at its top level or was resolved first. Being
        opened (level 0) is not an escalation."""
        moment = self.as_of if at is None else at
        upcoming = next((step for step in self.schedule[1:] if step.reached_at > moment), None)
        return (upcoming.reached_at, upcoming.holder) if upcoming is not None else None


def _aware(name: str, moment: datetime) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise CalendarError(f"{name}: expected an aware datetime (with an offset), got {moment!r}")


def escalation_history(
    finding: Finding,
    policy: EscalationPolicy,
    calendar: BusinessCalendar,
    as_of: datetime,
    opened_at: datetime,
    *,
    resolved_at: datetime | None = None,
) -> EscalationHistory:
    """The escalation of *finding* under *policy*, measured on *calendar*.

    The finding is at level 0 (its owner) from *opened_at*. The clock starts when
    the breach happened, the finding's due time (*opened_at* when it has none):
    after the policy's delay for the finding it climbs one level, then one more
    after each further delay, up to the top level (or the delay's ``up_to``
    level). It never skips a level, and never climbs at or after *resolved_at*.
    A climb that falls before *opened_at* (the breach was found late) happens
    at *opened_at*, one level per step.

    Raises:
        CalendarError: a moment is naive.
    """
    _aware("as_of", as_of)
    _aware("opened_at", opened_at)
    if resolved_at is not None:
        _aware("resolved_at", resolved_at)
    schedule = [Step(0, policy.levels[0].name, opened_at, policy.holder(0, finding))]
    delay = policy.delay_for(finding)
    if delay is not None:
        clock = finding.due if finding.due is not None else opened_at
        for level in range(1, policy.top_for(delay) + 1):
            clock = delay.after(clock, calendar)
            reached = max(clock, opened_at)
            if resolved_at is not None and reached >= resolved_at:
                break
            schedule.append(
                Step(level, policy.levels[level].name, reached, policy.holder(level, finding))
            )
    return EscalationHistory(
        finding_key=finding.key, as_of=as_of, schedule=tuple(schedule), resolved_at=resolved_at
    )
