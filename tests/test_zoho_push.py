"""Writing actions back to Zoho: Tasks and Notes, each exactly once through re-runs,
207 partial results, connection resets, 5xx, and a process killed mid-push."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kamcore.plugins import get_plugin_manager
from kamcore.stores import Ledger
from kamcore.sync import push
from kamcore_adapters import zoho as adapter
from kamcore_adapters.testing import LoopbackServer
from kamcore_adapters.testing import Request as HttpRequest
from kamcore_adapters.testing import Response as HttpResponse
from kamcore_adapters.testing.zoho import LocalZoho
from zoho_support import (  # noqa: F401 - fixtures
    SOURCE,
    fixture_clock,
    fixture_profile,
    fixture_server,
    fixture_zoho,
    in_zoho,
    make_actions,
    push_via_hook,
    write_profile,
)


@pytest.fixture
def accounts(zoho: LocalZoho) -> list[str]:
    return [zoho.add("Accounts", Account_Name=f"Account {n}") for n in range(3)]


@pytest.fixture
def owner(zoho: LocalZoho) -> str:
    return zoho.add_user("Anna Petrova")


def test_actions_become_tasks_and_notes_that_carry_their_key(
    profile: str, zoho: LocalZoho, accounts: list[str], owner: str
) -> None:
    actions = make_actions(accounts, owner, tasks=2, notes=1)

    results = push_via_hook(actions)

    assert all(r.ok for r in results.values())
    task = zoho.records["Tasks"][results["kam-0000"].record_id]
    assert task["Subject"] == actions[0].title
    assert task["Due_Date"] == "2026-03-09"
    assert task["Priority"] == "High"
    assert task["Status"] == "Not Started"
    assert task["What_Id"]["id"] == accounts[0]
    assert task["$se_module"] == "Accounts"
    assert task["Owner"]["id"] == owner
    assert task["Kamcore_Key"] == "kam-0000"
    assert task["Description"].endswith("\n\nkamcore-key: kam-0000")
    note = zoho.records["Notes"][results["kam-0002"].record_id]
    assert note["Parent_Id"]["id"] == accounts[2]
    assert note["Parent_Id"]["module"]["api_name"] == "Accounts"
    assert note["Note_Content"].endswith("kamcore-key: kam-0002")


def test_more_than_100_actions_go_in_calls_of_at_most_100(
    profile: str, server: LoopbackServer, zoho: LocalZoho, accounts: list[str], owner: str
) -> None:
    actions = make_actions(accounts, owner, tasks=150)

    results = push_via_hook(actions)

    posts = [r for r in server.requests if r.method == "POST" and r.path == "/crm/v8/Tasks"]
    assert [len(r.json()["data"]) for r in posts] == [100, 50]
    assert all(r.ok for r in results.values())
    assert in_zoho(zoho, "Tasks") == sorted(a.key for a in actions)


def test_a_push_reports_progress_per_batch_of_100(
    profile: str, accounts: list[str], owner: str, tmp_path: Path
) -> None:
    actions = make_actions(accounts, owner, tasks=230)
    seen: list[tuple[int, int]] = []

    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        summary = push(
            SOURCE,
            actions,
            ledger,
            plugins=get_plugin_manager(),
            progress=lambda *p: seen.append(p),
        )

    assert summary.created == 230
    assert seen == [(100, 230), (200, 230), (230, 230)]


def test_a_rerun_without_any_ledger_creates_nothing_twice(
    profile: str, zoho: LocalZoho, accounts: list[str], owner: str
) -> None:
    actions = make_actions(accounts, owner, tasks=3, notes=2)
    first = push_via_hook(actions)

    second = push_via_hook(actions)

    assert {k: r.record_id for k, r in second.items()} == {k: r.record_id for k, r in first.items()}
    assert in_zoho(zoho, "Tasks") == ["kam-0000", "kam-0001", "kam-0002"]
    assert in_zoho(zoho, "Notes") == ["kam-0003", "kam-0004"]


def test_pushing_twice_through_the_ledger_skips_everything_the_second_time(
    profile: str, zoho: LocalZoho, accounts: list[str], owner: str, tmp_path: Path
) -> None:
    actions = make_actions(accounts, owner, tasks=3, notes=1)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = push(SOURCE, actions, ledger, plugins=get_plugin_manager())
        second = push(SOURCE, actions, ledger, plugins=get_plugin_manager())

    assert (first.created, first.failed) == (4, 0)
    assert (second.created, second.skipped) == (0, 4)
    assert len(zoho.created["Tasks"]) + len(zoho.created["Notes"]) == 4


def test_a_207_is_read_item_by_item(
    profile: str, zoho: LocalZoho, accounts: list[str], owner: str, tmp_path: Path
) -> None:
    actions = make_actions([*accounts, "5725767000999999999"], owner, tasks=4)

    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        summary = push(SOURCE, actions, ledger, plugins=get_plugin_manager())
        failed = ledger.records("acme", "failed")

    assert (summary.created, summary.failed) == (3, 1)
    assert [r.key for r in failed] == ["kam-0003"]
    assert "INVALID_DATA" in summary.errors["kam-0003"]
    assert "What_Id" in summary.errors["kam-0003"]
    assert in_zoho(zoho, "Tasks") == ["kam-0000", "kam-0001", "kam-0002"]


@pytest.mark.parametrize("handled", [True, False], ids=["after-zoho-wrote", "before"])
@pytest.mark.usefixtures("profile")
def test_a_connection_reset_in_the_middle_of_a_write_batch_creates_each_record_once(
    server: LoopbackServer,
    zoho: LocalZoho,
    accounts: list[str],
    owner: str,
    handled: bool,
) -> None:
    actions = make_actions(accounts, owner, tasks=5, notes=2)
    server.faults.add("/crm/v8/Tasks", "reset", handled=handled)
    server.faults.add("/crm/v8/Notes", "reset", handled=handled)

    results = push_via_hook(actions)

    assert all(r.ok for r in results.values())
    assert in_zoho(zoho, "Tasks") == [f"kam-{n:04d}" for n in range(5)]
    assert in_zoho(zoho, "Notes") == ["kam-0005", "kam-0006"]
    posts = [r for r in server.requests if r.method == "POST" and r.path == "/crm/v8/Tasks"]
    assert len(posts) == (1 if handled else 2)  # sent again only what was not there


def test_a_500_on_a_write_is_looked_up_before_it_is_sent_again(
    profile: str, server: LoopbackServer, zoho: LocalZoho, accounts: list[str], owner: str
) -> None:
    actions = make_actions(accounts, owner, tasks=3)
    server.faults.add(
        "/crm/v8/Tasks",
        "status",
        status=500,
        body={
            "code": "INTERNAL_ERROR",
            "details": {},
            "message": "Internal server error occurred.",
            "status": "error",
        },
    )

    results = push_via_hook(actions)

    assert all(r.ok for r in results.values())
    assert in_zoho(zoho, "Tasks") == ["kam-0000", "kam-0001", "kam-0002"]
    assert any(r.path == "/crm/v8/coql" for r in server.requests)


def test_a_429_on_a_write_is_sent_again_as_zoho_did_nothing(
    profile: str, server: LoopbackServer, zoho: LocalZoho, accounts: list[str], owner: str
) -> None:
    actions = make_actions(accounts, owner, tasks=2)
    server.faults.add("/crm/v8/Tasks", "status", times=3, status=429)

    results = push_via_hook(actions)

    assert all(r.ok for r in results.values())
    assert in_zoho(zoho, "Tasks") == ["kam-0000", "kam-0001"]


def test_find_action_finds_tasks_and_notes_by_key_and_nothing_else(
    profile: str, zoho: LocalZoho, accounts: list[str], owner: str
) -> None:
    actions = make_actions(accounts, owner, tasks=1, notes=1)
    created = push_via_hook(actions)

    found = [adapter.kamcore_find_action(sink=SOURCE, action=action) for action in actions]

    assert found == [created["kam-0000"].record_id, created["kam-0001"].record_id]
    assert adapter.kamcore_find_action(sink="actions.jsonl", action=actions[0]) is None
    assert adapter.kamcore_push_actions(sink="actions.jsonl", actions=actions) is None


def test_find_action_answers_none_for_an_action_not_in_zoho(
    profile: str, accounts: list[str], owner: str
) -> None:
    [task, note] = make_actions(accounts, owner, tasks=1, notes=1)

    assert adapter.kamcore_find_action(sink=SOURCE, action=task) is None
    assert adapter.kamcore_find_action(sink=SOURCE, action=note) is None


# -------------------------------------------------------------------------------------------------
# A process killed between create and ledger mark
# -------------------------------------------------------------------------------------------------

PUSH_SCRIPT = """
import json, sys
from datetime import datetime
from kamcore.actions import Action
from kamcore.stores import Ledger
import kamcore.sync

