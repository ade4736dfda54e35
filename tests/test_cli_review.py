"""``kamcore review``: the agenda as a table, JSON and Markdown; escalation levels and
--policy, --owner, --as-of, errors."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from kamcore import Account, ClientFile, Portfolio, StaffMember, Timeline, Transaction
from kamcore.classification import DEFAULT_RULES
from kamcore.cli import main
from kamcore.cli._render import display_width
from kamcore.fileformat import dumps_portfolio
from kamcore.model import Decision, Promise, Request, RequestAnswered
from kamcore.review import installed_principles, review
from kamcore.review.principles import service

EXPORTED_AT = datetime(2026, 11, 20, 18, tzinfo=UTC)
SCHEMA = json.loads(
    resources.files("kamcore.review").joinpath("agenda.schema.json").read_text(encoding="utf-8")
)
ESCALATION_SCHEMA = json.loads(
    resources.files("kamcore.escalation")
    .joinpath("escalation.schema.json")
    .read_text(encoding="utf-8")
)


def validate(data: dict[str, Any]) -> None:
    """Validate *data* against the agenda schema, and each open finding's ``escalation``
    against the escalation schema.

    The agenda schema (owned by the review) does not list ``escalation`` yet; it is
    added here as a reference, as the proposed schema change does.
    """
    schema = copy.deepcopy(SCHEMA)
    finding = schema["$defs"]["Finding"]["properties"]
    finding.setdefault("escalation", {"$ref": ESCALATION_SCHEMA["$id"]})
    registry: Registry[Any] = Registry().with_resource(
        ESCALATION_SCHEMA["$id"], Resource.from_contents(ESCALATION_SCHEMA)
    )
    jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.FormatChecker()
    ).validate(data)


def without_escalations(data: dict[str, Any]) -> dict[str, Any]:
    """*data* as the agenda writes it, without each finding's ``escalation``."""
    stripped = copy.deepcopy(data)
    for finding in stripped["findings"]:
        del finding["escalation"]
    return stripped


def at(day: int, hour: int = 10) -> datetime:
    """A moment in November 2026, UTC."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def sample() -> Portfolio:
    """Three regular-tier accounts (a 48-hour response SLA, 48 hours of grace on promises).

    As of the export: A-1's request was answered and its overdue promise is
    snoozed; A-2 (u-li) and A-3 (u-anna) each have a request unanswered for days.
    """
    acme = ClientFile(
        account=Account(id="A-1", name="Acme Handel GmbH", owner="u-anna"),
        timeline=Timeline(
            [
                Request(id="R-1", at=at(15), subject="Volume discount"),
                RequestAnswered(id="RA-1", at=at(19, 12), request_id="R-1"),
                Promise(id="P-1", at=at(1), what="Send the contract", due=at(10, 17)),
                Decision(
                    id="D-1",
                    at=at(20, 9),
                    finding="promise_overdue",
                    action="snooze",
                    until=at(25),
                ),
            ]
        ),
    )
    huaxin = ClientFile(
        account=Account(id="A-2", name="华信科技有限公司", owner="u-li"),
        timeline=Timeline([Request(id="R-2", at=at(17, 8), subject="报价")]),
        transactions=[
            Transaction(id="T-1", at=at(2), product="泵", amount=Decimal(88000), currency="CNY")
        ],
    )
    corner = ClientFile(
        account=Account(id="A-3", name="Corner|Shop *Ltd*", owner="u-anna"),
        timeline=Timeline([Request(id="R-3", at=at(10, 9), subject="Catalogue")]),
    )
    return Portfolio(
        files=[acme, huaxin, corner],
        staff=[
            StaffMember(id="u-anna", name="Anna Petrova"),
            StaffMember(id="u-li", name="李伟"),
            StaffMember(id="u-boss", name="Boris Head", role="department_head"),
        ],
        exported_at=EXPORTED_AT,
    )


SERVICE = (service.RESPONSIVENESS, service.COMMITMENT, service.HONESTY)


@pytest.fixture(autouse=True)
def service_principles_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the built-in plugin to the clocks of requests and promises, so that the
    exact output below does not change as principles are added (one test runs
    every installed principle)."""
    monkeypatch.setattr("kamcore.review.principles.BUILTIN_PRINCIPLES", SERVICE)


