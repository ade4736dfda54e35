"""Writing actions back to Fenxiang Xiaoke: each exactly once, across re-runs, unclear
answers, failures, an exhausted quota and a process killed between create and mark."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

import fxiaoke_support
from fxiaoke_support import (
    T0,
    client_for,
    fxiaoke_plugins,
    seed_accounts,
    serve,
    settings_for,
    write_profile,
)
from kamcore.plugins import DISABLE_ENV
from kamcore.stores import Ledger
from kamcore.sync import push
from kamcore_adapters.fxiaoke import (
    FxiaokeError,
    find_actions,
    kamcore_find_action,
    kamcore_push_actions,
    push_actions,
    update_account_levels,
)
from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing.fxiaoke import LocalFxiaoke, error_answer
from sink_support import sample_actions

CREATE = "/cgi/crm/v2/data/create"
KEY_FIELD = "kamcore_key__c"

# Fixtures shared by the Fenxiang Xiaoke tests.
loopback = fxiaoke_support.loopback


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def crm(clock: ManualClock) -> LocalFxiaoke:
    # Its own tenant per test, so the token budget shared per tenant in this process
    # is not used up by earlier tests.
    return LocalFxiaoke(clock=clock, rate_limit=None, permanent_code=f"perm-{uuid.uuid4().hex}")


@pytest.fixture
def server(loopback: LoopbackServer, crm: LocalFxiaoke) -> LoopbackServer:
    return serve(loopback, crm)


@pytest.fixture
def config(
    crm: LocalFxiaoke, server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A kamcore.toml with the profile ``fxiaoke:test``, named by ``$KAMCORE_CONFIG``."""
    return write_profile(crm, server, tmp_path, monkeypatch)


def keys_in_crm(crm: LocalFxiaoke, object_name: str = "ActiveRecordObj") -> list[str]:
    return sorted(record[KEY_FIELD] for record in crm.records(object_name))


def statuses(ledger: Ledger) -> dict[str, str]:
    return {record.key: record.status for record in ledger.records("acme")}


SINK = "fxiaoke:test"


def test_pushing_twice_creates_each_action_once(
    crm: LocalFxiaoke, config: Path, tmp_path: Path
) -> None:
    actions = sample_actions()
    plugins = fxiaoke_plugins()
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = push(SINK, actions, ledger, plugins=plugins)
        second = push(SINK, actions, ledger, plugins=plugins)
        done = {r.key: r.record_id for r in ledger.records("acme", "done")}
    assert (first.created, first.failed, second.created, second.skipped) == (3, 0, 0, 3)
    assert keys_in_crm(crm) == sorted(a.key for a in actions)
    assert done == {r[KEY_FIELD]: r["_id"] for r in crm.records("ActiveRecordObj")}
    record = next(r for r in crm.records("ActiveRecordObj") if r[KEY_FIELD] == actions[0].key)
    assert record["related_object_data"] == [
        {"describe_api_name": "AccountObj", "id": actions[0].account_id}
    ]
    assert record["owner"] == [actions[0].owner]
    assert record["active_record_content"].startswith(actions[0].title)


def test_a_key_already_in_the_crm_is_not_created_again_even_with_a_lost_ledger(
    crm: LocalFxiaoke, server: LoopbackServer, tmp_path: Path
) -> None:
    actions = sample_actions()
    existing = crm.add("ActiveRecordObj", **{KEY_FIELD: actions[1].key})
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        results = push_actions(client, actions)
    assert {r.key: r.record_id for r in results}[actions[1].key] == existing
    assert all(r.ok for r in results)
    assert keys_in_crm(crm) == sorted(a.key for a in actions)


def test_a_create_with_no_clear_answer_is_looked_up_before_it_is_sent_again(
    crm: LocalFxiaoke, server: LoopbackServer, tmp_path: Path
) -> None:
    # The CRM creates the record, then the connection is reset before the answer.
    server.faults.add(CREATE, "reset", handled=True)
    server.faults.add(CREATE, "status", status=200, body=error_answer(50009))  # not handled
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        results = push_actions(client, sample_actions())
    assert all(r.ok for r in results)
    assert keys_in_crm(crm) == sorted(a.key for a in sample_actions())  # no duplicate


def test_one_failed_action_does_not_stop_the_others_and_succeeds_next_time(
    crm: LocalFxiaoke, server: LoopbackServer, config: Path, tmp_path: Path
) -> None:
    server.faults.add(CREATE, "status", status=200, body=error_answer(20014, "无此操作的数据权限"))
    actions = sample_actions()
    plugins = fxiaoke_plugins()
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = push(SINK, actions, ledger, plugins=plugins)
        failed = [key for key, status in statuses(ledger).items() if status == "failed"]
        second = push(SINK, actions, ledger, plugins=plugins)
    assert (first.created, first.failed) == (2, 1)
    assert "errorCode 20014" in first.errors[failed[0]]
    assert "ActiveRecordObj" in first.errors[failed[0]]
    assert (second.created, second.skipped) == (1, 2)
    assert keys_in_crm(crm) == sorted(a.key for a in actions)


def test_an_exhausted_quota_fails_the_rest_of_the_batch_and_the_next_push_finishes(
    crm: LocalFxiaoke, server: LoopbackServer, config: Path, tmp_path: Path
) -> None:
    crm.trigger(CREATE, at=1, when="after", action=lambda: setattr(crm, "daily_quota", 0))
    plugins = fxiaoke_plugins()
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = push(SINK, sample_actions(), ledger, plugins=plugins)
        crm.daily_quota = None  # the next day
        second = push(SINK, sample_actions(), ledger, plugins=plugins)
    assert (first.created, first.failed) == (1, 2)
    assert all("errorCode 30002" in error for error in first.errors.values())
    assert (second.created, second.skipped) == (2, 1)
    assert keys_in_crm(crm) == sorted(a.key for a in sample_actions())


