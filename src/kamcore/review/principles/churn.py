"""Churn early warning (003 §10): a risk score from falling purchases, falling
satisfaction, silence and open complaints.

:func:`churn_risk` is pure and public so that documentation and backtests can
compute the score the alert uses. Each signal runs from 0 (no sign of churn) to 1
(a strong one), or is ``None`` when the account has no data for it (no purchase
history, fewer than two surveys); missing signals are left out and the weights of
the others renormalised, so a missing signal never drags the risk to 0 or to 1.

The alert (``churn_risk``) is due three days after the moment the risk reached
the tier's alert score in the current run of high risk (:func:`alert_since`),
not three days after the review: while the risk stays at or above the alert
score the due time stays put from one review to the next, so an alert nobody
acts on climbs the escalation ladder. That moment is found from the account's
records alone: between two records (an event, a transaction, or a transaction
entering or leaving a purchase window) only silence changes the risk, and it
only grows, so the run is walked back record by record and the crossing inside
the first quiet stretch is found to the second. The risk is recomputed with the
review's tier standard and settings; if those change, so may the due time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Final

import attrs

from kamcore.classification import CurrencyTable
from kamcore.model import Transaction
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple
from kamcore.review.principles._known import last_or_known
from kamcore.review.principles.satisfaction import survey_trend

__all__ = [
    "CHURN_SIGNALS",
    "CHURN_WARNING",
    "CHURN_WEIGHTS",
    "CRITICAL_RISK",
    "alert_since",
    "churn_risk",
]

CHURN_SIGNALS: Final = (
    "purchase_frequency",
    "purchase_amount",
    "satisfaction",
    "silence",
    "complaints",
)
"""The signals of the churn risk, in the order they are reported."""

CHURN_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {**dict.fromkeys(CHURN_SIGNALS, 1.0), "purchase_frequency": 2.0, "purchase_amount": 2.0}
)
"""Default weight of each signal. Purchases count double: a client that stops buying
altogether is at risk even while it still answers surveys and takes calls (the
sample portfolio's backtest, docs/review.md)."""

CRITICAL_RISK: Final = 0.8
"""From this risk on the alert is ``critical`` rather than a ``violation``."""

_YEAR: Final = timedelta(days=365)
_ACT_WITHIN: Final = timedelta(days=3)
_CROSSING_RESOLUTION: Final = timedelta(seconds=1)
_TOP_SIGNALS: Final = 3


def _windows(
    transactions: Sequence[Transaction], as_of: datetime, window: timedelta
) -> tuple[list[Transaction], list[Transaction], float]:
    """Transactions of the recent window, of the year before it, and their length ratio."""
    recent_start = as_of - window
    recent = [t for t in transactions if recent_start < t.at <= as_of]
    baseline = [t for t in transactions if recent_start - _YEAR < t.at <= recent_start]
    return recent, baseline, window / _YEAR


def _frequency_drop(
    recent: Sequence[Transaction], baseline: Sequence[Transaction], scale: float
) -> float | None:
    expected = sum(1 for t in baseline if t.amount > 0) * scale
    if expected <= 0:
        return None
    actual = sum(1 for t in recent if t.amount > 0)
    return max(0.0, 1.0 - actual / expected)


def _in_base(transaction: Transaction, money: CurrencyTable | None) -> tuple[str, Decimal]:
    """The transaction's amount in the base currency where the rule set has a rate,
    else in its own currency; so a currency switch (BGN to EUR) is not a drop."""
    if money is None:
        return transaction.currency, transaction.amount
    if transaction.currency == money.base:
        return money.base, transaction.amount
    rate = money.rates.get(transaction.currency)
    if rate is None:
        return transaction.currency, transaction.amount
    return money.base, transaction.amount / rate


def _amount_drop(
    recent: Sequence[Transaction],
    baseline: Sequence[Transaction],
    scale: float,
    money: CurrencyTable | None,
) -> float | None:
    # Amounts never mix currencies without a rate: each currency is compared with
    # itself, and the currencies are weighted by their purchases in the baseline year.
    if scale <= 0:
        return None
    before: defaultdict[str, Decimal] = defaultdict(Decimal)
    now: defaultdict[str, Decimal] = defaultdict(Decimal)
    purchases: defaultdict[str, int] = defaultdict(int)
    for t in baseline:
        currency, amount = _in_base(t, money)
        before[currency] += amount
        if t.amount > 0:
            purchases[currency] += 1
    for t in recent:
        currency, amount = _in_base(t, money)
        now[currency] += amount
    drops = {
        currency: min(1.0, max(0.0, 1.0 - float(now[currency]) / (float(total) * scale)))
        for currency, total in before.items()
        if total > 0
    }
    weight = sum(purchases[currency] for currency in drops)
    if not weight:
        return None
    return sum(drop * purchases[currency] for currency, drop in drops.items()) / weight


def _satisfaction_fall(context: ReviewContext) -> float | None:
    trend = survey_trend(context.client.timeline)
    if trend is None:
        return None
    fall = max(0.0, -trend.change)
    threshold = context.standard.satisfaction_drop
    # A fall the satisfaction principle reports (the tier's threshold) is the whole signal.
    if threshold <= 0:
        return 1.0 if fall > 0 else 0.0
    return min(1.0, fall / threshold)


def _silence_anchor(context: ReviewContext) -> tuple[datetime, tuple[str, ...]] | None:
    last = context.client.timeline.last_contact(personal=True)
    return last_or_known(context.client, context.as_of, last)


def _silence(context: ReviewContext) -> float | None:
    anchor = _silence_anchor(context)
    cadence = context.standard.contact_cadence_days
    if anchor is None or cadence <= 0:
        return None
    days = (context.as_of - anchor[0]).total_seconds() / 86400
    return min(1.0, days / (2 * cadence))


def _open_complaints(context: ReviewContext) -> float | None:
    timeline = context.client.timeline
    if not timeline.events:
        return None
    return 1.0 - 1.0 / (1 + len(timeline.open_complaints()))


def churn_risk(
    context: ReviewContext, weights: Mapping[str, float] = CHURN_WEIGHTS
) -> tuple[float | None, dict[str, float | None]]:
    """The churn risk of the account in *context*, and the signals it is made of.

    Signals, each from 0 (no sign of churn) to 1, or ``None`` when missing:

    - ``purchase_frequency``: the drop of the number of purchases in the last
      ``settings.churn_window_days`` against the same-length average of the 365
      days before that window; missing without purchases in those 365 days.
    - ``purchase_amount``: the same drop in money, per currency (net of refunds),
      the currencies weighted by their number of purchases; amounts are converted
      with the rule set's rates (``context.currency``) where it has one, and
      otherwise never added across currencies.
    - ``satisfaction``: the fall of the latest survey's mean score below the mean
      of the year before it, as a share of the tier's ``satisfaction_drop`` (capped at 1);
      missing without two scored surveys.
    - ``silence``: days since the last personal contact (or, without one, since the
      account is known) over twice the tier's contact cadence, capped at 1.
    - ``complaints``: ``1 - 1/(1 + open complaints)``.

    Args:
        context: the account as of the review.
        weights: the weight of each signal; signals without a weight are left out.

    Returns:
        ``(risk, signals)``: the weighted mean of the signals present (0-1), or
        ``None`` when every signal is missing; and every signal by name.
    """
    recent, baseline, scale = _windows(
        context.client.transactions,
        context.as_of,
        timedelta(days=context.settings.churn_window_days),
    )
    signals: dict[str, float | None] = {
        "purchase_frequency": _frequency_drop(recent, baseline, scale),
        "purchase_amount": _amount_drop(recent, baseline, scale, context.currency),
        "satisfaction": _satisfaction_fall(context),
        "silence": _silence(context),
        "complaints": _open_complaints(context),
    }
    present = {
        name: value
        for name, value in signals.items()
        if value is not None and weights.get(name, 0.0) > 0
    }
    if not present:
        return None, signals
    total = sum(weights[name] for name in present)
    return sum(weights[name] * value for name, value in present.items()) / total, signals


def _at_alert(context: ReviewContext, moment: datetime) -> bool:
    """Whether the risk was at or above the alert score at *moment* (not after ``as_of``)."""
    earlier = attrs.evolve(context, client=context.client.as_of(moment), as_of=moment)
    risk, _ = churn_risk(earlier)
    return risk is not None and risk >= context.standard.churn_alert_score


def _record_moments(context: ReviewContext) -> list[datetime]:
    """The moments before ``as_of`` at which a signal other than silence can change, newest first.

    A signal changes only when a record appears (an event or a transaction), when a
    transaction enters the baseline year or leaves it, and, for silence without
    any contact, when the account becomes known (``client_since``).
    """
    client, as_of = context.client, context.as_of
    window = timedelta(days=context.settings.churn_window_days)
    moments = {event.at for event in client.timeline.events}
    for transaction in client.transactions:
        moments |= {transaction.at, transaction.at + window, transaction.at + window + _YEAR}
    since = client.account.client_since
    if since is not None:
        moments.add(datetime.combine(since, time(), tzinfo=as_of.tzinfo))
    return sorted((moment for moment in moments if moment < as_of), reverse=True)


def _first_at_alert(context: ReviewContext, start: datetime, end: datetime) -> datetime:
    """The first whole second after *start* the risk is at the alert score, or *end*.

    Between *start* (below the alert score) and *end* (at it) the records do not
    change, so the risk only grows with silence and a bisection finds the crossing.
    Counting whole seconds from *start* makes the answer the same however late *end* is.
    """
    # Seconds are counted in UTC: adding to a zoned time adds wall-clock time,
    # an hour off across a clock change.
    origin = start.astimezone(UTC)
    low, high = 0, -(-(end - origin) // _CROSSING_RESOLUTION)

    def at_alert(second: int) -> bool:
        moment = origin + second * _CROSSING_RESOLUTION
        return moment >= end or _at_alert(context, moment)

    # The risk only grows in the stretch, so the first second at the alert score is
    # the one where the check holds and failed a second before. The silence that
    # reaches the score gives that second directly in the usual case (two checks
    # instead of a bisection's twenty-odd); the bisection finds it otherwise.
    guess = _silence_crossing(context, start, origin)
    if guess is None:
        guess = high  # silence cannot do it: the risk rises at the next record
    if low < guess <= high and at_alert(guess) and not at_alert(guess - 1):
        low, high = guess - 1, guess
    while high - low > 1:
        middle = (low + high) // 2
        moment = origin + middle * _CROSSING_RESOLUTION
        if moment < end and not _at_alert(context, moment):
            low = middle
        else:
            high = middle
    crossing = origin + high * _CROSSING_RESOLUTION
    return end if crossing >= end else crossing.astimezone(start.tzinfo)


def _silence_crossing(context: ReviewContext, start: datetime, origin: datetime) -> int | None:
    """The whole second after *origin* when silence alone lifts the risk to the alert score.

    A guess for :func:`_first_at_alert`, which checks it: between *start* and the
    next record every signal but silence stays as it is at *start*, and silence
    grows linearly until it is capped. ``None`` when silence cannot lift the risk
    to the score (it is missing, has no weight, or is not enough even capped), or
    when the signals at *start* are already enough (then the check fails and the
    bisection decides).
    """
    earlier = attrs.evolve(context, client=context.client.as_of(start), as_of=start)
    _, signals = churn_risk(earlier)
    anchor = _silence_anchor(earlier)
    weight = CHURN_WEIGHTS.get("silence", 0.0)
    cadence = context.standard.contact_cadence_days
    if signals["silence"] is None or anchor is None or weight <= 0 or cadence <= 0:
        return None
    present = {
        name: value
        for name, value in signals.items()
        if value is not None and CHURN_WEIGHTS.get(name, 0.0) > 0
    }
    total = sum(CHURN_WEIGHTS[name] for name in present)
    others = sum(
        CHURN_WEIGHTS[name] * value for name, value in present.items() if name != "silence"
    )
    needed = (context.standard.churn_alert_score * total - others) / weight
    if not 0 <= needed <= 1:
        return None
    crossing = anchor[0] + timedelta(days=needed * 2 * cadence)
    return math.ceil((crossing - origin) / _CROSSING_RESOLUTION)


def alert_since(context: ReviewContext) -> datetime:
    """When the risk reached the alert score in the run of high risk that ``as_of`` is in.

    A pure function of the account's records up to ``as_of`` (and the review's tier
    standard and settings): a later review of the same situation gives the same
    moment. The run is walked back from ``as_of`` one record moment at a time
    (see :func:`churn_risk` for what changes a signal) while the risk stays at the
    alert score; inside the quiet stretch where it was first reached, the crossing
    is found to the second.

    Args:
        context: the account as of the review, its risk at or above the tier's
            ``churn_alert_score``.

    Returns:
        The first moment of the current run of high risk; ``as_of`` itself when
        the risk is not at the alert score at ``as_of``.
    """
    since = context.as_of
    if not _at_alert(context, since):
        return since
    for moment in _record_moments(context):
        if not _at_alert(context, moment):
            return _first_at_alert(context, moment, since)
        since = moment
    return since


def _evidence(context: ReviewContext, signals: Mapping[str, float | None]) -> tuple[str, ...]:
    timeline = context.client.timeline
    ids: list[str] = []
    if signals["complaints"]:
        ids += [state.complaint.id for state in timeline.open_complaints()]
    anchor = _silence_anchor(context)
    if signals["silence"] and anchor is not None:
        ids += anchor[1]
    trend = survey_trend(timeline)
    if signals["satisfaction"] and trend is not None:
        ids.append(trend.latest.id)
    if (
        signals["purchase_frequency"] or signals["purchase_amount"]
    ) and context.client.transactions:
        ids.append(context.client.transactions[-1].id)
    return tuple(dict.fromkeys(ids))


def _churn_warning(context: ReviewContext) -> Iterator[Finding]:
    risk, signals = churn_risk(context)
    if risk is None or risk < context.standard.churn_alert_score:
        return
    ranked = sorted(
        ((CHURN_WEIGHTS[name] * value, name) for name, value in signals.items() if value),
        key=lambda pair: (-pair[0], CHURN_SIGNALS.index(pair[1])),
    )
    yield context.finding(
        principle="churn_warning",
        code="churn_risk",
        severity="critical" if risk >= CRITICAL_RISK else "violation",
        params={
            "top_signals": tuple(name for _, name in ranked[:_TOP_SIGNALS]),
            "window_days": context.settings.churn_window_days,
        },
        evidence=_evidence(context, signals),
        values={
            "risk": round(risk, 3),
            "alert_score": context.standard.churn_alert_score,
            **{name: None if value is None else round(value, 3) for name, value in signals.items()},
        },
        action="retention_plan",
        due=alert_since(context) + _ACT_WITHIN,
    )


CHURN_WARNING = SimplePrinciple(
    "churn_warning",
    "Churn early warning",
    {
        "churn_risk": "falling purchases or satisfaction, silence and open complaints add up to a "
        "churn risk at or above the tier's alert score: agree a retention plan and act on its "
        "top signals",
    },
    _churn_warning,
)
