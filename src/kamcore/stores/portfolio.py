"""The portfolio store: what ``kamcore sync`` loaded, kept in the ledger's SQLite database.

Per tenant and source it keeps the latest client file of every account (each as
the JSON object of one client file in the documented portfolio document, see
:func:`kamcore.fileformat.encode_client_file`), the portfolio-level records
(staff, reports, ``exported_at``) and the quarantine: every invalid record with
its location, its problems and the record as the source gave it.

:meth:`PortfolioStore.keep` writes a load and the source's new cursor in one
transaction, so the cursor never moves past changes that were not kept. A full
load replaces what the store held for the source; changes are merged over it,
account by account. :meth:`PortfolioStore.load` reads it back as a
:class:`~kamcore.fileformat.LoadResult`, which the built-in ``synced`` plugin
(:mod:`kamcore.stores.plugin`) serves as the source ``synced:SOURCE``.

The tables are created with ``CREATE TABLE IF NOT EXISTS``, so a ledger made
before the store existed keeps working and gains them on first use.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from kamcore.errors import Problem
from kamcore.fileformat import (
    FORMAT,
    VERSION,
    LoadResult,
    Quarantined,
    decode_portfolio,
    encode_portfolio,
)
from kamcore.stores.ledger import DEFAULT_TENANT, Ledger, store_cursor

__all__ = ["SYNCED_SCHEME", "PortfolioStore", "read_synced_source", "synced_source"]

SYNCED_SCHEME: Final = "synced"
"""The scheme of a source read back from the store: ``synced:SOURCE`` for the
default tenant, ``synced+TENANT:SOURCE`` for another."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS synced_portfolios (
    tenant      TEXT NOT NULL,
    source      TEXT NOT NULL,
    exported_at TEXT,
    staff       TEXT NOT NULL,
    reports     TEXT NOT NULL,
    synced_at   TEXT NOT NULL,
    PRIMARY KEY (tenant, source)
);
CREATE TABLE IF NOT EXISTS synced_files (
    tenant     TEXT NOT NULL,
    source     TEXT NOT NULL,
    account_id TEXT NOT NULL,
    position   INTEGER NOT NULL,
    document   TEXT NOT NULL,
    synced_at  TEXT NOT NULL,
    PRIMARY KEY (tenant, source, account_id)
);
CREATE TABLE IF NOT EXISTS synced_quarantine (
    tenant     TEXT NOT NULL,
    source     TEXT NOT NULL,
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    location   TEXT NOT NULL,
    record_id  TEXT,
    account_id TEXT,
    problems   TEXT NOT NULL,
    raw        TEXT NOT NULL,
    synced_at  TEXT NOT NULL,
    PRIMARY KEY (tenant, source, position)
);
"""

_KEY: Final = "tenant = ? AND source = ?"


def synced_source(source: str, tenant: str = DEFAULT_TENANT) -> str:
    """The source that reads back what was synced from *source* for *tenant*.

    >>> synced_source("zoho:acme-eu")
    'synced:zoho:acme-eu'
    >>> synced_source("zoho:acme-eu", tenant="acme")
    'synced+acme:zoho:acme-eu'
    """
    if tenant == DEFAULT_TENANT:
        return f"{SYNCED_SCHEME}:{source}"
    return f"{SYNCED_SCHEME}+{tenant}:{source}"


def read_synced_source(uri: str) -> tuple[str, str] | None:
    """The tenant and the synced source that *uri* names, or ``None`` when it is
    not a ``synced:`` source (the inverse of :func:`synced_source`).

    A tenant named in the URI cannot hold a ``:``.

    >>> read_synced_source("synced:portfolio.json")
    ('default', 'portfolio.json')
    >>> read_synced_source("synced+acme:zoho:acme-eu")
    ('acme', 'zoho:acme-eu')
    >>> read_synced_source("zoho:acme-eu") is None
    True
    """
    scheme, colon, source = uri.partition(":")
    if not colon or not source:
        return None
    if scheme == SYNCED_SCHEME:
        return DEFAULT_TENANT, source
    name, plus, tenant = scheme.partition("+")
    if name == SYNCED_SCHEME and plus and tenant.strip():
        return tenant, source
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _dumps(value: Any) -> str:
    # What the encoder gives is JSON-ready; a raw quarantined record may hold exact
    # decimals (parse_float=Decimal) or whatever else a plugin read: kept as text.
    return json.dumps(value, ensure_ascii=False, default=str)


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _merged(old: Sequence[Any], new: Iterable[Any]) -> list[Any]:
    """*old* records with *new* ones over them by ``id``: a known id keeps its
    place, a new one comes last."""
    by_id = {record["id"]: record for record in old}
    by_id.update((record["id"], record) for record in new)
    return list(by_id.values())


class PortfolioStore:
    """The synced portfolios kept in *ledger*'s database, per tenant and source.

    Args:
        ledger: the open ledger; the store shares its database and transactions.
    """

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        ledger.connection.executescript(_SCHEMA)

    def keep(
        self,
        tenant: str,
        source: str,
        result: LoadResult,
        *,
        replace: bool,
        cursor: str | None = None,
    ) -> int:
        """Keep what a sync of *source* loaded, and *cursor*, in one transaction.

        Either everything is written or, if anything fails, nothing: the store
        and the cursor stay as they were.

        Args:
            tenant: whose load it is.
            source: the source it came from, as the user wrote it.
            result: the client files loaded and the records quarantined.
            replace: the load is the source's complete view: it replaces every
                client file and the quarantine kept for *source*. Otherwise the
                files are merged over the kept ones account by account, staff and
                reports by id, and the quarantine entries of the accounts loaded
                now give way to the new ones.
            cursor: where the next sync of *source* starts; ``None`` keeps the
                ledger's cursor as it is.

        Returns:
            How many client files the store holds for *source* now.
        """
        document = encode_portfolio(result.portfolio)
        files = [
            (client.id, _dumps(encoded))
            for client, encoded in zip(result.portfolio, document["accounts"], strict=True)
        ]
        quarantine = [
            (
                entry.kind,
                entry.location,
                entry.record_id,
                entry.account_id,
                _dumps([[problem.location, problem.message] for problem in entry.problems]),
                _dumps(entry.raw),
            )
            for entry in result.quarantine
        ]
        now = _now()
        key = (tenant, source)
        with self._ledger.transaction() as db:
            header = db.execute(
                f"SELECT exported_at, staff, reports FROM synced_portfolios WHERE {_KEY}", key
            ).fetchone()
            if replace or header is None:
                header = (None, "[]", "[]")
            if replace:
                for table in ("synced_files", "synced_quarantine"):
                    db.execute(f"DELETE FROM {table} WHERE {_KEY}", key)
            exported_at = document.get("exported_at", header[0])
            staff = _merged(_loads(header[1]), document.get("staff", ()))
            reports = _merged(_loads(header[2]), document.get("reports", ()))
            db.execute(
                "INSERT INTO synced_portfolios"
                " (tenant, source, exported_at, staff, reports, synced_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, source) DO UPDATE SET"
                " exported_at = excluded.exported_at, staff = excluded.staff,"
                " reports = excluded.reports, synced_at = excluded.synced_at",
                (*key, exported_at, _dumps(staff), _dumps(reports), now),
            )
            self._write_files(db, key, files, now)
            self._write_quarantine(
                db, key, [account_id for account_id, _ in files], quarantine, now
            )
            if cursor is not None:
                store_cursor(db, tenant, source, cursor)
        return self.count(tenant, source)

    @staticmethod
    def _write_files(
        db: sqlite3.Connection, key: tuple[str, str], files: Sequence[tuple[str, str]], now: str
    ) -> None:
        (last,) = db.execute(
            f"SELECT COALESCE(MAX(position), -1) FROM synced_files WHERE {_KEY}", key
        ).fetchone()
        db.executemany(
            "INSERT INTO synced_files (tenant, source, account_id, position, document, synced_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, source, account_id) DO UPDATE SET"
            " document = excluded.document, synced_at = excluded.synced_at",
            [
                (*key, account_id, last + 1 + index, encoded, now)
                for index, (account_id, encoded) in enumerate(files)
            ],
        )

    @staticmethod
    def _write_quarantine(
        db: sqlite3.Connection,
        key: tuple[str, str],
        loaded: Sequence[str],
        entries: Sequence[tuple[str, str, str | None, str | None, str, str]],
        now: str,
    ) -> None:
        # An account that came in valid now supersedes what was set aside of it before.
        db.executemany(
            f"DELETE FROM synced_quarantine WHERE {_KEY} AND (account_id = ?"
            " OR (kind = 'account' AND record_id = ?))",
            [(*key, account_id, account_id) for account_id in loaded],
        )
        (last,) = db.execute(
            f"SELECT COALESCE(MAX(position), -1) FROM synced_quarantine WHERE {_KEY}", key
        ).fetchone()
        db.executemany(
            "INSERT INTO synced_quarantine (tenant, source, position, kind, location,"
            " record_id, account_id, problems, raw, synced_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*key, last + 1 + index, *entry, now) for index, entry in enumerate(entries)],
        )

    def count(self, tenant: str, source: str) -> int:
        """How many client files the store holds for *source* of *tenant*."""
        (count,) = self._ledger.connection.execute(
            f"SELECT COUNT(*) FROM synced_files WHERE {_KEY}", (tenant, source)
        ).fetchone()
        return int(count)

    def sources(self, tenant: str) -> list[str]:
        """The sources synced for *tenant*, sorted."""
        rows = self._ledger.connection.execute(
            "SELECT source FROM synced_portfolios WHERE tenant = ? ORDER BY source", (tenant,)
        ).fetchall()
        return [row[0] for row in rows]

    def quarantine(self, tenant: str, source: str) -> tuple[Quarantined, ...]:
        """The records of *source* set aside as invalid and not superseded since."""
        rows = self._ledger.connection.execute(
            "SELECT kind, location, record_id, account_id, problems, raw"
            f" FROM synced_quarantine WHERE {_KEY} ORDER BY position",
            (tenant, source),
        ).fetchall()
        return tuple(
            Quarantined(
                kind,
                location,
                record_id,
                account_id,
                tuple(Problem(where, message) for where, message in _loads(problems)),
                _loads(raw),
            )
            for kind, location, record_id, account_id, problems, raw in rows
        )

    def load(self, tenant: str, source: str, *, name: str | None = None) -> LoadResult | None:
        """What the store holds for *source* of *tenant*, or ``None`` if it was never synced.

        The client files are decoded as a portfolio document is, so they are
        checked again: one this kamcore no longer accepts joins the quarantine.

        Args:
            tenant: whose portfolio.
            source: the source as it was synced.
            name: how errors name the store (default: ``synced:SOURCE``).

        Returns:
            The portfolio, its client files in the order they were first
            synced, and the quarantine kept.
        """
        key = (tenant, source)
        db = self._ledger.connection
        header = db.execute(
            f"SELECT exported_at, staff, reports FROM synced_portfolios WHERE {_KEY}", key
        ).fetchone()
        if header is None:
            return None
        rows = db.execute(
            f"SELECT document FROM synced_files WHERE {_KEY} ORDER BY position", key
        ).fetchall()
        exported_at, staff, reports = header
        document: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        if exported_at is not None:
            document["exported_at"] = exported_at
        document["staff"] = _loads(staff)
        document["accounts"] = [_loads(row[0]) for row in rows]
        document["reports"] = _loads(reports)
        decoded = decode_portfolio(
            document, source=name or synced_source(source, tenant), strict=False
        )
        return LoadResult(decoded.portfolio, self.quarantine(tenant, source) + decoded.quarantine)
