"""``kamcore sync``, ``kamcore push`` and ``kamcore plugins``: sources, sinks and the
plugins that read and write them."""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Final, TextIO

import attrs
import pluggy

from kamcore.actions import Action, actions_from_agenda
from kamcore.classification import load_classifier
from kamcore.cli._messages import PREFIX, quarantine_lines
from kamcore.cli._moment import default_moment
from kamcore.cli._render import cell, table
from kamcore.cli._source import load_source
from kamcore.errors import KamcoreError
from kamcore.i18n import messages
from kamcore.plugins import DISABLE_ENV, ENTRY_POINT_GROUP, get_plugin_manager
from kamcore.review import review
from kamcore.stores import Ledger, synced_source
from kamcore.stores.ledger import DEFAULT_LEDGER, DEFAULT_TENANT, LEDGER_ENV, ledger_path
from kamcore.sync import PushSummary, push, sync

__all__ = [
    "DEFAULT_LEDGER",
    "DEFAULT_TENANT",
    "LEDGER_ENV",
    "PluginInfo",
    "installed_plugins",
    "ledger_path",
    "plugins_json",
    "plugins_table",
    "push_command",
    "sync_command",
    "tenant_name",
]

ADAPTERS_LOGGER: Final = "kamcore_adapters"
"""The logger under which adapters report their progress at INFO."""

_PLUGIN_HEADER: Final = ("NAME", "DISTRIBUTION", "VERSION", "HOOKS")
_NONE: Final = "—"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _warn(lines: Sequence[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def tenant_name(text: str) -> str:
    """Read a ``--tenant`` value: any name that is not blank."""
    if not text.strip():
        raise argparse.ArgumentTypeError("a tenant name cannot be blank")
    return text


@contextmanager
def _ledger(path: Path, *, dry_run: bool = False) -> Iterator[Ledger]:
    """The ledger at *path*, its errors turned into :class:`KamcoreError`.

    A dry run against a ledger that does not exist yet uses an empty one in a
    temporary folder, so that it leaves no file behind.
    """
    if dry_run and not path.exists():
        with tempfile.TemporaryDirectory() as folder, Ledger(Path(folder) / path.name) as empty:
            yield empty
        return
    try:
        ledger = Ledger(path)
    except (sqlite3.Error, OSError) as error:
        raise KamcoreError(f"{path}: cannot open the ledger ({error})") from None
    with ledger:
        try:
            yield ledger
        except sqlite3.Error as error:
            raise KamcoreError(f"{path}: the ledger failed ({error})") from None


# -------------------------------------------------------------------------------------------------
# kamcore sync
# -------------------------------------------------------------------------------------------------


@contextmanager
def _source_progress(stream: TextIO, verbose: bool) -> Iterator[None]:
    """Show the adapters' progress messages (their INFO log lines) on *stream*
    while a sync runs, when asked or when *stream* is a terminal."""
    if not (verbose or stream.isatty()):
        yield
        return
    adapters = logging.getLogger(ADAPTERS_LOGGER)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(f"{PREFIX}: %(message)s"))
    level = adapters.level
    adapters.addHandler(handler)
    adapters.setLevel(min(level or logging.INFO, logging.INFO))
    try:
        yield
    finally:
        adapters.removeHandler(handler)
        adapters.setLevel(level)


def sync_command(args: argparse.Namespace) -> list[str] | tuple[list[str], int]:
    """``kamcore sync SOURCE``: load what changed, keep it and the cursor; two summary
    lines (what was loaded; what the portfolio store holds now, and how to read it).

    Exit code 1 when the source stopped early: what was read is kept and the
    cursor resumes after it.
    """
    with (
        _ledger(ledger_path(args.ledger)) as ledger,
        _source_progress(sys.stderr, args.verbose),
    ):
        summary = sync(
            args.source,
            ledger,
            tenant=args.tenant,
            since=args.since,
            full=args.full,
            strict=args.strict,
            plugins=get_plugin_manager(),
        )
    _warn(quarantine_lines(summary.result.quarantine, source=args.source))
    if summary.cursor is None:
        cursor = "no cursor kept (the source's plugin loads it only in full)"
    else:
        cursor = f"cursor kept: {cell(summary.cursor)}"
    loaded = _plural(summary.accounts, "account")
    quarantined = _plural(summary.quarantined, "record")
    lines = [
        f"{args.source}: {loaded} loaded, {quarantined} quarantined; {cursor}",
        f"{synced_source(args.source, args.tenant)}: {_plural(summary.stored, 'client file')} kept",
    ]
    if summary.stopped is None:
        return lines
    _warn(
        [
            f"{PREFIX}: error: {args.source} stopped early: {summary.stopped}; "
            "what was read is kept and the next sync resumes from the cursor"
        ]
    )
    return lines, 1


# -------------------------------------------------------------------------------------------------
# kamcore push
# -------------------------------------------------------------------------------------------------


@contextmanager
def _progress(stream: TextIO) -> Iterator[Callable[[int, int], None] | None]:
    """A callback that keeps one line ``pushed DONE/TOTAL`` up to date on *stream*
    when it is a terminal (``None`` otherwise); the line is cleared at the end."""
    if not stream.isatty():
        yield None
        return
    width = 0

    def show(done: int, total: int) -> None:
        nonlocal width
        text = f"pushed {done}/{total}"
        stream.write("\r" + text.ljust(width))
        stream.flush()
        width = max(width, len(text))

    try:
        yield show
    finally:
        if width:
            stream.write("\r" + " " * width + "\r")
            stream.flush()


def _failure_lines(summary: PushSummary, actions: Sequence[Action]) -> list[str]:
    if not summary.failed:
        return []
    by_key = {action.key: action for action in actions}
    lines = [
        f"{PREFIX}: error: {_plural(summary.failed, 'action')} failed; "
        "the ledger keeps them for the next push"
    ]
    # One line per distinct error: a sink that refuses every action (a missing
    # profile, a revoked token) gives one line, not one per action.
    keys_by_error: dict[str, list[str]] = {}
    for key, error in summary.errors.items():
        keys_by_error.setdefault(error, []).append(key)
    for error, keys in keys_by_error.items():
        action = by_key.get(keys[0])
        about = f" ({action.account_id} {action.finding_code})" if action is not None else ""
        more = f" and {_plural(len(keys) - 1, 'other action')}" if len(keys) > 1 else ""
        lines.append(f"  {keys[0]}{cell(about)}{more}: {cell(error)}")
    return lines


def push_command(args: argparse.Namespace) -> tuple[list[str], int]:
    """``kamcore push SINK [SOURCE]``: review SOURCE and create its actions in SINK.

    Returns:
        The summary line, and exit code 1 when any action failed (each failure
        is listed on stderr), else 0.
    """
    result = load_source(args)
    moment = args.as_of or default_moment(result.portfolio)
    agenda = review(result.portfolio.as_of(moment), moment, classifier=load_classifier(args.rules))
    texts = messages(args.lang) if args.lang else None
    actions = actions_from_agenda(agenda, args.tenant, messages=texts)
    manager = get_plugin_manager()
    path = ledger_path(args.ledger)
    with _ledger(path, dry_run=args.dry_run) as ledger, _progress(sys.stderr) as progress:
        summary = push(
            args.sink,
            actions,
            ledger,
            dry_run=args.dry_run,
            plugins=manager,
            progress=progress,
        )
    quarantined = len(result.quarantine)
    if args.dry_run:
        return [
            f"dry run, nothing sent: would create {summary.created}, "
            f"would skip as duplicate {summary.skipped}, quarantined {quarantined}"
        ], 0
    _warn(_failure_lines(summary, actions))
    line = (
        f"created {summary.created}, skipped as duplicate {summary.skipped}, "
        f"failed {summary.failed}, quarantined {quarantined}"
    )
    return [line], 1 if summary.failed else 0


# -------------------------------------------------------------------------------------------------
# kamcore plugins
# -------------------------------------------------------------------------------------------------


@attrs.frozen
class PluginInfo:
    """One plugin as ``kamcore plugins`` lists it.

    Attributes:
        name: the name it is registered under (its entry-point name).
        distribution: the installed distribution that provides it, when known.
        version: that distribution's version.
        hooks: the names of the hooks it implements, sorted.
        disabled: installed, but not loaded because of ``KAMCORE_DISABLE_PLUGINS``.
    """

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    disabled: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": list(self.hooks),
            "disabled": self.disabled,
        }


