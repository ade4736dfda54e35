"""The action ledger: a SQLite database of every action sent to a sink, every
escalation notice sent to a channel plugin, and sync cursors.

An action is recorded as *pending* before it is sent and marked *done* with the
sink's record id after; an action that failed stays *failed* with its error and
is tried again on the next push. A notice is recorded once per plugin that
delivered it, after the plugin returned, so it is never handed to a plugin twice.
One database serves several tenants (CRM organisations): every row carries its
tenant and every query filters on it. The portfolio store
(:mod:`kamcore.stores.portfolio`) keeps what each sync loaded in the same
database, in the same transaction as the cursor.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import attrs

from kamcore.actions import Action

__all__ = [
    "DEFAULT_LEDGER",
    "DEFAULT_TENANT",
    "LEDGER_ENV",
    "STATUSES",
    "ActionRecord",
    "Ledger",
    "NoticeRecord",
    "ledger_path",
    "store_cursor",
]

STATUSES: Final = ("pending", "done", "failed")
"""The states of a recorded action."""

LEDGER_ENV: Final = "KAMCORE_LEDGER"
"""Environment variable: the ledger database when no path is given."""
DEFAULT_LEDGER: Final = "kamcore-ledger.sqlite3"
"""The ledger database, in the current folder, when neither a path nor
``$KAMCORE_LEDGER`` says otherwise."""
DEFAULT_TENANT: Final = "default"
"""The tenant when none is named."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS actions (
    tenant     TEXT NOT NULL,
    key        TEXT NOT NULL,
    sink       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    record_id  TEXT,
    error      TEXT,
    action     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, sink, key)
);
CREATE TABLE IF NOT EXISTS notices (
    tenant     TEXT NOT NULL,
    key        TEXT NOT NULL,
    plugin     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    PRIMARY KEY (tenant, key, plugin)
);
CREATE TABLE IF NOT EXISTS cursors (
    tenant     TEXT NOT NULL,
    source     TEXT NOT NULL,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, source)
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def ledger_path(option: str | None = None) -> Path:
    """The ledger database: *option* (``--ledger``), else ``$KAMCORE_LEDGER``, else
    :data:`DEFAULT_LEDGER` in the current folder."""
    return Path(option or os.environ.get(LEDGER_ENV) or DEFAULT_LEDGER)


def store_cursor(db: sqlite3.Connection, tenant: str, source: str, cursor: str) -> None:
    """Keep *cursor* as where the next sync of *source* for *tenant* starts, inside
    the transaction the caller holds (:meth:`Ledger.transaction`)."""
    db.execute(
        "INSERT INTO cursors (tenant, source, cursor, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (tenant, source) DO UPDATE SET"
        " cursor = excluded.cursor, updated_at = excluded.updated_at",
        (tenant, source, cursor, _now()),
    )


@attrs.frozen
class ActionRecord:
    """What the ledger knows about one action.

    Attributes:
        tenant: the tenant.
        key: the action's key.
        sink: the sink it was sent to.
        status: ``pending``, ``done`` or ``failed``.
        record_id: the sink's record id, once done.
        error: the last error, when failed.
    """

    tenant: str
    key: str
    sink: str
    status: str
    record_id: str | None
    error: str | None


@attrs.frozen
class NoticeRecord:
    """A notice one plugin delivered.

    Attributes:
        tenant: the tenant.
        key: the notice's key (:attr:`kamcore.escalation.EscalationNotice.key`).
        plugin: the name of the plugin that delivered it.
        recipient: whom it was for.
        sent_at: when the plugin returned, ISO 8601 in UTC.
    """

    tenant: str
    key: str
    plugin: str
    recipient: str
    sent_at: str


