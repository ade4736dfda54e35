"""Benchmark kamcore's classifier against the same rules written for rule-engine.

Usage::

    python -m benchmarks.classify [--accounts N] [--repeat R] [--seed S] [--profile] [--show-rules]

It generates N synthetic accounts (seeded, so every run sees the same data),
classifies them with kamcore's default rule set, expresses the same criteria
as ``rule_engine.Rule`` objects, checks that both give every account the same
tier and prints a table of throughputs. ``--profile`` prints cProfile output
for kamcore's ``classify`` instead. benchmarks/README.md says how to read it.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import json
import math
import os
import platform
import pstats
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from importlib import metadata
from typing import Any, Generic, TypeVar

try:
    import rule_engine
except ImportError:  # pragma: no cover - depends on the environment
    raise SystemExit(
        "benchmarks.classify needs rule-engine: pip install rule-engine==5.1.0 "
        "(or run it with: python3 -m nox -s bench)"
    ) from None

from kamcore.classification import (
    All,
    AnyOf,
    Classification,
    Classifier,
    Compare,
    Condition,
    Not,
    RuleSet,
    load_classifier,
)
from kamcore.model import Account, ClientFile, FactValue, Transaction

T = TypeVar("T")

AS_OF = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
"""The moment every account is classified at; fixed, so runs are comparable."""

HISTORY = timedelta(days=730)
"""Transactions fall in the two years before :data:`AS_OF`."""

EXPLAINED_SAMPLE = 1_000
"""How many accounts' explanations (``contributions``) are timed."""

# Synthetic data. Rates are rough shapes of a B2B portfolio, not statistics.
BRAND_KNOWN_RATE = 0.95  # accounts whose brand recognition is known
BRAND_RECOGNITION = ("high", "medium", "low")
BRAND_WEIGHTS = (15, 35, 50)
POTENTIAL_KNOWN_RATE = 0.90  # accounts with an estimated annual potential
LARGE_POTENTIAL = 1_000_000
BOOL_FACT_RATES = (
    ("new_segment", 0.08),
    ("new_territory", 0.06),
    ("media_active", 0.15),
    ("uses_competitor", 0.35),
)
STRATEGIC_RATE = 0.02  # of all accounts; much higher for very large potential
STRATEGIC_RATE_LARGE = 0.30  # of accounts with LARGE_POTENTIAL or more
COMPETITOR_UNSATISFIED_RATE = 0.40  # of the accounts using a competitor's product
FACT_MISSING_RATE = 0.03  # any boolean fact may be unknown
CLIENT_SINCE_KNOWN_RATE = 0.85  # accounts with a known start of the relationship
DORMANT_RATE = 0.08  # accounts with no transaction at all
REFUND_RATE = 0.02  # transactions that are refunds or credit notes (negative)
CURRENCIES = ("EUR", "BGN", "USD")
CURRENCY_WEIGHTS = (60, 25, 15)  # of each as an account's main currency
MAIN_CURRENCY_RATE = 0.9  # transactions in the account's main currency
UNITS_PER_EUR = {"EUR": 1.0, "BGN": 1.95583, "USD": 1.08}
PRODUCTS = ("licence", "support", "training", "consulting", "hardware", "spare parts")
OWNERS = tuple(f"am-{n:02d}" for n in range(1, 41))
TRANSACTION_IDS = tuple(f"T{n:02d}" for n in range(1, 25))  # unique within an account
MAX_TRANSACTIONS = len(TRANSACTION_IDS)


# ---------------------------------------------------------------------------
# Synthetic accounts
# ---------------------------------------------------------------------------


def _facts(rng: random.Random) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {}
    if rng.random() < BRAND_KNOWN_RATE:
        facts["brand_recognition"] = rng.choices(BRAND_RECOGNITION, BRAND_WEIGHTS)[0]
    potential = None
    if rng.random() < POTENTIAL_KNOWN_RATE:
        potential = int(rng.lognormvariate(math.log(120_000), 1.1))
        facts["annual_potential"] = potential
    for name, rate in BOOL_FACT_RATES:
        if rng.random() >= FACT_MISSING_RATE:
            facts[name] = rng.random() < rate
    if facts.get("uses_competitor"):
        facts["competitor_unsatisfied"] = rng.random() < COMPETITOR_UNSATISFIED_RATE
    if rng.random() >= FACT_MISSING_RATE:
        large = potential is not None and potential >= LARGE_POTENTIAL
        facts["strategic_list"] = rng.random() < (STRATEGIC_RATE_LARGE if large else STRATEGIC_RATE)
    return facts


