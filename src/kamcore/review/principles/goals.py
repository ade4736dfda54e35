"""Joint goal setting (001 #1): every key account has shared goals, made with the
client and followed up.

A key account without any goal (``no_joint_goal``) is due two weeks after the
earliest moment kamcore knows the account from
(:func:`~kamcore.review.principles._known.known_since`: ``client_since``, else the
first transaction or timeline event), not two weeks after the review: the due
time stays put from one review to the next while no goal is set, so the finding
climbs the escalation ladder once it has passed. The review context carries the
tier at ``as_of`` only, not the tier history, so the clock cannot start when the
account became key; an account promoted long after it became known is therefore
overdue at once. Only an account with nothing dated at all counts from the
review itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Final

from kamcore.model import Event
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple, deadline
from kamcore.review.principles.profile import known_from

__all__ = ["JOINT_GOALS"]

_AGREE_WITHIN: Final = timedelta(days=14)
_DONE: Final = 1.0


def _joint_goals(context: ReviewContext) -> Iterator[Finding]:
    if not context.key:
        return
    goals = context.client.timeline.goals()
    if not goals:
        yield context.finding(
            principle="joint_goals",
            code="no_joint_goal",
            severity="violation",
            action="agree_goals",
            due=known_from(context) + _AGREE_WITHIN,
        )
        return
    needed = context.settings.goal_min_participants
    review_days = context.standard.goal_review_days
    for state in goals:
        goal, latest = state.goal, state.latest
        if latest is not None and latest.progress >= _DONE:
            continue
        participants = len(set(goal.client_participants))
        if participants < needed:
            yield context.finding(
                principle="joint_goals",
                code="goal_without_client",
                severity="warning",
                params={"title": goal.title},
                evidence=(goal.id,),
                values={"client_participants": participants, "needed": needed},
                action="agree_goals",
                due=goal.at + _AGREE_WITHIN,
            )
        anchor: Event = latest if latest is not None else goal
        clock = deadline(
            context, start=anchor.at, allowed=context.standard.goal_review_interval, about=goal.id
        )
        if clock:
            severity, due = clock
            yield context.finding(
                principle="joint_goals",
                code="goal_progress_stale",
                severity=severity,
                params={"title": goal.title, "last_progress": latest.at if latest else None},
                evidence=(goal.id, *((latest.id,) if latest else ())),
                values={
                    "progress": latest.progress if latest else 0.0,
                    "days_since": round((context.as_of - anchor.at).total_seconds() / 86400, 1),
                    "review_days": review_days,
                },
                action="review_goal_progress",
                due=due,
            )


JOINT_GOALS = SimplePrinciple(
    "joint_goals",
    "Joint goal setting",
    {
        "no_joint_goal": "a key account has no goal agreed with the client: set up a success "
        "plan together with the client",
        "goal_without_client": "a joint goal has fewer client participants than required: agree "
        "the goal with the client's people",
        "goal_progress_stale": "no progress recorded on an unfinished joint goal for longer than "
        "the tier's review interval (or it is close): review the goal with the client and record "
        "its progress",
    },
    _joint_goals,
)
