"""Benchmark kamcore at portfolio scale: load, full review and its cost curve, incremental review.

Usage::

    python -m benchmarks.scale [--sizes 1000,10000,100000] [--events 20] [--repeat R]
                               [--only load,review,stream,incremental] [--data DIR]
                               [--profile SIZE]

For each size it writes (once, then reuses) a synthetic portfolio file with
``kamcore generate``'s generator and measures, each in a fresh Python process so
that the peak RSS belongs to that step alone:

- **load**: the file to the model with :func:`~kamcore.fileformat.decode_portfolio_stream`
  and with ``json.load`` + :func:`~kamcore.fileformat.decode_portfolio`, against a
  plain ``json.load`` of the same file (the baseline) and the streaming reader's
  parse alone (every account parsed, none decoded): seconds, events/s, peak RSS;
- **review**: a full ``review()`` of the loaded portfolio: seconds, µs per account,
  peak RSS of the process (load included), and the per-account time against the
  smallest size's (the cost curve: 1.0 is flat);
- **stream**: :func:`~kamcore.review.review_stream` of the file, each account
  reviewed as it is decoded: seconds and peak RSS (the memory target), against
  load + review;
- **incremental**: 1% of the accounts change; ``review(..., accounts=changed)``
  plus :meth:`~kamcore.review.Agenda.replace_accounts`, against a full review of
  the changed portfolio (checked equal to it); and the first read of the merged
  agenda's ordered findings, which the merge leaves until then.

Times are medians of R runs inside the process, wall clock and CPU time
(``time.process_time``): the targets are for one core, and on a machine whose
cores other jobs share the CPU time is what one core would take;
benchmarks/README.md says how to read them. ``--profile SIZE`` prints a cProfile of one full review instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from kamcore.classification import load_classifier
from kamcore.fileformat import decode_portfolio, decode_portfolio_stream
from kamcore.fileformat._jsonstream import read_object
from kamcore.model import Portfolio
from kamcore.review import Agenda, installed_principles, review, review_stream
from kamcore.synthetic import SyntheticSpec, synthetic_client_file, write_synthetic_portfolio

T = TypeVar("T")

DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_DATA = Path("build/bench")
SEED = 1
# Part of the cached files' names: a generator that writes other bytes (round 3
# put `accounts` last, for streaming; round 5 gave the staff reporting lines)
# must not reuse the files of an older one.
GENERATOR_LAYOUT = "reporting-lines"
CHANGED_SHARE = 0.01
LARGE = 100_000  # from this size on, --repeat-large runs per figure
# The targets of issue 9, on one core.
TARGET_LOAD_EVENTS_PER_S = 500_000
TARGET_REVIEW_100K_S = 10.0
TARGET_RSS_MIB = 1024
TARGET_INCREMENTAL_1K_S = 0.2


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def timed(function: Callable[[], T], repeat: int) -> tuple[T, list[float], list[float]]:
    """The last result of *function*, and the wall-clock and CPU seconds of each of *repeat* runs."""
    seconds, cpu = [], []
    result: Any = None
    for _ in range(repeat):
        result = None  # let the previous result go before the next run
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        result = function()
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return result, seconds, cpu


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def portfolio_file(data: Path, accounts: int, events: int) -> Path:
    """The synthetic portfolio file for this size, written on first use."""
    path = data / f"portfolio-{accounts}x{events}-seed{SEED}-{GENERATOR_LAYOUT}.json"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        spec = SyntheticSpec(accounts=accounts, events_per_account=events, seed=SEED)
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8", newline="\n") as stream:
            write_synthetic_portfolio(spec, stream)
        partial.replace(path)
        print(
            f"  generated {path} ({path.stat().st_size / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return path


def load_stream(path: Path) -> Portfolio:
    """The portfolio in *path*, read one account at a time."""
    with path.open(encoding="utf-8-sig") as stream:
        return decode_portfolio_stream(stream, source=str(path)).portfolio


# Measurements: each runs in its own process (see `measure`) and returns a dict.


def measure_json(path: Path, repeat: int) -> dict[str, Any]:
    def parse() -> Any:
        with path.open(encoding="utf-8-sig") as stream:
            return json.load(stream, parse_float=Decimal)

    _, seconds, cpu = timed(parse, repeat)
    return {"seconds": seconds, "cpu": cpu, "rss_mib": peak_rss_mib()}


def measure_parse(path: Path, repeat: int) -> dict[str, Any]:
    def parse() -> Any:
        with path.open(encoding="utf-8-sig") as stream:
            return read_object(stream, "accounts", lambda index, account: None)

    _, seconds, cpu = timed(parse, repeat)
    return {"seconds": seconds, "cpu": cpu, "rss_mib": peak_rss_mib()}


def measure_whole(path: Path, repeat: int) -> dict[str, Any]:
    def load() -> Portfolio:
        with path.open(encoding="utf-8-sig") as stream:
            document = json.load(stream, parse_float=Decimal)
        return decode_portfolio(document, source=str(path)).portfolio

    _, seconds, cpu = timed(load, repeat)
    return {"seconds": seconds, "cpu": cpu, "rss_mib": peak_rss_mib()}


def measure_stream(path: Path, repeat: int) -> dict[str, Any]:
    portfolio, seconds, cpu = timed(lambda: load_stream(path), repeat)
    events = sum(len(client.timeline) for client in portfolio)
    return {"seconds": seconds, "cpu": cpu, "rss_mib": peak_rss_mib(), "events": events}


def _review_inputs() -> dict[str, Any]:
    return {"classifier": load_classifier(), "principles": installed_principles()}


def measure_review(path: Path, repeat: int) -> dict[str, Any]:
    portfolio = load_stream(path)
    loaded_rss = peak_rss_mib()
    as_of = portfolio.exported_at
    assert as_of is not None
    inputs = _review_inputs()
    agenda, seconds, cpu = timed(lambda: review(portfolio, as_of, **inputs), repeat)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "accounts": len(portfolio),
        "findings": len(agenda.findings),
        "loaded_rss_mib": loaded_rss,
        "rss_mib": peak_rss_mib(),
    }


def measure_review_stream(path: Path, repeat: int) -> dict[str, Any]:
    inputs = _review_inputs()

    def run() -> Agenda:
        with path.open(encoding="utf-8-sig") as stream:
            return review_stream(stream, source=str(path), **inputs)

    agenda, seconds, cpu = timed(run, repeat)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "findings": len(agenda.findings),
        "rss_mib": peak_rss_mib(),
    }


def measure_incremental(path: Path, repeat: int, accounts: int, events: int) -> dict[str, Any]:
    portfolio = load_stream(path)
    as_of = portfolio.exported_at
    assert as_of is not None
    inputs = _review_inputs()
    spec = SyntheticSpec(accounts=accounts, events_per_account=events, seed=SEED)
    step = round(1 / CHANGED_SHARE)
    changed_files = {
        client.id: client
        for client in (
            synthetic_client_file(spec, index, variant=1) for index in range(0, accounts, step)
        )
    }
    changed = Portfolio(
        files=[changed_files.get(client.id, client) for client in portfolio],
        staff=portfolio.staff,
        reports=portfolio.reports,
        exported_at=as_of,
    )
    previous = review(portfolio, as_of, **inputs)
    del portfolio  # the changed portfolio shares every unchanged client file with it

    def partial() -> Agenda:
        return review(changed, as_of, accounts=changed_files, **inputs)

    reviewed, review_seconds, review_cpu = timed(partial, repeat)
    merged, merge_seconds, merge_cpu = timed(
        lambda: previous.replace_accounts(reviewed, changed_files), repeat
    )
    # The merge leaves the agenda's ordered tuples until they are first read: timed apart.
    read_cpu = []
    for _ in range(repeat):
        unread = previous.replace_accounts(reviewed, changed_files)
        started = time.process_time()
        unread.findings  # noqa: B018 - reading them builds them
        read_cpu.append(time.process_time() - started)
    full, full_seconds, full_cpu = timed(
        lambda: review(changed, as_of, **inputs), max(1, repeat // 2)
    )
    return {
        "changed": len(changed_files),
        "review_seconds": review_seconds,
        "review_cpu": review_cpu,
        "merge_seconds": merge_seconds,
        "merge_cpu": merge_cpu,
        "read_cpu": read_cpu,
        "full_seconds": full_seconds,
        "full_cpu": full_cpu,
        "equal": merged == full,
        "rss_mib": peak_rss_mib(),
    }


def measure(kind: str, path: Path, repeat: int, *extra: str) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its figures."""
    command = [sys.executable, "-m", "benchmarks.scale", "--measure", kind, str(path)]
    command += ["--repeat", str(repeat), *extra]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# Reporting.


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    return f"{min(values):.3f}-{max(values):.3f}"


