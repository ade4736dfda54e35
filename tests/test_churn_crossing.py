"""The churn alert's crossing found from the silence equals the one the bisection finds.

``churn._first_at_alert`` tries the second at which silence alone lifts the risk
to the alert score, checks it, and bisects only when the check fails; the due
times must be those of the bisection alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings

from kamcore.classification import load_classifier
from kamcore.model import ClientFile, Portfolio
from kamcore.review import installed_principles, review
from kamcore.review.principles import churn
from kamcore.synthetic import SyntheticSpec, synthetic_client_file, synthetic_staff
from principle_support import review_context
from strategies import client_files, moments

SPEC = SyntheticSpec(accounts=80, events_per_account=20, seed=9)


@pytest.mark.parametrize("days_before_export", [0, 45])
def test_due_times_equal_those_of_the_bisection(
    monkeypatch: pytest.MonkeyPatch, days_before_export: int
) -> None:
    portfolio = Portfolio(
        files=[synthetic_client_file(SPEC, index) for index in range(SPEC.accounts)],
        staff=synthetic_staff(SPEC),
        exported_at=SPEC.exported_at,
    )
    as_of = SPEC.exported_at - timedelta(days=days_before_export)
    inputs = {"classifier": load_classifier(), "principles": installed_principles()}
    guesses: list[int | None] = []
    silence_crossing = churn._silence_crossing

    def counted(*args: object) -> int | None:
        guess = silence_crossing(*args)  # type: ignore[arg-type]
        guesses.append(guess)
        return guess

    monkeypatch.setattr(churn, "_silence_crossing", counted)
    with_guess = review(portfolio, as_of, **inputs)
    # A guess of 0 is never taken (the crossing is after the start): bisection only.
    monkeypatch.setattr(churn, "_silence_crossing", lambda *_: 0)
    bisected = review(portfolio, as_of, **inputs)
    assert with_guess.as_dict() == bisected.as_dict()
    assert any(guess is not None for guess in guesses), "the guess must be exercised"
    assert any(f.principle == "churn_warning" for f in bisected.findings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client=client_files(), review_at=moments())
def test_any_account_dates_its_run_as_the_bisection_does(
    client: ClientFile, review_at: datetime
) -> None:
    # Offsets mixed within an account and microseconds: the guess from the silence,
    # and the next record when silence comes too late, must change nothing.
    context = review_context(client, as_of=review_at)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(churn, "_silence_crossing", lambda *_: 0)
        bisected = churn.alert_since(context)
    since = churn.alert_since(context)
    assert (since, since.isoformat()) == (bisected, bisected.isoformat())
