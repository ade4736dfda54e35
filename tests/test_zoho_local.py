"""The local Zoho (:mod:`kamcore_adapters.testing.zoho`) behaves as Zoho documents, and its
bodies have the shapes of Zoho's own OpenAPI files (tests/data/zoho-oas/)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing.zoho import LocalZoho, populate
from zoho_support import check, grant_form


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_767_600_000.0)  # 2026-01-05T08:00:00Z


@pytest.fixture
def zoho(clock: ManualClock) -> LocalZoho:
    return LocalZoho(clock=clock)


@pytest.fixture
def http(zoho: LocalZoho) -> Iterator[httpx.Client]:
    """A client of the local org, with a valid token."""
    with LoopbackServer(zoho) as server, httpx.Client(base_url=server.url) as client:
        token = client.post("/oauth/v2/token", data=grant_form(zoho)).json()["access_token"]
        client.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        yield client


FIELDS = {"fields": "Account_Name,Owner,Modified_Time", "per_page": 200}


# -------------------------------------------------------------------------------------------------
# Tokens
# -------------------------------------------------------------------------------------------------


def test_the_token_endpoint_issues_an_hour_long_token_with_the_api_domain(zoho: LocalZoho) -> None:
    with LoopbackServer(zoho) as server:
        answer = httpx.post(f"{server.url}/oauth/v2/token", data=grant_form(zoho)).json()
        url = server.url

    assert answer["access_token"].startswith("1000.")
    assert answer["expires_in"] == 3600
    assert answer["api_domain"] == url
    assert zoho.token_requests == 1


def test_a_refused_refresh_answers_an_error_and_no_token(zoho: LocalZoho) -> None:
    with LoopbackServer(zoho) as server:
        bad_secret = httpx.post(
            f"{server.url}/oauth/v2/token", data={**grant_form(zoho), "client_secret": "nope"}
        )
        bad_refresh = httpx.post(
            f"{server.url}/oauth/v2/token", data={**grant_form(zoho), "refresh_token": "1000.x"}
        )

    assert bad_secret.json() == {"error": "invalid_client"}
    assert bad_refresh.json() == {"error": "invalid_code"}


def test_at_most_ten_tokens_are_issued_in_ten_minutes(zoho: LocalZoho, clock: ManualClock) -> None:
    with LoopbackServer(zoho) as server:
        answers = [
            httpx.post(f"{server.url}/oauth/v2/token", data=grant_form(zoho)) for _ in range(11)
        ]
        clock.advance(601)
        later = httpx.post(f"{server.url}/oauth/v2/token", data=grant_form(zoho))

    assert all("access_token" in a.json() for a in answers[:10])
    assert answers[10].status_code == 400
    assert "access_token" not in answers[10].json()
    assert "access_token" in later.json()


def test_an_expired_token_is_refused_with_invalid_token(
    http: httpx.Client, clock: ManualClock
) -> None:
    assert http.get("/crm/v8/Accounts", params=FIELDS).status_code == 204
    clock.advance(3601)

    refused = http.get("/crm/v8/Accounts", params=FIELDS)

    assert refused.status_code == 401
    assert refused.json()["code"] == "INVALID_TOKEN"
    check(refused.json(), "record.json", "API_Exception")


def test_a_call_without_the_zoho_oauthtoken_header_is_refused(zoho: LocalZoho) -> None:
    with LoopbackServer(zoho) as server:
        token = httpx.post(f"{server.url}/oauth/v2/token", data=grant_form(zoho)).json()
        bearer = httpx.get(
            f"{server.url}/crm/v8/Accounts",
            params=FIELDS,
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )

    assert bearer.status_code == 401
    assert bearer.json()["code"] == "AUTHENTICATION_FAILURE"


# -------------------------------------------------------------------------------------------------
# Lists
# -------------------------------------------------------------------------------------------------


def test_fields_are_mandatory_and_limited_to_fifty_known_ones(
    http: httpx.Client, zoho: LocalZoho
) -> None:
    zoho.add("Accounts", Account_Name="Acme")
    missing = http.get("/crm/v8/Accounts")
    too_many = http.get("/crm/v8/Accounts", params={"fields": ",".join(["Phone"] * 51)})
    unknown = http.get("/crm/v8/Accounts", params={"fields": "Account_Name,Colour"})

    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert (too_many.status_code, too_many.json()["code"]) == (400, "LIMIT_EXCEEDED")
    assert (unknown.status_code, unknown.json()["details"]["api_name"]) == (400, "Colour")
    for answer in (missing, too_many, unknown):
        check(answer.json(), "record.json", "API_Exception")


def test_a_list_answers_the_fields_asked_in_the_user_time_zone(
    http: httpx.Client, zoho: LocalZoho
) -> None:
    zoho.add("Accounts", Account_Name="Acme", Phone="+49 30 0000")

    answer = http.get("/crm/v8/Accounts", params=FIELDS)

    body = answer.json()
    record = body["data"][0]
    assert set(record) == {"id", "Account_Name", "Owner", "Modified_Time"}
    assert record["Modified_Time"] == "2026-01-05T13:30:00+05:30"  # 08:00Z in IST
    assert body["info"]["more_records"] is False
    check(body, "record.json", "Response_Wrapper")


def test_page_reaches_2000_records_then_page_token_pages_on(
    http: httpx.Client, zoho: LocalZoho
) -> None:
    for n in range(2_100):
        zoho.add("Accounts", Account_Name=f"A{n}")
    params = {**FIELDS, "sort_by": "id", "sort_order": "asc"}

    tenth = http.get("/crm/v8/Accounts", params={**params, "page": 10}).json()
    eleventh = http.get("/crm/v8/Accounts", params={**params, "page": 11})
    token = tenth["info"]["next_page_token"]
    onwards = http.get("/crm/v8/Accounts", params={**params, "page_token": token}).json()
    both = http.get("/crm/v8/Accounts", params={**params, "page_token": token, "page": 1})
    rebound = http.get("/crm/v8/Accounts", params={**params, "page_token": token, "per_page": 100})

    assert eleventh.status_code == 400
    assert eleventh.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"
    assert eleventh.json()["details"] == {"limit": 2000}
    assert [r["Account_Name"] for r in onwards["data"]] == [f"A{n}" for n in range(2000, 2100)]
    assert onwards["info"]["more_records"] is False
    assert both.json()["code"] == "AMBIGUITY_DURING_PROCESSING"
    assert rebound.json()["code"] == "TOKEN_BOUND_DATA_MISMATCH"
    check(tenth, "record.json", "Response_Wrapper")
    check(onwards, "record.json", "Response_Wrapper")
    for error in (eleventh, both, rebound):
        check(error.json(), "common.json", "API_Exception")


def test_a_page_token_expires_after_a_day(
    http: httpx.Client, zoho: LocalZoho, clock: ManualClock
) -> None:
    for n in range(3):
        zoho.add("Accounts", Account_Name=f"A{n}")
    params = {**FIELDS, "per_page": 1}
    token = http.get("/crm/v8/Accounts", params=params).json()["info"]["next_page_token"]
    clock.advance(86_401)
    zoho.expire_tokens()  # the access token expired too: get a new one
    fresh = http.post("/oauth/v2/token", data=grant_form(zoho)).json()["access_token"]
    http.headers["Authorization"] = f"Zoho-oauthtoken {fresh}"

    expired = http.get("/crm/v8/Accounts", params={**params, "page_token": token})

    assert (expired.status_code, expired.json()["code"]) == (400, "EXPIRED_VALUE")


def test_if_modified_since_answers_changes_only_and_304_when_none(
    http: httpx.Client, zoho: LocalZoho, clock: ManualClock
) -> None:
    first = zoho.add("Accounts", Account_Name="Old")
    zoho.add("Accounts", Account_Name="Untouched")
    clock.advance(1800)
    zoho.update("Accounts", first, Account_Name="Renamed")
    since = {"If-Modified-Since": "2026-01-05T13:45:00+05:30"}  # 08:15Z

    changed = http.get("/crm/v8/Accounts", params=FIELDS, headers=since)
    nothing = http.get(
        "/crm/v8/Accounts", params=FIELDS, headers={"If-Modified-Since": "2026-01-05T08:40:00Z"}
    )

    assert changed.status_code == 200, changed.text
    assert [r["Account_Name"] for r in changed.json()["data"]] == ["Renamed"]
    assert (nothing.status_code, nothing.content) == (304, b"")


def test_an_empty_list_is_204_without_a_body(http: httpx.Client) -> None:
    empty = http.get("/crm/v8/Tasks", params={"fields": "Subject"})

    assert (empty.status_code, empty.content) == (204, b"")


def test_listing_notes_needs_an_administrator(clock: ManualClock) -> None:
    zoho = LocalZoho(clock=clock, admin=False)
    with LoopbackServer(zoho) as server, httpx.Client(base_url=server.url) as client:
        token = client.post("/oauth/v2/token", data=grant_form(zoho)).json()["access_token"]
        refused = client.get(
            "/crm/v8/Notes",
            params={"fields": "Note_Content"},
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
        )

    assert (refused.status_code, refused.json()["code"]) == (403, "NOT_SUPPORTED")
    check(refused.json(), "record.json", "API_Exception")


def test_an_unknown_module_and_path_answer_zoho_errors(http: httpx.Client) -> None:
    module = http.get("/crm/v8/Widgets", params={"fields": "Name"})
    path = http.get("/crm/v2/Accounts")

    assert (module.status_code, module.json()["code"]) == (400, "INVALID_MODULE")
    assert (path.status_code, path.json()["code"]) == (404, "INVALID_URL_PATTERN")
    check(module.json(), "record.json", "API_Exception")
    check(path.json(), "record.json", "API_Exception")


# -------------------------------------------------------------------------------------------------
# Writes, search, COQL
# -------------------------------------------------------------------------------------------------


def test_a_write_answers_201_207_or_400_with_a_result_per_record(
    http: httpx.Client, zoho: LocalZoho
) -> None:
    account = zoho.add("Accounts", Account_Name="Acme")
    good = {"Subject": "Call back", "What_Id": {"id": account}, "$se_module": "Accounts"}
    no_subject = {"What_Id": {"id": account}, "$se_module": "Accounts"}
    bad_lookup = {"Subject": "x", "What_Id": {"id": "1"}, "$se_module": "Accounts"}

    created = http.post("/crm/v8/Tasks", json={"data": [good]})
    mixed = http.post("/crm/v8/Tasks", json={"data": [good, no_subject, bad_lookup]})
    failed = http.post("/crm/v8/Tasks", json={"data": [no_subject]})
    too_many = http.post("/crm/v8/Tasks", json={"data": [good] * 101})

    assert created.status_code == 201
    assert mixed.status_code == 207
    assert [item["status"] for item in mixed.json()["data"]] == ["success", "error", "error"]
    assert mixed.json()["data"][1]["details"] == {
        "api_name": "Subject",
        "json_path": "$.data[1].Subject",
    }
    assert mixed.json()["data"][2]["details"]["api_name"] == "What_Id"
    assert failed.status_code == 400
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"
    assert len(zoho.created["Tasks"]) == 2
    check(created.json()["data"][0], "record.json", "Success_Response")
    for item in mixed.json()["data"][1:]:
        check(item, "record.json", "API_Exception")
    check(too_many.json(), "record.json", "API_Exception")


def test_a_note_is_written_with_the_v8_parent_id_and_read_back(
    http: httpx.Client, zoho: LocalZoho
) -> None:
    account = zoho.add("Accounts", Account_Name="Acme")
    note = {
        "Note_Title": "Hometown",
        "Note_Content": "Grew up in Plovdiv.",
        "Parent_Id": {"module": {"api_name": "Accounts"}, "id": account},
    }

    created = http.post("/crm/v8/Notes", json={"data": [note]})
    related = http.get(
        f"/crm/v8/Accounts/{account}/Notes", params={"fields": "Note_Title,Parent_Id"}
    )

    assert created.status_code == 201
    parent = related.json()["data"][0]["Parent_Id"]
    assert parent["id"] == account
    assert parent["module"]["api_name"] == "Accounts"
    check(related.json(), "record.json", "Response_Wrapper")
    check(parent, "notes.json", "Parent_Id")


def test_search_and_coql_find_a_record_by_a_custom_field(
    http: httpx.Client, zoho: LocalZoho
) -> None:
    account = zoho.add("Accounts", Account_Name="Acme")
    task = zoho.add(
        "Tasks", Subject="x", What_Id=account, Kamcore_Key="kam-1", **{"$se_module": "Accounts"}
    )
    zoho.add("Tasks", Subject="y", Kamcore_Key="kam-2")

    searched = http.get(
        "/crm/v8/Tasks/search",
        params={"criteria": "((Kamcore_Key:equals:kam-1)or(Kamcore_Key:equals:kam-9))"},
    )
    queried = http.post(
        "/crm/v8/coql",
        json={
            "select_query": "select id, Kamcore_Key from Tasks "
            "where Kamcore_Key in ('kam-1', 'kam-9') limit 200"
        },
    )
    bad = http.post("/crm/v8/coql", json={"select_query": "delete from Tasks"})

    assert [r["id"] for r in searched.json()["data"]] == [task]
    assert queried.json()["data"] == [{"id": task, "Kamcore_Key": "kam-1"}]
    check(queried.json(), "coql.json", "Response_Wrapper")
    assert (bad.status_code, bad.json()["code"]) == (400, "SYNTAX_ERROR")
    check(bad.json(), "coql.json", "Query_Exception")


def test_search_lags_writes_when_asked(clock: ManualClock) -> None:
    zoho = LocalZoho(clock=clock, search_lag=30)
    with LoopbackServer(zoho) as server, httpx.Client(base_url=server.url) as client:
        token = client.post("/oauth/v2/token", data=grant_form(zoho)).json()["access_token"]
        client.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        zoho.add("Tasks", Subject="fresh", Kamcore_Key="kam-1")
        params = {"criteria": "(Kamcore_Key:equals:kam-1)"}
        at_once = client.get("/crm/v8/Tasks/search", params=params)
        clock.advance(31)
        later = client.get("/crm/v8/Tasks/search", params=params)

    assert at_once.status_code == 204
    assert later.status_code == 200


def test_populate_builds_the_org_it_describes(zoho: LocalZoho) -> None:
    made = populate(zoho, accounts=4, activities=8)

    assert {m: len(ids) for m, ids in made.items()} == {
        "Accounts": 4,
        "Contacts": 4,
        "Deals": 4,
        "Tasks": 2,
        "Calls": 2,
        "Events": 2,
        "Notes": 2,
    }
