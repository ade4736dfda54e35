"""``kamcore classify`` and ``kamcore rules check``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kamcore.classification import Classification, Classifier
from kamcore.cli._accounts import UNKNOWN
from kamcore.cli._render import Align, JsonArray, json_blocks, table
from kamcore.model import Account

__all__ = [
    "classification_row",
    "classification_table",
    "classification_texts",
    "classifications_json",
    "rules_summary",
]

_HEADER = ("ID", "NAME", "OWNER", "RECORDED", "TIER", "KEY", "SCORE", "")
_ALIGN: tuple[Align, ...] = ("left", "left", "left", "left", "left", "left", "right", "left")


def classification_row(account: Account, result: Classification) -> list[str]:
    """The table's cells for *account*, classified as *result* (see
    :func:`classification_table`)."""
    return [
        account.id,
        account.name,
        account.owner,
        account.tier or UNKNOWN,
        result.tier,
        "yes" if result.key else "no",
        f"{result.score:g}",
        "changed" if result.changed else "",
    ]


def classification_table(rows: Sequence[Sequence[str]]) -> list[str]:
    """One line per account, from each account's :func:`classification_row`: recorded
    tier, computed tier, key or not, score, and a ``changed`` mark where the two
    tiers differ."""
    return table(rows, header=_HEADER, align=_ALIGN)


def classification_texts(results: Iterable[Classification]) -> Iterator[str]:
    """Every account's explanation, separated by blank lines, each made when it is written."""
    separator: list[str] = []
    for result in results:
        yield from separator
        yield from result.explain().splitlines()
        separator = [""]


def classifications_json(results: Iterable[Classification]) -> Iterator[str]:
    """The ``--format json`` output, a block of lines at a time: the text of
    ``json.dumps([result.as_dict() for result in results], ensure_ascii=False,
    indent=2)``, each result's values made when they are written, never all held
    (see :func:`~kamcore.cli._render.json_blocks`)."""
    return json_blocks(JsonArray(result.as_dict() for result in results))


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
