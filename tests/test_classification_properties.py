"""Properties of classification over generated rule sets and portfolios."""

from __future__ import annotations

import math
import tomllib
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from classification_strategies import (
    AS_OF,
    FACTS,
    STANDARD,
    any_rules,
    client,
    monotone_rules,
    numbers,
    portfolios,
)
from kamcore.classification import (
    Classification,
    compile_rules,
    dumps_toml,
    parse_rules,
    rules_document,
)
from kamcore.model import ClientFile

FAST = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _summary(result: Classification) -> tuple[str, float, dict[str, Any]]:
    return result.tier, result.score, result.as_dict()


@FAST
@given(doc=monotone_rules(), files=portfolios(), order=st.randoms(use_true_random=False))
def test_classification_is_deterministic_and_independent_of_order(
    doc: dict[str, Any], files: list[ClientFile], order: Any
) -> None:
    classifier = compile_rules(parse_rules(doc))
    first = {f.id: _summary(classifier.classify(f, AS_OF)) for f in files}
    shuffled = list(files)
    order.shuffle(shuffled)
    again = compile_rules(parse_rules(doc))
    second = {f.id: _summary(again.classify(f, AS_OF)) for f in shuffled}
    assert second == first
    assert {f.id: _summary(classifier.classify(f, AS_OF)) for f in files} == first


@FAST
@given(
    doc=monotone_rules(),
    facts=st.fixed_dictionaries(dict.fromkeys(FACTS, numbers)),
    raised=st.sampled_from(FACTS),
    by=st.one_of(st.integers(1, 2000), st.floats(0.001, 2000)),
)
def test_raising_a_fact_never_lowers_the_tier_or_score(
    doc: dict[str, Any], facts: dict[str, float], raised: str, by: float
) -> None:
    rules = parse_rules(doc)
    classifier = compile_rules(rules)
    old = classifier.classify(client(facts=facts), AS_OF)
    new = classifier.classify(client(facts={**facts, raised: facts[raised] + by}), AS_OF)
    assert new.score >= old.score
    assert rules.rank(new.tier) <= rules.rank(old.tier)


@FAST
@given(doc=monotone_rules(), files=portfolios())
def test_contributions_add_up_to_the_score(doc: dict[str, Any], files: list[ClientFile]) -> None:
    classifier = compile_rules(parse_rules(doc))
    for file in files:
        result = classifier.classify(file, AS_OF)
        contributions = result.contributions
        assert len(contributions) == len(doc["criteria"])
        assert math.isclose(sum(c.score for c in contributions), result.score, abs_tol=1e-9)
        for contribution in contributions:
            assert contribution.score == contribution.weight * contribution.points
            assert contribution.matched == (contribution.points != 0)
        as_dict = result.as_dict()["contributions"]
        assert math.isclose(sum(c["score"] for c in as_dict), result.score, abs_tol=1e-9)


TRICKY_RULES: dict[str, Any] = {
    "name": 'Acme "EU" \\ 纷享销客',
    "currency": {"base": "EUR", "rates": {"BGN": Decimal("1.95583"), "CNY": Decimal("7.80")}},
    "history": {"demote_after": 3, "period": "quarter"},
    "metrics": {
        "amount 12m": {"kind": "amount", "window_days": 365, "description": "в евро"},
        "a.b": {"kind": "amount", "window_days": 365, "offset_days": 365},
    },
    "criteria": [
        {
            "id": 'seg"ment',
            "label": "Сегмент \\ 'new' \"promising\"\n",
            "weight": Decimal("1.5"),
            "when": {
                "all": [
                    {"field": "fact.segment", "op": "in", "value": ["fintech", 'e"v', "\\", "ї"]},
                    {
                        "any": [
                            {
                                "not": {
                                    "field": "fact.zone",
                                    "op": "not in",
                                    "value": [1, 2.5, True],
                                }
                            },
                            {"field": "metric.a.b", "op": ">=", "value": Decimal("0.1")},
                        ]
                    },
                    {"not": {"field": "fact.x", "op": "exists", "value": False}},
                ]
            },
        },
        {
            "id": "amount",
            "field": "metric.amount 12m",
            "bands": [[-5, 1], [Decimal("0.5"), Decimal("2.25")], [10**12, 3]],
            "description": "tab\there",
        },
    ],
    "tiers": [
        {
            "id": "top",
            "key": True,
            "min_score": 2,
            "when": {"field": "account.owner", "op": "!=", "value": "😀"},
            "standard": STANDARD,
        },
        {"id": "rest", "label": "Rest \u2019n\u2019 all", "standard": STANDARD},
    ],
}


@settings(FAST, max_examples=100)
@example(doc=TRICKY_RULES)
@given(doc=any_rules())
def test_rule_set_survives_toml_round_trip(doc: dict[str, Any]) -> None:
    rules = parse_rules(doc)
    text = dumps_toml(rules_document(rules))
    again = parse_rules(tomllib.loads(text, parse_float=Decimal))
    assert again == rules
    assert dumps_toml(rules_document(again)) == text
