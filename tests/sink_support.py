"""What the push and plugin-package tests share: the example sink plugin, the actions
of a small hand-built agenda, and a look into the sink's SQLite file.

The crash test runs :func:`sample_actions` in a subprocess too, so it must build the
same actions, with the same keys, every time.
"""

from __future__ import annotations

import importlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from kamcore.actions import Action, actions_from_agenda
from kamcore.review import Agenda, Finding

EXAMPLE_PACKAGE = Path(__file__).parent / "plugins" / "kamcore-example-sink"
AS_OF = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def example_sink() -> ModuleType:
    """The installed example plugin; the test fails (not skips) when it is missing."""
    try:
        return importlib.import_module("kamcore_example_sink")
    except ModuleNotFoundError:
        pytest.fail(
            "the example plugin package is not installed: run "
            "`pip install -e tests/plugins/kamcore-example-sink` "
            "(the nox `tests` session installs it)",
            pytrace=False,
        )


def sample_agenda() -> Agenda:
    """Three open findings: two tasks with a due time and a note without one."""
    findings = (
        Finding(
            account_id="KA-001",
            owner="anna",
            principle="responsiveness",
            code="request_unanswered",
            severity="violation",
            evidence=("ev-101",),
            action="answer_request",
            due=AS_OF + timedelta(days=1),
        ),
        Finding(
            account_id="KA-002",
            owner="boris",
            principle="proactive",
            code="no_contact",
            severity="warning",
            evidence=("ev-202", "ev-203"),
            action="call",
            due=AS_OF + timedelta(days=3),
        ),
        Finding(
            account_id="KA-003",
            owner="anna",
            principle="know_the_client",
            code="profile_incomplete",
            severity="info",
            action="complete_profile",
        ),
    )
    return Agenda(as_of=AS_OF, findings=findings)


def sample_actions(tenant: str = "acme") -> list[Action]:
    """The actions of :func:`sample_agenda` for *tenant*."""
    return actions_from_agenda(sample_agenda(), tenant)


def sink_path(sink: str) -> Path:
    """The SQLite file of an ``example:PATH`` sink."""
    return Path(sink.removeprefix("example:"))


def sink_rows(sink: str) -> list[tuple[int, str]]:
    """``(id, action key)`` of every record in the example sink, by id; none if no file."""
    path = sink_path(sink)
    if not path.exists():
        return []
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT id, kamcore_key FROM records ORDER BY id").fetchall()
