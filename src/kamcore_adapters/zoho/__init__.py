"""Zoho CRM adapter: sources ``zoho:PROFILE`` and sinks ``zoho:PROFILE`` (install ``kamcore[zoho]``).

Reads Accounts, Contacts, Deals, Tasks, Calls, Events and Notes of a Zoho CRM
org (API v8) as a kamcore portfolio (with ``staff_roles`` set, its active users
too, as the staff with their roles and reporting lines), incrementally with
``kamcore sync``, and
writes the agenda's actions back as Tasks and Notes, each exactly once, with
``kamcore push``. The profile's settings come from ``[zoho.PROFILE]`` in
``kamcore.toml`` or ``KAMCORE_ZOHO_PROFILE_*`` variables; see
docs/connect-zoho.md.

This module imports without httpx, so that kamcore loads it from its entry
point even where the ``zoho`` extra is not installed; using a ``zoho:`` source
or sink then fails with a :class:`kamcore.SourceError` that names the extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kamcore import LoadResult, SourceError, hookimpl
from kamcore.actions import Action, PushResult
from kamcore_adapters._config import profile_config, split_uri
from kamcore_adapters.zoho._settings import KNOWN_SETTINGS, ZohoSettings

if TYPE_CHECKING:
    from kamcore.sync import ChangeSet
    from kamcore_adapters.zoho._client import ZohoClient

__all__ = [
    "SCHEME",
    "ZohoSettings",
    "kamcore_find_action",
    "kamcore_load_changes",
    "kamcore_load_portfolio",
    "kamcore_push_actions",
    "settings_for",
]

SCHEME = "zoho"
"""The URI scheme of Zoho sources and sinks: ``zoho:PROFILE``."""


def settings_for(uri: str) -> ZohoSettings | None:
    """The settings of the profile *uri* names, or ``None`` when *uri* is not ``zoho:…``.

    Raises:
        SourceError: the profile is missing or its settings are wrong.
    """
    parts = split_uri(uri)
    if parts is None or parts[0] != SCHEME:
        return None
    config = profile_config(SCHEME, parts[1], known=KNOWN_SETTINGS.__contains__)
    return ZohoSettings.from_config(parts[1], config)


def _open_client(settings: ZohoSettings) -> ZohoClient:
    """A client of the profile's org; the one place that needs httpx first."""
    try:
        import httpx  # noqa: F401 - only to check that the extra is installed
    except ModuleNotFoundError:
        raise SourceError(
            f"zoho:{settings.profile}: the Zoho adapter needs httpx: "
            "install the extra with `pip install 'kamcore[zoho]'`"
        ) from None
    from kamcore_adapters.zoho._client import ZohoClient

    return ZohoClient(settings)


@hookimpl
def kamcore_load_portfolio(source: str, strict: bool) -> LoadResult | None:
    """Read a whole Zoho org; see :func:`kamcore.hookspecs.kamcore_load_portfolio`."""
    settings = settings_for(source)
    if settings is None:
        return None
    with _open_client(settings) as client:
        from kamcore_adapters.zoho import _source

        return _source.load_portfolio(client, source, strict)


@hookimpl
def kamcore_load_changes(source: str, since: str | None, strict: bool) -> ChangeSet | None:
    """Read the client files touched since *since*; see :func:`kamcore.hookspecs.kamcore_load_changes`.

    The cursor is the moment the previous sync started (ISO 8601, UTC).
    """
    settings = settings_for(source)
    if settings is None:
        return None
    from kamcore.sync import ChangeSet

    with _open_client(settings) as client:
        from kamcore_adapters.zoho import _source

        result, cursor = _source.load_changes(client, source, since, strict)
    return ChangeSet(result, cursor)


@hookimpl
def kamcore_push_actions(sink: str, actions: Sequence[Action]) -> Sequence[PushResult] | None:
    """Create actions as Zoho Tasks and Notes; see :func:`kamcore.hookspecs.kamcore_push_actions`."""
    settings = settings_for(sink)
    if settings is None:
        return None
    with _open_client(settings) as client:
        from kamcore_adapters.zoho import _sink

        return _sink.push_actions(client, actions)


@hookimpl
def kamcore_find_action(sink: str, action: Action) -> str | None:
    """The Zoho record holding *action*; see :func:`kamcore.hookspecs.kamcore_find_action`."""
    settings = settings_for(sink)
    if settings is None:
        return None
    with _open_client(settings) as client:
        from kamcore_adapters.zoho import _sink

        return _sink.find_keys(client, [action]).get(action.key)
