"""Care: no bare "no", a personal word where it matters, and everyone knows who is key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Final

from kamcore.model import Event, Interaction, Request, RequestAnswered
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple

__all__ = ["CARE", "PERSONAL_TOPICS"]

PERSONAL_TOPICS: Final = frozenset({"order_completed", "problem", "complaint"})
"""Interaction topics that call for a personal message, never a template."""

_ACT_WITHIN: Final = timedelta(days=1)


def _bare_noes(context: ReviewContext) -> Iterator[Finding]:
    timeline = context.client.timeline
    answers = timeline.of_type(RequestAnswered)
    for answer in answers:
        if not answer.declined or answer.alternative is not None:
            continue
        # A later answer to the same request that offers an alternative (or says yes)
        # makes good on the bare "no".
        if any(
            later.request_id == answer.request_id
            and later.at >= answer.at
            and later.id != answer.id
            and (not later.declined or later.alternative is not None)
            for later in answers
        ):
            continue
        request = timeline.get(answer.request_id)
        yield context.finding(
            principle="care",
            code="no_without_alternative",
            severity="violation",
            params={
                "subject": request.subject if isinstance(request, Request) else None,
                "answered": answer.at,
            },
            evidence=(answer.request_id, answer.id),
            action="offer_alternative",
            due=answer.at + _ACT_WITHIN,
        )


def _templates(context: ReviewContext) -> Iterator[Finding]:
    interactions = context.client.timeline.of_type(Interaction)
    for templated in interactions:
        if templated.personal:
            continue
        topics = PERSONAL_TOPICS.intersection(templated.topics)
        if not topics:
            continue
        # A personal contact on the same matter afterwards is the personal touch.
        if any(
            later.personal and later.at >= templated.at and topics.intersection(later.topics)
            for later in interactions
        ):
            continue
        yield context.finding(
            principle="care",
            code="templated_where_personal_due",
            severity="warning",
            params={"topics": tuple(sorted(topics)), "channel": templated.channel},
            evidence=(templated.id,),
            action="send_personal_message",
            due=templated.at + _ACT_WITHIN,
        )


def _key_list_reach(context: ReviewContext) -> Iterator[Finding]:
    if not context.key:
        return
    staff = context.staff
    served: defaultdict[str, list[Event]] = defaultdict(list)
    for event in context.client.timeline:
        member = staff.get(event.by) if event.by is not None else None
        if member is not None and member.client_facing and not member.sees_key_list:
            served[member.id].append(event)
    for member_id, events in served.items():
        member = staff[member_id]
        yield context.finding(
            principle="care",
            code="key_list_reach",
            severity="violation",
            params={"staff_id": member.id, "name": member.name, "role": member.role},
            evidence=tuple(e.id for e in events),
            values={"events": len(events)},
            action="share_key_list",
            due=events[0].at + _ACT_WITHIN,
        )


def _care(context: ReviewContext) -> Iterator[Finding]:
    yield from _bare_noes(context)
    yield from _templates(context)
    yield from _key_list_reach(context)


CARE = SimplePrinciple(
    "care",
    "Care",
    {
        "no_without_alternative": 'a request was answered "no" with nothing offered instead: '
        "go back to the client with an alternative",
        "templated_where_personal_due": "an order completion or a problem got a template message "
        "instead of a personal one: send a personal message",
        "key_list_reach": "someone who serves this key client cannot see the key-client list: "
        "give them access to it",
    },
    _care,
)
