"""Timeline events: everything that happens between a client and its company.

The timeline is append-only: a lifecycle is a chain of events that refer back
to the one that opened it (a :class:`Request` is answered by a later
:class:`RequestAnswered`), never an event whose fields change later. That makes
"as of a moment" exact: cut the timeline at the moment and what is left is
exactly what was known then.

Every event class has a ``kind``, the name it carries in the file format. An
event that continues a lifecycle names its opener through ``REF``: the field
that holds the id and the class that field must point to.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, Final

import attrs

from kamcore.model import _validators as v
from kamcore.model.account import CHANNELS

__all__ = [
    "ADVERSE_CHANGES",
    "COMPLAINT_STEPS",
    "DECISIONS",
    "EVENT_TYPES",
    "INITIATORS",
    "AdverseChange",
    "AnswerPromised",
    "ChangeCommunicated",
    "Complaint",
    "ComplaintStep",
    "Decision",
    "Document",
    "Event",
    "Goal",
    "GoalProgress",
    "Interaction",
    "Promise",
    "PromiseKept",
    "PromiseRenegotiated",
    "Request",
    "RequestAnswered",
    "Situation",
    "SituationResponse",
    "SurveyResponse",
    "WaitEnded",
    "WaitStarted",
]

INITIATORS: Final = frozenset({"us", "client"})
"""Who started an interaction: our side or the client."""

COMPLAINT_STEPS: Final = ("accepted", "investigating", "resolved", "feedback_given")
"""The complaint workflow, in order."""

ADVERSE_CHANGES: Final = frozenset({"price_change", "delay", "discontinued", "other"})
"""Kinds of adverse change the client must hear about early."""

DECISIONS: Final = frozenset({"snooze", "acknowledge"})
"""What a manager can decide about a finding."""


def _optional_text_field() -> Any:
    return attrs.field(default=None, validator=v.optional_text)


def _texts_field() -> Any:
    return attrs.field(factory=tuple, converter=v.frozen_tuple, validator=v.texts)


@attrs.frozen(kw_only=True)
class Document:
    """A reference to a document attached to an event; kamcore never reads it.

    Attributes:
        name: the document's title or file name.
        uri: where it lives (a CRM attachment URL, a path…).
        media_type: its MIME type, if known.
    """

    name: str = attrs.field(validator=v.text)
    uri: str | None = _optional_text_field()
    media_type: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class Event:
    """Fields every timeline event has.

    Attributes:
        id: stable id, unique within the account's timeline.
        at: when it happened (timezone-aware).
        by: who on our side did or recorded it, if known.
        documents: documents attached to it (reports, transcripts, files).
    """

    kind: ClassVar[str] = ""
    REF: ClassVar[tuple[str, type[Event]] | None] = None

    id: str = attrs.field(validator=v.text)
    at: datetime = attrs.field(validator=v.aware)
    by: str | None = _optional_text_field()
    documents: tuple[Document, ...] = attrs.field(
        factory=tuple, converter=v.frozen_tuple, validator=v.instances_of(Document)
    )

    @property
    def ref(self) -> str | None:
        """The id of the event this one continues, or ``None`` for an opener."""
        return getattr(self, self.REF[0]) if self.REF else None


@attrs.frozen(kw_only=True)
class Interaction(Event):
    """A contact with the client: a call, meeting, visit, e-mail, message or demo.

    Attributes:
        channel: one of :data:`~kamcore.model.account.CHANNELS`.
        initiated_by: ``us`` or ``client``.
        personal: ``False`` for a templated or mass message.
        topics: what it was about: ``thanks``, ``future_plans``, ``order_completed``,
            ``problem``, ``update``… (free labels; principle checks read the documented ones).
        contact_id: the contact spoken to, if known.
        summary: a short account of what was said.
    """

    kind: ClassVar[str] = "interaction"

    channel: str = attrs.field(validator=v.one_of(CHANNELS))
    initiated_by: str = attrs.field(default="us", validator=v.one_of(INITIATORS))
    personal: bool = attrs.field(default=True, validator=v.instance(bool))
    topics: tuple[str, ...] = _texts_field()
    contact_id: str | None = _optional_text_field()
    summary: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class Request(Event):
    """The client asks for something and expects an answer.

    Attributes:
        subject: what was asked.
        channel: how it came in, one of :data:`~kamcore.model.account.CHANNELS`.
        contact_id: who asked, if known.
    """

    kind: ClassVar[str] = "request"

    subject: str = attrs.field(validator=v.text)
    channel: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(v.one_of(CHANNELS))
    )
    contact_id: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class AnswerPromised(Event):
    """We committed to a date for answering a request we could not answer at once.

    Attributes:
        request_id: the :class:`Request` this is about.
        answer_by: the committed answer date.
    """

    kind: ClassVar[str] = "answer_promised"

    request_id: str = attrs.field(validator=v.text)
    answer_by: datetime = attrs.field(validator=v.aware)


@attrs.frozen(kw_only=True)
class RequestAnswered(Event):
    """A request got its answer, possibly a "no".

    Attributes:
        request_id: the :class:`Request` answered.
        declined: ``True`` when the answer was "no".
        alternative: what was offered instead of a "no", if anything.
        summary: the answer in short.
    """

    kind: ClassVar[str] = "request_answered"

    request_id: str = attrs.field(validator=v.text)
    declined: bool = attrs.field(default=False, validator=v.instance(bool))
    alternative: str | None = _optional_text_field()
    summary: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class WaitStarted(Event):
    """We are waiting on the client; service clocks on *about* pause until it ends.

    Attributes:
        reason: what we are waiting for.
        about: the event whose clock pauses (a request, promise or complaint);
            ``None`` pauses every clock of the account.
    """

    kind: ClassVar[str] = "wait_started"

    reason: str = attrs.field(validator=v.text)
    about: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class WaitEnded(Event):
    """The client delivered what we were waiting for.

    Attributes:
        wait_id: the :class:`WaitStarted` it ends.
    """

    kind: ClassVar[str] = "wait_ended"

    wait_id: str = attrs.field(validator=v.text)


@attrs.frozen(kw_only=True)
class Situation(Event):
    """A non-standard situation that no routine covers.

    Attributes:
        description: what happened.
    """

    kind: ClassVar[str] = "situation"

    description: str = attrs.field(validator=v.text)


@attrs.frozen(kw_only=True)
class SituationResponse(Event):
    """The playbook or response recorded for a non-standard situation.

    Attributes:
        situation_id: the :class:`Situation` it answers.
        playbook: what was done, written so that it can be reused.
        reusable: ``True`` when it was added to the client's knowledge base.
    """

    kind: ClassVar[str] = "situation_response"

    situation_id: str = attrs.field(validator=v.text)
    playbook: str = attrs.field(validator=v.text)
    reusable: bool = attrs.field(default=False, validator=v.instance(bool))


@attrs.frozen(kw_only=True)
class Promise(Event):
    """A commitment to the client with a due date.

    Attributes:
        what: what was promised.
        due: when it is due.
        contact_id: whom it was promised to, if known.
    """

    kind: ClassVar[str] = "promise"

    what: str = attrs.field(validator=v.text)
    due: datetime = attrs.field(validator=v.aware)
    contact_id: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class PromiseKept(Event):
    """A promise was delivered.

    Attributes:
        promise_id: the :class:`Promise` kept.
    """

    kind: ClassVar[str] = "promise_kept"

    promise_id: str = attrs.field(validator=v.text)


@attrs.frozen(kw_only=True)
class PromiseRenegotiated(Event):
    """A promise's date moved, and what the client was told about it.

    A proper renegotiation carries an explanation, an apology and a new date,
    in writing; the fields record which of those happened.

    Attributes:
        promise_id: the :class:`Promise` renegotiated.
        new_due: the new due date, ``None`` when none was given.
        explanation: why the date moved, as told to the client.
        apology: whether the client got an apology.
        written: whether the client was told in writing.
    """

    kind: ClassVar[str] = "promise_renegotiated"

    promise_id: str = attrs.field(validator=v.text)
    new_due: datetime | None = attrs.field(default=None, validator=v.optional_aware)
    explanation: str | None = _optional_text_field()
    apology: bool = attrs.field(default=False, validator=v.instance(bool))
    written: bool = attrs.field(default=False, validator=v.instance(bool))


@attrs.frozen(kw_only=True)
class AdverseChange(Event):
    """A decision that is bad news for the client became official at ``at``.

    Attributes:
        change: one of :data:`ADVERSE_CHANGES`.
        description: what changes for the client.
    """

    kind: ClassVar[str] = "adverse_change"

    change: str = attrs.field(validator=v.one_of(ADVERSE_CHANGES))
    description: str = attrs.field(validator=v.text)


@attrs.frozen(kw_only=True)
class ChangeCommunicated(Event):
    """The client was told of an adverse change.

    Attributes:
        change_id: the :class:`AdverseChange` told.
        alternatives: the alternatives offered with the news.
        written: whether it was told in writing.
        contact_id: who was told, if known.
    """

    kind: ClassVar[str] = "change_communicated"

    change_id: str = attrs.field(validator=v.text)
    alternatives: tuple[str, ...] = _texts_field()
    written: bool = attrs.field(default=False, validator=v.instance(bool))
    contact_id: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class Complaint(Event):
    """The client complained.

    Attributes:
        subject: what the complaint is about.
        contact_id: who complained, if known.
    """

    kind: ClassVar[str] = "complaint"

    subject: str = attrs.field(validator=v.text)
    contact_id: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class ComplaintStep(Event):
    """A complaint reached a step of the workflow in :data:`COMPLAINT_STEPS`.

    Attributes:
        complaint_id: the :class:`Complaint` it advances.
        step: ``accepted``, ``investigating``, ``resolved`` or ``feedback_given``.
        owner: who owns the complaint from this step on.
    """

    kind: ClassVar[str] = "complaint_step"

    complaint_id: str = attrs.field(validator=v.text)
    step: str = attrs.field(validator=v.one_of(COMPLAINT_STEPS))
    owner: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class SurveyResponse(Event):
    """A satisfaction survey answered by the client.

    Scores run from 1 (worst) to 5 (best); the Net Promoter Score from 0 to 10.

    Attributes:
        product_quality: score for the product.
        service_attitude: score for the service staff's attitude.
        resolution_efficiency: score for how fast problems got solved.
        nps: how likely the client is to recommend us, if asked.
        contact_id: who answered, if known.
    """

    kind: ClassVar[str] = "survey"

    product_quality: float | None = attrs.field(
        default=None, converter=v.as_float, validator=v.score(1, 5)
    )
    service_attitude: float | None = attrs.field(
        default=None, converter=v.as_float, validator=v.score(1, 5)
    )
    resolution_efficiency: float | None = attrs.field(
        default=None, converter=v.as_float, validator=v.score(1, 5)
    )
    nps: int | None = attrs.field(default=None, validator=v.score(0, 10))
    contact_id: str | None = _optional_text_field()

    def __attrs_post_init__(self) -> None:
        if self.nps is not None and not isinstance(self.nps, int):
            v.fail(self, "nps", "must be a whole number from 0 to 10")
        if all(score is None for score in self.scores().values()) and self.nps is None:
            v.fail(self, "product_quality", "a survey response needs at least one score")

    def scores(self) -> dict[str, float | None]:
        """The three 1-5 scores by name."""
        return {
            "product_quality": self.product_quality,
            "service_attitude": self.service_attitude,
            "resolution_efficiency": self.resolution_efficiency,
        }

    @cached_property
    def mean_score(self) -> float | None:
        """The mean of the 1-5 scores given, ``None`` when none was."""
        given = [s for s in self.scores().values() if s is not None]
        return sum(given) / len(given) if given else None


@attrs.frozen(kw_only=True)
class Goal(Event):
    """A goal set jointly with the client (a success plan).

    Attributes:
        title: the goal.
        client_participants: ids of the client's contacts who set it with us.
        target: when it should be reached, if set.
    """

    kind: ClassVar[str] = "goal"

    title: str = attrs.field(validator=v.text)
    client_participants: tuple[str, ...] = _texts_field()
    target: datetime | None = attrs.field(default=None, validator=v.optional_aware)


@attrs.frozen(kw_only=True)
class GoalProgress(Event):
    """Progress recorded on a joint goal.

    Attributes:
        goal_id: the :class:`Goal`.
        progress: share achieved, from 0 to 1.
        note: what changed.
    """

    kind: ClassVar[str] = "goal_progress"

    goal_id: str = attrs.field(validator=v.text)
    progress: float = attrs.field(converter=v.as_float, validator=v.score(0, 1))
    note: str | None = _optional_text_field()


@attrs.frozen(kw_only=True)
class Decision(Event):
    """A manager's decision on a finding: snooze it until a date, or acknowledge it.

    Attributes:
        finding: the finding's key or code the decision applies to.
        action: ``snooze`` or ``acknowledge``.
        until: for a snooze, when the finding comes back.
        reason: why, in the manager's words.
    """

    kind: ClassVar[str] = "decision"

    finding: str = attrs.field(validator=v.text)
    action: str = attrs.field(validator=v.one_of(DECISIONS))
    until: datetime | None = attrs.field(default=None, validator=v.optional_aware)
    reason: str | None = _optional_text_field()

    def __attrs_post_init__(self) -> None:
        if self.action == "snooze" and self.until is None:
            v.fail(self, "until", "a snooze needs the date it ends")


AnswerPromised.REF = ("request_id", Request)
RequestAnswered.REF = ("request_id", Request)
WaitEnded.REF = ("wait_id", WaitStarted)
SituationResponse.REF = ("situation_id", Situation)
PromiseKept.REF = ("promise_id", Promise)
PromiseRenegotiated.REF = ("promise_id", Promise)
ChangeCommunicated.REF = ("change_id", AdverseChange)
ComplaintStep.REF = ("complaint_id", Complaint)
GoalProgress.REF = ("goal_id", Goal)

EVENT_TYPES: Final[dict[str, type[Event]]] = {
    cls.kind: cls
    for cls in (
        Interaction,
        Request,
        AnswerPromised,
        RequestAnswered,
        WaitStarted,
        WaitEnded,
        Situation,
        SituationResponse,
        Promise,
        PromiseKept,
        PromiseRenegotiated,
        AdverseChange,
        ChangeCommunicated,
        Complaint,
        ComplaintStep,
        SurveyResponse,
        Goal,
        GoalProgress,
        Decision,
    )
}
"""Every event class by its ``kind``."""
