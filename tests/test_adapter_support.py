"""The pieces every CRM adapter shares: secrets, backoff, budgets, tokens, profiles, the loopback server."""

from __future__ import annotations

import http.client
import json
import logging
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kamcore import SourceError
from kamcore_adapters._config import profile_config, split_uri
from kamcore_adapters._http import (
    Backoff,
    ConcurrencyBudget,
    RateBudget,
    RedactingFilter,
    Secret,
    Token,
    TokenCache,
    redact,
)
from kamcore_adapters.testing import LoopbackServer, ManualClock, Request, Response

# --- secrets ------------------------------------------------------------------------------------


def test_a_secret_never_shows_its_value() -> None:
    secret = Secret("1000.s3cr3t")
    token = Token(value=secret, expires_at=10.0)
    for text in (repr(secret), str(secret), f"{secret}", repr(token), str(token)):
        assert "s3cr3t" not in text
    assert secret.reveal() == "1000.s3cr3t"
    assert secret == Secret("1000.s3cr3t")


def test_redact_hides_the_longest_secret_whole() -> None:
    assert redact("a=abc&b=abcdef", ["abc", Secret("abcdef")]) == "a=***&b=***"
    assert redact("nothing here", ["", "zzz"]) == "nothing here"


def test_the_redacting_filter_hides_secrets_in_messages_and_arguments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("kamcore.test.redact")
    hide = RedactingFilter([Secret("tok-1")])
    hide.add("tok-2")
    logger.addFilter(hide)
    try:
        with caplog.at_level(logging.DEBUG, logger=logger.name):
            logger.debug("header Zoho-oauthtoken %s then %s", "tok-1", "tok-2")
    finally:
        logger.removeFilter(hide)
    assert "tok-" not in caplog.text
    assert "Zoho-oauthtoken *** then ***" in caplog.text


# --- backoff and budgets ------------------------------------------------------------------------


@given(
    attempt=st.integers(0, 40),
    share=st.floats(0, 1),
    retry_after=st.none() | st.floats(0, 1000),
)
def test_backoff_stays_within_its_bounds(
    attempt: int, share: float, retry_after: float | None
) -> None:
    backoff = Backoff(base=0.5, cap=30.0)
    delay = backoff.delay(attempt, retry_after, rand=lambda: share)
    assert 0 <= delay <= backoff.cap
    assert delay <= max(min(backoff.cap, 0.5 * 2**attempt), min(backoff.cap, retry_after or 0))
    if retry_after is not None:
        assert delay >= min(backoff.cap, retry_after)


def test_a_rate_budget_never_lets_more_calls_into_a_window() -> None:
    clock = ManualClock(0.0)
    budget = RateBudget(3, 10.0, clock=clock.now, sleep=clock.advance)
    moments = []
    for _ in range(7):
        budget.acquire()
        moments.append(clock.now())
    assert moments == [0, 0, 0, 10, 10, 10, 20]


def test_a_concurrency_budget_caps_calls_in_flight() -> None:
    budget = ConcurrencyBudget(2)
    in_flight = most = 0
    lock = threading.Lock()

    def call() -> None:
        nonlocal in_flight, most
        with budget:
            with lock:
                in_flight += 1
                most = max(most, in_flight)
            time.sleep(0.01)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2


# --- tokens -------------------------------------------------------------------------------------


def _fetcher(clock: ManualClock, calls: list[int], pause: float = 0.0) -> Callable[[], Token]:
    def fetch() -> Token:
        calls.append(1)
        time.sleep(pause)
        return Token(value=Secret(f"token-{len(calls)}"), expires_at=clock.now() + 3600)

    return fetch


