"""Compile a rule set once, then classify accounts with it and explain each result."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from kamcore.classification.conditions import (
    compile_condition,
    condition_fields,
)
from kamcore.classification.conditions import (
    is_number as _is_number,
)
from kamcore.classification.metrics import METRIC_KINDS, Metric
from kamcore.classification.ruleset import Criterion, RuleSet, Tier
from kamcore.errors import Problem, RuleSetError
from kamcore.model import ClientFile, Portfolio

__all__ = ["Classification", "Classifier", "Contribution", "compile_rules"]

Values = dict[str, Any]
_FACT: Final = "fact."
_PLAIN_NUMBERS: Final = frozenset({int, float})
Getter = Callable[[ClientFile, datetime], Any]


@attrs.frozen
class Contribution:
    """What one criterion added to an account's score, and why.

    Attributes:
        criterion: the criterion's id.
        label: its name for people.
        weight: its weight in the rule set.
        points: 1 or 0 for a condition criterion; the band's points for a graded one.
        score: ``weight * points``: what it added.
        evidence: the values it read, by field name (``None`` when absent).
    """

    criterion: str
    label: str
    weight: float
    points: float
    score: float
    evidence: Mapping[str, Any]

    @property
    def matched(self) -> bool:
        """Whether the criterion counted at all."""
        return self.points != 0


@attrs.frozen(eq=False)
class Classification:
    """An account's tier and score as of a moment, with the explanation behind it.

    The per-criterion explanation is built only when asked for, so classifying
    a large portfolio pays for explanations of the accounts someone looks at.

    Attributes:
        account_id: the account.
        as_of: the moment classified at.
        tier: the tier's id.
        key: whether the tier is a key-client tier.
        score: the sum of the contributions.
        recorded_tier: the tier the source recorded, for comparison (``None`` if unknown).
    """

    account_id: str
    as_of: datetime
    tier: str
    key: bool
    score: float
    recorded_tier: str | None
    _points: tuple[float, ...] = attrs.field(repr=False)
    _values: Values = attrs.field(repr=False)
    _classifier: Classifier = attrs.field(repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Classification):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[Any, ...]:
        return (self.account_id, self.as_of, self.tier, self.key, self.score, self._points)

    @property
    def contributions(self) -> tuple[Contribution, ...]:
        """Each criterion's contribution, in rule-set order."""
        return tuple(
            Contribution(
                criterion=criterion.id,
                label=criterion.label or criterion.id,
                weight=criterion.weight,
                points=float(points),
                score=criterion.weight * points,
                evidence={f: self._values.get(f) for f in sorted(fields)},
            )
            for (criterion, fields, _), points in zip(
                self._classifier.criteria, self._points, strict=True
            )
        )

    @property
    def tier_reason(self) -> str:
        """Why the account got its tier, in a sentence."""
        return self._classifier.tier_reason(self.tier, self.score)

    @property
    def changed(self) -> bool:
        """Whether the computed tier differs from the recorded one."""
        return self.recorded_tier is not None and self.recorded_tier != self.tier

    def as_dict(self) -> dict[str, Any]:
        """The classification and its explanation as JSON-ready values."""
        return {
            "account_id": self.account_id,
            "as_of": self.as_of.isoformat(),
            "tier": self.tier,
            "key": self.key,
            "score": self.score,
            "recorded_tier": self.recorded_tier,
            "tier_reason": self.tier_reason,
            "contributions": [
                {
                    "criterion": c.criterion,
                    "label": c.label,
                    "weight": c.weight,
                    "points": c.points,
                    "score": c.score,
                    "evidence": dict(c.evidence),
                }
                for c in self.contributions
            ],
        }

    def explain(self) -> str:
        """The explanation as text a manager can read and defend."""
        lines = [
            f"{self.account_id}: tier {self.tier}{' (key client)' if self.key else ''}, "
            f"score {self.score:g} as of {self.as_of.date().isoformat()}",
            f"  {self.tier_reason}",
        ]
        if self.changed:
            lines.append(f"  recorded tier was {self.recorded_tier}")
        for c in self.contributions:
            mark = "+" if c.matched else " "
            evidence = ", ".join(f"{k}={_shown(v)}" for k, v in c.evidence.items())
            lines.append(f"  {mark} {c.score:>6g}  {c.label} (weight {c.weight:g}; {evidence})")
        return "\n".join(lines)


