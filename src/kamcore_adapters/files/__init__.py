"""The file adapter: portfolios from a JSON file or a folder of CSV tables, actions
to a JSON Lines file.

It is kamcore's embedded default source and sink, registered in the ``kamcore``
entry-point group like any third-party adapter. It reads:

- ``portfolio.json`` (or ``file:portfolio.json``): the portfolio document;
- a folder holding ``accounts.csv`` and optionally ``transactions.csv``, or the
  path of such an ``accounts.csv``.

It writes actions to a sink ``actions.jsonl`` (or ``file:actions.jsonl``): one
JSON line per action, see :mod:`kamcore_adapters.files._sink`. A sink path with
another suffix is not its own.

Any other ``scheme:`` source or sink is left to other plugins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from kamcore import LoadResult, PortfolioFormatError, Problem, SourceError, hookimpl
from kamcore.actions import Action, PushResult
from kamcore.fileformat import decode_portfolio
from kamcore_adapters.files._csv import read_csv_portfolio
from kamcore_adapters.files._sink import SUFFIX, append_actions, find_record

__all__ = [
    "kamcore_find_action",
    "kamcore_load_portfolio",
    "kamcore_push_actions",
    "read_json_document",
]

_OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def _path_of(source: str) -> Path | None:
    if source.startswith("file://"):
        # A file URI: percent-escapes decoded, ``file://localhost/…`` accepted.
        return Path(url2pathname(urlparse(source).path))
    if source.startswith("file:"):
        return Path(source.removeprefix("file:"))
    if _OTHER_SCHEME.match(source):
        return None
    return Path(source)


def read_json_document(path: Path, source: str) -> Any:
    """Parse the JSON file at *path*, with fractional numbers as exact ``Decimal``.

    Raises:
        SourceError: the file cannot be read.
        PortfolioFormatError: the file is not UTF-8 JSON.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{source}: cannot read ({error.strerror or error})") from None
    try:
        return json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except UnicodeDecodeError as error:
        problem = Problem("$", f"not UTF-8 text (byte {error.start})")
    except json.JSONDecodeError as error:
        problem = Problem(
            "$", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        )
    except RecursionError:
        problem = Problem("$", "not a portfolio: nested too deeply")
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        problem = Problem("$", f"not a portfolio: {error}")
    raise PortfolioFormatError(source, [problem])


@hookimpl
def kamcore_load_portfolio(source: str, strict: bool) -> LoadResult | None:
    """Load a JSON or CSV portfolio; see :func:`kamcore.hookspecs.kamcore_load_portfolio`."""
    path = _path_of(source)
    if path is None:
        return None
    if not path.exists():
        raise SourceError(f"{source}: no such file or folder")
    if path.is_dir() or path.suffix.lower() == ".csv":
        document, orphans = read_csv_portfolio(path, source)
        return decode_portfolio(document, source=source, strict=strict, set_aside=orphans)
    return decode_portfolio(read_json_document(path, source), source=source, strict=strict)


def _sink_path(sink: str) -> Path | None:
    """The file a sink names, when it is a ``.jsonl`` path (``file:`` or plain)."""
    path = _path_of(sink)
    return path if path is not None and path.suffix.lower() == SUFFIX else None


@hookimpl
def kamcore_push_actions(sink: str, actions: Sequence[Action]) -> Sequence[PushResult] | None:
    """Append the actions to a ``.jsonl`` file; see :func:`kamcore.hookspecs.kamcore_push_actions`."""
    path = _sink_path(sink)
    if path is None:
        return None
    return append_actions(path, sink, actions)


@hookimpl
def kamcore_find_action(sink: str, action: Action) -> str | None:
    """The record id of the line holding *action*; see :func:`kamcore.hookspecs.kamcore_find_action`."""
    path = _sink_path(sink)
    if path is None:
        return None
    return find_record(path, sink, action.key)
