"""Fenxiang Xiaoke (纷享销客) adapter: sources and sinks ``fxiaoke:PROFILE`` (install ``kamcore[fxiaoke]``).

The profile's settings come from the ``[fxiaoke.PROFILE]`` table of
``kamcore.toml`` and ``KAMCORE_FXIAOKE_PROFILE_*`` environment variables (see
docs/connect-fxiaoke.md). As a **source**, it reads accounts with their
contacts, opportunities, sales orders (→ transactions) and follow-up records
(→ timeline events): a full load by ``_id`` the first time, then only what
changed, with the ledger keeping the cursor. As a **sink**, it writes actions as
follow-up records (``ActiveRecordObj``) or schedule entries (``ScheduleObj``)
holding each action's key, so that nothing is created twice.

The module imports without httpx; talking to the CRM needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from kamcore import LoadResult, hookimpl
from kamcore.actions import Action, PushResult
from kamcore.fileformat import FORMAT, VERSION, decode_portfolio
from kamcore.sync import ChangeSet
from kamcore_adapters.fxiaoke._client import FxiaokeClient, condition, data_path
from kamcore_adapters.fxiaoke._errors import (
    FxiaokeAuthError,
    FxiaokeError,
    FxiaokePermissionError,
    FxiaokeQuotaError,
    FxiaokeRequestError,
    FxiaokeUnavailableError,
    FxiaokeUncertainError,
)
from kamcore_adapters.fxiaoke._reader import Cursor, Loaded, Reader
from kamcore_adapters.fxiaoke._settings import DEFAULT_FIELDS, SCHEME, Settings, profile_of
from kamcore_adapters.fxiaoke._writer import (
    LevelChange,
    find_actions,
    push_actions,
    update_account_levels,
)

__all__ = [
    "DEFAULT_FIELDS",
    "SCHEME",
    "Cursor",
    "FxiaokeAuthError",
    "FxiaokeClient",
    "FxiaokeError",
    "FxiaokePermissionError",
    "FxiaokeQuotaError",
    "FxiaokeRequestError",
    "FxiaokeUnavailableError",
    "FxiaokeUncertainError",
    "LevelChange",
    "Settings",
    "condition",
    "data_path",
    "find_actions",
    "kamcore_find_action",
    "kamcore_load_changes",
    "kamcore_load_portfolio",
    "kamcore_push_actions",
    "load_changes",
    "load_portfolio",
    "open_client",
    "profile_of",
    "push_actions",
    "update_account_levels",
]


def open_client(profile: str) -> FxiaokeClient:
    """A client for *profile*, configured from ``kamcore.toml`` and the environment.

    Raises:
        SourceError: the profile is missing or malformed, or httpx is not installed.
    """
    return FxiaokeClient(Settings.load(profile))


def _decode(loaded: Loaded, source: str, strict: bool) -> LoadResult:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "accounts": [loaded.accounts[key] for key in sorted(loaded.accounts)],
    }
    return decode_portfolio(document, source=source, strict=strict, set_aside=loaded.set_aside)


def load_portfolio(client: FxiaokeClient, *, strict: bool = False) -> LoadResult:
    """Every client file the profile's user can see, decoded like a file source.

    Raises:
        FxiaokeQuotaError: the quota ran out before the end (a one-off load keeps
            no cursor to resume from: use :func:`load_changes` for that).
        FxiaokeError: the CRM refused the read.
        PortfolioFormatError: *strict* and a record is invalid.
    """
    loaded = Reader(client).load(None, follow_changes=False)
    if loaded.stopped is not None:
        raise loaded.stopped
    return _decode(loaded, client.settings.uri, strict)


def load_changes(client: FxiaokeClient, since: str | None, *, strict: bool = False) -> ChangeSet:
    """The client files changed since the cursor *since* (everything when ``None``).

    When the quota runs out midway, the files read so far come back with a
    cursor that resumes where the read stopped (and says so in its ``stopped``
    entry), and a warning is logged.
    """
    source = client.settings.uri
    cursor = Cursor.decode(since, source) if since else None
    loaded = Reader(client).load(cursor)
    stopped = None if loaded.stopped is None else str(loaded.stopped)
    return ChangeSet(_decode(loaded, source, strict), loaded.cursor.encode(), stopped)


@hookimpl
def kamcore_load_portfolio(source: str, strict: bool) -> LoadResult | None:
    """Load ``fxiaoke:PROFILE`` in full; see :func:`kamcore.hookspecs.kamcore_load_portfolio`."""
    profile = profile_of(source)
    if profile is None:
        return None
    with open_client(profile) as client:
        return load_portfolio(client, strict=strict)


@hookimpl
def kamcore_load_changes(source: str, since: str | None, strict: bool) -> ChangeSet | None:
    """Load what changed in ``fxiaoke:PROFILE``; see :func:`kamcore.hookspecs.kamcore_load_changes`."""
    profile = profile_of(source)
    if profile is None:
        return None
    with open_client(profile) as client:
        return load_changes(client, since, strict=strict)


@hookimpl
def kamcore_push_actions(sink: str, actions: Sequence[Action]) -> Sequence[PushResult] | None:
    """Write actions to ``fxiaoke:PROFILE``; see :func:`kamcore.hookspecs.kamcore_push_actions`."""
    profile = profile_of(sink)
    if profile is None:
        return None
    with open_client(profile) as client:
        return push_actions(client, actions)


@hookimpl
def kamcore_find_action(sink: str, action: Action) -> str | None:
    """The record holding *action* in ``fxiaoke:PROFILE``; see :func:`kamcore.hookspecs.kamcore_find_action`."""
    profile = profile_of(sink)
    if profile is None:
        return None
    with open_client(profile) as client:
        return find_actions(client, [action.key]).get(action.key)