@pytest.fixture
def source(tmp_path: Path) -> str:
    path = tmp_path / "portfolio.json"
    path.write_text(dumps_portfolio(sample()), encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def agenda_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "review", *argv, "--format", "json")
    assert (code, err) == (0, "")
    data: dict[str, Any] = json.loads(out)
    return data


def situations(findings: list[dict[str, Any]]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(f["account_id"], f["code"], tuple(f["evidence"])) for f in findings]


# --- table ---------------------------------------------------------------------------------


def test_table_groups_findings_by_owner_then_shows_health(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, err = run(capsys, "review", source)
    assert (code, err) == (0, "")  # findings are not an error
    lines = out.splitlines()
    assert lines[0] == (
        "Agenda as of 2026-11-20 18:00+00:00: 2 open findings, 1 snoozed, 0 acknowledged"
    )
    anna = lines.index("u-anna (Anna Petrova): 1 finding")
    li = lines.index("u-li (李伟): 1 finding")
    assert anna < li
    assert lines[anna + 1].split() == [
        *("DUE", "SEVERITY", "ACCOUNT", "NAME", "CODE", "ACTION", "LEVEL", "HELD", "BY")
    ]
    # The default policy: an unanswered request climbs every 8 business hours from
    # its due time (UTC, Monday to Friday, 09:00-17:00), up to the executive sponsor,
    # whom this staff list does not have.
    assert lines[anna + 2].split() == [
        "2026-11-12",
        "09:00+00:00",
        "violation",
        "A-3",
        "Corner|Shop",
        "*Ltd*",
        "request_unanswered",
        "give_answer_date",
        "executive_sponsor",
        *["no", "executive", "on", "the", "staff", "list"],
    ]
    # Due Thursday 08:00: 8 business hours later is Thursday 17:00, 8 more Friday 17:00.
    assert lines[li + 2].split() == [
        "2026-11-19",
        "08:00+00:00",
        "violation",
        "A-2",
        "华信科技有限公司",
        "request_unanswered",
        "give_answer_date",
        "executive_sponsor",
        *["no", "executive", "on", "the", "staff", "list"],
    ]
    health = lines.index("Health (0-100, higher is healthier; trend: change over 30 days)")
    assert lines[health + 1].split() == ["ACCOUNT", "NAME", "OWNER", "SCORE", "TREND"]
    rows = {line.split()[0]: line.split() for line in lines[health + 2 :]}
    assert set(rows) == {"A-1", "A-2", "A-3"}
    # Events but no personal contact: contact 0, complaints 1, findings 1 (weight 2).
    assert rows["A-1"][-2:] == ["75.0", "—"]  # nothing was known 30 days earlier


def test_table_columns_line_up_across_owners_and_scripts(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    _, out, _ = run(capsys, "review", source)
    lines = out.splitlines()
    rows = [line for line in lines if "request_unanswered" in line]
    assert len(rows) == 2
    starts = {display_width(row[: row.index("request_unanswered")]) for row in rows}
    headers = {display_width(line[: line.index("CODE")]) for line in lines if "CODE" in line}
    assert len(starts) == 1
    assert starts == headers


def test_table_says_when_there_is_nothing_to_do(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, _ = run(capsys, "review", source, "--as-of", "2026-10-01")
    assert code == 0
    assert out.splitlines()[:3] == [
        "Agenda as of 2026-10-01 23:59:59+00:00: 0 open findings, 0 snoozed, 0 acknowledged",
        "",
        "No open findings.",
    ]


# --- JSON ----------------------------------------------------------------------------------


def test_json_is_the_agenda_and_validates_against_the_schema(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    data = agenda_json(capsys, source)
    validate(data)
    assert without_escalations(data) == review(sample(), EXPORTED_AT, principles=SERVICE).as_dict()
    assert data["version"] == 1
    assert situations(data["findings"]) == [
        ("A-3", "request_unanswered", ("R-3",)),
        ("A-2", "request_unanswered", ("R-2",)),
    ]
    assert situations(data["snoozed"]) == [("A-1", "promise_overdue", ("P-1",))]
    assert list(data["health"]) == ["A-1", "A-2", "A-3"]


def test_every_installed_principle_runs_and_the_json_validates(
    capsys: pytest.CaptureFixture[str], source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()
    assert len(installed_principles()) >= len(SERVICE)
    data = agenda_json(capsys, source)
    validate(data)
    assert all("escalation" in finding for finding in data["findings"])
    assert set(situations(data["findings"])) >= {
        ("A-3", "request_unanswered", ("R-3",)),
        ("A-2", "request_unanswered", ("R-2",)),
    }
    for fmt in ("table", "markdown"):
        code, out, err = run(capsys, "review", source, "--format", fmt)
        assert (code, err) == (0, "")
        assert "request_unanswered" in out


def test_json_keeps_text_as_written(capsys: pytest.CaptureFixture[str], source: str) -> None:
    _, out, _ = run(capsys, "review", source, "--format", "json")
    assert '"subject": "报价"' in out


# --- Markdown ------------------------------------------------------------------------------


def test_markdown_has_a_section_and_table_per_owner_and_a_health_table(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, err = run(capsys, "review", source, "--format", "markdown")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "# Agenda as of 2026-11-20 18:00+00:00"
    assert "2 open findings, 1 snoozed, 0 acknowledged." in lines
    sections = [line for line in lines if line.startswith("## ")]
    assert sections == ["## u-anna (Anna Petrova)", "## u-li (李伟)", "## Health"]
    anna = lines.index("## u-anna (Anna Petrova)")
    assert lines[anna + 2 : anna + 5] == [
        "| Due | Severity | Account | Name | Code | Action | Level | Held by |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        "| 2026-11-12 09:00+00:00 | violation | A-3 | Corner\\|Shop \\*Ltd\\* "
        "| `request_unanswered` | `give_answer_date` | executive\\_sponsor "
        "| no executive on the staff list |",
    ]
    health = lines.index("## Health")
    table = [line for line in lines[health:] if line.startswith("|")]
    assert table[0] == "| Account | Name | Owner | Score | Trend |"
    assert table[1] == "| --- | --- | --- | ---: | ---: |"
    assert len(table) == 2 + 3
    assert all(row.count("|") - row.count("\\|") == 6 for row in table)


# --- --owner -------------------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["u-li", "李伟"])
def test_owner_filters_findings_and_accounts(
    capsys: pytest.CaptureFixture[str], source: str, owner: str
) -> None:
    data = agenda_json(capsys, source, "--owner", owner)
    assert situations(data["findings"]) == [("A-2", "request_unanswered", ("R-2",))]
    assert (data["snoozed"], data["acknowledged"]) == ([], [])
    assert list(data["health"]) == ["A-2"]
    validate(data)
    code, out, _ = run(capsys, "review", source, "--owner", owner)
    assert code == 0
    assert "u-li (李伟): 1 finding" in out
    assert "u-anna" not in out


def test_owner_with_nothing_to_do(capsys: pytest.CaptureFixture[str], source: str) -> None:
    code, out, _ = run(capsys, "review", source, "--owner", "u-anna", "--as-of", "2026-11-05")
    assert code == 0
    assert "u-anna" not in out.split("Health")[0]
    assert "No open findings." in out


def test_unknown_owner_is_an_error_naming_the_owners(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, err = run(capsys, "review", source, "--owner", "bob")
    assert (code, out) == (1, "")
    assert err == "kamcore: error: no account is owned by 'bob' (owners: u-anna, u-li)\n"


# --- --as-of -------------------------------------------------------------------------------


def test_as_of_hides_later_events(capsys: pytest.CaptureFixture[str], source: str) -> None:
    # On the 18th, R-1's answer (19th) was not known yet, and R-2 (17th, 08:00) was
    # 40 hours old: in the last fifth of its 48 hours, a warning. D-1 (20th) was not
    # recorded yet, so P-1 is open.
    data = agenda_json(capsys, source, "--as-of", "2026-11-18")
    assert data["as_of"] == "2026-11-18T23:59:59.999999+00:00"
    found = {(f["account_id"], f["code"], f["severity"]) for f in data["findings"]}
    assert found == {
        ("A-1", "request_unanswered", "violation"),
        ("A-1", "promise_overdue", "violation"),
        ("A-2", "request_unanswered", "warning"),
        ("A-3", "request_unanswered", "violation"),
    }
    assert data["snoozed"] == []
    # Earlier still, R-2 was not even asked.
    earlier = agenda_json(capsys, source, "--as-of", "2026-11-16T12:00+00:00")
    assert "A-2" not in {f["account_id"] for f in earlier["findings"]}


# --- exit codes and errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--format", "csv"],
        ["--as-of", "2026-11-20T18:00"],
        ["--as-of", "yesterday"],
        ["--owner"],
        ["--bogus"],
    ],
)
def test_a_bad_command_line_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], source: str, argv: list[str]
) -> None:
    code, out, err = run(capsys, "review", source, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("usage: kamcore")
    assert "Traceback" not in err


def test_a_missing_source(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")
    code, out, err = run(capsys, "review", missing)
    assert (code, out) == (1, "")
    assert err == f"kamcore: error: {missing}: no such file or folder\n"


def test_an_invalid_source(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "kamcore.portfolio", "accounts": [', encoding="utf-8")
    code, out, err = run(capsys, "review", str(path), "--format", "markdown")
    assert (code, out) == (1, "")
    assert err.startswith(f"kamcore: error: {path}: 1 problem\n  $: not valid JSON")


def bad_document() -> dict[str, Any]:
    return {
        "format": "kamcore.portfolio",
        "version": 1,
        "exported_at": "2026-11-20T18:00:00+00:00",
        "accounts": [
            {
                "id": "A-1",
                "name": "Acme",
                "owner": "u-anna",
                "events": [
                    {"kind": "request", "id": "R-1", "at": "2026-11-10T10:00", "subject": "x"},
                    {
                        "kind": "request",
                        "id": "R-2",
                        "at": "2026-11-10T10:00+00:00",
                        "subject": "y",
                    },
                ],
            },
            {"id": "A-2", "name": "Бета ООД"},
        ],
    }


def test_collect_reviews_the_valid_records(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad_document()), encoding="utf-8")
    code, out, err = run(capsys, "review", str(path))
    assert (code, out) == (1, "")
    assert err.startswith(f"kamcore: error: {path}: 2 problems")
    code, out, err = run(capsys, "review", str(path), "--collect", "--format", "json")
    assert code == 0
    assert err.startswith(f"kamcore: warning: {path}: 2 records quarantined")
    data = json.loads(out)
    assert situations(data["findings"]) == [("A-1", "request_unanswered", ("R-2",))]


def test_rules_without_a_rate_for_a_currency_name_the_transaction(
    capsys: pytest.CaptureFixture[str], source: str, tmp_path: Path
) -> None:
    rules = tmp_path / "eur-only.toml"
    rules.write_text(
        DEFAULT_RULES.read_text(encoding="utf-8").replace("CNY = 7.8\n", ""), encoding="utf-8"
    )
    code, out, err = run(capsys, "review", source, "--rules", str(rules))
    assert (code, out) == (1, "")
    assert err.startswith("kamcore: error: account A-2, transaction T-1")
    assert "Traceback" not in err


def test_a_missing_rule_set(capsys: pytest.CaptureFixture[str], source: str) -> None:
    code, out, err = run(capsys, "review", source, "--rules", "no-such-rules.toml")
    assert (code, out) == (1, "")
    assert err.startswith("kamcore: error: ")
    assert "Traceback" not in err


def test_the_installed_command_prints_no_progress_and_no_traceback(
    tmp_path: Path, source: str
) -> None:
    # stderr is a pipe here, not a terminal: nothing but errors may appear on it.
    good = subprocess.run(
        [sys.executable, "-m", "kamcore.cli", "review", source],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (good.returncode, good.stderr) == (0, "")
    assert good.stdout.startswith("Agenda as of 2026-11-20 18:00+00:00")
    bad = subprocess.run(
        [sys.executable, "-m", "kamcore.cli", "review", source, "--owner", "nobody"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("kamcore: error: ")
    assert "Traceback" not in bad.stderr


# --- escalation ----------------------------------------------------------------------------


def test_json_gives_each_open_finding_its_escalation(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    data = agenda_json(capsys, source)
    corner = data["findings"][0]
    assert corner["account_id"] == "A-3"
    # Open since R-3 (Tuesday 09:00); due Thursday 09:00; 8 business hours later
    # (Thursday 17:00) the department head, 8 more (Friday 17:00) the executive sponsor.
    assert corner["escalation"] == {
        "finding": corner["key"],
        "level": 2,
        "name": "executive_sponsor",
        "holder": "role:executive",
        "staff": [],
        "since": "2026-11-13T17:00:00+00:00",
        "next": None,
        "history": [
            {
                "level": 0,
                "name": "account_manager",
                "holder": "staff:u-anna",
                "staff": ["u-anna"],
                "since": "2026-11-10T09:00:00+00:00",
                "until": "2026-11-12T17:00:00+00:00",
                "seconds": (2 * 24 + 8) * 3600,
            },
            {
                "level": 1,
                "name": "department_head",
                "holder": "role:department_head",
                "staff": ["u-boss"],
                "since": "2026-11-12T17:00:00+00:00",
                "until": "2026-11-13T17:00:00+00:00",
                "seconds": 24 * 3600,
            },
            {
                "level": 2,
                "name": "executive_sponsor",
                "holder": "role:executive",
                "staff": [],
                "since": "2026-11-13T17:00:00+00:00",
                "until": None,
                "seconds": (7 * 24 + 1) * 3600,
            },
        ],
    }
    # Snoozed findings are not nagged about: they do not escalate.
    assert all("escalation" not in finding for finding in data["snoozed"])


def test_the_level_depends_on_the_moment(capsys: pytest.CaptureFixture[str], source: str) -> None:
    # On the 12th at noon A-3's request was 3 business hours past due: still its owner's.
    data = agenda_json(capsys, source, "--as-of", "2026-11-12T12:00+00:00")
    (corner,) = [f for f in data["findings"] if f["account_id"] == "A-3"]
    escalation = corner["escalation"]
    assert (escalation["level"], escalation["staff"]) == (0, ["u-anna"])
    assert escalation["next"] == {
        "level": 1,
        "name": "department_head",
        "holder": "role:department_head",
        "staff": ["u-boss"],
        "at": "2026-11-12T17:00:00+00:00",
    }


COMPANY_POLICY = """\
[escalation]
levels = [
    { name = "owner" },
    { name = "head", role = "department_head" },
]

[escalation.delays]
violation = { business_days = 5 }

[calendar]
time_zone = "Asia/Shanghai"
working_days = ["Mon", "Tue", "Wed", "Thu", "Fri"]
closed_days = [2026-11-16]
"""


@pytest.fixture
def company_policy(tmp_path: Path) -> str:
    path = tmp_path / "company.toml"
    path.write_text(COMPANY_POLICY, encoding="utf-8")
    return str(path)


def test_policy_sets_the_ladder_the_delays_and_the_calendar(
    capsys: pytest.CaptureFixture[str], source: str, company_policy: str
) -> None:
    code, out, err = run(capsys, "review", source, "--policy", company_policy)
    assert (code, err) == (0, "")
    rows = {line.split()[3]: line for line in out.splitlines() if "request_unanswered" in line}
    # A-3 was due Thursday 12th 17:00 in Shanghai; five working days later, Monday
    # 16th closed, is Friday 20th 17:00 there (09:00 UTC): the head has it.
    assert rows["A-3"].split()[-4:] == ["head", "u-boss", "(Boris", "Head)"]
    # A-2 was due Thursday 19th: it stays with its owner until the 26th.
    assert rows["A-2"].split()[-3:] == ["owner", "u-li", "(李伟)"]
    data = agenda_json(capsys, source, "--policy", company_policy)
    escalations = {f["account_id"]: f["escalation"] for f in data["findings"]}
    assert escalations["A-3"]["since"] == "2026-11-20T17:00:00+08:00"
    assert escalations["A-2"]["next"]["at"] == "2026-11-26T16:00:00+08:00"
    validate(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[escalation\n", "not valid TOML"),
        ("[escalation]\nlevels = [{ name = 'owner' }]\n", "at least two levels"),
        (
            COMPANY_POLICY.replace('"Asia/Shanghai"', '"Mars/Olympus"'),
            "calendar: time_zone: 'Mars/Olympus' is not an IANA time zone name",
        ),
    ],
)
def test_a_bad_policy_is_one_error(
    capsys: pytest.CaptureFixture[str], source: str, tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "review", source, "--policy", str(path))
    assert (code, out) == (1, "")
    assert err.startswith(f"kamcore: error: {path}")
    assert expected in err
    assert "Traceback" not in err


def test_a_missing_policy(capsys: pytest.CaptureFixture[str], source: str) -> None:
    code, out, err = run(capsys, "review", source, "--policy", "no-such-policy.toml")
    assert (code, out) == (1, "")
    assert err.startswith("kamcore: error: no-such-policy.toml")
