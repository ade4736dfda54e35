"""Proactive contact and communicating the future: the clocks of keeping in touch.

``proactive_contact`` (000 rule 5, 001, 003 §2, 002 "principle of the preferred
call"): no client is silent longer than its tier's cadence, and a looming problem
gets a real call, not only e-mails. ``communicate_future`` (000 rule 6): the client
is thanked and the future is discussed, periodically.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Final

from kamcore.model import Interaction
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple, deadline
from kamcore.review.principles._known import last_or_known

__all__ = ["COMMUNICATE_FUTURE", "PROACTIVE_CONTACT"]

CALL_CHANNELS: Final = frozenset({"call", "meeting", "visit"})
"""Channels that count as a real conversation for the principle of the preferred call."""

WRITTEN_CHANNELS: Final = frozenset({"email", "message"})
"""Channels that do not: written contact only."""

FUTURE_TOPICS: Final = ("thanks", "future_plans")
"""Interaction topics ``communicate_future`` looks for."""

_CALL_WITHIN: Final = timedelta(days=2)


def _days(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 86400, 1)


def _newest_on(interactions: tuple[Interaction, ...], topic: str) -> Interaction | None:
    """The newest of *interactions* (oldest first) that touched *topic*, ``None`` if none did."""
    # A loop from the end rather than next() over a generator, which costs more to
    # set up than the search usually takes: it stops at the first or second look.
    for interaction in reversed(interactions):
        if topic in interaction.topics:
            return interaction
    return None


def _silence(context: ReviewContext) -> Iterator[Finding]:
    last = context.client.timeline.last_contact(personal=True)
    anchor = last_or_known(context.client, context.as_of, last)
    if anchor is None:
        return
    start, evidence = anchor
    cadence = context.standard.contact_cadence_days
    clock = deadline(context, start=start, allowed=context.standard.contact_cadence, about=None)
    if clock:
        severity, due = clock
        yield context.finding(
            principle="proactive_contact",
            code="silent_past_cadence",
            severity=severity,
            params={
                "last_contact": last.at if last else None,
                "channel": last.channel if last else None,
            },
            evidence=evidence,
            values={"days_silent": _days(start, context.as_of), "cadence_days": cadence},
            action="call",
            due=due,
        )


def _problems(context: ReviewContext) -> Iterator[tuple[str, str, datetime, tuple[str, ...]]]:
    """Looming problems: ``(kind, subject, started, evidence)``."""
    timeline = context.client.timeline
    for complaint in timeline.open_complaints():
        yield (
            "complaint",
            complaint.complaint.subject,
            complaint.complaint.at,
            (complaint.complaint.id,),
        )
    for promise in timeline.open_promises():
        if not (promise.renegotiations or promise.overdue(context.as_of)):
            continue  # not slipped
        # Renegotiated: the trouble showed when the date first moved; else at the due date.
        started = promise.renegotiations[0].at if promise.renegotiations else promise.due
        evidence = (promise.promise.id, *[r.id for r in promise.renegotiations])
        yield "promise", promise.promise.what, started, evidence
    # An adverse change has no closing event of its own: the call asked for here is
    # what closes it.
    for change in timeline.adverse_changes():
        yield "adverse_change", change.change.description, change.change.at, (change.change.id,)


def _preferred_call(context: ReviewContext) -> Iterator[Finding]:
    timeline = context.client.timeline
    # Interactions are in time order: a call since a problem started exists when the
    # last call is no older than the problem.
    last_call: datetime | None = None
    for interaction in reversed(timeline.interactions(personal=True)):
        if interaction.channel in CALL_CHANNELS:
            last_call = interaction.at
            break
    for kind, subject, started, evidence in _problems(context):
        if last_call is not None and last_call >= started:
            continue
        since = tuple(
            [
                i.id
                for i in timeline.interactions()
                if i.channel in WRITTEN_CHANNELS and i.at >= started
            ]
        )
        yield context.finding(
            principle="proactive_contact",
            code="problem_without_call",
            severity="violation",
            params={
                "problem": kind,
                "subject": subject,
                "since": started,
                "written_contacts": since,
            },
            evidence=evidence,
            values={
                "days_without_call": _days(started, context.as_of),
                "written_contacts": len(since),
            },
            action="call",
            due=started + _CALL_WITHIN,
        )


def _proactive_contact(context: ReviewContext) -> Iterator[Finding]:
    yield from _silence(context)
    yield from _preferred_call(context)


PROACTIVE_CONTACT = SimplePrinciple(
    "proactive_contact",
    "Proactive and regular contact",
    {
        "silent_past_cadence": "no personal contact with the client for longer than the tier's "
        "cadence (or it is close): call the client",
        "problem_without_call": "an open complaint, a slipped promise or an adverse change has had "
        "no call, meeting or visit since it started, only written messages at most: call the "
        "client",
    },
    _proactive_contact,
)


def _communicate_future(context: ReviewContext) -> Iterator[Finding]:
    client, as_of = context.client, context.as_of
    personal = client.timeline.interactions(personal=True)
    interval = context.standard.future_talk_days
    allowed = context.standard.future_talk_interval
    # What the finding reports, gathered topic by topic (no second pass over the topics).
    last_talks: dict[str, datetime | None] = {}
    late_topics: list[str] = []
    days_since: dict[str, float] = {}
    evidence: list[str] = []
    severities: list[str] = []
    dues: list[datetime] = []
    for topic in FUTURE_TOPICS:
        talk = _newest_on(personal, topic)
        last_talks[f"last_{topic}"] = talk.at if talk else None
        anchor = last_or_known(client, as_of, talk)
        if anchor is None:
            return
        start, ids = anchor
        clock = deadline(context, start=start, allowed=allowed, about=None)
        if clock:
            late_topics.append(topic)
            days_since[f"days_since_{topic}"] = _days(start, as_of)
            evidence += ids
            severities.append(clock[0])
            dues.append(clock[1])
    if not late_topics:
        return
    # One finding for both topics: a single conversation often covers both, and two
    # findings with the same code and evidence would be the same situation.
    yield context.finding(
        principle="communicate_future",
        code="no_future_talk",
        severity="violation" if "violation" in severities else "warning",
        params={"topics": tuple(late_topics), **last_talks},
        evidence=tuple(dict.fromkeys(evidence)),
        values={**days_since, "interval_days": interval},
        action="thank_and_discuss_future",
        due=min(dues),
    )


COMMUNICATE_FUTURE = SimplePrinciple(
    "communicate_future",
    "Communicate the future",
    {
        "no_future_talk": "no personal conversation thanking the client, or none about future "
        "plans, for longer than the tier allows (or it is close): thank the client and talk "
        "about the future together",
    },
    _communicate_future,
)