raw = json.loads(open(sys.argv[2], encoding="utf-8").read())
actions = [
    Action(**{**a, "due": datetime.fromisoformat(a["due"]) if a["due"] else None,
              "evidence": tuple(a["evidence"])})
    for a in raw
]
with Ledger(sys.argv[1]) as ledger:
    summary = kamcore.sync.push(sys.argv[3], actions, ledger)
print(json.dumps({"created": summary.created, "skipped": summary.skipped, "failed": summary.failed}))
"""


@pytest.fixture
def hanging_server(
    zoho: LocalZoho,
) -> Iterator[tuple[LoopbackServer, threading.Event, threading.Event]]:
    """The org, but the first task write hangs after Zoho created the records,
    so the pushing process can be killed before it hears back."""
    created, release = threading.Event(), threading.Event()

    def handler(request: HttpRequest) -> HttpResponse:
        answer = zoho(request)
        if request.method == "POST" and request.path == "/crm/v8/Tasks" and not created.is_set():
            created.set()
            release.wait(30)
        return answer

    with LoopbackServer(handler) as running:
        yield running, created, release
        release.set()


def run_push(ledger: Path, actions_file: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PUSH_SCRIPT, str(ledger), str(actions_file), SOURCE],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_process_killed_between_create_and_ledger_mark_is_recovered_without_duplicates(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    zoho: LocalZoho,
    hanging_server: tuple[LoopbackServer, threading.Event, threading.Event],
    accounts: list[str],
) -> None:
    owner = zoho.add_user("Anna Petrova")
    running, created, release = hanging_server
    write_profile(tmp_path, monkeypatch, zoho, running)
    actions = make_actions(accounts, owner, tasks=4, notes=1)
    actions_file = tmp_path / "actions.json"
    actions_file.write_text(json.dumps([a.as_dict() for a in actions]), encoding="utf-8")
    ledger_path = tmp_path / "ledger.sqlite3"
    env = {**os.environ, "KAMCORE_CONFIG": str(tmp_path / "kamcore.toml")}

    crashed = run_push(ledger_path, actions_file, env)
    assert created.wait(30), "the push never reached Zoho"
    crashed.send_signal(signal.SIGKILL)
    crashed.communicate(timeout=30)
    release.set()

    assert crashed.returncode == -signal.SIGKILL
    assert in_zoho(zoho, "Tasks") == ["kam-0000", "kam-0001", "kam-0002", "kam-0003"]
    with Ledger(ledger_path) as ledger:  # Zoho has them; the ledger never heard back
        assert {r.key: r.status for r in ledger.records("acme")} == {
            f"kam-{n:04d}": "pending" for n in range(5)
        }

    rerun = run_push(ledger_path, actions_file, env)
    out, err = rerun.communicate(timeout=60)

    assert rerun.returncode == 0, err
    assert json.loads(out) == {"created": 1, "skipped": 4, "failed": 0}  # the note was never sent
    assert in_zoho(zoho, "Tasks") == ["kam-0000", "kam-0001", "kam-0002", "kam-0003"]
    assert in_zoho(zoho, "Notes") == ["kam-0004"]
    with Ledger(ledger_path) as ledger:
        done = {r.key: r.record_id for r in ledger.records("acme", "done")}
    assert {done[f"kam-{n:04d}"] for n in range(4)} == set(zoho.created["Tasks"])
