"""Reading a Zoho org: the mapping onto client files, paging past the 2,000-record wall,
incremental syncs, quarantine, and the faults a read must ride out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kamcore import SourceError
from kamcore.model import Interaction, Promise, PromiseKept, Request
from kamcore.plugins import get_plugin_manager
from kamcore.stores import Ledger
from kamcore.sync import ChangeSet, sync
from kamcore_adapters import zoho as adapter
from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing import Request as HttpRequest
from kamcore_adapters.testing import Response as HttpResponse
from kamcore_adapters.testing.zoho import LocalZoho, populate
from zoho_support import (  # noqa: F401 - fixtures
    SOURCE,
    fixture_clock,
    fixture_profile,
    fixture_server,
    fixture_zoho,
    later,
    write_profile,
)


def load(source: str = SOURCE, since: str | None = None) -> ChangeSet:
    changes = adapter.kamcore_load_changes(source=source, since=since, strict=False)
    assert changes is not None
    return changes


def list_requests(server: LoopbackServer, module: str) -> list[HttpRequest]:
    return [r for r in server.requests if r.method == "GET" and r.path == f"/crm/v8/{module}"]


# -------------------------------------------------------------------------------------------------
# The mapping
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def org(zoho: LocalZoho) -> dict[str, str]:
    """One account with one of everything, entered in the user's time zone (+05:30)."""
    anna = zoho.add_user("Anna Petrova")
    account = zoho.add(
        "Accounts",
        Account_Name="Acme Handel GmbH",
        Owner=anna,
        Industry="Retail",
        Annual_Revenue=1_500_000,
        Kamcore_Tier="key",
        Kamcore_Needs="spare parts\nquarterly restock",
    )
    contact = zoho.add(
        "Contacts",
        First_Name="Olena",
        Last_Name="Kovalenko",
        Title="Head of purchasing",
        Email="o.k@acme.invalid",
        Account_Name=account,
        Kamcore_Channel="Call",
    )
    won = zoho.add(
        "Deals",
        Deal_Name="Pump X200",
        Amount=Decimal("1200.10"),
        Currency="EUR",
        Stage="Closed Won",
        Closing_Date=datetime(2026, 2, 3, tzinfo=UTC).date(),
        Account_Name=account,
    )
    zoho.add(
        "Deals", Deal_Name="Pumps 2027", Amount=5000, Stage="Negotiation", Account_Name=account
    )
    at = datetime(2026, 3, 4, 4, 30, tzinfo=UTC)  # 10:00 in +05:30
    call = zoho.add(
        "Calls",
        Subject="Discount",
        Call_Type="Inbound",
        Call_Start_Time=at,
        Call_Purpose="Negotiation",
        Who_Id=contact,
        Owner=anna,
    )
    missed = zoho.add(
        "Calls",
        Subject="Missed call",
        Call_Type="Missed",
        Call_Start_Time=at,
        What_Id=won,
        **{"$se_module": "Deals"},
    )
    meeting = zoho.add(
        "Events",
        Event_Title="Quarterly review",
        Start_DateTime=at,
        End_DateTime=at,
        What_Id=account,
        **{"$se_module": "Accounts"},
    )
    task = zoho.add(
        "Tasks",
        Subject="Send the revised contract",
        Due_Date=datetime(2026, 3, 11, tzinfo=UTC).date(),
        Status="Completed",
        Closed_Time=datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
        What_Id=account,
        Created_Time=datetime(2026, 3, 6, 9, 35, tzinfo=UTC),
        **{"$se_module": "Accounts"},
    )
    zoho.add(
        "Notes",
        Note_Title="sport",
        Note_Content="Supports Dynamo Kyiv.",
        Parent_Id={"module": {"api_name": "Accounts"}, "id": account},
    )
    return {
        "account": account,
        "contact": contact,
        "won": won,
        "call": call,
        "missed": missed,
        "meeting": meeting,
        "task": task,
        "anna": anna,
    }


