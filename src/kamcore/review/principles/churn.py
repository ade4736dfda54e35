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

:func:`churn_risk` reads the account as of the review, as the definition says.
The alert asks for the risk at the review and at a dozen earlier moments; it
reads them from :class:`_ChurnFacts`, the same records gathered once per account
in time order, so that the risk at a moment is a few bisections instead of a cut
of the file. Both feed the same signal functions with the same records in the
same order, so they give the same floats (``tests/test_churn_facts.py`` checks
it at random moments).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Final

import attrs

from kamcore.classification import CurrencyTable
from kamcore.model import Interaction, Transaction
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple
from kamcore.review.principles._known import last_or_known
from kamcore.review.principles.satisfaction import SurveyTrend, survey_trend

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
_NO_AMOUNT: Final = Decimal()

_Signals = dict[str, float | None]
_Values = tuple[float | None, float | None, float | None, float | None, float | None]
"""The signals' values in the order of :data:`CHURN_SIGNALS`."""

_DEFAULT_WEIGHTS: Final = tuple(CHURN_WEIGHTS[name] for name in CHURN_SIGNALS)
""":data:`CHURN_WEIGHTS` in the order of :data:`CHURN_SIGNALS`."""
_SILENCE: Final = CHURN_SIGNALS.index("silence")

# ---------------------------------------------------------------------------
# The signals, each from the records it reads
# ---------------------------------------------------------------------------


_Priced = tuple[str, Decimal, bool]
"""A transaction as the amount signal reads it: its currency and amount after
:func:`_in_base`, and whether it is a purchase (not a refund)."""


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


def _priced(transactions: Iterable[Transaction], money: CurrencyTable | None) -> list[_Priced]:
    return [(*_in_base(t, money), t.amount > 0) for t in transactions]


def _amount_drop(
    recent: Iterable[_Priced], baseline: Iterable[_Priced], scale: float
) -> float | None:
    # Amounts never mix currencies without a rate: each currency is compared with
    # itself, and the currencies are weighted by their purchases in the baseline year.
    if scale <= 0:
        return None
    # Every sum starts at Decimal 0 (as a defaultdict(Decimal) would): the same additions
    # in the same order, so the same rounding for amounts longer than the context's precision.
    before: dict[str, Decimal] = {}
    purchases: dict[str, int] = {}
    for currency, amount, purchase in baseline:
        before[currency] = before.get(currency, _NO_AMOUNT) + amount
        purchases[currency] = purchases.get(currency, 0) + purchase
    now: dict[str, Decimal] = {}
    for currency, amount, _ in recent:
        now[currency] = now.get(currency, _NO_AMOUNT) + amount
    drops = {
        currency: min(
            1.0, max(0.0, 1.0 - float(now.get(currency, _NO_AMOUNT)) / (float(total) * scale))
        )
        for currency, total in before.items()
        if total > 0
    }
    weight = sum(purchases[currency] for currency in drops)
    if not weight:
        return None
    return sum(drop * purchases[currency] for currency, drop in drops.items()) / weight


def _satisfaction_fall(trend: SurveyTrend | None, threshold: float) -> float | None:
    if trend is None:
        return None
    fall = max(0.0, -trend.change)
    # A fall the satisfaction principle reports (the tier's threshold) is the whole signal.
    if threshold <= 0:
        return 1.0 if fall > 0 else 0.0
    return min(1.0, fall / threshold)


def _silence_anchor(context: ReviewContext) -> tuple[datetime, tuple[str, ...]] | None:
    last = context.client.timeline.last_contact(personal=True)
    return last_or_known(context.client, context.as_of, last)


def _silence(
    anchor: tuple[datetime, tuple[str, ...]] | None, as_of: datetime, cadence: float
) -> float | None:
    if anchor is None or cadence <= 0:
        return None
    days = (as_of - anchor[0]).total_seconds() / 86400
    return min(1.0, days / (2 * cadence))


def _open_complaints(any_event: bool, open_complaints: int) -> float | None:
    if not any_event:
        return None
    return 1.0 - 1.0 / (1 + open_complaints)


