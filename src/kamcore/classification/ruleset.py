"""A rule set: criteria, tiers and the service standard of each tier.

These are plain values. :mod:`kamcore.classification.rulefile` reads and writes
them as TOML or JSON and validates them; :mod:`kamcore.classification.engine`
compiles them into a classifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import cached_property
from types import MappingProxyType

import attrs

from kamcore.classification.conditions import Condition
from kamcore.classification.metrics import CurrencyTable, MetricSpec

__all__ = ["Band", "Criterion", "HistoryPolicy", "RuleSet", "ServiceStandard", "Tier"]


def _frozen_mapping(value: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class ServiceStandard:
    """The service a tier is owed: the numbers principle checks and escalation read.

    Attributes:
        contact_cadence_days: longest silence allowed without a personal contact.
        response_sla_hours: time to answer a request, or at once commit to an answer date.
        promise_slip_tolerance_hours: grace after a promise's due date before it counts as slipped.
        max_promise_slips: renegotiations of one promise tolerated before it escalates.
        complaint_sla_hours: hours allowed to reach each complaint step from the previous one
            (``accepted`` counts from the complaint itself).
        survey_interval_days: longest time between satisfaction surveys.
        satisfaction_drop: a fall of the mean survey score (1-5 scale) that is a finding.
        bad_news_days: days within which an adverse change must reach the client.
        future_talk_days: longest time without a thanks / future-plans conversation.
        goal_review_days: longest time without progress recorded on a joint goal.
        report_interval_days: longest time a key account may go unmentioned in
            department-head reports.
        churn_alert_score: churn risk (0-1) from which an alert is raised.
    """

    contact_cadence_days: float
    response_sla_hours: float
    promise_slip_tolerance_hours: float
    max_promise_slips: int
    complaint_sla_hours: Mapping[str, float] = attrs.field(converter=_frozen_mapping)
    survey_interval_days: float
    satisfaction_drop: float
    bad_news_days: float
    future_talk_days: float
    goal_review_days: float
    report_interval_days: float
    churn_alert_score: float

    # The settings as durations, for the service clocks. Why kept: a review reads
    # them for every account of the tier, and a timedelta from a float costs more
    # than the clock that uses it. Derived values only: they are not fields, so
    # equality, repr and pickling see the settings alone.

    @cached_property
    def contact_cadence(self) -> timedelta:
        """:attr:`contact_cadence_days` as a duration."""
        return timedelta(days=self.contact_cadence_days)

    @cached_property
    def response_sla(self) -> timedelta:
        """:attr:`response_sla_hours` as a duration."""
        return timedelta(hours=self.response_sla_hours)

    @cached_property
    def promise_slip_tolerance(self) -> timedelta:
        """:attr:`promise_slip_tolerance_hours` as a duration."""
        return timedelta(hours=self.promise_slip_tolerance_hours)

    @cached_property
    def survey_interval(self) -> timedelta:
        """:attr:`survey_interval_days` as a duration."""
        return timedelta(days=self.survey_interval_days)

    @cached_property
    def bad_news_window(self) -> timedelta:
        """:attr:`bad_news_days` as a duration."""
        return timedelta(days=self.bad_news_days)

    @cached_property
    def future_talk_interval(self) -> timedelta:
        """:attr:`future_talk_days` as a duration."""
        return timedelta(days=self.future_talk_days)

    @cached_property
    def goal_review_interval(self) -> timedelta:
        """:attr:`goal_review_days` as a duration."""
        return timedelta(days=self.goal_review_days)

    @cached_property
    def report_interval(self) -> timedelta:
        """:attr:`report_interval_days` as a duration."""
        return timedelta(days=self.report_interval_days)


@attrs.frozen
class Band:
    """A step of a graded criterion: from *threshold* up, the criterion gives *points*."""

    threshold: float
    points: float


@attrs.frozen(kw_only=True)
class Criterion:
    """One thing that makes a client more (or, with a negative weight, less) important.

    A criterion is either a condition (it contributes ``weight`` when the
    condition holds) or graded (it reads ``field`` and contributes ``weight``
    times the points of the highest band the value reaches).

    Attributes:
        id: stable id, unique in the rule set.
        label: a name for people.
        weight: how much it counts.
        when: the condition, for a condition criterion.
        field: the value read, for a graded criterion.
        bands: the bands, for a graded criterion, thresholds ascending.
        description: why it matters, for explanations.
    """

    id: str
    label: str = ""
    weight: float = 1.0
    when: Condition | None = None
    field: str | None = None
    bands: tuple[Band, ...] = ()
    description: str = ""


@attrs.frozen(kw_only=True)
class Tier:
    """A level of client with its entry conditions and service standard.

    Tiers are listed from the highest; an account gets the first tier whose
    entry conditions it meets. The last tier has none, so every account gets one.

    Attributes:
        id: stable id (``strategic``, ``key``, ``vip``, ``regular``…).
        label: a name for people.
        key: whether clients of this tier are key clients.
        min_score: the lowest score that enters the tier; ``None`` for no minimum.
        when: a further condition on facts or metrics, if any.
        standard: the service this tier is owed.
    """

    id: str
    label: str = ""
    key: bool = False
    min_score: float | None = None
    when: Condition | None = None
    standard: ServiceStandard


@attrs.frozen(kw_only=True)
class HistoryPolicy:
    """How tier history damps flapping.

    Attributes:
        demote_after: consecutive periods an account must qualify only for a
            lower tier before it is moved down (1: at once).
        period: the period length for histories: ``month``, ``quarter`` or ``week``.
    """

    demote_after: int = 1
    period: str = "month"


@attrs.frozen(kw_only=True)
class RuleSet:
    """Everything a company decides about classifying its clients.

    Attributes:
        name: the rule set's name.
        currency: the base currency and conversion rates.
        metrics: metrics its conditions read as ``metric.NAME``.
        criteria: the criteria that make up the score.
        tiers: the tiers, highest first.
        history: how tier history damps flapping.
        source: where it was read from, for messages.
    """

    name: str
    currency: CurrencyTable
    metrics: tuple[MetricSpec, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    tiers: tuple[Tier, ...]
    history: HistoryPolicy = HistoryPolicy()
    source: str = attrs.field(default="<rules>", eq=False)

    def tier(self, tier_id: str) -> Tier:
        """The tier with *tier_id*; ``KeyError`` if there is none."""
        return self.tiers[self.rank(tier_id)]

    def rank(self, tier_id: str) -> int:
        """0 for the highest tier, 1 for the next…; ``KeyError`` for an unknown tier."""
        for index, tier in enumerate(self.tiers):
            if tier.id == tier_id:
                return index
        raise KeyError(tier_id)
