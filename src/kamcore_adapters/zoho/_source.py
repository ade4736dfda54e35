"""Reading a Zoho org as a portfolio: in full, or what changed since a cursor.

**What a change means.** kamcore's unit is the client file, so a change set
holds the *whole* file of every account that something touched since the
cursor: the account record itself, or any of its contacts, deals, tasks,
calls, events or notes (through the deal or contact they hang on, too; a
contact that moved touches both accounts).

**How it stays cheap.** A sync asks Zoho only for records modified since the
cursor (``If-Modified-Since``), and keeps a mirror of every record it read in
the state directory (a 0600 file, named for the org). The changed records are
merged into the mirror, and the touched accounts' files are built from it. The
mirror records the cursor it belongs to: when the ledger's cursor is not the
mirror's (a first sync, a lost mirror, a sync whose cursor was never stored),
the sync reads everything, which is always a correct change set.

The cursor is the moment the sync started, in UTC. Records are asked for from a
minute before it, so a clock slightly ahead of Zoho's loses nothing; a record
read twice is merged by id.

Deleted records are not seen by ``If-Modified-Since``: they leave the mirror on
the next full sync (``kamcore sync --full``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from kamcore.fileformat import LoadResult, decode_portfolio
from kamcore_adapters.zoho._client import ZohoClient, ZohoError, org_key
from kamcore_adapters.zoho._mapping import (
    MODULES,
    Records,
    build_document,
    module_fields,
    touched_accounts,
)
from kamcore_adapters.zoho._settings import ZohoSettings

__all__ = ["OVERLAP", "load_changes", "load_portfolio", "read_all"]

logger = logging.getLogger("kamcore_adapters.zoho")

OVERLAP: Final = timedelta(minutes=1)
"""How far before the cursor an incremental sync asks from, for clock skew."""

_MIRROR_VERSION: Final = 1

Mirror = dict[str, dict[str, dict[str, Any]]]
"""Every record read, by module and id: what the mirror file keeps."""


def _modules(settings: ZohoSettings) -> tuple[str, ...]:
    return MODULES if settings.read_notes else tuple(m for m in MODULES if m != "Notes")


def _read(
    client: ZohoClient, module: str, since: datetime | None, settings: ZohoSettings
) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    try:
        for record in client.list_records(
            module, module_fields(module, settings.fields), since=since
        ):
            records[str(record["id"])] = record
    except ZohoError as error:
        if module == "Notes" and error.code in {"NOT_SUPPORTED", "NO_PERMISSION"}:
            raise ZohoError(
                f"{error}; listing Notes needs an administrator profile: "
                "use one, or set read_notes = false",
                status=error.status,
                code=error.code,
            ) from None
        raise
    logger.info("zoho:%s: %s: %d records read", settings.profile, module, len(records))
    return records


def read_all(client: ZohoClient, since: datetime | None = None) -> Mirror:
    """Every record of every module the sync reads (modified since *since*, if given)."""
    settings = client.settings
    return {module: _read(client, module, since, settings) for module in _modules(settings)}


# -------------------------------------------------------------------------------------------------
# The mirror
# -------------------------------------------------------------------------------------------------


def _mirror_path(settings: ZohoSettings) -> Path:
    return settings.state_directory / f"{org_key(settings)}.mirror.json"


def _encode(value: Any) -> Any:
    # JSON has no exact decimals: keep Zoho's amounts exact through the file.
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"cannot keep a {type(value).__name__} in the mirror")


def _decode(value: dict[str, Any]) -> Any:
    if set(value) == {"$decimal"}:
        return Decimal(value["$decimal"])
    return value


def _load_mirror(settings: ZohoSettings, cursor: str) -> Mirror | None:
    try:
        stored = json.loads(_mirror_path(settings).read_text(encoding="utf-8"), object_hook=_decode)
    except (OSError, ValueError):
        return None  # none yet, or damaged: a full read rebuilds it
    if (
        not isinstance(stored, dict)
        or stored.get("version") != _MIRROR_VERSION
        or stored.get("cursor") != cursor
    ):
        return None
    records: Mirror = stored.get("records", {})
    return records


def _save_mirror(settings: ZohoSettings, cursor: str, records: Mirror) -> None:
    path = _mirror_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    text = json.dumps(
        {"version": _MIRROR_VERSION, "cursor": cursor, "records": records},
        ensure_ascii=False,
        separators=(",", ":"),
        default=_encode,
    )
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    partial.replace(path)


# -------------------------------------------------------------------------------------------------
# Loading
# -------------------------------------------------------------------------------------------------


def _decode_records(
    records: Records,
    settings: ZohoSettings,
    source: str,
    strict: bool,
    started: datetime,
    *,
    only: set[str] | None = None,
    changed: Mapping[str, set[str]] | None = None,
) -> LoadResult:
    document, unplaced = build_document(
        records,
        fields=settings.fields,
        currency=settings.currency,
        won_stages=settings.won_stages,
        exported_at=started,
        only=only,
    )
    if changed is not None:  # report a record that fits no file when it changed, not forever
        unplaced = [
            q for q in unplaced if q.record_id in changed.get(q.location.split("/", 1)[0], set())
        ]
    return decode_portfolio(document, source=source, strict=strict, set_aside=unplaced)


def load_portfolio(
    client: ZohoClient,
    source: str,
    strict: bool,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> LoadResult:
    """The whole org as a portfolio."""
    started = now()
    return _decode_records(read_all(client), client.settings, source, strict, started)


def load_changes(
    client: ZohoClient,
    source: str,
    since: str | None,
    strict: bool,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[LoadResult, str]:
    """The client files touched since the cursor *since*, and the next cursor.

    Reads everything when *since* is ``None`` or the mirror does not belong to it.
    """
    settings = client.settings
    started = now()
    cursor = started.isoformat()
    mirror = _load_mirror(settings, since) if since is not None else None
    if since is None or mirror is None:
        if since is not None:
            logger.info("zoho:%s: no mirror for this cursor; reading everything", settings.profile)
        records = read_all(client)
        result = _decode_records(records, settings, source, strict, started)
        _save_mirror(settings, cursor, records)
        return result, cursor
    try:
        start = datetime.fromisoformat(since) - OVERLAP
    except ValueError:
        raise ZohoError(f"{source}: the cursor {since!r} is not an ISO date-time") from None
    changes = read_all(client, start)
    merged: Mirror = {module: dict(mirror.get(module, {})) for module in _modules(settings)}
    for module, records in changes.items():
        merged[module].update(records)
    changed = {module: set(records) for module, records in changes.items()}
    touched = touched_accounts(changed, mirror, merged)
    logger.info("zoho:%s: %d accounts touched", settings.profile, len(touched))
    result = _decode_records(
        merged, settings, source, strict, started, only=touched, changed=changed
    )
    _save_mirror(settings, cursor, merged)
    return result, cursor