def _weighted_risk(values: Sequence[float | None], weights: Sequence[float]) -> float | None:
    """The weighted mean of the signals present (``None`` when there is none).

    Both in the order of :data:`CHURN_SIGNALS`: the alert asks for the risk at many
    moments, and pairs by position need no signal names looked up.
    """
    present = [
        (weight, value)
        for weight, value in zip(weights, values, strict=True)
        if value is not None and weight > 0
    ]
    if not present:
        return None
    total = sum([weight for weight, _ in present])
    return sum([weight * value for weight, value in present]) / total


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
    timeline = context.client.timeline
    recent, baseline, scale = _windows(
        context.client.transactions,
        context.as_of,
        timedelta(days=context.settings.churn_window_days),
    )
    signals: _Signals = {
        "purchase_frequency": _frequency_drop(recent, baseline, scale),
        "purchase_amount": _amount_drop(
            _priced(recent, context.currency), _priced(baseline, context.currency), scale
        ),
        "satisfaction": _satisfaction_fall(
            survey_trend(timeline), context.standard.satisfaction_drop
        ),
        "silence": _silence(
            _silence_anchor(context), context.as_of, context.standard.contact_cadence_days
        ),
        "complaints": _open_complaints(bool(timeline.events), len(timeline.open_complaints())),
    }
    in_order = tuple(weights.get(name, 0.0) for name in CHURN_SIGNALS)
    return _weighted_risk(tuple(signals.values()), in_order), signals


# ---------------------------------------------------------------------------
# The risk at earlier moments, from records gathered once
# ---------------------------------------------------------------------------


_State = tuple[int, int, int, int, int, int, bool]
"""What is known at a moment: where the baseline year and the recent window start
and end among the transactions, how many surveys, complaints and resolutions
there are, and whether there is any event."""

_StateSignals = tuple[float | None, float | None, float | None, float | None]
"""The signals that depend on the state alone: purchase frequency and amount,
satisfaction and complaints."""


@attrs.frozen(kw_only=True)
class _ChurnFacts:
    """The records :func:`churn_risk` reads, in time order, to ask for the risk at any moment.

    ``facts.signals_at(moment)`` are the signals :func:`churn_risk` gives for the
    same review cut at *moment* (``client.as_of(moment)``, ``as_of=moment``), for
    any moment up to the review. Why this is fast: what is known at a moment is a
    prefix of each list, found by bisection, and a purchase window is a slice;
    nothing is cut or copied. Those positions are the state of the account at the
    moment, and every signal but silence depends on the state alone, so it is
    computed once per state: a walk back through time meets the same state again
    and again (inside a quiet stretch only silence changes). The same signal
    functions read the same records in the same order, so the floats are the same.

    Attributes:
        context: the review, for its tier standard, settings and rates.
        window: the recent purchase window.
        transactions: the transactions, oldest first.
        transaction_times: when each of them happened.
        priced: their amounts as the amount signal compares them.
        first_event_at: the first timeline event's time, ``None`` without events.
        contacts: the personal interactions, oldest first.
        contact_times: when each of them happened.
        survey_times: when each survey was answered, oldest first.
        complaints_opened: when each complaint came in, in time order.
        complaints_resolved: when each resolved complaint was first resolved, in time order.
    """

    context: ReviewContext
    window: timedelta
    transactions: tuple[Transaction, ...]
    transaction_times: tuple[datetime, ...]
    priced: tuple[_Priced, ...]
    first_event_at: datetime | None
    contacts: tuple[Interaction, ...]
    contact_times: tuple[datetime, ...]
    survey_times: tuple[datetime, ...]
    complaints_opened: tuple[datetime, ...]
    complaints_resolved: tuple[datetime, ...]
    # Signals other than silence, by state (see _state_at), kept as they are computed.
    _by_state: dict[_State, _StateSignals] = attrs.field(init=False, factory=dict)
    _trends: dict[int, SurveyTrend | None] = attrs.field(init=False, factory=dict)

    @classmethod
    def of(cls, context: ReviewContext) -> _ChurnFacts:
        """The facts of the account in *context*."""
        client, timeline = context.client, context.client.timeline
        contacts = timeline.interactions(personal=True)
        complaints = timeline.complaints()
        resolved = (state.reached("resolved") for state in complaints)
        return cls(
            context=context,
            window=timedelta(days=context.settings.churn_window_days),
            transactions=client.transactions,
            transaction_times=tuple(t.at for t in client.transactions),
            priced=tuple(_priced(client.transactions, context.currency)),
            first_event_at=timeline.events[0].at if timeline.events else None,
            contacts=contacts,
            contact_times=tuple(contact.at for contact in contacts),
            survey_times=tuple(survey.at for survey in timeline.surveys()),
            complaints_opened=tuple(state.complaint.at for state in complaints),
            complaints_resolved=tuple(sorted(step.at for step in resolved if step is not None)),
        )

    def signals_at(self, moment: datetime) -> _Signals:
        """The signals of :func:`churn_risk` at *moment* (no later than the review)."""
        return dict(zip(CHURN_SIGNALS, self.values_at(moment), strict=True))

    def values_at(self, moment: datetime) -> _Values:
        """The values of :meth:`signals_at`, in the order of :data:`CHURN_SIGNALS`."""
        state = self._state_at(moment)
        known = self._by_state.get(state)
        if known is None:
            known = self._by_state[state] = self._state_signals(state, moment)
        frequency, amount, satisfaction, complaints = known
        cadence = self.context.standard.contact_cadence_days
        silence = _silence(self.anchor_at(moment), moment, cadence)
        return frequency, amount, satisfaction, silence, complaints

    def at_alert(self, moment: datetime) -> bool:
        """Whether the risk (default weights) is at or above the alert score at *moment*."""
        risk = _weighted_risk(self.values_at(moment), _DEFAULT_WEIGHTS)
        return risk is not None and risk >= self.context.standard.churn_alert_score

    def anchor_at(self, moment: datetime) -> tuple[datetime, tuple[str, ...]] | None:
        """Where silence is counted from at *moment*, and the evidence for it."""
        known = bisect.bisect_right(self.contact_times, moment)
        if known:
            return last_or_known(self.context.client, moment, self.contacts[known - 1])
        # Without a contact the clock starts when the account became known, which
        # depends on what was recorded by *moment*: ask the file as it was then.
        return last_or_known(self.context.client.as_of(moment), moment, None)

    def trend_at(self, moment: datetime) -> SurveyTrend | None:
        """The survey trend at *moment*, as :func:`survey_trend` gives it for the timeline then."""
        known = bisect.bisect_right(self.survey_times, moment)
        if known not in self._trends:
            # survey_trend reads the surveys alone: the trend is the same for every
            # moment with the same surveys known, and the timeline needs a cut only
            # when a later survey is in it.
            timeline = self.context.client.timeline
            if known < len(self.survey_times):
                timeline = timeline.as_of(moment)
            self._trends[known] = survey_trend(timeline)
        return self._trends[known]

    def quiet(self, start: datetime, end: datetime) -> bool:
        """Whether no record changes what is known from *start* to *end* (UTC moments).

        Every count of the state and the number of contacts only grow with time,
        so the same counts at both ends mean the same counts all the way.
        """
        return self._state_at(start) == self._state_at(end) and bisect.bisect_right(
            self.contact_times, start
        ) == bisect.bisect_right(self.contact_times, end)

    def _state_at(self, moment: datetime) -> _State:
        # The windows of _windows are (start, end] spans of the time-ordered
        # transactions: slices between bisections.
        recent_start = moment - self.window
        times = self.transaction_times
        return (
            bisect.bisect_right(times, recent_start - _YEAR),
            bisect.bisect_right(times, recent_start),
            bisect.bisect_right(times, moment),
            bisect.bisect_right(self.survey_times, moment),
            bisect.bisect_right(self.complaints_opened, moment),
            bisect.bisect_right(self.complaints_resolved, moment),
            self.first_event_at is not None and self.first_event_at <= moment,
        )

    def _state_signals(self, state: _State, moment: datetime) -> _StateSignals:
        first_baseline, first_recent, end, _, opened, resolved, any_event = state
        scale = self.window / _YEAR
        return (
            _frequency_drop(
                self.transactions[first_recent:end],
                self.transactions[first_baseline:first_recent],
                scale,
            ),
            _amount_drop(
                self.priced[first_recent:end], self.priced[first_baseline:first_recent], scale
            ),
            _satisfaction_fall(self.trend_at(moment), self.context.standard.satisfaction_drop),
            _open_complaints(any_event, opened - resolved),
        )