def _transactions(rng: random.Random, client_since: date | None) -> list[Transaction]:
    if rng.random() < DORMANT_RATE:
        return []
    start = AS_OF - HISTORY
    if client_since is not None:
        start = max(start, datetime(*client_since.timetuple()[:3], tzinfo=UTC))
    span = max(int((AS_OF - start).total_seconds()), 1)
    main = rng.choices(CURRENCIES, CURRENCY_WEIGHTS)[0]
    order_eur = rng.lognormvariate(math.log(2_500), 1.0)
    made = []
    for transaction_id in TRANSACTION_IDS[: rng.randint(1, MAX_TRANSACTIONS)]:
        currency = main if rng.random() < MAIN_CURRENCY_RATE else rng.choice(CURRENCIES)
        amount = order_eur * rng.lognormvariate(0, 0.4) * UNITS_PER_EUR[currency]
        if rng.random() < REFUND_RATE:
            amount = -amount
        made.append(
            Transaction(
                id=transaction_id,
                at=AS_OF - timedelta(seconds=rng.randrange(span)),
                product=rng.choice(PRODUCTS),
                amount=Decimal(round(amount * 100)).scaleb(-2),
                currency=currency,
            )
        )
    return made


def make_accounts(count: int, seed: int) -> list[ClientFile]:
    """*count* synthetic client files; the same *seed* gives the same files."""
    rng = random.Random(seed)
    clients = []
    for number in range(1, count + 1):
        client_since = None
        if rng.random() < CLIENT_SINCE_KNOWN_RATE:
            client_since = (AS_OF - timedelta(days=rng.randint(30, 15 * 365))).date()
        account = Account(
            id=f"KA-{number:06d}",
            name=f"Client {number}",
            owner=rng.choice(OWNERS),
            client_since=client_since,
            facts=_facts(rng),
        )
        clients.append(ClientFile(account=account, transactions=_transactions(rng, client_since)))
    return clients


# ---------------------------------------------------------------------------
# The same rules for rule-engine
# ---------------------------------------------------------------------------


def symbol(field: str) -> str:
    """The rule-engine symbol for a kamcore field: ``fact.media_active`` -> ``fact_media_active``."""
    return field.replace(".", "_")


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return repr(value)


def rule_text(condition: Condition) -> str:
    """*condition* as rule-engine text, with kamcore's meaning.

    In kamcore an absent value (``None``) makes every comparison false. In
    rule-engine ``null == x`` and ``null in [...]`` are false as well, but
    ``null != x`` is true and ``null < x`` is an error, so those get a
    ``!= null`` guard. A value of another type than the literal (text where a
    number is expected) is false in kamcore and an error in rule-engine; the
    synthetic accounts have none.
    """
    if isinstance(condition, Compare):
        name = symbol(condition.field)
        if condition.op == "exists":
            return f"{name} != null" if condition.value else f"{name} == null"
        test = f"{name} {condition.op} {_literal(condition.value)}"
        return test if condition.op in {"==", "in"} else f"{name} != null and {test}"
    if isinstance(condition, All):
        return " and ".join(f"({rule_text(c)})" for c in condition.conditions) or "true"
    if isinstance(condition, AnyOf):
        return " or ".join(f"({rule_text(c)})" for c in condition.conditions) or "false"
    if isinstance(condition, Not):
        return f"not ({rule_text(condition.condition)})"
    raise TypeError(f"not a condition: {condition!r}")


def _condition_points(matches: Callable[[Any], bool], values: dict[str, Any]) -> float:
    return 1.0 if matches(values) else 0.0