def test_actions_can_go_to_the_schedule_instead(
    crm: LocalFxiaoke, server: LoopbackServer, tmp_path: Path
) -> None:
    actions = sample_actions()
    settings = settings_for(crm, server.url, tmp_path, writeback_object="ScheduleObj")
    with client_for(settings) as client:
        push_actions(client, actions)
        found = find_actions(client, [action.key for action in actions])
    assert found == {r[KEY_FIELD]: r["_id"] for r in crm.records("ScheduleObj")}
    assert crm.records("ActiveRecordObj") == []
    task = next(r for r in crm.records("ScheduleObj") if r[KEY_FIELD] == actions[0].key)
    assert actions[0].due is not None
    assert task["begin_time"] == int(actions[0].due.timestamp() * 1000)
    assert task["end_time"] - task["begin_time"] == 30 * 60 * 1000
    assert task["participants"] == [actions[0].owner]


def test_the_sink_hooks_answer_only_for_fxiaoke_sinks(crm: LocalFxiaoke, config: Path) -> None:
    action = sample_actions()[0]
    assert kamcore_push_actions(sink="crm.jsonl", actions=[action]) is None
    assert kamcore_find_action(sink="zoho:eu", action=action) is None
    assert kamcore_find_action(sink=SINK, action=action) is None  # not there yet
    (result,) = kamcore_push_actions(sink=SINK, actions=[action]) or ()
    assert kamcore_find_action(sink=SINK, action=action) == result.record_id


# -------------------------------------------------------------------------------------------------
# A process killed between create and mark
# -------------------------------------------------------------------------------------------------

PUSH_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import kamcore.sync
from kamcore.stores import Ledger
from sink_support import sample_actions

with Ledger(sys.argv[2]) as ledger:
    summary = kamcore.sync.push(sys.argv[3], sample_actions(), ledger)
print(json.dumps({"created": summary.created, "skipped": summary.skipped, "failed": summary.failed}))
"""


def _run_push(
    ledger: Path, config: Path, *, on_start: Any = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAMCORE_CONFIG": str(config), DISABLE_ENV: "zoho,example"}
    command = [sys.executable, "-c", PUSH_SCRIPT, str(Path(__file__).parent), str(ledger), SINK]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if on_start is not None:
        on_start(process.pid)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def _gone(pid: int) -> None:
    """Wait until the killed process can no longer run (a zombie, or reaped)."""
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] in {"Z", "X"}:
                return
        except (OSError, IndexError):
            return
        time.sleep(0.005)


def test_a_process_killed_between_create_and_mark_creates_no_duplicate(
    crm: LocalFxiaoke, config: Path, tmp_path: Path
) -> None:
    ledger_path = tmp_path / "ledger.sqlite3"
    victim: dict[str, int] = {}

    def kill() -> None:
        # After the CRM created the second record, before the client hears of it.
        os.kill(victim["pid"], signal.SIGKILL)
        _gone(victim["pid"])

    crm.trigger(CREATE, at=2, when="after", action=kill)
    crashed = _run_push(ledger_path, config, on_start=lambda pid: victim.update(pid=pid))

    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    keys = sorted(a.key for a in sample_actions())
    assert len(crm.records("ActiveRecordObj")) == 2  # the CRM has two...
    with Ledger(ledger_path) as ledger:  # ...the ledger never heard back
        assert statuses(ledger) == dict.fromkeys(keys, "pending")

    rerun = _run_push(ledger_path, config)

    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout) == {"created": 1, "skipped": 2, "failed": 0}
    assert keys_in_crm(crm) == keys  # exactly one record per action
    with Ledger(ledger_path) as ledger:
        done = {r.key: r.record_id for r in ledger.records("acme", "done")}
    assert done == {r[KEY_FIELD]: r["_id"] for r in crm.records("ActiveRecordObj")}


# -------------------------------------------------------------------------------------------------
# account_level from kamcore's tier
# -------------------------------------------------------------------------------------------------


def test_account_levels_follow_the_tier_only_when_allowed_and_after_a_dry_run(
    crm: LocalFxiaoke, server: LoopbackServer, tmp_path: Path
) -> None:
    a, b, c = seed_accounts(crm, 3)  # all at level "2"
    tiers = {a: "strategic", b: "regular", c: "vip"}
    mapping = {"tiers": "1=strategic; 2=regular"}

    with client_for(settings_for(crm, server.url, tmp_path, **mapping)) as client:
        plan = update_account_levels(client, tiers)
        with pytest.raises(FxiaokeError, match="update_account_level is off"):
            update_account_levels(client, tiers, dry_run=False)
    assert [(ch.account_id, ch.current, ch.wanted, ch.applied) for ch in plan] == [
        (x, "2", w, False) for x, w in sorted([(a, "1"), (c, None)])
    ]
    assert {r["account_level"] for r in crm.records("AccountObj")} == {"2"}  # nothing written

    allowed = settings_for(crm, server.url, tmp_path, update_account_level="true", **mapping)
    with client_for(allowed) as client:
        applied = update_account_levels(client, tiers, dry_run=False)
        again = update_account_levels(client, tiers)
    by_id = {change.account_id: change for change in applied}
    assert by_id[a].applied
    assert by_id[c].error == "no account_level option maps to tier 'vip'"
    levels = {r["_id"]: r["account_level"] for r in crm.records("AccountObj")}
    assert levels == {a: "1", b: "2", c: "2"}
    assert [change.account_id for change in again] == [c]  # only the unmappable one is left
