"""The classifier: the default rule set, conditions, metrics, explanations, plugins, history."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import kamcore
from classification_strategies import AS_OF, client, document, toml_text
from kamcore import Account, ClientFile, Contact, Timeline, Transaction
from kamcore.classification import (
    DEFAULT_RULES,
    All,
    AnyOf,
    Classification,
    Classifier,
    Compare,
    MissingRateError,
    Not,
    PluginMetric,
    compile_rules,
    load_classifier,
    parse_rules,
    period_ends,
    plugin_metrics,
    read_rules,
    tier_history,
)
from kamcore.classification.conditions import compile_condition, condition_fields
from kamcore.errors import Problem, RuleSetError
from kamcore.model import Complaint, ComplaintStep, Interaction, SurveyResponse


def tx(tx_id: str, days_ago: float, amount: str | int, currency: str = "EUR") -> Transaction:
    return Transaction(
        id=tx_id,
        at=AS_OF - timedelta(days=days_ago),
        product="licence",
        amount=Decimal(amount),
        currency=currency,
    )


def ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


@pytest.fixture(scope="module")
def default() -> Classifier:
    return load_classifier(plugins=kamcore.get_plugin_manager(entry_points=False))


# -------------------------------------------------------------------------------------
# The default rule set
# -------------------------------------------------------------------------------------

STRATEGIC = ClientFile(
    account=Account(
        id="KA-S",
        name="Strategic Ltd",
        owner="am-1",
        tier="strategic",
        client_since=date(2019, 1, 1),
        facts={"strategic_list": True, "brand_recognition": "high", "annual_potential": 1_200_000},
    ),
    transactions=[tx(f"S-{k}", 30 * k, 15000) for k in range(1, 13)],
)
KEY = ClientFile(
    account=Account(
        id="KA-K",
        name="Key GmbH",
        owner="am-1",
        facts={"brand_recognition": "high", "annual_potential": 600_000, "media_active": True},
    ),
    transactions=[tx("K-1", 10, 5000)],
)
VIP = ClientFile(
    account=Account(
        id="KA-V",
        name="Vip OOD",
        owner="am-2",
        tier="key",
        facts={"new_territory": True, "uses_competitor": True, "competitor_unsatisfied": True},
    ),
    transactions=[tx("V-1", 100, "48895.75", "BGN")],
)
REGULAR = ClientFile(
    account=Account(
        id="KA-R",
        name="Regular SA",
        owner="am-2",
        tier="regular",
        facts={"brand_recognition": "medium", "uses_competitor": True},
    ),
)


def test_default_rule_set_loads(default: Classifier) -> None:
    rules = default.rules
    assert rules.name == "kamcore default"
    assert [t.id for t in rules.tiers] == ["strategic", "key", "vip", "regular"]
    assert [t.key for t in rules.tiers] == [True, True, False, False]
    assert rules.currency.base == "EUR"
    assert rules.currency.rates["BGN"] == Decimal("1.95583")
    assert rules.history.demote_after == 2
    assert rules == read_rules(DEFAULT_RULES)


def test_default_strategic(default: Classifier) -> None:
    result = default.classify(STRATEGIC, AS_OF)
    assert (result.tier, result.key, result.score) == ("strategic", True, 15.0)
    scores = {c.criterion: c.score for c in result.contributions}
    assert scores == {
        "well_known_brand": 2.0,
        "large_potential": 3.0,
        "promising_segment": 0.0,
        "media_active": 0.0,
        "unsatisfied_competitor_user": 0.0,
        "strategic_list": 3.0,
        "amount": 3.0,
        "frequency": 2.0,
        "recency": 1.0,
        "loyalty": 1.0,
    }
    evidence = {c.criterion: c.evidence for c in result.contributions}
    assert evidence["amount"] == {"metric.amount_12m": 180000.0}
    assert evidence["frequency"]["metric.purchases_per_month_12m"] == pytest.approx(
        12 / (365 / (365.25 / 12))
    )
    assert evidence["recency"] == {"metric.days_since_purchase": 30.0}
    assert evidence["loyalty"]["metric.months_as_client"] == pytest.approx(2372 / (365.25 / 12))
    assert evidence["large_potential"] == {"fact.annual_potential": 1_200_000}
    assert not result.changed
    assert result.tier_reason == "'strategic': score 15 >= 9 and its entry condition holds"


def test_default_key(default: Classifier) -> None:
    result = default.classify(KEY, AS_OF)
    assert (result.tier, result.key, result.score) == ("key", True, 6.0)
    matched = {c.criterion: c.points for c in result.contributions if c.matched}
    assert matched == {
        "well_known_brand": 1.0,
        "large_potential": 2.0,
        "media_active": 1.0,
        "recency": 1.0,
    }
    assert result.recorded_tier is None
    assert not result.changed


def test_default_key_score_without_the_strategic_list_is_not_strategic(default: Classifier) -> None:
    rich = attrs_evolve_facts(STRATEGIC, strategic_list=False)
    result = default.classify(rich, AS_OF)
    assert result.score == 12.0
    assert result.tier == "key"
    assert result.changed


def test_default_vip(default: Classifier) -> None:
    result = default.classify(VIP, AS_OF)
    assert (result.tier, result.key, result.score) == ("vip", False, 4.0)
    by_id = {c.criterion: c for c in result.contributions}
    assert by_id["amount"].evidence == {"metric.amount_12m": 25000.0}
    assert (by_id["amount"].points, by_id["amount"].score) == (1.0, 1.0)
    assert by_id["promising_segment"].evidence == {
        "fact.new_segment": None,
        "fact.new_territory": True,
    }
    assert by_id["promising_segment"].score == 1.5
    assert by_id["unsatisfied_competitor_user"].evidence == {
        "fact.competitor_unsatisfied": True,
        "fact.uses_competitor": True,
    }
    assert by_id["recency"].evidence == {"metric.days_since_purchase": 100.0}
    assert not by_id["recency"].matched
    assert result.changed  # recorded "key"
    assert "recorded tier was key" in result.explain()


def test_default_regular(default: Classifier) -> None:
    result = default.classify(REGULAR, AS_OF)
    assert (result.tier, result.key, result.score) == ("regular", False, 0.0)
    assert not any(c.matched for c in result.contributions)
    by_id = {c.criterion: c for c in result.contributions}
    assert by_id["well_known_brand"].evidence == {"fact.brand_recognition": "medium"}
    assert by_id["recency"].evidence == {"metric.days_since_purchase": None}
    assert by_id["loyalty"].evidence == {"metric.months_as_client": None}
    assert result.tier_reason == "no higher tier's entry conditions are met, so 'regular'"


def test_default_vip_needs_the_amount_as_well_as_the_score(default: Classifier) -> None:
    talked_about = client("KA-M", facts={"brand_recognition": "high", "media_active": True})
    result = default.classify(talked_about, AS_OF)
    assert result.score == 3.0
    assert result.tier == "regular"


def attrs_evolve_facts(file: ClientFile, **facts: Any) -> ClientFile:
    account = file.account
    new = Account(
        id=account.id,
        name=account.name,
        owner=account.owner,
        tier=account.tier,
        client_since=account.client_since,
        facts={**account.facts, **facts},
        contacts=account.contacts,
    )
    return ClientFile(account=new, transactions=file.transactions, timeline=file.timeline)


def test_classify_portfolio(default: Classifier) -> None:
    portfolio = kamcore.Portfolio(files=[STRATEGIC, KEY, VIP, REGULAR])
    results = default.classify_portfolio(portfolio, AS_OF)
    assert {k: r.tier for k, r in results.items()} == {
        "KA-S": "strategic",
        "KA-K": "key",
        "KA-V": "vip",
        "KA-R": "regular",
    }


def test_as_dict_is_json_and_explain_mentions_every_label(default: Classifier) -> None:
    result = default.classify(VIP, AS_OF)
    data = json.loads(json.dumps(result.as_dict()))
    assert data["account_id"] == "KA-V"
    assert data["as_of"] == "2025-06-30T12:00:00+00:00"
    assert (data["tier"], data["key"], data["score"], data["recorded_tier"]) == (
        "vip",
        False,
        4.0,
        "key",
    )
    assert data["tier_reason"] == "'vip': score 4 >= 3 and its entry condition holds"
    assert [c["criterion"] for c in data["contributions"]] == [c.id for c in default.rules.criteria]
    amount = next(c for c in data["contributions"] if c["criterion"] == "amount")
    assert amount == {
        "criterion": "amount",
        "label": "Amount bought in 12 months",
        "weight": 1.0,
        "points": 1.0,
        "score": 1.0,
        "evidence": {"metric.amount_12m": 25000.0},
    }
    text = result.explain()
    assert text.startswith("KA-V: tier vip, score 4 as of 2025-06-30")
    for criterion in default.rules.criteria:
        assert criterion.label in text
    assert "+      1  Amount bought in 12 months (weight 1; metric.amount_12m=25000)" in text
    assert "fact.new_segment=absent" in text


def test_explain_marks_key_clients(default: Classifier) -> None:
    assert "(key client)" in default.classify(KEY, AS_OF).explain().splitlines()[0]
    assert "(key client)" not in default.classify(REGULAR, AS_OF).explain()


def test_classification_equality(default: Classifier) -> None:
    one, two = default.classify(KEY, AS_OF), default.classify(KEY, AS_OF)
    assert one == two
    assert hash(one) == hash(two)
    assert one != default.classify(KEY, ago(1))
    assert isinstance(one, Classification)


def test_earlier_as_of_ignores_later_transactions(default: Classifier) -> None:
    file = ClientFile(
        account=Account(id="KA-T", name="T", owner="o", facts={"annual_potential": 200_000}),
        transactions=[tx("T-1", 5, 60000)],
    )
    now = default.classify(file, AS_OF)
    before = default.classify(file, ago(30))
    assert now.score == 1 + 2 + 1 + 0  # potential, amount, recency, loyalty (5 days)
    assert {c.criterion: c.evidence for c in before.contributions}["amount"] == {
        "metric.amount_12m": 0.0
    }
    assert before.score == 1.0
    assert before.tier == "regular"
    assert now.tier == "vip"
    assert {c.criterion: c.evidence for c in before.contributions}["recency"] == {
        "metric.days_since_purchase": None
    }


# -------------------------------------------------------------------------------------
# Graded criteria
# -------------------------------------------------------------------------------------


def _graded() -> Classifier:
    doc = document(
        criteria=[
            {"id": "size", "weight": 2, "field": "fact.size", "bands": [[10, 1], [20, 3], [30, 4]]}
        ],
        metrics={},
    )
    return compile_rules(parse_rules(doc))


@pytest.mark.parametrize(
    ("size", "points"),
    [(-5, 0), (9.99, 0), (10, 1), (15, 1), (20, 3), (29.5, 3), (30, 4), (10**9, 4)],
)
def test_graded_bands(size: float, points: float) -> None:
    result = _graded().classify(client(facts={"size": size}), AS_OF)
    (contribution,) = result.contributions
    assert contribution.points == points
    assert result.score == contribution.score == 2 * points
    assert contribution.evidence == {"fact.size": size}


@pytest.mark.parametrize("size", ["big", True])
def test_graded_on_a_non_number_gives_nothing(size: object) -> None:
    result = _graded().classify(client(facts={"size": size}), AS_OF)
    assert result.score == 0


def test_graded_on_an_absent_fact_gives_nothing() -> None:
    result = _graded().classify(client(), AS_OF)
    assert result.score == 0
    assert result.contributions[0].evidence == {"fact.size": None}


# -------------------------------------------------------------------------------------
# Conditions
# -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "fact", "expected"),
    [
        ("==", 5, 5, True),
        ("==", 5, 5.0, True),
        ("==", 5, 6, False),
        ("==", "high", "high", True),
        ("==", "high", "High", False),
        ("==", True, True, True),
        ("==", 1, True, False),  # true/false is not a number
        ("==", True, 1, False),
        ("!=", 5, 6, True),
        ("!=", 5, 5, False),
        ("!=", "a", "b", True),
        ("<", 5, 4, True),
        ("<", 5, 5, False),
        ("<=", 5, 5, True),
        ("<=", 5, 5.5, False),
        (">", 5, 5.5, True),
        (">", 5, 5, False),
        (">=", 5, 5, True),
        (">=", 5, 4.99, False),
        (">=", "b", "c", True),  # text compares with text
        (">=", "b", "a", False),
        ("in", ("a", "b"), "b", True),
        ("in", ("a", "b"), "c", False),
        ("in", (1, 2), 2.0, True),
        ("in", (1, 2), True, False),
        ("in", ("1", "2"), 1, False),
        ("not in", ("a", "b"), "c", True),
        ("not in", ("a", "b"), "a", False),
        ("exists", True, 0, True),
        ("exists", True, False, True),
        ("exists", False, "x", False),
    ],
)
def test_operator(op: str, value: Any, fact: Any, expected: bool) -> None:
    predicate = compile_condition(Compare("fact.x", op, value))
    assert predicate({"fact.x": fact}) is expected


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "=="])
@pytest.mark.parametrize(("fact", "value"), [("high", 5), (5, "high"), (True, 0), (0, False)])
def test_type_mismatch_is_false_not_an_error(op: str, fact: Any, value: Any) -> None:
    assert compile_condition(Compare("fact.x", op, value))({"fact.x": fact}) is False


@pytest.mark.parametrize(
    ("op", "value"),
    [
        ("==", 1),
        ("!=", 1),
        ("<", 1),
        ("<=", 1),
        (">", 1),
        (">=", 1),
        ("in", (1,)),
        ("not in", (1,)),
    ],
)
def test_absent_field_makes_every_comparison_false(op: str, value: Any) -> None:
    predicate = compile_condition(Compare("fact.x", op, value))
    assert predicate({}) is False
    assert predicate({"fact.x": None}) is False


def test_exists_reads_presence() -> None:
    exists = compile_condition(Compare("fact.x", "exists", True))
    absent = compile_condition(Compare("fact.x", "exists", False))
    assert exists({"fact.x": 0})
    assert not exists({})
    assert absent({})
    assert not absent({"fact.x": 0})


def _conditions_classifier(**conditions: dict[str, Any]) -> Classifier:
    criteria = [{"id": name, "when": when} for name, when in conditions.items()]
    return compile_rules(parse_rules(document(criteria=criteria, metrics={})))


def test_exists_on_an_absent_fact_through_the_engine() -> None:
    # BUG at 706eb33 (fixed by the uncommitted change to conditions.py/engine.py in
    # the working tree): the engine gave an absent fact (and a metric with no data)
    # the value None, and `exists` treated any key in the values as present, so
    # `exists` was true and `exists = false` false for a fact the account does not
    # have (docs/classification.md: "`exists`: the field is present (`value = false`: absent)").
    classifier = _conditions_classifier(
        has={"field": "fact.x", "op": "exists"},
        lacks={"field": "fact.x", "op": "exists", "value": False},
    )
    points = {c.criterion: c.points for c in classifier.classify(client(), AS_OF).contributions}
    assert points == {"has": 0.0, "lacks": 1.0}


def test_exists_on_a_present_fact_through_the_engine() -> None:
    classifier = _conditions_classifier(
        has={"field": "fact.x", "op": "exists"},
        lacks={"field": "fact.x", "op": "exists", "value": False},
    )
    result = classifier.classify(client(facts={"x": False}), AS_OF)
    assert {c.criterion: c.points for c in result.contributions} == {"has": 1.0, "lacks": 0.0}


def test_comparisons_through_the_engine_on_facts_and_profile() -> None:
    classifier = _conditions_classifier(
        segment={"field": "fact.segment", "op": "in", "value": ["fintech", "ev"]},
        not_segment={"field": "fact.segment", "op": "not in", "value": ["retail"]},
        mismatch={"field": "fact.segment", "op": ">", "value": 3},
        absent={"field": "fact.nothing", "op": "!=", "value": "x"},
        owner={"field": "account.owner", "op": "==", "value": "am-7"},
        tier={"field": "account.tier", "op": "==", "value": "vip"},
    )
    file = client(facts={"segment": "ev"}, owner="am-7", tier="vip")
    result = classifier.classify(file, AS_OF)
    assert {c.criterion: c.points for c in result.contributions} == {
        "segment": 1.0,
        "not_segment": 1.0,
        "mismatch": 0.0,
        "absent": 0.0,
        "owner": 1.0,
        "tier": 1.0,
    }
    assert result.contributions[4].evidence == {"account.owner": "am-7"}


def test_nested_all_any_not() -> None:
    condition = All(
        (
            Compare("fact.a", ">=", 1),
            AnyOf((Compare("fact.b", "==", "x"), Not(Compare("fact.c", "exists")))),
            Not(All((Compare("fact.d", "==", True), Compare("fact.e", "==", True)))),
        )
    )
    predicate = compile_condition(condition)
    assert predicate({"fact.a": 1, "fact.b": "x", "fact.c": 1})
    assert predicate({"fact.a": 2, "fact.b": "y"})
    assert not predicate({"fact.a": 2, "fact.b": "y", "fact.c": 0})
    assert not predicate({"fact.a": 0, "fact.b": "x"})
    assert not predicate({"fact.a": 1, "fact.b": "x", "fact.d": True, "fact.e": True})
    assert predicate({"fact.a": 1, "fact.b": "x", "fact.d": True, "fact.e": False})
    assert condition_fields(condition) == {"fact.a", "fact.b", "fact.c", "fact.d", "fact.e"}


def test_empty_groups() -> None:
    assert compile_condition(All(()))({}) is True
    assert compile_condition(AnyOf(()))({}) is False
    assert compile_condition(Not(AnyOf(())))({}) is True


def test_tier_condition_reads_score_and_facts() -> None:
    doc = document(
        metrics={},
        criteria=[{"id": "a", "weight": 5, "when": {"field": "fact.a", "op": "==", "value": True}}],
        tiers=[
            {
                "id": "top",
                "when": {
                    "all": [
                        {"field": "score", "op": ">", "value": 4},
                        {"field": "fact.region", "op": "in", "value": ["EU"]},
                    ]
                },
            },
            {"id": "rest"},
        ],
    )
    classifier = compile_rules(parse_rules(doc))
    assert classifier.classify(client(facts={"a": True, "region": "EU"}), AS_OF).tier == "top"
    assert classifier.classify(client(facts={"a": True, "region": "CN"}), AS_OF).tier == "rest"
    assert classifier.classify(client(facts={"region": "EU"}), AS_OF).tier == "rest"
    result = classifier.classify(client(facts={"a": True, "region": "EU"}), AS_OF)
    assert result.tier_reason == "'top': its entry condition holds"
    assert "score" not in classifier.values(client(), AS_OF)


def test_negative_weight_lowers_the_score() -> None:
    doc = document(
        metrics={},
        criteria=[
            {"id": "big", "weight": 3, "when": {"field": "fact.big", "op": "==", "value": True}},
            {"id": "late", "weight": -2, "when": {"field": "fact.late", "op": "==", "value": True}},
        ],
    )
    classifier = compile_rules(parse_rules(doc))
    result = classifier.classify(client(facts={"big": True, "late": True}), AS_OF)
    assert result.score == 1.0
    assert [c.score for c in result.contributions] == [3.0, -2.0]
    assert result.tier == "regular"


# -------------------------------------------------------------------------------------
# Metrics
# -------------------------------------------------------------------------------------


def metric_values(
    metrics: dict[str, dict[str, Any]], file: ClientFile, as_of: datetime = AS_OF, **doc: Any
) -> dict[str, Any]:
    criteria = [{"id": name, "field": f"metric.{name}", "bands": [[0, 1]]} for name in metrics]
    classifier = compile_rules(parse_rules(document(metrics=metrics, criteria=criteria, **doc)))
    values = classifier.values(file, as_of)
    return {name: values[f"metric.{name}"] for name in metrics}


def with_transactions(*transactions: Transaction, **account: Any) -> ClientFile:
    return ClientFile(
        account=Account(id="A-1", name="A", owner="o", **account), transactions=transactions
    )


def with_events(*events: kamcore.Event, **account: Any) -> ClientFile:
    return ClientFile(
        account=Account(id="A-1", name="A", owner="o", **account), timeline=Timeline(events)
    )


RATES = {"base": "EUR", "rates": {"BGN": Decimal("1.95583"), "USD": Decimal("1.08")}}


def test_amount_converts_with_the_rate_table() -> None:
    file = with_transactions(tx("T-1", 3, "1955.83", "BGN"))
    assert metric_values({"m": {"kind": "amount", "window_days": 30}}, file, currency=RATES) == {
        "m": 1000.0
    }


def test_amount_converts_each_currency_before_adding() -> None:
    file = with_transactions(
        tx("T-1", 1, "1000", "EUR"), tx("T-2", 2, "1955.83", "BGN"), tx("T-3", 3, "108", "USD")
    )
    got = metric_values({"m": {"kind": "amount", "window_days": 30}}, file, currency=RATES)
    assert got == {"m": 2100.0}


def test_amount_in_another_base_currency() -> None:
    file = with_transactions(tx("T-1", 1, "1000", "EUR"), tx("T-2", 2, "100", "BGN"))
    currency = {"base": "BGN", "rates": {"EUR": Decimal("0.511292")}}
    got = metric_values({"m": {"kind": "amount", "window_days": 30}}, file, currency=currency)
    assert got["m"] == pytest.approx(100 + 1000 / 0.511292)


def test_currency_without_a_rate_raises_missing_rate_error() -> None:
    file = with_transactions(tx("T-1", 1, "1000", "EUR"), tx("T-9", 2, "500", "CNY"))
    with pytest.raises(MissingRateError) as caught:
        metric_values({"m": {"kind": "amount", "window_days": 30}}, file, currency=RATES)
    error = caught.value
    assert (error.account_id, error.transaction_id, error.currency) == ("A-1", "T-9", "CNY")
    assert "A-1" in str(error)
    assert "T-9" in str(error)
    assert "no rate from CNY to EUR" in str(error)
    assert isinstance(error, kamcore.KamcoreError)


def test_currency_without_a_rate_raises_from_classify(default: Classifier) -> None:
    file = ClientFile(
        account=Account(id="KA-X", name="X", owner="o"), transactions=[tx("X-7", 5, "10", "JPY")]
    )
    with pytest.raises(MissingRateError, match="account KA-X, transaction X-7"):
        default.classify(file, AS_OF)


def test_currency_without_a_rate_outside_the_window_is_not_read() -> None:
    file = with_transactions(tx("T-1", 1, "1000", "EUR"), tx("T-9", 400, "500", "CNY"))
    got = metric_values({"m": {"kind": "amount", "window_days": 30}}, file, currency=RATES)
    assert got == {"m": 1000.0}


def test_window_is_open_at_the_start_and_closed_at_the_end() -> None:
    file = with_transactions(
        tx("on-as-of", 0, 1),
        tx("inside", 29.99, 10),
        tx("on-start", 30, 100),
        tx("before", 31, 1000),
        tx("after", -1, 10000),
    )
    got = metric_values(
        {
            "amount": {"kind": "amount", "window_days": 30},
            "n": {"kind": "purchases", "window_days": 30},
        },
        file,
    )
    assert got == {"amount": 11.0, "n": 2}


def test_offset_days_moves_the_window_back() -> None:
    file = with_transactions(
        tx("this-year", 100, 1), tx("last-year", 400, 10), tx("edge", 730, 100), tx("in", 729, 1000)
    )
    got = metric_values(
        {
            "this": {"kind": "amount", "window_days": 365},
            "last": {"kind": "amount", "window_days": 365, "offset_days": 365},
        },
        file,
    )
    assert got == {"this": 1.0, "last": 1010.0}


def test_refunds_are_netted_in_the_amount() -> None:
    file = with_transactions(tx("T-1", 10, 1000), tx("T-2", 5, -250))
    assert metric_values({"m": {"kind": "amount", "window_days": 30}}, file) == {"m": 750.0}


def test_purchases_per_month() -> None:
    file = with_transactions(*(tx(f"T-{k}", 30 * k + 1, 10) for k in range(12)))
    got = metric_values({"m": {"kind": "purchases_per_month", "window_days": 365}}, file)
    assert got["m"] == pytest.approx(12 / (365 / (365.25 / 12)))
    got = metric_values({"m": {"kind": "purchases_per_month", "window_days": 90}}, file)
    assert got["m"] == pytest.approx(3 / (90 / (365.25 / 12)))


def test_days_since_purchase() -> None:
    file = with_transactions(tx("T-1", 40, 1), tx("T-2", 10.5, 1), tx("T-3", -2, 1))
    assert metric_values({"m": {"kind": "days_since_purchase"}}, file) == {"m": 10.5}
    assert metric_values({"m": {"kind": "days_since_purchase"}}, with_transactions()) == {"m": None}


def test_a_refund_is_not_a_purchase() -> None:
    # BUG: purchases, purchases_per_month and days_since_purchase count every
    # transaction, so a refund (negative amount, see Transaction) yesterday makes
    # the default rule set's "Bought in the last 90 days" match, and a refund
    # counts as a purchase for frequency.
    file = with_transactions(tx("T-1", 200, 1000), tx("T-2", 1, -1000))
    got = metric_values(
        {"since": {"kind": "days_since_purchase"}, "n": {"kind": "purchases", "window_days": 365}},
        file,
    )
    assert got == {"since": 200.0, "n": 1}


def test_months_as_client_from_client_since() -> None:
    file = with_transactions(tx("T-1", 30, 1), client_since=date(2024, 6, 30))
    got = metric_values({"m": {"kind": "months_as_client"}}, file)
    assert got["m"] == pytest.approx(365 / (365.25 / 12))


def test_months_as_client_from_the_first_transaction() -> None:
    file = with_transactions(tx("T-1", 60, 1), tx("T-2", 30, 1), tx("T-3", -400, 1))
    got = metric_values({"m": {"kind": "months_as_client"}}, file)
    assert got["m"] == pytest.approx(60 / (365.25 / 12))


def test_months_as_client_takes_the_earlier_start() -> None:
    file = with_transactions(tx("T-1", 60, 1), client_since=AS_OF.date() - timedelta(days=30))
    assert metric_values({"m": {"kind": "months_as_client"}}, file)["m"] == pytest.approx(
        60 / (365.25 / 12)
    )


def test_months_as_client_unknown() -> None:
    assert metric_values({"m": {"kind": "months_as_client"}}, with_transactions()) == {"m": None}


def survey(survey_id: str, days_ago: float, *scores: float) -> SurveyResponse:
    names = ("product_quality", "service_attitude", "resolution_efficiency")
    given: dict[str, Any] = dict(zip(names, scores, strict=False))
    return SurveyResponse(id=survey_id, at=ago(days_ago), **given)


def test_satisfaction_and_trend() -> None:
    file = with_events(
        survey("S-1", 300, 4, 2),  # 3.0
        survey("S-2", 100, 4),  # 4.0
        survey("S-3", 10, 2, 2, 2),  # 2.0
        survey("S-4", -5, 5),  # after as_of
    )
    metrics = {"sat": {"kind": "satisfaction"}, "trend": {"kind": "satisfaction_trend"}}
    assert metric_values(metrics, file) == {"sat": 3.0, "trend": 2.0 - 3.5}


def test_satisfaction_in_a_window() -> None:
    file = with_events(survey("S-1", 300, 1), survey("S-2", 100, 4), survey("S-3", 10, 5))
    metrics = {
        "sat": {"kind": "satisfaction", "window_days": 180},
        "trend": {"kind": "satisfaction_trend", "window_days": 180},
    }
    assert metric_values(metrics, file) == {"sat": 4.5, "trend": 1.0}


def test_satisfaction_without_surveys_and_trend_of_one_survey() -> None:
    metrics = {"sat": {"kind": "satisfaction"}, "trend": {"kind": "satisfaction_trend"}}
    assert metric_values(metrics, with_events()) == {"sat": None, "trend": None}
    assert metric_values(metrics, with_events(survey("S-1", 3, 4))) == {"sat": 4.0, "trend": None}


def test_amount_trend() -> None:
    file = with_transactions(tx("T-1", 100, 1200), tx("T-2", 400, 1000))
    got = metric_values({"m": {"kind": "amount_trend", "window_days": 365}}, file)
    assert got["m"] == pytest.approx(0.2)
    earlier = with_transactions(tx("T-1", 100, 1200))
    assert metric_values({"m": {"kind": "amount_trend", "window_days": 365}}, earlier) == {
        "m": None
    }
    fall = with_transactions(tx("T-2", 400, 1000))
    assert metric_values({"m": {"kind": "amount_trend", "window_days": 365}}, fall) == {"m": -1.0}


def test_amount_trend_with_offset() -> None:
    file = with_transactions(tx("T-1", 100, 5), tx("T-2", 400, 300), tx("T-3", 800, 100))
    got = metric_values(
        {"m": {"kind": "amount_trend", "window_days": 365, "offset_days": 365}}, file
    )
    assert got["m"] == pytest.approx(2.0)


def test_open_complaints() -> None:
    file = with_events(
        Complaint(id="C-1", at=ago(20), subject="late"),
        ComplaintStep(id="C-1r", at=ago(5), complaint_id="C-1", step="resolved"),
        Complaint(id="C-2", at=ago(10), subject="broken"),
        ComplaintStep(id="C-2a", at=ago(9), complaint_id="C-2", step="accepted"),
        ComplaintStep(id="C-2r", at=ago(-5), complaint_id="C-2", step="resolved"),
        Complaint(id="C-3", at=ago(3), subject="rude"),
        ComplaintStep(id="C-3f", at=ago(2), complaint_id="C-3", step="feedback_given"),
        Complaint(id="C-4", at=ago(-1), subject="later"),
    )
    assert metric_values({"m": {"kind": "open_complaints"}}, file) == {"m": 2}
    # Ten days later C-2 is resolved and C-4 has come in; fifteen days earlier only C-1 was open.
    assert metric_values({"m": {"kind": "open_complaints"}}, file, ago(-10)) == {"m": 2}
    assert metric_values({"m": {"kind": "open_complaints"}}, file, ago(15)) == {"m": 1}
    assert metric_values({"m": {"kind": "open_complaints"}}, with_events()) == {"m": 0}


def test_days_since_contact_counts_personal_contacts_only() -> None:
    file = with_events(
        Interaction(id="I-1", at=ago(7), channel="call"),
        Interaction(id="I-2", at=ago(1), channel="email", personal=False),
        Interaction(id="I-3", at=ago(-1), channel="visit"),
    )
    assert metric_values({"m": {"kind": "days_since_contact"}}, file) == {"m": 7.0}
    mass = with_events(Interaction(id="I-2", at=ago(1), channel="email", personal=False))
    assert metric_values({"m": {"kind": "days_since_contact"}}, mass) == {"m": None}


# -------------------------------------------------------------------------------------
# Compiling with plugin metrics
# -------------------------------------------------------------------------------------


def _reps(file: ClientFile, as_of: datetime) -> int:
    return len([c for c in file.account.contacts if c.position == "field sales rep"])


class FieldSalesPlugin:
    @kamcore.hookimpl
    def kamcore_metrics(self) -> list[PluginMetric]:
        return [PluginMetric("field_sales_reps", "field sales reps the client employs", _reps)]


class NothingPlugin:
    @kamcore.hookimpl
    def kamcore_metrics(self) -> None:
        return None


SOFTWARE_RULES = document(
    metrics={},
    criteria=[
        {
            "id": "sales_force",
            "label": "Large field sales force",
            "weight": 2,
            "field": "metric.field_sales_reps",
            "bands": [[3, 1], [10, 2]],
        }
    ],
    tiers=[{"id": "key", "key": True, "min_score": 2}, {"id": "regular"}],
)


def _reps_client(count: int) -> ClientFile:
    contacts = [
        Contact(id=f"c{i}", name=f"Rep {i}", position="field sales rep") for i in range(count)
    ]
    contacts.append(Contact(id="cfo", name="CFO", position="CFO"))
    return ClientFile(account=Account(id="SW-1", name="Soft", owner="o", contacts=contacts))


def test_plugin_metric_is_a_criterion(tmp_path: Path) -> None:
    path = tmp_path / "software.toml"
    path.write_text(toml_text(SOFTWARE_RULES), encoding="utf-8")
    manager = kamcore.get_plugin_manager(
        entry_points=False, plugins=[FieldSalesPlugin(), NothingPlugin()]
    )
    classifier = load_classifier(path, plugins=manager)
    few, many = (
        classifier.classify(_reps_client(2), AS_OF),
        classifier.classify(_reps_client(3), AS_OF),
    )
    assert (few.tier, few.score) == ("regular", 0.0)
    assert (many.tier, many.score) == ("key", 2.0)
    assert many.contributions[0].evidence == {"metric.field_sales_reps": 3}
    assert "Large field sales force" in many.explain()
    assert classifier.classify(_reps_client(10), AS_OF).score == 4.0


def test_plugin_metrics_are_collected() -> None:
    manager = kamcore.get_plugin_manager(
        entry_points=False, plugins=[FieldSalesPlugin(), NothingPlugin()]
    )
    assert [m.name for m in plugin_metrics(manager)] == ["field_sales_reps"]


def test_rule_set_using_a_plugin_metric_is_refused_without_the_plugin(tmp_path: Path) -> None:
    path = tmp_path / "software.toml"
    path.write_text(toml_text(SOFTWARE_RULES), encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_classifier(path, plugins=kamcore.get_plugin_manager(entry_points=False))
    assert caught.value.problems == (
        Problem(
            "criteria[0] (id=sales_force).field",
            "unknown metric 'field_sales_reps'; declare it under [metrics.field_sales_reps]",
        ),
    )
    assert str(caught.value).startswith(str(path))


def test_compile_refuses_a_metric_nobody_provides() -> None:
    rules = parse_rules(SOFTWARE_RULES, known_metrics=["field_sales_reps"], source="sw.toml")
    with pytest.raises(RuleSetError) as caught:
        compile_rules(rules)
    assert caught.value.source == "sw.toml"
    assert caught.value.problems == (
        Problem("metric.field_sales_reps", "no rule-set or plugin metric named 'field_sales_reps'"),
    )


def test_compile_refuses_a_plugin_metric_that_clashes_with_the_rule_set() -> None:
    rules = parse_rules(document(), source="r.toml")
    clash = PluginMetric("amount_12m", "shadow", lambda file, as_of: 0)
    with pytest.raises(RuleSetError) as caught:
        compile_rules(rules, [clash])
    assert caught.value.problems == (
        Problem("metrics.amount_12m", "declared twice (by the rule set or a plugin)"),
    )


def test_compile_refuses_two_plugins_with_one_metric_name() -> None:
    rules = parse_rules(SOFTWARE_RULES, known_metrics=["field_sales_reps"])
    manager = kamcore.get_plugin_manager(
        entry_points=False, plugins=[FieldSalesPlugin(), FieldSalesPlugin()]
    )
    with pytest.raises(RuleSetError, match=r"metrics\.field_sales_reps: declared twice"):
        load_classifier(rules, plugins=manager)


def test_load_classifier_accepts_a_rule_set() -> None:
    rules = parse_rules(SOFTWARE_RULES, known_metrics=["field_sales_reps"])
    manager = kamcore.get_plugin_manager(entry_points=False, plugins=[FieldSalesPlugin()])
    assert load_classifier(rules, plugins=manager).classify(_reps_client(4), AS_OF).tier == "key"


# -------------------------------------------------------------------------------------
# Tier history
# -------------------------------------------------------------------------------------


def _history_classifier(demote_after: int, period: str = "month") -> Classifier:
    doc = document(
        metrics={"amount_30d": {"kind": "amount", "window_days": 30}},
        criteria=[{"id": "amount", "field": "metric.amount_30d", "bands": [[100, 1], [1000, 2]]}],
        tiers=[{"id": "gold", "min_score": 2}, {"id": "silver", "min_score": 1}, {"id": "bronze"}],
        history={"demote_after": demote_after, "period": period},
    )
    return compile_rules(parse_rules(doc))


def _on(month: int, day: int, amount: int, tx_id: str) -> Transaction:
    return Transaction(
        id=tx_id,
        at=datetime(2025, month, day, 12, tzinfo=UTC),
        product="p",
        amount=Decimal(amount),
        currency="EUR",
    )


# Transactions on the 20th of a month fall into the 30-day window of the 1st after it.
FLAPPING = ClientFile(
    account=Account(id="H-1", name="H", owner="o"),
    transactions=[_on(1, 20, 5000, "jan"), _on(3, 20, 5000, "mar"), _on(4, 20, 500, "apr")],
)
START, END = datetime(2025, 1, 15, tzinfo=UTC), datetime(2025, 6, 15, tzinfo=UTC)


def test_one_bad_month_does_not_demote_two_in_a_row_do() -> None:
    history = tier_history(_history_classifier(2), FLAPPING, START, END)
    assert [p.end for p in history.periods] == [
        datetime(2025, m, 1, tzinfo=UTC) for m in (2, 3, 4, 5, 6)
    ] + [END]
    assert [p.qualified for p in history.periods] == [
        "gold",
        "bronze",
        "gold",
        "silver",
        "bronze",
        "bronze",
    ]
    # June: two months in a row below gold (silver, bronze): down to the best of them.
    assert [p.tier for p in history.periods] == ["gold", "gold", "gold", "gold", "silver", "silver"]
    assert [p.score for p in history.periods] == [2.0, 0.0, 2.0, 1.0, 0.0, 0.0]
    assert history.current == "silver"
    assert [(p.end.month, p.tier) for p in history.changes()] == [(2, "gold"), (6, "silver")]
    assert history.account_id == "H-1"


def test_demote_after_one_demotes_at_once() -> None:
    history = tier_history(_history_classifier(1), FLAPPING, START, END)
    assert [p.tier for p in history.periods] == [p.qualified for p in history.periods]


def test_promotion_is_immediate() -> None:
    rising = ClientFile(
        account=Account(id="H-2", name="H", owner="o"),
        transactions=[_on(2, 20, 500, "feb"), _on(3, 20, 5000, "mar")],
    )
    history = tier_history(_history_classifier(3), rising, START, datetime(2025, 4, 1, tzinfo=UTC))
    assert [(p.qualified, p.tier) for p in history.periods] == [
        ("bronze", "bronze"),
        ("silver", "silver"),
        ("gold", "gold"),
    ]


def test_demotion_waits_for_demote_after_periods() -> None:
    falling = ClientFile(
        account=Account(id="H-3", name="H", owner="o"), transactions=[_on(1, 20, 5000, "jan")]
    )
    history = tier_history(_history_classifier(3), falling, START, END)
    assert [p.tier for p in history.periods] == [
        "gold",
        "gold",
        "gold",
        "bronze",
        "bronze",
        "bronze",
    ]


def test_history_of_an_empty_span() -> None:
    history = tier_history(_history_classifier(2), FLAPPING, START, START + timedelta(days=1))
    assert len(history.periods) == 1
    assert history.current == "bronze"


def test_period_ends_month() -> None:
    ends = period_ends(
        datetime(2025, 1, 15, 9, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC), "month"
    )
    assert ends == tuple(datetime(2025, m, 1, tzinfo=UTC) for m in (2, 3, 4))


def test_period_ends_week() -> None:
    ends = period_ends(
        datetime(2025, 1, 1, 10, tzinfo=UTC), datetime(2025, 1, 22, 8, tzinfo=UTC), "week"
    )
    assert ends == (
        datetime(2025, 1, 6, tzinfo=UTC),
        datetime(2025, 1, 13, tzinfo=UTC),
        datetime(2025, 1, 20, tzinfo=UTC),
        datetime(2025, 1, 22, 8, tzinfo=UTC),
    )
    assert all(e.weekday() == 0 for e in ends[:-1])


def test_period_ends_quarter() -> None:
    ends = period_ends(
        datetime(2025, 2, 10, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC), "quarter"
    )
    assert ends == (
        datetime(2025, 4, 1, tzinfo=UTC),
        datetime(2025, 7, 1, tzinfo=UTC),
        datetime(2025, 10, 1, tzinfo=UTC),
        datetime(2025, 12, 31, tzinfo=UTC),
    )


def test_period_ends_at_midnight_in_the_start_time_zone() -> None:
    sofia = timezone(timedelta(hours=2))
    ends = period_ends(
        datetime(2025, 1, 31, 23, tzinfo=sofia), datetime(2025, 3, 5, tzinfo=UTC), "month"
    )
    assert ends == (
        datetime(2025, 2, 1, tzinfo=sofia),
        datetime(2025, 3, 1, tzinfo=sofia),
        datetime(2025, 3, 5, tzinfo=UTC),
    )
    assert ends[0] == datetime(2025, 1, 31, 22, tzinfo=UTC)


def test_period_ends_starting_on_a_boundary() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert period_ends(start, datetime(2025, 2, 10, tzinfo=UTC), "month") == (
        datetime(2025, 2, 1, tzinfo=UTC),
        datetime(2025, 2, 10, tzinfo=UTC),
    )