def report_load(path: Path, repeat: int, events: int) -> None:
    baseline = measure("json", path, repeat)
    rows = [
        ("json.load (baseline)", baseline),
        ("stream parse only", measure("parse", path, repeat)),
        ("json.load + decode", measure("whole", path, repeat)),
        ("stream (parse + decode)", stream := measure("stream", path, repeat)),
    ]
    print(
        f"  {'load':26} {'median s':>9} {'min-max':>15} {'CPU s':>8} {'events/s':>11} "
        f"{'CPU ev/s':>11} {'vs json':>8} {'RSS MiB':>8}"
    )
    for name, figures in rows:
        seconds, cpu = median(figures["seconds"]), median(figures["cpu"])
        ratio = cpu / median(baseline["cpu"])
        print(
            f"  {name:26} {seconds:9.3f} {spread(figures['seconds']):>15} {cpu:8.3f} "
            f"{events / seconds:11,.0f} {events / cpu:11,.0f} {ratio:7.2f}x "
            f"{figures['rss_mib']:8.0f}"
        )
    rate, cpu_rate = events / median(stream["seconds"]), events / median(stream["cpu"])
    print(
        f"  target >= {TARGET_LOAD_EVENTS_PER_S:,} events/s: "
        f"{verdict(cpu_rate >= TARGET_LOAD_EVENTS_PER_S)} on CPU time ({cpu_rate:,.0f}), "
        f"{verdict(rate >= TARGET_LOAD_EVENTS_PER_S)} on the wall clock ({rate:,.0f})"
    )


