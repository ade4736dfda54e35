"""The example sink's own tests, as a plugin author writes them: the plugin registered
in a fixture, kamcore's real push and ledger around it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import kamcore_example_sink
import pluggy
import pytest

from kamcore import get_plugin_manager
from kamcore.actions import Action
from kamcore.stores import Ledger
from kamcore.sync import push


@pytest.fixture
def plugins() -> pluggy.PluginManager:
    # Only this plugin: no other installed plugin can answer in its place.
    return get_plugin_manager(entry_points=False, plugins=[kamcore_example_sink])


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        yield ledger


def make_action(key: str, title: str = "Call the buyer") -> Action:
    return Action(
        key=key,
        tenant="acme",
        kind="note",
        account_id="KA-001",
        owner="anna",
        title=title,
        body="No contact for 45 days.",
        finding_code="no_contact",
        severity="warning",
    )


def count_records(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        (count,) = db.execute("SELECT count(*) FROM records").fetchone()
    return int(count)


def test_pushing_twice_creates_each_record_once(
    plugins: pluggy.PluginManager, ledger: Ledger, tmp_path: Path
) -> None:
    sink = f"example:{tmp_path / 'crm.sqlite3'}"
    actions = [make_action("kam-1"), make_action("kam-2")]

    first = push(sink, actions, ledger, plugins=plugins)
    second = push(sink, actions, ledger, plugins=plugins)

    assert (first.created, second.created, second.skipped) == (2, 0, 2)
    assert count_records(tmp_path / "crm.sqlite3") == 2


def test_a_crash_between_send_and_mark_creates_no_duplicate(
    plugins: pluggy.PluginManager, ledger: Ledger, tmp_path: Path
) -> None:
    sink = f"example:{tmp_path / 'crm.sqlite3'}"
    action = make_action("kam-1")
    push(sink, [action], ledger, plugins=plugins)
    ledger.record_pending(sink, action)  # what a crash before the ledger heard back leaves

    again = push(sink, [action], ledger, plugins=plugins)

    assert (again.created, again.skipped) == (0, 1)  # found by kamcore_find_action
    assert count_records(tmp_path / "crm.sqlite3") == 1


def test_one_refused_action_does_not_stop_the_others(
    plugins: pluggy.PluginManager, ledger: Ledger, tmp_path: Path
) -> None:
    sink = f"example:{tmp_path / 'crm.sqlite3'}"
    actions = [make_action("kam-1"), make_action("kam-2", title="FAIL on purpose")]

    summary = push(sink, actions, ledger, plugins=plugins)

    assert (summary.created, summary.failed) == (1, 1)
    assert summary.errors == {"kam-2": "refused: the title says FAIL"}


def test_find_action_finds_what_push_created_and_creates_nothing(tmp_path: Path) -> None:
    sink = f"example:{tmp_path / 'crm.sqlite3'}"
    action = make_action("kam-1")

    assert kamcore_example_sink.kamcore_find_action(sink=sink, action=action) is None
    assert not (tmp_path / "crm.sqlite3").exists()
    [result] = kamcore_example_sink.kamcore_push_actions(sink=sink, actions=[action]) or []
    found = kamcore_example_sink.kamcore_find_action(sink=sink, action=action)
    assert found == result.record_id
    assert count_records(tmp_path / "crm.sqlite3") == 1


def test_other_sinks_are_left_to_other_plugins() -> None:
    action = make_action("kam-1")
    assert kamcore_example_sink.kamcore_push_actions(sink="zoho:acme", actions=[action]) is None
    assert kamcore_example_sink.kamcore_find_action(sink="zoho:acme", action=action) is None
