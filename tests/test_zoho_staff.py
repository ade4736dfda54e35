"""Staff from Zoho's users (``staff_roles``): roles, reporting lines and what an escalation
reaches, read through the real client from the local Zoho on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kamcore import SourceError
from kamcore.escalation import BusinessCalendar, escalate, parse_policy
from kamcore.fileformat import LoadResult
from kamcore.model import StaffMember
from kamcore.review import review
from kamcore.stores import Ledger, PortfolioStore
from kamcore.sync import sync
from kamcore_adapters import zoho as adapter
from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing.zoho import DEFAULT_SCOPES, DIALECTS, LocalZoho
from kamcore_adapters.zoho import ZohoSettings
from kamcore_adapters.zoho._settings import StaffRoles
from kamcore_adapters.zoho._staff import language_tag, staff_from_users
from zoho_support import (  # noqa: F401 - fixtures
    SOURCE,
    check,
    fixture_clock,
    fixture_server,
    fixture_zoho,
    grant_form,
    later,
    write_profile,
)

ROLES = "CEO=executive, sales head = department_head"
LADDER = parse_policy(
    {
        "escalation": {
            "levels": [
                {"name": "owner"},
                {"name": "head", "role": "department_head"},
                {"name": "sponsor", "role": "executive"},
            ],
            "delays": {"violation": {"business_days": 2}, "warning": {"business_days": 2}},
        }
    }
)
MISSED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def staffed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zoho: LocalZoho, server: LoopbackServer
) -> str:
    """``zoho:acme`` with ``staff_roles`` set; returns the URI."""
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, monkeypatch, zoho, server, staff_roles=ROLES)
    return SOURCE


@pytest.fixture
def org(zoho: LocalZoho) -> dict[str, str]:
    """Two departments under the CEO (the local org's first user), a manager in each,
    and an account of each manager with a missed call nobody returned."""
    ceo = zoho.default_user
    hana = zoho.add_user("Hana Head", role="Sales Head", reports_to=ceo)
    hugo = zoho.add_user(
        "Hugo Head", role="Sales Head", reports_to=ceo, language=None, locale="de_DE"
    )
    anna = zoho.add_user("Anna Rep", role="Sales Rep", reports_to=hana, language="ru_RU")
    boris = zoho.add_user(
        "Boris Rep", role="Sales Rep", reports_to=hugo, language="English", locale=None
    )
    made = {"ceo": ceo, "hana": hana, "hugo": hugo, "anna": anna, "boris": boris}
    for owner in ("anna", "boris"):
        account = zoho.add(
            "Accounts", Account_Name=f"Client of {owner}", Owner=made[owner], Kamcore_Tier="key"
        )
        zoho.add(
            "Calls",
            Subject="Where is my offer?",
            Call_Type="Missed",
            Call_Start_Time=MISSED_AT,
            Owner=made[owner],
            What_Id=account,
            **{"$se_module": "Accounts"},
        )
        made[f"{owner}-account"] = account
    return made


def load(strict: bool = False, since: str | None = None) -> tuple[LoadResult, str]:
    changes = adapter.kamcore_load_changes(source=SOURCE, since=since, strict=strict)
    assert changes is not None
    return changes.result, changes.cursor


def staff_of(result: LoadResult) -> dict[str, StaffMember]:
    return {member.id: member for member in result.portfolio.staff}


def user_requests(server: LoopbackServer) -> list[dict[str, str | None]]:
    return [
        {name: r.param(name) for name in ("type", "page", "per_page")}
        for r in server.requests
        if r.path == "/crm/v8/users"
    ]


# -------------------------------------------------------------------------------------------------
# The setting
# -------------------------------------------------------------------------------------------------


def settings_with(**extra: str) -> ZohoSettings:
    return ZohoSettings.from_config(
        "acme", {"client_id": "1000.X", "client_secret": "s", "refresh_token": "r", **extra}
    )


def test_staff_roles_map_zoho_roles_without_regard_to_case_others_are_account_managers() -> None:
    roles = settings_with(staff_roles=ROLES).staff_roles
    assert roles is not None
    assert roles.role_of("CEO") == "executive"
    assert roles.role_of("  Sales Head ") == "department_head"
    assert roles.role_of("Sales Rep") == "account_manager"
    assert roles.role_of(None) == "account_manager"
    assert settings_with().staff_roles is None  # not set: the users are not read at all


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("CEO=boss", "staff_roles entry 1 names an unknown kamcore role; use one of"),
        ("CEO=executive, Manager", "staff_roles entry 2 must be written Zoho role = kamcore role"),
        ("=executive", "staff_roles entry 1 must be written"),
        ("CEO=executive, ceo=other", "staff_roles entry 2 names a Zoho role twice"),
        (" , ", "staff_roles must map at least one Zoho role"),
    ],
)
def test_a_wrong_staff_roles_names_the_profile_and_the_setting(value: str, complaint: str) -> None:
    with pytest.raises(SourceError) as refused:
        settings_with(staff_roles=value)
    assert str(refused.value).startswith("zoho:acme: ")
    assert complaint in str(refused.value)


@pytest.mark.parametrize(
    ("zoho_value", "tag"),
    [("en_US", "en-US"), ("zh_cn", "zh-CN"), ("sr_Latn_RS", "sr-Latn-RS"), ("uk", "uk")],
)
def test_zoho_locales_become_bcp47_tags(zoho_value: str, tag: str) -> None:
    assert language_tag(zoho_value) == tag


@pytest.mark.parametrize("zoho_value", ["English", "en_US_POSIX", "", None, 7])
def test_a_language_that_maps_unclearly_is_left_out(zoho_value: Any) -> None:
    assert language_tag(zoho_value) is None


# -------------------------------------------------------------------------------------------------
# Reading the users
# -------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("staffed")
def test_the_staff_are_the_active_users_with_mapped_roles_and_their_reporting_lines(
    org: dict[str, str], server: LoopbackServer
) -> None:
    result, _ = load(strict=True)
    staff = staff_of(result)
    assert set(staff) == {org[name] for name in ("ceo", "hana", "hugo", "anna", "boris")}
    assert staff[org["ceo"]] == StaffMember(
        id=org["ceo"], name="Local Admin", role="executive", language="en-US"
    )
    assert staff[org["hana"]].role == "department_head"
    assert staff[org["hana"]].reports_to == org["ceo"]
    assert staff[org["hugo"]].language == "de-DE"  # no language: the locale's
    anna = staff[org["anna"]]
    assert (anna.role, anna.reports_to, anna.language) == ("account_manager", org["hana"], "ru-RU")
    assert staff[org["boris"]].language is None  # "English" is no tag: left out, not guessed
    assert user_requests(server) == [{"type": "ActiveUsers", "page": "1", "per_page": "200"}]


@pytest.mark.usefixtures("staffed")
def test_users_are_read_page_by_page_past_200(zoho: LocalZoho, server: LoopbackServer) -> None:
    head = zoho.add_user("Hana Head", role="Sales Head")
    reps = [zoho.add_user(f"Rep {n:03d}", role="Sales Rep", reports_to=head) for n in range(450)]
    result, _ = load(strict=True)
    staff = staff_of(result)
    assert len(staff) == 452  # the CEO, the head and 450 reps
    assert all(staff[rep].reports_to == head for rep in reps)
    assert [r["page"] for r in user_requests(server)] == ["1", "2", "3"]


@pytest.mark.usefixtures("staffed")
def test_a_manager_not_read_is_dropped_from_the_line_with_a_warning(
    org: dict[str, str], zoho: LocalZoho, caplog: pytest.LogCaptureFixture
) -> None:
    zoho.update_user(org["hana"], reports_to=zoho.default_user, active=False)
    with caplog.at_level(logging.WARNING, logger="kamcore_adapters.zoho"):
        result, _ = load(strict=True)  # strict: the document is sound, nothing is refused
    staff = staff_of(result)
    assert org["hana"] not in staff
    assert staff[org["anna"]].reports_to is None
    assert staff[org["boris"]].reports_to == org["hugo"]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"users/{org['anna']}" in warning
    assert f"Hana Head ({org['hana']}), who is not an active user" in warning


@pytest.mark.usefixtures("staffed")
def test_an_owner_who_is_no_active_user_still_joins_the_staff_as_today(
    zoho: LocalZoho,
) -> None:
    gone = zoho.add_user("Gone Rep", role="Sales Head", active=False)
    zoho.add("Accounts", Account_Name="Old client", Owner=gone)
    result, _ = load(strict=True)
    assert staff_of(result)[gone] == StaffMember(id=gone, name="Gone Rep")


@pytest.mark.usefixtures("staffed")
def test_a_reporting_loop_is_broken_with_a_warning_not_a_failed_sync(
    zoho: LocalZoho, caplog: pytest.LogCaptureFixture
) -> None:
    first = zoho.add_user("First Rep", role="Sales Rep")
    second = zoho.add_user("Second Rep", role="Sales Rep", reports_to=first)
    third = zoho.add_user("Third Rep", role="Sales Rep", reports_to=second)
    zoho.update_user(first, reports_to=third)
    with caplog.at_level(logging.WARNING, logger="kamcore_adapters.zoho"):
        result, _ = load(strict=True)
    staff = staff_of(result)
    # Broken at the loop's first member by id; the rest of the line stands.
    assert (staff[first].reports_to, staff[second].reports_to) == (None, first)
    assert staff[third].reports_to == second
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "the reporting line loops" in warning
    assert f"users/{first}" in warning


@pytest.mark.usefixtures("staffed")
def test_a_malformed_user_is_quarantined_and_the_rest_loads(
    org: dict[str, str], zoho: LocalZoho
) -> None:
    nameless = zoho.add_user("No Name", role="Sales Rep")
    zoho.user_records[nameless].update(full_name=None, first_name=None, last_name=None)
    idless = zoho.add_user("No Id", role="Sales Rep")
    del zoho.user_records[idless]["id"]
    result, _ = load()
    entries = {q.location: q for q in result.quarantine}
    listed_at = f"users/[{sorted(zoho.user_records, key=int).index(idless)}]"
    assert set(entries) == {f"users/{nameless}", listed_at}  # no id: its place in the listing
    assert {q.kind for q in entries.values()} == {"staff"}
    assert entries[f"users/{nameless}"].problems[0].message == "the user has no name"
    assert entries[listed_at].problems[0].message == "the user has no id"
    assert entries[listed_at].raw["full_name"] == "No Id"
    staff = staff_of(result)
    assert nameless not in staff
    assert staff[org["anna"]].reports_to == org["hana"]
    assert len(result.portfolio) == 2  # both accounts


@pytest.mark.usefixtures("staffed")
def test_a_malformed_user_is_reported_again_only_once_it_changed(
    org: dict[str, str], zoho: LocalZoho, clock: ManualClock
) -> None:
    nameless = zoho.add_user("No Name", role="Sales Rep")
    zoho.user_records[nameless]["full_name"] = "  "
    zoho.user_records[nameless].update(first_name=None, last_name=None)
    first, cursor = load()
    assert [q.location for q in first.quarantine] == [f"users/{nameless}"]
    again, cursor = load(since=cursor)
    assert again.quarantine == ()  # read again, but not reported forever
    later(clock)
    zoho.update_user(nameless, reports_to=org["hana"])
    changed, _ = load(since=cursor)
    assert [q.location for q in changed.quarantine] == [f"users/{nameless}"]


def test_without_the_users_scope_the_sync_names_the_scope_and_reads_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    zoho = LocalZoho(clock=clock, scopes=[s for s in DEFAULT_SCOPES if "users" not in s])
    zoho.add("Accounts", Account_Name="Acme Handel GmbH")
    with LoopbackServer(zoho) as server:
        write_profile(tmp_path, monkeypatch, zoho, server, staff_roles=ROLES)
        with pytest.raises(SourceError) as refused:
            load()
    message = str(refused.value)
    assert message.startswith("zoho:acme: listing the users was refused (OAUTH_SCOPE_MISMATCH")
    assert "needs the scope ZohoCRM.users.READ (or ZohoCRM.users.ALL)" in message
    assert "or remove staff_roles" in message
    for secret in (zoho.client_secret, zoho.refresh_token, *zoho.access_tokens):
        assert secret not in message
    # Refused once, not refreshed and retried, and no module read for nothing.
    assert [r.path for r in server.requests] == ["/oauth/v2/token", "/crm/v8/users"]


def test_the_users_scope_all_is_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    zoho = LocalZoho(clock=clock, scopes=["ZohoCRM.modules.ALL", "zohocrm.users.all"])
    with LoopbackServer(zoho) as server:
        write_profile(tmp_path, monkeypatch, zoho, server, staff_roles=ROLES)
        result, _ = load(strict=True)
    assert [m.role for m in result.portfolio.staff] == ["executive"]


def test_without_staff_roles_no_user_is_read_and_owners_are_the_staff_as_before(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    zoho: LocalZoho,
    server: LoopbackServer,
    org: dict[str, str],
) -> None:
    write_profile(tmp_path, monkeypatch, zoho, server)
    result, cursor = load(strict=True)
    assert staff_of(result) == {
        org["anna"]: StaffMember(id=org["anna"], name="Anna Rep"),
        org["boris"]: StaffMember(id=org["boris"], name="Boris Rep"),
    }
    load(since=cursor)
    assert user_requests(server) == []
    assert all("/users" not in r.path for r in server.requests)


# -------------------------------------------------------------------------------------------------
# Syncs, and where an escalation goes
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.db") as opened:
        yield opened


def kept_staff(ledger: Ledger) -> dict[str, StaffMember]:
    kept = PortfolioStore(ledger).load("default", SOURCE)
    assert kept is not None
    return staff_of(kept)


@pytest.mark.usefixtures("staffed")
def test_every_sync_reads_the_users_so_a_new_line_reaches_the_store(
    org: dict[str, str], zoho: LocalZoho, server: LoopbackServer, ledger: Ledger, clock: ManualClock
) -> None:
    sync(SOURCE, ledger)
    assert kept_staff(ledger)[org["anna"]].reports_to == org["hana"]
    listings = len(user_requests(server))
    later(clock)
    zoho.update_user(org["anna"], reports_to=org["hugo"])  # no record changed, only the user
    summary = sync(SOURCE, ledger)
    assert summary.accounts == 0  # an incremental sync: no client file was touched
    assert kept_staff(ledger)[org["anna"]].reports_to == org["hugo"]
    assert len(user_requests(server)) > listings  # read again (the token expired meanwhile)


@pytest.mark.usefixtures("staffed")
def test_a_synced_portfolio_escalates_to_the_owners_own_department_head(
    org: dict[str, str], ledger: Ledger
) -> None:
    sync(SOURCE, ledger, strict=True)
    kept = PortfolioStore(ledger).load("default", SOURCE)
    assert kept is not None
    portfolio = kept.portfolio
    agenda = review(portfolio, MISSED_AT + timedelta(days=5))  # two business days past due
    escalations = escalate(agenda, LADDER, BusinessCalendar(), portfolio=portfolio)
    unanswered = {
        e.finding.account_id: e for e in escalations if e.finding.code == "request_unanswered"
    }
    assert set(unanswered) == {org["anna-account"], org["boris-account"]}
    for owner, head in (("anna", "hana"), ("boris", "hugo")):
        escalation = unanswered[org[f"{owner}-account"]]
        assert escalation.level_name == "head"
        assert escalation.staff == (org[head],)  # the owner's own head, not every head
        assert escalation.next is not None
        assert escalation.next.staff == (org["ceo"],)


def test_without_staff_roles_that_level_reaches_no_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    zoho: LocalZoho,
    server: LoopbackServer,
    org: dict[str, str],
) -> None:
    write_profile(tmp_path, monkeypatch, zoho, server)
    result, _ = load(strict=True)
    agenda = review(result.portfolio, MISSED_AT + timedelta(days=5))
    escalations = escalate(agenda, LADDER, BusinessCalendar(), portfolio=result.portfolio)
    heads = {e.staff for e in escalations if e.level_name == "head"}
    assert heads == {()}


# -------------------------------------------------------------------------------------------------
# The local Zoho's /users
# -------------------------------------------------------------------------------------------------


@contextmanager
def token_client(zoho: LocalZoho, server: LoopbackServer) -> Iterator[httpx.Client]:
    """A plain HTTP client of the local org with a fresh token (to see its raw answers)."""
    with httpx.Client(base_url=server.url) as client:
        token = client.post("/oauth/v2/token", data=grant_form(zoho)).json()["access_token"]
        client.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        yield client


def test_the_users_answer_has_the_shape_of_zohos_openapi_file(
    zoho: LocalZoho, server: LoopbackServer
) -> None:
    # Zoho's file gives ``email`` a sample's pattern (nine characters @ five .com): the
    # users here fit it, so that every other field is checked against the file.
    zoho.user_records[zoho.default_user]["email"] = "localadmn@zylkr.com"
    head = zoho.add_user("Hana Head", "hanahead1@zylkr.com", role="Sales Head")
    zoho.add_user("Anna Rep", "annarep01@zylkr.com", role="Sales Rep", reports_to=head)
    with token_client(zoho, server) as client:
        body = client.get("/crm/v8/users", params={"type": "ActiveUsers"}).json()
    assert [u["Reporting_To"] for u in body["users"]] == [
        None,
        None,
        {"name": "Hana Head", "id": head},
    ]
    assert body["info"] == {"per_page": 200, "count": 3, "page": 1, "more_records": False}
    # The file declares Reporting_To not nullable, yet Zoho writes null for a user who
    # reports to no one (its documented examples): checked as absent there.
    check(
        {**body, "users": [{k: v for k, v in u.items() if v is not None} for u in body["users"]]},
        "users.json",
        "Response_Wrapper",
    )
    assert {u["role"]["name"] for u in body["users"]} == {"CEO", "Sales Head", "Sales Rep"}


def test_the_users_listing_filters_by_type_pages_and_answers_204_when_empty(
    zoho: LocalZoho, server: LoopbackServer
) -> None:
    gone = zoho.add_user("Gone Rep", active=False)
    active = [zoho.add_user(f"Rep {n}") for n in range(3)]
    with token_client(zoho, server) as client:

        def ids(**params: Any) -> list[str]:
            return [u["id"] for u in client.get("/crm/v8/users", params=params).json()["users"]]

        assert ids(type="DeactiveUsers") == [gone]
        assert ids(type="ActiveUsers", per_page=2, page=2) == active[1:]
        assert ids() == sorted([zoho.default_user, gone, *active], key=int)  # AllUsers
        assert ids(type="CurrentUser") == [zoho.default_user]
        beyond = client.get("/crm/v8/users", params={"type": "ActiveUsers", "page": 9})
        wrong = client.get("/crm/v8/users", params={"type": "Everyone"})
        too_many = client.get("/crm/v8/users", params={"per_page": 201})
    assert (beyond.status_code, beyond.content) == (204, b"")
    assert wrong.status_code == too_many.status_code == 400
    assert wrong.json()["details"] == {"param_name": "type"}
    assert too_many.json()["details"] == {"param_name": "per_page"}


def test_a_token_without_the_users_scope_is_refused_with_zohos_error(
    clock: ManualClock,
) -> None:
    zoho = LocalZoho(clock=clock, scopes=["ZohoCRM.modules.ALL"])
    with LoopbackServer(zoho) as server, token_client(zoho, server) as client:
        refused = client.get("/crm/v8/users", params={"type": "ActiveUsers"})
        accounts = client.get("/crm/v8/Accounts", params={"fields": "Account_Name"})
    assert refused.status_code == 401
    check(refused.json(), "common.json", "API_Exception")
    assert refused.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert accounts.status_code == 204  # module calls are not scope-checked


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_staff_are_read_in_every_dialect(
    dialect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    zoho = LocalZoho(clock=clock, dialect=DIALECTS[dialect])
    head = zoho.add_user("Hana Head", role="Sales Head", reports_to=zoho.default_user)
    rep = zoho.add_user("Anna Rep", role="Sales Rep", reports_to=head, language=None)
    with LoopbackServer(zoho) as server:
        write_profile(tmp_path, monkeypatch, zoho, server, staff_roles=ROLES)
        result, _ = load(strict=True)
    staff = staff_of(result)
    assert [(m.role, m.reports_to) for m in (staff[head], staff[rep])] == [
        ("department_head", zoho.default_user),
        ("account_manager", head),
    ]
    assert staff[zoho.default_user].reports_to is None


def test_users_that_are_no_staff_member_are_set_aside_each_with_its_reason() -> None:
    roles = StaffRoles.parse("CEO=executive", "zoho:acme")
    read = staff_from_users(
        [
            {"id": 7, "full_name": "Seven", "role": {"name": "ceo", "id": "1"}},
            {"id": "7", "full_name": "Seven again"},
            {"id": "8", "first_name": "Eight", "last_name": "Rep", "Reporting_To": {"id": 7}},
            "not a user",
            {"full_name": "   ", "id": " "},
        ],
        roles,
    )
    assert read.members == (
        {"id": "7", "name": "Seven", "role": "executive"},
        {"id": "8", "name": "Eight Rep", "role": "account_manager", "reports_to": "7"},
    )
    assert [(q.location, q.problems[0].message) for q in read.set_aside] == [
        ("users/7", "a second user with the id '7'"),
        ("users/[3]", "the user is not a JSON object"),
        ("users/[4]", "the user has no id and no name"),
    ]
    assert read.warnings == ()
