"""The Fenxiang Xiaoke client: both auth styles, one token per tenant, errorCode
classification, backoff, budgets, and no secret in logs or errors."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import fxiaoke_support
from fxiaoke_support import SECRETS, T0, Sleeps, client_for, seed_accounts, serve, settings_for
from kamcore import SourceError
from kamcore_adapters._http import Backoff, TokenCache
from kamcore_adapters.fxiaoke import (
    FxiaokeAuthError,
    FxiaokeError,
    FxiaokePermissionError,
    FxiaokeQuotaError,
    FxiaokeRequestError,
    FxiaokeUnavailableError,
    FxiaokeUncertainError,
    Settings,
    profile_of,
)
from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing.fxiaoke import TOKEN_INVALID, LocalFxiaoke, error_answer

QUERY = "/cgi/crm/v2/data/query"

# Fixtures shared by the Fenxiang Xiaoke tests.
loopback = fxiaoke_support.loopback


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def crm(clock: ManualClock) -> LocalFxiaoke:
    return LocalFxiaoke(clock=clock, rate_limit=None)


@pytest.fixture
def server(loopback: LoopbackServer, crm: LocalFxiaoke) -> LoopbackServer:
    return serve(loopback, crm)


def fault(server: LoopbackServer, code: int, *, times: int = 1, path: str = QUERY) -> None:
    """Answer the next *times* requests to *path* with HTTP 200 and *code*."""
    server.faults.add(path, "status", status=200, body=error_answer(code), times=times)


def requests_since(server: LoopbackServer, start: int) -> list[str]:
    return [request.path for request in server.requests[start:]]


# -------------------------------------------------------------------------------------------------
# Auth styles and tokens
# -------------------------------------------------------------------------------------------------


def test_the_legacy_style_sends_the_token_in_the_body_only(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    seed_accounts(crm, 2)
    start = len(server.requests)
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        assert len(client.query("AccountObj")) == 2
    token_request, query = server.requests[start:]
    assert token_request.path == "/cgi/corpAccessToken/get/V2"
    body = query.json()
    assert body["corpAccessToken"] in crm.issued_tokens
    assert (body["corpId"], body["currentOpenUserId"]) == (crm.corp_id, "FSUID_admin")
    assert "authorization" not in query.headers


def test_the_bearer_style_sends_the_token_in_headers_only(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    seed_accounts(crm, 2)
    start = len(server.requests)
    with client_for(settings_for(crm, server.url, tmp_path, auth="bearer")) as client:
        assert len(client.query("AccountObj")) == 2
    token_request, query = server.requests[start:]
    assert token_request.path == "/oauth2.0/token"
    assert token_request.json()["grantType"] == "app_secret"
    assert query.headers["authorization"].removeprefix("Bearer ") in crm.issued_tokens
    assert (query.headers["x-fs-ea"], query.headers["x-fs-userid"]) == (crm.ea, "1000")
    assert "corpAccessToken" not in query.json()


def test_one_token_serves_every_call_and_every_client_of_the_tenant(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    settings = settings_for(crm, server.url, tmp_path)
    for _ in range(2):  # a second client, as a later hook call builds one
        with client_for(settings, token_cache=TokenCache(tmp_path / "tokens")) as client:
            client.query("AccountObj")
            client.query("ContactObj")
    assert crm.token_calls == 1


def test_a_token_that_expires_mid_read_is_refreshed_and_no_record_is_lost(
    server: LoopbackServer, crm: LocalFxiaoke, clock: ManualClock, tmp_path: Path
) -> None:
    ids = seed_accounts(crm, 350)
    # Two hours pass between the second and the third page.
    crm.trigger(QUERY, at=3, action=lambda: clock.advance(7300))
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        seen = [row["_id"] for page in client.pages_by_id("AccountObj") for row in page]
    assert sorted(seen) == sorted(ids)  # every record, exactly once
    assert crm.token_calls == 2


def test_a_token_refused_twice_is_an_auth_error_not_a_loop(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    fault(server, TOKEN_INVALID, times=2)
    with (
        client_for(settings_for(crm, server.url, tmp_path)) as client,
        pytest.raises(FxiaokeAuthError, match="errorCode 20016"),
    ):
        client.query("AccountObj")
    assert crm.token_calls == 2  # one refresh, then it gave up


def test_wrong_credentials_are_an_auth_error_naming_the_settings(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    settings = settings_for(crm, server.url, tmp_path, app_secret="wrong-secret-123")
    with client_for(settings) as client, pytest.raises(FxiaokeAuthError) as caught:
        client.query("AccountObj")
    assert "app_secret" in str(caught.value)
    assert "wrong-secret-123" not in str(caught.value)


# -------------------------------------------------------------------------------------------------
# errorCode classification and backoff
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [-1, 50009, 30004, 14001])
def test_busy_and_rate_codes_are_retried_with_backoff(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path, code: int
) -> None:
    seed_accounts(crm, 1)
    fault(server, code, times=5)
    sleeps = Sleeps()
    with client_for(settings_for(crm, server.url, tmp_path), sleeps) as client:
        assert len(client.query("AccountObj")) == 1
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]  # exponential, capped jitter (rand = 1)


def test_a_30004_storm_longer_than_the_attempts_gives_up_with_a_clear_error(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    fault(server, 30004, times=50)
    sleeps = Sleeps()
    with (
        client_for(settings_for(crm, server.url, tmp_path), sleeps) as client,
        pytest.raises(FxiaokeUnavailableError, match="gave up after 6 attempts"),
    ):
        client.query("AccountObj")
    assert len(sleeps) == 5
    assert server.faults.pending == 44


def test_transport_failures_and_proxy_errors_are_retried_for_reads(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    seed_accounts(crm, 1)
    server.faults.add(QUERY, "reset")
    server.faults.add(QUERY, "status", status=502, body="<html>bad gateway</html>")
    sleeps = Sleeps()
    with client_for(settings_for(crm, server.url, tmp_path), sleeps) as client:
        assert len(client.query("AccountObj")) == 1
    assert len(sleeps) == 2


@pytest.mark.parametrize(("code", "daily"), [(30002, True), (30003, False)])
def test_an_exhausted_quota_stops_at_once(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path, code: int, daily: bool
) -> None:
    fault(server, code)
    sleeps = Sleeps()
    with (
        client_for(settings_for(crm, server.url, tmp_path), sleeps) as client,
        pytest.raises(FxiaokeQuotaError) as caught,
    ):
        client.query("AccountObj")
    assert caught.value.daily is daily
    assert sleeps == []


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (20014, FxiaokePermissionError),
        (15003, FxiaokePermissionError),
        (10006, FxiaokeRequestError),
        (10005, FxiaokeRequestError),
    ],
)
def test_permission_and_bad_request_codes_raise_typed_errors_naming_the_object(
    server: LoopbackServer,
    crm: LocalFxiaoke,
    tmp_path: Path,
    code: int,
    error: type[FxiaokeError],
) -> None:
    fault(server, code, path="/cgi/crm/v2/data/update")
    sleeps = Sleeps()
    with (
        client_for(settings_for(crm, server.url, tmp_path), sleeps) as client,
        pytest.raises(error) as caught,
    ):
        client.update("AccountObj", "5f0c0000aaaa", {"name": "x"})
    assert isinstance(caught.value, SourceError)
    assert (caught.value.code, caught.value.object_name) == (code, "AccountObj")
    assert "(AccountObj 5f0c0000aaaa)" in str(caught.value)
    assert sleeps == []


@pytest.mark.parametrize("code", [-1, 50009])
def test_a_create_that_may_have_happened_is_not_retried_blindly(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path, code: int
) -> None:
    fault(server, code, path="/cgi/crm/v2/data/create")
    with (
        client_for(settings_for(crm, server.url, tmp_path)) as client,
        pytest.raises(FxiaokeUncertainError, match="may have taken effect"),
    ):
        client.create("ActiveRecordObj", {"active_record_content": "x"})


def test_rate_exceeded_on_a_create_is_retried_because_nothing_happened(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    fault(server, 30004, path="/cgi/crm/v2/data/create")
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        client.create("ActiveRecordObj", {"active_record_content": "x"})
    assert len(crm.records("ActiveRecordObj")) == 1


def test_the_client_keeps_to_its_budget_per_endpoint(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    budget_clock = ManualClock(0.0)
    sleeps = Sleeps()

    def sleep(seconds: float) -> None:
        sleeps(seconds)
        budget_clock.advance(seconds)

    settings = settings_for(crm, server.url, tmp_path, calls_per_window="3", window_seconds="20")
    with client_for(settings, sleep=sleep, budget_clock=budget_clock.now) as client:
        for _ in range(3):
            client.query("AccountObj")
        client.describe("AccountObj")  # another endpoint: no wait
        assert sleeps == []
        client.query("AccountObj")
    assert sleeps == [20.0]


# -------------------------------------------------------------------------------------------------
# The token endpoint is never called concurrently
# -------------------------------------------------------------------------------------------------


def _eight_threads(settings: Settings, tmp_path: Path) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        # Each thread has its own client and token cache object, as eight processes
        # would: only the cache folder's file lock keeps them apart.
        try:
            with client_for(settings, token_cache=TokenCache(tmp_path / "tokens")) as client:
                barrier.wait()
                client.query("AccountObj")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_eight_threads_never_call_the_token_endpoint_concurrently(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    crm = LocalFxiaoke(clock=clock, rate_limit=None, token_delay=0.2)
    server = serve(loopback, crm)
    settings = settings_for(crm, server.url, tmp_path)

    assert _eight_threads(settings, tmp_path) == []
    assert (crm.max_token_in_flight, crm.token_calls) == (1, 1)

    clock.advance(7300)  # every thread's token is refused now: still one refresh
    assert _eight_threads(settings, tmp_path) == []
    assert (crm.max_token_in_flight, crm.token_calls) == (1, 2)


# -------------------------------------------------------------------------------------------------
# Secrets
# -------------------------------------------------------------------------------------------------


def test_no_secret_reaches_a_debug_log_or_an_error(
    server: LoopbackServer,
    crm: LocalFxiaoke,
    clock: ManualClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seed_accounts(crm, 150)
    crm.trigger(QUERY, at=2, action=lambda: clock.advance(7300))
    fault(server, 30004, times=2)
    errors: list[str] = []
    with caplog.at_level(logging.DEBUG):
        settings = settings_for(crm, server.url, tmp_path)
        with client_for(settings) as client:
            assert sum(len(page) for page in client.pages_by_id("AccountObj")) == 150
            server.faults.add(
                QUERY,
                "status",
                status=200,
                # A server that echoes a secret back must not get it into the message.
                body=error_answer(20014, f"denied for {crm.app_secret}"),
            )
            with pytest.raises(FxiaokeError) as caught:
                client.query("AccountObj")
            errors += [str(caught.value), repr(caught.value), repr(settings)]
    text = caplog.text + "\n".join(errors)
    assert "errorCode 20016" in caplog.text  # the refresh was logged...
    for secret in (*SECRETS, *crm.issued_tokens):
        assert secret not in text  # ...and nothing secret with it
    assert len(crm.issued_tokens) == 2


# -------------------------------------------------------------------------------------------------
# Settings and packaging
# -------------------------------------------------------------------------------------------------


def test_sources_of_other_schemes_are_not_this_adapters() -> None:
    assert profile_of("fxiaoke:prod") == "prod"
    assert profile_of("fxiaoke:") == "default"
    assert profile_of("zoho:prod") is None
    assert profile_of("portfolio.json") is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "the setting app_id is missing"),
        ({"app_id": "a", "app_secret": "s", "permanent_code": "p"}, "user_id is missing"),
        ({"auth": "oauth"}, "auth must be one of corp_access_token, bearer"),
        ({"writeback_object": "TaskObj"}, "writeback_object must be one of"),
        ({"action_key_field": "kamcore_key"}, "must be a custom field name ending in __c"),
        ({"field_account_region": "region__c"}, "unknown field mapping field_account_region"),
        ({"tiers": "1=key; strategic"}, "tiers: 'strategic' is not key=value"),
        ({"default_channel": "fax"}, "channel 'fax' is not one of"),
        ({"update_account_level": "maybe"}, "update_account_level must be true or false"),
        ({"currency": "rmb"}, "currency must be an ISO 4217 code"),
        ({"page_size": "0"}, "page_size must be more than 0"),
    ],
)
def test_bad_settings_are_named_without_their_values(raw: dict[str, str], message: str) -> None:
    base = {"app_id": "FSAID_1", "app_secret": "s3cret", "permanent_code": "p3rm", "user_id": "u"}
    full = raw if not raw or "app_id" in raw else {**base, **raw}
    with pytest.raises(SourceError, match="fxiaoke:p: ") as caught:
        Settings.from_mapping("p", full)
    assert message in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_the_adapter_imports_without_httpx_and_names_the_extra_when_used() -> None:
    script = """
import sys
sys.modules["httpx"] = None  # as if it were not installed
import kamcore
from kamcore_adapters.fxiaoke import FxiaokeClient, Settings
manager = kamcore.get_plugin_manager()
assert "fxiaoke" in {name for name, _ in manager.list_name_plugin()}
settings = Settings.from_mapping(
    "p", {"app_id": "a", "app_secret": "s", "permanent_code": "c", "user_id": "u"}
)
try:
    FxiaokeClient(settings)
except kamcore.SourceError as error:
    print(error)
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "kamcore[fxiaoke]" in run.stdout


def test_the_backoff_of_a_client_can_be_shortened(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    fault(server, -1, times=3)
    sleeps = Sleeps()
    settings = settings_for(crm, server.url, tmp_path)
    with (
        client_for(settings, sleeps, backoff=Backoff(attempts=2, base=0.1)) as client,
        pytest.raises(FxiaokeUnavailableError, match="gave up after 2 attempts"),
    ):
        client.query("AccountObj")
    assert sleeps == [0.1]
