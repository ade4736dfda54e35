"""A kamcore sink that keeps actions in a SQLite file: the worked example of the plugin guide.

The sink ``example:PATH`` stores tasks and notes in the SQLite database at PATH the
way a CRM does: every record gets an id of its own, and the action's key is kept in
a searchable column that is deliberately *not* unique, because most CRMs offer no
idempotency keys. kamcore's ledger, with ``kamcore_find_action``, is what keeps a
re-run from creating duplicates.

Two environment variables exist for kamcore's own tests:

- ``KAMCORE_EXAMPLE_CRASH_AFTER_SEND``: when set, the process dies (exit code 70)
  right after the records of a batch are committed, before kamcore can mark them done.
- ``KAMCORE_EXAMPLE_NOTICES``: a file to which notices for the ``example`` channel
  are appended, one JSON object a line.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import closing
from pathlib import Path

from kamcore import hookimpl
from kamcore.actions import Action, PushResult
from kamcore.notices import Notice

__all__ = [
    "CRASH_ENV",
    "CRASH_EXIT_CODE",
    "NOTICES_ENV",
    "SCHEME",
    "database_path",
    "kamcore_find_action",
    "kamcore_message_catalogs",
    "kamcore_push_actions",
    "kamcore_send_notice",
]

SCHEME = "example:"
CRASH_ENV = "KAMCORE_EXAMPLE_CRASH_AFTER_SEND"
CRASH_EXIT_CODE = 70
NOTICES_ENV = "KAMCORE_EXAMPLE_NOTICES"

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kamcore_key TEXT NOT NULL,  -- searchable, not unique: like a CRM custom field
    kind        TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    owner       TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    due         TEXT
);
CREATE INDEX IF NOT EXISTS records_by_kamcore_key ON records (kamcore_key);
"""


def database_path(sink: str) -> Path | None:
    """The SQLite file of *sink*, or ``None`` when *sink* is not an ``example:`` sink."""
    if not sink.startswith(SCHEME):
        return None
    return Path(sink.removeprefix(SCHEME))


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    return connection


@hookimpl
def kamcore_push_actions(sink: str, actions: Sequence[Action]) -> list[PushResult] | None:
    """Create one record per action, all in one transaction."""
    path = database_path(sink)
    if path is None:
        return None  # not our sink: let another plugin answer
    results = []
    # `db` as a context manager is the transaction: committed at the end of the
    # block, rolled back if anything raises, so a batch that fails creates nothing.
    with closing(_connect(path)) as db, db:
        for action in actions:
            if "FAIL" in action.title:
                # One action refused: an error for it alone, the others go on.
                results.append(PushResult(action.key, error="refused: the title says FAIL"))
                continue
            cursor = db.execute(
                "INSERT INTO records (kamcore_key, kind, account_id, owner, title, body, due)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    action.key,  # stored with the record, so find can look it up
                    action.kind,
                    action.account_id,
                    action.owner,
                    action.title,
                    action.body,
                    action.due.isoformat() if action.due else None,
                ),
            )
            results.append(PushResult(action.key, record_id=str(cursor.lastrowid)))
    if os.environ.get(CRASH_ENV):
        # For kamcore's crash test: die after the sink has the records and before
        # kamcore hears back, the window that kamcore_find_action exists for.
        os._exit(CRASH_EXIT_CODE)
    return results


@hookimpl
def kamcore_find_action(sink: str, action: Action) -> str | None:
    """The id of the record that holds *action*, found by its key; creates nothing."""
    path = database_path(sink)
    if path is None or not path.exists():
        return None
    # Read-only: looking must never create a record, a table or a file.
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        row = db.execute(
            "SELECT id FROM records WHERE kamcore_key = ? ORDER BY id LIMIT 1", (action.key,)
        ).fetchone()
    return str(row[0]) if row else None


@hookimpl
def kamcore_message_catalogs() -> Mapping[str, Mapping[str, str]]:
    """The plugin's own message, in English."""
    return {"en": {"example.record_created": "Created as record {record_id} in {sink}."}}


@hookimpl
def kamcore_send_notice(notice: Notice) -> None:
    """Append a notice for the ``example`` channel to the file named by KAMCORE_EXAMPLE_NOTICES."""
    target = os.environ.get(NOTICES_ENV)
    if not target or notice.channel != "example":
        return  # not for this channel
    line = json.dumps(
        {
            "recipient": notice.recipient,
            "subject": notice.subject,
            "body": notice.body,
            "language": notice.language,
            "account_id": notice.account_id,
            "finding_key": notice.finding_key,
        },
        ensure_ascii=False,
    )
    try:
        with Path(target).open("a", encoding="utf-8") as file:
            file.write(line + "\n")
    except OSError as error:
        # A channel that fails logs and returns, so that the other channels still deliver.
        logger.warning("example channel: cannot append to %s (%s)", target, error.strerror)
