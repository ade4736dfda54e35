"""A tier's service standard as durations: the same as building them from the settings.

The durations are kept on the standard after first use; they must equal the
timedelta built from each setting, and keeping them must change nothing a
standard shows as a value (equality, repr, pickling).
"""

from __future__ import annotations

import pickle
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from kamcore.classification import ServiceStandard
from strategies import fast

_SETTINGS = st.floats(min_value=0.0, max_value=10_000.0, allow_nan=False)


@st.composite
def _standards(draw: st.DrawFn) -> ServiceStandard:
    return ServiceStandard(
        contact_cadence_days=draw(_SETTINGS),
        response_sla_hours=draw(_SETTINGS),
        promise_slip_tolerance_hours=draw(_SETTINGS),
        max_promise_slips=draw(st.integers(0, 10)),
        complaint_sla_hours=draw(
            st.dictionaries(st.sampled_from(["accepted", "investigating", "resolved"]), _SETTINGS)
        ),
        survey_interval_days=draw(_SETTINGS),
        satisfaction_drop=draw(_SETTINGS),
        bad_news_days=draw(_SETTINGS),
        future_talk_days=draw(_SETTINGS),
        goal_review_days=draw(_SETTINGS),
        report_interval_days=draw(_SETTINGS),
        churn_alert_score=draw(st.floats(0.0, 1.0)),
    )


def _durations(standard: ServiceStandard) -> dict[str, object]:
    return {
        "contact_cadence": standard.contact_cadence,
        "response_sla": standard.response_sla,
        "promise_slip_tolerance": standard.promise_slip_tolerance,
        "survey_interval": standard.survey_interval,
        "bad_news_window": standard.bad_news_window,
        "future_talk_interval": standard.future_talk_interval,
        "goal_review_interval": standard.goal_review_interval,
        "report_interval": standard.report_interval,
    }


@fast(50)
@given(_standards())
def test_each_duration_is_the_timedelta_of_its_setting(standard: ServiceStandard) -> None:
    assert _durations(standard) == {
        "contact_cadence": timedelta(days=standard.contact_cadence_days),
        "response_sla": timedelta(hours=standard.response_sla_hours),
        "promise_slip_tolerance": timedelta(hours=standard.promise_slip_tolerance_hours),
        "survey_interval": timedelta(days=standard.survey_interval_days),
        "bad_news_window": timedelta(days=standard.bad_news_days),
        "future_talk_interval": timedelta(days=standard.future_talk_days),
        "goal_review_interval": timedelta(days=standard.goal_review_days),
        "report_interval": timedelta(days=standard.report_interval_days),
    }
    # Kept: asked again, the same objects come back.
    assert standard.contact_cadence is standard.contact_cadence


@fast(30)
@given(_standards())
def test_kept_durations_leave_equality_repr_and_pickling_alone(standard: ServiceStandard) -> None:
    fresh = pickle.loads(pickle.dumps(standard))
    before = (repr(standard), pickle.dumps(standard))
    _durations(standard)
    assert standard == fresh
    assert (repr(standard), pickle.dumps(standard)) == before
    assert pickle.dumps(standard) == pickle.dumps(fresh)
    assert _durations(pickle.loads(pickle.dumps(standard))) == _durations(standard)