def test_every_module_maps_onto_the_client_file(profile: str, org: dict[str, str]) -> None:
    changes = load()

    assert changes.result.quarantine == ()
    client = changes.result.portfolio.files[org["account"]]
    account = client.account
    assert (account.name, account.owner, account.tier) == ("Acme Handel GmbH", org["anna"], "key")
    assert account.needs == ("spare parts", "quarterly restock")
    assert account.facts["industry"] == "Retail"
    assert account.facts["open_deals"] == 1
    assert [(c.id, c.name, c.position, c.channel) for c in account.contacts] == [
        (org["contact"], "Olena Kovalenko", "Head of purchasing", "call")
    ]
    assert [(n.text, n.topic) for n in account.personal_notes] == [
        ("Supports Dynamo Kyiv.", "sport")
    ]
    [transaction] = client.transactions
    assert (transaction.id, transaction.amount, transaction.currency) == (
        org["won"],
        Decimal("1200.10"),
        "EUR",
    )
    events = {event.id: event for event in client.timeline}
    call = events[org["call"]]
    assert isinstance(call, Interaction)
    assert (call.channel, call.initiated_by, call.contact_id, call.topics) == (
        "call",
        "client",
        org["contact"],
        ("negotiation",),
    )
    assert isinstance(events[org["missed"]], Request)  # a missed call is the client asking
    assert isinstance(events[org["meeting"]], Interaction)
    assert events[org["meeting"]].channel == "meeting"  # type: ignore[attr-defined]
    promise = events[org["task"]]
    assert isinstance(promise, Promise)
    assert isinstance(events[f"{org['task']}-kept"], PromiseKept)
    # The due date ends at midnight in the user's time zone (+05:30), kept as UTC.
    assert promise.due == datetime(2026, 3, 11, 18, 29, 59, tzinfo=UTC)
    assert staff_names(changes) == {org["anna"]: "Anna Petrova"}


def staff_names(changes: ChangeSet) -> dict[str, str]:
    return {
        member.id: member.name
        for member in changes.result.portfolio.staff
        if member.name != "Local Admin"
    }


def test_every_date_time_is_normalised_to_utc(profile: str, org: dict[str, str]) -> None:
    client = load().result.portfolio.files[org["account"]]

    moments = [event.at for event in client.timeline]
    assert moments
    assert all(moment.utcoffset() is not None for moment in moments)
    assert all(moment.utcoffset().total_seconds() == 0 for moment in moments)  # type: ignore[union-attr]
    call = next(e for e in client.timeline if e.id == org["call"])
    assert call.at == datetime(2026, 3, 4, 4, 30, tzinfo=UTC)


def test_records_that_fit_no_client_file_are_quarantined_and_the_rest_kept(
    profile: str, zoho: LocalZoho, org: dict[str, str]
) -> None:
    orphan = zoho.add(
        "Calls",
        Subject="Who was it?",
        Call_Type="Outbound",
        Call_Start_Time=datetime(2026, 3, 5, tzinfo=UTC),
    )
    no_amount = zoho.add(
        "Deals",
        Deal_Name="Free sample",
        Stage="Closed Won",
        Closing_Date=datetime(2026, 3, 1, tzinfo=UTC).date(),
        Account_Name=org["account"],
    )

    result = load().result

    by_id = {q.record_id: q for q in result.quarantine}
    assert set(by_id) == {orphan, no_amount}
    assert by_id[orphan].location == f"Calls/{orphan}"
    assert "linked to no account" in by_id[orphan].problems[0].message
    assert by_id[orphan].raw["Subject"] == "Who was it?"
    assert by_id[no_amount].kind == "transaction"
    assert "amount" in str(by_id[no_amount].problems[0])
    assert org["account"] in result.portfolio.files  # the rest continue
    assert len(result.portfolio.files[org["account"]].transactions) == 1


def test_tasks_and_notes_kamcore_wrote_are_not_read_back(
    profile: str, zoho: LocalZoho, org: dict[str, str]
) -> None:
    zoho.add(
        "Tasks",
        Subject="[warning] no contact",
        Due_Date=datetime(2026, 3, 20, tzinfo=UTC).date(),
        Kamcore_Key="kam-1",
        What_Id=org["account"],
        **{"$se_module": "Accounts"},
    )
    zoho.add(
        "Notes",
        Note_Title="[info] profile",
        Note_Content="Complete it.\n\nkamcore-key: kam-2",
        Parent_Id={"module": {"api_name": "Accounts"}, "id": org["account"]},
    )

    client = load().result.portfolio.files[org["account"]]

    assert sum(isinstance(e, Promise) for e in client.timeline) == 1
    assert len(client.account.personal_notes) == 1


def test_the_load_portfolio_hook_reads_the_whole_org(profile: str, org: dict[str, str]) -> None:
    result = adapter.kamcore_load_portfolio(source=SOURCE, strict=True)

    assert result is not None
    assert list(result.portfolio.files) == [org["account"]]


