"""The frame of an account's review: its file as known, its tier, its metrics and its health.

Each of these has fast paths (a file reused or sliced instead of rebuilt, metrics
read with binary searches, both health moments from one fetch of the records);
these properties hold them to the plain definitions they replace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kamcore
from kamcore.classification import METRIC_KINDS, CurrencyTable, MetricSpec, load_classifier
from kamcore.classification.metrics import DAYS_PER_MONTH, MissingRateError
from kamcore.model import Account, ClientFile, Event, Interaction, Timeline, Transaction
from kamcore.review import SEVERITIES, Finding, account_health
from kamcore.review.agenda import _known
from kamcore.review.health import health_signals
from principle_support import review_context
from strategies import amounts, client_files, fast, moments

MONEY = CurrencyTable(base="EUR", rates={"BGN": Decimal("1.95583")})
TREND_PERIOD = timedelta(days=30)


# The tier of the account ---------------------------------------------------------------------

CLASSIFIER = load_classifier()


@fast(30)
@given(client=client_files(), as_of=moments())
def test_a_review_reads_the_tier_the_classification_gives(
    client: ClientFile, as_of: datetime
) -> None:
    # The same tier, or the same error (a currency the rule set has no rate for).
    try:
        classification = CLASSIFIER.classify(client, as_of)
    except MissingRateError as error:
        with pytest.raises(MissingRateError, match=re.escape(str(error))):
            CLASSIFIER._tier_at(client, as_of)
        return
    tier = CLASSIFIER._tier_at(client, as_of)
    assert tier is CLASSIFIER.rules.tier(classification.tier)
    assert CLASSIFIER.classify(client, as_of) == classification  # nothing kept between them


def test_a_review_reads_each_tier_of_the_sample_as_the_classification_gives_it() -> None:
    portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    moments = (portfolio.exported_at, portfolio.exported_at - timedelta(days=400))
    tiers = {
        (client.id, as_of): CLASSIFIER.rules.tier(CLASSIFIER.classify(client, as_of).tier)
        for client in portfolio
        for as_of in moments
    }
    assert len({tier.id for tier in tiers.values()}) == len(CLASSIFIER.rules.tiers)  # every one
    for client in portfolio:
        for as_of in moments:
            assert CLASSIFIER._tier_at(client, as_of) is tiers[client.id, as_of]


# The file as known at a moment -----------------------------------------------------------------


def _canonical_cut(client: ClientFile, as_of: datetime) -> tuple[list[Any], list[Any]]:
    """The definition: records up to *as_of*, by time and then id (openers first)."""
    transactions = sorted(
        (t for t in client.transactions if t.at <= as_of), key=lambda t: (t.at, t.id)
    )
    events = sorted(
        (e for e in client.timeline if e.at <= as_of),
        key=lambda e: (e.at, e.REF is not None, e.id),
    )
    return transactions, events


@fast(60)
@given(client=client_files(), as_of=moments())
def test_the_file_as_known_is_its_records_up_to_then_in_canonical_order(
    client: ClientFile, as_of: datetime
) -> None:
    known = _known(client, as_of)
    transactions, events = _canonical_cut(client, as_of)
    assert list(known.transactions) == transactions
    assert list(known.timeline.events) == events
    assert known.account is client.account
    assert known.timeline is not client.timeline  # the review's views go with the copy


def test_records_at_the_same_moment_are_put_in_id_order_in_a_cut_too() -> None:
    moment = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    events = [
        Interaction(id=event_id, at=moment, channel="call", initiated_by="us", personal=True)
        for event_id in ("E3", "E1", "E2")
    ]
    later = Interaction(
        id="E0", at=moment + timedelta(days=1), channel="call", initiated_by="us", personal=True
    )
    client = ClientFile(account=_account(), timeline=Timeline([*events, later]))
    assert [e.id for e in client.timeline] == ["E3", "E1", "E2", "E0"]  # the source's order
    assert [e.id for e in _known(client, moment + timedelta(days=2)).timeline] == [
        "E1",
        "E2",
        "E3",
        "E0",
    ]
    assert [e.id for e in _known(client, moment).timeline] == ["E1", "E2", "E3"]
    assert [e.id for e in _known(client, moment - timedelta(seconds=1)).timeline] == []


def _account(client_since: date | None = None) -> Account:
    return Account(id="A", name="A", owner="am", client_since=client_since)


# Metrics -----------------------------------------------------------------------------------------

transactions_in_euro_and_lev = st.lists(
    st.builds(
        Transaction,
        id=st.uuids().map(str),
        at=moments(),
        product=st.just("licence"),
        amount=amounts,
        currency=st.sampled_from(["EUR", "BGN"]),
    ),
    max_size=6,
    unique_by=lambda t: t.id,
)


@fast(60)
@given(
    transactions=transactions_in_euro_and_lev,
    client_since=st.none() | st.dates(date(2019, 1, 1), date(2028, 1, 1)),
    as_of=moments(),
    window_days=st.integers(1, 800),
    offset_days=st.integers(0, 400),
)
def test_the_built_in_metrics_follow_their_definitions(
    transactions: list[Transaction],
    client_since: date | None,
    as_of: datetime,
    window_days: int,
    offset_days: int,
) -> None:
    client = ClientFile(account=_account(client_since), transactions=transactions)
    spec = MetricSpec(name="m", kind="amount", window_days=window_days, offset_days=offset_days)
    end = as_of - timedelta(days=offset_days)
    start = end - timedelta(days=window_days)
    ordered = client.transactions
    window = [t for t in ordered if start < t.at <= end]
    purchases = [t for t in window if t.amount > 0]

    def metric(kind: str) -> Any:
        return METRIC_KINDS[kind][0](spec, client, as_of, MONEY)

    amount = float(sum((MONEY.to_base("A", t) for t in window), Decimal(0)))
    assert metric("amount") == amount
    assert metric("purchases") == len(purchases)
    assert metric("purchases_per_month") == len(purchases) / (window_days / DAYS_PER_MONTH)
    last = next((t.at for t in reversed(ordered) if t.at <= as_of and t.amount > 0), None)
    assert metric("days_since_purchase") == (
        (as_of - last).total_seconds() / 86400 if last else None
    )
    starts = [ordered[0].at.date()] if ordered and ordered[0].at <= as_of else []
    starts += [client_since] if client_since is not None else []
    assert metric("months_as_client") == (
        max(0.0, (as_of.date() - min(starts)).days / DAYS_PER_MONTH) if starts else None
    )


# Health ------------------------------------------------------------------------------------------


def _score(signals: Mapping[str, float | None], weights: Mapping[str, float], worst: bool) -> float:
    """The definition: the weighted mean of the signals present (or the weakest), 0-100."""
    present = {name: value for name, value in signals.items() if value is not None}
    if not present:
        return 100.0
    if worst:
        return 100 * min(present.values())
    total = sum(weights[name] for name in present)
    return 100 * sum(weights[name] * value for name, value in present.items()) / total


findings = st.lists(
    st.builds(
        Finding,
        account_id=st.just("A"),
        owner=st.just("am"),
        principle=st.just("care"),
        code=st.sampled_from(["one", "two"]),
        severity=st.sampled_from(SEVERITIES),
        evidence=st.lists(st.text(max_size=3), max_size=2).map(tuple),
        action=st.just("call"),
    ),
    max_size=6,
)
weights = st.fixed_dictionaries(
    {
        name: st.floats(0.1, 5)
        for name in ("contact", "satisfaction", "purchases", "complaints", "findings")
    }
)


@st.composite
def moments_near(draw: st.DrawFn, client: ClientFile) -> datetime:
    """A moment shortly after one of *client*'s records (or any moment if it has none),
    so that the signals and their trend have something to read."""
    times = [t.at for t in client.transactions] + [e.at for e in client.timeline]
    if not times:
        return draw(moments())
    return draw(st.sampled_from(times)) + timedelta(days=draw(st.floats(0, 60)))


@fast(60)
@given(
    data=st.data(),
    client=client_files(),
    key=st.booleans(),
    found=findings,
    signal_weights=weights,
    worst=st.booleans(),
)
def test_health_is_the_score_of_its_signals_now_and_its_trend_against_30_days_before(
    *,
    data: st.DataObject,
    client: ClientFile,
    key: bool,
    found: list[Finding],
    signal_weights: dict[str, float],
    worst: bool,
) -> None:
    as_of = data.draw(moments_near(client))
    context = review_context(client, as_of=as_of, key=key)
    health = account_health(context, found, weights=signal_weights, worst_of=worst)
    signals = health_signals(context, found)
    before = health_signals(context, None, as_of - TREND_PERIOD)
    now = {name: value for name, value in signals.items() if name != "findings"}
    assert list(health.signals.items()) == list(signals.items())
    assert health.score == _score(signals, signal_weights, worst)
    if all(value is None for value in before.values()):
        assert health.trend is None
    else:
        expected = _score(now, signal_weights, worst) - _score(before, signal_weights, worst)
        assert health.trend == expected


def test_the_weakest_signal_needs_no_weights() -> None:
    moment = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    contact = Interaction(
        id="E1", at=moment - timedelta(days=3), channel="call", initiated_by="us", personal=True
    )
    client = ClientFile(account=_account(), timeline=Timeline([contact]))
    health = account_health(review_context(client, as_of=moment), [], weights={}, worst_of=True)
    assert health.score == 100 * min(v for v in health.signals.values() if v is not None)


def test_an_event_after_the_moment_of_a_signal_is_no_data_for_it() -> None:
    moment = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    first: Event = Interaction(
        id="E1", at=moment - timedelta(days=3), channel="call", initiated_by="us", personal=True
    )
    client = ClientFile(account=_account(), timeline=Timeline([first]))
    health = account_health(review_context(client, as_of=moment), [])
    assert health.signals["contact"] is not None
    assert health.signals["complaints"] == 1.0
    assert health.trend is None  # 30 days before, the account had no data at all
