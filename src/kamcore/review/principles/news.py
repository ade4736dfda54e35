"""Don't delay bad news: adverse changes reach the client early, with alternatives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Final

from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple, deadline

__all__ = ["BAD_NEWS_EARLY"]

_DAY = 86400.0
_ACT_WITHIN: Final = timedelta(days=1)


def _bad_news_early(context: ReviewContext) -> Iterator[Finding]:
    timeline = context.client.timeline
    days = context.standard.bad_news_days
    allowed = context.standard.bad_news_window
    for state in timeline.adverse_changes():
        change = state.change
        told = state.first_told
        if told is None:
            clock = deadline(context, start=change.at, allowed=allowed, about=change.id)
            if clock:
                severity, due = clock
                yield context.finding(
                    principle="bad_news_early",
                    code="bad_news_not_told",
                    severity=severity,
                    params={
                        "change": change.change,
                        "description": change.description,
                        "official": change.at,
                    },
                    evidence=(change.id,),
                    values={"bad_news_days": days},
                    action="inform_of_change",
                    due=due,
                )
            continue
        # The same clock as above, stopped when the client was first told.
        paused = timeline.paused_seconds(change.id, change.at, told.at)
        late = (told.at - change.at).total_seconds() - paused - allowed.total_seconds()
        if late > 0:
            yield context.finding(
                principle="bad_news_early",
                code="bad_news_told_late",
                severity="violation",
                params={
                    "change": change.change,
                    "description": change.description,
                    "official": change.at,
                    "told": told.at,
                },
                evidence=(change.id, told.id),
                values={"days_late": round(late / _DAY, 2), "bad_news_days": days},
                action="call",
                due=told.at + _ACT_WITHIN,
            )
        if not any(c.alternatives for c in state.communications):
            yield context.finding(
                principle="bad_news_early",
                code="bad_news_without_alternatives",
                severity="violation",
                params={"change": change.change, "description": change.description},
                evidence=(change.id, *[c.id for c in state.communications]),
                action="offer_alternative",
                due=told.at + _ACT_WITHIN,
            )


BAD_NEWS_EARLY = SimplePrinciple(
    "bad_news_early",
    "Don't delay bad news",
    {
        "bad_news_not_told": "an adverse change (price, delay, discontinuation) became official "
        "and the client has not been told within the tier's days: tell the client now",
        "bad_news_told_late": "the client heard of an adverse change later than the tier allows: "
        "call to apologise and check what the delay cost them",
        "bad_news_without_alternatives": "the client was told of an adverse change with no "
        "alternative offered: offer viable alternatives",
    },
    _bad_news_early,
)