def report_review(paths: dict[int, Path], repeats: dict[int, int]) -> None:
    results = {size: measure("review", path, repeats[size]) for size, path in paths.items()}
    smallest = min(results)
    per_account_base = median(results[smallest]["cpu"]) / smallest
    print(
        f"  {'review':14} {'median s':>9} {'min-max':>17} {'CPU s':>8} {'CPU us/acct':>12} "
        f"{'vs ' + str(smallest):>9} {'findings':>9} {'RSS load':>9} {'RSS peak':>9}"
    )
    for size, figures in results.items():
        seconds, cpu = median(figures["seconds"]), median(figures["cpu"])
        per_account = cpu / size
        print(
            f"  {size:>14,} {seconds:9.3f} {spread(figures['seconds']):>17} {cpu:8.3f} "
            f"{per_account * 1e6:12.1f} {per_account / per_account_base:8.2f}x "
            f"{figures['findings']:9,} {figures['loaded_rss_mib']:9.0f} {figures['rss_mib']:9.0f}"
        )
    if LARGE in results:
        seconds, cpu = median(results[LARGE]["seconds"]), median(results[LARGE]["cpu"])
        print(
            f"  target {LARGE:,} accounts <= {TARGET_REVIEW_100K_S:g} s: "
            f"{verdict(cpu <= TARGET_REVIEW_100K_S)} on CPU time ({cpu:.1f} s), "
            f"{verdict(seconds <= TARGET_REVIEW_100K_S)} on the wall clock ({seconds:.1f} s)"
        )