def test_threads_share_one_refresh() -> None:
    clock = ManualClock(1_000.0)
    cache = TokenCache(clock=clock.now)
    calls: list[int] = []
    fetch = _fetcher(clock, calls, pause=0.05)
    seen: list[str] = []
    threads = [
        threading.Thread(target=lambda: seen.append(cache.get("org", fetch).value.reveal()))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert set(seen) == {"token-1"}


def test_an_expiring_token_is_refreshed_and_a_refused_one_only_once() -> None:
    clock = ManualClock(1_000.0)
    cache = TokenCache(clock=clock.now)
    calls: list[int] = []
    fetch = _fetcher(clock, calls)
    first = cache.get("org", fetch)
    clock.advance(3600 - 30)  # inside the safety margin
    second = cache.get("org", fetch)
    assert second != first
    cache.invalidate("org", second)
    third = cache.get("org", fetch)
    cache.invalidate("org", second)  # a late thread refused the old token: keep the new one
    assert cache.get("org", fetch) == third
    assert len(calls) == 3


_PROCESS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kamcore_adapters._http import Secret, Token, TokenCache

    directory, log = Path(sys.argv[1]), Path(sys.argv[2])

    def fetch():
        with log.open("a") as handle:
            handle.write("fetch\\n")
        time.sleep(0.3)
        return Token(value=Secret("shared"), expires_at=time.time() + 3600)

    print(TokenCache(directory).get("org", fetch).value.reveal())
    """
)


def test_processes_share_one_refresh_through_the_token_directory(tmp_path: Path) -> None:
    log = tmp_path / "fetches.log"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS, str(tmp_path / "tokens"), str(log)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=60)[0].strip() for process in processes]
    assert outputs == ["shared"] * 3
    assert log.read_text().count("fetch") == 1
    for stored in (tmp_path / "tokens").glob("*.json"):
        assert stored.stat().st_mode & 0o077 == 0


# --- profiles -----------------------------------------------------------------------------------


def test_split_uri() -> None:
    assert split_uri("zoho:acme-eu") == ("zoho", "acme-eu")
    assert split_uri("FXIAOKE:") == ("fxiaoke", "default")
    assert split_uri("C:portfolio.json") is None
    assert split_uri("exports/") is None


def test_a_profile_reads_the_file_then_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "kamcore.toml"
    config.write_text(
        '[zoho.acme-eu]\nclient_id = "id-1"\nclient_secret = { env = "ACME_SECRET" }\n'
        "edition = 3\ndebug = true\n",
        encoding="utf-8",
    )
    environ = {
        "KAMCORE_CONFIG": str(config),
        "ACME_SECRET": "s3cr3t",
        "KAMCORE_ZOHO_ACME_EU_CLIENT_ID": "id-2",
    }
    settings = profile_config("zoho", "acme-eu", environ=environ)
    assert dict(settings) == {
        "client_id": "id-2",
        "client_secret": "s3cr3t",
        "edition": "3",
        "debug": "true",
    }


def test_a_profile_only_in_the_environment(tmp_path: Path) -> None:
    environ = {
        "KAMCORE_CONFIG": str(tmp_path / "absent.toml"),
        "KAMCORE_FXIAOKE_MAIN_HOST": "http://127.0.0.1:1",
    }
    assert dict(profile_config("fxiaoke", "main", environ=environ)) == {
        "host": "http://127.0.0.1:1"
    }


def test_profile_errors_name_the_place_never_a_value(tmp_path: Path) -> None:
    config = tmp_path / "kamcore.toml"
    config.write_text(
        '[zoho.acme]\nclient_secret = { env = "UNSET_SECRET_VAR" }\nrefresh_token = "1000.xyz"\n'
        "[zoho.bad]\nscopes = [1, 2]\n",
        encoding="utf-8",
    )
    environ = {"KAMCORE_CONFIG": str(config)}
    with pytest.raises(SourceError, match=r"\[zoho\.acme\] client_secret .*UNSET_SECRET_VAR"):
        profile_config("zoho", "acme", environ=environ)
    with pytest.raises(SourceError, match=r"no such profile") as missing:
        profile_config("zoho", "other", environ=environ)
    assert "1000.xyz" not in str(missing.value)
    with pytest.raises(SourceError, match=r"\[zoho\.bad\] scopes must be"):
        profile_config("zoho", "bad", environ=environ)
    config.write_text("[zoho\n", encoding="utf-8")
    with pytest.raises(SourceError, match="cannot read the configuration"):
        profile_config("zoho", "acme", environ=environ)


# --- the loopback server ------------------------------------------------------------------------


def _echo(request: Request) -> Response:
    return Response.json(
        200, {"method": request.method, "path": request.path, "page": request.param("page")}
    )


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def test_the_loopback_server_answers_records_and_injects_faults() -> None:
    with LoopbackServer(_echo) as server:
        status, body = _get(f"{server.url}/crm/v8/Accounts?page=2")
        assert status == 200
        assert json.loads(body) == {"method": "GET", "path": "/crm/v8/Accounts", "page": "2"}

        server.faults.add("/crm", "status", status=429, body={"code": "TOO_MANY_REQUESTS"})
        assert _get(f"{server.url}/crm/v8/Accounts") == (429, b'{"code": "TOO_MANY_REQUESTS"}')
        assert _get(f"{server.url}/crm/v8/Accounts")[0] == 200

        server.faults.add("/crm", "reset", handled=True)
        with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
            _get(f"{server.url}/crm/v8/Accounts")
        hits: list[str] = []
        server.handler = lambda request: (hits.append(request.method), _echo(request))[1]
        server.faults.add("/crm", "status", status=503, method="post", handled=True)
        assert _get(f"{server.url}/crm/v8/Tasks")[0] == 200  # a GET: not this fault
        request = urllib.request.Request(f"{server.url}/crm/v8/Tasks", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        refused.value.close()
        assert refused.value.code == 503
        assert hits == ["GET", "POST"]  # handled: the POST took effect all the same
        server.handler = _echo
        server.faults.add("/oauth", "delay", delay=0.05)
        assert _get(f"{server.url}/crm/v8/x")[0] == 200
        assert server.faults.pending == 1
        server.faults.clear()
        assert server.faults.pending == 0
        assert [request.path for request in server.requests][:2] == [
            "/crm/v8/Accounts",
            "/crm/v8/Accounts",
        ]
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_known_settings_keep_profiles_that_share_a_prefix_apart(tmp_path: Path) -> None:
    environ = {
        "KAMCORE_CONFIG": str(tmp_path / "absent.toml"),
        "KAMCORE_ZOHO_ACME_CLIENT_ID": "id-acme",
        "KAMCORE_ZOHO_ACME_EU_CLIENT_ID": "id-acme-eu",
    }
    known = {"client_id"}.__contains__
    assert dict(profile_config("zoho", "acme", environ=environ, known=known)) == {
        "client_id": "id-acme"
    }
    assert dict(profile_config("zoho", "acme-eu", environ=environ, known=known)) == {
        "client_id": "id-acme-eu"
    }
    # Without the list of known settings the longer profile's variable leaks in.
    assert "eu_client_id" in profile_config("zoho", "acme", environ=environ)


def test_a_short_lived_token_is_used_for_most_of_its_life(tmp_path: Path) -> None:
    clock = ManualClock(1_000.0)
    cache = TokenCache(tmp_path / "tokens", clock=clock.now)
    calls: list[int] = []

    def fetch() -> Token:
        calls.append(1)
        return Token(value=Secret("short"), expires_at=clock.now() + 30, issued_at=clock.now())

    for _ in range(5):
        cache.get("org", fetch)
        clock.advance(5)  # 25 s of a 30 s token: still inside its life less 3 s
    assert len(calls) == 1
    clock.advance(3)  # 28 s: within a tenth of its life of the end
    cache.get("org", fetch)
    assert len(calls) == 2
    # The token file keeps when it was issued, for the next process.
    reread = TokenCache(tmp_path / "tokens", clock=clock.now).get("org", fetch)
    assert reread.issued_at == clock.now()
    assert len(calls) == 2
