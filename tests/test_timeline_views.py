"""The timeline's kept views answer exactly what a plain scan of its events answers.

The views are built once per timeline by grouping events (by class, by the
opener they continue) and then kept; these properties compare them with the
definition, written here as the slowest possible scan, on generated timelines,
their cuts, and cuts of timelines whose views were computed before the cut.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import attrs
from hypothesis import given
from hypothesis import strategies as st

from kamcore.model import (
    EVENT_TYPES,
    AdverseChange,
    AnswerPromised,
    ChangeCommunicated,
    Complaint,
    ComplaintStep,
    Decision,
    Event,
    Goal,
    GoalProgress,
    Interaction,
    Promise,
    PromiseKept,
    PromiseRenegotiated,
    Request,
    RequestAnswered,
    Situation,
    SituationResponse,
    Timeline,
    WaitEnded,
    WaitStarted,
)
from strategies import fast, moments, timelines

_START = datetime(2025, 1, 1, tzinfo=UTC)


def _continuing(timeline: Timeline, opener: Event, kind: type[Event]) -> tuple[Any, ...]:
    """The events of *kind* that continue *opener*, by a scan of every event."""
    return tuple(e for e in timeline.events if isinstance(e, kind) and e.ref == opener.id)


def _first(events: tuple[Any, ...]) -> Any:
    return events[0] if events else None


def _by_scan(timeline: Timeline) -> dict[str, Any]:
    """Every view, from its definition: a scan of all events per question."""
    events = timeline.events
    kinds = (Event, *EVENT_TYPES.values())
    openers = {
        kind: tuple(e for e in events if isinstance(e, kind))
        for kind in (Request, Promise, Complaint, WaitStarted, AdverseChange, Situation, Goal)
    }
    requests = tuple(
        (
            r,
            _continuing(timeline, r, AnswerPromised),
            _first(_continuing(timeline, r, RequestAnswered)),
        )
        for r in openers[Request]
    )
    promises = tuple(
        (
            p,
            _continuing(timeline, p, PromiseRenegotiated),
            _first(_continuing(timeline, p, PromiseKept)),
        )
        for p in openers[Promise]
    )
    complaints = tuple((c, _continuing(timeline, c, ComplaintStep)) for c in openers[Complaint])
    interactions = tuple(e for e in events if isinstance(e, Interaction))
    return {
        "of_type": {kind: tuple(e for e in events if isinstance(e, kind)) for kind in kinds},
        "requests": requests,
        "open_requests": tuple(r for r in requests if r[2] is None),
        "promises": promises,
        "open_promises": tuple(p for p in promises if p[2] is None),
        "complaints": complaints,
        "open_complaints": tuple(
            c for c in complaints if not any(s.step == "resolved" for s in c[1])
        ),
        "waits": tuple(
            (w, _first(_continuing(timeline, w, WaitEnded))) for w in openers[WaitStarted]
        ),
        "adverse_changes": tuple(
            (c, _continuing(timeline, c, ChangeCommunicated)) for c in openers[AdverseChange]
        ),
        "situations": tuple(
            (s, _continuing(timeline, s, SituationResponse)) for s in openers[Situation]
        ),
        "goals": tuple((g, _continuing(timeline, g, GoalProgress)) for g in openers[Goal]),
        "interactions": {
            (personal, side): tuple(
                e
                for e in interactions
                if personal in (None, e.personal) and side in (None, e.initiated_by)
            )
            for personal in (None, True, False)
            for side in (None, "us", "client")
        },
        "with_topic": {
            topic: tuple(e for e in interactions if topic in e.topics)
            for topic in ("thanks", "future_plans", "problem")
        },
        "decisions": tuple(e for e in events if isinstance(e, Decision)),
    }


def _by_views(timeline: Timeline) -> dict[str, Any]:
    """Every view, as the timeline answers it."""
    kinds = (Event, *EVENT_TYPES.values())
    return {
        "of_type": {kind: timeline.of_type(kind) for kind in kinds},
        "requests": tuple((s.request, s.answer_promises, s.answer) for s in timeline.requests()),
        "open_requests": tuple(
            (s.request, s.answer_promises, s.answer) for s in timeline.open_requests()
        ),
        "promises": tuple((s.promise, s.renegotiations, s.kept) for s in timeline.promises()),
        "open_promises": tuple(
            (s.promise, s.renegotiations, s.kept) for s in timeline.open_promises()
        ),
        "complaints": tuple((s.complaint, s.steps) for s in timeline.complaints()),
        "open_complaints": tuple((s.complaint, s.steps) for s in timeline.open_complaints()),
        "waits": tuple((s.started, s.ended) for s in timeline.waits()),
        "adverse_changes": tuple((s.change, s.communications) for s in timeline.adverse_changes()),
        "situations": tuple((s.situation, s.responses) for s in timeline.situations()),
        "goals": tuple((s.goal, s.progress) for s in timeline.goals()),
        "interactions": {
            (personal, side): timeline.interactions(personal=personal, initiated_by=side)
            for personal in (None, True, False)
            for side in (None, "us", "client")
        },
        "with_topic": {
            topic: timeline.with_topic(topic) for topic in ("thanks", "future_plans", "problem")
        },
        "decisions": timeline.decisions(),
    }


@fast(60)
@given(timelines())
def test_views_answer_what_a_scan_of_the_events_answers(timeline: Timeline) -> None:
    expected = _by_scan(timeline)
    assert _by_views(timeline) == expected
    # Asked again, the kept views give the same answers.
    assert _by_views(timeline) == expected


@fast(60)
@given(timelines(), moments(), st.booleans())
def test_a_cut_has_the_views_of_a_timeline_built_from_its_events(
    timeline: Timeline, moment: datetime, views_first: bool
) -> None:
    if views_first:
        _by_views(timeline)  # views computed on the whole must not leak into the cut
    cut = timeline.as_of(moment)
    assert cut.events == tuple(e for e in timeline.events if e.at <= moment)
    assert _by_views(cut) == _by_scan(Timeline(cut.events))
    assert _by_views(timeline) == _by_scan(timeline)


@fast(30)
@given(timelines())
def test_a_cut_after_the_last_event_is_the_timeline_itself(timeline: Timeline) -> None:
    last = timeline.events[-1].at if timeline.events else _START
    assert timeline.as_of(last) is timeline
    assert timeline.as_of(last + timedelta(days=1)) is timeline


def _paused_by_scan(timeline: Timeline, about: str, start: datetime, end: datetime) -> float:
    """Seconds of ``[start, end]`` covered by the waits that pause *about*'s clock."""
    spans = sorted(
        (max(start, w.started.at), min(end, w.ended.at if w.ended else end))
        for w in timeline.waits()
        if w.started.about in (None, about)
    )
    total, covered_to = 0.0, start
    for span_start, span_end in spans:
        lo = max(span_start, covered_to)
        if span_end > lo:
            total += (span_end - lo).total_seconds()
            covered_to = span_end
    return total


