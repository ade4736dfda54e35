"""Metrics derived from an account's transactions and timeline, as of a moment.

A rule set declares the metrics its conditions read (``metric.NAME``), each an
instance of one of the built-in :data:`METRIC_KINDS` with its parameters (a
window, an offset). Plugins can add metrics of their own through the
``kamcore_metrics`` hook.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Final, Protocol, TypeAlias

import attrs

from kamcore.errors import KamcoreError
from kamcore.model import ClientFile, Interaction, Transaction

__all__ = [
    "METRIC_KINDS",
    "CurrencyTable",
    "Metric",
    "MetricSpec",
    "MetricValue",
    "MissingRateError",
    "PluginMetric",
]

MetricValue: TypeAlias = int | float | None
"""A metric's value; ``None`` when the account has no data for it."""

DAYS_PER_MONTH: Final = 365.25 / 12


class MissingRateError(KamcoreError):
    """An amount is in a currency the rule set has no conversion rate for.

    Attributes:
        account_id: the account the transaction belongs to.
        transaction_id: the transaction.
        currency: the currency with no rate.
    """

    def __init__(self, account_id: str, transaction_id: str, currency: str, base: str) -> None:
        self.account_id = account_id
        self.transaction_id = transaction_id
        self.currency = currency
        super().__init__(
            f"account {account_id}, transaction {transaction_id}: no rate from {currency} "
            f"to {base}; add {currency} to [currency.rates] of the rule set"
        )


@attrs.frozen
class CurrencyTable:
    """Conversion of amounts into the rule set's base currency.

    Amounts are never added across currencies: each is converted first.

    Attributes:
        base: the currency every amount is converted into.
        rates: units of each currency per one unit of *base* (``BGN = 1.95583``
            with base ``EUR``). The base itself needs no rate.
    """

    base: str
    rates: Mapping[str, Decimal] = attrs.field(factory=dict)

    def to_base(self, account_id: str, transaction: Transaction) -> Decimal:
        """*transaction*'s amount in the base currency.

        Raises:
            MissingRateError: the rule set has no rate for the transaction's currency.
        """
        if transaction.currency == self.base:
            return transaction.amount
        rate = self.rates.get(transaction.currency)
        if rate is None:
            raise MissingRateError(account_id, transaction.id, transaction.currency, self.base)
        return transaction.amount / rate


class Metric(Protocol):
    """What a plugin hands to ``kamcore_metrics``: a named value computed per account."""

    @property
    def name(self) -> str:
        """The name conditions use after ``metric.``; unique across the rule set and plugins."""

    @property
    def description(self) -> str:
        """One sentence for explanations and ``kamcore rules check``."""

    def compute(self, client: ClientFile, as_of: datetime) -> MetricValue:
        """The value for *client* as of *as_of* (only data up to *as_of* is visible)."""


@attrs.frozen
class PluginMetric:
    """A ready-made :class:`Metric` from a plain function, for plugin authors.

    Attributes:
        name: the metric's name.
        description: what it measures.
        function: ``function(client, as_of) -> number | None``.
    """

    name: str
    description: str
    function: Callable[[ClientFile, datetime], MetricValue]

    def compute(self, client: ClientFile, as_of: datetime) -> MetricValue:
        """Call the function."""
        return self.function(client, as_of)


@attrs.frozen(kw_only=True)
class MetricSpec:
    """A metric declared in a rule set: a built-in kind with its parameters.

    Attributes:
        name: the name conditions use after ``metric.``.
        kind: one of :data:`METRIC_KINDS`.
        window_days: the length of the window the metric looks at, where the kind has one.
        offset_days: how far before ``as_of`` the window ends (0: it ends at ``as_of``),
            so a rule can compare this year with the year before.
        description: what it measures, for explanations.
    """

    name: str
    kind: str
    window_days: int | None = None
    offset_days: int = 0
    description: str = ""
    # The offset and the length of the window as timedeltas, made on first use
    # and kept: making them is most of the cost of a window, and every account
    # classified asks for one.
    _span: tuple[timedelta, timedelta] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )

    def window(self, as_of: datetime) -> tuple[datetime, datetime]:
        """The ``(start, end]`` window this metric looks at."""
        span = self._span
        if span is None:
            span = (timedelta(days=self.offset_days), timedelta(days=self.window_days or 0))
            object.__setattr__(self, "_span", span)
        offset, length = span
        end = as_of - offset
        return end - length, end


Compute = Callable[[MetricSpec, ClientFile, datetime, CurrencyTable], MetricValue]


_AT = attrgetter("at")
_ZERO: Final = Decimal(0)


def _until(client: ClientFile, moment: datetime) -> int:
    """How many of the (time-ordered) transactions happened at or before *moment*."""
    return bisect.bisect_right(client.transactions, moment, key=_AT)


def _in_window(spec: MetricSpec, client: ClientFile, as_of: datetime) -> Sequence[Transaction]:
    start, end = spec.window(as_of)
    transactions = client.transactions
    first = bisect.bisect_right(transactions, start, key=_AT)
    return transactions[first : bisect.bisect_right(transactions, end, key=_AT)]


