"""push() with a real ledger and the example sink plugin: every action created exactly
once, across re-runs, a crash between send and mark, failures and tenants."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pluggy
import pytest

import kamcore.sync
from kamcore import get_plugin_manager, hookimpl
from kamcore.actions import Action, PushResult
from kamcore.plugins import DISABLE_ENV
from kamcore.stores import Ledger
from kamcore.sync import push
from sink_support import example_sink, sample_actions, sink_path, sink_rows


@pytest.fixture
def plugin() -> ModuleType:
    return example_sink()


@pytest.fixture
def plugins(plugin: ModuleType) -> pluggy.PluginManager:
    """Only the example sink: no other installed plugin can answer in its place."""
    return get_plugin_manager(entry_points=False, plugins=[plugin])


@pytest.fixture
def sink(tmp_path: Path) -> str:
    return f"example:{tmp_path / 'crm.sqlite3'}"


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite3"


@pytest.fixture
def ledger(ledger_path: Path) -> Iterator[Ledger]:
    with Ledger(ledger_path) as ledger:
        yield ledger


def statuses(ledger: Ledger, tenant: str = "acme") -> dict[str, str]:
    return {record.key: record.status for record in ledger.records(tenant)}


def test_pushing_the_same_actions_twice_creates_nothing_the_second_time(
    plugins: pluggy.PluginManager, sink: str, ledger: Ledger
) -> None:
    actions = sample_actions()

    first = push(sink, actions, ledger, plugins=plugins)
    second = push(sink, actions, ledger, plugins=plugins)

    assert (first.created, first.skipped, first.failed) == (3, 0, 0)
    assert (second.created, second.skipped, second.failed) == (0, 3, 0)
    rows = sink_rows(sink)
    assert sorted(key for _, key in rows) == sorted(action.key for action in actions)
    done = {record.key: record.record_id for record in ledger.records("acme", "done")}
    assert done == {key: str(record_id) for record_id, key in rows}


def test_progress_is_reported_per_batch(
    plugins: pluggy.PluginManager, sink: str, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kamcore.sync, "BATCH_SIZE", 2)
    seen: list[tuple[int, int]] = []

    push(sink, sample_actions(), ledger, plugins=plugins, progress=lambda *p: seen.append(p))

    assert seen == [(2, 3), (3, 3)]
    assert len(sink_rows(sink)) == 3


# -------------------------------------------------------------------------------------------------
# A crash between send and mark
# -------------------------------------------------------------------------------------------------

# Run in a subprocess, with the plugins installed (the example sink found through its
# entry point), so that the sink can kill the process as a crash would.
PUSH_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import kamcore.sync
from kamcore.stores import Ledger
from sink_support import sample_actions

kamcore.sync.BATCH_SIZE = int(sys.argv[4])
with Ledger(sys.argv[2]) as ledger:
    summary = kamcore.sync.push(sys.argv[3], sample_actions(), ledger)
print(json.dumps({"created": summary.created, "skipped": summary.skipped, "failed": summary.failed}))
"""


