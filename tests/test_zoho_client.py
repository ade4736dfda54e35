"""The Zoho client and its settings: one token refresh for many threads and processes,
token answers of every shape, secrets kept out of logs and errors, profiles, data
centres, and an adapter that imports without httpx."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kamcore import SourceError
from kamcore.actions import Action
from kamcore_adapters import zoho as adapter
from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing import Request as HttpRequest
from kamcore_adapters.testing import Response as HttpResponse
from kamcore_adapters.testing.zoho import LocalZoho
from kamcore_adapters.zoho import ZohoSettings, settings_for
from kamcore_adapters.zoho import _client as client_module
from kamcore_adapters.zoho._client import ZohoClient, ZohoError
from kamcore_adapters.zoho._settings import DATA_CENTRES, EDITIONS
from zoho_support import (  # noqa: F401 - fixtures
    SOURCE,
    fixture_clock,
    fixture_profile,
    fixture_server,
    fixture_zoho,
    toml_table,
    write_profile,
)


@pytest.fixture(autouse=True)
def fresh_orgs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: no token held in memory."""
    monkeypatch.setattr(client_module, "_ORGS", {})


def client(**extra: str) -> ZohoClient:
    settings = settings_for(SOURCE)
    assert settings is not None
    return ZohoClient(settings)


# -------------------------------------------------------------------------------------------------
# Tokens
# -------------------------------------------------------------------------------------------------


def test_eight_threads_of_one_org_refresh_the_token_once_per_expiry(
    profile: str, server: LoopbackServer, zoho: LocalZoho, clock: ManualClock
) -> None:
    zoho.add("Accounts", Account_Name="Acme")
    server.faults.add("/oauth/v2/token", "delay", times=20, delay=0.2)  # a wide race window
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with client() as own:
                start.wait()
                list(own.list_records("Accounts", ["Account_Name"]))
        except BaseException as error:
            failures.append(error)

    def run_threads() -> None:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    run_threads()
    assert (failures, zoho.token_requests) == ([], 1)

    clock.advance(3600)  # every thread's token expires: each sees INVALID_TOKEN
    run_threads()

    assert (failures, zoho.token_requests) == ([], 2)
    calls = [r for r in server.requests if r.path == "/crm/v8/Accounts"]
    # The first round, then each thread once more, and again if it was refused
    # (a thread that starts late may find the new token already).
    assert 8 + 8 < len(calls) <= 8 + 8 + 8


