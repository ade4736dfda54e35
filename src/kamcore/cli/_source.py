"""Loading a command's SOURCE: one way for every command that reads a portfolio."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from kamcore.cli._messages import quarantine_lines
from kamcore.fileformat import LoadResult
from kamcore.plugins import load_portfolio

__all__ = ["collector_paused", "load_source"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore it as it was.

    Why: loading builds a large number of long-lived records, and the collector
    scans the ones already built again and again as new ones arrive: a fifth of
    the load of a 10,000-account portfolio (docs/performance.md). Nothing is lost
    by pausing it: garbage with cycles waits for the next collection. The
    command line owns its process, so it may do this; the library never does it
    for its callers.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_source(args: argparse.Namespace) -> LoadResult:
    """Load ``args.source`` (strict unless ``--collect``), listing what was quarantined on stderr."""
    with collector_paused():
        result = load_portfolio(args.source, strict=not args.collect)
    for line in quarantine_lines(result.quarantine, source=args.source):
        print(line, file=sys.stderr)
    return result
