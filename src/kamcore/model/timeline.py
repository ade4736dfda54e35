"""An account's timeline and the lifecycle views that checks read from it."""

from __future__ import annotations

import bisect
import functools
import operator
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar, cast

import attrs

from kamcore.errors import InvalidValueError
from kamcore.model import _validators as v
from kamcore.model.events import (
    COMPLAINT_STEPS,
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
    SurveyResponse,
    WaitEnded,
    WaitStarted,
)

__all__ = [
    "ChangeState",
    "ComplaintState",
    "GoalState",
    "PromiseState",
    "RequestState",
    "SituationState",
    "Timeline",
    "WaitState",
    "reference_problem",
]

E = TypeVar("E", bound=Event)
V = TypeVar("V")
K = TypeVar("K", bound=Hashable)

_UNSET: Any = object()
_AT = operator.attrgetter("at")
_ABOUT = operator.attrgetter("started.about")


def _chronological(events: Iterable[Event]) -> tuple[Event, ...]:
    # At the same moment an opener comes before what continues it; otherwise the
    # stable sort keeps the source's order.
    return v.chronological(events, Event, lambda event: event.REF is not None)


def _kept(build: Callable[[Timeline], V]) -> Callable[[Timeline], V]:
    """A timeline query without arguments, answered on first use and then kept."""
    name = build.__name__

    # Why not functools.cached_property: these queries are methods of the public
    # API (``timeline.requests()``). A review calls each of them many times, so a
    # repeat is one dict lookup and builds nothing. A lookup, not try/except: a
    # first use per view and timeline is common, and raising KeyError costs more.
    @functools.wraps(build)
    def kept(timeline: Timeline) -> V:
        # Typed by annotation, not cast(): cast is a call, and this runs for every query.
        value: V = timeline._views.get(name, _UNSET)
        if value is _UNSET:
            value = timeline._views[name] = build(timeline)
        return value

    return kept


def _first(events: list[E] | None) -> E | None:
    return events[0] if events else None


@attrs.frozen
class RequestState:
    """A request with what became of it.

    Attributes:
        request: the request.
        answer_promises: committed answer dates, oldest first.
        answer: the answer, ``None`` while unanswered.
    """

    request: Request
    answer_promises: tuple[AnswerPromised, ...]
    answer: RequestAnswered | None

    @property
    def open(self) -> bool:
        """``True`` while the request has no answer."""
        return self.answer is None

    @property
    def answer_by(self) -> datetime | None:
        """The latest committed answer date, ``None`` when none was given."""
        return self.answer_promises[-1].answer_by if self.answer_promises else None


@attrs.frozen
class PromiseState:
    """A promise with its renegotiations and outcome.

    Attributes:
        promise: the promise.
        renegotiations: every move of its date, oldest first.
        kept: the delivery, ``None`` while not delivered.
    """

    promise: Promise
    renegotiations: tuple[PromiseRenegotiated, ...]
    kept: PromiseKept | None

    @property
    def open(self) -> bool:
        """``True`` while the promise is not delivered."""
        return self.kept is None

    @property
    def due(self) -> datetime:
        """The due date in force: the last new date given, else the original."""
        for renegotiation in reversed(self.renegotiations):
            if renegotiation.new_due is not None:
                return renegotiation.new_due
        return self.promise.due

    def overdue(self, as_of: datetime) -> bool:
        """``True`` when open and past the due date in force at *as_of*."""
        return self.open and self.due < as_of


@attrs.frozen
class ComplaintState:
    """A complaint with the workflow steps it reached.

    Attributes:
        complaint: the complaint.
        steps: the steps reached, in time order.
    """

    complaint: Complaint
    steps: tuple[ComplaintStep, ...]

    # Plain loops rather than next() over a generator, which costs more to set up
    # than these searches of a few steps take; a review asks them of every complaint.

    def reached(self, step: str) -> ComplaintStep | None:
        """The first time the complaint reached *step*, or ``None``."""
        for reached in self.steps:
            if reached.step == step:
                return reached
        return None

    @property
    def current_step(self) -> str | None:
        """The furthest workflow step reached, ``None`` before it is accepted."""
        reached = {s.step for s in self.steps}
        for step in reversed(COMPLAINT_STEPS):
            if step in reached:
                return step
        return None

    @property
    def open(self) -> bool:
        """``True`` until the complaint is resolved."""
        return self.reached("resolved") is None


