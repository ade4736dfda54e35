"""Fingerprints of review results, to prove a speed-up changed nothing a review says.

Usage::

    python -m benchmarks.agenda_hash [--sizes 1000,10000] [--data DIR] [--reference SRC]

Reviews the sample portfolio and the synthetic portfolios of benchmarks/scale.py
(seed 1, 20 events per account) at two moments each: the export, where every
client file is reused as it is, and 30 days before it, where every file is cut
and put in canonical order. For each it prints a SHA-256 of the agenda's JSON
form (findings in agenda order, snoozed, acknowledged, health) and of the load
itself (every account, transaction and event as its attrs ``repr``), so two
source trees can be compared: ``--reference SRC`` runs the same in a fresh
interpreter with ``SRC`` (e.g. ``git archive HEAD src | tar -x -C /tmp/ref``)
first on the path, and the exit status is 1 when any fingerprint differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import kamcore
from kamcore.fileformat import decode_portfolio_stream
from kamcore.model import Portfolio
from kamcore.review import review

DEFAULT_SIZES = "1000,10000"
EARLIER = timedelta(days=30)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _portfolio_digest(portfolio: Portfolio) -> str:
    hasher = hashlib.sha256()
    for client in portfolio:
        hasher.update(repr(client.account).encode())
        hasher.update(repr(client.transactions).encode())
        hasher.update(repr(tuple(client.timeline)).encode())
    hasher.update(repr((portfolio.staff, portfolio.reports, portfolio.exported_at)).encode())
    return hasher.hexdigest()[:16]


def _agenda_digest(portfolio: Portfolio, as_of: datetime) -> str:
    agenda = review(portfolio, as_of)
    return _digest(json.dumps(agenda.as_dict(), sort_keys=True))


def fingerprints(sizes: list[int], data: Path) -> dict[str, str]:
    """Name of each case to its fingerprint."""
    from benchmarks.scale import portfolio_file

    sources = [("sample", Path(str(kamcore.SAMPLE_PORTFOLIO)))]
    sources += [(f"{size}", portfolio_file(data, size, 20)) for size in sizes]
    result = {}
    for name, path in sources:
        with path.open(encoding="utf-8-sig") as stream:
            portfolio = decode_portfolio_stream(stream, source=str(path)).portfolio
        exported = portfolio.exported_at
        assert exported is not None
        result[f"{name} load"] = _portfolio_digest(portfolio)
        result[f"{name} agenda at export"] = _agenda_digest(portfolio, exported)
        result[f"{name} agenda 30 days earlier"] = _agenda_digest(portfolio, exported - EARLIER)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES)
    parser.add_argument("--data", type=Path, default=Path("build/bench"))
    parser.add_argument("--reference", type=Path, help="another source tree to compare with")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size]
    ours = fingerprints(sizes, args.data)
    if args.json:
        print(json.dumps(ours))
        return 0
    theirs: dict[str, str] = {}
    if args.reference:
        command = [sys.executable, "-m", "benchmarks.agenda_hash", "--json"]
        command += ["--sizes", args.sizes, "--data", str(args.data)]
        environment = {**os.environ, "PYTHONPATH": str(args.reference.resolve())}
        done = subprocess.run(command, check=True, capture_output=True, text=True, env=environment)
        theirs = json.loads(done.stdout.strip().splitlines()[-1])
    same = True
    for name, value in ours.items():
        other = theirs.get(name)
        mark = "" if other is None else ("  same" if other == value else f"  DIFFERS ({other})")
        same = same and (other is None or other == value)
        print(f"{name:36} {value}{mark}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
