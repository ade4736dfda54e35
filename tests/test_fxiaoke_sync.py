"""Reading Fenxiang Xiaoke into kamcore: keyset paging past the 10,000-offset wall, changes
since a cursor, whole client files, faults, the daily quota, the field mapping and the quarantine."""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fxiaoke_support
from fxiaoke_support import (
    T0,
    T0_MS,
    Sleeps,
    client_for,
    fxiaoke_plugins,
    seed_accounts,
    seed_client_files,
    serve,
    settings_for,
    write_profile,
)
from kamcore import PortfolioFormatError, SourceError
from kamcore.stores import Ledger
from kamcore.sync import ChangeSet, sync
from kamcore_adapters.fxiaoke import (
    Cursor,
    FxiaokeRequestError,
    Settings,
    kamcore_load_changes,
    kamcore_load_portfolio,
    load_changes,
    load_portfolio,
)
from kamcore_adapters.fxiaoke._reader import Reader
from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing.fxiaoke import LocalFxiaoke, error_answer

QUERY = "/cgi/crm/v2/data/query"

# Fixtures shared by the Fenxiang Xiaoke tests.
loopback = fxiaoke_support.loopback


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def crm(clock: ManualClock) -> LocalFxiaoke:
    # A tenant of its own per test (its own permanent code), so that the token budget
    # the hooks share per tenant in this process is not used up by earlier tests.
    crm = LocalFxiaoke(clock=clock, rate_limit=None, permanent_code=f"perm-{uuid.uuid4().hex}")
    crm.define_options("AccountObj", "account_level", {"1": "重要客户", "2": "普通客户"})
    crm.define_options(
        "ActiveRecordObj", "active_record_type", {"phone": "电话", "visit": "上门拜访"}
    )
    return crm


@pytest.fixture
def server(loopback: LoopbackServer, crm: LocalFxiaoke) -> LoopbackServer:
    return serve(loopback, crm)


