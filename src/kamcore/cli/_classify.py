"""``kamcore classify`` and ``kamcore rules check``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kamcore.classification import Classification, Classifier
from kamcore.cli._accounts import UNKNOWN
from kamcore.cli._render import Align, table
from kamcore.model import Portfolio

__all__ = ["classification_table", "classification_texts", "rules_summary"]

_HEADER = ("ID", "NAME", "OWNER", "RECORDED", "TIER", "KEY", "SCORE", "")
_ALIGN: tuple[Align, ...] = ("left", "left", "left", "left", "left", "left", "right", "left")


def classification_table(portfolio: Portfolio, results: Mapping[str, Classification]) -> list[str]:
    """One line per account: recorded tier, computed tier, key or not, score, and a
    ``changed`` mark where the two tiers differ."""
    rows = [
        [
            client.id,
            client.account.name,
            client.account.owner,
            client.account.tier or UNKNOWN,
            result.tier,
            "yes" if result.key else "no",
            f"{result.score:g}",
            "changed" if result.changed else "",
        ]
        for client in portfolio
        for result in (results[client.id],)
    ]
    return table(rows, header=_HEADER, align=_ALIGN)


def classification_texts(results: Mapping[str, Classification]) -> list[str]:
    """Every account's explanation, separated by blank lines."""
    lines: list[str] = []
    for result in results.values():
        lines.extend([*result.explain().splitlines(), ""])
    return lines[:-1]


def rules_summary(classifier: Classifier) -> list[str]:
    """What ``kamcore rules check`` prints for a valid rule set."""
    rules = classifier.rules
    tiers: list[dict[str, Any]] = [
        {"id": t.id, "key": t.key, "min_score": t.min_score, "condition": t.when is not None}
        for t in rules.tiers
    ]
    lines = [
        f"{rules.source}: ok — rule set {rules.name!r}, base currency {rules.currency.base}, "
        f"{len(rules.criteria)} criteria, {len(rules.tiers)} tiers",
        "",
    ]
    lines += table(
        [
            [c.id, f"{c.weight:g}", "graded" if c.when is None else "condition", c.label]
            for c in rules.criteria
        ],
        header=("CRITERION", "WEIGHT", "KIND", "LABEL"),
        align=("left", "right", "left", "left"),
    )
    lines.append("")
    lines += table(
        [
            [
                t["id"],
                "yes" if t["key"] else "no",
                UNKNOWN if t["min_score"] is None else f"{t['min_score']:g}",
                "yes" if t["condition"] else "no",
            ]
            for t in tiers
        ],
        header=("TIER", "KEY", "MIN SCORE", "CONDITION"),
        align=("left", "left", "right", "left"),
    )
    return lines