class RuleEngineClassifier:
    """kamcore's rule set as rule-engine rules, with the score and tier decided in Python.

    One ``Rule`` per condition criterion; a graded criterion is a
    ``rule_engine.Chain`` of one rule per band, highest first, whose value is
    the band's points; a tier is its ``min_score`` (compared in Python) and a
    rule for its ``when``. Every rule reads a flat dict keyed by :func:`symbol`.
    """

    def __init__(self, rules: RuleSet) -> None:
        context = rule_engine.Context()
        self.texts: list[tuple[str, str]] = []
        criteria: list[tuple[float, Callable[[dict[str, Any]], float]]] = []
        for criterion in rules.criteria:
            if criterion.when is not None:
                rule = rule_engine.Rule(rule_text(criterion.when), context=context)
                self.texts.append((criterion.id, rule.text))
                criteria.append((criterion.weight, partial(_condition_points, rule.matches)))
                continue
            name = symbol(criterion.field or "")
            chain = rule_engine.Chain(
                [
                    (f"{name} != null and {name} >= {band.threshold!r}", band.points)
                    for band in reversed(criterion.bands)
                ],
                default_value=0.0,
                context=context,
            )
            for entry in chain:
                self.texts.append((f"{criterion.id} -> {entry.value:g}", entry.rule.text))
            criteria.append((criterion.weight, chain.evaluate))
        self.criteria = tuple(criteria)
        tiers = []
        for tier in rules.tiers:
            rule = None
            if tier.when is not None:
                rule = rule_engine.Rule(rule_text(tier.when), context=context)
                self.texts.append((f"tier {tier.id}", rule.text))
            tiers.append((tier.id, tier.min_score, rule.matches if rule else None))
        self.tiers = tuple(tiers)

    def classify(self, values: dict[str, Any]) -> tuple[str, float]:
        """The tier and score of an account with *values* (keyed by :func:`symbol`)."""
        # Summed in the same order and with the same float weights as kamcore,
        # so the scores are equal to the last bit, not just close.
        total = sum(weight * score(values) for weight, score in self.criteria)
        for tier_id, minimum, matches in self.tiers:
            if minimum is not None and total < minimum:
                continue
            if matches is None or matches(values):
                return tier_id, total
        raise AssertionError("the last tier has no entry conditions")


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


class _CollectorClock:
    """Wall time spent in the garbage collector, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._started


_COLLECTOR = _CollectorClock()
"""Installed in ``gc.callbacks`` while :func:`measure` runs."""


@dataclass
class Timing(Generic[T]):
    """The wall times of the runs of one measurement and the last run's result.

    ``collector`` holds the part of each time spent in the garbage collector.
    """

    times: list[float]
    collector: list[float]
    result: T

    @property
    def median(self) -> float:
        """The median time, in seconds."""
        return statistics.median(self.times)

    def without_result(self) -> Timing[None]:
        """The times alone, so the result can be freed."""
        return Timing(self.times, self.collector, None)


def timed(run: Callable[[], T], repeat: int) -> Timing[T]:
    """Call *run* *repeat* times, timing each call with ``time.perf_counter``.

    The previous result is dropped and garbage collected before each call, so
    freeing it is not counted; the collector stays on during the call, as in
    an application, and the time it takes is recorded apart as well.
    """
    times = []
    collector = []
    result: T | None = None
    for _ in range(repeat):
        result = None
        gc.collect()
        collected_before = _COLLECTOR.total
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        collector.append(_COLLECTOR.total - collected_before)
    assert result is not None
    return Timing(times, collector, result)


def _evaluation_only(
    classifier: Classifier, dicts: Sequence[dict[str, Any]]
) -> Callable[[Sequence[ClientFile]], list[Classification]]:
    """``classify`` over accounts whose values were extracted beforehand.

    A copy of *classifier* gets a ``values`` that hands over the precomputed
    dicts in order, so the real ``classify`` code runs and every change to it
    shows here; only the extraction is left out.
    """
    evaluator = copy.copy(classifier)

    def run(clients: Sequence[ClientFile]) -> list[Classification]:
        remaining = iter(dicts)
        following = remaining.__next__
        evaluator.values = lambda client, as_of: following()  # type: ignore[method-assign]
        classify = evaluator.classify
        results = [classify(client, AS_OF) for client in clients]
        if next(remaining, None) is not None:
            raise SystemExit(
                "Classifier.classify() no longer calls Classifier.values() once per account; "
                "update _evaluation_only in benchmarks/classify.py"
            )
        return results

    return run


def _feed_only(dicts: Sequence[dict[str, Any]], clients: Sequence[ClientFile]) -> list[Any]:
    # What handing over the precomputed dicts costs, for comparison.
    following = iter(dicts).__next__

    def feed(client: ClientFile, as_of: datetime) -> dict[str, Any]:
        return following()

    return [feed(client, AS_OF) for client in clients]


def count_rule_evaluations(engine: RuleEngineClassifier, dicts: Sequence[dict[str, Any]]) -> int:
    """How many rules rule-engine evaluates to classify *dicts* (an untimed pass)."""
    evaluate = rule_engine.Rule.evaluate
    evaluations = 0

    def counting(rule: rule_engine.Rule, thing: Any) -> Any:
        nonlocal evaluations
        evaluations += 1
        return evaluate(rule, thing)

    rule_engine.Rule.evaluate = counting
    try:
        for values in dicts:
            engine.classify(values)
    finally:
        rule_engine.Rule.evaluate = evaluate
    return evaluations


def peak_rss_mb() -> float | None:
    """Peak resident set size of this process in MiB, where the platform reports it."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _check_explanations(classifier: Classifier, results: Sequence[Classification]) -> int:
    """How many results lack a full explanation adding up to their score (should be 0)."""
    wanted = len(classifier.rules.criteria)
    return sum(
        1
        for result in results
        if len(contributions := result.contributions) != wanted
        or not math.isclose(sum(c.score for c in contributions), result.score, abs_tol=1e-9)
    )


