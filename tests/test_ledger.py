"""The action ledger: statuses, record ids, errors, cursors, tenants, durability."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import attrs
import pytest

from kamcore.actions import Action
from kamcore.stores import ActionRecord, Ledger
from sink_support import sample_actions

SINK = "example:crm.sqlite3"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "ledger.sqlite3"


@pytest.fixture
def ledger(path: Path) -> Iterator[Ledger]:
    with Ledger(path) as ledger:
        yield ledger


@pytest.fixture
def action() -> Action:
    return sample_actions()[0]


def test_the_schema_is_created_with_the_missing_folders(ledger: Ledger, path: Path) -> None:
    assert path.is_file()
    with closing(sqlite3.connect(path)) as db:
        tables = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    assert {"actions", "cursors"} <= tables
    assert ledger.records("acme") == []


def test_opening_an_existing_ledger_twice_is_harmless(ledger: Ledger, path: Path) -> None:
    with Ledger(path) as again:
        assert again.records("acme") == []


def test_pending_then_done_with_the_record_id(ledger: Ledger, action: Action) -> None:
    assert ledger.get("acme", SINK, action.key) is None

    ledger.record_pending(SINK, action)
    assert ledger.get("acme", SINK, action.key) == ActionRecord(
        "acme", action.key, SINK, "pending", None, None
    )

    ledger.mark_done("acme", SINK, action.key, "rec-42")
    assert ledger.get("acme", SINK, action.key) == ActionRecord(
        "acme", action.key, SINK, "done", "rec-42", None
    )


def test_failed_keeps_the_error_until_the_next_attempt(ledger: Ledger, action: Action) -> None:
    ledger.record_pending(SINK, action)
    ledger.mark_failed("acme", SINK, action.key, "HTTP 503")

    failed = ledger.get("acme", SINK, action.key)
    assert failed is not None
    assert (failed.status, failed.record_id, failed.error) == ("failed", None, "HTTP 503")

    ledger.record_pending(SINK, action)  # tried again
    retried = ledger.get("acme", SINK, action.key)
    assert retried is not None
    assert (retried.status, retried.error) == ("pending", None)

    ledger.mark_done("acme", SINK, action.key, "rec-7")
    done = ledger.get("acme", SINK, action.key)
    assert done is not None
    assert (done.status, done.record_id, done.error) == ("done", "rec-7", None)


def test_records_by_tenant_and_status(ledger: Ledger) -> None:
    first, second, third = sample_actions()
    for action in (first, second, third):
        ledger.record_pending(SINK, action)
    ledger.mark_done("acme", SINK, first.key, "1")
    ledger.mark_failed("acme", SINK, second.key, "refused")

    assert [r.key for r in ledger.records("acme")] == sorted([first.key, second.key, third.key])
    assert [r.key for r in ledger.records("acme", "done")] == [first.key]
    assert [r.key for r in ledger.records("acme", "failed")] == [second.key]
    assert [r.key for r in ledger.records("acme", "pending")] == [third.key]


def test_tenants_are_kept_apart(ledger: Ledger) -> None:
    ours = sample_actions("a")[0]
    theirs = sample_actions("b")[0]
    # Even an action of b's under a's key would not be a's.
    impostor = attrs.evolve(theirs, key=ours.key)
    for action in (ours, theirs, impostor):
        ledger.record_pending(SINK, action)
    ledger.mark_done("a", SINK, ours.key, "1")

    assert [(r.tenant, r.key, r.status) for r in ledger.records("a")] == [("a", ours.key, "done")]
    assert {(r.tenant, r.status) for r in ledger.records("b")} == {("b", "pending")}
    assert ledger.get("a", SINK, theirs.key) is None
    with pytest.raises(KeyError):
        ledger.mark_done("a", SINK, theirs.key, "2")


def test_one_action_in_two_sinks_is_two_records(ledger: Ledger, action: Action) -> None:
    ledger.record_pending(SINK, action)
    ledger.record_pending("file:tasks.jsonl", action)
    ledger.mark_done("acme", SINK, action.key, "1")

    assert [(r.sink, r.status) for r in ledger.records("acme")] == [
        (SINK, "done"),
        ("file:tasks.jsonl", "pending"),
    ]


@pytest.mark.parametrize(
    "mark",
    [
        lambda ledger, key: ledger.mark_done("acme", SINK, key, "1"),
        lambda ledger, key: ledger.mark_failed("acme", SINK, key, "error"),
    ],
    ids=["done", "failed"],
)
def test_marking_an_unknown_action_raises_key_error(
    ledger: Ledger, action: Action, mark: Callable[[Ledger, str], None]
) -> None:
    with pytest.raises(KeyError, match="not in the ledger"):
        mark(ledger, action.key)
    assert ledger.records("acme") == []


def test_marking_an_action_of_another_sink_raises_key_error(ledger: Ledger, action: Action) -> None:
    ledger.record_pending(SINK, action)
    with pytest.raises(KeyError):
        ledger.mark_done("acme", "other:sink", action.key, "1")  # same key, another sink
    assert ledger.records("acme") == [ActionRecord("acme", action.key, SINK, "pending", None, None)]


def test_cursors_per_tenant_and_source(ledger: Ledger) -> None:
    assert ledger.cursor("a", "zoho:eu") is None

    ledger.set_cursor("a", "zoho:eu", "2026-03-01T00:00:00Z")
    ledger.set_cursor("a", "zoho:cn", "page-7")
    ledger.set_cursor("b", "zoho:eu", "2026-02-01T00:00:00Z")
    ledger.set_cursor("a", "zoho:eu", "2026-03-02T00:00:00Z")  # moves on

    assert ledger.cursor("a", "zoho:eu") == "2026-03-02T00:00:00Z"
    assert ledger.cursor("a", "zoho:cn") == "page-7"
    assert ledger.cursor("b", "zoho:eu") == "2026-02-01T00:00:00Z"
    assert ledger.cursor("b", "zoho:cn") is None


def test_reopening_the_file_keeps_everything(path: Path) -> None:
    first, second = sample_actions()[:2]
    with Ledger(path) as ledger:
        ledger.record_pending(SINK, first)
        ledger.mark_done("acme", SINK, first.key, "rec-1")
        ledger.record_pending(SINK, second)
        ledger.mark_failed("acme", SINK, second.key, "refused")
        ledger.set_cursor("acme", "zoho:eu", "c-1")
        before = ledger.records("acme")

    with Ledger(path) as ledger:
        assert ledger.records("acme") == before
        assert ledger.cursor("acme", "zoho:eu") == "c-1"


def test_every_write_is_committed_at_once(ledger: Ledger, path: Path, action: Action) -> None:
    # What a crash right after a write would leave: another connection sees it.
    ledger.record_pending(SINK, action)
    ledger.set_cursor("acme", "zoho:eu", "c-1")

    with Ledger(path) as other:
        record = other.get("acme", SINK, action.key)
        assert record is not None
        assert record.status == "pending"
        assert other.cursor("acme", "zoho:eu") == "c-1"
