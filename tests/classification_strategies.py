"""Helpers and hypothesis strategies for the classification tests.

Rule-set documents are built as plain dicts (what ``tomllib`` / ``json`` give
``parse_rules``), so every generated rule set also goes through validation.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from kamcore import Account, ClientFile
from kamcore.model import COMPLAINT_STEPS

AS_OF = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)

STANDARD: dict[str, Any] = {
    "contact_cadence_days": 14,
    "response_sla_hours": 24,
    "promise_slip_tolerance_hours": 24,
    "max_promise_slips": 1,
    "complaint_sla_hours": {
        "accepted": 8,
        "investigating": 48,
        "resolved": 120,
        "feedback_given": 48,
    },
    "survey_interval_days": 120,
    "satisfaction_drop": Decimal("0.7"),
    "bad_news_days": 3,
    "future_talk_days": 60,
    "goal_review_days": 60,
    "report_interval_days": 7,
    "churn_alert_score": Decimal("0.5"),
}


def document(**changes: Any) -> dict[str, Any]:
    """A small valid rule-set document; keyword arguments replace top-level keys."""
    doc: dict[str, Any] = {
        "name": "r",
        "currency": {"base": "EUR", "rates": {"BGN": Decimal("1.95583")}},
        "history": {"demote_after": 2, "period": "month"},
        "metrics": {"amount_12m": {"kind": "amount", "window_days": 365}},
        "criteria": [
            {
                "id": "brand",
                "label": "Brand",
                "weight": 2,
                "when": {"field": "fact.brand", "op": "==", "value": "high"},
            },
            {
                "id": "amount",
                "weight": 1,
                "field": "metric.amount_12m",
                "bands": [[10000, 1], [50000, 2]],
            },
        ],
        "standard": copy.deepcopy(STANDARD),
        "tiers": [{"id": "key", "key": True, "min_score": 3}, {"id": "regular"}],
    }
    doc.update(copy.deepcopy(changes))
    return doc


# Writing test documents --------------------------------------------------------------
# The library's own writer (dumps_toml) only writes valid rule sets; these write any
# document, valid or not, so that files with mistakes can be put on disk.


def _toml_inline(value: Any) -> str:
    writers: list[tuple[type | tuple[type, ...], Any]] = [
        (bool, lambda v: "true" if v else "false"),
        (int, str),
        (Decimal, lambda v: format(v, "f")),
        (float, repr),
        (str, lambda v: json.dumps(v, ensure_ascii=False)),
        (list, lambda v: "[" + ", ".join(_toml_inline(i) for i in v) + "]"),
        (
            dict,
            lambda v: (
                "{ "
                + ", ".join(
                    f"{json.dumps(k, ensure_ascii=False)} = {_toml_inline(i)}" for k, i in v.items()
                )
                + " }"
            ),
        ),
    ]
    write = next(write for kind, write in writers if isinstance(value, kind))
    return str(write(value))


def toml_text(doc: dict[str, Any]) -> str:
    """*doc* as TOML, every top-level key on one line with inline tables."""
    return "".join(
        f"{json.dumps(k, ensure_ascii=False)} = {_toml_inline(v)}\n" for k, v in doc.items()
    )


def json_text(doc: Any) -> str:
    """*doc* as JSON, with Decimal values written as JSON numbers."""
    return json.dumps(doc, ensure_ascii=False, default=float)


def client(account_id: str = "A-1", **account: Any) -> ClientFile:
    """A client file with no transactions or events."""
    fields: dict[str, Any] = {"name": f"Client {account_id}", "owner": "am-1", **account}
    return ClientFile(account=Account(id=account_id, **fields))


# Strategies: rule sets over numeric facts whose score can only grow with a fact --------

FACTS = ("f0", "f1", "f2", "f3")

numbers = st.one_of(
    st.integers(min_value=-1000, max_value=1000),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False).map(lambda x: round(x, 3)),
)
weights = st.one_of(
    st.integers(min_value=1, max_value=10),
    st.floats(min_value=0.125, max_value=10).map(lambda x: round(x, 2)),
)


@st.composite
def monotone_criterion(draw: st.DrawFn, criterion_id: str) -> dict[str, Any]:
    """A positive-weight criterion that a larger fact can only help."""
    fact = f"fact.{draw(st.sampled_from(FACTS))}"
    weight = draw(weights)
    if draw(st.booleans()):
        op = draw(st.sampled_from([">=", ">"]))
        return {
            "id": criterion_id,
            "weight": weight,
            "when": {"field": fact, "op": op, "value": draw(numbers)},
        }
    thresholds = sorted(draw(st.sets(numbers, min_size=1, max_size=4)))
    points = sorted(
        draw(
            st.lists(
                st.integers(min_value=0, max_value=5),
                min_size=len(thresholds),
                max_size=len(thresholds),
            )
        )
    )
    return {
        "id": criterion_id,
        "weight": weight,
        "field": fact,
        "bands": [[t, p] for t, p in zip(thresholds, points, strict=True)],
    }


@st.composite
def monotone_rules(draw: st.DrawFn) -> dict[str, Any]:
    """A rule-set document: criteria as above, tiers by strictly decreasing min_score."""
    count = draw(st.integers(min_value=1, max_value=5))
    criteria = [draw(monotone_criterion(f"c{i}")) for i in range(count)]
    minimums = sorted(
        draw(st.sets(st.integers(min_value=0, max_value=40), min_size=0, max_size=3)),
        reverse=True,
    )
    tiers: list[dict[str, Any]] = []
    for index, minimum in enumerate(minimums):
        tier: dict[str, Any] = {"id": f"t{index}", "min_score": minimum / 2}
        if draw(st.booleans()):
            tier["when"] = {
                "field": f"fact.{draw(st.sampled_from(FACTS))}",
                "op": ">=",
                "value": draw(numbers),
            }
        tiers.append(tier)
    tiers.append({"id": "rest"})
    return document(criteria=criteria, tiers=tiers, metrics={})


fact_maps = st.dictionaries(st.sampled_from(FACTS), numbers, max_size=len(FACTS))


@st.composite
def portfolios(draw: st.DrawFn) -> list[ClientFile]:
    """Client files with unique ids and numeric facts (some facts absent)."""
    ids = draw(st.lists(st.integers(0, 999), min_size=1, max_size=8, unique=True))
    return [client(f"A-{i:03d}", facts=draw(fact_maps)) for i in ids]


# Strategies: any valid rule set, for the TOML round trip --------------------------------

# Text with quotes, backslashes, control characters and non-ASCII. U+007F is left out:
# see test_dumps_toml_escapes_delete_character in test_classification_rules.py.
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(['"', "\\", "'", "\n", "\t", "\x01", " ", "#", "=", ".", "[", "]"]),
        st.sampled_from(["é", "ж", "ї", "\u0431", "纷", "享", "\u2028", "😀", "\u00a0"]),
        st.characters(codec="utf-8", exclude_characters="\x7f"),
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip())

scalars = st.one_of(
    texts,
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)


@st.composite
def comparisons(draw: st.DrawFn, fields: st.SearchStrategy[str]) -> dict[str, Any]:
    field = draw(fields)
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in", "exists"]))
    if op == "exists":
        return {"field": field, "op": op, "value": draw(st.booleans())}
    if op in ("in", "not in"):
        return {"field": field, "op": op, "value": draw(st.lists(scalars, min_size=1, max_size=4))}
    return {"field": field, "op": op, "value": draw(scalars)}


def conditions(fields: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        comparisons(fields),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda items: {"all": items}),
            st.lists(inner, max_size=3).map(lambda items: {"any": items}),
            inner.map(lambda item: {"not": item}),
        ),
        max_leaves=6,
    )


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)
non_negative = st.one_of(st.integers(0, 10_000), st.floats(0, 1e6, allow_nan=False))


@st.composite
def standards(draw: st.DrawFn) -> dict[str, Any]:
    standard: dict[str, Any] = {k: draw(non_negative) for k in STANDARD if k != "max_promise_slips"}
    standard["max_promise_slips"] = draw(st.integers(0, 10))
    standard["complaint_sla_hours"] = {step: draw(non_negative) for step in COMPLAINT_STEPS}
    return standard


@st.composite
def any_rules(draw: st.DrawFn) -> dict[str, Any]:
    """A valid rule-set document using every feature the file format has."""
    metric_names = draw(st.lists(texts, max_size=3, unique=True))
    metrics: dict[str, Any] = {}
    for name in metric_names:
        kind = draw(
            st.sampled_from(
                ["amount", "purchases", "amount_trend", "satisfaction", "open_complaints"]
            )
        )
        spec: dict[str, Any] = {"kind": kind}
        if kind in ("amount", "purchases", "amount_trend") or draw(st.booleans()):
            spec["window_days"] = draw(st.integers(1, 3650))
        if draw(st.booleans()):
            spec["offset_days"] = draw(st.integers(0, 3650))
        if draw(st.booleans()):
            spec["description"] = draw(texts)
        metrics[name] = spec
    fields = st.one_of(
        texts.map(lambda name: f"fact.{name}"),
        st.sampled_from(["account.tier", "account.owner"]),
        *([st.sampled_from([f"metric.{n}" for n in metric_names])] if metric_names else []),
    )
    criteria = []
    for index in range(draw(st.integers(0, 4))):
        criterion: dict[str, Any] = {"id": f"{draw(texts)}#{index}", "weight": draw(finite)}
        if draw(st.booleans()):
            criterion["label"] = draw(texts)
        if draw(st.booleans()):
            criterion["when"] = draw(conditions(fields))
        else:
            thresholds = sorted(draw(st.sets(finite, min_size=1, max_size=4)))
            criterion["field"] = draw(fields)
            criterion["bands"] = [[t, draw(finite)] for t in thresholds]
        if draw(st.booleans()):
            criterion["description"] = draw(texts)
        criteria.append(criterion)
    tier_fields = st.one_of(fields, st.just("score"))
    minimums = sorted(draw(st.sets(finite, max_size=3)), reverse=True)
    tiers = []
    for index, minimum in enumerate(minimums):
        tier: dict[str, Any] = {"id": f"{draw(texts)}#{index}", "key": draw(st.booleans())}
        if draw(st.booleans()):
            tier["label"] = draw(texts)
        tier["min_score"] = minimum
        if draw(st.booleans()):
            tier["when"] = draw(conditions(tier_fields))
        tier["standard"] = draw(standards())
        tiers.append(tier)
    tiers.append({"id": "rest", "standard": draw(standards())})
    rates = draw(
        st.dictionaries(
            st.sampled_from(["BGN", "USD", "CNY", "UAH", "RUB", "GBP"]),
            st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10**6), places=5),
            max_size=4,
        )
    )
    return {
        "name": draw(texts),
        "currency": {"base": "EUR", "rates": rates},
        "history": {
            "demote_after": draw(st.integers(1, 12)),
            "period": draw(st.sampled_from(["week", "month", "quarter"])),
        },
        "metrics": metrics,
        "criteria": criteria,
        "tiers": tiers,
    }