@pytest.fixture
def profile(
    crm: LocalFxiaoke, server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """``fxiaoke:test`` configured in a kamcore.toml that points at the local CRM."""
    write_profile(crm, server, tmp_path, monkeypatch)
    return "fxiaoke:test"


def query_bodies(server: LoopbackServer, start: int = 0) -> list[dict[str, Any]]:
    return [r.json()["data"] for r in server.requests[start:] if r.path == QUERY]


# -------------------------------------------------------------------------------------------------
# Keyset paging and changes
# -------------------------------------------------------------------------------------------------


def test_25000_accounts_cross_the_offset_wall_once_each_and_the_next_sync_reads_only_changes(
    server: LoopbackServer, crm: LocalFxiaoke, clock: ManualClock, tmp_path: Path
) -> None:
    ids = seed_accounts(crm, 25_000)
    seed_client_files(crm, ids[::100])
    settings = settings_for(crm, server.url, tmp_path)
    started = time.perf_counter()
    with client_for(settings) as client:
        first = load_changes(client, None)
        with pytest.raises(FxiaokeRequestError, match="errorCode 10013"):
            client.query("AccountObj", offset=10_100)  # offset paging would stop here
    elapsed = time.perf_counter() - started
    portfolio = first.result.portfolio

    assert sorted(client_file.account.id for client_file in portfolio) == sorted(ids)
    assert first.result.quarantine == ()
    bodies = query_bodies(server)
    assert all(b["search_query_info"]["offset"] == 0 for b in bodies[:-1])  # keyset only
    full_read = [
        b["search_query_info"]["filters"]
        for b in bodies
        if b["dataObjectApiName"] == "AccountObj"
        and b["search_query_info"].get("orders") == [{"fieldName": "_id", "isAsc": True}]
        and not any(
            f["field_name"] == "last_modified_time" for f in b["search_query_info"]["filters"]
        )
    ]
    keyset = [f["field_values"][0] for filters in full_read for f in filters]
    assert keyset == sorted(set(keyset))  # each page starts after the last: none read twice
    assert len(keyset) == 250  # the pages after the first, and the empty one that ends it
    assert sum(len(portfolio[i].transactions) for i in ids[::100]) == 250
    print(f"25,000 accounts in {elapsed:.1f} s, {len(bodies)} queries")

    clock.advance(60)
    crm.update("AccountObj", ids[5], name="Renamed")
    crm.update("ContactObj", crm.records("ContactObj")[0]["_id"], name="New name")
    crm.add("SalesOrderObj", account_id=ids[7], name="SO-new", order_time=T0_MS, order_amount="9")
    start = len(server.requests)
    with client_for(settings) as client:
        second = load_changes(client, first.cursor)
    contact_account = crm.records("ContactObj")[0]["account_id"]
    changed = {ids[5], ids[7], contact_account}
    assert {client_file.account.id for client_file in second.result.portfolio} == changed
    assert second.result.portfolio[ids[5]].account.name == "Renamed"
    assert len(server.requests) - start < 40  # a few pages, not 25,000 accounts again

    with client_for(settings) as client:
        third = load_changes(client, second.cursor)
    assert len(third.result.portfolio) == 0
    assert third.cursor == second.cursor


def test_a_changed_child_brings_its_whole_client_file(
    server: LoopbackServer, crm: LocalFxiaoke, clock: ManualClock, tmp_path: Path
) -> None:
    ids = seed_accounts(crm, 3)
    seed_client_files(crm, ids)
    crm.add("ContactObj", name="Second contact", account_id=ids[1])
    settings = settings_for(crm, server.url, tmp_path)
    with client_for(settings) as client:
        cursor = load_changes(client, None).cursor
    clock.advance(1)
    activity = next(r for r in crm.records("ActiveRecordObj") if r["account_id"] == ids[1])
    crm.update("ActiveRecordObj", activity["_id"], active_record_content="Visited the plant")

    with client_for(settings) as client:
        changes = load_changes(client, cursor)

    (client_file,) = changes.result.portfolio
    assert client_file.account.id == ids[1]
    assert {contact.name for contact in client_file.account.contacts} == {
        f"Contact of {ids[1]}",
        "Second contact",
    }
    assert len(client_file.transactions) == 1
    assert [event.summary for event in client_file.timeline] == ["Visited the plant"]


def test_more_changes_in_one_millisecond_than_a_page_are_read_once_each(
    server: LoopbackServer, crm: LocalFxiaoke, clock: ManualClock, tmp_path: Path
) -> None:
    ids = seed_accounts(crm, 260)
    settings = settings_for(crm, server.url, tmp_path)
    with client_for(settings) as client:
        cursor = load_changes(client, None).cursor
    clock.advance(1)
    for account_id in ids[:250]:  # a bulk update: 250 records in the same millisecond
        crm.update("AccountObj", account_id, account_level="1")

    with client_for(settings) as client:
        changes = load_changes(client, cursor)
        again = load_changes(client, changes.cursor)

    assert sorted(c.account.id for c in changes.result.portfolio) == sorted(ids[:250])
    assert {c.account.tier for c in changes.result.portfolio} == {"重要客户"}
    assert len(again.result.portfolio) == 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    times=st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=25),
    page_size=st.integers(min_value=1, max_value=4),
    resume_after=st.integers(min_value=0, max_value=8),
)
def test_the_change_stream_reads_every_change_once_in_order_whatever_the_ties(
    loopback: LoopbackServer, times: list[int], page_size: int, resume_after: int
) -> None:
    crm = LocalFxiaoke(clock=ManualClock(T0), rate_limit=None)
    ids = crm.add_many(
        "AccountObj",
        ({"name": f"A{n}", "owner": ["1"], "last_modified_time": t} for n, t in enumerate(times)),
    )
    server = serve(loopback, crm)
    raw = {
        **crm.profile_settings(server.url),
        "token_cache": "none",
        "calls_per_window": "100000",
        "page_size": str(page_size),
    }
    with client_for(Settings.from_mapping("p", raw)) as client:
        reader = Reader(client)
        pages = list(itertools.islice(reader._changes("AccountObj", None), resume_after))
        read = [row["_id"] for page, _ in pages for row in page]
        # A later sync resumes from the last mark (or starts over when it has none).
        mark = pages[-1][1] if pages else None
        read += [row["_id"] for page, _ in reader._changes("AccountObj", mark) for row in page]
    expected = [i for _, i in sorted(zip(times, ids, strict=True))]
    assert read == expected


