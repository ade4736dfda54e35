"""The adapter against every way a faithful Zoho may answer where the documentation allows several.

The local Zoho was written by the adapter's author, so each place where Zoho's
documentation leaves a choice (token answer shapes, the status of a refused
refresh, empty answers as 204 or 200, 304 or not, lazy ``more_records``, page
tokens on every page, ``$se_module`` given or not, v2 note parents, missing
nulls, unknown extra fields, ids as numbers, 200/202 write statuses, closed
connections, user time zones) is a :class:`Dialect` option, and these tests run
the real hooks and client through each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import format_datetime
from pathlib import Path

import attrs
import httpx
import pytest

from kamcore import SourceError
from kamcore.model import Interaction, Promise, PromiseKept, Request
from kamcore.sync import ChangeSet
from kamcore_adapters import zoho as adapter
from kamcore_adapters._config import CONFIG_ENV, profile_config
from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing import Request as HttpRequest
from kamcore_adapters.testing import Response as HttpResponse
from kamcore_adapters.testing.zoho import DIALECTS, Dialect, LocalZoho
from kamcore_adapters.zoho import _client as client_module
from kamcore_adapters.zoho import settings_for
from kamcore_adapters.zoho._client import ZohoClient, ZohoError
from kamcore_adapters.zoho._mapping import account_of
from kamcore_adapters.zoho._settings import ZohoSettings
from zoho_support import (  # noqa: F401 - fixtures
    SOURCE,
    check,
    fixture_clock,
    fixture_profile,
    fixture_server,
    grant_form,
    in_zoho,
    later,
    make_actions,
    push_via_hook,
    write_profile,
)

# Each dialect also writes date-times in its own user time zone, the far sides of UTC included.
ZONES: dict[str, tzinfo] = {
    "default": timezone(timedelta(hours=5, minutes=30)),
    "closing": timezone(timedelta(hours=-8)),
    "number-ids": UTC,
    "lazy-paging": timezone(timedelta(hours=13)),
}
AT = datetime(2026, 3, 4, 4, 30, tzinfo=UTC)
DUE = date(2026, 3, 11)


@pytest.fixture(autouse=True)
def fresh_orgs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: no token held in memory."""
    monkeypatch.setattr(client_module, "_ORGS", {})


@pytest.fixture(name="zoho", params=sorted(DIALECTS))
def fixture_zoho(request: pytest.FixtureRequest, clock: ManualClock) -> LocalZoho:
    """A local org answering in one dialect (the test id names it)."""
    param: str | Dialect = request.param
    dialect = param if isinstance(param, Dialect) else DIALECTS[param]
    zone = ZONES.get(str(param), timezone(timedelta(hours=-3, minutes=-30)))
    return LocalZoho(clock=clock, dialect=dialect, user_tz=zone)


def load(since: str | None = None) -> ChangeSet:
    changes = adapter.kamcore_load_changes(source=SOURCE, since=since, strict=False)
    assert changes is not None
    return changes


def small_org(zoho: LocalZoho) -> dict[str, str]:
    """An account with a contact, a won deal, and an activity hanging on each kind of link."""
    anna = zoho.add_user("Anna Petrova")
    account = zoho.add("Accounts", Account_Name="Acme", Owner=anna, Industry="Retail")
    contact = zoho.add("Contacts", Last_Name="Kovalenko", Account_Name=account)
    won = zoho.add(
        "Deals",
        Deal_Name="Pump",
        Amount=1200,
        Stage="Closed Won",
        Closing_Date=DUE,
        Account_Name=account,
    )
    on_deal = zoho.add(
        "Calls",
        Subject="Missed",
        Call_Type="Missed",
        Call_Start_Time=AT,
        What_Id=won,
        **{"$se_module": "Deals"},
    )
    on_contact = zoho.add(
        "Calls", Subject="Offer", Call_Type="Inbound", Call_Start_Time=AT, Who_Id=contact
    )
    meeting = zoho.add(
        "Events",
        Event_Title="Review",
        Start_DateTime=AT,
        End_DateTime=AT,
        What_Id=account,
        **{"$se_module": "Accounts"},
    )
    task = zoho.add(
        "Tasks",
        Subject="Send the contract",
        Due_Date=DUE,
        Status="Completed",
        Closed_Time=AT,
        Created_Time=AT - timedelta(days=2),
        What_Id=account,
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
        "on_deal": on_deal,
        "on_contact": on_contact,
        "meeting": meeting,
        "task": task,
        "anna": anna,
    }


