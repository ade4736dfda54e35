"""The local Fenxiang Xiaoke server imitates the documented API: tokens, errorCode answers,
routing, query semantics, limits and permissions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import fxiaoke_support
from fxiaoke_support import T0, serve
from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing.fxiaoke import (
    BAD_REQUEST,
    DAILY_QUOTA,
    MIXED_OR_MISSING_AUTH,
    NO_DATA_PERMISSION,
    OFFSET_OUT_OF_RANGE,
    RATE_EXCEEDED,
    TOKEN_INVALID,
    UNKNOWN_PATH,
    USER_NOT_FOUND,
    WRONG_APP,
    WRONG_PERMANENT_CODE,
    LocalFxiaoke,
)

QUERY = "/cgi/crm/v2/data/query"

# Fixtures shared by the Fenxiang Xiaoke tests.
loopback = fxiaoke_support.loopback


class Tenant:
    """A raw HTTP view of the local CRM, with the legacy token in every body."""

    def __init__(self, crm: LocalFxiaoke, server: LoopbackServer) -> None:
        self.crm = crm
        self.http = httpx.Client(base_url=server.url, timeout=5)
        self._token: dict[str, Any] | None = None

    def token(self, **override: str) -> dict[str, Any]:
        body = {
            "appId": self.crm.app_id,
            "appSecret": self.crm.app_secret,
            "permanentCode": self.crm.permanent_code,
            **override,
        }
        answer: dict[str, Any] = self.http.post("/cgi/corpAccessToken/get/V2", json=body).json()
        return answer

    def renew(self) -> None:
        """Fetch a new token for the next request."""
        self._token = None

    def post(self, path: str, payload: dict[str, Any], *, user: str = "FSUID_admin") -> Any:
        token = self._token = self._token or self.token()
        body = {
            "corpAccessToken": token["corpAccessToken"],
            "corpId": token["corpId"],
            "currentOpenUserId": user,
            **payload,
        }
        response = self.http.post(path, json=body)
        assert response.status_code == 200  # every answer, errors included
        return response.json()

    def query(
        self, object_name: str = "AccountObj", *, user: str = "FSUID_admin", **info: Any
    ) -> Any:
        info.setdefault("limit", 100)
        info.setdefault("offset", 0)
        payload = {"data": {"dataObjectApiName": object_name, "search_query_info": info}}
        path = QUERY.replace("/v2/", "/custom/v2/") if object_name.endswith("__c") else QUERY
        return self.post(path, payload, user=user)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def crm(clock: ManualClock) -> LocalFxiaoke:
    return LocalFxiaoke(clock=clock, rate_limit=None)


@pytest.fixture
def tenant(crm: LocalFxiaoke, loopback: LoopbackServer) -> Iterator[Tenant]:
    tenant = Tenant(crm, serve(loopback, crm))
    yield tenant
    tenant.http.close()


def names(answer: Any) -> list[str]:
    assert answer["errorCode"] == 0, answer
    return [row["name"] for row in answer["data"]["dataList"]]


def test_the_same_token_comes_back_within_6600_s_and_a_new_one_after(
    tenant: Tenant, clock: ManualClock
) -> None:
    first = tenant.token()
    assert first["errorCode"] == 0
    assert first["expiresIn"] == 7200
    clock.advance(6599)
    again = tenant.token()
    assert again["corpAccessToken"] == first["corpAccessToken"]
    assert again["expiresIn"] == 601  # the old token, with what is left of its life
    clock.advance(1)
    renewed = tenant.token()
    assert renewed["corpAccessToken"] != first["corpAccessToken"]
    assert renewed["expiresIn"] == 7200


def test_an_expired_token_is_refused_with_20016(tenant: Tenant, clock: ManualClock) -> None:
    token = tenant.token()
    clock.advance(7200)
    body = {"corpAccessToken": token["corpAccessToken"], "corpId": token["corpId"]}
    answer = tenant.http.post(QUERY, json={**body, "currentOpenUserId": "FSUID_admin"}).json()
    assert answer["errorCode"] == TOKEN_INVALID


def test_wrong_credentials_get_their_codes(tenant: Tenant) -> None:
    assert tenant.token(appSecret="nope")["errorCode"] == WRONG_APP
    assert tenant.token(permanentCode="nope")["errorCode"] == WRONG_PERMANENT_CODE


def test_the_token_endpoint_allows_ten_calls_a_minute(tenant: Tenant, clock: ManualClock) -> None:
    codes = [tenant.token()["errorCode"] for _ in range(11)]
    assert codes == [0] * 10 + [RATE_EXCEEDED]
    clock.advance(60)
    assert tenant.token()["errorCode"] == 0


def test_unknown_paths_and_missing_or_mixed_credentials_answer_200_with_a_code(
    tenant: Tenant,
) -> None:
    assert tenant.http.post("/cgi/nothing", json={}).json()["errorCode"] == UNKNOWN_PATH
    assert tenant.http.post(QUERY, json={}).json()["errorCode"] == MIXED_OR_MISSING_AUTH
    token = tenant.token()
    mixed = tenant.http.post(
        QUERY,
        json={"corpAccessToken": token["corpAccessToken"], "corpId": token["corpId"]},
        headers={"authorization": "Bearer x"},
    )
    assert mixed.json()["errorCode"] == MIXED_OR_MISSING_AUTH
    assert tenant.query(user="FSUID_ghost")["errorCode"] == USER_NOT_FOUND


def test_custom_objects_answer_only_under_the_custom_path(tenant: Tenant) -> None:
    tenant.crm.define_object("Visit__c")
    tenant.crm.add("Visit__c", name="visit")
    assert names(tenant.query("Visit__c")) == ["visit"]
    payload = {"data": {"dataObjectApiName": "Visit__c", "search_query_info": {"limit": 10}}}
    assert tenant.post(QUERY, payload)["errorCode"] == BAD_REQUEST
    preset = {"data": {"dataObjectApiName": "AccountObj", "search_query_info": {"limit": 10}}}
    assert tenant.post("/cgi/crm/custom/v2/data/query", preset)["errorCode"] == BAD_REQUEST


def test_filters_and_together_and_operators_follow_the_documented_meaning(tenant: Tenant) -> None:
    crm = tenant.crm
    crm.add("AccountObj", name="纷享贸易", owner=["1000"], tel="021-1", last_modified_time=5)
    crm.add("AccountObj", name="Acme Handel", owner=["1001"], last_modified_time=10)
    crm.add("AccountObj", name="Acme Trade", owner=["1000", "1002"], last_modified_time=20)

    def query(*filters: tuple[str, str, list[str]]) -> list[str]:
        raw = [{"field_name": f, "operator": op, "field_values": v} for f, op, v in filters]
        return sorted(names(tenant.query(filters=raw)))

    assert query(("name", "STARTWITH", ["Acme"]), ("owner", "HASANYOF", ["1000"])) == ["Acme Trade"]
    assert query(("last_modified_time", "GT", ["9"])) == ["Acme Handel", "Acme Trade"]
    assert query(("last_modified_time", "BETWEEN", ["5", "10"])) == ["Acme Handel", "纷享贸易"]
    assert query(("last_modified_time", "NBETWEEN", ["5", "10"])) == ["Acme Trade"]
    assert query(("name", "LIKE", ["Han"])) == ["Acme Handel"]
    assert query(("name", "NLIKE", ["Acme"])) == ["纷享贸易"]
    assert query(("name", "ENDWITH", ["Trade"])) == ["Acme Trade"]
    assert query(("name", "IN", ["Acme Trade", "x"])) == ["Acme Trade"]
    assert query(("name", "NIN", ["Acme Trade"])) == ["Acme Handel", "纷享贸易"]
    assert query(("name", "N", ["Acme Trade"])) == ["Acme Handel", "纷享贸易"]
    assert query(("tel", "IS", [])) == ["Acme Handel", "Acme Trade"]
    assert query(("tel", "ISN", [])) == ["纷享贸易"]
    assert query(("owner", "NHASANYOF", ["1000"])) == ["Acme Handel"]
    assert query(("last_modified_time", "LTE", ["10"]), ("name", "CONTAINS", ["Acme"])) == [
        "Acme Handel"
    ]
    bad = [{"field_name": "name", "operator": "SOUNDSLIKE", "field_values": ["x"]}]
    assert tenant.query(filters=bad)["errorCode"] == BAD_REQUEST


def test_orders_projection_and_omitted_empty_fields(tenant: Tenant) -> None:
    tenant.crm.add("AccountObj", name="B", tel="", owner=["1000"], last_modified_time=2)
    tenant.crm.add("AccountObj", name="A", tel="021", owner=["1000"], last_modified_time=1)
    answer = tenant.query(
        orders=[{"fieldName": "last_modified_time", "isAsc": False}],
        fieldProjection=["name", "tel"],
    )
    rows = answer["data"]["dataList"]
    assert [row["name"] for row in rows] == ["B", "A"]
    assert set(rows[0]) == {"_id", "name"}  # the empty tel is left out
    assert set(rows[1]) == {"_id", "name", "tel"}
    with_null = tenant.query(fieldProjection=["name", "tel", "url"], includeNull=True)
    assert all(set(row) == {"_id", "name", "tel", "url"} for row in with_null["data"]["dataList"])


def test_offset_paging_stops_at_the_10000_wall(tenant: Tenant) -> None:
    tenant.crm.add_many("AccountObj", ({"name": f"A{n}", "owner": ["1000"]} for n in range(10_050)))
    assert len(names(tenant.query(offset=10_000))) == 50
    assert tenant.query(offset=10_100)["errorCode"] == OFFSET_OUT_OF_RANGE
    assert tenant.query(offset=150)["errorCode"] == OFFSET_OUT_OF_RANGE  # not a multiple of limit
    assert tenant.query(limit=101)["errorCode"] == BAD_REQUEST


def test_users_see_only_the_records_they_may(tenant: Tenant) -> None:
    tenant.crm.add_user("FSUID_anna", sees_owners={"1000"})
    tenant.crm.add("AccountObj", name="mine", owner=["1000"])
    other = tenant.crm.add("AccountObj", name="theirs", owner=["1001"])
    assert names(tenant.query(user="FSUID_anna")) == ["mine"]
    assert sorted(names(tenant.query())) == ["mine", "theirs"]
    get = {"data": {"dataObjectApiName": "AccountObj", "objectDataId": other}}
    assert tenant.post("/cgi/crm/v2/data/get", get, user="FSUID_anna")["errorCode"] == (
        NO_DATA_PERMISSION
    )


def test_create_update_and_get_keep_the_api_shapes(tenant: Tenant, clock: ManualClock) -> None:
    created = tenant.post(
        "/cgi/crm/v2/data/create",
        {"data": {"object_data": {"dataObjectApiName": "AccountObj", "name": "New"}}},
    )
    assert created["errorCode"] == 0
    clock.advance(5)
    update = {"_id": created["dataId"], "dataObjectApiName": "AccountObj", "name": "Renamed"}
    assert (
        tenant.post("/cgi/crm/v2/data/update", {"data": {"object_data": update}})["errorCode"] == 0
    )
    owner_change = {**update, "owner": ["1001"]}
    refused = tenant.post("/cgi/crm/v2/data/update", {"data": {"object_data": owner_change}})
    assert refused["errorCode"] == BAD_REQUEST
    got = tenant.post(
        "/cgi/crm/v2/data/get",
        {"data": {"dataObjectApiName": "AccountObj", "objectDataId": created["dataId"]}},
    )["data"]
    assert got["name"] == "Renamed"
    assert got["owner"] == ["FSUID_admin"]
    assert got["last_modified_time"] - got["create_time"] == 5000


def test_the_rate_limit_is_per_endpoint(clock: ManualClock, loopback: LoopbackServer) -> None:
    crm = LocalFxiaoke(clock=clock, rate_limit=(3, 20.0))
    tenant = Tenant(crm, serve(loopback, crm))
    codes = [tenant.query()["errorCode"] for _ in range(4)]
    describe = tenant.post("/cgi/crm/v2/object/describe", {"apiName": "AccountObj"})
    clock.advance(20)
    after = tenant.query()["errorCode"]
    tenant.http.close()
    assert codes == [0, 0, 0, RATE_EXCEEDED]
    assert describe["errorCode"] == 0  # another endpoint, another budget
    assert after == 0


def test_the_daily_quota_resets_at_midnight_beijing_time(
    clock: ManualClock, loopback: LoopbackServer
) -> None:
    crm = LocalFxiaoke(clock=clock, rate_limit=None, daily_quota=2)
    tenant = Tenant(crm, serve(loopback, crm))
    codes = [tenant.query()["errorCode"] for _ in range(3)]
    clock.advance(16 * 3600 - 1)  # T0 is 08:00 in Beijing: one second before midnight
    tenant.renew()  # the token of 08:00 has expired
    still = tenant.query()["errorCode"]
    clock.advance(1)
    reset = tenant.query()["errorCode"]
    tenant.http.close()
    assert codes == [0, 0, DAILY_QUOTA]
    assert (still, reset) == (DAILY_QUOTA, 0)


def test_describe_lists_fields_with_their_options(tenant: Tenant) -> None:
    tenant.crm.define_options("AccountObj", "account_level", {"1": "重要客户"})
    describe = tenant.post("/cgi/crm/v2/object/describe", {"apiName": "AccountObj"})
    level = describe["data"]["describe"]["fields"]["account_level"]
    assert level["options"] == [{"value": "1", "label": "重要客户"}]
    missing = tenant.post("/cgi/crm/v2/object/describe", {"apiName": "OpportunityObj"})
    assert missing["errorCode"] != 0  # this tenant has NewOpportunityObj only
