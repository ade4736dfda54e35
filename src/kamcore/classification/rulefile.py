"""Rule sets as TOML or JSON documents: reading with validation, and writing.

Reading checks everything at once and raises :class:`~kamcore.errors.RuleSetError`
listing every problem, each located by rule: ``criteria[2] (id=brand).when.op:
'≥' is not an operator; use one of …``. Nothing is evaluated: conditions are
data, and the engine compiles them.
"""

from __future__ import annotations

import itertools
import json
import math
import tomllib
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, TypeVar

from kamcore.classification.conditions import (
    OPERATORS,
    All,
    AnyOf,
    Compare,
    Condition,
    Not,
    Scalar,
)
from kamcore.classification.metrics import METRIC_KINDS, CurrencyTable, MetricSpec
from kamcore.classification.ruleset import (
    Band,
    Criterion,
    HistoryPolicy,
    RuleSet,
    ServiceStandard,
    Tier,
)
from kamcore.errors import Problem, RuleSetError
from kamcore.fileformat._fields import (
    BadValue,
    read_bool,
    read_decimal,
    read_int,
    read_number,
    read_text,
)
from kamcore.model import COMPLAINT_STEPS

__all__ = [
    "ACCOUNT_FIELDS",
    "PERIODS",
    "DocumentChecker",
    "dumps_json",
    "dumps_toml",
    "parse_rules",
    "read_document",
    "read_rules",
    "rules_document",
]

T = TypeVar("T")

ACCOUNT_FIELDS: Final = frozenset({"account.tier", "account.owner"})
"""Fields of the account profile a condition may read, besides ``fact.*`` and ``metric.*``."""

PERIODS: Final = frozenset({"week", "month", "quarter"})
"""Period lengths a tier history can use."""

_STANDARD_NUMBERS: Final = (
    "contact_cadence_days",
    "response_sla_hours",
    "promise_slip_tolerance_hours",
    "survey_interval_days",
    "satisfaction_drop",
    "bad_news_days",
    "future_talk_days",
    "goal_review_days",
    "report_interval_days",
    "churn_alert_score",
)
_STANDARD_KEYS: Final = frozenset({*_STANDARD_NUMBERS, "max_promise_slips", "complaint_sla_hours"})
_TOP_KEYS: Final = frozenset(
    {"name", "currency", "metrics", "criteria", "standard", "tiers", "history"}
)


def _labelled(path: str, raw: Any) -> str:
    rule_id = raw.get("id") if isinstance(raw, dict) else None
    return f"{path} (id={rule_id})" if isinstance(rule_id, str) else path