class Ledger:
    """The action ledger in the SQLite database at *path* (created if missing).

    Every write is its own committed transaction, so a crash loses nothing that
    was recorded before it.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(self.path, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._connection.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open database, for the stores that share it (:mod:`kamcore.stores.portfolio`):
        read from it freely, write only inside :meth:`transaction`."""
        return self._connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: what is written through the connection it yields
        is committed together when the block ends, or not at all if it raises."""
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield self._connection
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def get(self, tenant: str, sink: str, key: str) -> ActionRecord | None:
        """What the ledger knows of action *key* of *tenant* in *sink*, or ``None``."""
        row = self._connection.execute(
            "SELECT tenant, key, sink, status, record_id, error FROM actions"
            " WHERE tenant = ? AND sink = ? AND key = ?",
            (tenant, sink, key),
        ).fetchone()
        return ActionRecord(*row) if row else None

    def records(self, tenant: str, status: str | None = None) -> list[ActionRecord]:
        """Every action of *tenant* (only those in *status*, if given), by key."""
        query = "SELECT tenant, key, sink, status, record_id, error FROM actions WHERE tenant = ?"
        parameters: tuple[str, ...] = (tenant,)
        if status is not None:
            query += " AND status = ?"
            parameters += (status,)
        rows = self._connection.execute(query + " ORDER BY sink, key", parameters).fetchall()
        return [ActionRecord(*row) for row in rows]

    def record_pending(self, sink: str, action: Action) -> None:
        """Record *action* as about to be sent to *sink* (before sending it)."""
        now = _now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO actions (tenant, key, sink, status, action, created_at, updated_at)"
                " VALUES (?, ?, ?, 'pending', ?, ?, ?)"
                " ON CONFLICT (tenant, sink, key) DO UPDATE SET"
                " status = 'pending', error = NULL, updated_at = excluded.updated_at",
                (action.tenant, action.key, sink, json.dumps(action.as_dict()), now, now),
            )

    def forget(self, tenant: str, sink: str, key: str) -> None:
        """Remove a *pending* action that was never handed to any sink."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM actions WHERE tenant = ? AND sink = ? AND key = ? AND status = 'pending'",
                (tenant, sink, key),
            )

    def mark_done(self, tenant: str, sink: str, key: str, record_id: str) -> None:
        """Mark the action done, with the id of the record the sink holds it in."""
        self._set(tenant, sink, key, status="done", record_id=record_id, error=None)

    def mark_failed(self, tenant: str, sink: str, key: str, error: str) -> None:
        """Mark the action failed; the next push tries it again."""
        self._set(tenant, sink, key, status="failed", record_id=None, error=error)

    def _set(
        self,
        tenant: str,
        sink: str,
        key: str,
        *,
        status: str,
        record_id: str | None,
        error: str | None,
    ) -> None:
        with self.transaction() as db:
            updated = db.execute(
                "UPDATE actions SET status = ?, record_id = ?, error = ?, updated_at = ?"
                " WHERE tenant = ? AND sink = ? AND key = ?",
                (status, record_id, error, _now(), tenant, sink, key),
            ).rowcount
        if not updated:
            raise KeyError(f"{tenant}/{sink}/{key}: not in the ledger")

    def notice_plugins(self, tenant: str, key: str) -> frozenset[str]:
        """The names of the plugins that delivered notice *key* of *tenant*."""
        rows = self._connection.execute(
            "SELECT plugin FROM notices WHERE tenant = ? AND key = ?", (tenant, key)
        ).fetchall()
        return frozenset(row[0] for row in rows)

    def record_notice(self, tenant: str, key: str, plugin: str, recipient: str) -> None:
        """Record that *plugin* delivered notice *key* to *recipient* (after it returned)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO notices (tenant, key, plugin, recipient, sent_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, key, plugin) DO NOTHING",
                (tenant, key, plugin, recipient, _now()),
            )

    def notices(self, tenant: str) -> list[NoticeRecord]:
        """Every notice delivery of *tenant*, by key, then plugin."""
        rows = self._connection.execute(
            "SELECT tenant, key, plugin, recipient, sent_at FROM notices WHERE tenant = ?"
            " ORDER BY key, plugin",
            (tenant,),
        ).fetchall()
        return [NoticeRecord(*row) for row in rows]

    def cursor(self, tenant: str, source: str) -> str | None:
        """The cursor the last sync of *source* for *tenant* left, or ``None``."""
        row = self._connection.execute(
            "SELECT cursor FROM cursors WHERE tenant = ? AND source = ?", (tenant, source)
        ).fetchone()
        return row[0] if row else None

    def set_cursor(self, tenant: str, source: str, cursor: str) -> None:
        """Keep *cursor* as where the next sync of *source* for *tenant* starts."""
        with self.transaction() as db:
            store_cursor(db, tenant, source, cursor)