def _purchases_in_window(spec: MetricSpec, client: ClientFile, as_of: datetime) -> int:
    purchases = 0
    for transaction in _in_window(spec, client, as_of):
        # A refund or credit note (a negative amount) is not a purchase. (Compared
        # with a Decimal zero: against the int 0, every comparison converts it.)
        if transaction.amount > _ZERO:
            purchases += 1
    return purchases


def _amount(spec: MetricSpec, client: ClientFile, as_of: datetime, money: CurrencyTable) -> float:
    account_id, to_base = client.id, money.to_base
    # Added up one by one from zero, as sum() does with Decimals: a plain loop is cheaper.
    total = _ZERO
    for transaction in _in_window(spec, client, as_of):
        total += to_base(account_id, transaction)
    return float(total)


def _purchases(spec: MetricSpec, client: ClientFile, as_of: datetime, _: CurrencyTable) -> int:
    return _purchases_in_window(spec, client, as_of)


def _purchases_per_month(
    spec: MetricSpec, client: ClientFile, as_of: datetime, _: CurrencyTable
) -> float:
    months = (spec.window_days or 0) / DAYS_PER_MONTH
    return _purchases_in_window(spec, client, as_of) / months if months else 0.0


def _days_since_purchase(
    _: MetricSpec, client: ClientFile, as_of: datetime, __: CurrencyTable
) -> float | None:
    transactions = client.transactions
    # The last purchase up to *as_of*: read back from there.
    for index in range(_until(client, as_of) - 1, -1, -1):
        if transactions[index].amount > _ZERO:
            return (as_of - transactions[index].at).total_seconds() / 86400
    return None


def _months_as_client(
    _: MetricSpec, client: ClientFile, as_of: datetime, __: CurrencyTable
) -> float | None:
    transactions = client.transactions
    first = transactions[0].at if transactions else None
    first_purchase = first.date() if first is not None and first <= as_of else None
    since = client.account.client_since
    if first_purchase is None or since is None:
        start = first_purchase or since
    else:
        start = min(first_purchase, since)
    if start is None:
        return None
    return max(0.0, (as_of.date() - start).days / DAYS_PER_MONTH)


def _survey_means(spec: MetricSpec, client: ClientFile, as_of: datetime) -> list[float]:
    start, end = spec.window(as_of) if spec.window_days else (None, as_of)
    surveys = client.timeline.surveys(start, end)
    return [s.mean_score for s in surveys if s.mean_score is not None]


def _satisfaction(
    spec: MetricSpec, client: ClientFile, as_of: datetime, _: CurrencyTable
) -> float | None:
    means = _survey_means(spec, client, as_of)
    return sum(means) / len(means) if means else None


def _satisfaction_trend(
    spec: MetricSpec, client: ClientFile, as_of: datetime, _: CurrencyTable
) -> float | None:
    means = _survey_means(spec, client, as_of)
    if len(means) < 2:  # noqa: PLR2004 - a trend needs two points
        return None
    return means[-1] - sum(means[:-1]) / len(means[:-1])


def _amount_trend(
    spec: MetricSpec, client: ClientFile, as_of: datetime, money: CurrencyTable
) -> float | None:
    earlier = attrs.evolve(spec, offset_days=spec.offset_days + (spec.window_days or 0))
    before = _amount(earlier, client, as_of, money)
    if not before:
        return None
    return _amount(spec, client, as_of, money) / before - 1


def _open_complaints(_: MetricSpec, client: ClientFile, as_of: datetime, __: CurrencyTable) -> int:
    return sum(
        1
        for state in client.timeline.complaints()
        if state.complaint.at <= as_of
        and not any(s.step == "resolved" and s.at <= as_of for s in state.steps)
    )


def _days_since_contact(
    _: MetricSpec, client: ClientFile, as_of: datetime, __: CurrencyTable
) -> float | None:
    contacts = [e.at for e in client.timeline.of_type(Interaction) if e.personal and e.at <= as_of]
    return (as_of - max(contacts)).total_seconds() / 86400 if contacts else None


METRIC_KINDS: Final[Mapping[str, tuple[Compute, bool, str]]] = {
    "amount": (_amount, True, "amount bought in the window, in the base currency"),
    "purchases": (_purchases, True, "number of purchases in the window"),
    "purchases_per_month": (_purchases_per_month, True, "purchases per month over the window"),
    "amount_trend": (
        _amount_trend,
        True,
        "change of the amount against the window before it (0.1 = +10 %)",
    ),
    "days_since_purchase": (_days_since_purchase, False, "days since the last purchase"),
    "months_as_client": (_months_as_client, False, "months since the relationship started"),
    "satisfaction": (_satisfaction, False, "mean survey score (1-5), in the window if one is set"),
    "satisfaction_trend": (
        _satisfaction_trend,
        False,
        "latest survey score minus the mean of the earlier ones (window optional)",
    ),
    "open_complaints": (_open_complaints, False, "complaints not yet resolved"),
    "days_since_contact": (_days_since_contact, False, "days since the last personal contact"),
}
"""Built-in metric kinds: ``kind -> (compute, needs a window, description)``."""
