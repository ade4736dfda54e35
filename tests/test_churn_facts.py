"""The churn facts give at any moment exactly the risk ``churn_risk`` gives for the review then.

The alert's walk back through time (``alert_since``) reads the risk at earlier
moments from ``churn._ChurnFacts``, records gathered once, instead of cutting the
client file at every moment. These properties hold it to the definition: at
any moment up to the review, the facts of the review give the same signals, in
the same order and to the last bit, as :func:`churn_risk` on the review cut at
that moment, and the same risk.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamcore.classification import load_classifier
from kamcore.model import ClientFile
from kamcore.review import ReviewContext, ReviewSettings
from kamcore.review.principles import churn
from kamcore.review.principles.churn import CHURN_WEIGHTS, churn_risk
from kamcore.synthetic import SyntheticSpec, synthetic_client_file
from principle_support import review_context
from strategies import client_files, moments

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
    records = churn._record_moments(context)
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
    assert churn._weighted_risk(found, CHURN_WEIGHTS) == risk
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