# -------------------------------------------------------------------------------------------------
# Faults and the daily quota
# -------------------------------------------------------------------------------------------------


def test_every_record_is_synced_once_through_storms_busy_codes_resets_and_token_expiry(
    server: LoopbackServer, crm: LocalFxiaoke, clock: ManualClock, tmp_path: Path
) -> None:
    ids = seed_accounts(crm, 1_200)
    seed_client_files(crm, ids[::3])

    def later(at: int, kind: Any, times: int = 1, code: int = 0) -> None:
        # The fault shows from the request after the at-th query the CRM answered.
        def add() -> None:
            if kind == "reset":
                server.faults.add(QUERY, "reset", times=times)
            else:
                server.faults.add(QUERY, "status", status=200, body=error_answer(code), times=times)

        crm.trigger(QUERY, at=at, action=add)

    later(5, "code", times=5, code=30004)  # a storm, just short of giving up
    later(12, "code", times=2, code=-1)
    later(20, "reset")
    later(26, "code", times=2, code=50009)
    crm.trigger(QUERY, at=30, action=lambda: clock.advance(7300))  # token expires mid-read
    sleeps = Sleeps()

    with client_for(settings_for(crm, server.url, tmp_path), sleeps) as client:
        changes = load_changes(client, None)

    portfolio = changes.result.portfolio
    assert sorted(c.account.id for c in portfolio) == sorted(ids)
    orders = Counter(t.id for c in portfolio for t in c.transactions)
    assert sorted(orders) == sorted(r["_id"] for r in crm.records("SalesOrderObj"))
    assert set(orders.values()) == {1}
    assert server.faults.pending == 0
    assert len(sleeps) == 10
    assert len(crm.issued_tokens) == 2


