"""Loading a command's SOURCE: one way for every command that reads a portfolio."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from kamcore.cli._messages import quarantine_lines
from kamcore.fileformat import LoadResult
from kamcore.plugins import get_plugin_manager, load_portfolio

__all__ = ["collector_paused", "json_file_source", "load_source"]

_FILE_ADAPTER: Final = "files"
"""The entry-point name of the file adapter (kamcore_adapters.files)."""


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


def json_file_source(args: argparse.Namespace) -> Path | None:
    """The local portfolio file ``args.source`` names, when it is read whole and strictly.

    Such a source can be read one account at a time instead of loaded: it is
    one JSON document that any invalid record refuses. It is a plain path (no
    ``scheme:``, not even ``file:``) to a file that is not a CSV table, read by
    the file adapter, as :func:`load_source` would read it; ``None`` for every
    other source, with ``--collect``, or when the file adapter is disabled.
    """
    # A colon may start a URI, which is for the plugins to read (``file:`` ones
    # too): such a source is loaded, as is a Windows drive path (only slower).
    if args.collect or ":" in args.source:
        return None
    path = Path(args.source)
    if not path.is_file() or path.suffix.lower() == ".csv":
        return None
    if get_plugin_manager().get_plugin(_FILE_ADAPTER) is None:
        return None
    return path
