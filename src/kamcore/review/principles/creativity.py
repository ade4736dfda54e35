"""Creativity: every non-standard situation gets a recorded, reusable playbook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Final

from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple, deadline

__all__ = ["CREATIVITY", "PLAYBOOK_DAYS"]

PLAYBOOK_DAYS: Final = 3
"""Days allowed to record a response to a non-standard situation."""

_PLAYBOOK_WITHIN: Final = timedelta(days=PLAYBOOK_DAYS)


def _creativity(context: ReviewContext) -> Iterator[Finding]:
    for state in context.client.timeline.situations():
        situation = state.situation
        if not state.responses:
            clock = deadline(
                context, start=situation.at, allowed=_PLAYBOOK_WITHIN, about=situation.id
            )
            if clock:
                severity, due = clock
                yield context.finding(
                    principle="creativity",
                    code="situation_without_playbook",
                    severity=severity,
                    params={"description": situation.description, "since": situation.at},
                    evidence=(situation.id,),
                    values={"days_allowed": PLAYBOOK_DAYS},
                    action="record_playbook",
                    due=due,
                )
        elif not any(response.reusable for response in state.responses):
            yield context.finding(
                principle="creativity",
                code="playbook_not_reusable",
                severity="info",
                params={"description": situation.description},
                evidence=(situation.id, *[r.id for r in state.responses]),
                values={"responses": len(state.responses)},
                action="record_playbook",
            )


CREATIVITY = SimplePrinciple(
    "creativity",
    "Creativity",
    {
        "situation_without_playbook": "a non-standard situation has no recorded response: "
        "record what was done, as a playbook",
        "playbook_not_reusable": "the responses to a non-standard situation never made it into "
        "the client's knowledge base: write one up so that it can be reused",
    },
    _creativity,
)
