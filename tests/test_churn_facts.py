"""The churn facts give at any moment exactly the risk ``churn_risk`` gives for the review then.

The alert's walk back through time (``alert_since``) reads the risk at earlier
moments from ``churn._ChurnFacts``, records gathered once, instead of cutting the
client file at every moment. These properties hold it to the definition: at
any moment up to the review, the facts of the review give the same signals, in
the same order and to the last bit, as :func:`churn_risk` on the review cut at
that moment, and the same risk.

The helpers that make the walk cheap are held to the plain code they replace:
the record moments to a sorted set (the same instants, in the same time zones),
the amount signal to its defaultdict sums, and the risk of signals paired with
weights by position to the risk of signals and weights by name.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamcore.classification import load_classifier
from kamcore.model import Account, ClientFile, Interaction, Request, Timeline, Transaction
from kamcore.review import ReviewContext, ReviewSettings
from kamcore.review.principles import churn
from kamcore.review.principles.churn import churn_risk
from kamcore.synthetic import SyntheticSpec, synthetic_client_file
from principle_support import review_context
from strategies import amounts, client_files, moments

CURRENCY = load_classifier().rules.currency
TINY = timedelta(microseconds=1)
SPECS = [SyntheticSpec(accounts=200, seed=seed) for seed in (1, 2)]


def _cut(context: ReviewContext, moment: datetime) -> ReviewContext:
    """The review as it would have been at *moment*: what the walk used to build per probe."""
    return attrs.evolve(context, client=context.client.as_of(moment), as_of=moment)


@st.composite
def reviews(draw: st.DrawFn, client: ClientFile, as_of: datetime) -> ReviewContext:
    """A review of *client* at *as_of*: either tier, with or without rates, some window."""
    context = review_context(
        client,
        as_of=as_of,
        key=draw(st.booleans()),
        settings=ReviewSettings(churn_window_days=draw(st.sampled_from([90, 30, 365]))),
    )
    return attrs.evolve(context, currency=draw(st.sampled_from([CURRENCY, None])))


@st.composite
def moments_up_to(draw: st.DrawFn, context: ReviewContext) -> datetime:
    """A moment no later than the review, often on a record moment or a hair from one."""
    records = list(churn._record_moments(context))
    if draw(st.booleans()) and records:
        moment: datetime = draw(st.sampled_from(records))
        return moment + draw(st.sampled_from([timedelta(0), -TINY, TINY]))
    back = draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=900)))
    return context.as_of - back


def _assert_same_as_the_cut_review(context: ReviewContext, moment: datetime) -> None:
    moment = min(moment, context.as_of)
    facts = churn._ChurnFacts.of(context)
    risk, signals = churn_risk(_cut(context, moment))
    found = facts.signals_at(moment)
    assert list(found.items()) == list(signals.items())  # same values, same order, same bits
    assert facts.values_at(moment) == tuple(signals.values())
    assert churn._weighted_risk(tuple(found.values()), churn._DEFAULT_WEIGHTS) == risk
    if risk is not None:
        alert = risk >= context.standard.churn_alert_score
        assert facts.at_alert(moment) is alert


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client=client_files(), review_at=moments(), data=st.data())
def test_any_account_at_any_moment(
    client: ClientFile, review_at: datetime, data: st.DataObject
) -> None:
    # Any valid file: offsets mixed within an account, microseconds, refunds, unknown
    # currencies, huge amounts, complaints resolved or not, client_since or not.
    context = data.draw(reviews(client, review_at))
    _assert_same_as_the_cut_review(context, data.draw(moments_up_to(context)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=st.sampled_from(SPECS),
    index=st.integers(0, 199),
    earlier=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
    data=st.data(),
)
def test_synthetic_accounts_at_their_record_moments(
    spec: SyntheticSpec, index: int, earlier: timedelta, data: st.DataObject
) -> None:
    # Realistic accounts: purchases in every window, surveys, contacts and complaints.
    client = synthetic_client_file(spec, index)
    context = data.draw(reviews(client, spec.exported_at - earlier))
    for _ in range(5):
        _assert_same_as_the_cut_review(context, data.draw(moments_up_to(context)))


def test_a_moment_asked_twice_gives_the_same_signals() -> None:
    # The signals other than silence are kept per state: a second probe reads them back.
    spec = SPECS[0]
    context = review_context(synthetic_client_file(spec, 3), as_of=spec.exported_at)
    facts = churn._ChurnFacts.of(context)
    for moment in [context.as_of, *churn._record_moments(context)]:
        first = facts.signals_at(moment)
        assert facts.signals_at(moment) == first == churn_risk(_cut(context, moment))[1]


def _plain_record_moments(context: ReviewContext) -> list[datetime]:
    """The record moments as a set gives them: each instant as the first record listed writes it."""
    client, as_of = context.client, context.as_of
    window = timedelta(days=context.settings.churn_window_days)
    beyond = window + churn._YEAR
    moments = {event.at for event in client.timeline.events}
    moments.update(
        moment
        for transaction in client.transactions
        for moment in (transaction.at, transaction.at + window, transaction.at + beyond)
    )
    since = client.account.client_since
    if since is not None:
        moments.add(datetime.combine(since, time(), tzinfo=as_of.tzinfo))
    return sorted((moment for moment in moments if moment < as_of), reverse=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client=client_files(), review_at=moments(), data=st.data())
def test_record_moments_are_those_of_a_set_in_the_same_time_zones(
    client: ClientFile, review_at: datetime, data: st.DataObject
) -> None:
    # Offsets mixed within an account: the same instant written in several zones must
    # come once, in the zone of the record listed first (the walk's answer is in it).
    context = data.draw(reviews(client, review_at))
    found = list(churn._record_moments(context))
    expected = _plain_record_moments(context)
    assert [(m, m.isoformat()) for m in found] == [(m, m.isoformat()) for m in expected]


def test_an_instant_written_in_several_zones_comes_once_as_first_listed() -> None:
    # One instant four times: an event in UTC, the same moment in +08:00, a purchase
    # then in +02:00 and the end of an older purchase's window in -05:30.
    instant = datetime(2026, 3, 2, 9, 30, 15, 250, tzinfo=UTC)
    zones = [timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]
    window = timedelta(days=90)
    client = ClientFile(
        account=Account(id="A-1", name="A", owner="o", client_since=date(2024, 5, 1)),
        transactions=[
            Transaction(
                id="T-1",
                at=(instant - window).astimezone(zones[1]),
                product="p",
                amount=Decimal(100),
                currency="EUR",
            ),
            Transaction(
                id="T-2",
                at=instant.astimezone(timezone(timedelta(hours=2))),
                product="p",
                amount=Decimal(50),
                currency="EUR",
            ),
        ],
        timeline=Timeline(
            [
                Request(id="R-1", at=instant, subject="s"),
                Interaction(id="I-1", at=instant.astimezone(zones[0]), channel="call"),
            ]
        ),
    )
    context = review_context(client, as_of=instant + timedelta(days=1))
    found = list(churn._record_moments(context))
    expected = _plain_record_moments(context)
    assert [(m, m.isoformat()) for m in found] == [(m, m.isoformat()) for m in expected]
    assert [m.isoformat() for m in found if m == instant] == [instant.isoformat()]


def _plain_amount_drop(
    recent: list[tuple[str, Decimal, bool]], baseline: list[tuple[str, Decimal, bool]], scale: float
) -> float | None:
    """The amount signal as first written, with defaultdicts."""
    if scale <= 0:
        return None
    before: defaultdict[str, Decimal] = defaultdict(Decimal)
    now: defaultdict[str, Decimal] = defaultdict(Decimal)
    purchases: defaultdict[str, int] = defaultdict(int)
    for currency, amount, purchase in baseline:
        before[currency] += amount
        if purchase:
            purchases[currency] += 1
    for currency, amount, _ in recent:
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


long_amounts = st.tuples(st.integers(-(10**30), 10**30), st.integers(-12, 3)).map(
    lambda pair: Decimal(f"{pair[0]}E{pair[1]}")
)
"""Amounts with up to 31 digits, far apart in size: their sums round in the context."""

priced = st.lists(
    st.tuples(
        st.sampled_from(["EUR", "USD", "CNY"]), st.one_of(amounts, long_amounts), st.booleans()
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(recent=priced, baseline=priced, scale=st.sampled_from([90 / 365, 1.0, 0.0, 1e-9]))
def test_the_amount_drop_is_the_plain_one(
    recent: list[tuple[str, Decimal, bool]],
    baseline: list[tuple[str, Decimal, bool]],
    scale: float,
) -> None:
    # Sums past the 28 digits of the decimal context round: the same additions in the
    # same order, from the same Decimal 0, must round the same.
    found = churn._amount_drop(recent, baseline, scale)
    assert (found, repr(found)) == (
        _plain_amount_drop(recent, baseline, scale),
        repr(_plain_amount_drop(recent, baseline, scale)),
    )


def _plain_weighted_risk(
    signals: dict[str, float | None], weights: dict[str, float]
) -> float | None:
    """The risk as first written: signals and weights by name."""
    present: list[tuple[float, float]] = []
    for name, value in signals.items():
        if value is not None:
            weight = weights.get(name, 0.0)
            if weight > 0:
                present.append((weight, value))
    if not present:
        return None
    total = sum([weight for weight, _ in present])
    return sum([weight * value for weight, value in present]) / total


signal_values = st.one_of(st.none(), st.floats(0, 1))


@settings(max_examples=300, deadline=None)
@given(
    values=st.tuples(*[signal_values] * len(churn.CHURN_SIGNALS)),
    weights=st.dictionaries(st.sampled_from(churn.CHURN_SIGNALS), st.floats(-1, 3)),
)
def test_the_risk_by_position_is_the_risk_by_name(
    values: tuple[float | None, ...], weights: dict[str, float]
) -> None:
    # Weights missing, zero or negative leave a signal out, as they did by name.
    signals = dict(zip(churn.CHURN_SIGNALS, values, strict=True))
    in_order = tuple(weights.get(name, 0.0) for name in churn.CHURN_SIGNALS)
    found = churn._weighted_risk(values, in_order)
    assert repr(found) == repr(_plain_weighted_risk(signals, weights))
    assert churn._weighted_risk(values, churn._DEFAULT_WEIGHTS) == _plain_weighted_risk(
        signals, dict(churn.CHURN_WEIGHTS)
    )
