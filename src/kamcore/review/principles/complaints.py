"""Complaints (003 §8): accepted → investigating → resolved → feedback given, each
step within its SLA."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import timedelta

from kamcore.model import COMPLAINT_STEPS
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple, deadline

__all__ = ["COMPLAINTS"]


def _complaints(context: ReviewContext) -> Iterator[Finding]:
    timeline = context.client.timeline
    sla = context.standard.complaint_sla_hours
    for state in timeline.complaints():
        complaint, current = state.complaint, state.current_step
        position = COMPLAINT_STEPS.index(current) + 1 if current else 0
        if position == len(COMPLAINT_STEPS):
            continue
        step = COMPLAINT_STEPS[position]
        hours = sla.get(step)
        if hours is None:
            continue
        reached = state.reached(current) if current else None
        start = reached.at if reached else complaint.at
        clock = deadline(context, start=start, allowed=_step_allowance(hours), about=complaint.id)
        if not clock:
            continue
        severity, due = clock
        owners = [s.owner for s in state.steps if s.owner]
        counted = (context.as_of - start).total_seconds() - timeline.paused_seconds(
            complaint.id, start, context.as_of
        )
        yield context.finding(
            principle="complaints",
            code="complaint_step_overdue",
            severity=severity,
            params={
                "subject": complaint.subject,
                "step": step,
                "previous_step": current,
                "since": start,
                "step_owner": owners[-1] if owners else None,
            },
            evidence=(complaint.id, *[s.id for s in state.steps]),
            values={"sla_hours": hours, "hours_counted": round(counted / 3600, 1)},
            action="advance_complaint",
            due=due,
        )


@functools.lru_cache(maxsize=64)
def _step_allowance(hours: float) -> timedelta:
    # Why kept: a timedelta from a float costs more than the lookup, and a review
    # meets the same few step SLAs (a handful per tier) for every complaint.
    return timedelta(hours=hours)


COMPLAINTS = SimplePrinciple(
    "complaints",
    "Complaints",
    {
        "complaint_step_overdue": "a complaint has not reached its next step (accepted, "
        "investigating, resolved, feedback given) within that step's SLA, or is close to it; "
        "time spent waiting on the client does not count: move it to the next step and record it",
    },
    _complaints,
)