def test_a_daily_quota_hit_mid_sync_stops_cleanly_and_resumes_the_next_day(
    crm: LocalFxiaoke,
    clock: ManualClock,
    profile: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    crm.daily_quota = 40
    ids = seed_accounts(crm, 1_000)
    seed_client_files(crm, ids[::10])
    plugins = fxiaoke_plugins()
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = sync(profile, ledger, plugins=plugins)
        kept = ledger.cursor("default", profile)
        same_day = sync(profile, ledger, plugins=plugins)
        clock.advance(86_400)
        next_day = sync(profile, ledger, plugins=plugins)

    assert 0 < first.accounts < 1_000
    assert kept is not None
    assert '"stopped":"errorCode 30002: quota used up"' in kept
    assert "stopped early" in caplog.text
    assert "quota" in caplog.text
    assert same_day.accounts == 0  # still used up: nothing read, the place kept
    assert same_day.cursor == kept
    loaded = [c.account.id for r in (first, next_day) for c in r.result.portfolio]
    assert sorted(loaded) == sorted(ids)  # every account exactly once over the two days
    assert next_day.cursor is not None
    assert "stopped" not in next_day.cursor


def test_a_quota_used_up_before_the_first_page_starts_over_the_next_day(
    server: LoopbackServer, crm: LocalFxiaoke, clock: ManualClock, tmp_path: Path
) -> None:
    crm.daily_quota = 3  # not even enough to describe the objects
    ids = seed_accounts(crm, 120)
    settings = settings_for(crm, server.url, tmp_path)
    with client_for(settings) as client:
        stopped = load_changes(client, None)
    clock.advance(86_400)
    crm.daily_quota = 100
    with client_for(settings) as client:
        resumed = load_changes(client, stopped.cursor)
    assert len(stopped.result.portfolio) == 0
    assert sorted(c.account.id for c in resumed.result.portfolio) == sorted(ids)


def test_the_bearer_style_syncs_through_the_hooks_too(
    crm: LocalFxiaoke, profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = seed_accounts(crm, 3)
    monkeypatch.setenv("KAMCORE_FXIAOKE_TEST_AUTH", "bearer")  # the environment wins
    monkeypatch.setenv("KAMCORE_FXIAOKE_TEST_USER_ID", "1000")
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        summary = sync(profile, ledger, plugins=fxiaoke_plugins())
    assert sorted(c.account.id for c in summary.result.portfolio) == sorted(ids)
    assert crm.calls["/oauth2.0/token"] == 1
    assert crm.calls["/cgi/corpAccessToken/get/V2"] == 0


# -------------------------------------------------------------------------------------------------
# Mapping: fields, options, tiers, quarantine, permissions
# -------------------------------------------------------------------------------------------------


def test_the_documented_mapping_turns_crm_values_into_kamcore_values(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    account = crm.add(
        "AccountObj", name="纷享贸易有限公司", owner=["1000", "1001"], account_level="1"
    )
    crm.add("ContactObj", account_id=account, name="王芳", email="w@x.cn", tel1="021-5555")
    crm.add("NewOpportunityObj", account_id=account, name="二期扩容")
    crm.add(
        "SalesOrderObj",
        account_id=account,
        name="SO-2026-001",
        order_time=1_612_247_399_397,
        order_amount="88000.10",
    )
    crm.add(
        "ActiveRecordObj",
        account_id=account,
        active_record_type="visit",
        active_record_content="上门拜访，确认二期需求",
        created_by=["1001"],
        create_time=1_612_247_400_000,
    )
    crm.add("ActiveRecordObj", account_id=account, active_record_type="other", created_by=["1"])
    crm.add("ActiveRecordObj", account_id=account, kamcore_key__c="kam-1", created_by=["1"])

    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        result = load_portfolio(client, strict=True)

    client_file = result.portfolio[account]
    assert client_file.account.name == "纷享贸易有限公司"
    assert client_file.account.owner == "1000"  # the first of the employee list
    assert client_file.account.tier == "重要客户"  # the option's label from describe
    assert client_file.account.needs == ("二期扩容",)
    assert client_file.account.facts == {"opportunities": 1}
    (contact,) = client_file.account.contacts
    assert (contact.name, contact.email, contact.phone) == ("王芳", "w@x.cn", "021-5555")
    (order,) = client_file.transactions
    assert order.at.isoformat() == "2021-02-02T06:29:59.397000+00:00"
    assert (order.product, order.amount, order.currency) == (
        "SO-2026-001",
        Decimal("88000.10"),
        "CNY",
    )
    visit, other = sorted(client_file.timeline, key=lambda e: e.channel, reverse=True)
    assert (visit.channel, visit.by, visit.summary) == ("visit", "1001", "上门拜访，确认二期需求")
    assert other.channel == "call"  # no label to read: the default channel
    assert len(client_file.timeline) == 2  # kamcore's own write-back is no client contact


def test_renamed_and_custom_fields_tiers_facts_and_channels_are_configurable(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    crm.define_object("AccountObj", {"employees__c": "number"})
    crm.define_options("AccountObj", "industry_level1", {"7": "制造业"})
    crm.define_options("AccountObj", "level__c", {"A": "A类"})
    account = crm.add(
        "AccountObj",
        full_name__c="Acme Handel GmbH",
        owner=["1000"],
        level__c="A",
        employees__c="120",
        industry_level1="7",
        first_deal__c=1_546_300_800_000,
    )
    crm.add(
        "SalesOrderObj",
        account_id=account,
        name="SO-1",
        order_time=T0_MS,
        order_amount="10",
        currency__c="EUR",
    )
    crm.add("ActiveRecordObj", account_id=account, active_record_type="phone", created_by=["1"])
    settings = settings_for(
        crm,
        server.url,
        tmp_path,
        field_account_name="full_name__c",
        field_account_tier="level__c",
        field_account_client_since="first_deal__c",
        field_order_currency="currency__c",
        tiers="A=strategic; B=key",
        facts="field_sales_reps=employees__c; segment=industry_level1",
        channels="phone=message",
    )
    with client_for(settings) as client:
        result = load_portfolio(client, strict=True)

    client_file = result.portfolio[account]
    assert client_file.account.name == "Acme Handel GmbH"
    assert client_file.account.tier == "strategic"
    assert str(client_file.account.client_since) == "2019-01-01"
    assert client_file.account.facts == {"field_sales_reps": 120, "segment": "制造业"}
    assert client_file.transactions[0].currency == "EUR"
    assert [event.channel for event in client_file.timeline] == ["message"]


def test_unmappable_records_are_quarantined_with_their_reason_and_the_rest_continue(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    good = crm.add("AccountObj", name="Good", owner=["1000"])
    ownerless = crm.add("AccountObj", name="No owner")
    crm.add("SalesOrderObj", account_id=good, name="ok", order_time=T0_MS, order_amount="5")
    bad_amount = crm.add(
        "SalesOrderObj", account_id=good, name="x", order_time=T0_MS, order_amount="12,50"
    )
    bad_time = crm.add(
        "ActiveRecordObj", account_id=good, create_time="yesterday", created_by=["1"]
    )
    settings = settings_for(crm, server.url, tmp_path)

    with client_for(settings) as client:
        result = load_portfolio(client)

    assert [c.account.id for c in result.portfolio] == [good]
    assert len(result.portfolio[good].transactions) == 1
    reasons = {q.record_id: (q.kind, str(q.problems[0])) for q in result.quarantine}
    assert reasons[ownerless][0] == "account"
    assert "owner" in reasons[ownerless][1]
    assert reasons[bad_amount] == (
        "transaction",
        f"SalesOrderObj {bad_amount}.order_amount: '12,50' is not a decimal number",
    )
    assert reasons[bad_time][0] == "event"
    assert "'yesterday' is not a time in epoch milliseconds" in reasons[bad_time][1]
    raw = next(q.raw for q in result.quarantine if q.record_id == bad_amount)
    assert raw["order_amount"] == "12,50"  # the record as the CRM gave it

    with client_for(settings) as client, pytest.raises(PortfolioFormatError):
        load_portfolio(client, strict=True)


def test_an_account_that_cannot_be_converted_is_set_aside_with_its_records(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    account = crm.add("AccountObj", name="A", owner=["1000"], first_deal__c="last spring")
    order = crm.add("SalesOrderObj", account_id=account, name="SO", order_time=1, order_amount="1")
    settings = settings_for(crm, server.url, tmp_path, field_account_client_since="first_deal__c")
    with client_for(settings) as client:
        result = load_portfolio(client)
    assert len(result.portfolio) == 0
    reasons = {q.record_id: str(q.problems[0]) for q in result.quarantine}
    assert "first_deal__c: 'last spring' is not a time" in reasons[account]
    assert reasons[order].endswith(f"its account {account} was set aside")


def test_a_tenant_without_the_key_field_is_not_asked_for_it(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    crm.drop_field("ActiveRecordObj", "kamcore_key__c")  # it only reads, never wrote back
    seed_client_files(crm, seed_accounts(crm, 1))
    start = len(server.requests)
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        assert len(load_portfolio(client).portfolio) == 1
    projections = [
        body["search_query_info"]["fieldProjection"]
        for body in query_bodies(server, start)
        if body["dataObjectApiName"] == "ActiveRecordObj"
    ]
    assert projections
    assert all("kamcore_key__c" not in fields for fields in projections)


def test_the_acting_user_decides_what_is_read(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    crm.add_user("FSUID_anna", sees_owners={"1000"})
    mine = seed_accounts(crm, 3, owner="1000")
    seed_accounts(crm, 2, owner="1001")
    settings = settings_for(crm, server.url, tmp_path, user_id="FSUID_anna")
    with client_for(settings) as client:
        result = load_portfolio(client)
    assert sorted(c.account.id for c in result.portfolio) == sorted(mine)


@pytest.mark.parametrize("opportunities", ["NewOpportunityObj", "OpportunityObj"])
def test_opportunities_come_from_whichever_object_the_tenant_has(
    loopback: LoopbackServer, clock: ManualClock, tmp_path: Path, opportunities: str
) -> None:
    crm = LocalFxiaoke(clock=clock, rate_limit=None, opportunity_object=opportunities)
    server = serve(loopback, crm)
    account = crm.add("AccountObj", name="A", owner=["1000"])
    crm.add(opportunities, account_id=account, name="Pumps for plant 2")
    with client_for(settings_for(crm, server.url, tmp_path)) as client:
        result = load_portfolio(client)
    assert result.portfolio[account].account.needs == ("Pumps for plant 2",)
    objects = {body["dataObjectApiName"] for body in query_bodies(server)}
    assert opportunities in objects


def test_the_projection_asks_only_for_mapped_fields(
    server: LoopbackServer, crm: LocalFxiaoke, tmp_path: Path
) -> None:
    seed_accounts(crm, 1)
    start = len(server.requests)
    with client_for(settings_for(crm, server.url, tmp_path, facts="potential=p__c")) as client:
        load_portfolio(client)
    projections = {
        body["dataObjectApiName"]: body["search_query_info"].get("fieldProjection")
        for body in query_bodies(server, start)
    }
    assert projections["AccountObj"] == sorted(
        ["_id", "last_modified_time", "name", "owner", "account_level", "p__c"]
    )


# -------------------------------------------------------------------------------------------------
# Hooks
# -------------------------------------------------------------------------------------------------


def test_the_hooks_answer_only_for_fxiaoke_sources() -> None:
    assert kamcore_load_portfolio(source="zoho:prod", strict=False) is None
    assert kamcore_load_changes(source="portfolio.json", since=None, strict=False) is None


def test_sync_keeps_the_cursor_in_the_ledger_through_the_hooks(
    crm: LocalFxiaoke, clock: ManualClock, profile: str, tmp_path: Path
) -> None:
    ids = seed_accounts(crm, 5)
    plugins = fxiaoke_plugins()
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = sync(profile, ledger, plugins=plugins)
        clock.advance(1)
        crm.update("AccountObj", ids[2], name="Changed")
        second = sync(profile, ledger, plugins=plugins)
        full = sync(profile, ledger, full=True, plugins=plugins)
    assert (first.accounts, second.accounts, full.accounts) == (5, 1, 5)
    assert second.result.portfolio[ids[2]].account.name == "Changed"
    changes = kamcore_load_changes(source=profile, since=second.cursor, strict=True)
    assert isinstance(changes, ChangeSet)
    assert len(changes.result.portfolio) == 0


def test_a_cursor_from_elsewhere_is_refused_with_a_way_out(profile: str) -> None:
    with pytest.raises(SourceError, match="run `kamcore sync --full`"):
        kamcore_load_changes(source=profile, since="zoho-cursor-1", strict=False)
    assert Cursor.decode(Cursor().encode(), profile) == Cursor()


def test_a_missing_profile_is_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMCORE_CONFIG", str(tmp_path / "none.toml"))
    with pytest.raises(SourceError, match=r"fxiaoke:nope: no such profile"):
        kamcore_load_portfolio(source="fxiaoke:nope", strict=False)


def test_the_log_of_a_sync_says_what_was_asked_not_what_was_sent(
    server: LoopbackServer,
    crm: LocalFxiaoke,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seed_accounts(crm, 2)
    settings = settings_for(crm, server.url, tmp_path)
    with (
        caplog.at_level(logging.DEBUG, logger="kamcore_adapters.fxiaoke"),
        client_for(settings) as client,
    ):
        load_changes(client, None)
    assert "POST /cgi/crm/v2/data/query -> errorCode 0" in caplog.text
    for secret in (crm.app_secret, crm.permanent_code, *crm.issued_tokens):
        assert secret not in caplog.text