@attrs.frozen
class WaitState:
    """A wait on the client.

    Attributes:
        started: when and why the wait began.
        ended: its end, ``None`` while still waiting.
    """

    started: WaitStarted
    ended: WaitEnded | None

    def overlap(self, start: datetime, end: datetime) -> float:
        """Seconds of ``[start, end]`` spent in this wait."""
        wait_end = self.ended.at if self.ended else end
        lo, hi = max(start, self.started.at), min(end, wait_end)
        return max(0.0, (hi - lo).total_seconds())


@attrs.frozen
class ChangeState:
    """An adverse change with how the client heard of it.

    Attributes:
        change: the change, official at ``change.at``.
        communications: every time the client was told, oldest first.
    """

    change: AdverseChange
    communications: tuple[ChangeCommunicated, ...]

    @property
    def first_told(self) -> ChangeCommunicated | None:
        """The first time the client was told, ``None`` if never."""
        return self.communications[0] if self.communications else None


@attrs.frozen
class SituationState:
    """A non-standard situation with the responses recorded for it."""

    situation: Situation
    responses: tuple[SituationResponse, ...]


@attrs.frozen
class GoalState:
    """A joint goal with its progress entries."""

    goal: Goal
    progress: tuple[GoalProgress, ...]

    @property
    def latest(self) -> GoalProgress | None:
        """The newest progress entry, ``None`` if none was recorded."""
        return self.progress[-1] if self.progress else None


