"""``kamcore report``: the department-head report from the command line."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kamcore.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_markdown_is_the_default_and_names_every_key_account(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "report")
    assert (code, err) == (0, "")
    assert out.startswith("# Key-account report as of 2026-11-20")
    assert "| KA-001 |" in out
    assert "no issues" in out


def test_json_lists_the_same_key_accounts(capsys: pytest.CaptureFixture[str]) -> None:
    _, markdown, _ = run(capsys, "report")
    code, out, _ = run(capsys, "report", "--format", "json", "--period", "month")
    document = json.loads(out)
    assert code == 0
    assert document["version"] == 1
    assert document["period"] == "month"
    accounts = {line["account_id"] for line in document["accounts"]}
    assert accounts
    assert all(f"| {account} |" in markdown for account in accounts)


def test_html_goes_to_the_file_named_by_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    code, out, _ = run(capsys, "report", "--format", "html", "--out", str(target))
    assert (code, out.strip()) == (0, f"wrote {target}")
    page = target.read_text(encoding="utf-8")
    HTMLParser().feed(page)
    assert "<svg" in page
    assert "https://" not in page


def test_an_unwritable_out_is_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "report", "--out", str(tmp_path))
    assert (code, out) == (1, "")
    assert err.startswith(f"kamcore: error: {tmp_path}: cannot write")
    assert len(err.splitlines()) == 1


def test_the_report_has_an_escalations_section(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report")
    assert code == 0
    lines = out.splitlines()
    start = lines.index("## Escalations")
    assert lines[start + 2].startswith("| Account | Finding | Severity | Level | Held by |")
    # The sample's oldest open breach has long reached the executive sponsor.
    assert "| 2 executive\\_sponsor | chen (陈建国) |" in out
    _, out, _ = run(capsys, "report", "--format", "json")
    document = json.loads(out)
    assert document["escalations"]
    assert all(line["escalation"]["level"] > 0 for line in document["escalations"])


def test_policy_changes_the_ladder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "[escalation]\n"
        'levels = [{ name = "owner" }, { name = "board", role = "executive" }]\n'
        "[escalation.delays]\n"
        "critical = { business_days = 1 }\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "report", "--format", "json", "--policy", str(policy))
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["escalation_levels"] == ["owner", "board"]
    assert {line["severity"] for line in document["escalations"]} == {"critical"}
    assert {line["escalation"]["name"] for line in document["escalations"]} == {"board"}
