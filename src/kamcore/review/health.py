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
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

import attrs

from kamcore.model import ClientFile
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


def _has_events(client: ClientFile, as_of: datetime) -> bool:
    # The client file is cut at the review's moment, not at *as_of* (the trend reads
    # 30 days earlier): only events up to *as_of* count as data.
    events = client.timeline.events
    return bool(events) and events[0].at <= as_of  # in time order: the first decides


def _contact(client: ClientFile, as_of: datetime, cadence_days: float) -> float | None:
    contacts = client.timeline.interactions(personal=True)  # in time order
    known = bisect.bisect_right(contacts, as_of, key=_AT)
    if not known:
        return 0.0 if _has_events(client, as_of) else None
    silent = (as_of - contacts[known - 1].at).total_seconds() / 86400
    return max(0.0, 1.0 - silent / (2 * cadence_days)) if cadence_days else 1.0


def _satisfaction(client: ClientFile, as_of: datetime) -> float | None:
    scores = [s.mean_score for s in client.timeline.surveys(None, as_of) if s.mean_score]
    return (scores[-1] - 1) / 4 if scores else None


def _purchases(client: ClientFile, as_of: datetime) -> float | None:
    year_start, quarter_start = as_of - _YEAR, as_of - _QUARTER
    # The transactions are in time order: each window is counted with a binary search.
    transactions = client.transactions
    end = bisect.bisect_right(transactions, as_of, key=_AT)
    in_year = end - bisect.bisect_right(transactions, year_start, key=_AT)
    if not in_year:
        return None
    recent = end - bisect.bisect_right(transactions, quarter_start, key=_AT)
    expected = in_year / 4
    return min(1.0, recent / expected)


def _complaints(client: ClientFile, as_of: datetime) -> float | None:
    if not _has_events(client, as_of):
        return None  # no timeline, so nothing is known about complaints either
    open_count = sum(
        1
        for state in client.timeline.complaints()
        if state.complaint.at <= as_of
        and not any(s.step == "resolved" and s.at <= as_of for s in state.steps)
    )
    return 1.0 / (1 + open_count)


def health_signals(
    context: ReviewContext, findings: Iterable[Finding] | None, as_of: datetime | None = None
) -> dict[str, float | None]:
    """Every signal of the account at *as_of* (default: the review's moment).

    *findings* ``None`` leaves the findings signal out.
    """
    moment = as_of or context.as_of
    client = context.client
    signals: dict[str, float | None] = {
        "contact": _contact(client, moment, context.standard.contact_cadence_days),
        "satisfaction": _satisfaction(client, moment),
        "purchases": _purchases(client, moment),
        "complaints": _complaints(client, moment),
    }
    if findings is not None:
        weight = sum(_FINDING_WEIGHT[f.severity] for f in findings)
        signals["findings"] = max(0.0, 1.0 - weight / 4)
    return signals


def _score(
    signals: Mapping[str, float | None], weights: Mapping[str, float], worst_of: bool
) -> float:
    present = {name: value for name, value in signals.items() if value is not None}
    if not present:
        return 100.0
    if worst_of:
        return 100 * min(present.values())
    total = sum(weights[name] for name in present)
    return 100 * sum(weights[name] * value for name, value in present.items()) / total


def account_health(
    context: ReviewContext,
    findings: Iterable[Finding],
    *,
    weights: Mapping[str, float] = SIGNAL_WEIGHTS,
    worst_of: bool = False,
) -> Health:
    """The health of the account in *context*, given its open *findings*."""
    signals = health_signals(context, tuple(findings))
    before = health_signals(context, None, context.as_of - _TREND_PERIOD)
    now_without_findings = {k: v for k, v in signals.items() if k != "findings"}
    unknown = all(v is None for v in before.values())
    trend = (
        None
        if unknown
        else _score(now_without_findings, weights, worst_of) - _score(before, weights, worst_of)
    )
    return Health(_score(signals, weights, worst_of), MappingProxyType(signals), trend)