def test_every_dialect_syncs_in_full_then_by_change_and_pushes_each_action_once(
    profile: str, zoho: LocalZoho, clock: ManualClock
) -> None:
    org = small_org(zoho)

    first = load()

    assert first.result.quarantine == ()
    client = first.result.portfolio.files[org["account"]]
    assert client.account.owner == org["anna"]
    assert [c.id for c in client.account.contacts] == [org["contact"]]
    assert [n.text for n in client.account.personal_notes] == ["Supports Dynamo Kyiv."]
    assert [t.amount for t in client.transactions] == [1200]
    events = {event.id: event for event in client.timeline}
    assert isinstance(events[org["on_deal"]], Request)  # placed through its deal
    assert isinstance(events[org["on_contact"]], Interaction)  # through its contact
    assert isinstance(events[org["meeting"]], Interaction)
    assert isinstance(events[f"{org['task']}-kept"], PromiseKept)
    assert all(event.at == AT for event in events.values() if event.id != org["task"])
    promise = events[org["task"]]
    assert isinstance(promise, Promise)
    end_of_due_day = datetime.combine(DUE, time(23, 59, 59), tzinfo=zoho.user_tz)
    assert promise.due == end_of_due_day.astimezone(UTC)

    unchanged = load(first.cursor)  # every module answers "nothing modified"
    assert dict(unchanged.result.portfolio.files) == {}
    later(clock)
    zoho.update("Calls", org["on_contact"], Subject="Offer, revised")
    changed = load(unchanged.cursor)
    assert set(changed.result.portfolio.files) == {org["account"]}

    elsewhere = "5725767000999999999"  # an account Zoho does not have: a per-record error
    actions = make_actions(
        [org["account"], elsewhere, org["account"], org["account"]], org["anna"], tasks=3, notes=1
    )
    pushed = push_via_hook(actions)
    again = push_via_hook(actions)

    refused = {"kam-0001"}
    assert {k for k, r in pushed.items() if not r.ok} == refused
    assert {k: r.record_id for k, r in again.items() if k not in refused} == {
        k: r.record_id for k, r in pushed.items() if k not in refused
    }
    assert in_zoho(zoho, "Tasks") == ["kam-0000", "kam-0002"]
    assert in_zoho(zoho, "Notes") == ["kam-0003"]


# Ids as JSON numbers leave the OpenAPI files' `id: string` on purpose: that dialect is not checked.
@pytest.mark.parametrize(
    "zoho", sorted(n for n, d in DIALECTS.items() if not d.number_ids), indirect=True
)
def test_every_dialect_keeps_to_zoho_s_openapi_shapes(
    zoho: LocalZoho, server: LoopbackServer
) -> None:
    org = small_org(zoho)
    grant = grant_form(zoho)
    with httpx.Client(base_url=server.url) as http:
        token = http.post("/oauth/v2/token", data=grant).json()["access_token"]
        http.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        listed = http.get("/crm/v8/Tasks", params={"fields": "Subject,What_Id,Owner"})
        notes = http.get("/crm/v8/Notes", params={"fields": "Note_Content,Parent_Id"})
        unchanged = http.get(
            "/crm/v8/Calls",
            params={"fields": "Subject"},
            headers={"If-Modified-Since": "2099-01-01T00:00:00+00:00"},
        )
        task = {"Subject": "s", "What_Id": {"id": org["account"]}, "$se_module": "Accounts"}
        written = http.post("/crm/v8/Tasks", json={"data": [task, {"Status": "x"}]})

    check(listed.json(), "record.json", "Response_Wrapper")
    check(notes.json(), "record.json", "Response_Wrapper")
    for note in notes.json()["data"]:
        check(note["Parent_Id"], "notes.json", "Parent_Id")
    if zoho.dialect.unmodified_status == 200:
        check(unchanged.json(), "record.json", "Response_Wrapper")
    else:
        assert (unchanged.status_code, unchanged.content) == (zoho.dialect.unmodified_status, b"")
    made, refused = written.json()["data"]
    check(made, "record.json", "Success_Response")
    check(refused, "record.json", "API_Exception")