def test_another_process_reuses_the_token_kept_in_the_0600_file(
    profile: str, zoho: LocalZoho, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with client() as first:
        first.token()
    monkeypatch.setattr(client_module, "_ORGS", {})  # as if in another process

    with client() as second:
        second.token()

    assert zoho.token_requests == 1
    [token_file] = (tmp_path / "zoho-state").glob("*.json")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


@pytest.fixture
def token_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """An accounts server that answers the payloads the test puts in the list, in turn."""
    answers: list[dict[str, Any]] = []

    def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse.json(200, answers.pop(0))

    with LoopbackServer(handler) as running:
        settings = {
            "client_id": "1000.CLIENT",
            "client_secret": "s3cret-client",
            "refresh_token": "1000.refresh.token",
            "accounts_url": running.url,
            "token_cache": str(tmp_path / "state"),
            "backoff_base": "0.001",
        }
        path = tmp_path / "kamcore.toml"
        path.write_text(toml_table(settings), encoding="utf-8")
        monkeypatch.setenv("KAMCORE_CONFIG", str(path))
        yield answers


@pytest.mark.parametrize(
    "payload",
    [
        {"access_token": "1000.a.b", "api_domain": "https://www.zohoapis.eu", "expires_in": 3600},
        {
            "access_token": "1000.a.b",
            "api_domain": "https://www.zohoapis.eu",
            "expires_in_sec": 3600,
            "expires_in": 3600000,
        },
        {
            "access_token": "1000.a.b",
            "api_domain": "https://www.zohoapis.eu",
            "expires_in": 3600000,
        },
        {
            "access_token": "1000.a.b",
            "api_domain": "https://www.zohoapis.eu/",
            "expires_in": "3600",
        },
        {"access_token": "1000.a.b", "api_domain": "https://www.zohoapis.eu"},
        {
            "access_token": "1000.a.b",
            "api_domain": "https://www.zohoapis.eu",
            "expires_in_sec": None,
            "expires_in": 3600000,
        },
    ],
    ids=["seconds", "old-both", "milliseconds", "text-and-slash", "unsaid", "null-seconds"],
)
def test_a_token_lasts_an_hour_whichever_way_zoho_writes_it(
    token_server: list[dict[str, Any]], payload: dict[str, Any]
) -> None:
    token_server.append(payload)

    with client() as own:
        token = own.token()

    import time

    assert 3500 < token.expires_at - time.time() <= 3600
    assert token.extra["api_domain"] == "https://www.zohoapis.eu"
    assert "1000.a.b" not in repr(token)


def test_a_refused_refresh_is_an_error_that_names_zoho_s_reason_and_no_secret(
    token_server: list[dict[str, Any]],
) -> None:
    token_server.append({"error": "invalid_client"})

    with client() as own, pytest.raises(ZohoError) as caught:
        own.token()

    assert "invalid_client" in str(caught.value)
    assert isinstance(caught.value, SourceError)
    for secret in ("s3cret-client", "1000.refresh.token", "1000.CLIENT"):
        assert secret not in str(caught.value)


# -------------------------------------------------------------------------------------------------
# Secrets
# -------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("profile")
def test_no_secret_appears_in_any_log_line_or_error(
    server: LoopbackServer,
    zoho: LocalZoho,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    account = zoho.add("Accounts", Account_Name="Acme")
    errors: list[str] = []
    server.faults.add("/crm/v8/Accounts", "status", status=500)
    server.faults.add("/crm/v8/Contacts", "reset")
    changes = adapter.kamcore_load_changes(source=SOURCE, since=None, strict=False)
    assert changes is not None
    zoho.expire_tokens()  # a refresh on INVALID_TOKEN
    action = Action(
        key="kam-1",
        tenant="t",
        kind="task",
        account_id=account,
        owner="x",
        title="t",
        body="b",
        finding_code="c",
        severity="info",
    )
    server.faults.add("/crm/v8/Tasks", "reset")
    assert adapter.kamcore_push_actions(sink=SOURCE, actions=[action]) is not None
    server.faults.add("/crm/v8/Deals", "status", times=50, status=503)
    with pytest.raises(SourceError) as overloaded:
        adapter.kamcore_load_portfolio(source=SOURCE, strict=False)
    errors.append(str(overloaded.value))
    write_profile(tmp_path, monkeypatch, zoho, server, client_secret="wrong-" + zoho.client_secret)
    monkeypatch.setattr(client_module, "_ORGS", {})
    for state in (tmp_path / "zoho-state").glob("*.json"):
        state.unlink()
    with pytest.raises(SourceError) as refused:
        adapter.kamcore_load_portfolio(source=SOURCE, strict=False)
    errors.append(str(refused.value))
    settings = settings_for(SOURCE)
    errors += [repr(settings), str(settings)]

    text = "\n".join([caplog.text, *errors, *(repr(r.args) for r in caplog.records)])
    secrets = [zoho.client_secret, zoho.refresh_token, *zoho.access_tokens]
    assert len(zoho.access_tokens) >= 2
    assert "zoho:acme" in caplog.text  # the log did record the traffic...
    leaked = [secret for secret in secrets if secret in text]
    assert leaked == []  # ...but never a secret


# -------------------------------------------------------------------------------------------------
# Settings
# -------------------------------------------------------------------------------------------------


def test_data_centres_name_the_accounts_and_api_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = {"client_id": "1000.C", "client_secret": "s", "refresh_token": "r"}

    eu = ZohoSettings.from_config("p", {**base, "data_centre": "eu"})
    us = ZohoSettings.from_config("p", {**base, "data_centre": "us"})
    ca = ZohoSettings.from_config("p", {**base, "data_centre": "ca"})

    assert (eu.accounts_url, eu.default_api_url) == (
        "https://accounts.zoho.eu",
        "https://www.zohoapis.eu",
    )
    assert us.accounts_url == "https://accounts.zoho.com"
    assert ca.accounts_url == "https://accounts.zohocloud.ca"
    assert set(DATA_CENTRES) == {"com", "eu", "in", "cn", "au", "jp", "ca", "sa"}
    with pytest.raises(SourceError, match="data_centre must be one of"):
        ZohoSettings.from_config("p", {**base, "data_centre": "mars"})


def test_a_profile_names_its_problems_but_never_its_values() -> None:
    with pytest.raises(
        SourceError, match="missing settings: client_secret, refresh_token"
    ) as missing:
        ZohoSettings.from_config("acme", {"client_id": "1000.VISIBLE"})
    with pytest.raises(SourceError, match="unknown settings: colour"):
        ZohoSettings.from_config(
            "acme", {"client_id": "c", "client_secret": "s", "refresh_token": "r", "colour": "red"}
        )
    with pytest.raises(SourceError, match="edition must be one of"):
        ZohoSettings.from_config(
            "acme",
            {"client_id": "c", "client_secret": "s", "refresh_token": "r", "edition": "gold"},
        )

    assert "1000.VISIBLE" not in str(missing.value)


def test_secrets_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kamcore.toml"
    path.write_text(
        '[zoho.acme]\nclient_id = "1000.C"\nclient_secret = { env = "ZOHO_SECRET" }\n'
        'data_centre = "in"\nedition = "enterprise"\nusers = "10"\ntier_field = ""\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("KAMCORE_CONFIG", str(path))
    monkeypatch.setenv("ZOHO_SECRET", "from-env")
    monkeypatch.setenv("KAMCORE_ZOHO_ACME_REFRESH_TOKEN", "1000.env.refresh")

    settings = settings_for("zoho:acme")

    assert settings is not None
    assert settings.client_secret.reveal() == "from-env"
    assert settings.refresh_token.reveal() == "1000.env.refresh"
    assert settings.accounts_url == "https://accounts.zoho.in"
    assert settings.edition == EDITIONS["enterprise"]
    assert settings.edition.daily_credits(settings.users) == 60_000
    assert settings.fields.tier == ""
    assert "from-env" not in repr(settings)


def test_a_missing_profile_is_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMCORE_CONFIG", str(tmp_path / "none.toml"))

    with pytest.raises(SourceError, match="no such profile"):
        adapter.kamcore_load_portfolio(source="zoho:nowhere", strict=True)


def test_the_adapter_imports_without_httpx_and_names_the_extra_when_used(tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['httpx'] = None\n"
        "import kamcore_adapters.zoho as z\n"
        "from kamcore import SourceError\n"
        "try:\n"
        "    z.kamcore_load_portfolio(source='zoho:acme', strict=True)\n"
        "except SourceError as e:\n"
        "    print(e)\n"
    )
    (tmp_path / "kamcore.toml").write_text(
        '[zoho.acme]\nclient_id = "c"\nclient_secret = "s"\nrefresh_token = "r"\n', encoding="utf-8"
    )
    env = {**os.environ, "KAMCORE_CONFIG": str(tmp_path / "kamcore.toml")}

    run = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert "kamcore[zoho]" in run.stdout


def test_the_budget_follows_the_edition_and_refuses_to_wait_for_hours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = {"client_id": "1000.C", "client_secret": "s", "refresh_token": "r"}
    free = ZohoSettings.from_config("p", {**base, "edition": "free", "token_cache": str(tmp_path)})
    ultimate = ZohoSettings.from_config(
        "p", {**base, "edition": "ultimate", "users": "3", "token_cache": str(tmp_path / "u")}
    )

    with ZohoClient(free) as one, ZohoClient(ultimate) as other:
        assert (one._org.credits.calls, one._org.concurrency.limit) == (5_000, 5)
        assert (other._org.credits.calls, other._org.concurrency.limit) == (56_000, 25)

    waited: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", waited.append)
    client_module._refuse_long_waits(30.0)
    assert waited == [30.0]
    with pytest.raises(ZohoError, match="daily API credits are used up"):
        client_module._refuse_long_waits(7200.0)


TOKEN_SCRIPT = """
from kamcore_adapters.zoho import settings_for
from kamcore_adapters.zoho._client import ZohoClient
with ZohoClient(settings_for("zoho:acme")) as client:
    client.token()
"""


def test_four_processes_of_one_org_refresh_the_token_once(
    profile: str, server: LoopbackServer, zoho: LocalZoho, tmp_path: Path
) -> None:
    server.faults.add("/oauth/v2/token", "delay", times=4, delay=0.5)  # all four overlap
    env = {**os.environ, "KAMCORE_CONFIG": str(tmp_path / "kamcore.toml")}

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", TOKEN_SCRIPT], env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    errors = [process.communicate(timeout=60)[1] for process in processes]

    assert [p.returncode for p in processes] == [0, 0, 0, 0], errors
    assert zoho.token_requests == 1