# ---------------------------------------------------------------------------
# When the current run of high risk began
# ---------------------------------------------------------------------------


def _record_moments(context: ReviewContext) -> Iterator[datetime]:
    """The moments before ``as_of`` at which a signal other than silence can change, newest first.

    A signal changes only when a record appears (an event or a transaction), when a
    transaction enters the baseline year or leaves it, and, for silence without
    any contact, when the account becomes known (``client_since``). Each instant
    comes once, written as the first record listed gives it (the events, then each
    transaction with its two window edges, then ``client_since``).
    """
    client, as_of = context.client, context.as_of
    window = timedelta(days=context.settings.churn_window_days)
    beyond = window + _YEAR
    moments = [event.at for event in client.timeline.events]
    for transaction in client.transactions:
        moments += (transaction.at, transaction.at + window, transaction.at + beyond)
    since = client.account.client_since
    if since is not None:
        moments.append(datetime.combine(since, time(), tzinfo=as_of.tzinfo))
    # Why a sorted list and not a set: hashing an aware datetime asks its time zone
    # for the offset. The sort is stable, so of the moments at one instant the one
    # listed first comes first; repeats are skipped as the walk goes, and it
    # usually stops after a few moments.
    moments.sort()
    newer = bisect.bisect_left(moments, as_of)
    while newer:
        first = newer - 1
        while first and moments[first - 1] == moments[first]:
            first -= 1
        yield moments[first]
        newer = first