def test_sources_of_other_schemes_are_left_to_other_plugins() -> None:
    assert adapter.kamcore_load_portfolio(source="portfolio.json", strict=True) is None
    assert adapter.kamcore_load_changes(source="fxiaoke:acme", since=None, strict=True) is None
    assert adapter.kamcore_load_portfolio(source="C:/data/portfolio.json", strict=True) is None


def test_notes_without_an_administrator_say_how_to_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    zoho = LocalZoho(clock=clock, admin=False)
    zoho.add("Accounts", Account_Name="Acme")
    with LoopbackServer(zoho) as running:
        write_profile(tmp_path, monkeypatch, zoho, running)
        with pytest.raises(SourceError, match="read_notes = false"):
            load()
        write_profile(tmp_path, monkeypatch, zoho, running, read_notes="false")
        assert len(load().result.portfolio.files) == 1


# -------------------------------------------------------------------------------------------------
# Paging and incremental syncs
# -------------------------------------------------------------------------------------------------


def cross_the_wall(
    server: LoopbackServer, zoho: LocalZoho, clock: ManualClock, accounts: int, activities: int
) -> None:
    made = populate(zoho, accounts=accounts, activities=activities)

    first = load()

    portfolio = first.result.portfolio
    assert first.result.quarantine == ()
    assert sorted(portfolio.files) == sorted(made["Accounts"])
    assert sum(len(c.account.contacts) for c in portfolio) == accounts
    assert sum(len(c.transactions) for c in portfolio) == accounts
    event_ids = [e.id for c in portfolio for e in c.timeline]
    assert len(event_ids) == len(set(event_ids))  # every record exactly once...
    assert set(event_ids) == {*made["Calls"], *made["Events"], *made["Tasks"]}  # ...and all
    assert sum(len(c.account.personal_notes) for c in portfolio) == len(made["Notes"])
    accounts_read = list_requests(server, "Accounts")
    assert [r.param("page") for r in accounts_read[:10]] == [str(n) for n in range(1, 11)]
    assert all(r.param("page_token") for r in accounts_read[10:])  # past the wall
    assert len(accounts_read) == -(-accounts // 200)

    # The second sync asks only for what changed, and gets whole client files back.
    later(clock)
    moved_contact = made["Contacts"][0]
    zoho.update("Contacts", moved_contact, Account_Name=made["Accounts"][1])
    zoho.update("Calls", made["Calls"][-1], Subject="Changed")
    before = len(server.requests)

    second = load(since=first.cursor)

    asked = [r for r in server.requests[before:] if r.path.startswith("/crm/v8/")]
    # One page per module, only the changes (and one call again after the token,
    # which expired while the clock moved, was refreshed).
    assert len({r.path for r in asked}) == 7
    assert len(asked) <= 8
    assert all("if-modified-since" in r.headers for r in asked)
    last_call_account = made["Accounts"][(len(made["Calls"]) - 1) * 4 % accounts]
    touched = {made["Accounts"][0], made["Accounts"][1], last_call_account}
    assert set(second.result.portfolio.files) == touched
    moved_to = second.result.portfolio.files[made["Accounts"][1]]
    assert moved_contact in {c.id for c in moved_to.account.contacts}
    assert second.cursor > first.cursor
    # Each file is whole: the same as a full read gives.
    full = load().result.portfolio.files
    for account in touched:
        assert second.result.portfolio.files[account] == full[account]


def test_5000_accounts_and_50000_activities_cross_the_wall_exactly_once(
    server: LoopbackServer, zoho: LocalZoho, clock: ManualClock, profile: str
) -> None:
    cross_the_wall(server, zoho, clock, accounts=5_000, activities=50_000)


def test_a_sync_with_nothing_changed_returns_no_files(
    server: LoopbackServer, zoho: LocalZoho, profile: str, org: dict[str, str]
) -> None:
    first = load()
    before = len(server.requests)

    second = load(since=first.cursor)

    assert len(second.result.portfolio.files) == 0
    assert len(server.requests) - before == 7  # every answer a 304, no data


def test_a_cursor_without_its_mirror_reads_everything(
    profile: str, org: dict[str, str], tmp_path: Path
) -> None:
    first = load()
    for mirror in (tmp_path / "zoho-state").glob("*.mirror.json"):
        mirror.unlink()

    again = load(since=first.cursor)

    assert list(again.result.portfolio.files) == [org["account"]]


def test_kamcore_sync_keeps_the_cursor_in_the_ledger(
    profile: str, org: dict[str, str], tmp_path: Path
) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = sync(SOURCE, ledger, plugins=get_plugin_manager())
        second = sync(SOURCE, ledger, plugins=get_plugin_manager())
        kept = ledger.cursor("default", SOURCE)

    assert (first.accounts, second.accounts) == (1, 0)
    assert kept == second.cursor
    assert datetime.fromisoformat(kept).tzinfo is not None  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------------------
# Faults during a read
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def faulty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zoho: LocalZoho
) -> Iterator[Callable[[Callable[[HttpRequest, int], None]], LoopbackServer]]:
    """Serve *zoho* through a hook called before each request with its number."""
    servers: list[LoopbackServer] = []

    def start(hook: Callable[[HttpRequest, int], None]) -> LoopbackServer:
        count = 0

        def handler(request: HttpRequest) -> HttpResponse:
            nonlocal count
            count += 1
            hook(request, count)
            return zoho(request)

        running = LoopbackServer(handler).start()
        servers.append(running)
        monkeypatch.chdir(tmp_path)
        write_profile(tmp_path, monkeypatch, zoho, running)
        return running

    yield start
    for running in servers:
        running.stop()


