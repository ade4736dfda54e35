"""Tier history: an account classified period by period, with damping against flapping."""

from __future__ import annotations

from datetime import datetime

import attrs
from dateutil import rrule

from kamcore.classification.engine import Classifier
from kamcore.model import ClientFile

__all__ = ["TierHistory", "TierPeriod", "period_ends", "tier_history"]

_RULES = {
    "week": {"freq": rrule.WEEKLY, "byweekday": rrule.MO},
    "month": {"freq": rrule.MONTHLY, "bymonthday": 1},
    "quarter": {"freq": rrule.MONTHLY, "bymonthday": 1, "bymonth": (1, 4, 7, 10)},
}


def period_ends(start: datetime, end: datetime, period: str) -> tuple[datetime, ...]:
    """The period boundaries after *start* up to *end*, then *end* itself.

    Boundaries are midnights (Mondays, first days of months or of quarters) in
    *start*'s time zone.
    """
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    bounds = rrule.rrule(dtstart=midnight, until=end, **_RULES[period])  # type: ignore[arg-type]
    ends = [moment for moment in bounds if start < moment < end]
    return (*ends, end)


@attrs.frozen
class TierPeriod:
    """One period of a tier history.

    Attributes:
        end: the moment the account was classified at (the period's end).
        qualified: the tier the rules gave at that moment.
        tier: the tier held after damping (equal to *qualified* unless a
            demotion is still being waited out).
        score: the score at that moment.
    """

    end: datetime
    qualified: str
    tier: str
    score: float


@attrs.frozen
class TierHistory:
    """An account's tiers over time.

    Attributes:
        account_id: the account.
        periods: one entry per period, oldest first.
    """

    account_id: str
    periods: tuple[TierPeriod, ...]

    @property
    def current(self) -> str | None:
        """The tier held at the end of the last period."""
        return self.periods[-1].tier if self.periods else None

    def changes(self) -> tuple[TierPeriod, ...]:
        """The periods in which the held tier changed (the first period included)."""
        return tuple(
            period
            for index, period in enumerate(self.periods)
            if index == 0 or period.tier != self.periods[index - 1].tier
        )


def tier_history(
    classifier: Classifier, client: ClientFile, start: datetime, end: datetime
) -> TierHistory:
    """Classify *client* at the end of each period from *start* to *end*.

    Promotions take effect at once. A demotion waits until the account has
    qualified only for lower tiers for the rule set's ``history.demote_after``
    consecutive periods, and then goes to the best tier it qualified for in them.
    """
    policy = classifier.rules.history
    rank = classifier.rules.rank
    held: str | None = None
    below: list[str] = []
    periods = []
    for moment in period_ends(start, end, policy.period):
        result = classifier.classify(client, moment)
        qualified = result.tier
        if held is None or rank(qualified) <= rank(held):
            held, below = qualified, []
        else:
            below.append(qualified)
            if len(below) >= policy.demote_after:
                held, below = min(below, key=rank), []
        periods.append(TierPeriod(moment, qualified, held, result.score))
    return TierHistory(client.id, tuple(periods))
