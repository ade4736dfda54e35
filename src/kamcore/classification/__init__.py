"""Key-client classification: rule sets as data, tiers with service standards, explanations.

Typical use::

    >>> import kamcore
    >>> from kamcore import classification
    >>> portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    >>> classifier = classification.load_classifier()  # the default rule set
    >>> result = classifier.classify(portfolio["KA-001"], portfolio.exported_at)
    >>> result.tier in {"strategic", "key", "vip", "regular"}
    True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pluggy

from kamcore.classification.conditions import OPERATORS, All, AnyOf, Compare, Condition, Not
from kamcore.classification.engine import Classification, Classifier, Contribution, compile_rules
from kamcore.classification.history import TierHistory, TierPeriod, period_ends, tier_history
from kamcore.classification.metrics import (
    METRIC_KINDS,
    CurrencyTable,
    Metric,
    MetricSpec,
    MissingRateError,
    PluginMetric,
)
from kamcore.classification.rulefile import (
    dumps_json,
    dumps_toml,
    parse_rules,
    read_rules,
    rules_document,
)
from kamcore.classification.ruleset import (
    Band,
    Criterion,
    HistoryPolicy,
    RuleSet,
    ServiceStandard,
    Tier,
)

__all__ = [
    "DEFAULT_RULES",
    "METRIC_KINDS",
    "OPERATORS",
    "All",
    "AnyOf",
    "Band",
    "Classification",
    "Classifier",
    "Compare",
    "Condition",
    "Contribution",
    "Criterion",
    "CurrencyTable",
    "HistoryPolicy",
    "Metric",
    "MetricSpec",
    "MissingRateError",
    "Not",
    "PluginMetric",
    "RuleSet",
    "ServiceStandard",
    "Tier",
    "TierHistory",
    "TierPeriod",
    "compile_rules",
    "dumps_json",
    "dumps_toml",
    "load_classifier",
    "parse_rules",
    "period_ends",
    "plugin_metrics",
    "read_rules",
    "rules_document",
    "tier_history",
]

DEFAULT_RULES = Path(str(resources.files("kamcore").joinpath("data", "rules", "default.toml")))
"""The default rule set shipped with kamcore (DOMAIN criteria and tiering)."""


def plugin_metrics(plugins: pluggy.PluginManager | None = None) -> list[Metric]:
    """Every metric the installed (or given) plugins provide."""
    from kamcore.plugins import get_plugin_manager

    manager = plugins if plugins is not None else get_plugin_manager()
    return [metric for provided in manager.hook.kamcore_metrics() for metric in provided]


def load_classifier(
    rules: str | Path | RuleSet | None = None, *, plugins: pluggy.PluginManager | None = None
) -> Classifier:
    """Read (if needed) and compile a rule set, with the metrics plugins provide.

    Args:
        rules: a TOML/JSON file, an already built :class:`RuleSet`, or ``None``
            for :data:`DEFAULT_RULES`.
        plugins: the plugin manager to ask for metrics; the installed plugins
            when ``None``.

    Raises:
        kamcore.RuleSetError: the rules are invalid or read a metric nobody provides.
        kamcore.SourceError: the file cannot be read.
    """
    metrics = plugin_metrics(plugins)
    if not isinstance(rules, RuleSet):
        rules = read_rules(rules or DEFAULT_RULES, known_metrics=[m.name for m in metrics])
    return compile_rules(rules, metrics)