def _metadata(dist: Any) -> tuple[str | None, str | None]:
    if dist is None:
        return None, None
    metadata = dist.metadata
    return metadata["Name"], metadata["Version"]


def installed_plugins(manager: pluggy.PluginManager) -> list[PluginInfo]:
    """Every plugin registered with *manager*, then every installed one that is
    disabled, by name."""
    dists = {id(plugin): dist for plugin, dist in manager.list_plugin_distinfo()}
    infos = []
    for name, plugin in manager.list_name_plugin():
        if plugin is None:  # blocked
            continue
        hooks = tuple(sorted(caller.name for caller in manager.get_hookcallers(plugin) or ()))
        infos.append(PluginInfo(name, *_metadata(dists.get(id(plugin))), hooks))
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if manager.is_blocked(point.name):
            infos.append(PluginInfo(point.name, *_metadata(point.dist), (), disabled=True))
    return sorted(infos, key=lambda info: info.name)


def plugins_table(infos: Sequence[PluginInfo]) -> list[str]:
    """The plugins for people: one line each, with the hooks it implements."""
    rows = [
        [
            info.name,
            info.distribution or _NONE,
            info.version or _NONE,
            f"disabled by {DISABLE_ENV}" if info.disabled else ", ".join(info.hooks) or _NONE,
        ]
        for info in infos
    ]
    return table(rows, header=_PLUGIN_HEADER) if rows else ["No plugins."]


def plugins_json(infos: Sequence[PluginInfo]) -> list[dict[str, Any]]:
    """The plugins for programs."""
    return [info.as_dict() for info in infos]