@pytest.mark.parametrize(
    ("zoho", "records"),
    [("default", 400), ("lazy-paging", 400), ("lazy-paging", 2_000)],
    indirect=["zoho"],
)
def test_an_exact_multiple_of_the_page_size_arrives_exactly_once(
    profile: str, zoho: LocalZoho, server: LoopbackServer, records: int
) -> None:
    made = [zoho.add("Accounts", Account_Name=f"A{n}") for n in range(records)]
    settings = settings_for(SOURCE)
    assert settings is not None

    with ZohoClient(settings) as client:
        read = [str(r["id"]) for r in client.list_records("Accounts", ["Account_Name"])]

    assert read == made
    pages = [r for r in server.requests if r.path == "/crm/v8/Accounts"]
    lazy = zoho.dialect.more_records_when_full
    assert len(pages) == records // 200 + (1 if lazy else 0)  # the lazy one ends on an empty page


@pytest.mark.parametrize("zoho", ["default"], indirect=True)
def test_a_success_with_no_body_is_an_empty_answer_not_an_error(
    profile: str, zoho: LocalZoho, server: LoopbackServer
) -> None:
    org = small_org(zoho)
    server.faults.add("/crm/v8/Events", "status", status=200)
    server.faults.add("/crm/v8/coql", "status", status=200, body=b"  ")

    timeline = {e.id for e in load().result.portfolio.files[org["account"]].timeline}
    pushed = push_via_hook(make_actions([org["account"]], org["anna"], tasks=1))

    assert org["meeting"] not in timeline  # the empty Events answer: no meetings
    assert org["on_contact"] in timeline
    assert pushed["kam-0000"].ok  # the empty COQL answer: no task was there before
    assert server.faults.pending == 0


# -------------------------------------------------------------------------------------------------
# Tokens
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zoho", ["legacy-token-200-empties"], indirect=True)
def test_a_refresh_refused_with_an_error_status_names_the_reason_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zoho: LocalZoho, server: LoopbackServer
) -> None:
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, monkeypatch, zoho, server, client_secret="wrong")

    with pytest.raises(SourceError, match=r"refused \(invalid_client\)") as refused:
        load()

    assert zoho.dialect.refusal_status == 400
    assert zoho.token_requests == 1  # a refusal is not retried
    assert "wrong" not in str(refused.value)


@pytest.mark.parametrize(
    "zoho", [Dialect(api_domain=False)], indirect=["zoho"], ids=["no-api-domain"]
)
def test_a_token_without_api_domain_uses_the_profile_s_api_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zoho: LocalZoho, server: LoopbackServer
) -> None:
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, monkeypatch, zoho, server, api_url=server.url + "/")
    account = zoho.add("Accounts", Account_Name="Acme")

    assert set(load().result.portfolio.files) == {account}


# -------------------------------------------------------------------------------------------------
# Retries
# -------------------------------------------------------------------------------------------------


def _in_three_seconds() -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)


@pytest.mark.parametrize(
    "case",
    [(None, 0.0, 0.0), ("2", 2.0, 2.0), ("soon", 0.0, 0.0), (_in_three_seconds, 1.0, 3.0)],
    ids=["absent", "seconds", "unreadable", "http-date"],
)
@pytest.mark.parametrize("zoho", ["default"], indirect=True)
def test_retry_after_is_a_floor_in_seconds_or_as_a_date_and_optional(
    profile: str,
    zoho: LocalZoho,
    server: LoopbackServer,
    case: tuple[str | Callable[[], str] | None, float, float],
) -> None:
    retry_after, low, high = case
    zoho.add("Accounts", Account_Name="Acme")
    header = retry_after() if callable(retry_after) else retry_after
    server.faults.add(
        "/crm/v8/Accounts",
        "status",
        status=429,
        body="<html><body>Too many requests</body></html>",
        headers={"Retry-After": header} if header else None,
    )
    settings = settings_for(SOURCE)
    assert settings is not None
    patient = attrs.evolve(settings, backoff=attrs.evolve(settings.backoff, cap=30.0))
    waits: list[float] = []

    with ZohoClient(patient, sleep=waits.append, rand=lambda: 0.0) as client:
        assert len(list(client.list_records("Accounts", ["Account_Name"]))) == 1

    [wait] = waits
    assert low <= wait <= high


