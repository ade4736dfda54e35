"""The file adapter's sink: actions appended to a JSON Lines file, each exactly once.

Every push goes through :func:`kamcore.sync.push` with a real SQLite ledger and
the installed plugins (the file adapter found through its entry point).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import kamcore
import kamcore_adapters.files
from kamcore import SourceError
from kamcore.actions import Action, actions_from_agenda
from kamcore.classification import load_classifier
from kamcore.review import review
from kamcore.stores import Ledger
from kamcore.sync import push

TENANT = "acme-eu"


def make_action(number: int, *, title: str = "Call back") -> Action:
    return Action(
        key=f"kam-{number:024x}",
        tenant=TENANT,
        kind="task",
        account_id=f"KA-{number:03d}",
        owner="u-anna",
        title=title,
        body="request unanswered (violation)\nrecommended action: give_answer_date",
        due=datetime(2026, 11, 20, 18, tzinfo=UTC),
        finding_code="request_unanswered",
        severity="violation",
        evidence=(f"R-{number}",),
    )


ACTIONS = [make_action(n) for n in range(1, 6)]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger_:
        yield ledger_


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -------------------------------------------------------------------------------------------------
# Created once
# -------------------------------------------------------------------------------------------------


def test_push_appends_one_line_per_action(tmp_path: Path, ledger: Ledger) -> None:
    sink = str(tmp_path / "actions.jsonl")
    summary = push(sink, ACTIONS, ledger)
    assert (summary.created, summary.skipped, summary.failed) == (5, 0, 0)
    records = lines(tmp_path / "actions.jsonl")
    assert records == [
        {"record_id": f"actions.jsonl:{n}", "key": action.key, "action": action.as_dict()}
        for n, action in enumerate(ACTIONS, start=1)
    ]
    done = ledger.records(TENANT, "done")
    assert [(r.key, r.record_id) for r in done] == [
        (action.key, f"actions.jsonl:{n}") for n, action in enumerate(ACTIONS, start=1)
    ]


def test_second_push_creates_nothing(tmp_path: Path, ledger: Ledger) -> None:
    sink = f"file:{tmp_path / 'actions.jsonl'}"
    push(sink, ACTIONS, ledger)
    again = push(sink, ACTIONS, ledger)
    assert (again.created, again.skipped, again.failed) == (0, 5, 0)
    assert len((tmp_path / "actions.jsonl").read_bytes().splitlines()) == 5


def test_new_actions_are_appended_after_the_old_ones(tmp_path: Path, ledger: Ledger) -> None:
    sink = str(tmp_path / "actions.jsonl")
    push(sink, ACTIONS[:3], ledger)
    summary = push(sink, ACTIONS, ledger)
    assert (summary.created, summary.skipped) == (2, 3)
    records = lines(tmp_path / "actions.jsonl")
    assert [r["key"] for r in records] == [a.key for a in ACTIONS]
    assert [r["record_id"] for r in records] == [f"actions.jsonl:{n}" for n in range(1, 6)]


def test_the_review_of_the_sample_is_pushed_once(tmp_path: Path, ledger: Ledger) -> None:
    result = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO)
    moment = result.portfolio.exported_at
    assert moment is not None
    agenda = review(result.portfolio.as_of(moment), moment, classifier=load_classifier(None))
    actions = actions_from_agenda(agenda, TENANT)
    assert actions
    sink = str(tmp_path / "out" / "actions.jsonl")  # the folder is created
    assert push(sink, actions, ledger).created == len(actions)
    assert push(sink, actions, ledger).skipped == len(actions)
    assert len(lines(tmp_path / "out" / "actions.jsonl")) == len(actions)


def test_non_ascii_text_is_written_as_utf8(tmp_path: Path, ledger: Ledger) -> None:
    action = make_action(1, title="回电话: скидка")
    push(str(tmp_path / "a.jsonl"), [action], ledger)
    assert "回电话: скидка" in (tmp_path / "a.jsonl").read_text(encoding="utf-8")


def test_every_batch_is_fsynced(
    tmp_path: Path, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kamcore.sync.BATCH_SIZE", 2)
    synced: list[tuple[str, int]] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        what = "folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file"
        synced.append((what, len((tmp_path / "actions.jsonl").read_bytes().splitlines())))
        real_fsync(descriptor)

    monkeypatch.setattr(kamcore_adapters.files._sink.os, "fsync", fsync)
    push(str(tmp_path / "actions.jsonl"), ACTIONS, ledger)
    # The file after each batch of two; its folder once, when the file is new.
    assert synced == [("file", 2), ("folder", 2), ("file", 4), ("file", 5)]


# -------------------------------------------------------------------------------------------------
# Found again
# -------------------------------------------------------------------------------------------------


def test_find_action_returns_the_record_id(tmp_path: Path, ledger: Ledger) -> None:
    sink = str(tmp_path / "actions.jsonl")
    push(sink, ACTIONS, ledger)
    hook = kamcore.get_plugin_manager().hook
    assert hook.kamcore_find_action(sink=sink, action=ACTIONS[2]) == "actions.jsonl:3"
    assert hook.kamcore_find_action(sink=f"file:{sink}", action=ACTIONS[4]) == "actions.jsonl:5"
    assert hook.kamcore_find_action(sink=sink, action=make_action(99)) is None
    assert hook.kamcore_find_action(sink=str(tmp_path / "none.jsonl"), action=ACTIONS[0]) is None
    assert not (tmp_path / "none.jsonl").exists()  # finding creates nothing


def test_a_crash_after_the_write_is_not_pushed_twice(tmp_path: Path, ledger: Ledger) -> None:
    """The sink wrote the line, then the run died before the ledger marked it done."""
    sink = str(tmp_path / "actions.jsonl")
    kamcore_adapters.files.kamcore_push_actions(sink, ACTIONS[:2])
    for action in ACTIONS[:2]:
        ledger.record_pending(sink, action)
    summary = push(sink, ACTIONS, ledger)
    assert (summary.created, summary.skipped) == (3, 2)
    assert [r["key"] for r in lines(tmp_path / "actions.jsonl")] == [a.key for a in ACTIONS]
    assert ledger.get(TENANT, sink, ACTIONS[1].key).record_id == "actions.jsonl:2"  # type: ignore[union-attr]


def test_a_batch_that_failed_after_the_write_is_not_written_twice(
    tmp_path: Path, ledger: Ledger
) -> None:
    """The sink wrote the lines, then the batch raised: the ledger has them failed, and
    the next push finds them in the file first and writes nothing twice."""
    sink = str(tmp_path / "actions.jsonl")
    kamcore_adapters.files.kamcore_push_actions(sink, ACTIONS[:2])
    for action in ACTIONS[:2]:
        ledger.record_pending(sink, action)
        ledger.mark_failed(TENANT, sink, action.key, "TimeoutError: no answer")
    summary = push(sink, ACTIONS, ledger)
    assert (summary.created, summary.skipped) == (3, 2)
    assert [r["key"] for r in lines(tmp_path / "actions.jsonl")] == [a.key for a in ACTIONS]
    assert ledger.get(TENANT, sink, ACTIONS[0].key).record_id == "actions.jsonl:1"  # type: ignore[union-attr]


def test_a_line_cut_short_by_a_crash_is_ended_before_new_records(
    tmp_path: Path, ledger: Ledger
) -> None:
    path = tmp_path / "actions.jsonl"
    push(str(path), ACTIONS[:1], ledger)
    with path.open("ab") as handle:
        handle.write(b'{"record_id": "actions.jsonl:2", "key": "kam-')
    push(str(path), ACTIONS, ledger)
    raw = path.read_text(encoding="utf-8").splitlines()
    assert len(raw) == 6
    records = [json.loads(raw[0]), *map(json.loads, raw[2:])]
    assert [r["key"] for r in records] == [a.key for a in ACTIONS]
    assert [r["record_id"] for r in records] == ["actions.jsonl:1"] + [
        f"actions.jsonl:{n}" for n in range(3, 7)
    ]


def test_an_action_the_file_holds_is_not_written_again_with_a_new_ledger(
    tmp_path: Path, ledger: Ledger
) -> None:
    sink = str(tmp_path / "actions.jsonl")
    push(sink, ACTIONS, ledger)
    with Ledger(tmp_path / "other.sqlite3") as other:
        summary = push(sink, [*ACTIONS, make_action(6)], other)
        assert summary.created == 6  # the sink holds them all now
        assert other.get(TENANT, sink, ACTIONS[0].key).record_id == "actions.jsonl:1"  # type: ignore[union-attr]
    assert len(lines(tmp_path / "actions.jsonl")) == 6


def test_an_unwritable_file_fails_the_batch_and_keeps_it(tmp_path: Path, ledger: Ledger) -> None:
    (tmp_path / "actions.jsonl").mkdir()
    sink = str(tmp_path / "actions.jsonl")
    summary = push(sink, ACTIONS, ledger)
    assert (summary.created, summary.failed) == (0, 5)
    assert set(summary.errors.values()) == {f"SourceError: {sink}: cannot write (Is a directory)"}
    assert len(ledger.records(TENANT, "failed")) == 5


# -------------------------------------------------------------------------------------------------
# Not its sinks
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sink", ["zoho:acme-eu", "memo:x.jsonl", "actions.json", "file:actions.csv", "out/", ""]
)
def test_other_sinks_are_left_to_other_plugins(sink: str, tmp_path: Path) -> None:
    files = kamcore_adapters.files
    assert files.kamcore_push_actions(sink, ACTIONS) is None
    assert files.kamcore_find_action(sink, ACTIONS[0]) is None


def test_a_sink_no_plugin_writes_to_is_an_error(tmp_path: Path, ledger: Ledger) -> None:
    with pytest.raises(SourceError, match="salesforce:acme-eu: no installed plugin writes"):
        push("salesforce:acme-eu", ACTIONS, ledger)


def test_a_file_uri_is_a_sink_too(tmp_path: Path, ledger: Ledger) -> None:
    path = tmp_path / "with space.jsonl"
    push(path.as_uri(), ACTIONS, ledger)
    assert lines(path)[0]["record_id"] == "with space.jsonl:1"


# -------------------------------------------------------------------------------------------------
# A sink no plugin writes to
# -------------------------------------------------------------------------------------------------


def test_a_sink_no_plugin_writes_to_leaves_the_ledger_untouched(ledger: Ledger) -> None:
    with pytest.raises(SourceError):
        push("nosuch:acme-eu", ACTIONS, ledger)
    assert ledger.records(TENANT) == []