def _disagreements(
    kamcore_results: Sequence[Classification], rule_engine_results: Sequence[tuple[str, float]]
) -> tuple[list[int], list[int]]:
    tiers = []
    scores = []
    for index, (ours, (tier, score)) in enumerate(
        zip(kamcore_results, rule_engine_results, strict=True)
    ):
        if ours.tier != tier:
            tiers.append(index)
        if ours.score != score:
            scores.append(index)
    return tiers, scores


def _row(label: str, timing: Timing[None], count: int, baseline: float | None) -> str:
    seconds = timing.median
    rate = count / seconds
    ratio = f"{rate / baseline:7.2f}x" if baseline else ""
    return (
        f"{label:<44}{seconds:>9.3f}{rate:>13,.0f}{seconds / count * 1e6:>12.2f}"
        f"{statistics.median(timing.collector):>9.3f}  {ratio}"
    )


def _load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):  # not on Windows
        return "?"


def _spread(timing: Timing[None]) -> str:
    return f"{min(timing.times):.3f}-{max(timing.times):.3f} s"


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.classify",
        description="Classification throughput: kamcore against rule-engine on synthetic accounts.",
    )
    parser.add_argument("--accounts", type=int, default=100_000, help="default: %(default)s")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--seed", type=int, default=20260331, help="default: %(default)s")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile kamcore's classify with cProfile instead of timing",
    )
    parser.add_argument(
        "--show-rules", action="store_true", help="print the rule-engine rules used"
    )
    args = parser.parse_args(argv)
    if args.accounts < 1 or args.repeat < 1:
        parser.error("--accounts and --repeat must be at least 1")
    return args


def _print_profile(title: str, run: Callable[[], object], top: int = 15) -> None:
    print(f"\n== {title} (cProfile, sorted by tottime, top {top}) ==")
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    run()
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def profile(classifier: Classifier, clients: Sequence[ClientFile]) -> None:
    """Print cProfile output for classify end to end and for the evaluation alone."""
    classify = classifier.classify
    _print_profile(
        f"kamcore classify() end-to-end, {len(clients):,} accounts",
        lambda: [classify(client, AS_OF) for client in clients],
    )
    dicts = [classifier.values(client, AS_OF) for client in clients]
    evaluate = _evaluation_only(classifier, dicts)
    _print_profile(
        f"kamcore classify() evaluation only (values precomputed), {len(clients):,} accounts",
        lambda: evaluate(clients),
    )


