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

**Staff.** When the profile sets ``staff_roles``, every sync (incremental ones
too: a few calls) first reads the org's active users, and the document's staff
are those users (see :mod:`kamcore_adapters.zoho._staff`); the store merges
staff by id, so each sync brings every active user's current role and line. A
malformed user is reported on a full read, and on an incremental one only when
Zoho says it was modified since the cursor, so it is not reported again and
again. Without ``staff_roles`` no user is read.
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

from kamcore.fileformat import LoadResult, Quarantined, decode_portfolio
from kamcore_adapters.zoho._client import ZohoClient, ZohoError, org_key
from kamcore_adapters.zoho._mapping import (
    MODULES,
    Records,
    build_document,
    module_fields,
    touched_accounts,
)
from kamcore_adapters.zoho._settings import ZohoSettings
from kamcore_adapters.zoho._staff import StaffRead, staff_from_users

__all__ = ["OVERLAP", "USERS_SCOPE", "load_changes", "load_portfolio", "read_all", "read_staff"]

logger = logging.getLogger("kamcore_adapters.zoho")

OVERLAP: Final = timedelta(minutes=1)
"""How far before the cursor an incremental sync asks from, for clock skew."""

_MIRROR_VERSION: Final = 1

USERS_SCOPE: Final = "ZohoCRM.users.READ"
"""The OAuth scope that listing the users needs (``ZohoCRM.users.ALL`` covers it too)."""

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


def read_staff(client: ZohoClient) -> StaffRead | None:
    """The staff of the org's active users when the profile sets ``staff_roles``;
    ``None``, and no request made, when it does not.

    Raises:
        ZohoError: Zoho refused the listing; for want of the scope, a message
            that names it.
    """
    settings = client.settings
    if settings.staff_roles is None:
        return None
    try:
        users = list(client.list_users())
    except ZohoError as error:
        if error.code == "OAUTH_SCOPE_MISMATCH":
            raise ZohoError(
                f"{error}; staff_roles is set, so the sync reads the org's users, which needs "
                f"the scope {USERS_SCOPE} (or ZohoCRM.users.ALL): generate a refresh token "
                "with it, or remove staff_roles",
                status=error.status,
                code=error.code,
            ) from None
        raise
    staff = staff_from_users(users, settings.staff_roles)
    logger.info(
        "zoho:%s: users: %d read, %d staff members",
        settings.profile,
        len(users),
        len(staff.members),
    )
    for warning in staff.warnings:
        logger.warning("zoho:%s: %s", settings.profile, warning)
    return staff


def _modified_after(record: Any, moment: datetime) -> bool:
    """Whether *record* says it was modified after *moment* (``Modified_Time``)."""
    text = record.get("Modified_Time") if isinstance(record, Mapping) else None
    try:
        modified = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return False
    return modified is not None and modified.tzinfo is not None and modified > moment


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
    staff: StaffRead | None = None,
    since: datetime | None = None,
) -> LoadResult:
    document, unplaced = build_document(
        records,
        fields=settings.fields,
        currency=settings.currency,
        won_stages=settings.won_stages,
        exported_at=started,
        only=only,
        staff=None if staff is None else staff.members,
    )
    if changed is not None:  # report a record that fits no file when it changed, not forever
        unplaced = [
            q for q in unplaced if q.record_id in changed.get(q.location.split("/", 1)[0], set())
        ]
    set_aside: list[Quarantined] = list(unplaced)
    if staff is not None:
        set_aside += [q for q in staff.set_aside if since is None or _modified_after(q.raw, since)]
    return decode_portfolio(document, source=source, strict=strict, set_aside=set_aside)


def load_portfolio(
    client: ZohoClient,
    source: str,
    strict: bool,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> LoadResult:
    """The whole org as a portfolio."""
    started = now()
    staff = read_staff(client)
    return _decode_records(read_all(client), client.settings, source, strict, started, staff=staff)


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
    staff = read_staff(client)
    if since is None or mirror is None:
        if since is not None:
            logger.info("zoho:%s: no mirror for this cursor; reading everything", settings.profile)
        records = read_all(client)
        result = _decode_records(records, settings, source, strict, started, staff=staff)
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
        merged,
        settings,
        source,
        strict,
        started,
        only=touched,
        changed=changed,
        staff=staff,
        since=start,
    )
    _save_mirror(settings, cursor, merged)
    return result, cursor