def test_a_token_that_expires_in_the_middle_of_a_paged_read_is_refreshed_once(
    faulty: Callable[[Callable[[HttpRequest, int], None]], LoopbackServer],
    zoho: LocalZoho,
    clock: ManualClock,
) -> None:
    made = populate(zoho, accounts=2_100, activities=0)

    expired = False

    def expire_on_page_11(request: HttpRequest, _: int) -> None:
        nonlocal expired
        if request.param("page_token") and not expired:
            expired = True
            clock.advance(3600)  # the token dies between page 10 and the page token

    faulty(expire_on_page_11)
    result = load().result

    assert sorted(result.portfolio.files) == sorted(made["Accounts"])
    assert zoho.token_requests == 2


def test_a_page_token_that_expires_midway_restarts_the_listing_once(
    faulty: Callable[[Callable[[HttpRequest, int], None]], LoopbackServer],
    zoho: LocalZoho,
    clock: ManualClock,
) -> None:
    made = populate(zoho, accounts=2_100, activities=0)
    expired = False

    def expire_page_token(request: HttpRequest, _: int) -> None:
        nonlocal expired
        if request.param("page_token") and not expired:
            expired = True
            clock.advance(86_401)

    faulty(expire_page_token)
    result = load().result

    assert sorted(result.portfolio.files) == sorted(made["Accounts"])


def test_a_429_storm_is_ridden_out_with_backoff(
    server: LoopbackServer, zoho: LocalZoho, profile: str, org: dict[str, str]
) -> None:
    server.faults.add(
        "/crm/v8/Deals",
        "status",
        times=5,
        status=429,
        body={
            "code": "LIMIT_REACHED",
            "details": {},
            "message": "too many requests",
            "status": "error",
        },
    )

    result = load().result

    assert len(result.portfolio.files[org["account"]].transactions) == 1
    assert server.faults.pending == 0


def test_a_storm_longer_than_the_retries_fails_the_sync_with_the_reason(
    server: LoopbackServer, zoho: LocalZoho, profile: str, org: dict[str, str]
) -> None:
    server.faults.add("/crm/v8/Deals", "status", times=50, status=429)

    with pytest.raises(SourceError, match=r"failed 6 times; last: HTTP 429"):
        load()


def test_500s_and_connection_resets_on_reads_are_retried(
    server: LoopbackServer, zoho: LocalZoho, profile: str, org: dict[str, str]
) -> None:
    server.faults.add(
        "/crm/v8/Accounts",
        "status",
        times=2,
        status=500,
        body={
            "code": "INTERNAL_ERROR",
            "details": {},
            "message": "Internal server error occurred.",
            "status": "error",
        },
    )
    server.faults.add("/crm/v8/Calls", "reset", times=2)
    server.faults.add("/crm/v8/Events", "delay", delay=0.2)

    result = load().result

    assert len(result.portfolio.files[org["account"]].timeline) == 5
    assert server.faults.pending == 0


def test_a_slow_answer_past_the_timeout_is_retried(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    zoho: LocalZoho,
    server: LoopbackServer,
    org: dict[str, str],
) -> None:
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, monkeypatch, zoho, server, timeout="0.5")
    server.faults.add("/crm/v8/Accounts", "delay", delay=2.0)

    result = load().result

    assert org["account"] in result.portfolio.files
    assert server.faults.pending == 0  # the slow answer did happen...
    # ...and the client gave up on it and asked again: had it waited, one request would do.
    listed = [r for r in server.requests if r.path == "/crm/v8/Accounts"]
    assert len(listed) >= 2
