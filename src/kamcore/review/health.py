"""Account health: 0-100, **higher is healthier**, from weighted signals.

Each signal is a number from 0 (bad) to 1 (good), or missing when the account
has no data for it (no survey yet, no purchase history; no event at all for
contact and complaints). Missing signals are
left out and the weights of the others are normalised, so a missing signal never
counts as zero. ``worst_of`` takes the weakest signal instead of the weighted mean.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import attrs

from kamcore.model import (
    ClientFile,
    ComplaintState,
    Event,
    Interaction,
    SurveyResponse,
    Transaction,
)
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext

__all__ = ["SIGNAL_WEIGHTS", "Health", "account_health", "health_signals"]

SIGNAL_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"contact": 1.0, "satisfaction": 1.0, "purchases": 1.0, "complaints": 1.0, "findings": 2.0}
)
"""Default weight of each signal."""

_FINDING_WEIGHT: Final = {"info": 0.0, "warning": 0.5, "violation": 1.0, "critical": 2.0}
_TREND_PERIOD: Final = timedelta(days=30)
_YEAR: Final = timedelta(days=365)
_QUARTER: Final = timedelta(days=90)
_AT: Final = operator.attrgetter("at")
_SEVERITY: Final = operator.attrgetter("severity")


@attrs.frozen
class Health:
    """An account's health.

    Attributes:
        score: 0-100, higher is healthier.
        signals: each signal's value (0-1), ``None`` where it is missing.
        trend: the change of the score (without the findings signal, which needs
            a full review) against 30 days earlier; ``None`` if unknown.
    """

    score: float
    signals: Mapping[str, float | None]
    trend: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "score": round(self.score, 1),
            "higher_is_healthier": True,
            "signals": {k: None if v is None else round(v, 3) for k, v in self.signals.items()},
            "trend": None if self.trend is None else round(self.trend, 1),
        }


class _Records(NamedTuple):
    """What the signals read from an account's file, fetched once for every moment.

    All in time order. The file is cut at the review's moment, not at the moment
    a signal is taken at (the trend reads 30 days earlier), so each signal reads
    only the records up to its moment.
    """

    events: Sequence[Event]
    contacts: Sequence[Interaction]  # the personal ones
    surveys: Sequence[SurveyResponse]
    transactions: Sequence[Transaction]
    complaints: Sequence[ComplaintState]


def _records(client: ClientFile) -> _Records:
    timeline = client.timeline
    return _Records(
        timeline.events,
        timeline.interactions(personal=True),
        timeline.surveys(),
        client.transactions,
        timeline.complaints(),
    )


def _contact(
    contacts: Sequence[Interaction], as_of: datetime, cadence_days: float, has_events: bool
) -> float | None:
    known = bisect.bisect_right(contacts, as_of, key=_AT)
    if not known:
        return 0.0 if has_events else None
    silent = (as_of - contacts[known - 1].at).total_seconds() / 86400
    return max(0.0, 1.0 - silent / (2 * cadence_days)) if cadence_days else 1.0


def _satisfaction(surveys: Sequence[SurveyResponse], as_of: datetime) -> float | None:
    # The latest survey with a score up to *as_of* decides: read back from there.
    for index in range(bisect.bisect_right(surveys, as_of, key=_AT) - 1, -1, -1):
        score = surveys[index].mean_score
        if score:
            return (score - 1) / 4
    return None


def _purchases(transactions: Sequence[Transaction], as_of: datetime) -> float | None:
    # The transactions are in time order: each window is counted with a binary
    # search, each within the one before (the quarter ends the year).
    end = bisect.bisect_right(transactions, as_of, key=_AT)
    year = bisect.bisect_right(transactions, as_of - _YEAR, hi=end, key=_AT)
    in_year = end - year
    if not in_year:
        return None
    recent = end - bisect.bisect_right(transactions, as_of - _QUARTER, lo=year, hi=end, key=_AT)
    expected = in_year / 4
    return min(1.0, recent / expected)


def _complaints(complaints: Sequence[ComplaintState], as_of: datetime) -> float:
    open_count = 0
    for state in complaints:
        if state.complaint.at > as_of:
            continue
        for step in state.steps:
            if step.step == "resolved" and step.at <= as_of:
                break
        else:  # not resolved by then
            open_count += 1
    return 1.0 / (1 + open_count)


def _signals_at(records: _Records, as_of: datetime, cadence_days: float) -> dict[str, float | None]:
    """The signals read from the account's records, at *as_of*."""
    # Only events up to *as_of* count as data; in time order, the first decides.
    has_events = bool(records.events) and records.events[0].at <= as_of
    return {
        "contact": _contact(records.contacts, as_of, cadence_days, has_events),
        "satisfaction": _satisfaction(records.surveys, as_of),
        "purchases": _purchases(records.transactions, as_of),
        # No timeline, so nothing is known about complaints either.
        "complaints": _complaints(records.complaints, as_of) if has_events else None,
    }


def _findings_signal(findings: Iterable[Finding]) -> float:
    weight = sum(map(_FINDING_WEIGHT.__getitem__, map(_SEVERITY, findings)))
    return max(0.0, 1.0 - weight / 4)


def health_signals(
    context: ReviewContext, findings: Iterable[Finding] | None, as_of: datetime | None = None
) -> dict[str, float | None]:
    """Every signal of the account at *as_of* (default: the review's moment).

    *findings* ``None`` leaves the findings signal out.
    """
    signals = _signals_at(
        _records(context.client), as_of or context.as_of, context.standard.contact_cadence_days
    )
    if findings is not None:
        signals["findings"] = _findings_signal(findings)
    return signals


def _present(signals: Mapping[str, float | None]) -> tuple[list[str], list[float]]:
    """The names and values of the signals that are not missing, in signal order."""
    names, values = [], []
    for name, value in signals.items():
        if value is not None:
            names.append(name)
            values.append(value)
    return names, values


def _score(
    names: list[str], values: list[float], weights: Mapping[str, float], worst_of: bool
) -> float:
    """The score of the present signals *names* with their *values*."""
    if not values:
        return 100.0
    if worst_of:
        return 100 * min(values)
    value_weights = list(map(weights.__getitem__, names))
    weighted: float = sum(map(operator.mul, value_weights, values))
    return 100 * weighted / sum(value_weights)


def account_health(
    context: ReviewContext,
    findings: Iterable[Finding],
    *,
    weights: Mapping[str, float] = SIGNAL_WEIGHTS,
    worst_of: bool = False,
) -> Health:
    """The health of the account in *context*, given its open *findings*."""
    # The records are fetched once for both moments the signals are taken at, and
    # the signals present now are found once for the score and the trend.
    records = _records(context.client)
    cadence_days = context.standard.contact_cadence_days
    now = _signals_at(records, context.as_of, cadence_days)
    findings_signal = _findings_signal(findings)
    before = _present(_signals_at(records, context.as_of - _TREND_PERIOD, cadence_days))
    names, values = _present(now)
    score = _score([*names, "findings"], [*values, findings_signal], weights, worst_of)
    trend = (
        _score(names, values, weights, worst_of) - _score(*before, weights, worst_of)
        if before[1]
        else None
    )
    now["findings"] = findings_signal  # a dict of its own: read-only from here on
    return Health(score, MappingProxyType(now), trend)