@pytest.mark.parametrize(
    ("status", "body"),
    [(502, "<html><h1>502 Bad Gateway</h1></html>"), (503, ""), (500, "not json {")],
    ids=["html", "empty", "broken-json"],
)
@pytest.mark.parametrize("zoho", ["default"], indirect=True)
def test_server_errors_without_a_zoho_body_are_retried_on_reads_and_looked_up_on_writes(
    profile: str, zoho: LocalZoho, server: LoopbackServer, status: int, body: str
) -> None:
    org = small_org(zoho)
    server.faults.add("/crm/v8/Accounts", "status", status=status, body=body)
    assert org["account"] in load().result.portfolio.files
    server.faults.add("/crm/v8/Tasks", "status", status=status, body=body)

    results = push_via_hook(make_actions([org["account"]], org["anna"], tasks=2))

    assert all(r.ok for r in results.values())
    assert in_zoho(zoho, "Tasks") == ["kam-0000", "kam-0001"]
    assert server.faults.pending == 0


class _UnreadableWrites:
    """A Zoho that creates the records but answers the first write with *body*."""

    def __init__(self, zoho: LocalZoho, status: int, body: bytes) -> None:
        self.zoho = zoho
        self.answer = HttpResponse(status, body, {"Content-Type": "text/html"})
        self.spoiled = 0

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.zoho(request)
        if request.method == "POST" and request.path == "/crm/v8/Tasks" and not self.spoiled:
            self.spoiled += 1
            return self.answer
        return response


@pytest.fixture
def spoiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zoho: LocalZoho
) -> Iterator[Callable[[int, bytes], _UnreadableWrites]]:
    """Serve *zoho* behind :class:`_UnreadableWrites` with a profile for it."""
    servers: list[LoopbackServer] = []

    def start(status: int, body: bytes) -> _UnreadableWrites:
        handler = _UnreadableWrites(zoho, status, body)
        running = LoopbackServer(handler).start()
        servers.append(running)
        monkeypatch.chdir(tmp_path)
        write_profile(tmp_path, monkeypatch, zoho, running)
        return handler

    yield start
    for running in servers:
        running.stop()


@pytest.mark.parametrize(("status", "body"), [(201, b""), (200, b"<html>OK</html>")])
@pytest.mark.parametrize("zoho", ["default"], indirect=True)
def test_a_write_answered_with_success_but_no_results_is_looked_up_not_failed(
    zoho: LocalZoho,
    spoiling: Callable[[int, bytes], _UnreadableWrites],
    status: int,
    body: bytes,
) -> None:
    account = zoho.add("Accounts", Account_Name="Acme")
    handler = spoiling(status, body)

    results = push_via_hook(make_actions([account], zoho.default_user, tasks=2))

    assert handler.spoiled == 1
    assert all(r.ok for r in results.values())
    assert in_zoho(zoho, "Tasks") == ["kam-0000", "kam-0001"]  # created once, found, not resent


# -------------------------------------------------------------------------------------------------
# Lookups and settings, without a server
# -------------------------------------------------------------------------------------------------


def test_an_activity_without_se_module_is_placed_by_the_id_it_names() -> None:
    records = {
        "Accounts": {"1": {"id": "1"}},
        "Deals": {"2": {"id": "2", "Account_Name": {"id": "1"}}},
        "Contacts": {"3": {"id": "3", "Account_Name": {"id": "1"}}},
    }

    on_deal = account_of("Calls", {"id": "9", "What_Id": {"id": "2"}}, records)
    on_account = account_of("Tasks", {"id": "9", "What_Id": {"name": "x", "id": 1}}, records)
    v2_note = account_of(
        "Notes", {"id": "9", "Parent_Id": {"id": "2"}, "$se_module": "Deals"}, records
    )
    unknown = account_of("Calls", {"id": "9", "What_Id": {"id": "77"}}, records)

    assert (on_deal, on_account, v2_note, unknown) == ("1", "1", "1", None)