@fast(60)
@given(timelines(), moments(), moments(), st.data())
def test_paused_seconds_counts_the_waits_about_the_clock_or_about_nothing(
    timeline: Timeline, start: datetime, end: datetime, data: st.DataObject
) -> None:
    ids = [e.id for e in timeline.events]
    about = data.draw(st.sampled_from([*ids, "not-an-event"]))
    assert timeline.paused_seconds(about, start, end) == _paused_by_scan(
        timeline, about, start, end
    )
    if not timeline.waits():
        assert timeline.paused_seconds(about, start, end) == 0.0


@attrs.frozen(kw_only=True)
class _TeamVisit(Interaction):
    """An event class derived from another kind, as a plugin could define one."""

    kind: ClassVar[str] = "team_visit"


def test_a_derived_event_class_is_listed_under_its_base_kind_in_time_order() -> None:
    hour = timedelta(hours=1)
    call = Interaction(id="I-1", at=_START, channel="call")
    visit = _TeamVisit(id="V-1", at=_START + hour, channel="visit")
    later_call = Interaction(id="I-2", at=_START + 2 * hour, channel="call", personal=False)
    timeline = Timeline([later_call, visit, call])
    assert timeline.of_type(Interaction) == (call, visit, later_call)
    assert timeline.of_type(_TeamVisit) == (visit,)
    assert timeline.of_type(Event) == (call, visit, later_call)
    assert timeline.interactions(personal=True) == (call, visit)
    assert timeline.last_contact() == visit


def test_a_derived_event_class_is_listed_under_its_base_after_plain_timelines() -> None:
    # The classes known to derive from Event directly are kept from one timeline to
    # the next: a derived class met later must still be listed under its base.
    call = Interaction(id="I-1", at=_START, channel="call")
    plain = Timeline([call])
    assert plain.of_type(Interaction) == (call,)
    visit = _TeamVisit(id="V-1", at=_START + timedelta(hours=1), channel="visit")
    mixed = Timeline([visit, call])
    assert mixed.of_type(Interaction) == (call, visit)
    assert mixed.of_type(_TeamVisit) == (visit,)
    # And a plain timeline grouped after the derived one still lists each kind once.
    again = Timeline([call])
    assert again.of_type(Interaction) == (call,)
    assert again.of_type(Event) == (call,)


def test_an_event_of_the_base_class_is_listed_under_event_only() -> None:
    call = Interaction(id="I-1", at=_START, channel="call")
    bare = Event(id="E-1", at=_START + timedelta(hours=1))
    timeline = Timeline([bare, call])
    assert timeline.of_type(Event) == (call, bare)
    assert timeline.of_type(Interaction) == (call,)
