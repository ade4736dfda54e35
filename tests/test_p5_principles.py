"""Round 5 of the review's performance work: the shortcuts hold to their plain definitions.

Each property below compares a kept view or a shortcut a principle takes with
the definition it replaces, written as a plain scan.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kamcore.model import Account, ClientFile, SurveyResponse, Timeline
from kamcore.review.principles._known import known_since
from kamcore.review.principles.complaints import _step_allowance
from kamcore.review.principles.profile import PROFILE_PARTS, profile_parts
from strategies import accounts, client_files, fast, moments, timelines


def _pausing_by_scan(timeline: Timeline, about: str | None) -> set[object]:
    """The waits that pause the clock of *about*: those about it and those about nothing."""
    return {w for w in timeline.waits() if w.started.about in (None, about)}


@fast(60)
@given(timelines(), st.data())
def test_the_waits_kept_by_clock_are_those_about_it_or_about_nothing(
    timeline: Timeline, data: st.DataObject
) -> None:
    pausing = timeline._pausing_waits()
    abouts = [None, "not-an-event", *(e.id for e in timeline.events)]
    about = data.draw(st.sampled_from(abouts))
    kept = pausing.get(about, pausing.get(None, ()))
    assert set(kept) == _pausing_by_scan(timeline, about)
    assert len(kept) == len(set(kept))  # no wait listed twice
    if not timeline.waits():
        assert pausing == {}


@fast(60)
@given(timelines(), moments(), moments(), st.data())
def test_a_clock_paused_by_one_wait_is_paused_for_the_overlap(
    timeline: Timeline, start: datetime, end: datetime, data: st.DataObject
) -> None:
    about = data.draw(st.sampled_from(["not-an-event", *(e.id for e in timeline.events)]))
    pausing = _pausing_by_scan(timeline, about)
    paused = timeline.paused_seconds(about, start, end)
    if len(pausing) == 1:
        (wait,) = pausing
        wait_end = wait.ended.at if wait.ended else end
        overlap = (min(end, wait_end) - max(start, wait.started.at)).total_seconds()
        assert paused == max(0.0, overlap)
    if not pausing:
        assert paused == 0.0


@fast(40)
@given(timelines())
def test_all_surveys_are_the_survey_responses_in_time_order(timeline: Timeline) -> None:
    expected = tuple(e for e in timeline.events if isinstance(e, SurveyResponse))
    assert timeline.surveys() == expected
    assert timeline.surveys() is timeline.of_type(SurveyResponse)


@fast(40)
@given(accounts())
def test_profile_parts_are_listed_in_report_order(account: Account) -> None:
    # know_the_client lists the missing parts in the order profile_parts gives them.
    assert tuple(profile_parts(account)) == PROFILE_PARTS


@fast(60)
@given(st.floats(min_value=0, max_value=24 * 365, allow_nan=False))
def test_a_complaint_step_allows_its_hours(hours: float) -> None:
    assert _step_allowance(hours) == timedelta(hours=hours)
    assert _step_allowance(hours) == timedelta(hours=hours)  # kept, the same answer


def _known_by_candidates(client: ClientFile, as_of: datetime) -> object:
    """The earliest of the candidate moments with its evidence, the first listed on a tie."""
    candidates: list[tuple[datetime, tuple[str, ...]]] = []
    if client.timeline.events:
        candidates.append((client.timeline.events[0].at, (client.timeline.events[0].id,)))
    if client.transactions:
        candidates.append((client.transactions[0].at, (client.transactions[0].id,)))
    since = client.account.client_since
    if since is not None:
        candidates.append((datetime.combine(since, time(), tzinfo=as_of.tzinfo), ()))
    return min(candidates, key=lambda candidate: candidate[0]) if candidates else None


@fast(60)
@given(client_files(), moments())
def test_known_since_is_the_earliest_candidate(client: ClientFile, as_of: datetime) -> None:
    assert known_since(client, as_of) == _known_by_candidates(client, as_of)