@pytest.mark.parametrize("key", ["accounts_url", "api_url"])
@pytest.mark.parametrize("value", ["sandbox.zohoapis.eu", "https://", "ftp://x", "https:///crm"])
def test_a_base_url_without_a_scheme_and_host_is_refused_by_its_key_not_its_value(
    key: str, value: str
) -> None:
    config = {"client_id": "1000.C", "client_secret": "s", "refresh_token": "r", key: value}

    with pytest.raises(SourceError, match=f"zoho:p: {key} must be a URL") as refused:
        ZohoSettings.from_config("p", config)

    assert value not in str(refused.value).replace("https://sandbox.zohoapis.eu", "")


def test_base_urls_may_carry_a_path_prefix_and_lose_a_trailing_slash() -> None:
    config = {
        "client_id": "1000.C",
        "client_secret": "s",
        "refresh_token": "r",
        "accounts_url": "http://127.0.0.1:8080/zoho/",
        "api_url": "https://sandbox.zohoapis.eu/",
    }

    settings = ZohoSettings.from_config("p", config)

    assert (settings.accounts_url, settings.api_url) == (
        "http://127.0.0.1:8080/zoho",
        "https://sandbox.zohoapis.eu",
    )


@pytest.mark.parametrize("zoho", ["default"], indirect=True)
def test_an_unusable_answer_to_a_listing_is_still_an_error(
    profile: str, server: LoopbackServer
) -> None:
    server.faults.add("/crm/v8/Accounts", "status", status=200, body="<html>maintenance</html>")

    with pytest.raises(ZohoError, match=r"listing Accounts was refused \(HTTP 200\)"):
        load()


DOCS = Path(__file__).parents[1] / "docs" / "connect-zoho.md"


def test_every_profile_in_the_connect_zoho_page_is_accepted_as_written(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    config = tmp_path / "kamcore.toml"
    config.write_text("\n".join(blocks), encoding="utf-8")
    names = re.findall(r"^\[zoho\.([\w-]+)\]", config.read_text(encoding="utf-8"), re.MULTILINE)
    variables = set(re.findall(r'env = "(\w+)"', config.read_text(encoding="utf-8")))
    environ = {CONFIG_ENV: str(config), **{name: f"value-of-{name}" for name in variables}}

    settings = {
        name: ZohoSettings.from_config(name, profile_config("zoho", name, environ=environ))
        for name in names
    }

    assert set(settings) == {"acme-eu", "acme-sandbox", "test"}
    assert settings["acme-sandbox"].api_url == "https://sandbox.zohoapis.eu"
    assert settings["acme-sandbox"].accounts_url == "https://accounts.zoho.eu"
    assert (settings["test"].accounts_url, settings["test"].api_url) == (
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080",
    )


@pytest.mark.parametrize("zoho", ["default"], indirect=True)
def test_a_refresh_refused_for_too_many_tokens_says_to_wait_not_to_check_the_secrets(
    profile: str, zoho: LocalZoho, server: LoopbackServer
) -> None:
    grant = grant_form(zoho)
    with httpx.Client(base_url=server.url) as other_process:
        for _ in range(10):  # another process takes the window's ten tokens
            other_process.post("/oauth/v2/token", data=grant).raise_for_status()

    with pytest.raises(SourceError, match=r"Access Denied.*at most 10 tokens per 10 minutes"):
        load()


@pytest.mark.parametrize("zoho", ["default"], indirect=True)
def test_a_short_last_page_past_the_wall_ends_the_listing_even_when_it_says_more(
    zoho: LocalZoho, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [zoho.add("Accounts", Account_Name=f"A{n}") for n in range(2_100)]

    def says_more_without_a_token(request: HttpRequest) -> HttpResponse:
        answer = zoho(request)
        if request.param("page_token") is None or answer.status != 200:
            return answer
        body = json.loads(answer.body)
        body["info"]["more_records"] = True  # the 100 left, "and more", but no token to go on
        body["info"].pop("next_page_token", None)
        return HttpResponse.json(200, body)

    with LoopbackServer(says_more_without_a_token) as running:
        monkeypatch.chdir(tmp_path)
        write_profile(tmp_path, monkeypatch, zoho, running)
        settings = settings_for(SOURCE)
        assert settings is not None
        with ZohoClient(settings) as client:
            read = [str(r["id"]) for r in client.list_records("Accounts", ["Account_Name"])]

    assert read == made