def report_stream(paths: dict[int, Path], repeats: dict[int, int]) -> None:
    print(f"  {'review_stream':14} {'median s':>9} {'min-max':>17} {'CPU s':>8} {'RSS peak':>9}")
    for size, path in paths.items():
        figures = measure("review-stream", path, repeats[size])
        print(
            f"  {size:>14,} {median(figures['seconds']):9.3f} {spread(figures['seconds']):>17} "
            f"{median(figures['cpu']):8.3f} {figures['rss_mib']:9.0f}"
        )
        if size == LARGE:
            rss = figures["rss_mib"]
            print(
                f"  target peak RSS of a {LARGE:,}-account review <= {TARGET_RSS_MIB} MiB: "
                f"{verdict(rss <= TARGET_RSS_MIB)} ({rss:.0f} MiB)"
            )


def report_incremental(path: Path, size: int, events: int, repeat: int) -> bool:
    figures = measure("incremental", path, repeat, "--size", str(size), "--events", str(events))
    partial, merge = median(figures["review_cpu"]), median(figures["merge_cpu"])
    read, full = median(figures["read_cpu"]), median(figures["full_cpu"])
    print(
        f"  incremental at {size:,} accounts, {figures['changed']:,} changed (CPU): "
        f"review {partial:.3f} s + merge {merge:.3f} s = {partial + merge:.3f} s "
        f"(wall {median(figures['review_seconds']) + median(figures['merge_seconds']):.3f} s); "
        f"first read of the merged findings {read:.3f} s; full review {full:.3f} s "
        f"({full / (partial + merge):.0f}x); equal to the full review: {figures['equal']}; "
        f"RSS {figures['rss_mib']:.0f} MiB"
    )
    # The target is for 1,000 changed accounts: scale to it.
    per_thousand = (partial + merge) * 1000 / figures["changed"]
    with_read = (partial + merge + read) * 1000 / figures["changed"]
    print(
        f"  target 1,000 changed <= {TARGET_INCREMENTAL_1K_S:g} s: "
        f"{verdict(per_thousand <= TARGET_INCREMENTAL_1K_S)} on CPU time "
        f"({per_thousand:.3f} s per 1,000; {with_read:.3f} s with the first read)"
    )
    return bool(figures["equal"])


def profile(path: Path) -> None:
    portfolio = load_stream(path)
    as_of = portfolio.exported_at
    assert as_of is not None
    inputs = _review_inputs()
    profiler = cProfile.Profile()
    profiler.runcall(review, portfolio, as_of, **inputs)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--events", type=int, default=20, help="events per account")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure below 100k")
    parser.add_argument("--repeat-large", type=int, default=2, help="runs per figure at 100k+")
    parser.add_argument("--only", default="load,review,stream,incremental")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--profile", type=int, metavar="SIZE")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        kind, file = args.measure
        path = Path(file)
        if kind == "incremental":
            figures = measure_incremental(path, args.repeat, args.size, args.events)
        else:
            measurements = {
                "json": measure_json,
                "whole": measure_whole,
                "stream": measure_stream,
                "parse": measure_parse,
                "review": measure_review,
                "review-stream": measure_review_stream,
            }
            figures = measurements[kind](path, args.repeat)
        print(json.dumps(figures))
        return 0
    sizes = sorted(int(size) for size in args.sizes.split(","))
    if args.profile:
        profile(portfolio_file(args.data, args.profile, args.events))
        return 0
    only = set(args.only.split(","))
    print(
        f"kamcore scale benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; {args.events} events per account"
    )
    paths = {size: portfolio_file(args.data, size, args.events) for size in sizes}
    repeats = {size: args.repeat if size < LARGE else args.repeat_large for size in sizes}
    ok = True
    if "load" in only:
        for size, path in paths.items():
            print(f"load, {size:,} accounts, {size * args.events:,} events:")
            report_load(path, repeats[size], size * args.events)
    if "review" in only:
        print("full review (peak RSS includes loading the portfolio):")
        report_review(paths, repeats)
    if "stream" in only:
        print("streaming review (review_stream: each account reviewed as it is decoded):")
        report_stream(paths, repeats)
    if "incremental" in only:
        size = max(sizes)
        ok = report_incremental(paths[size], size, args.events, repeats[size]) and ok
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
