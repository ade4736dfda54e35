"""The adapter against other faithful servers: every point where the vendor's documentation
allows more than one behaviour, played by the local server's options, through the real client.

Each test names the documented freedom it exercises; the local server's defaults are one
reading of the documentation, and a server written independently may take another.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import fxiaoke_support
from fxiaoke_support import (
    T0,
    T0_MS,
    Sleeps,
    client_for,
    seed_accounts,
    seed_client_files,
    serve,
    settings_for,
    toml_profile,
)
from kamcore import SourceError
from kamcore.actions import Action
from kamcore_adapters.fxiaoke import (
    FxiaokeAuthError,
    FxiaokeRequestError,
    Settings,
    load_changes,
    load_portfolio,
    push_actions,
)
from kamcore_adapters.fxiaoke._reader import Reader
from kamcore_adapters.fxiaoke._settings import SETTINGS
from kamcore_adapters.testing import LoopbackServer, ManualClock, Request, Response
from kamcore_adapters.testing.fxiaoke import (
    OFFSET_OUT_OF_RANGE,
    LocalFxiaoke,
    error_answer,
)

QUERY = "/cgi/crm/v2/data/query"
DESCRIBE = "/cgi/crm/v2/object/describe"

# Fixtures shared by the Fenxiang Xiaoke tests.
loopback = fxiaoke_support.loopback


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def tenant(clock: ManualClock, **options: Any) -> LocalFxiaoke:
    """A tenant of its own (the hooks share token budgets per tenant) with *options*."""
    crm = LocalFxiaoke(
        clock=clock, rate_limit=None, permanent_code=f"perm-{uuid.uuid4().hex}", **options
    )
    crm.define_options("AccountObj", "account_level", {"1": "重要客户", "2": "普通客户"})
    return crm


def _action(key: str, account_id: str) -> Action:
    return Action(
        key=key,
        tenant="test",
        kind="task",
        account_id=account_id,
        owner="1000",
        title="Call the client",
        body="Nobody called for a month",
        finding_code="contact-cadence",
        severity="warning",
    )


def snapshot(crm: LocalFxiaoke, url: str, tmp_path: Path, **extra: str) -> list[str]:
    """Every client file a full sync reads, as comparable text."""
    with client_for(settings_for(crm, url, tmp_path, **extra)) as client:
        result = load_portfolio(client)
    assert result.quarantine == ()
    return sorted(repr(client_file) for client_file in result.portfolio)


# -------------------------------------------------------------------------------------------------
# Errors: the errorCode decides, whatever the HTTP status
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 500, 503])
def test_a_refused_token_is_an_auth_error_whatever_the_http_status(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path, status: int
) -> None:
    # "Errors come back as HTTP 200": a gateway in front of the API may still change the status.
    crm = tenant(clock, error_status=status)
    server = serve(loopback, crm)
    sleeps = Sleeps()
    settings = settings_for(crm, server.url, tmp_path, app_secret="wrong-secret-123")
    with client_for(settings, sleeps) as client, pytest.raises(FxiaokeAuthError) as caught:
        client.query("AccountObj")
    assert caught.value.code == 20006
    assert "wrong-secret-123" not in str(caught.value)
    assert sleeps == []  # not retried as if the server were down


@pytest.mark.parametrize(
    "options",
    [
        {"expired_token_code": 20016},
        {"expired_token_code": 20016, "error_status": 401},
        {"expired_token_code": 20016, "error_status": 500, "codes_as_text": True},
        {"expired_token_code": 10013},
    ],
)
def test_an_expired_token_is_refreshed_whatever_the_status_and_code_the_server_uses(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path, options: dict[str, Any]
) -> None:
    # The vendor's table gives 10013 for "offset > 10000 (also missing token)", and codes may
    # come as text.
    crm = tenant(clock, **options)
    server = serve(loopback, crm)
    ids = seed_accounts(crm, 3)
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        assert len(client.query("AccountObj")) == 3
        clock.advance(7300)
        assert [row["_id"] for row in client.query("AccountObj", orders=[("_id", True)])] == sorted(
            ids
        )
    assert crm.token_calls == 2


def test_an_offset_past_the_wall_is_still_a_request_error_not_a_token_refresh(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    crm = tenant(clock, expired_token_code=OFFSET_OUT_OF_RANGE)
    server = serve(loopback, crm)
    with (
        client_for(settings_for(crm, server.url, tmp_path)) as client,
        pytest.raises(FxiaokeRequestError, match="errorCode 10013"),
    ):
        client.query("AccountObj", offset=10_100)
    assert crm.token_calls == 1


def test_an_http_401_without_an_error_code_refreshes_the_token_once(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    # An OAuth gateway answers an expired bearer token with a bare 401.
    crm = tenant(clock)
    server = serve(loopback, crm)
    seed_accounts(crm, 2)
    settings = settings_for(crm, server.url, tmp_path, auth="bearer")
    with client_for(settings) as client:
        client.query("AccountObj")
        server.faults.add(QUERY, "status", status=401, body={"error": "invalid_token"})
        assert len(client.query("AccountObj")) == 2
        server.faults.add(QUERY, "status", status=401, body="", times=2)
        with pytest.raises(FxiaokeAuthError, match="HTTP 401"):
            client.query("AccountObj")


def test_empty_bodies_and_html_pages_are_retried_for_reads(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    crm = tenant(clock)
    server = serve(loopback, crm)
    seed_accounts(crm, 1)
    server.faults.add(QUERY, "status", status=200, body=b"")
    server.faults.add(QUERY, "status", status=503, body="<html>维护中</html>")
    server.faults.add(QUERY, "status", status=200, body="<html>gateway</html>")
    sleeps = Sleeps()
    with client_for(settings_for(crm, server.url, tmp_path), sleeps) as client:
        assert len(client.query("AccountObj")) == 1
    assert len(sleeps) == 3


def test_an_answer_without_a_content_type_is_still_read(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    crm = tenant(clock)
    server = serve(loopback, crm)
    answer = '{"errorCode":"0","data":{"dataList":[{"_id":"5f0c","name":"甲"}],"total":"0"}}'
    server.faults.add(QUERY, "status", status=200, body=answer.encode())
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        assert client.query("AccountObj") == [{"_id": "5f0c", "name": "甲"}]


def test_an_empty_answer_to_a_create_is_looked_up_not_sent_blindly_again(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    crm = tenant(clock)
    server = serve(loopback, crm)
    [account] = seed_accounts(crm, 1)
    server.faults.add("/cgi/crm/v2/data/create", "status", status=200, body=b"")
    action = _action("k-empty-1", account)
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        [result] = push_actions(client, [action])
    assert result.error is None
    assert [r["kamcore_key__c"] for r in crm.records("ActiveRecordObj")] == ["k-empty-1"]


def test_an_unclear_create_is_looked_up_after_the_search_index_caught_up(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    # Whether a query sees a record created a moment ago is not documented.
    crm = tenant(clock, search_lag=2.0)
    server = serve(loopback, crm)
    [account] = seed_accounts(crm, 1)
    server.faults.add("/cgi/crm/v2/data/create", "reset", handled=True)
    sleeps = Sleeps()

    def sleep(seconds: float) -> None:
        sleeps(seconds)
        clock.advance(seconds)

    with client_for(settings_for(crm, server.url, tmp_path), sleep=sleep) as client:
        [result] = push_actions(client, [_action("k-lag-1", account)])
    assert result.ok
    assert [r["kamcore_key__c"] for r in crm.records("ActiveRecordObj")] == ["k-lag-1"]
    assert sum(sleeps) >= 2.0


@pytest.mark.parametrize(
    ("headers", "waited"), [({"Retry-After": "7"}, 7.0), ({}, 0.5), ({"Retry-After": "soon"}, 0.5)]
)
def test_retry_after_is_a_floor_when_a_proxy_sends_one(
    loopback: LoopbackServer,
    clock: ManualClock,
    tmp_path: Path,
    headers: dict[str, str],
    waited: float,
) -> None:
    crm = tenant(clock)
    server = serve(loopback, crm)
    server.faults.add(QUERY, "status", status=429, body="busy", headers=headers)
    sleeps = Sleeps()
    with client_for(settings_for(crm, server.url, tmp_path), sleeps) as client:
        client.query("AccountObj")
    assert sleeps == [waited]


# -------------------------------------------------------------------------------------------------
# Token answers in every documented (and OAuth-usual) layout
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["corp_access_token", "bearer"])
@pytest.mark.parametrize(
    "layout",
    [("flat", "camel"), ("nested", "camel"), ("bare", "camel"), ("bare", "snake")],
)
def test_every_token_answer_layout_gives_a_working_token(
    loopback: LoopbackServer,
    clock: ManualClock,
    tmp_path: Path,
    auth: str,
    layout: tuple[str, str],
) -> None:
    envelope, keys = layout
    crm = tenant(clock, token_envelope=envelope, token_keys=keys)
    server = serve(loopback, crm)
    seed_accounts(crm, 2)
    with client_for(settings_for(crm, server.url, tmp_path / "a", auth=auth)) as client:
        assert len(client.query("AccountObj")) == 2
    clock.advance(3600)
    # Another process asks an hour later: the same token, with an hour left by its expiresIn.
    with client_for(settings_for(crm, server.url, tmp_path / "b", auth=auth)) as client:
        assert len(client.query("AccountObj")) == 2
        left = client.token().expires_at - time.time()
    assert 3500 < left <= 3600
    assert (crm.token_calls, len(crm.issued_tokens)) == (2, 1)


def test_a_token_shorter_lived_than_documented_is_not_fetched_at_every_call(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    crm = tenant(clock, token_lifetime=60)
    server = serve(loopback, crm)
    seed_accounts(crm, 1)
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        for _ in range(5):
            client.query("AccountObj")
    assert crm.token_calls == 1


@pytest.mark.parametrize("auth", ["corp_access_token", "bearer"])
def test_a_token_answer_without_the_tenant_needs_corp_id_and_says_so(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path, auth: str
) -> None:
    crm = tenant(clock, token_names_tenant=False)
    server = serve(loopback, crm)
    seed_accounts(crm, 1)
    settings = settings_for(crm, server.url, tmp_path, auth=auth)
    with client_for(settings) as client, pytest.raises(FxiaokeAuthError, match="corp_id"):
        client.query("AccountObj")
    tenant_id = crm.ea if auth == "bearer" else crm.corp_id
    configured = settings_for(crm, server.url, tmp_path / "2", auth=auth, corp_id=tenant_id)
    with client_for(configured) as client:
        assert len(client.query("AccountObj")) == 1


# -------------------------------------------------------------------------------------------------
# Paging edge cases
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 9, 10, 30, 35])
def test_keyset_paging_reads_every_record_once_at_any_count(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path, count: int
) -> None:
    # An empty tenant, a short single page, exactly one page, an exact multiple, a short last page.
    crm = tenant(clock)
    server = serve(loopback, crm)
    ids = seed_accounts(crm, count)
    start = len(server.requests)
    with client_for(settings_for(crm, server.url, tmp_path, page_size="10")) as client:
        pages = list(client.pages_by_id("AccountObj"))
    assert sorted(row["_id"] for page in pages for row in page) == sorted(ids)
    assert all(pages)  # no empty page is yielded
    queries = [r for r in server.requests[start:] if r.path == QUERY]
    assert len(queries) == count // 10 + 1


def test_a_server_that_serves_smaller_pages_than_asked_loses_no_record(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    # Sources disagree on the page maximum (100 or 1,000): a server may serve fewer than asked.
    crm = tenant(clock, max_limit=30, clamp_limit=True)
    server = serve(loopback, crm)
    ids = seed_accounts(crm, 95)
    seed_client_files(crm, ids[:40])
    settings = settings_for(crm, server.url, tmp_path)
    with client_for(settings) as client:
        first = load_changes(client, None)
    assert sorted(f.account.id for f in first.result.portfolio) == sorted(ids)
    assert sum(len(f.transactions) for f in first.result.portfolio) == 40

    clock.advance(60)
    for account_id in ids[:70]:
        crm.update("AccountObj", account_id, name="Renamed")
    with client_for(settings) as client:
        second = load_changes(client, first.cursor)
    assert sorted(f.account.id for f in second.result.portfolio) == sorted(ids[:70])


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    times=st.lists(st.integers(min_value=0, max_value=3), max_size=20),
    page_size=st.integers(min_value=1, max_value=6),
    served=st.integers(min_value=1, max_value=6),
)
def test_paging_and_changes_read_each_record_once_whatever_page_size_the_server_serves(
    loopback: LoopbackServer, times: list[int], page_size: int, served: int
) -> None:
    crm = LocalFxiaoke(clock=ManualClock(T0), rate_limit=None, max_limit=served, clamp_limit=True)
    ids = crm.add_many(
        "AccountObj",
        ({"name": f"A{n}", "owner": ["1"], "last_modified_time": t} for n, t in enumerate(times)),
    )
    server = serve(loopback, crm)
    raw = {**crm.profile_settings(server.url), "token_cache": "none", "page_size": str(page_size)}
    with client_for(Settings.from_mapping("p", raw)) as client:
        by_id = [row["_id"] for page in client.pages_by_id("AccountObj") for row in page]
        changes = [
            row["_id"] for page, _ in Reader(client)._changes("AccountObj", None) for row in page
        ]
    assert by_id == sorted(ids)
    assert changes == [i for _, i in sorted(zip(times, ids, strict=True))]


# -------------------------------------------------------------------------------------------------
# Record shapes: nulls, extra fields, id lengths, codes as text, charsets
# -------------------------------------------------------------------------------------------------


def _seed_tenant(crm: LocalFxiaoke) -> None:
    ids = crm.add_many(
        "AccountObj",
        (
            {"name": f"客户 {n}", "owner": ["1000"], "account_level": str(1 + n % 2)}
            for n in range(12)
        ),
    )
    seed_client_files(crm, ids)
    crm.add("ContactObj", name="没有电话", account_id=ids[0])


@pytest.mark.parametrize(
    "options",
    [
        {"include_null": True},
        {"read_extras": True},
        {"codes_as_text": True},
        {"charset": "gbk"},
        {"describe_layout": "flat"},
        {"token_envelope": "bare", "token_keys": "snake"},
        {"keep_alive": False},
        {"honour_projection": False},
    ],
    ids=",".join,
)
def test_a_tenant_reads_the_same_from_any_faithful_server(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path, options: dict[str, Any]
) -> None:
    reference = tenant(clock)
    _seed_tenant(reference)
    expected = snapshot(reference, serve(loopback, reference).url, tmp_path / "reference")
    variant = tenant(clock, **options)
    _seed_tenant(variant)
    assert snapshot(variant, serve(loopback, variant).url, tmp_path / "variant") == expected
    assert "重要客户" in "".join(expected)  # tier labels came from the describe


@pytest.mark.parametrize("lengths", [(32,), (24, 32)])
def test_ids_of_either_documented_length_sync_once_each(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path, lengths: tuple[int, ...]
) -> None:
    crm = tenant(clock, id_lengths=lengths)
    server = serve(loopback, crm)
    ids = seed_accounts(crm, 25)
    seed_client_files(crm, ids)
    assert {len(i) for i in ids} == set(lengths)
    with client_for(settings_for(crm, server.url, tmp_path, page_size="10")) as client:
        result = load_portfolio(client)
    assert sorted(f.account.id for f in result.portfolio) == sorted(ids)
    assert all(len(f.transactions) == 1 for f in result.portfolio)


def test_numbers_and_times_sent_as_numbers_or_strings_read_the_same(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    crm = tenant(clock)
    server = serve(loopback, crm)
    account = crm.add("AccountObj", name="A", owner="1000")  # an employee field not in a list
    for at, amount in [(T0_MS, "1200.50"), (str(T0_MS - 1), 1200.5), (T0_MS - 2, 7)]:
        crm.add("SalesOrderObj", account_id=account, name="SO", order_time=at, order_amount=amount)
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        result = load_portfolio(client)
    assert result.quarantine == ()
    client_file = result.portfolio[account]
    assert client_file.account.owner == "1000"
    assert sorted(str(t.amount) for t in client_file.transactions) == ["1200.5", "1200.50", "7"]


@pytest.mark.parametrize("offset_hours", [8, 0, -5])
def test_a_date_field_reads_as_its_calendar_day_whichever_midnight_the_server_stores(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path, offset_hours: int
) -> None:
    # A date field is epoch milliseconds of some midnight: Beijing's (the vendor's home),
    # UTC's, or the tenant's own on another cloud. Read in UTC, Beijing's is the day before.
    crm = tenant(clock)
    server = serve(loopback, crm)
    midnight = datetime(2025, 3, 1, tzinfo=timezone(timedelta(hours=offset_hours)))
    account = crm.add(
        "AccountObj",
        name="A",
        owner=["1000"],
        first_deal_date__c=int(midnight.timestamp() * 1000),
    )
    settings = settings_for(
        crm, server.url, tmp_path, field_account_client_since="first_deal_date__c"
    )
    with client_for(settings) as client:
        result = load_portfolio(client)
    assert str(result.portfolio[account].account.client_since) == "2025-03-01"


# -------------------------------------------------------------------------------------------------
# Describe and create answers; a describe the acting user may not read
# -------------------------------------------------------------------------------------------------


def test_an_opportunity_object_the_user_may_not_describe_is_skipped_not_fatal(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    crm = tenant(clock)
    server = serve(loopback, crm)
    seed_accounts(crm, 2)
    # The code for an object the tenant lacks or the user may not see is not documented.
    server.faults.add(DESCRIBE, "status", status=200, body=error_answer(20014, "无权限"))
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        assert len(load_portfolio(client).portfolio) == 2


@pytest.mark.parametrize("code", [10007, 10005, 10006, 20014, 20022])
def test_the_opportunity_object_is_found_whatever_code_a_missing_object_gets(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path, code: int
) -> None:
    crm = tenant(clock, opportunity_object="OpportunityObj", missing_object_code=code)
    server = serve(loopback, crm)
    [account] = seed_accounts(crm, 1)
    crm.add("OpportunityObj", account_id=account, name="ERP 升级", owner=["1000"])
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        result = load_portfolio(client)
    assert result.portfolio[account].account.needs == ("ERP 升级",)


def test_a_create_answer_with_the_id_under_data_is_understood(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    crm = tenant(clock, create_layout="nested")
    server = serve(loopback, crm)
    [account] = seed_accounts(crm, 1)
    action = _action("k-nested-1", account)
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        [result] = push_actions(client, [action])
    assert result.error is None
    assert result.record_id == crm.records("ActiveRecordObj")[0]["_id"]


# -------------------------------------------------------------------------------------------------
# Configuration as docs/connect-fxiaoke.md tells a stranger
# -------------------------------------------------------------------------------------------------


def _prefixed(crm: LocalFxiaoke, prefix: str) -> Any:
    """*crm* mounted under *prefix*, as a sandbox behind a shared gateway is."""

    def handler(request: Request) -> Response:
        if not request.path.startswith(prefix + "/"):
            return Response(404, b"<html>not found</html>", {"Content-Type": "text/html"})
        return crm(attrs.evolve(request, path=request.path.removeprefix(prefix)))

    return handler


def test_a_sandbox_profile_from_the_environment_reaches_a_host_with_a_path(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path
) -> None:
    # As docs/connect-fxiaoke.md tells it: production in the file, the sandbox in the
    # environment alone, its host with a path.
    crm = tenant(clock)
    serve(loopback, crm)
    loopback.handler = _prefixed(crm, "/sandbox/fxiaoke")
    seed_accounts(crm, 3)
    config = tmp_path / "kamcore.toml"
    production = {**crm.profile_settings("https://open.fxiaoke.com"), "token_cache": "none"}
    config.write_text(toml_profile(production, "prod"), encoding="utf-8")
    sandbox = {**crm.profile_settings(f"{loopback.url}/sandbox/fxiaoke/"), "token_cache": "none"}
    environ = {
        "KAMCORE_CONFIG": str(config),
        **{f"KAMCORE_FXIAOKE_SANDBOX_{key.upper()}": value for key, value in sandbox.items()},
    }
    # A profile prod-sandbox's variables are not settings "sandbox_…" of the profile prod.
    environ |= {"KAMCORE_FXIAOKE_PROD_SANDBOX_HOST": "https://elsewhere.example"}
    assert Settings.load("prod", environ=environ).host == "https://open.fxiaoke.com"
    settings = Settings.load("sandbox", environ=environ)
    assert settings.host == f"{loopback.url}/sandbox/fxiaoke"
    with client_for(settings) as client:
        assert len(client.query("AccountObj")) == 3


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"base_url": "https://sandbox.example"}, "base_url"),
        ({"app_secert": "oops-secret"}, "app_secert"),
        ({"host": "open-hwcloud.fxiaoke.com"}, "host"),
        ({"host": "ftp://open.fxiaoke.com"}, "host"),
    ],
)
def test_an_unknown_setting_or_a_host_that_is_no_url_is_refused_by_name(
    extra: dict[str, str], named: str
) -> None:
    base = {"app_id": "FSAID_1", "app_secret": "s3cret", "permanent_code": "p3rm", "user_id": "u"}
    with pytest.raises(SourceError, match=f"fxiaoke:p: .*{named}") as caught:
        Settings.from_mapping("p", {**base, **extra})
    for value in ("s3cret", "p3rm", "oops-secret", "sandbox.example"):
        assert value not in str(caught.value)


def test_every_setting_the_docs_list_is_accepted() -> None:
    documented = Path(__file__).parent.parent / "docs" / "connect-fxiaoke.md"
    text = documented.read_text(encoding="utf-8")
    table = text.split("| setting | default | meaning |", 1)[1].split("\n\n", 1)[0]
    names = {
        name.strip("` ") for row in table.splitlines()[2:] for name in row.split("|")[1].split(",")
    }
    assert names == SETTINGS  # the table lists every setting, and no other
    raw = dict.fromkeys(names, "x")
    values = {
        "host": "https://open.fxiaoke.com",
        "auth": "bearer",
        "tiers": "1=key",
        "facts": "segment=industry_level1",
        "channels": "phone=call",
        "default_channel": "call",
        "currency": "CNY",
        "opportunity_object": "auto",
        "writeback_object": "ScheduleObj",
        "action_key_field": "kamcore_key__c",
        "update_account_level": "false",
        "token_cache": "none",
        "calls_per_window": "50",
        "window_seconds": "20",
        "timeout": "10",
        "page_size": "50",
    }
    settings = Settings.from_mapping("p", {**raw, **values, "field_account_name": "name"})
    assert (settings.host, settings.page_size, settings.corp_id) == (
        "https://open.fxiaoke.com",
        50,
        "x",
    )