def _first_at_alert(facts: _ChurnFacts, start: datetime, end: datetime) -> datetime:
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
        return moment >= end or facts.at_alert(moment)

    # The risk only grows in the stretch, so the first second at the alert score is
    # the one where the check holds and failed a second before. The silence that
    # reaches the score gives that second directly in the usual case (two checks
    # instead of a bisection's twenty-odd); the bisection finds it otherwise. When
    # silence cannot do it, or only after *end*, the risk rises at the next record:
    # *end* is the answer if the last second before it is below the score. (After
    # *end* only when no record changes anything over the seconds the bisection would
    # try: then the risk only grows over them, and the bisection finds *end* too.)
    guess = _silence_crossing(facts, start, origin)
    last_try = origin + (high - 1) * _CROSSING_RESOLUTION
    if guess is None or (guess > high and facts.quiet(origin + _CROSSING_RESOLUTION, last_try)):
        guess = high
    if low < guess <= high and at_alert(guess) and not at_alert(guess - 1):
        low, high = guess - 1, guess
    while high - low > 1:
        middle = (low + high) // 2
        moment = origin + middle * _CROSSING_RESOLUTION
        if moment < end and not facts.at_alert(moment):
            low = middle
        else:
            high = middle
    crossing = origin + high * _CROSSING_RESOLUTION
    return end if crossing >= end else crossing.astimezone(start.tzinfo)


def _silence_crossing(facts: _ChurnFacts, start: datetime, origin: datetime) -> int | None:
    """The whole second after *origin* when silence alone lifts the risk to the alert score.

    A guess for :func:`_first_at_alert`, which checks it: between *start* and the
    next record every signal but silence stays as it is at *start*, and silence
    grows linearly until it is capped. ``None`` when silence cannot lift the risk
    to the score (it is missing, has no weight, or is not enough even capped), or
    when the signals at *start* are already enough (then the check fails and the
    bisection decides).
    """
    values = facts.values_at(start)
    anchor = facts.anchor_at(start)
    weight = _DEFAULT_WEIGHTS[_SILENCE]
    standard = facts.context.standard
    cadence = standard.contact_cadence_days
    if values[_SILENCE] is None or anchor is None or weight <= 0 or cadence <= 0:
        return None
    present = [
        (index, signal_weight, value)
        for index, (signal_weight, value) in enumerate(zip(_DEFAULT_WEIGHTS, values, strict=True))
        if value is not None and signal_weight > 0
    ]
    total = sum(signal_weight for _, signal_weight, _ in present)
    others = sum(
        signal_weight * value for index, signal_weight, value in present if index != _SILENCE
    )
    needed = (standard.churn_alert_score * total - others) / weight
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
    facts = _ChurnFacts.of(context)
    if not facts.at_alert(context.as_of):
        return context.as_of
    return _alert_since(facts)


def _alert_since(facts: _ChurnFacts) -> datetime:
    """:func:`alert_since` for an account whose risk is at the alert score at the review."""
    since = facts.context.as_of
    for moment in _record_moments(facts.context):
        if not facts.at_alert(moment):
            return _first_at_alert(facts, moment, since)
        since = moment
    return since


def _evidence(facts: _ChurnFacts, signals: _Signals) -> tuple[str, ...]:
    context = facts.context
    ids: list[str] = []
    if signals["complaints"]:
        ids += [state.complaint.id for state in context.client.timeline.open_complaints()]
    anchor = facts.anchor_at(context.as_of)
    if signals["silence"] and anchor is not None:
        ids += anchor[1]
    trend = facts.trend_at(context.as_of)
    if signals["satisfaction"] and trend is not None:
        ids.append(trend.latest.id)
    if (
        signals["purchase_frequency"] or signals["purchase_amount"]
    ) and context.client.transactions:
        ids.append(context.client.transactions[-1].id)
    return tuple(dict.fromkeys(ids))


def _churn_warning(context: ReviewContext) -> Iterator[Finding]:
    # The facts serve the risk at the review, its evidence and the walk back to
    # when it reached the alert score: the records are gathered once per account.
    facts = _ChurnFacts.of(context)
    values = facts.values_at(context.as_of)
    risk = _weighted_risk(values, _DEFAULT_WEIGHTS)
    if risk is None or risk < context.standard.churn_alert_score:
        return
    signals = dict(zip(CHURN_SIGNALS, values, strict=True))
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
        evidence=_evidence(facts, signals),
        values={
            "risk": round(risk, 3),
            "alert_score": context.standard.churn_alert_score,
            **{name: None if value is None else round(value, 3) for name, value in signals.items()},
        },
        action="retention_plan",
        due=_alert_since(facts) + _ACT_WITHIN,
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