@dataclass
class Figures:
    """What one benchmark run measured; times are medians in seconds."""

    count: int
    repeat: int
    seed: int
    generation: float
    transactions: int
    fields: int
    load_before: str
    extraction: Timing[None]
    evaluation: Timing[None]
    feed: float
    end_to_end: Timing[None]
    engine: Timing[None]
    explaining: float
    explained: int
    unexplained: int
    rule_evaluations: int
    tier_differences: list[int]
    score_differences: list[int]
    evaluation_differences: int
    tiers: Counter[str]
    rss_after_generation: float | None
    peak_rss: float | None
    examples: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether a check failed: a disagreement or a missing explanation."""
        return bool(self.tier_differences or self.unexplained or self.evaluation_differences)


def measure(
    clients: Sequence[ClientFile],
    classifier: Classifier,
    engine: RuleEngineClassifier,
    args: argparse.Namespace,
) -> Figures:
    """Time kamcore and rule-engine over *clients* and check that they agree."""
    gc.callbacks.append(_COLLECTOR)
    try:
        return _measure(clients, classifier, engine, args)
    finally:
        gc.callbacks.remove(_COLLECTOR)


def _measure(
    clients: Sequence[ClientFile],
    classifier: Classifier,
    engine: RuleEngineClassifier,
    args: argparse.Namespace,
) -> Figures:
    count, repeat = len(clients), args.repeat
    load_before = _load_average()

    # 1. kamcore: the values the rules read, alone.
    _progress("kamcore: values() extraction")
    values = classifier.values
    extraction = timed(
        lambda: [values(client, AS_OF) for client in clients], repeat
    ).without_result()

    # Precomputed once, outside every timing: kamcore's values per account, and
    # the same values under rule-engine symbols.
    kamcore_dicts = [classifier.values(client, AS_OF) for client in clients]
    renamed = {name: symbol(name) for name in kamcore_dicts[0]}
    engine_dicts = [{renamed[k]: v for k, v in d.items()} for d in kamcore_dicts]

    # 2. kamcore: evaluation over the precomputed values, through classify itself.
    _progress("kamcore: classify() evaluation only")
    evaluate = _evaluation_only(classifier, kamcore_dicts)
    evaluation = timed(lambda: evaluate(clients), repeat)
    feed = timed(lambda: _feed_only(kamcore_dicts, clients), repeat)

    # 3. kamcore: end to end, extraction included.
    _progress("kamcore: classify() end-to-end")
    classify = classifier.classify
    end_to_end = timed(lambda: [classify(client, AS_OF) for client in clients], repeat)
    results = end_to_end.result

    # 4. rule-engine over the same precomputed values.
    _progress("rule-engine: evaluation")
    engine_classify = engine.classify
    engine_run = timed(lambda: [engine_classify(d) for d in engine_dicts], repeat)

    # 5. Explanations: all present (checked once), the cost timed on a sample.
    _progress("kamcore: explanations")
    chosen = random.Random(args.seed).sample(range(count), k=min(count, EXPLAINED_SAMPLE))
    sample = [results[i] for i in chosen]
    explaining = timed(lambda: [result.contributions for result in sample], repeat)

    _progress("checking")
    tier_differences, score_differences = _disagreements(results, engine_run.result)
    return Figures(
        count=count,
        repeat=repeat,
        seed=args.seed,
        generation=args.generation,
        transactions=sum(len(client.transactions) for client in clients),
        fields=len(kamcore_dicts[0]),
        load_before=load_before,
        extraction=extraction,
        evaluation=evaluation.without_result(),
        feed=feed.median,
        end_to_end=end_to_end.without_result(),
        engine=engine_run.without_result(),
        explaining=explaining.median,
        explained=len(sample),
        unexplained=_check_explanations(classifier, results),
        rule_evaluations=count_rule_evaluations(engine, engine_dicts),
        tier_differences=tier_differences,
        score_differences=score_differences,
        evaluation_differences=sum(
            1
            for ours, again in zip(results, evaluation.result, strict=True)
            if (ours.tier, ours.score) != (again.tier, again.score)
        ),
        tiers=Counter(result.tier for result in results),
        rss_after_generation=args.rss_after_generation,
        peak_rss=peak_rss_mb(),
        examples=[
            f"{results[i].account_id}: kamcore {results[i].tier} (score {results[i].score:g}), "
            f"rule-engine {engine_run.result[i][0]} (score {engine_run.result[i][1]:g}); "
            f"values {engine_dicts[i]}"
            for i in tier_differences[:5]
        ],
    )


def report(figures: Figures, classifier: Classifier) -> None:
    """Print *figures* as a table with the checks under it."""
    count = figures.count
    evaluation, end_to_end, engine = (
        figures.evaluation.median,
        figures.end_to_end.median,
        figures.engine.median,
    )
    baseline = count / engine
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"kamcore classification benchmark: {count:,} accounts, median of {figures.repeat} runs")
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) "
        f"on {platform.system()} {platform.machine()}; CPUs: {os.cpu_count()} "
        f"(usable: {usable}); kamcore {metadata.version('kamcore')}, "
        f"rule-engine {metadata.version('rule-engine')}"
    )
    print(
        f"load average (1 min) before/after the timings: {figures.load_before} / "
        f"{_load_average()} (other work on the machine makes the figures noisy)"
    )
    print(
        f"generated {count:,} accounts with {figures.transactions:,} transactions in "
        f"{figures.generation:.2f} s (seed {figures.seed}; not part of the figures below)"
    )
    print(
        f"rule set {classifier.rules.name!r}: {len(classifier.rules.criteria)} criteria, "
        f"{len(classifier.rules.tiers)} tiers, {figures.fields} values read per account"
    )
    print()
    print(
        f"{'':<44}{'median s':>9}{'accounts/s':>13}{'us/account':>12}{'in GC s':>9}  vs rule-engine"
    )
    print(_row("kamcore values() extraction only", figures.extraction, count, None))
    print(_row("kamcore classify(), evaluation only [1]", figures.evaluation, count, baseline))
    print(_row("kamcore classify(), end-to-end", figures.end_to_end, count, baseline))
    print(
        _row(f"rule-engine {rule_engine.__version__}, evaluation [1]", figures.engine, count, None)
    )
    print(
        f"{'kamcore contributions, per explained account':<44}{'':>22}"
        f"{figures.explaining / figures.explained * 1e6:>12.2f}  "
        f"({figures.explained:,} sampled)"
    )
    print()
    print(
        "[1] over per-account value dicts precomputed once, outside the timing, from "
        "Classifier.values(); rule-engine's dicts hold the same values under symbol names "
        f"(fact.x -> fact_x). Handing the dicts to classify() costs "
        f"{figures.feed / count * 1e6:.2f} us/account of the kamcore figure. 'in GC s': the "
        "part of the median spent in the garbage collector, which stays on."
    )
    print(
        f"rule-engine evaluated {figures.rule_evaluations / count:.1f} rules per account "
        f"({engine / figures.rule_evaluations * 1e6:.2f} us per rule, everything included)"
    )
    print(
        f"ratio kamcore/rule-engine, evaluation: {(count / evaluation) / baseline:.2f}x "
        f"(target >= 10x); end-to-end: {(count / end_to_end) / baseline:.2f}x"
    )
    print(
        f"spread (min-max): extraction {_spread(figures.extraction)}, "
        f"evaluation {_spread(figures.evaluation)}, end-to-end {_spread(figures.end_to_end)}, "
        f"rule-engine {_spread(figures.engine)}"
    )
    shares = (
        f"{t.id} {figures.tiers[t.id]:,} ({figures.tiers[t.id] / count:.1%})"
        for t in classifier.rules.tiers
    )
    print("tiers (kamcore): " + ", ".join(shares))
    print(
        f"explanations: {count - figures.unexplained:,} of {count:,} accounts have "
        "contributions adding up to their score"
    )
    if figures.peak_rss is not None and figures.rss_after_generation is not None:
        print(
            f"peak RSS: {figures.peak_rss:,.0f} MiB "
            f"({figures.rss_after_generation:,.0f} MiB after generation)"
        )
    print(
        f"disagreements kamcore vs rule-engine: tier {len(figures.tier_differences)}, "
        f"score {len(figures.score_differences)}; kamcore evaluation-only vs end-to-end: "
        f"{figures.evaluation_differences}"
    )
    for example in figures.examples:
        print(f"  {example}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 1 if a check fails (a disagreement, a missing explanation)."""
    args = _arguments(argv)
    _progress(f"generating {args.accounts:,} accounts (seed {args.seed})")
    start = time.perf_counter()
    clients = make_accounts(args.accounts, args.seed)
    args.generation = time.perf_counter() - start
    args.rss_after_generation = peak_rss_mb()

    classifier = load_classifier()
    if args.profile:
        profile(classifier, clients)
        return 0
    engine = RuleEngineClassifier(classifier.rules)
    if args.show_rules:
        print("rule-engine rules (fields as symbols: fact.x -> fact_x, metric.y -> metric_y):")
        for name, text in engine.texts:
            print(f"  {name:<40} {text}")
        print()
    figures = measure(clients, classifier, engine, args)
    report(figures, classifier)
    return 1 if figures.failed else 0


if __name__ == "__main__":
    sys.exit(main())