class DocumentChecker:
    """Reads a parsed configuration document while collecting every problem.

    The readers never raise on bad input: they record a :class:`Problem` at the
    value's location and return ``None`` (or an empty table), so one pass reports
    everything. Rule sets and escalation policies both build on it.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, location: str, message: str) -> None:
        """Record a problem at *location*."""
        self.problems.append(Problem(location, message))

    def value(self, location: str, raw: Any, read: Callable[[Any], T]) -> T | None:
        """*raw* read with *read*, or ``None`` with the problem recorded."""
        try:
            return read(raw)
        except BadValue as bad:
            self.problem(location, str(bad))
            return None

    def table(self, location: str, raw: Any, allowed: Collection[str] | None) -> dict[str, Any]:
        """*raw* as a table whose keys are all in *allowed* (any key when ``None``)."""
        if not isinstance(raw, dict):
            self.problem(location, "expected a table")
            return {}
        for key in raw:
            if allowed is not None and key not in allowed:
                self.problem(
                    f"{location}.{key}",
                    f"unknown key; expected one of {', '.join(sorted(allowed))}",
                )
        return raw


class _Parser(DocumentChecker):
    def __init__(self, known_metrics: Collection[str]) -> None:
        super().__init__()
        self.metric_names = set(known_metrics)

    def list_of_tables(self, location: str, raw: Any) -> list[tuple[str, Any]]:
        if not isinstance(raw, list):
            self.problem(location, "expected a list of tables")
            return []
        return [(f"{location}[{index}]", item) for index, item in enumerate(raw)]

    # Conditions -------------------------------------------------------------------

    def field_name(self, location: str, raw: Any, *, allow_score: bool) -> str | None:
        name = self.value(location, raw, read_text)
        if name is None:
            return None
        namespace, _, rest = name.partition(".")
        if name == "score" and allow_score:
            return name
        if name in ACCOUNT_FIELDS or (namespace == "fact" and rest):
            return name
        if namespace == "metric" and rest:
            if rest not in self.metric_names:
                self.problem(
                    location, f"unknown metric {rest!r}; declare it under [metrics.{rest}]"
                )
            return name
        where = "score, " if allow_score else ""
        self.problem(
            location,
            f"unknown field {name!r}; use {where}fact.NAME, metric.NAME, "
            + ", ".join(sorted(ACCOUNT_FIELDS)),
        )
        return None

    def scalar(self, location: str, raw: Any) -> Scalar | None:
        if isinstance(raw, str | bool | int):
            return raw
        if isinstance(raw, Decimal | float):
            return self.value(location, raw, read_number)
        self.problem(location, "expected text, a number or true/false")
        return None

    def condition(self, location: str, raw: Any, *, allow_score: bool = False) -> Condition | None:
        if not isinstance(raw, dict):
            self.problem(location, "expected a table such as { field = …, op = …, value = … }")
            return None
        if any(key in raw for key in ("all", "any", "not")):
            return self.group(location, raw, allow_score=allow_score)
        self.table(location, raw, ("field", "op", "value"))
        if "field" not in raw or "op" not in raw:
            self.problem(location, "a comparison needs field and op (or use all / any / not)")
            return None
        field = self.field_name(f"{location}.field", raw["field"], allow_score=allow_score)
        op = raw["op"]
        if not isinstance(op, str) or op not in OPERATORS:
            known = ", ".join(sorted(OPERATORS))
            self.problem(f"{location}.op", f"{op!r} is not an operator; use one of {known}")
            return None
        value = self.compared_value(f"{location}.value", op, raw)
        if field is None or value is None:
            return None
        return Compare(field, op, value)

    def group(self, location: str, raw: dict[str, Any], *, allow_score: bool) -> Condition | None:
        key = next(iter(raw))
        if len(raw) != 1:
            self.problem(location, "all / any / not must stand alone in their table")
            return None
        if key == "not":
            inner = self.condition(f"{location}.not", raw["not"], allow_score=allow_score)
            return Not(inner) if inner is not None else None
        parts = [
            self.condition(path, item, allow_score=allow_score)
            for path, item in self.list_of_tables(f"{location}.{key}", raw[key])
        ]
        conditions = tuple(p for p in parts if p is not None)
        if len(conditions) != len(parts):
            return None
        return All(conditions) if key == "all" else AnyOf(conditions)

    def compared_value(self, location: str, op: str, raw: Mapping[str, Any]) -> Any:
        if op == "exists":
            return self.value(location, raw.get("value", True), read_bool)
        if "value" not in raw:
            self.problem(location, "missing")
            return None
        if op in ("in", "not in"):
            if not isinstance(raw["value"], list) or not raw["value"]:
                self.problem(location, f"{op!r} needs a non-empty list of values")
                return None
            items = [self.scalar(f"{location}[{i}]", v) for i, v in enumerate(raw["value"])]
            return None if None in items else tuple(items)
        return self.scalar(location, raw["value"])

    # Sections -------------------------------------------------------------------

    def currency(self, raw: Any) -> CurrencyTable | None:
        table = self.table("currency", raw, ("base", "rates"))
        base = self.value("currency.base", table.get("base"), _currency_code)
        rates: dict[str, Decimal] = {}
        for code, rate in self.table("currency.rates", table.get("rates", {}), None).items():
            location = f"currency.rates.{code}"
            if self.value(location, code, _currency_code) is None:
                continue
            amount = self.value(location, rate, read_decimal)
            if amount is not None and amount <= 0:
                self.problem(location, "a rate must be greater than zero")
            elif amount is not None:
                rates[code] = amount
        return CurrencyTable(base, rates) if base else None

    def metrics(self, raw: Any) -> list[MetricSpec]:
        specs = []
        for name, spec in self.table("metrics", raw, None).items():
            location = f"metrics.{name}"
            table = self.table(
                location, spec, ("kind", "window_days", "offset_days", "description")
            )
            kind = table.get("kind")
            if not isinstance(kind, str) or kind not in METRIC_KINDS:
                known = ", ".join(sorted(METRIC_KINDS))
                self.problem(
                    f"{location}.kind", f"unknown metric kind {kind!r}; use one of {known}"
                )
                continue
            needs_window = METRIC_KINDS[kind][1]
            window = self.positive_int(f"{location}.window_days", table.get("window_days"))
            if needs_window and window is None and "window_days" not in table:
                self.problem(f"{location}.window_days", f"a {kind!r} metric needs a window")
            offset = self.positive_int(
                f"{location}.offset_days", table.get("offset_days", 0), zero=True
            )
            description = table.get("description", "")
            if not isinstance(description, str):
                self.problem(f"{location}.description", "expected text")
                description = ""
            specs.append(
                MetricSpec(
                    name=name,
                    kind=kind,
                    window_days=window,
                    offset_days=offset or 0,
                    description=description,
                )
            )
        return specs

    def positive_int(self, location: str, raw: Any, *, zero: bool = False) -> int | None:
        if raw is None:
            return None
        number = self.value(location, raw, read_int)
        if number is not None and (number < 0 or (number == 0 and not zero)):
            self.problem(
                location, "must be greater than zero" if not zero else "must not be negative"
            )
            return None
        return number

    def criterion(self, location: str, raw: Any) -> Criterion | None:
        allowed = ("id", "label", "weight", "when", "field", "bands", "description")
        table = self.table(location, raw, allowed)
        rule_id = self.value(f"{location}.id", table.get("id"), read_text)
        weight = self.value(f"{location}.weight", table.get("weight", 1), read_number)
        texts = self.texts(location, table, ("label", "description"))
        graded, conditional = "field" in table or "bands" in table, "when" in table
        if graded == conditional:
            self.problem(
                location, "give either when = {…} or field with bands, not both or neither"
            )
            return None
        when = field = None
        bands: tuple[Band, ...] = ()
        if conditional:
            when = self.condition(f"{location}.when", table["when"])
        else:
            field = self.field_name(f"{location}.field", table.get("field"), allow_score=False)
            bands = self.bands(f"{location}.bands", table.get("bands"))
        if rule_id is None or weight is None or (when is None and not bands):
            return None
        return Criterion(id=rule_id, weight=weight, when=when, field=field, bands=bands, **texts)

    def bands(self, location: str, raw: Any) -> tuple[Band, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(location, "expected a list of [threshold, points] pairs")
            return ()
        bands = []
        for index, pair in enumerate(raw):
            if not isinstance(pair, list) or len(pair) != 2:  # noqa: PLR2004 - a pair
                self.problem(f"{location}[{index}]", "expected [threshold, points]")
                return ()
            threshold = self.value(f"{location}[{index}][0]", pair[0], read_number)
            points = self.value(f"{location}[{index}][1]", pair[1], read_number)
            if threshold is None or points is None:
                return ()
            bands.append(Band(threshold, points))
        if any(a.threshold >= b.threshold for a, b in itertools.pairwise(bands)):
            self.problem(location, "thresholds must be strictly ascending")
            return ()
        return tuple(bands)

    def texts(
        self, location: str, table: Mapping[str, Any], keys: tuple[str, ...]
    ) -> dict[str, str]:
        texts = {}
        for key in keys:
            if key in table:
                text = self.value(f"{location}.{key}", table[key], read_text)
                if text is not None:
                    texts[key] = text
        return texts

    def standard(
        self, location: str, defaults: Mapping[str, Any], raw: Any
    ) -> ServiceStandard | None:
        own = self.table(location, raw, _STANDARD_KEYS) if raw is not None else {}
        merged = {**defaults, **own}
        missing = sorted(k for k in _STANDARD_KEYS if k not in merged)
        inherited_steps = defaults.get("complaint_sla_hours", {})
        own_steps = own.get("complaint_sla_hours", {})
        if isinstance(inherited_steps, dict) and isinstance(own_steps, dict):
            # Complaint SLAs merge step by step, so a tier can override one step.
            merged["complaint_sla_hours"] = {**inherited_steps, **own_steps}
        if missing:
            self.problem(
                location,
                f"no service standard for {', '.join(missing)} (set it here or in [standard])",
            )
            return None
        numbers = {k: self.non_negative(f"{location}.{k}", merged[k]) for k in _STANDARD_NUMBERS}
        slips = self.positive_int(
            f"{location}.max_promise_slips", merged["max_promise_slips"], zero=True
        )
        steps = self.complaint_steps(
            f"{location}.complaint_sla_hours", merged["complaint_sla_hours"]
        )
        if None in numbers.values() or slips is None or steps is None:
            return None
        return ServiceStandard(max_promise_slips=slips, complaint_sla_hours=steps, **numbers)  # type: ignore[arg-type]

    def non_negative(self, location: str, raw: Any) -> float | None:
        number = self.value(location, raw, read_number)
        if number is not None and number < 0:
            self.problem(location, "must not be negative")
            return None
        return number

    def complaint_steps(self, location: str, raw: Any) -> dict[str, float] | None:
        if not isinstance(raw, dict):
            self.problem(location, "expected a table of hours per complaint step")
            return None
        table = self.table(location, raw, COMPLAINT_STEPS)
        missing = [step for step in COMPLAINT_STEPS if step not in table]
        if missing:
            self.problem(location, f"no SLA for complaint step {', '.join(missing)}")
            return None
        hours = {
            step: self.non_negative(f"{location}.{step}", table[step]) for step in COMPLAINT_STEPS
        }
        return None if None in hours.values() else {k: v for k, v in hours.items() if v is not None}

    def tier(self, location: str, raw: Any, defaults: Mapping[str, Any]) -> Tier | None:
        table = self.table(location, raw, ("id", "label", "key", "min_score", "when", "standard"))
        tier_id = self.value(f"{location}.id", table.get("id"), read_text)
        key = self.value(f"{location}.key", table.get("key", False), read_bool)
        min_score = (
            self.value(f"{location}.min_score", table["min_score"], read_number)
            if "min_score" in table
            else None
        )
        if "min_score" in table and min_score is None:
            return None
        when = (
            self.condition(f"{location}.when", table["when"], allow_score=True)
            if "when" in table
            else None
        )
        standard = self.standard(f"{location}.standard", defaults, table.get("standard"))
        texts = self.texts(location, table, ("label",))
        if tier_id is None or key is None or standard is None or ("when" in table and when is None):
            return None
        return Tier(id=tier_id, key=key, min_score=min_score, when=when, standard=standard, **texts)

    def history(self, raw: Any) -> HistoryPolicy:
        table = self.table("history", raw, ("demote_after", "period"))
        demote = self.positive_int("history.demote_after", table.get("demote_after", 1)) or 1
        period = table.get("period", "month")
        if not isinstance(period, str) or period not in PERIODS:
            self.problem("history.period", f"{period!r} is not one of {', '.join(sorted(PERIODS))}")
            period = "month"
        return HistoryPolicy(demote_after=demote, period=period)


def _currency_code(raw: Any) -> str:
    code = read_text(raw)
    if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):  # noqa: PLR2004 - ISO 4217
        raise BadValue(f"{code!r} is not an ISO 4217 code such as EUR")
    return code


def _unique_ids(parser: _Parser, section: str, items: list[tuple[str, Any]]) -> None:
    seen: set[str] = set()
    for location, raw in items:
        item_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(item_id, str):
            if item_id in seen:
                parser.problem(f"{location}.id", f"duplicate {section} id {item_id!r}")
            seen.add(item_id)


def _check_tiers(parser: _Parser, tiers: list[tuple[str, Tier]]) -> None:
    if not tiers:
        parser.problem("tiers", "a rule set needs at least one tier")
        return
    last_location, last = tiers[-1]
    if last.min_score is not None or last.when is not None:
        parser.problem(
            last_location,
            "the last tier must have no min_score and no when, so every account gets a tier",
        )
    for index, (location, tier) in enumerate(tiers):
        for earlier_location, earlier in tiers[:index]:
            takes_all = earlier.when is None and (
                earlier.min_score is None
                or (tier.min_score is not None and earlier.min_score <= tier.min_score)
            )
            if takes_all:
                parser.problem(
                    location,
                    f"overlaps {earlier_location}: every account that qualifies for "
                    f"{tier.id!r} is taken by {earlier.id!r} first; raise this tier's min_score "
                    "above it or move it up",
                )
                break


def parse_rules(
    document: Any, *, source: str = "<rules>", known_metrics: Collection[str] = ()
) -> RuleSet:
    """Build a :class:`RuleSet` from a parsed TOML or JSON document.

    Args:
        document: the parsed document (with fractional numbers as ``Decimal``).
        source: how to name the document in errors.
        known_metrics: metric names provided by plugins, which conditions may use
            besides the metrics the document declares.

    Raises:
        RuleSetError: listing every problem, each located by rule.
    """
    if not isinstance(document, dict):
        raise RuleSetError(source, [Problem("$", "expected a table of rules")])
    parser = _Parser(known_metrics)
    parser.table("$", document, _TOP_KEYS)
    name = parser.value("name", document.get("name", Path(source).stem), read_text) or source
    currency = parser.currency(document.get("currency", {}))
    metrics = parser.metrics(document.get("metrics", {}))
    parser.metric_names |= {m.name for m in metrics}
    criteria_items = parser.list_of_tables("criteria", document.get("criteria", []))
    _unique_ids(parser, "criterion", criteria_items)
    criteria = [parser.criterion(_labelled(p, raw), raw) for p, raw in criteria_items]
    defaults = dict(parser.table("standard", document.get("standard", {}), _STANDARD_KEYS))
    if not isinstance(defaults.get("complaint_sla_hours", {}), dict):
        parser.problem(
            "standard.complaint_sla_hours", "expected a table of hours per complaint step"
        )
        del defaults["complaint_sla_hours"]
    tier_items = parser.list_of_tables("tiers", document.get("tiers", []))
    _unique_ids(parser, "tier", tier_items)
    tiers = [
        (_labelled(p, raw), parser.tier(_labelled(p, raw), raw, defaults)) for p, raw in tier_items
    ]
    history = parser.history(document.get("history", {}))
    valid_tiers = [(location, tier) for location, tier in tiers if tier is not None]
    if len(valid_tiers) == len(tiers):
        _check_tiers(parser, valid_tiers)
    if parser.problems or currency is None:
        raise RuleSetError(source, parser.problems or [Problem("currency.base", "missing")])
    return RuleSet(
        name=name,
        currency=currency,
        metrics=tuple(metrics),
        criteria=tuple(c for c in criteria if c is not None),
        tiers=tuple(tier for _, tier in valid_tiers),
        history=history,
        source=source,
    )


def read_document(path: str | Path) -> Any:
    """Parse the TOML (or, for a ``.json`` path, JSON) configuration file at *path*.

    Fractional numbers are read as exact ``Decimal`` values. Shared by every
    configuration kamcore reads (rule sets, escalation policies).

    Raises:
        RuleSetError: the file is not UTF-8 or not valid TOML/JSON (location ``$``).
        kamcore.SourceError: the file cannot be read.
    """
    from kamcore.errors import SourceError

    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise SourceError(f"{source}: cannot read ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise RuleSetError(source, [Problem("$", f"not UTF-8 text (byte {error.start})")]) from None
    try:
        if source.lower().endswith(".json"):
            return json.loads(text, parse_float=Decimal)
        return tomllib.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise RuleSetError(
            source, [Problem("$", f"not valid JSON: {error.msg} at line {error.lineno}")]
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise RuleSetError(source, [Problem("$", f"not valid TOML: {error}")]) from None


def read_rules(path: str | Path, *, known_metrics: Collection[str] = ()) -> RuleSet:
    """Read and validate the rule set in the TOML (or ``.json``) file at *path*.

    Raises:
        RuleSetError: the file is not valid TOML/JSON, or its rules are invalid.
        kamcore.SourceError: the file cannot be read.
    """
    return parse_rules(read_document(path), source=str(path), known_metrics=known_metrics)


# Writing ------------------------------------------------------------------------------


def _condition_document(condition: Condition) -> dict[str, Any]:
    if isinstance(condition, Compare):
        value = list(condition.value) if isinstance(condition.value, tuple) else condition.value
        return {"field": condition.field, "op": condition.op, "value": value}
    if isinstance(condition, Not):
        return {"not": _condition_document(condition.condition)}
    key = "all" if isinstance(condition, All) else "any"
    return {key: [_condition_document(c) for c in condition.conditions]}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() and math.isfinite(value) else value


def rules_document(rules: RuleSet) -> dict[str, Any]:
    """The canonical document of *rules*, ready for :func:`dumps_toml` or :func:`dumps_json`.

    Every tier's standard is written out in full, so the document does not
    depend on a ``[standard]`` table of defaults.
    """
    document: dict[str, Any] = {
        "name": rules.name,
        "currency": {"base": rules.currency.base, "rates": dict(rules.currency.rates)},
        "history": {"demote_after": rules.history.demote_after, "period": rules.history.period},
    }
    document["metrics"] = {
        spec.name: {
            "kind": spec.kind,
            **({"window_days": spec.window_days} if spec.window_days is not None else {}),
            **({"offset_days": spec.offset_days} if spec.offset_days else {}),
            **({"description": spec.description} if spec.description else {}),
        }
        for spec in rules.metrics
    }
    document["criteria"] = [_criterion_document(c) for c in rules.criteria]
    document["tiers"] = [_tier_document(t) for t in rules.tiers]
    return document


def _criterion_document(criterion: Criterion) -> dict[str, Any]:
    item: dict[str, Any] = {"id": criterion.id}
    if criterion.label:
        item["label"] = criterion.label
    item["weight"] = _number(criterion.weight)
    if criterion.when is not None:
        item["when"] = _condition_document(criterion.when)
    else:
        item["field"] = criterion.field
        item["bands"] = [[_number(b.threshold), _number(b.points)] for b in criterion.bands]
    if criterion.description:
        item["description"] = criterion.description
    return item


def _tier_document(tier: Tier) -> dict[str, Any]:
    item: dict[str, Any] = {"id": tier.id}
    if tier.label:
        item["label"] = tier.label
    item["key"] = tier.key
    if tier.min_score is not None:
        item["min_score"] = _number(tier.min_score)
    if tier.when is not None:
        item["when"] = _condition_document(tier.when)
    standard = tier.standard
    item["standard"] = {
        **{name: _number(getattr(standard, name)) for name in _STANDARD_NUMBERS},
        "max_promise_slips": standard.max_promise_slips,
        "complaint_sla_hours": {k: _number(v) for k, v in standard.complaint_sla_hours.items()},
    }
    return item


def _toml_value(value: Any) -> str:
    for kind, write in _TOML_WRITERS:
        if isinstance(value, kind):
            return write(value)
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


_TOML_WRITERS: Final[tuple[tuple[type, Callable[[Any], str]], ...]] = (
    (bool, lambda value: "true" if value else "false"),
    (int, str),
    (Decimal, lambda value: format(value, "f")),
    (float, repr),
    # TOML's basic strings take JSON's escapes, but DEL must be escaped too.
    (str, lambda value: json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")),
    (list, lambda value: "[" + ", ".join(_toml_value(v) for v in value) + "]"),
    (
        dict,
        lambda value: (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        ),
    ),
)


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else _toml_value(key)


_INLINE_TABLES: Final = frozenset({"when"})


def _toml_table(
    header: str, table: Mapping[str, Any], lines: list[str], *, array: bool = False
) -> None:
    def nested(key: str, value: Any) -> bool:
        return isinstance(value, dict) and key not in _INLINE_TABLES

    lines.append(f"[[{header}]]" if array else f"[{header}]")
    lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if not nested(k, v))
    lines.append("")
    for key, value in table.items():
        if nested(key, value):
            _toml_table(f"{header}.{_toml_key(key)}", value, lines)


def dumps_toml(document: Mapping[str, Any]) -> str:
    """Write a rules document (from :func:`rules_document`) as TOML text."""
    lines: list[str] = []
    for key, value in document.items():
        if not isinstance(value, dict | list):
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    lines.append("")
    for key, value in document.items():
        if isinstance(value, dict):
            _toml_table(_toml_key(key), value, lines)
        elif isinstance(value, list):
            for item in value:
                inline = {k: v for k, v in item.items() if k != "standard"}
                _toml_table(_toml_key(key), inline, lines, array=True)
                if "standard" in item:
                    _toml_table(f"{_toml_key(key)}.standard", item["standard"], lines)
    return "\n".join(lines).rstrip() + "\n"


def dumps_json(document: Mapping[str, Any]) -> str:
    """Write a rules document (from :func:`rules_document`) as JSON text.

    Rates are written as decimal strings, which keeps them exact.
    """
    return json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n"
