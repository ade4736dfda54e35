"""Satisfaction: periodic surveys, and a fall of their scores (003 §6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Final

import attrs

from kamcore.model import SurveyResponse, Timeline
from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple, deadline
from kamcore.review.principles._known import last_or_known

__all__ = ["SATISFACTION", "SurveyTrend", "survey_trend"]

_BASELINE: Final = timedelta(days=365)
_INVESTIGATE_WITHIN: Final = timedelta(days=3)
# Survey means are sums of tenths divided by 2 or 3: a drop that equals the
# threshold must not be missed by a floating-point hair.
_EPSILON: Final = 1e-9


@attrs.frozen
class SurveyTrend:
    """The latest scored survey against the scored surveys of the year before it.

    Attributes:
        latest: the newest survey with a 1-5 score.
        previous: the scored surveys of the 365 days before it, oldest first.
        before: the mean of the previous surveys' mean scores.
        after: the latest survey's mean score.
    """

    latest: SurveyResponse
    previous: tuple[SurveyResponse, ...]
    before: float
    after: float

    @property
    def change(self) -> float:
        """``after - before``: negative when satisfaction fell."""
        return self.after - self.before

    def fallen_scores(self) -> tuple[str, ...]:
        """The 1-5 scores of the latest survey below their mean in the previous ones."""
        fallen = []
        for name, score in self.latest.scores().items():
            earlier = [s.scores()[name] for s in self.previous]
            given = [e for e in earlier if e is not None]
            if score is not None and given and score < sum(given) / len(given):
                fallen.append(name)
        return tuple(fallen)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def survey_trend(timeline: Timeline) -> SurveyTrend | None:
    """The latest scored survey against the year before it; ``None`` without both.

    Surveys that give only a Net Promoter Score have no 1-5 mean and are left out.
    """
    surveys = timeline.surveys()
    if len(surveys) < 2:  # noqa: PLR2004 - a trend needs a survey and one before it
        return None
    scored = [(s, s.mean_score) for s in surveys if s.mean_score is not None]
    if not scored:
        return None
    latest, after = scored[-1]
    baseline_from = latest.at - _BASELINE
    previous = [(s, mean) for s, mean in scored[:-1] if s.at >= baseline_from]
    if not previous:
        return None
    return SurveyTrend(
        latest=latest,
        previous=tuple([s for s, _ in previous]),
        before=_mean([mean for _, mean in previous]),
        after=after,
    )


def _survey_overdue(context: ReviewContext) -> Iterator[Finding]:
    surveys = context.client.timeline.surveys()
    anchor = last_or_known(context.client, context.as_of, surveys[-1] if surveys else None)
    if anchor is None:
        return
    start, evidence = anchor
    interval = context.standard.survey_interval_days
    clock = deadline(context, start=start, allowed=context.standard.survey_interval, about=None)
    if clock:
        severity, due = clock
        yield context.finding(
            principle="satisfaction",
            code="survey_overdue",
            severity=severity,
            params={"last_survey": surveys[-1].at if surveys else None},
            evidence=evidence,
            values={
                "days_since": round((context.as_of - start).total_seconds() / 86400, 1),
                "interval_days": interval,
            },
            action="schedule_survey",
            due=due,
        )


def _satisfaction_drop(context: ReviewContext) -> Iterator[Finding]:
    trend = survey_trend(context.client.timeline)
    threshold = context.standard.satisfaction_drop
    if trend is None or trend.change >= 0 or trend.change > -threshold + _EPSILON:
        return
    yield context.finding(
        principle="satisfaction",
        code="satisfaction_drop",
        severity="violation",
        params={"surveyed": trend.latest.at, "fallen_scores": trend.fallen_scores()},
        evidence=(trend.latest.id, *[s.id for s in trend.previous]),
        values={
            "before": round(trend.before, 2),
            "after": round(trend.after, 2),
            "drop": round(-trend.change, 2),
            "threshold": threshold,
        },
        action="investigate_satisfaction",
        due=trend.latest.at + _INVESTIGATE_WITHIN,
    )


def _satisfaction(context: ReviewContext) -> Iterator[Finding]:
    yield from _survey_overdue(context)
    yield from _satisfaction_drop(context)


SATISFACTION = SimplePrinciple(
    "satisfaction",
    "Satisfaction",
    {
        "survey_overdue": "no satisfaction survey for longer than the tier's survey interval "
        "(or it is close): survey product quality, service attitude and resolution efficiency",
        "satisfaction_drop": "the latest survey's mean score fell below the mean of the year "
        "before it by the tier's threshold or more: find out why with the client",
    },
    _satisfaction,
)
