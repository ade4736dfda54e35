"""The ``kamcore`` command line: ``accounts``, ``show``, errors and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from kamcore import (
    Account,
    ClientFile,
    Contact,
    PersonalNote,
    Portfolio,
    StaffMember,
    Timeline,
    Transaction,
)
from kamcore.cli import main
from kamcore.fileformat import dumps_portfolio, encode_client_file
from kamcore.model import Decision, Interaction, Promise, Request

EXPORTED_AT = datetime(2026, 11, 20, 18, tzinfo=UTC)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in November 2026, UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def sample() -> Portfolio:
    """Two accounts: a full client file and a Chinese one with nothing but a name."""
    acme = ClientFile(
        account=Account(
            id="A-1",
            name="Acme Handel GmbH",
            owner="u-anna",
            tier="key",
            client_since=date(2019, 4, 1),
            facts={"potential": 120, "uses_competitor": True},
            contacts=[
                Contact(
                    id="C-1",
                    name="Olena Kovalenko",
                    position="Head of purchasing",
                    channel="call",
                    language="uk",
                )
            ],
            needs=["spare parts"],
            preferences=["calls before e-mails"],
            personal_notes=[PersonalNote(text="Supports Dynamo Kyiv.", topic="sport")],
        ),
        transactions=[
            Transaction(
                id="T-1",
                at=at(1),
                product="Pump X200",
                amount=Decimal("1200.50"),
                currency="EUR",
            ),
            Transaction(
                id="T-2", at=at(19), product="Service", amount=Decimal("-35.00"), currency="EUR"
            ),
        ],
        timeline=Timeline(
            [
                # Given out of order: the output must still be in time order.
                Interaction(id="I-1", at=at(15, 9), by="u-anna", channel="call", topics=["update"]),
                Request(id="R-1", at=at(2), subject="Volume discount", contact_id="C-1"),
                Promise(id="P-1", at=at(3), what="Send the contract", due=at(10, 17)),
                Decision(
                    id="D-1", at=at(20, 23, 30), finding="silence", action="acknowledge"
                ),  # late on the 20th, before the end of that day but after the export
                Interaction(id="I-2", at=at(25), channel="email"),  # after the export
            ]
        ),
    )
    china = ClientFile(account=Account(id="A-2", name="纷享贸易有限公司", owner="u-li"))
    return Portfolio(
        files=[acme, china],
        staff=[StaffMember(id="u-anna", name="Anna Petrova")],
        exported_at=EXPORTED_AT,
    )


@pytest.fixture
def source(tmp_path: Path) -> str:
    path = tmp_path / "portfolio.json"
    path.write_text(dumps_portfolio(sample()), encoding="utf-8")
    return str(path)


def write_document(tmp_path: Path, document: Any, name: str = "portfolio.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- accounts -------------------------------------------------------------------------------


def test_accounts_table_has_a_header_and_a_row_per_account(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, err = run(capsys, "accounts", source)
    assert (code, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split() == [
        "ID",
        "NAME",
        "OWNER",
        "TIER",
        "CONTACTS",
        "TRANSACTIONS",
        "EVENTS",
        "LAST",
        "EVENT",
    ]
    assert len(rows) == 2
    # As of the export (18:00 on the 20th): D-1 and I-2 are not visible yet.
    assert rows[0].split() == [
        "A-1",
        "Acme",
        "Handel",
        "GmbH",
        "u-anna",
        "key",
        "1",
        "2",
        "3",
        "2026-11-15",
    ]
    assert rows[1].split() == ["A-2", "纷享贸易有限公司", "u-li", "—", "0", "0", "0", "—"]


def test_accounts_json_lists_the_same_fields(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, _ = run(capsys, "accounts", source, "--format", "json")
    assert code == 0
    assert "纷享贸易有限公司" in out  # not \u-escaped
    assert json.loads(out) == [
        {
            "id": "A-1",
            "name": "Acme Handel GmbH",
            "owner": "u-anna",
            "tier": "key",
            "contacts": 1,
            "transactions": 2,
            "events": 3,
            "last_event_at": "2026-11-15T09:00:00+00:00",
        },
        {
            "id": "A-2",
            "name": "纷享贸易有限公司",
            "owner": "u-li",
            "tier": None,
            "contacts": 0,
            "transactions": 0,
            "events": 0,
            "last_event_at": None,
        },
    ]


def test_accounts_table_aligns_columns_after_wide_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 8, 4, 14, 10 and 8 columns wide: ideographs, kana and full-width letters count twice
    names = ["纷享销客", "Acme", "株式会社テスト", "\uff21\uff22\uff23 Ltd", "Бета ООД"]
    portfolio = Portfolio(
        files=[
            ClientFile(account=Account(id=f"A-{i}", name=name, owner="owner"))
            for i, name in enumerate(names)
        ]
    )
    path = tmp_path / "wide.json"
    path.write_text(dumps_portfolio(portfolio), encoding="utf-8")
    code, out, _ = run(capsys, "accounts", str(path))
    assert code == 0
    header, *rows = out.splitlines()
    assert len(rows) == len(names)
    starts = {width(row[: row.index("owner")]) for row in rows}
    assert starts == {width(header[: header.index("OWNER")])}


# --- show ----------------------------------------------------------------------------------


def test_show_table_prints_the_client_file(capsys: pytest.CaptureFixture[str], source: str) -> None:
    code, out, err = run(capsys, "show", "A-1", source)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "A-1  Acme Handel GmbH"
    assert lines[1] == "as of 2026-11-20 18:00+00:00"
    for expected in (
        "owner         u-anna (Anna Petrova)",
        "tier          key",
        "client since  2019-04-01",
        "uses_competitor  true",
        "C-1  Olena Kovalenko  Head of purchasing  call     uk",
        "- spare parts",
        "- calls before e-mails",
        "- sport: Supports Dynamo Kyiv.",
        "2026-11-01  T-1  Pump X200  1200.50  EUR",
        "2026-11-19  T-2  Service     -35.00  EUR",
    ):
        assert any(line.strip() == expected for line in lines), expected
    amounts = [line for line in lines if line.strip().startswith("2026-11-")][:2]
    assert [line.index("EUR") for line in amounts] == [amounts[0].index("EUR")] * 2
    timeline = lines[lines.index("Timeline (3 events)") + 1 :]
    assert [line.split()[3] for line in timeline] == ["R-1", "P-1", "I-1"]
    assert timeline[0].split()[2] == "request"
    assert 'subject="Volume discount"' in timeline[0]
    assert "due=2026-11-10T17:00:00+00:00" in timeline[1]
    assert "topics=[update]" in timeline[2]
    assert "by=u-anna" in timeline[2]


def test_show_json_is_the_encoded_client_file(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, _ = run(capsys, "show", "A-1", source, "--format", "json")
    assert code == 0
    expected = encode_client_file(sample()["A-1"].as_of(EXPORTED_AT))
    assert json.loads(out) == json.loads(json.dumps(expected))
    assert [e["id"] for e in json.loads(out)["events"]] == ["R-1", "P-1", "I-1"]


# --- as of ---------------------------------------------------------------------------------


def events_of(out: str) -> dict[str, int]:
    return {row["id"]: row["events"] for row in json.loads(out)}


@pytest.mark.parametrize(
    ("as_of", "events"),
    [
        ("2026-11-02T12:00+00:00", 1),  # R-1 only
        ("2026-11-02T15:00+03:00", 1),  # the same moment, elsewhere
        ("2026-11-02T12:00+03:00", 0),  # 09:00 UTC: before R-1
        ("2026-11-02T09:00:00Z", 0),  # before R-1
        ("2026-11-20", 4),  # the end of the day in UTC: D-1 at 23:30 is in
        ("2026-11-21T00:00+00:00", 4),
        ("2026-12-01T00:00+00:00", 5),  # later than the export: I-2 too
    ],
)
def test_as_of_hides_later_events(
    capsys: pytest.CaptureFixture[str], source: str, as_of: str, events: int
) -> None:
    code, out, _ = run(capsys, "accounts", source, "--format", "json", "--as-of", as_of)
    assert code == 0
    assert events_of(out)["A-1"] == events


def test_as_of_defaults_to_the_export_time(capsys: pytest.CaptureFixture[str], source: str) -> None:
    _, out, _ = run(capsys, "accounts", source, "--format", "json")
    assert events_of(out)["A-1"] == 3


def test_as_of_defaults_to_now_without_an_export_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    client = ClientFile(
        account=Account(id="A-1", name="Acme", owner="u"),
        timeline=Timeline(
            [
                Interaction(id="I-1", at=datetime(2020, 1, 1, tzinfo=UTC), channel="call"),
                Interaction(id="I-2", at=datetime(2999, 1, 1, tzinfo=UTC), channel="call"),
            ]
        ),
    )
    path = tmp_path / "now.json"
    path.write_text(dumps_portfolio(Portfolio(files=[client])), encoding="utf-8")
    _, out, _ = run(capsys, "accounts", str(path), "--format", "json")
    assert events_of(out)["A-1"] == 1


def test_show_as_of_hides_later_transactions_and_events(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, _ = run(capsys, "show", "A-1", source, "--as-of", "2026-11-02T12:00+00:00")
    assert code == 0
    assert "as of 2026-11-02 12:00+00:00" in out
    assert "Transactions (1)" in out
    assert "Timeline (1 event)" in out
    assert "P-1" not in out


@pytest.mark.parametrize("command", [["accounts"], ["show", "A-1"]])
def test_naive_as_of_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], source: str, command: list[str]
) -> None:
    code, out, err = run(capsys, *command, source, "--as-of", "2026-11-20T18:00")
    assert (code, out) == (2, "")
    assert "give an offset, e.g. 2026-11-20T18:00+00:00" in err
    assert "Traceback" not in err


def test_malformed_as_of_is_a_usage_error(capsys: pytest.CaptureFixture[str], source: str) -> None:
    code, _, err = run(capsys, "accounts", source, "--as-of", "next tuesday")
    assert code == 2
    assert "'next tuesday' is not an ISO 8601 date" in err


# --- errors --------------------------------------------------------------------------------


def test_unknown_account_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, err = run(capsys, "show", "KA-999", source)
    assert (code, out) == (1, "")
    assert err == f"kamcore: error: no account with id 'KA-999' in {source}\n"


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")
    code, out, err = run(capsys, "accounts", missing)
    assert (code, out) == (1, "")
    assert err == f"kamcore: error: {missing}: no such file or folder\n"


def test_invalid_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "kamcore.portfolio", "accounts": [', encoding="utf-8")
    code, out, err = run(capsys, "accounts", str(path))
    assert (code, out) == (1, "")
    first, second, *rest = err.splitlines()
    assert first == f"kamcore: error: {path}: 1 problem"
    assert second.startswith("  $: not valid JSON")
    assert rest == []


def bad_document() -> dict[str, Any]:
    """One good account, one with a bad event, one without an owner."""
    return {
        "format": "kamcore.portfolio",
        "version": 1,
        "accounts": [
            {
                "id": "A-1",
                "name": "Acme",
                "owner": "u-anna",
                "events": [
                    {
                        "kind": "interaction",
                        "id": "E-1",
                        "at": "2026-11-01T10:00",
                        "channel": "call",
                    }
                ],
            },
            {"id": "A-2", "name": "Бета ООД"},
            {"id": "A-3", "name": "Гамма", "owner": "u-olga"},
        ],
    }


def test_invalid_record_strict_lists_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_document(tmp_path, bad_document())
    code, out, err = run(capsys, "accounts", path)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"kamcore: error: {path}: 2 problems",
        "  accounts[0] (id=A-1).events[0] (id=E-1).at: naive datetime; give an offset",
        "  accounts[1] (id=A-2).owner: missing",
    ]


def test_many_problems_are_cut_at_twenty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = {
        "format": "kamcore.portfolio",
        "accounts": [{"id": f"A-{i}", "name": "X"} for i in range(25)],
    }
    path = write_document(tmp_path, document)
    code, _, err = run(capsys, "accounts", path)
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == f"kamcore: error: {path}: 25 problems"
    assert lines[1:21] == [f"  accounts[{i}] (id=A-{i}).owner: missing" for i in range(20)]
    assert lines[21:] == ["  … and 5 more (use --collect to load the valid records)"]


def test_collect_reports_the_quarantine_and_shows_the_valid_records(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_document(tmp_path, bad_document())
    code, out, err = run(capsys, "accounts", path, "--collect")
    assert code == 0
    assert err.splitlines() == [
        f"kamcore: warning: {path}: 2 records quarantined; showing the valid records",
        "  accounts[0] (id=A-1).events[0] (id=E-1) [event]: at: naive datetime; give an offset",
        "  accounts[1] (id=A-2) [account]: owner: missing",
    ]
    assert [line.split()[0] for line in out.splitlines()] == ["ID", "A-1", "A-3"]
    assert out.splitlines()[1].split()[-2:] == ["0", "—"]  # the bad event is gone


def test_collect_is_quiet_on_a_clean_source(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, _, err = run(capsys, "show", "A-2", source, "--collect")
    assert (code, err) == (0, "")


def test_collect_still_refuses_an_unreadable_document(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_document(tmp_path, {"format": "something.else", "accounts": []})
    code, _, err = run(capsys, "accounts", path, "--collect")
    assert code == 1
    assert err.splitlines()[0] == f"kamcore: error: {path}: 1 problem"
    assert "format: expected 'kamcore.portfolio'" in err


# --- the command itself --------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out == f"kamcore {version('kamcore')}\n"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert (code, out) == (2, "")
    assert err.startswith("usage: kamcore")


def test_default_source_is_the_sample_portfolio(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "accounts")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split()[:3] == ["ID", "NAME", "OWNER"]


def kamcore_command() -> list[str]:
    script = shutil.which("kamcore") or str(Path(sys.executable).with_name("kamcore"))
    return [script] if Path(script).exists() else [sys.executable, "-m", "kamcore.cli"]


@pytest.mark.parametrize(
    "command", [kamcore_command(), [sys.executable, "-m", "kamcore.cli"]], ids=["script", "-m"]
)
def test_installed_command_runs_and_never_shows_a_traceback(
    tmp_path: Path, source: str, command: list[str]
) -> None:
    good = subprocess.run(
        [*command, "show", "A-2", source], capture_output=True, text=True, check=False
    )
    assert (good.returncode, good.stderr) == (0, "")
    assert good.stdout.startswith("A-2  纷享贸易有限公司\n")
    bad = subprocess.run(
        [*command, "accounts", write_document(tmp_path, bad_document())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("kamcore: error: ")
    assert "Traceback" not in bad.stderr


def test_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    portfolio = Portfolio(
        files=[
            ClientFile(account=Account(id=f"A-{i:05}", name="Acme Handel GmbH", owner="u-anna"))
            for i in range(3000)  # far more output than a pipe buffer holds
        ]
    )
    path = tmp_path / "big.json"
    path.write_text(dumps_portfolio(portfolio, indent=None), encoding="utf-8")
    with subprocess.Popen(
        [*kamcore_command(), "accounts", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b"ID")
        process.stdout.close()  # like `kamcore accounts | head -1`
        err = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert err == ""
    assert code == 0
