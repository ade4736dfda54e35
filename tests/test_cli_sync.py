"""``kamcore sync``, ``kamcore push`` and ``kamcore plugins``: summaries, the ledger,
dry runs, failures, progress and errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from kamcore import LoadResult, hookimpl
from kamcore.cli import main
from kamcore.fileformat import FORMAT, VERSION, decode_portfolio
from kamcore.plugins import DISABLE_ENV, get_plugin_manager
from kamcore.stores import Ledger
from kamcore.sync import ChangeSet

T0 = "2026-11-10T09:00:00+00:00"

VALID = {
    "id": "KA-001",
    "name": "纷享贸易有限公司",
    "owner": "u-anna",
    "events": [{"kind": "request", "id": "R-1", "at": T0, "subject": "скидка"}],
}
INVALID = {"id": "KA-002", "name": "Corner Shop"}  # no owner


def document(*accounts: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": "2026-11-20T18:00:00+00:00",
        "accounts": list(accounts),
    }


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty folder, with no ledger from the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KAMCORE_LEDGER", raising=False)
    monkeypatch.delenv(DISABLE_ENV, raising=False)


@pytest.fixture
def portfolio(tmp_path: Path) -> str:
    path = tmp_path / "portfolio.json"
    path.write_text(json.dumps(document(VALID), ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.fixture
def invalid_portfolio(tmp_path: Path) -> str:
    path = tmp_path / "invalid.json"
    path.write_text(json.dumps(document(VALID, INVALID), ensure_ascii=False), encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ledger_keys(path: Path, tenant: str = "default") -> list[tuple[str, str]]:
    with Ledger(path) as ledger:
        return [(record.key, record.status) for record in ledger.records(tenant)]


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -------------------------------------------------------------------------------------------------
# kamcore push
# -------------------------------------------------------------------------------------------------


def test_push_twice_creates_each_action_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = str(tmp_path / "state" / "ledger.sqlite3")
    code, out, err = run(capsys, "push", "actions.jsonl", "--ledger", ledger)
    assert (code, err) == (0, "")  # no progress line when stderr is not a terminal
    count = len(jsonl(tmp_path / "actions.jsonl"))
    assert count > 0  # the sample has open findings
    assert out == f"created {count}, skipped as duplicate 0, failed 0, quarantined 0\n"

    code, out, err = run(capsys, "push", "file:actions.jsonl", "--ledger", ledger)
    # The ledger knows a sink by its name, and file:actions.jsonl is another name; the
    # file sink finds every key in the file and writes nothing again.
    assert (code, err) == (0, "")
    assert out == f"created {count}, skipped as duplicate 0, failed 0, quarantined 0\n"
    assert len(jsonl(tmp_path / "actions.jsonl")) == count

    code, out, err = run(capsys, "push", "actions.jsonl", "--ledger", ledger)
    assert (code, err) == (0, "")
    assert out == f"created 0, skipped as duplicate {count}, failed 0, quarantined 0\n"
    assert len(jsonl(tmp_path / "actions.jsonl")) == count


def test_push_reviews_the_source_as_of_the_moment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, portfolio: str
) -> None:
    code, out, _ = run(capsys, "push", "out.jsonl", portfolio, "--as-of", "2026-11-20")
    assert code == 0
    actions = [record["action"] for record in jsonl(tmp_path / "out.jsonl")]
    assert out == f"created {len(actions)}, skipped as duplicate 0, failed 0, quarantined 0\n"
    assert {action["account_id"] for action in actions} == {"KA-001"}
    assert "request_unanswered" in {action["finding_code"] for action in actions}
    assert {action["tenant"] for action in actions} == {"default"}


def test_the_default_ledger_is_in_the_current_folder_or_from_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "push", "a.jsonl")[0] == 0
    assert ledger_keys(tmp_path / "kamcore-ledger.sqlite3")
    monkeypatch.setenv("KAMCORE_LEDGER", str(tmp_path / "env" / "ledger.sqlite3"))
    assert run(capsys, "push", "b.jsonl")[0] == 0
    assert len(ledger_keys(tmp_path / "env" / "ledger.sqlite3")) == len(jsonl(tmp_path / "b.jsonl"))


def test_tenants_have_their_own_actions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "push", "actions.jsonl")
    count = len(jsonl(tmp_path / "actions.jsonl"))
    code, out, _ = run(capsys, "push", "actions.jsonl", "--tenant", "acme-eu")
    assert (code, out) == (0, f"created {count}, skipped as duplicate 0, failed 0, quarantined 0\n")
    tenants = [record["action"]["tenant"] for record in jsonl(tmp_path / "actions.jsonl")]
    assert tenants == ["default"] * count + ["acme-eu"] * count
    assert len(ledger_keys(tmp_path / "kamcore-ledger.sqlite3", "acme-eu")) == count


def test_a_blank_tenant_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "push", "actions.jsonl", "--tenant", " ")
    assert code == 2
    assert "a tenant name cannot be blank" in err


def test_dry_run_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "push", "actions.jsonl", "--dry-run")
    assert (code, err) == (0, "")
    assert out.startswith("dry run, nothing sent: would create ")
    assert out.endswith(", would skip as duplicate 0, quarantined 0\n")
    assert int(out.split("would create ")[1].split(",")[0]) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no sink file, no ledger


def test_dry_run_after_a_push_counts_duplicates_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "push", "actions.jsonl")
    before = (tmp_path / "actions.jsonl").read_bytes()
    keys = ledger_keys(tmp_path / "kamcore-ledger.sqlite3")
    code, out, _ = run(capsys, "push", "actions.jsonl", "--dry-run")
    assert code == 0
    assert out == (
        f"dry run, nothing sent: would create 0, would skip as duplicate {len(keys)}, "
        "quarantined 0\n"
    )
    assert (tmp_path / "actions.jsonl").read_bytes() == before
    assert ledger_keys(tmp_path / "kamcore-ledger.sqlite3") == keys

    code, out, _ = run(capsys, "push", "other.jsonl", "--dry-run")
    assert out.startswith(f"dry run, nothing sent: would create {len(keys)}, ")
    assert not (tmp_path / "other.jsonl").exists()
    assert ledger_keys(tmp_path / "kamcore-ledger.sqlite3") == keys


def test_failed_actions_are_listed_exit_1_and_retried(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "actions.jsonl").mkdir()  # cannot be written
    code, out, err = run(capsys, "push", "actions.jsonl")
    assert code == 1
    failed = int(out.split("failed ")[1].split(",")[0])
    assert failed > 0
    assert out == f"created 0, skipped as duplicate 0, failed {failed}, quarantined 0\n"
    head, *lines = err.splitlines()
    assert head == (
        f"kamcore: error: {failed} actions failed; the ledger keeps them for the next push"
    )
    # The same error for every action: one line, naming one action and counting the rest.
    assert len(lines) == 1
    assert lines[0].startswith("  kam-")
    assert f" and {failed - 1} other actions: " in lines[0]
    assert lines[0].endswith(": SourceError: actions.jsonl: cannot write (Is a directory)")
    assert "Traceback" not in err

    (tmp_path / "actions.jsonl").rmdir()
    code, out, err = run(capsys, "push", "actions.jsonl")
    assert (code, err) == (0, "")
    assert out == f"created {failed}, skipped as duplicate 0, failed 0, quarantined 0\n"


@pytest.mark.parametrize("sink", ["nosuch:acme-eu", "actions.json", "file:actions.csv"])
def test_a_sink_no_plugin_writes_to_is_one_error_line(
    capsys: pytest.CaptureFixture[str], sink: str
) -> None:
    code, out, err = run(capsys, "push", sink)
    assert (code, out) == (1, "")
    assert err == f"kamcore: error: {sink}: no installed plugin writes to this sink\n"


def test_push_of_an_invalid_source_refuses_it_or_collects_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, invalid_portfolio: str
) -> None:
    code, out, err = run(capsys, "push", "actions.jsonl", invalid_portfolio)
    assert (code, out) == (1, "")
    assert err.startswith(f"kamcore: error: {invalid_portfolio}: 1 problem\n")
    assert not (tmp_path / "actions.jsonl").exists()

    code, out, err = run(capsys, "push", "actions.jsonl", invalid_portfolio, "--collect")
    assert code == 0
    assert out.endswith(", failed 0, quarantined 1\n")
    assert err.splitlines() == [
        f"kamcore: warning: {invalid_portfolio}: 1 record quarantined; showing the valid records",
        "  accounts[1] (id=KA-002) [account]: owner: missing",
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kamcore.sync.BATCH_SIZE", 20)
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code, out, _ = run(capsys, "push", "actions.jsonl")
    total = len(jsonl(tmp_path / "actions.jsonl"))
    assert (code, out) == (0, f"created {total}, skipped as duplicate 0, failed 0, quarantined 0\n")
    assert total > 20
    shown = terminal.getvalue()
    steps = [*range(20, total, 20), total]
    width = len(f"pushed {total}/{total}")
    # Each batch overwrites the line; the line is cleared at the end.
    assert shown == "".join(f"\rpushed {done}/{total}" for done in steps) + f"\r{' ' * width}\r"
    assert "\n" not in shown


# -------------------------------------------------------------------------------------------------
# kamcore sync
# -------------------------------------------------------------------------------------------------


def test_sync_of_a_json_portfolio_is_a_full_load(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, portfolio: str
) -> None:
    code, out, err = run(capsys, "sync", portfolio, "--ledger", "ledger.sqlite3")
    assert (code, err) == (0, "")
    assert out == (
        f"{portfolio}: 1 account loaded, 0 records quarantined; "
        "no cursor kept (the source's plugin loads it only in full)\n"
        f"synced:{portfolio}: 1 client file kept\n"
    )
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        assert ledger.cursor("default", portfolio) is None


def test_sync_quarantines_invalid_records_unless_strict(
    capsys: pytest.CaptureFixture[str], invalid_portfolio: str
) -> None:
    code, out, err = run(capsys, "sync", invalid_portfolio)
    assert code == 0
    assert out.startswith(f"{invalid_portfolio}: 1 account loaded, 1 record quarantined; ")
    assert err.splitlines()[1:] == ["  accounts[1] (id=KA-002) [account]: owner: missing"]

    code, out, err = run(capsys, "sync", invalid_portfolio, "--strict")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"kamcore: error: {invalid_portfolio}: 1 problem",
        "  accounts[1] (id=KA-002).owner: missing",
    ]


class Changes:
    """A source ``changes:`` that loads incrementally: each cursor is one more ``+``."""

    def __init__(self, portfolio: str) -> None:
        self.portfolio = portfolio
        self.since: list[str | None] = []

    @hookimpl
    def kamcore_load_changes(
        self, source: str, since: str | None, strict: bool
    ) -> ChangeSet | None:
        if not source.startswith("changes:"):
            return None
        self.since.append(since)
        data = json.loads(Path(self.portfolio).read_text(encoding="utf-8"))
        result: LoadResult = decode_portfolio(data, source=source, strict=strict)
        return ChangeSet(result, (since or "c") + "+")


def test_sync_keeps_the_cursor_of_an_incremental_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, portfolio: str
) -> None:
    plugin = Changes(portfolio)
    monkeypatch.setattr(
        "kamcore.cli._sync.get_plugin_manager", lambda: get_plugin_manager(plugins=[plugin])
    )
    outputs = [
        run(capsys, "sync", "changes:acme")[1].splitlines(),
        run(capsys, "sync", "changes:acme")[1].splitlines(),
        run(capsys, "sync", "changes:acme", "--since", "x")[1].splitlines(),
        run(capsys, "sync", "changes:acme", "--full")[1].splitlines(),
        run(capsys, "sync", "changes:acme", "--tenant", "other")[1].splitlines(),
    ]
    assert plugin.since == [None, "c+", "x", None, None]
    assert outputs[1] == [
        "changes:acme: 1 account loaded, 0 records quarantined; cursor kept: c++",
        "synced:changes:acme: 1 client file kept",
    ]
    assert [out[0].rsplit(" ", 1)[1] for out in outputs] == ["c+", "c++", "x+", "c+", "c+"]
    assert outputs[4][1] == "synced+other:changes:acme: 1 client file kept"


def test_since_and_full_cannot_go_together(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sync", "x.json", "--since", "c", "--full")
    assert code == 2
    assert "not allowed with argument" in err


def test_sync_of_a_source_no_plugin_reads_is_one_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "sync", "nosuch:acme-eu")
    assert (code, out) == (1, "")
    assert err == "kamcore: error: nosuch:acme-eu: no installed plugin reads this source\n"


def test_a_ledger_that_is_not_a_database_is_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, portfolio: str
) -> None:
    (tmp_path / "notes.txt").write_text("not a database\n" * 200, encoding="utf-8")
    code, out, err = run(capsys, "sync", portfolio, "--ledger", "notes.txt")
    assert (code, out) == (1, "")
    assert err == "kamcore: error: notes.txt: cannot open the ledger (file is not a database)\n"


# -------------------------------------------------------------------------------------------------
# kamcore plugins
# -------------------------------------------------------------------------------------------------


def test_plugins_lists_each_plugin_with_its_hooks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plugins")
    assert (code, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "DISTRIBUTION", "VERSION", "HOOKS"]
    by_name = {row.split()[0]: row.split(maxsplit=3)[1:] for row in rows}
    assert by_name["files"][:2] == ["kamcore", "0.1.0"]
    assert by_name["files"][2].split(", ") == [
        "kamcore_find_action",
        "kamcore_load_portfolio",
        "kamcore_push_actions",
    ]
    assert by_name["principles"][2] == "kamcore_principles"
    assert list(by_name) == sorted(by_name)


def test_plugins_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plugins", "--format", "json")
    assert code == 0
    plugins = {plugin["name"]: plugin for plugin in json.loads(out)}
    assert plugins["principles"] == {
        "name": "principles",
        "distribution": "kamcore",
        "version": "0.1.0",
        "hooks": ["kamcore_principles"],
        "disabled": False,
    }
    assert "kamcore_push_actions" in plugins["files"]["hooks"]


def test_plugins_shows_a_disabled_plugin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DISABLE_ENV, "principles")
    code, out, _ = run(capsys, "plugins")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("principles "))
    assert row.split()[1:] == ["kamcore", "0.1.0", "disabled", "by", DISABLE_ENV]
    code, out, _ = run(capsys, "plugins", "--format", "json")
    principles = next(p for p in json.loads(out) if p["name"] == "principles")
    assert (principles["hooks"], principles["disabled"]) == ([], True)
