"""``kamcore generate``: write a synthetic portfolio of any size."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Final

from kamcore.errors import KamcoreError
from kamcore.synthetic import SyntheticSpec, write_synthetic_portfolio

__all__ = ["add_generate_command", "generate_command"]

_PROGRESS_STEPS: Final = 20
"""Progress lines on stderr over a whole run (at most, plus the last one)."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_generate_command(commands: Any) -> None:
    """Add ``generate`` to the sub-commands *commands* (an argparse sub-parsers action)."""
    generate = commands.add_parser(
        "generate",
        help="write a synthetic portfolio file of any size",
        description="Write a synthetic portfolio in the documented file format: a seeded, "
        "realistic mix of tiers, every event kind, slipped promises, complaints, silent "
        "accounts and staff. The same options always write the same file.",
    )
    generate.add_argument(
        "--accounts", type=_positive, required=True, metavar="N", help="client files to write"
    )
    generate.add_argument(
        "--events-per-account",
        type=_positive,
        default=20,
        metavar="K",
        help="timeline events in every client file (default: 20)",
    )
    generate.add_argument(
        "--seed", type=int, default=1, metavar="S", help="the generator's seed (default: 1)"
    )
    generate.add_argument(
        "--out", required=True, metavar="FILE", help="the portfolio file to write"
    )
    generate.set_defaults(source=None, collect=False)


def generate_command(args: argparse.Namespace) -> list[str]:
    """Run ``kamcore generate``: write the file, report progress on stderr."""
    spec = SyntheticSpec(
        accounts=args.accounts, events_per_account=args.events_per_account, seed=args.seed
    )
    started = time.perf_counter()

    def progress(done: int) -> None:
        seconds = time.perf_counter() - started
        print(
            f"kamcore generate: {done}/{spec.accounts} accounts ({seconds:.1f} s)",
            file=sys.stderr,
            flush=True,
        )

    path = Path(args.out)
    try:
        with path.open("w", encoding="utf-8", newline="\n") as stream:
            written = write_synthetic_portfolio(
                spec,
                stream,
                progress=progress,
                progress_every=-(-spec.accounts // _PROGRESS_STEPS),
            )
    except OSError as error:
        raise KamcoreError(f"{args.out}: cannot write ({error.strerror or error})") from None
    events = written * spec.events_per_account
    return [f"wrote {args.out}: {written} accounts, {events} events (seed {spec.seed})"]