@attrs.frozen
class Timeline:
    """One account's events in time order, with the queries principle checks need.

    Construction checks the timeline as a whole: ids are unique, and an event
    that continues a lifecycle refers to an opener of the right kind that
    happened no later than itself. Events are kept in time order; events at the
    same moment keep the order they were given in.

    Attributes:
        events: the events, oldest first.
    """

    events: tuple[Event, ...] = attrs.field(
        default=(), converter=_chronological, validator=v.instances_of(Event)
    )
    # Views computed on first use and kept: the timeline is immutable, and a
    # review asks for each of them many times (every principle reads the same
    # lifecycles). None is built before it is asked for, so a portfolio held in
    # memory costs only its events; see also :meth:`trusted_copy`.
    _views: dict[Hashable, Any] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._forget_views()
        index = v.first_repeated([event.id for event in self.events])
        if index is not None:
            repeated = self.events[index].id
            raise InvalidValueError(
                f"events[{index}].id", f"duplicate event id {repeated!r}", record_id=repeated
            )
        by_id = {event.id: event for event in self.events}
        for index, event in enumerate(self.events):
            problem = reference_problem(event, by_id)
            if problem:
                field = event.REF[0] if event.REF else "about"
                raise InvalidValueError(f"events[{index}].{field}", problem, record_id=event.id)

    def _forget_views(self) -> None:
        object.__setattr__(self, "_views", {})

    def trusted_copy(self) -> Timeline:
        """An equal timeline that shares the events but none of the views computed so far.

        The events were checked when this timeline was built, so they are not
        checked again. A review works on such a copy, so the views it computes
        are dropped with the copy instead of staying on a portfolio held in memory.
        """
        return self._trusted(self.events)

    @classmethod
    def _trusted(cls, events: tuple[Event, ...]) -> Timeline:
        """A timeline of *events* that are known to be sound and in order: no checks."""
        timeline = object.__new__(cls)
        object.__setattr__(timeline, "events", events)
        timeline._forget_views()
        return timeline

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def as_of(self, moment: datetime) -> Timeline:
        """The timeline as it was known at *moment*: events after it are gone."""
        # The events are in time order, so those up to *moment* are a prefix; and
        # the prefix of a sound timeline is sound (an event refers only to events
        # no later than itself), so it is not checked again.
        known = bisect.bisect_right(self.events, moment, key=_AT)
        if known == len(self.events):
            # Nothing is cut off: this timeline is the answer, with the views it has.
            return self
        # The last cut is kept with the views it computed: a check that walks back
        # through time asks for the same cut at many moments between two records.
        last = self._views.get("as_of")
        if last is None or last[0] != known:
            last = self._views["as_of"] = (known, self._trusted(self.events[:known]))
        return cast("Timeline", last[1])

    def of_type(self, kind: type[E]) -> tuple[E, ...]:
        """The events of class *kind* (or a subclass of it), oldest first."""
        # The most frequent query of a review: a plain lookup, no view to build per kind.
        # Typed loosely (each class maps to events of that class) rather than through
        # cast(), which would add a call to every query.
        by_class: dict[type[Event], tuple[Any, ...]] | None = self._views.get("by_class")
        if by_class is None:
            self._views["by_class"] = self._group_by_class()
            return self.of_type(kind)
        return by_class.get(kind, ())

    def _group_by_class(self) -> dict[type[Event], tuple[Event, ...]]:
        # Every event is listed under its class and every event class above it, so a
        # query for a base class is a lookup too, in time order like the others. One
        # pass by exact class does it, as every built-in kind derives from Event directly.
        groups: dict[type[Event], list[Event]] = _grouped(self.events, type)
        if not _derive_from_event_directly(groups.keys()):
            # Rare: a class derived from another event kind, listed under both.
            groups.clear()
            for event in self.events:
                for cls in _event_classes(type(event)):
                    groups.setdefault(cls, []).append(event)
        by_class = {cls: tuple(events) for cls, events in groups.items()}
        by_class[Event] = self.events  # every event kind derives from Event
        return by_class

    def get(self, event_id: str) -> Event | None:
        """The event with *event_id*, or ``None``."""
        return next((e for e in self.events if e.id == event_id), None)

    def between(self, start: datetime, end: datetime) -> tuple[Event, ...]:
        """Events with ``start <= at <= end``."""
        return tuple(e for e in self.events if start <= e.at <= end)

    # Interactions ---------------------------------------------------------------

    def interactions(
        self, *, personal: bool | None = None, initiated_by: str | None = None
    ) -> tuple[Interaction, ...]:
        """Interactions, optionally only personal ones or only those one side started."""
        if personal is None and initiated_by is None:
            return self.of_type(Interaction)
        key = ("interactions", personal, initiated_by)
        matching: tuple[Interaction, ...] | None = self._views.get(key)
        if matching is None:
            matching = self._views[key] = tuple(
                e
                for e in self.of_type(Interaction)
                if (personal is None or e.personal is personal)
                and (initiated_by is None or e.initiated_by == initiated_by)
            )
        return matching

    def last_contact(
        self, *, personal: bool | None = True, initiated_by: str | None = None
    ) -> Interaction | None:
        """The newest interaction matching the filters (personal ones by default)."""
        matching = self.interactions(personal=personal, initiated_by=initiated_by)
        return matching[-1] if matching else None

    def with_topic(self, topic: str) -> tuple[Interaction, ...]:
        """Interactions that touched *topic* (``thanks``, ``future_plans``…)."""
        key = ("with_topic", topic)
        matching: tuple[Interaction, ...] | None = self._views.get(key)
        if matching is None:
            matching = self._views[key] = tuple(
                e for e in self.of_type(Interaction) if topic in e.topics
            )
        return matching

    # Lifecycles -----------------------------------------------------------------
    # Each is built once per timeline from the events of the kinds it reads (see
    # _continuations) and kept: every principle reads the same lifecycles. They are
    # built by list comprehensions: in CPython 3.11, tuple() over a generator costs
    # more (views of a review: 139k -> 136k instructions per account).

    @_kept
    def requests(self) -> tuple[RequestState, ...]:
        """Every request with its committed answer dates and answer."""
        requests = self.of_type(Request)
        if not requests:
            return ()
        promised = self._continuations(AnswerPromised)
        answers = self._continuations(RequestAnswered)
        return tuple(
            [
                RequestState(
                    request, tuple(promised.get(request.id, ())), _first(answers.get(request.id))
                )
                for request in requests
            ]
        )

    @_kept
    def open_requests(self) -> tuple[RequestState, ...]:
        """Requests that have no answer yet."""
        return tuple([state for state in self.requests() if state.open])

    @_kept
    def promises(self) -> tuple[PromiseState, ...]:
        """Every promise with its renegotiations and outcome."""
        promises = self.of_type(Promise)
        if not promises:
            return ()
        renegotiations = self._continuations(PromiseRenegotiated)
        kept = self._continuations(PromiseKept)
        return tuple(
            [
                PromiseState(
                    promise,
                    tuple(renegotiations.get(promise.id, ())),
                    _first(kept.get(promise.id)),
                )
                for promise in promises
            ]
        )

    @_kept
    def open_promises(self) -> tuple[PromiseState, ...]:
        """Promises not delivered yet."""
        return tuple([state for state in self.promises() if state.open])

    def slipped_promises(self, as_of: datetime) -> tuple[PromiseState, ...]:
        """Promises renegotiated at least once, or open past their due date at *as_of*."""
        return tuple(
            state for state in self.promises() if state.renegotiations or state.overdue(as_of)
        )

    @_kept
    def complaints(self) -> tuple[ComplaintState, ...]:
        """Every complaint with the workflow steps it reached."""
        complaints = self.of_type(Complaint)
        if not complaints:
            return ()
        steps = self._continuations(ComplaintStep)
        return tuple(
            [
                ComplaintState(complaint, tuple(steps.get(complaint.id, ())))
                for complaint in complaints
            ]
        )

    @_kept
    def open_complaints(self) -> tuple[ComplaintState, ...]:
        """Complaints not resolved yet."""
        return tuple([state for state in self.complaints() if state.open])

    @_kept
    def waits(self) -> tuple[WaitState, ...]:
        """Every wait on the client, ended or not."""
        started = self.of_type(WaitStarted)
        if not started:
            return ()
        ended = self._continuations(WaitEnded)
        return tuple([WaitState(wait, _first(ended.get(wait.id))) for wait in started])

    def paused_seconds(self, about: str, start: datetime, end: datetime) -> float:
        """Seconds of ``[start, end]`` during which the clock of event *about* was paused.

        A wait pauses the clock of the event it is about, and a wait about
        nothing in particular pauses every clock. Overlapping waits count once.
        """
        pausing_by_clock = self._pausing_waits()
        pausing = pausing_by_clock.get(about)
        if pausing is None:
            pausing = pausing_by_clock.get(None, ())  # no wait about this clock: the general ones
        if not pausing:
            return 0.0  # the usual case: nothing paused this clock
        if len(pausing) == 1:
            return pausing[0].overlap(start, end)  # the next most usual: one wait, nothing overlaps
        spans = sorted(
            (max(start, w.started.at), min(end, w.ended.at if w.ended else end)) for w in pausing
        )
        total, covered_to = 0.0, start
        for span_start, span_end in spans:
            lo = max(span_start, covered_to)
            if span_end > lo:
                total += (span_end - lo).total_seconds()
                covered_to = span_end
        return total

    @_kept
    def _pausing_waits(self) -> dict[str | None, tuple[WaitState, ...]]:
        """The waits that pause each clock, by the id of the event the clock is about.

        Under ``None``, the waits about nothing in particular, which pause every
        clock; under an event's id, those and the waits about that event. Why by
        clock: a review asks :meth:`paused_seconds` for every clock it reads, and
        most clocks have no wait, so the answer is one lookup.
        """
        waits = self.waits()
        if not waits:
            return {}  # the usual case: never waited on the client
        about = _grouped(waits, _ABOUT)
        general = tuple(about.pop(None, ()))
        pausing: dict[str | None, tuple[WaitState, ...]] = {
            event_id: (*general, *own) for event_id, own in about.items()
        }
        pausing[None] = general
        return pausing

    @_kept
    def adverse_changes(self) -> tuple[ChangeState, ...]:
        """Every adverse change with how the client heard of it."""
        changes = self.of_type(AdverseChange)
        if not changes:
            return ()
        told = self._continuations(ChangeCommunicated)
        return tuple([ChangeState(change, tuple(told.get(change.id, ()))) for change in changes])

    @_kept
    def situations(self) -> tuple[SituationState, ...]:
        """Every non-standard situation with its recorded responses."""
        situations = self.of_type(Situation)
        if not situations:
            return ()
        responses = self._continuations(SituationResponse)
        return tuple(
            [
                SituationState(situation, tuple(responses.get(situation.id, ())))
                for situation in situations
            ]
        )

    @_kept
    def goals(self) -> tuple[GoalState, ...]:
        """Every joint goal with its progress."""
        goals = self.of_type(Goal)
        if not goals:
            return ()
        progress = self._continuations(GoalProgress)
        return tuple([GoalState(goal, tuple(progress.get(goal.id, ()))) for goal in goals])

    def surveys(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[SurveyResponse, ...]:
        """Survey responses, optionally only those with ``start <= at <= end``."""
        surveys = self.of_type(SurveyResponse)  # in time order: the span is a slice
        if start is None and end is None:
            return surveys  # the usual question: all of them
        low = 0 if start is None else bisect.bisect_left(surveys, start, key=_AT)
        high = len(surveys) if end is None else bisect.bisect_right(surveys, end, key=_AT)
        return surveys[low:high]

    def decisions(self, finding: str | None = None) -> tuple[Decision, ...]:
        """Manager decisions, optionally only those on *finding*."""
        if finding is None:
            return self.of_type(Decision)
        return tuple(d for d in self.of_type(Decision) if d.finding == finding)

    def _continuations(self, kind: type[E]) -> dict[str, list[E]]:
        """The events of class *kind* by the id of the opener each continues, oldest first."""
        # The field that names the opener is read directly: ``event.ref`` would look
        # it up in ``REF`` anew for every event of every lifecycle.
        events = self.of_type(kind)
        if not events:
            return {}  # often: an opener nothing has continued yet
        field, _opener_kind = cast("tuple[str, type[Event]]", kind.REF)
        return _grouped(events, operator.attrgetter(field))


def _grouped(items: Iterable[V], key: Callable[[V], K]) -> dict[K, list[V]]:
    """*items* by *key*, each group in the order given."""
    # A plain dict, not a defaultdict: CPython's fast path for indexing and .get()
    # applies to exact dicts only (grouping 20 events by class: 5.0 -> 4.0 µs).
    groups: dict[K, list[V]] = {}
    for item in items:
        group_key = key(item)
        group = groups.get(group_key)
        if group is None:
            groups[group_key] = [item]
        else:
            group.append(item)
    return groups


_DIRECT_EVENT_CLASSES: set[type[Event]] = set()


def _derive_from_event_directly(classes: Collection[type[Event]]) -> bool:
    """``True`` when every class of *classes* derives from :class:`Event` directly."""
    # Why the classes found so far are kept: this is asked of every timeline a
    # review reads, and testing a set of known classes is one call, not one per class.
    if _DIRECT_EVENT_CLASSES.issuperset(classes):
        return True
    direct = {cls for cls in classes if cls.__bases__ == (Event,)}
    _DIRECT_EVENT_CLASSES.update(direct)
    return len(direct) == len(classes)


_EVENT_CLASSES: dict[type[Event], tuple[type[Event], ...]] = {}


def _event_classes(cls: type[Event]) -> tuple[type[Event], ...]:
    """*cls* and the event classes it derives from (kept: there are few classes)."""
    classes = _EVENT_CLASSES.get(cls)
    if classes is None:
        classes = _EVENT_CLASSES[cls] = tuple(
            base for base in cls.__mro__ if issubclass(base, Event)
        )
    return classes


def reference_problem(event: Event, by_id: Mapping[str, Event]) -> str | None:
    """What is wrong with the reference *event* makes to an earlier event, if anything.

    Args:
        event: the event whose ``REF`` field (or, for a wait, ``about``) is checked.
        by_id: the other events of the timeline by id.

    Returns:
        ``None`` when the reference is sound or there is none, else the problem.
    """
    if event.REF:
        target_id, expected = event.ref, event.REF[1]
    elif isinstance(event, WaitStarted) and event.about is not None:
        target_id, expected = event.about, Event
    else:
        return None
    target = by_id.get(target_id) if target_id is not None else None
    if target is None:
        return f"no event with id {target_id!r} in this timeline"
    if not isinstance(target, expected):
        return f"{target_id!r} is a {target.kind}, expected a {expected.kind or 'event'}"
    if target.at > event.at:
        return f"{target_id!r} happens later ({target.at.isoformat()}) than this event"
    return None