def run_push(
    ledger_path: Path, sink: str, *, crash: bool, batch_size: int
) -> subprocess.CompletedProcess[str]:
    plugin = example_sink()
    env = {k: v for k, v in os.environ.items() if k not in {plugin.CRASH_ENV, DISABLE_ENV}}
    if crash:
        env[plugin.CRASH_ENV] = "1"
    command = [sys.executable, "-c", PUSH_SCRIPT, str(Path(__file__).parent)]
    return subprocess.run(
        [*command, str(ledger_path), sink, str(batch_size)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def summary_of(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert run.returncode == 0, run.stderr
    summary: dict[str, Any] = json.loads(run.stdout)
    return summary


def test_a_crash_after_the_sink_created_the_records_is_recovered_without_duplicates(
    ledger_path: Path, sink: str
) -> None:
    keys = sorted(action.key for action in sample_actions())

    crashed = run_push(ledger_path, sink, crash=True, batch_size=100)

    assert crashed.returncode == example_sink().CRASH_EXIT_CODE, crashed.stderr
    assert sorted(key for _, key in sink_rows(sink)) == keys  # the sink has them...
    with Ledger(ledger_path) as ledger:  # ...the ledger never heard back
        assert statuses(ledger) == dict.fromkeys(keys, "pending")

    summary = summary_of(run_push(ledger_path, sink, crash=False, batch_size=100))

    assert summary == {"created": 0, "skipped": 3, "failed": 0}
    rows = sink_rows(sink)
    assert sorted(key for _, key in rows) == keys  # exactly one record per action
    with Ledger(ledger_path) as ledger:
        done = {record.key: record.record_id for record in ledger.records("acme", "done")}
    assert done == {key: str(record_id) for record_id, key in rows}  # found, not resent


def test_a_crash_in_the_first_batch_leaves_the_later_batches_to_the_next_run(
    ledger_path: Path, sink: str
) -> None:
    first_batch = [action.key for action in sample_actions()[:2]]

    crashed = run_push(ledger_path, sink, crash=True, batch_size=2)

    assert crashed.returncode == example_sink().CRASH_EXIT_CODE, crashed.stderr
    assert [key for _, key in sink_rows(sink)] == first_batch
    with Ledger(ledger_path) as ledger:
        assert statuses(ledger) == dict.fromkeys(first_batch, "pending")

    summary = summary_of(run_push(ledger_path, sink, crash=False, batch_size=2))

    assert summary == {"created": 1, "skipped": 2, "failed": 0}
    assert sorted(key for _, key in sink_rows(sink)) == sorted(a.key for a in sample_actions())
    with Ledger(ledger_path) as ledger:
        assert set(statuses(ledger).values()) == {"done"}


def test_an_action_left_pending_before_it_reached_the_sink_is_sent(
    plugins: pluggy.PluginManager, sink: str, ledger: Ledger
) -> None:
    # A crash after the ledger recorded it and before the sink got it.
    actions = sample_actions()
    ledger.record_pending(sink, actions[0])

    summary = push(sink, actions, ledger, plugins=plugins)

    assert (summary.created, summary.skipped) == (3, 0)
    assert len(sink_rows(sink)) == 3


# -------------------------------------------------------------------------------------------------
# Tenants
# -------------------------------------------------------------------------------------------------


def test_two_tenants_in_one_ledger_never_see_each_others_actions(
    plugins: pluggy.PluginManager, sink: str, ledger: Ledger
) -> None:
    ours, theirs = sample_actions("a"), sample_actions("b")
    # The same findings, but not the same actions.
    assert not {a.key for a in ours} & {b.key for b in theirs}

    push(sink, ours, ledger, plugins=plugins)
    summary = push(sink, theirs, ledger, plugins=plugins)

    assert (summary.created, summary.skipped) == (3, 0)  # b's are not taken for a's
    assert {r.key for r in ledger.records("a")} == {a.key for a in ours}
    assert {r.key for r in ledger.records("b")} == {b.key for b in theirs}
    assert {r.tenant for r in ledger.records("a")} == {"a"}
    assert all(ledger.get("a", sink, b.key) is None for b in theirs)
    assert len(sink_rows(sink)) == 6


# -------------------------------------------------------------------------------------------------
# Failures
# -------------------------------------------------------------------------------------------------


def test_a_failing_action_is_marked_failed_and_the_others_done(
    plugins: pluggy.PluginManager, sink: str, ledger: Ledger
) -> None:
    actions = sample_actions()
    actions[1] = attrs.evolve(actions[1], title=f"FAIL {actions[1].title}")

    summary = push(sink, actions, ledger, plugins=plugins)

    assert (summary.created, summary.failed) == (2, 1)
    assert summary.errors == {actions[1].key: "refused: the title says FAIL"}
    failed = ledger.get("acme", sink, actions[1].key)
    assert failed is not None
    assert (failed.status, failed.record_id, failed.error) == (
        "failed",
        None,
        "refused: the title says FAIL",
    )
    assert statuses(ledger) == {
        actions[0].key: "done",
        actions[1].key: "failed",
        actions[2].key: "done",
    }
    again = push(sink, actions, ledger, plugins=plugins)
    assert (again.created, again.skipped, again.failed) == (0, 2, 1)  # retried, not dropped
    assert [key for _, key in sink_rows(sink)] == [actions[0].key, actions[2].key]


@attrs.define
class Outage:
    """A plugin that takes the sink down for its first *calls* batches, raising as a client
    library does; registered after the example sink, so pluggy asks it first."""

    calls: int = 1
    error: Exception = attrs.field(factory=lambda: ConnectionError("sink unreachable"))
    after_send: ModuleType | None = None
    """When set, the batch reaches the sink through this plugin before the error (a
    timeout on the response)."""

    @hookimpl
    def kamcore_push_actions(self, sink: str, actions: Sequence[Action]) -> None:
        if self.calls:
            self.calls -= 1
            if self.after_send is not None:
                self.after_send.kamcore_push_actions(sink=sink, actions=actions)
            raise self.error


def test_a_batch_that_raises_loses_nothing_and_succeeds_next_run(
    plugin: ModuleType, sink: str, ledger: Ledger
) -> None:
    plugins = get_plugin_manager(entry_points=False, plugins=[plugin, Outage()])
    actions = sample_actions()

    down = push(sink, actions, ledger, plugins=plugins)

    assert (down.created, down.failed) == (0, 3)
    assert set(down.errors.values()) == {"ConnectionError: sink unreachable"}
    assert statuses(ledger) == {action.key: "failed" for action in actions}
    assert {r.error for r in ledger.records("acme")} == {"ConnectionError: sink unreachable"}
    assert sink_rows(sink) == []

    up = push(sink, actions, ledger, plugins=plugins)

    assert (up.created, up.skipped, up.failed) == (3, 0, 0)
    assert statuses(ledger) == {action.key: "done" for action in actions}
    assert len(sink_rows(sink)) == 3


def test_a_batch_that_raised_after_the_sink_created_it_is_not_created_twice(
    plugin: ModuleType, sink: str, ledger: Ledger
) -> None:
    timeout = Outage(error=TimeoutError("no response"), after_send=plugin)
    plugins = get_plugin_manager(entry_points=False, plugins=[plugin, timeout])
    actions = sample_actions()

    push(sink, actions, ledger, plugins=plugins)
    push(sink, actions, ledger, plugins=plugins)

    assert len(sink_rows(sink)) == 3


def test_the_same_action_twice_in_one_push_is_created_once(
    plugins: pluggy.PluginManager, sink: str, ledger: Ledger
) -> None:
    action = sample_actions()[0]

    summary = push(sink, [action, action], ledger, plugins=plugins)

    assert len(sink_rows(sink)) == 1
    assert summary.created == 1


def test_a_sink_no_plugin_writes_to_is_an_error(
    plugins: pluggy.PluginManager, ledger: Ledger
) -> None:
    with pytest.raises(kamcore.SourceError, match="no installed plugin writes to this sink"):
        push("nowhere:tasks", sample_actions(), ledger, plugins=plugins)


# -------------------------------------------------------------------------------------------------
# Dry run
# -------------------------------------------------------------------------------------------------


@attrs.define
class Recorder:
    """A plugin that notes every sink hook call and answers none."""

    calls: list[str] = attrs.field(factory=list)

    @hookimpl
    def kamcore_push_actions(self, sink: str) -> None:
        self.calls.append(f"push {sink}")

    @hookimpl
    def kamcore_find_action(self, sink: str) -> None:
        self.calls.append(f"find {sink}")


def test_dry_run_sends_and_records_nothing(plugin: ModuleType, sink: str, ledger: Ledger) -> None:
    recorder = Recorder()
    plugins = get_plugin_manager(entry_points=False, plugins=[plugin, recorder])
    actions = sample_actions()

    summary = push(sink, actions, ledger, dry_run=True, plugins=plugins)

    assert (summary.created, summary.skipped, summary.failed) == (3, 0, 0)
    assert recorder.calls == []
    assert ledger.records("acme") == []
    assert not sink_path(sink).exists()


def test_dry_run_counts_what_is_done_as_skipped(
    plugins: pluggy.PluginManager, sink: str, ledger: Ledger
) -> None:
    actions = sample_actions()
    push(sink, actions[:2], ledger, plugins=plugins)
    before = ledger.records("acme")

    summary = push(sink, actions, ledger, dry_run=True, plugins=plugins)

    assert (summary.created, summary.skipped) == (1, 2)
    assert ledger.records("acme") == before
    assert len(sink_rows(sink)) == 2


def test_the_example_sink_answers_only_for_its_own_sinks(plugin: ModuleType) -> None:
    action = sample_actions()[0]
    assert plugin.kamcore_push_actions(sink="file:tasks.jsonl", actions=[action]) is None
    assert plugin.kamcore_find_action(sink="file:tasks.jsonl", action=action) is None


def test_push_result_ok_needs_a_record_and_no_error() -> None:
    assert PushResult("k", record_id="1").ok
    assert not PushResult("k").ok
    assert not PushResult("k", record_id="1", error="partly").ok