def _shown(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, str):
        return repr(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


Scorer = Callable[[Values], float | bool]


def _graded(field: str, thresholds: tuple[float, ...], points: tuple[float, ...]) -> Scorer:
    pairs = tuple(reversed(tuple(zip(thresholds, points, strict=True))))

    def score(values: Values) -> float:
        value: Any = values.get(field)
        if value.__class__ in _PLAIN_NUMBERS or _is_number(value):
            for threshold, reached in pairs:
                if value >= threshold:
                    return reached
        return 0.0

    return score


def _criterion_scorer(criterion: Criterion) -> tuple[frozenset[str], Scorer]:
    # A condition criterion scores its predicate's True or False as 1 or 0 point,
    # without a wrapper call: this runs for every criterion of every account.
    if criterion.when is not None:
        return condition_fields(criterion.when), compile_condition(criterion.when)
    field = criterion.field or ""  # a criterion without a condition is graded on a field
    return frozenset({field}), _graded(
        field,
        tuple(b.threshold for b in criterion.bands),
        tuple(b.points for b in criterion.bands),
    )


class Classifier:
    """A rule set compiled for classifying many accounts.

    Build it with :func:`compile_rules`. It is immutable and safe to share
    between threads; it holds no account data.
    """

    def __init__(self, rules: RuleSet, metrics: Mapping[str, Metric]) -> None:
        self.rules = rules
        self.criteria = tuple((c, *_criterion_scorer(c)) for c in rules.criteria)
        self._scorers = tuple(scorer for _, _, scorer in self.criteria)
        self._weights = tuple(float(c.weight) for c in rules.criteria)
        self._tiers = tuple(
            (
                tier,
                tier.min_score,
                compile_condition(tier.when) if tier.when is not None else None,
            )
            for tier in rules.tiers
        )
        fields = set().union(*(fields for _, fields, _ in self.criteria))
        for tier in rules.tiers:
            if tier.when is not None:
                fields |= condition_fields(tier.when)
        self._reads_score = "score" in fields
        fields.discard("score")
        self.getters: tuple[tuple[str, Getter], ...] = tuple(
            (name, _getter(name, rules, metrics)) for name in sorted(fields)
        )
        # Facts are read straight from the account's facts, without a getter call:
        # they are most of the fields, and this runs for every account.
        self._readers = tuple(
            (name, name.removeprefix(_FACT), None) if name.startswith(_FACT) else (name, "", get)
            for name, get in self.getters
        )

    def values(self, client: ClientFile, as_of: datetime) -> Values:
        """The values the rules read for *client* as of *as_of*."""
        facts = client.account.facts
        values: Values = {}
        for name, fact, get in self._readers:
            values[name] = facts.get(fact) if get is None else get(client, as_of)
        return values

    def classify(self, client: ClientFile, as_of: datetime) -> Classification:
        """Classify one account as of *as_of* (only data up to then counts)."""
        values, points, total, tier = self._scored(client, as_of)
        # Positional arguments: this runs once per account and attrs' keyword
        # handling is a measurable share of the cost.
        return Classification(
            client.id, as_of, tier.id, tier.key, total, client.account.tier, points, values, self
        )

    def _tier_at(self, client: ClientFile, as_of: datetime) -> Tier:
        """The tier :meth:`classify` gives *client* as of *as_of*, without its explanation.

        A review reads only the tier (its id, key flag and service standard): it
        skips building the :class:`Classification` and finding the tier again by id.
        """
        return self._scored(client, as_of)[3]

    def _scored(
        self, client: ClientFile, as_of: datetime
    ) -> tuple[Values, tuple[float, ...], float, Tier]:
        """The values read, each criterion's points, their weighted sum and the tier."""
        values = self.values(client, as_of)
        points = tuple([score(values) for score in self._scorers])
        total = sum(map(operator.mul, self._weights, points))
        if self._reads_score:
            values["score"] = total
        tier = self._tier_of(values, total)
        if self._reads_score:
            del values["score"]
        return values, points, total, tier

    def _tier_of(self, values: Values, total: float) -> Tier:
        for tier, minimum, condition in self._tiers:
            if (minimum is None or total >= minimum) and (condition is None or condition(values)):
                return tier
        raise AssertionError("unreachable: the last tier takes every account")

    def classify_portfolio(
        self, portfolio: Portfolio, as_of: datetime
    ) -> dict[str, Classification]:
        """Classify every account of *portfolio*; the result is keyed by account id."""
        return {client.id: self.classify(client, as_of) for client in portfolio}

    def tier_reason(self, tier_id: str, score: float) -> str:
        """Why an account with *score* lands in *tier_id*."""
        tier = self.rules.tier(tier_id)
        if tier.min_score is None and tier.when is None:
            return f"no higher tier's entry conditions are met, so {tier.id!r}"
        parts = []
        if tier.min_score is not None:
            parts.append(f"score {score:g} >= {tier.min_score:g}")
        if tier.when is not None:
            parts.append("its entry condition holds")
        return f"{tier.id!r}: " + " and ".join(parts)


def _getter(name: str, rules: RuleSet, metrics: Mapping[str, Metric]) -> Getter:
    namespace, _, rest = name.partition(".")
    if namespace == "fact":
        return lambda client, _: client.account.facts.get(rest)
    if name == "account.tier":
        return lambda client, _: client.account.tier
    if name == "account.owner":
        return lambda client, _: client.account.owner
    spec = next((m for m in rules.metrics if m.name == rest), None)
    if spec is not None:
        compute, _, _ = METRIC_KINDS[spec.kind]
        money = rules.currency
        return lambda client, as_of: compute(spec, client, as_of, money)
    plugin_metric = metrics[rest]
    return plugin_metric.compute


def compile_rules(rules: RuleSet, metrics: Iterable[Metric] = ()) -> Classifier:
    """Compile *rules* into a :class:`Classifier`.

    Args:
        rules: a validated rule set.
        metrics: metrics provided by plugins (``kamcore_metrics``), which the
            rules may read as ``metric.NAME``.

    Raises:
        RuleSetError: a plugin metric clashes with a metric of the rule set or
            another plugin's, or a condition reads a metric nobody provides.
    """
    provided: dict[str, Metric] = {}
    problems = []
    declared = {spec.name for spec in rules.metrics}
    for metric in metrics:
        if metric.name in declared or metric.name in provided:
            problems.append(
                Problem(f"metrics.{metric.name}", "declared twice (by the rule set or a plugin)")
            )
        provided[metric.name] = metric
    classifier_fields: set[str] = set()
    for criterion in rules.criteria:
        classifier_fields |= _criterion_scorer(criterion)[0]
    for tier in rules.tiers:
        if tier.when is not None:
            classifier_fields |= condition_fields(tier.when)
    for field in sorted(classifier_fields):
        namespace, _, rest = field.partition(".")
        if namespace == "metric" and rest not in declared and rest not in provided:
            problems.append(Problem(field, f"no rule-set or plugin metric named {rest!r}"))
    if problems:
        raise RuleSetError(rules.source, problems)
    return Classifier(rules, provided)
