"""Rule-set files: every validation error, located by rule, from dicts, TOML and JSON files."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import kamcore
from classification_strategies import STANDARD, document, json_text, toml_text
from kamcore.classification import (
    DEFAULT_RULES,
    All,
    AnyOf,
    Compare,
    Not,
    RuleSet,
    dumps_json,
    dumps_toml,
    parse_rules,
    read_rules,
    rules_document,
)
from kamcore.errors import Problem, RuleSetError

Mutation = Callable[[dict[str, Any]], None]


def problems_of(doc: Any, **kwargs: Any) -> tuple[Problem, ...]:
    with pytest.raises(RuleSetError) as caught:
        parse_rules(doc, source="r.toml", **kwargs)
    assert caught.value.source == "r.toml"
    return caught.value.problems


def only_problem(doc: Any, **kwargs: Any) -> Problem:
    problems = problems_of(doc, **kwargs)
    assert len(problems) == 1, problems
    return problems[0]


# -------------------------------------------------------------------------------------
# The document used as a base is valid, from a dict and from both kinds of file
# -------------------------------------------------------------------------------------


def test_base_document_is_valid() -> None:
    rules = parse_rules(document(), source="r.toml")
    assert [t.id for t in rules.tiers] == ["key", "regular"]
    assert rules.criteria[0].when == Compare("fact.brand", "==", "high")
    assert rules.currency.rates == {"BGN": Decimal("1.95583")}
    assert rules.source == "r.toml"


@pytest.mark.parametrize("suffix", [".toml", ".json", ".JSON"])
def test_base_document_reads_from_files(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"rules{suffix}"
    path.write_text(
        toml_text(document()) if suffix == ".toml" else json_text(document()), encoding="utf-8"
    )
    rules = read_rules(path)
    assert rules == parse_rules(document())
    assert rules.source == str(path)
    assert isinstance(rules.currency.rates["BGN"], Decimal)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(b"\xef\xbb\xbf" + toml_text(document()).encode())
    assert read_rules(path) == parse_rules(document())


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    doc = document()
    del doc["name"]
    path = tmp_path / "acme-rules.toml"
    path.write_text(toml_text(doc), encoding="utf-8")
    assert read_rules(path).name == "acme-rules"


# -------------------------------------------------------------------------------------
# One case per mistake: (mutation, locations of the problems, words of the message)
# -------------------------------------------------------------------------------------


def _set(path: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return mutate


BRAND = "criteria[0] (id=brand)"
AMOUNT = "criteria[1] (id=amount)"

CASES: dict[str, tuple[Mutation, list[str], str]] = {
    "unknown top-level key": (_set("colour", "red"), ["$.colour"], "unknown key; expected one of"),
    "currency not a table": (_set("currency", "EUR"), ["currency", "currency.base"], ""),
    "bad currency base": (
        _set("currency/base", "euro"),
        ["currency.base"],
        "'euro' is not an ISO 4217 code",
    ),
    "numeric currency base": (_set("currency/base", 978), ["currency.base"], "expected a string"),
    "missing currency base": (_delete("currency/base"), ["currency.base"], "expected a string"),
    "missing currency table": (_delete("currency"), ["currency.base"], "expected a string"),
    "bad rate code": (
        _set("currency/rates/bgn", 2),
        ["currency.rates.bgn"],
        "'bgn' is not an ISO 4217 code",
    ),
    "zero rate": (_set("currency/rates/BGN", 0), ["currency.rates.BGN"], "greater than zero"),
    "negative rate": (
        _set("currency/rates/BGN", Decimal("-1.5")),
        ["currency.rates.BGN"],
        "greater than zero",
    ),
    "text rate": (_set("currency/rates/BGN", "abc"), ["currency.rates.BGN"], "not a decimal"),
    "boolean rate": (
        _set("currency/rates/BGN", True),
        ["currency.rates.BGN"],
        "expected a decimal amount",
    ),
    "unknown metric kind": (
        _set("metrics/m", {"kind": "revenue", "window_days": 30}),
        ["metrics.m.kind"],
        "unknown metric kind 'revenue'; use one of amount, amount_trend",
    ),
    "missing metric kind": (
        _set("metrics/m", {"window_days": 30}),
        ["metrics.m.kind"],
        "unknown metric kind None",
    ),
    "unknown metric key": (
        _set("metrics/m", {"kind": "purchases", "window_days": 30, "span": 2}),
        ["metrics.m.span"],
        "unknown key",
    ),
    "windowed metric without window": (
        _set("metrics/m", {"kind": "purchases"}),
        ["metrics.m.window_days"],
        "a 'purchases' metric needs a window",
    ),
    "zero window": (
        _set("metrics/m", {"kind": "amount", "window_days": 0}),
        ["metrics.m.window_days"],
        "must be greater than zero",
    ),
    "negative window": (
        _set("metrics/m", {"kind": "amount", "window_days": -30}),
        ["metrics.m.window_days"],
        "must be greater than zero",
    ),
    "fractional window": (
        _set("metrics/m", {"kind": "amount", "window_days": Decimal("30.5")}),
        ["metrics.m.window_days"],
        "expected a whole number",
    ),
    "negative offset": (
        _set("metrics/m", {"kind": "amount", "window_days": 30, "offset_days": -1}),
        ["metrics.m.offset_days"],
        "must not be negative",
    ),
    "criterion with both when and field": (
        _set("criteria/0/field", "fact.brand"),
        [BRAND],
        "give either when = {…} or field with bands, not both or neither",
    ),
    "criterion with when and bands": (
        _set("criteria/0/bands", [[1, 1]]),
        [BRAND],
        "not both or neither",
    ),
    "criterion with neither": (_delete("criteria/0/when"), [BRAND], "not both or neither"),
    "graded criterion without bands": (
        _delete("criteria/1/bands"),
        [f"{AMOUNT}.bands"],
        "expected a list of [threshold, points] pairs",
    ),
    "graded criterion without field": (
        _delete("criteria/1/field"),
        [f"{AMOUNT}.field"],
        "expected a string",
    ),
    "criterion without id": (_delete("criteria/0/id"), ["criteria[0].id"], "expected a string"),
    "criterion with blank id": (
        _set("criteria/0/id", "  "),
        ["criteria[0] (id=  ).id"],
        "must not be blank",
    ),
    "duplicate criterion id": (
        _set("criteria/1/id", "brand"),
        ["criteria[1].id"],
        "duplicate criterion id 'brand'",
    ),
    "unknown criterion key": (_set("criteria/0/points", 3), [f"{BRAND}.points"], "unknown key"),
    "weight not a number": (
        _set("criteria/0/weight", "heavy"),
        [f"{BRAND}.weight"],
        "expected a number, got a string",
    ),
    "boolean weight": (_set("criteria/0/weight", True), [f"{BRAND}.weight"], "expected a number"),
    "label not text": (_set("criteria/0/label", 5), [f"{BRAND}.label"], "expected a string"),
    "unknown field namespace": (
        _set("criteria/0/when/field", "foo.bar"),
        [f"{BRAND}.when.field"],
        "unknown field 'foo.bar'; use fact.NAME, metric.NAME, account.owner, account.tier",
    ),
    "fact without a name": (
        _set("criteria/0/when/field", "fact."),
        [f"{BRAND}.when.field"],
        "unknown field 'fact.'",
    ),
    "score outside tiers": (
        _set("criteria/0/when/field", "score"),
        [f"{BRAND}.when.field"],
        "unknown field 'score'; use fact.NAME",
    ),
    "score as a graded field": (
        _set("criteria/1/field", "score"),
        [f"{AMOUNT}.field"],
        "unknown field 'score'",
    ),
    "unknown metric": (
        _set("criteria/0/when/field", "metric.nope"),
        [f"{BRAND}.when.field"],
        "unknown metric 'nope'; declare it under [metrics.nope]",
    ),
    "unknown metric in bands": (
        _set("criteria/1/field", "metric.nope"),
        [f"{AMOUNT}.field"],
        "unknown metric 'nope'",
    ),
    "bad operator": (
        _set("criteria/0/when/op", "≥"),
        [f"{BRAND}.when.op"],
        "'≥' is not an operator; use one of !=, <, <=, ==, >, >=, exists, in, not in",
    ),
    "in without a list": (
        _set("criteria/0/when", {"field": "fact.brand", "op": "in", "value": "high"}),
        [f"{BRAND}.when.value"],
        "'in' needs a non-empty list of values",
    ),
    "not in with an empty list": (
        _set("criteria/0/when", {"field": "fact.brand", "op": "not in", "value": []}),
        [f"{BRAND}.when.value"],
        "'not in' needs a non-empty list of values",
    ),
    "in with a table in the list": (
        _set("criteria/0/when", {"field": "fact.brand", "op": "in", "value": ["a", {"b": 1}]}),
        [f"{BRAND}.when.value[1]"],
        "expected text, a number or true/false",
    ),
    "comparison without value": (
        _delete("criteria/0/when/value"),
        [f"{BRAND}.when.value"],
        "missing",
    ),
    "comparison with a list value": (
        _set("criteria/0/when/value", [1, 2]),
        [f"{BRAND}.when.value"],
        "expected text, a number or true/false",
    ),
    "exists with a text value": (
        _set("criteria/0/when", {"field": "fact.brand", "op": "exists", "value": "yes"}),
        [f"{BRAND}.when.value"],
        "expected true or false",
    ),
    "comparison without op": (
        _delete("criteria/0/when/op"),
        [f"{BRAND}.when"],
        "a comparison needs field and op (or use all / any / not)",
    ),
    "comparison with an unknown key": (
        _set("criteria/0/when/values", "x"),
        [f"{BRAND}.when.values"],
        "unknown key; expected one of field, op, value",
    ),
    "condition not a table": (
        _set("criteria/0/when", "fact.brand == high"),
        [f"{BRAND}.when"],
        "expected a table such as { field = …, op = …, value = … }",
    ),
    "all mixed with other keys": (
        _set(
            "criteria/0/when",
            {"all": [{"field": "fact.a", "op": "exists"}], "field": "fact.b", "op": "exists"},
        ),
        [f"{BRAND}.when"],
        "all / any / not must stand alone in their table",
    ),
    "any and not together": (
        _set(
            "criteria/0/when",
            {
                "any": [{"field": "fact.a", "op": "exists"}],
                "not": {"field": "fact.b", "op": "exists"},
            },
        ),
        [f"{BRAND}.when"],
        "must stand alone",
    ),
    "any not a list": (
        _set("criteria/0/when", {"any": {"field": "fact.a", "op": "exists"}}),
        [f"{BRAND}.when.any"],
        "expected a list of tables",
    ),
    "mistake deep inside all/any/not": (
        _set(
            "criteria/0/when",
            {"all": [{"field": "fact.a", "op": "exists"}, {"not": {"any": [{"field": "x.y"}]}}]},
        ),
        [f"{BRAND}.when.all[1].not.any[0]"],
        "a comparison needs field and op",
    ),
    "bands not ascending": (
        _set("criteria/1/bands", [[50000, 1], [10000, 2]]),
        [f"{AMOUNT}.bands"],
        "thresholds must be strictly ascending",
    ),
    "bands with equal thresholds": (
        _set("criteria/1/bands", [[10000, 1], [10000, 2]]),
        [f"{AMOUNT}.bands"],
        "strictly ascending",
    ),
    "bands empty": (_set("criteria/1/bands", []), [f"{AMOUNT}.bands"], "expected a list"),
    "band not a pair": (
        _set("criteria/1/bands", [[10000, 1], [50000]]),
        [f"{AMOUNT}.bands[1]"],
        "expected [threshold, points]",
    ),
    "band a triple": (
        _set("criteria/1/bands", [[10000, 1, 2]]),
        [f"{AMOUNT}.bands[0]"],
        "expected [threshold, points]",
    ),
    "band threshold not a number": (
        _set("criteria/1/bands", [["lots", 1]]),
        [f"{AMOUNT}.bands[0][0]"],
        "expected a number",
    ),
    "band points not a number": (
        _set("criteria/1/bands", [[10000, "one"]]),
        [f"{AMOUNT}.bands[0][1]"],
        "expected a number",
    ),
    "negative standard value": (
        _set("tiers/0/standard", {"bad_news_days": -1}),
        ["tiers[0] (id=key).standard.bad_news_days"],
        "must not be negative",
    ),
    "standard value not a number": (
        _set("tiers/0/standard", {"response_sla_hours": "fast"}),
        ["tiers[0] (id=key).standard.response_sla_hours"],
        "expected a number",
    ),
    "negative complaint SLA": (
        _set("tiers/0/standard", {"complaint_sla_hours": {"resolved": -5}}),
        ["tiers[0] (id=key).standard.complaint_sla_hours.resolved"],
        "must not be negative",
    ),
    "unknown complaint step": (
        _set("tiers/0/standard", {"complaint_sla_hours": {"closed": 5}}),
        ["tiers[0] (id=key).standard.complaint_sla_hours.closed"],
        "unknown key; expected one of accepted, feedback_given, investigating, resolved",
    ),
    "fractional max_promise_slips": (
        _set("tiers/0/standard", {"max_promise_slips": Decimal("1.5")}),
        ["tiers[0] (id=key).standard.max_promise_slips"],
        "expected a whole number",
    ),
    "unknown standard key": (
        _set("tiers/0/standard", {"cadence": 3}),
        ["tiers[0] (id=key).standard.cadence"],
        "unknown key",
    ),
    "unknown key in [standard]": (_set("standard/cadence", 3), ["standard.cadence"], "unknown key"),
    "tier without id": (_delete("tiers/0/id"), ["tiers[0].id"], "expected a string"),
    "tier key not a boolean": (
        _set("tiers/0/key", "yes"),
        ["tiers[0] (id=key).key"],
        "true or false",
    ),
    "duplicate tier id": (_set("tiers/1/id", "key"), ["tiers[1].id"], "duplicate tier id 'key'"),
    "no tiers": (_set("tiers", []), ["tiers"], "a rule set needs at least one tier"),
    "tiers not a list": (
        _set("tiers", {"id": "regular"}),
        ["tiers", "tiers"],  # and so there is no tier at all
        "expected a list of tables",
    ),
    "last tier has a min_score": (
        _set("tiers/1/min_score", 0),
        ["tiers[1] (id=regular)"],
        "the last tier must have no min_score and no when, so every account gets a tier",
    ),
    "last tier has a condition": (
        _set("tiers/1/when", {"field": "fact.brand", "op": "exists"}),
        ["tiers[1] (id=regular)"],
        "the last tier must have no min_score and no when",
    ),
    "bad history period": (
        _set("history/period", "year"),
        ["history.period"],
        "'year' is not one of month, quarter, week",
    ),
    "zero demote_after": (
        _set("history/demote_after", 0),
        ["history.demote_after"],
        "must be greater than zero",
    ),
    "unknown history key": (_set("history/damping", 2), ["history.damping"], "unknown key"),
    "name not text": (_set("name", 7), ["name"], "expected a string"),
}


def _case_document(name: str) -> dict[str, Any]:
    mutate = CASES[name][0]
    doc = document()
    mutate(doc)
    return doc


@pytest.mark.parametrize("name", list(CASES))
def test_mistake_is_located_from_a_dict(name: str) -> None:
    _, locations, words = CASES[name]
    problems = problems_of(_case_document(name))
    assert [p.location for p in problems] == locations
    assert words in problems[0].message


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_mistake_is_located_the_same_way_in_files(tmp_path: Path, name: str, suffix: str) -> None:
    doc = _case_document(name)
    path = tmp_path / f"r{suffix}"
    path.write_text(toml_text(doc) if suffix == ".toml" else json_text(doc), encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        read_rules(path)
    assert caught.value.source == str(path)
    assert caught.value.problems == problems_of(doc)
    assert str(caught.value).startswith(f"{path}: {len(caught.value.problems)} problem")


def test_document_not_a_table() -> None:
    assert only_problem([document()]) == Problem("$", "expected a table of rules")


def test_json_file_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        read_rules(path)
    assert caught.value.problems == (Problem("$", "expected a table of rules"),)


# -------------------------------------------------------------------------------------
# Metrics plugins provide, tier conditions, service standards
# -------------------------------------------------------------------------------------


def test_known_metric_makes_a_plugin_metric_valid() -> None:
    doc = _case_document("unknown metric")
    rules = parse_rules(doc, known_metrics=["nope"])
    assert rules.criteria[0].when == Compare("metric.nope", "==", "high")
    assert [p.location for p in problems_of(doc, known_metrics=["other"])] == [
        f"{BRAND}.when.field"
    ]


def test_known_metric_is_valid_in_a_read_file(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(toml_text(_case_document("unknown metric")), encoding="utf-8")
    assert read_rules(path, known_metrics={"nope"}).criteria[0].when.field == "metric.nope"  # type: ignore[union-attr]


def test_score_is_valid_in_a_tier_condition() -> None:
    doc = document()
    doc["tiers"][0]["when"] = {
        "all": [
            {"field": "score", "op": ">=", "value": 5},
            {"not": {"field": "account.tier", "op": "in", "value": ["churned", "paused"]}},
        ]
    }
    tier = parse_rules(doc).tiers[0]
    assert tier.when == All(
        (Compare("score", ">=", 5), Not(Compare("account.tier", "in", ("churned", "paused"))))
    )


def test_unknown_metric_in_a_tier_condition() -> None:
    doc = document()
    doc["tiers"][0]["when"] = {"any": [{"field": "metric.nope", "op": ">", "value": 1}]}
    assert only_problem(doc).location == "tiers[0] (id=key).when.any[0].field"


def test_tier_without_a_standard_lists_the_missing_fields() -> None:
    doc = document()
    del doc["standard"]
    problems = problems_of(doc)
    assert [p.location for p in problems] == [
        "tiers[0] (id=key).standard",
        "tiers[1] (id=regular).standard",
    ]
    for problem in problems:
        assert problem.message.startswith("no service standard for ")
        for field in ("contact_cadence_days", "max_promise_slips", "churn_alert_score"):
            assert field in problem.message
        assert problem.message.endswith("(set it here or in [standard])")


def test_tier_without_a_standard_also_names_the_complaint_sla() -> None:
    # BUG: the merged standard always has a (possibly empty) complaint_sla_hours
    # table, so a tier with no standard at all is told about every field except
    # complaint_sla_hours, which is reported only after the others are fixed.
    doc = document()
    del doc["standard"]
    for problem in problems_of(doc):
        assert "complaint_sla_hours" in problem.message


def test_missing_standard_fields_are_inherited_from_defaults() -> None:
    doc = document()
    del doc["standard"]["contact_cadence_days"]
    del doc["standard"]["response_sla_hours"]
    doc["tiers"][0]["standard"] = {"contact_cadence_days": 7}
    problems = problems_of(doc)
    assert problems == (
        Problem(
            "tiers[0] (id=key).standard",
            "no service standard for response_sla_hours (set it here or in [standard])",
        ),
        Problem(
            "tiers[1] (id=regular).standard",
            "no service standard for contact_cadence_days, response_sla_hours "
            "(set it here or in [standard])",
        ),
    )


def test_standard_fields_merge_tier_over_defaults() -> None:
    doc = document()
    doc["tiers"][0]["standard"] = {
        "contact_cadence_days": 7,
        "complaint_sla_hours": {"accepted": 1},
    }
    key, regular = parse_rules(doc).tiers
    assert key.standard.contact_cadence_days == 7
    assert regular.standard.contact_cadence_days == 14
    assert key.standard.complaint_sla_hours == {
        "accepted": 1,
        "investigating": 48,
        "resolved": 120,
        "feedback_given": 48,
    }
    assert key.standard.satisfaction_drop == 0.7


def test_complaint_sla_missing_a_step() -> None:
    doc = document()
    del doc["standard"]["complaint_sla_hours"]["feedback_given"]
    doc["tiers"][0]["standard"] = {"complaint_sla_hours": {"feedback_given": 12}}
    assert only_problem(doc) == Problem(
        "tiers[1] (id=regular).standard.complaint_sla_hours",
        "no SLA for complaint step feedback_given",
    )


# -------------------------------------------------------------------------------------
# Tiers that can never be reached
# -------------------------------------------------------------------------------------


def _tiers(*tiers: dict[str, Any]) -> dict[str, Any]:
    return document(tiers=list(tiers))


def test_lower_tier_with_a_higher_minimum_overlaps() -> None:
    problem = only_problem(
        _tiers({"id": "vip", "min_score": 3}, {"id": "key", "min_score": 6}, {"id": "regular"})
    )
    assert problem.location == "tiers[1] (id=key)"
    assert problem.message.startswith(
        "overlaps tiers[0] (id=vip): every account that qualifies for 'key' is taken by 'vip' first"
    )


def test_equal_minimums_overlap() -> None:
    problem = only_problem(
        _tiers({"id": "a", "min_score": 3}, {"id": "b", "min_score": 3}, {"id": "c"})
    )
    assert problem.location == "tiers[1] (id=b)"


def test_catch_all_before_the_last_tier_makes_later_tiers_unreachable() -> None:
    problems = problems_of(
        _tiers(
            {"id": "key", "min_score": 6},
            {"id": "everyone"},
            {"id": "vip", "min_score": 3},
            {"id": "regular"},
        )
    )
    assert [p.location for p in problems] == ["tiers[2] (id=vip)", "tiers[3] (id=regular)"]
    assert all("overlaps tiers[1] (id=everyone)" in p.message for p in problems)


def test_earlier_tier_with_a_condition_does_not_overlap() -> None:
    rules = parse_rules(
        _tiers(
            {
                "id": "strategic",
                "min_score": 3,
                "when": {"field": "fact.list", "op": "==", "value": True},
            },
            {"id": "key", "min_score": 3},
            {"id": "regular"},
        )
    )
    assert [t.id for t in rules.tiers] == ["strategic", "key", "regular"]


def test_decreasing_minimums_are_valid() -> None:
    rules = parse_rules(
        _tiers({"id": "a", "min_score": 9}, {"id": "b", "min_score": 6}, {"id": "c"})
    )
    assert [t.min_score for t in rules.tiers] == [9, 6, None]
    assert rules.rank("a") == 0
    assert rules.tier("c").id == "c"
    with pytest.raises(KeyError):
        rules.rank("z")


# -------------------------------------------------------------------------------------
# Whole documents and files
# -------------------------------------------------------------------------------------


def test_every_problem_is_listed_in_one_raise() -> None:
    doc = document()
    doc["currency"]["rates"]["USD"] = 0
    doc["criteria"][0]["when"]["op"] = "≥"
    doc["history"]["period"] = "year"
    with pytest.raises(RuleSetError) as caught:
        parse_rules(doc, source="acme.toml")
    error = caught.value
    assert [p.location for p in error.problems] == [
        "currency.rates.USD",
        f"{BRAND}.when.op",
        "history.period",
    ]
    text = str(error)
    assert text.startswith("acme.toml: 3 problems\n")
    for problem in error.problems:
        assert f"\n  {problem.location}: {problem.message}" in text


def test_one_problem_is_singular() -> None:
    with pytest.raises(RuleSetError) as caught:
        parse_rules(_case_document("bad history period"), source="acme.toml")
    assert str(caught.value).startswith("acme.toml: 1 problem\n  history.period: ")


def test_rule_set_error_is_a_kamcore_error() -> None:
    with pytest.raises(kamcore.KamcoreError):
        parse_rules({}, source="empty.toml")


def test_empty_document_names_base_and_tiers() -> None:
    problems = problems_of({})
    assert [p.location for p in problems] == ["currency.base", "tiers"]


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "acme"\n[currency\nbase = "EUR"\n', encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        read_rules(path)
    (problem,) = caught.value.problems
    assert problem.location == "$"
    assert problem.message.startswith("not valid TOML: ")
    assert "line 2" in problem.message
    assert str(caught.value).startswith(f"{path}: 1 problem")


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "acme",\n "currency": }', encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        read_rules(path)
    (problem,) = caught.value.problems
    assert problem.location == "$"
    assert problem.message == "not valid JSON: Expecting value at line 2"


def test_toml_syntax_in_a_json_file_is_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(toml_text(document()), encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        read_rules(path)
    assert caught.value.problems[0].message.startswith("not valid JSON")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(b'name = "\xff"\n')
    with pytest.raises(RuleSetError) as caught:
        read_rules(path)
    assert caught.value.problems == (Problem("$", "not UTF-8 text (byte 8)"),)


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(kamcore.SourceError, match=r"nowhere\.toml: cannot read"):
        read_rules(path)


def test_directory_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(kamcore.SourceError, match="cannot read"):
        read_rules(tmp_path)


# -------------------------------------------------------------------------------------
# Values that must be refused, not crash the reader (BUGS: TypeError today)
# -------------------------------------------------------------------------------------


def test_operator_that_is_a_list_is_a_problem_not_a_crash() -> None:
    doc = document()
    doc["criteria"][0]["when"]["op"] = [">="]
    assert only_problem(doc).location == f"{BRAND}.when.op"


def test_history_period_that_is_a_list_is_a_problem_not_a_crash() -> None:
    doc = _case_document("bad history period")
    doc["history"]["period"] = ["month"]
    assert only_problem(doc).location == "history.period"


def test_tier_complaint_sla_that_is_a_number_is_a_problem_not_a_crash() -> None:
    doc = document()
    doc["tiers"][0]["standard"] = {"complaint_sla_hours": 24}
    assert only_problem(doc).location == "tiers[0] (id=key).standard.complaint_sla_hours"


def test_bad_min_score_is_the_only_problem() -> None:
    # BUG: a tier whose min_score cannot be read is still built, with no minimum,
    # so the overlap check then also blames the next tier ("tiers[1] (id=regular):
    # overlaps tiers[0] (id=key)") for a mistake it does not have.
    doc = document()
    doc["tiers"][0]["min_score"] = "high"
    assert only_problem(doc) == Problem(
        "tiers[0] (id=key).min_score", "expected a number, got a string"
    )


def test_default_complaint_sla_that_is_a_number_is_a_problem_not_a_crash() -> None:
    doc = document()
    doc["standard"]["complaint_sla_hours"] = 24
    problems = problems_of(doc)
    assert "standard.complaint_sla_hours" in {p.location for p in problems}


# -------------------------------------------------------------------------------------
# Writing
# -------------------------------------------------------------------------------------


def test_default_rules_survive_toml_round_trip() -> None:
    rules = read_rules(DEFAULT_RULES)
    text = dumps_toml(rules_document(rules))
    again = parse_rules(tomllib.loads(text, parse_float=Decimal), source="again.toml")
    assert again == rules
    assert dumps_toml(rules_document(again)) == text


def test_rules_document_writes_every_standard_in_full() -> None:
    doc = rules_document(parse_rules(document()))
    assert "standard" not in doc
    for tier in doc["tiers"]:
        assert set(tier["standard"]) == set(STANDARD)


def test_rules_document_survives_a_json_round_trip(tmp_path: Path) -> None:
    rules = read_rules(DEFAULT_RULES)
    path = tmp_path / "rules.json"
    path.write_text(dumps_json(rules_document(rules)), encoding="utf-8")
    assert read_rules(path) == rules
    assert json.loads(path.read_text(encoding="utf-8"))["currency"]["rates"]["BGN"] == "1.95583"


def test_dumps_toml_escapes_delete_character() -> None:
    # BUG: strings are written with json.dumps, which leaves U+007F (DELETE)
    # raw; TOML requires it escaped, so the text cannot be read back.
    rules = parse_rules(document())
    doc = rules_document(rules)
    doc["criteria"][0]["label"] = "Brand\x7f"
    text = dumps_toml(doc)
    assert tomllib.loads(text)["criteria"][0]["label"] == "Brand\x7f"


def test_conditions_are_written_inline_and_read_back() -> None:
    doc = document()
    doc["criteria"][0]["when"] = {
        "any": [
            {"field": "fact.segment", "op": "in", "value": ["fintech", 'a "q"', "纷享销客"]},
            {"not": {"field": "fact.x", "op": "exists", "value": True}},
        ]
    }
    rules = parse_rules(doc)
    text = dumps_toml(rules_document(rules))
    assert 'when = { any = [{ field = "fact.segment", op = "in"' in text
    assert parse_rules(tomllib.loads(text, parse_float=Decimal)).criteria[0].when == AnyOf(
        (
            Compare("fact.segment", "in", ("fintech", 'a "q"', "纷享销客")),
            Not(Compare("fact.x", "exists", True)),
        )
    )


def test_parsed_rule_set_is_a_value() -> None:
    one, two = parse_rules(document(), source="a.toml"), parse_rules(document(), source="b.toml")
    assert isinstance(one, RuleSet)
    assert one == two
    assert one.source != two.source
