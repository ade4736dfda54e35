"""``kamcore sync zoho:PROFILE`` and ``kamcore push zoho:PROFILE`` against the local Zoho,
configured as a user would: a ``kamcore.toml`` named by ``$KAMCORE_CONFIG``."""

from __future__ import annotations

import pytest

from kamcore.cli import main
from kamcore_adapters.testing import ManualClock
from kamcore_adapters.testing.zoho import LocalZoho, populate
from zoho_support import (  # noqa: F401 - fixtures
    SOURCE,
    fixture_clock,
    fixture_profile,
    fixture_server,
    fixture_zoho,
    later,
)

AS_OF = "2026-03-02T09:00:00+00:00"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def org(zoho: LocalZoho) -> dict[str, list[str]]:
    return populate(zoho, accounts=6, activities=24)


def test_sync_loads_the_org_then_only_what_changed(
    capsys: pytest.CaptureFixture[str],
    profile: str,
    zoho: LocalZoho,
    clock: ManualClock,
    org: dict[str, list[str]],
) -> None:
    code, out, err = run(capsys, "sync", SOURCE, "--ledger", "ledger.sqlite3")

    assert (code, err) == (0, "")
    assert out.startswith(f"{SOURCE}: 6 accounts loaded, 0 records quarantined; cursor kept: ")

    later(clock)
    zoho.update("Accounts", org["Accounts"][0], Industry="Wholesale")
    code, out, _ = run(capsys, "sync", SOURCE, "--ledger", "ledger.sqlite3")

    assert code == 0
    assert out.startswith(f"{SOURCE}: 1 account loaded, 0 records quarantined; cursor kept: ")


def test_sync_reports_a_quarantined_record_on_stderr(
    capsys: pytest.CaptureFixture[str], profile: str, zoho: LocalZoho
) -> None:
    zoho.add("Accounts", Account_Name="Acme")
    orphan = zoho.add("Tasks", Subject="Whose is it?")

    code, out, err = run(capsys, "sync", SOURCE, "--ledger", "ledger.sqlite3")

    assert code == 0
    assert "1 account loaded, 1 record quarantined" in out
    assert f"Tasks/{orphan}" in err


def test_push_dry_run_first_then_push_then_nothing_twice(
    capsys: pytest.CaptureFixture[str],
    profile: str,
    zoho: LocalZoho,
    org: dict[str, list[str]],
) -> None:
    review = ("--as-of", AS_OF, "--ledger", "ledger.sqlite3")

    code, dry, _ = run(capsys, "push", SOURCE, SOURCE, "--dry-run", *review)
    assert code == 0
    assert dry.startswith("dry run, nothing sent: would create ")
    would = int(dry.split("would create ")[1].split(",")[0])
    assert would > 0
    assert zoho.created == {module: [] for module in zoho.created}

    code, out, err = run(capsys, "push", SOURCE, SOURCE, *review)
    assert code == 0, err
    assert out.strip() == f"created {would}, skipped as duplicate 0, failed 0, quarantined 0"
    assert len(zoho.created["Tasks"]) + len(zoho.created["Notes"]) == would

    code, out, _ = run(capsys, "push", SOURCE, SOURCE, *review)
    assert out.strip() == f"created 0, skipped as duplicate {would}, failed 0, quarantined 0"
    assert len(zoho.created["Tasks"]) + len(zoho.created["Notes"]) == would


def test_a_sync_that_cannot_reach_zoho_is_one_error_line(
    capsys: pytest.CaptureFixture[str], profile: str, zoho: LocalZoho
) -> None:
    zoho.expire_tokens()
    zoho.client_secret = "rotated"  # the profile's secret no longer works

    code, out, err = run(capsys, "sync", SOURCE, "--ledger", "ledger.sqlite3")

    assert code == 1
    assert out == ""
    assert err.startswith(
        "kamcore: error: zoho:acme: the token refresh was refused (invalid_client)"
    )
    assert "Traceback" not in err
