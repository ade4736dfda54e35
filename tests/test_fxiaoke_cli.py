"""``kamcore sync fxiaoke:PROFILE`` and ``kamcore push fxiaoke:PROFILE`` against the local
Fenxiang Xiaoke, configured by a kamcore.toml named in ``$KAMCORE_CONFIG``."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import fxiaoke_support
from fxiaoke_support import T0, seed_accounts, seed_client_files, serve, toml_profile
from kamcore.cli import main
from kamcore.plugins import DISABLE_ENV
from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing.fxiaoke import LocalFxiaoke

# Fixtures shared by the Fenxiang Xiaoke tests.
loopback = fxiaoke_support.loopback


@pytest.fixture
def crm() -> LocalFxiaoke:
    crm = LocalFxiaoke(
        clock=ManualClock(T0), rate_limit=None, permanent_code=f"perm-{uuid.uuid4().hex}"
    )
    seed_client_files(crm, seed_accounts(crm, 4))
    return crm


@pytest.fixture(autouse=True)
def configured(
    crm: LocalFxiaoke, loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fxiaoke:acme`` in ``tmp_path/kamcore.toml``, with the secret in an environment variable."""
    server = serve(loopback, crm)
    settings = {
        **crm.profile_settings(server.url),
        "token_cache": str(tmp_path / "tokens"),
        "calls_per_window": "100000",
    }
    del settings["app_secret"]
    text = toml_profile(settings, "acme") + 'app_secret = { env = "FXIAOKE_SECRET" }\n'
    (tmp_path / "kamcore.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("FXIAOKE_SECRET", crm.app_secret)
    monkeypatch.setenv("KAMCORE_CONFIG", str(tmp_path / "kamcore.toml"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KAMCORE_LEDGER", raising=False)
    # Only the adapter under test (and the built-ins): another adapter's state is not ours.
    monkeypatch.setenv(DISABLE_ENV, "zoho,example")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sync_loads_the_tenant_then_only_what_changed(
    capsys: pytest.CaptureFixture[str], crm: LocalFxiaoke
) -> None:
    code, out, err = run(capsys, "sync", "fxiaoke:acme")
    assert (code, err) == (0, "")
    assert out.startswith("fxiaoke:acme: 4 accounts loaded, 0 records quarantined; cursor kept: ")
    assert crm.app_secret not in out

    code, out, _ = run(capsys, "sync", "fxiaoke:acme")
    assert (code, out.split(";")[0]) == (
        0,
        "fxiaoke:acme: 0 accounts loaded, 0 records quarantined",
    )


def test_push_reviews_the_crm_and_writes_each_action_back_once(
    capsys: pytest.CaptureFixture[str], crm: LocalFxiaoke
) -> None:
    code, out, _ = run(capsys, "push", "fxiaoke:acme", "fxiaoke:acme", "--dry-run")
    assert code == 0
    assert out.startswith("dry run, nothing sent: would create ")
    would = int(out.split("would create ")[1].split(",")[0])
    assert would > 0
    assert [r for r in crm.records("ActiveRecordObj") if "kamcore_key__c" in r] == []

    code, out, err = run(capsys, "push", "fxiaoke:acme", "fxiaoke:acme")
    assert (code, err) == (0, "")
    assert out == f"created {would}, skipped as duplicate 0, failed 0, quarantined 0\n"

    code, out, _ = run(capsys, "push", "fxiaoke:acme", "fxiaoke:acme")
    assert code == 0
    assert out == f"created 0, skipped as duplicate {would}, failed 0, quarantined 0\n"
    written = [r for r in crm.records("ActiveRecordObj") if "kamcore_key__c" in r]
    assert len(written) == len({r["kamcore_key__c"] for r in written}) == would


def test_a_missing_profile_is_reported_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "sync", "fxiaoke:nope")
    assert code != 0
    assert out == ""
    assert "fxiaoke:nope: no such profile" in err
    assert "Traceback" not in err


def test_sync_shows_progress_when_asked_and_fails_when_the_quota_stops_it(
    capsys: pytest.CaptureFixture[str], crm: LocalFxiaoke
) -> None:
    code, out, err = run(capsys, "sync", "fxiaoke:acme", "--full", "--verbose")
    assert code == 0
    assert "kamcore: fxiaoke:acme: 4 client files read" in err
    assert crm.app_secret not in err

    crm.daily_quota = 0
    code, out, err = run(capsys, "sync", "fxiaoke:acme", "--full")
    assert code == 1
    assert out.startswith("fxiaoke:acme: 0 accounts loaded")
    assert "kamcore: error: fxiaoke:acme stopped early: " in err
    assert "the next sync resumes from the cursor" in err
