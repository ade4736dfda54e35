"""A local Fenxiang Xiaoke (纷享销客) Open API, for testing adapters without the vendor's cloud.

:class:`LocalFxiaoke` holds a tenant's CRM data and answers the Open API the
way the vendor documents it (docs/connect-fxiaoke.md lists the sources and
what no source confirmed)::

    from kamcore_adapters.testing import LoopbackServer
    from kamcore_adapters.testing.fxiaoke import LocalFxiaoke

    crm = LocalFxiaoke()
    crm.add("AccountObj", name="纷享贸易有限公司", owner=["1000"])
    with LoopbackServer(crm) as server:
        settings = crm.profile_settings(server.url)  # the [fxiaoke.PROFILE] table
        ...

What it imitates:

- both token endpoints (legacy ``corpAccessToken`` and OAuth ``accessToken``):
  the same token when asked again within 6,600 s, a new one after, each valid
  7,200 s by the injectable clock; 10 token calls a minute; it records how many
  token requests were ever in flight at once (:attr:`LocalFxiaoke.max_token_in_flight`);
- HTTP 200 with an ``errorCode`` for every answer, 10006 for unknown paths;
- the two auth styles, never mixed in one request, and the acting user's data
  permissions (:meth:`LocalFxiaoke.add_user`);
- ``__c`` routing: custom objects only under ``/cgi/crm/custom/v2/``;
- queries: every documented operator, filters ANDed, ``orders``,
  ``fieldProjection``, empty fields left out (unless ``includeNull``), at most
  100 a page and the 10,000-offset wall (10013);
- a per-endpoint rate limit (30004) and a daily quota that resets at 00:00
  Beijing time (30002);
- describe with select options, create / update / get.

Where the vendor's documentation allows more than one behaviour, the
constructor chooses (the defaults follow the documentation most literally), so
that a client can be tested against other faithful servers: the HTTP status of
errors, the code for an expired token, the shape of token, describe and create
answers, a page size the server clamps, ``null`` for empty fields, extra
read-only fields, the length of ids, ``errorCode`` as text, and the charset.

Faults: HTTP-level ones through :attr:`LoopbackServer.faults` (an ``errorCode``
answer is ``faults.add(path, "status", status=200, body=error_answer(30004))``),
and :meth:`LocalFxiaoke.trigger` to run code (advance the clock, kill a client)
before or after the n-th request to a path.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from kamcore_adapters.testing._loopback import ManualClock, Request, Response

__all__ = [
    "BAD_REQUEST",
    "BUSY",
    "DAILY_QUOTA",
    "MIXED_OR_MISSING_AUTH",
    "NO_DATA_PERMISSION",
    "OBJECT_NOT_FOUND",
    "OFFSET_OUT_OF_RANGE",
    "OFFSET_WALL",
    "RATE_EXCEEDED",
    "TOKEN_INVALID",
    "UNKNOWN_PATH",
    "USER_NOT_FOUND",
    "WRONG_APP",
    "WRONG_PERMANENT_CODE",
    "LocalFxiaoke",
    "error_answer",
]

# Codes from the vendor's table; the ones marked UNVERIFIED are this server's choice
# where no public source gave the code.
BUSY: Final = -1
UNKNOWN_PATH: Final = 10006
OFFSET_OUT_OF_RANGE: Final = 10013
TOKEN_INVALID: Final = 20016
MIXED_OR_MISSING_AUTH: Final = 20017
WRONG_APP: Final = 20006
WRONG_PERMANENT_CODE: Final = 20015
USER_NOT_FOUND: Final = 20012
NO_DATA_PERMISSION: Final = 20014  # UNVERIFIED which of 20012-20023 the vendor uses here
RATE_EXCEEDED: Final = 30004
DAILY_QUOTA: Final = 30002
BAD_REQUEST: Final = 10005  # UNVERIFIED: the vendor's "parameter error" code
OBJECT_NOT_FOUND: Final = 10007  # UNVERIFIED

TokenEnvelope = Literal["flat", "nested", "bare"]
"""How a token answer is laid out: ``flat`` (``errorCode`` and the token side by side),
``nested`` (the token under ``data``) or ``bare`` (no ``errorCode`` at all, as OAuth servers do)."""

OFFSET_WALL: Final = 10_000
MAX_LIMIT: Final = 100
TOKEN_LIFETIME: Final = 7200
TOKEN_REISSUE_AFTER: Final = 6600
LEGACY_TOKEN_PATH: Final = "/cgi/corpAccessToken/get/V2"
BEARER_TOKEN_PATH: Final = "/oauth2.0/token"
_BEIJING_OFFSET: Final = 8 * 3600
_DAY: Final = 86_400
_NUMERIC_TYPES: Final = frozenset({"number", "currency", "percentile", "date", "date_time"})
_PRESET_OBJECTS: Final = (
    "AccountObj",
    "ContactObj",
    "SalesOrderObj",
    "ActiveRecordObj",
    "ScheduleObj",
)
_STANDARD_FIELDS: Final[Mapping[str, Mapping[str, Any]]] = {
    "_id": {"type": "text"},
    "name": {"type": "text"},
    "owner": {"type": "employee"},
    "created_by": {"type": "employee"},
    "create_time": {"type": "date_time"},
    "last_modified_time": {"type": "date_time"},
}
_OBJECT_FIELDS: Final[Mapping[str, Mapping[str, str]]] = {
    "AccountObj": {"account_level": "select_one", "account_no": "text", "tel": "text"},
    "ContactObj": {"account_id": "object_reference", "mobile1": "text", "email": "email"},
    "NewOpportunityObj": {"account_id": "object_reference", "amount": "currency"},
    "OpportunityObj": {"account_id": "object_reference", "amount": "currency"},
    "SalesOrderObj": {
        "account_id": "object_reference",
        "order_time": "date_time",
        "order_amount": "currency",
    },
    # kamcore_key__c: the custom field the kamcore adapter's set-up adds to its write-back objects.
    "ActiveRecordObj": {
        "account_id": "object_reference",
        "active_record_type": "select_one",
        "active_record_content": "long_text",
        "kamcore_key__c": "text",
    },
    "ScheduleObj": {
        "begin_time": "date_time",
        "end_time": "date_time",
        "content": "long_text",
        "kamcore_key__c": "text",
    },
}


def error_answer(code: int, message: str = "error") -> dict[str, Any]:
    """The body of an ``errorCode`` answer (always sent with HTTP 200).

    >>> error_answer(30004)
    {'errorCode': 30004, 'errorMessage': 'error'}
    """
    return {"errorCode": code, "errorMessage": message}


class _Refusal(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _empty(value: Any) -> bool:
    return value is None or value in ("", [])


class _Table:
    """One object's records, kept in ``_id`` order, with an index on ``account_id``."""

    def __init__(self, name: str, fields: dict[str, dict[str, Any]]) -> None:
        self.name = name
        self.fields = fields
        self.records: dict[str, dict[str, Any]] = {}
        self.ids: list[str] = []
        self.by_account: dict[str, set[str]] = defaultdict(set)

    def put(self, record: dict[str, Any]) -> None:
        record_id = record["_id"]
        old = self.records.get(record_id)
        if old is None:
            bisect.insort(self.ids, record_id)
        elif old.get("account_id") is not None:
            self.by_account[str(old["account_id"])].discard(record_id)
        self.records[record_id] = record
        if record.get("account_id") is not None:
            self.by_account[str(record["account_id"])].add(record_id)

    def numeric(self, field: str) -> bool:
        return self.fields.get(field, {}).get("type") in _NUMERIC_TYPES


class LocalFxiaoke:
    """One tenant's CRM behind the Fenxiang Xiaoke Open API; the handler of a :class:`LoopbackServer`.

    Args:
        clock: the clock of tokens, rate limits, the daily quota and record
            times (the real time when ``None``).
        app_id: the app id clients must send.
        app_secret: the app secret clients must send.
        permanent_code: the tenant's permanent code.
        corp_id: the tenant's ``FSCID_…`` corp id (legacy style).
        ea: the tenant's enterprise account (bearer style).
        rate_limit: ``(calls, seconds)`` per endpoint, or ``None`` for no limit.
        token_rate: ``(calls, seconds)`` for the token endpoints together.
        daily_quota: business calls allowed per Beijing day, or ``None``.
        token_delay: seconds each token request takes (to widen races in tests).
        opportunity_object: which opportunity object the tenant has
            (``NewOpportunityObj`` or ``OpportunityObj``).
        error_status: the HTTP status of ``errorCode`` refusals (the vendor says
            200; a gateway in front of it may not).
        expired_token_code: the code for a missing or expired token (20016; the
            vendor's table gives 10013 for a missing token too).
        token_envelope: the layout of a successful token answer (see :data:`TokenEnvelope`).
        token_keys: ``camel`` (``accessToken``, ``expiresIn``) or ``snake``
            (``access_token``, ``expires_in``) names in token answers.
        token_names_tenant: whether the token answer holds ``corpId`` / ``ea``.
        max_limit: the largest page served.
        clamp_limit: serve at most *max_limit* records when more are asked (and say
            so in the answer's ``limit``) instead of refusing the query.
        include_null: answer with ``null`` for empty fields, as if every query
            asked for ``includeNull``.
        read_extras: add read-only fields to every record read (``owner__r``,
            ``life_status``, ``version``…), as real tenants do.
        id_lengths: the lengths of new record ids, used in turn (24 and 32 hex
            characters are both documented).
        codes_as_text: send ``errorCode`` as a string (``"0"``).
        describe_layout: ``nested`` (``data.describe.fields`` by api name) or
            ``flat`` (``data.fields`` as a list).
        create_layout: ``flat`` (``dataId`` beside ``errorCode``) or ``nested``
            (``data._id``).
        charset: the charset of every answer (declared in its ``Content-Type``).
        keep_alive: keep connections open between requests (``False`` closes each
            after its answer).
        honour_projection: answer with only the fields of ``fieldProjection``
            (``False`` sends every field, as a server may).
        missing_object_code: the code for an object the tenant does not have (not
            documented: 10007 here).
        search_lag: seconds before a created record shows in queries (a search
            index behind ``query``; ``get`` sees it at once).
        token_lifetime: seconds a token lives (7,200 documented); the same token
            is given again for the first 11/12 of that (6,600 s of 7,200).

    Attributes:
        token_calls: token requests answered with a token.
        max_token_in_flight: the most token requests ever handled at once.
        calls: requests per path.
    """

    def __init__(
        self,
        *,
        clock: ManualClock | None = None,
        app_id: str = "FSAID_local",
        app_secret: str = "local-app-secret-0f3c",
        permanent_code: str = "local-permanent-code-77a1",
        corp_id: str = "FSCID_local",
        ea: str = "local_ea",
        rate_limit: tuple[int, float] | None = (100, 20.0),
        token_rate: tuple[int, float] = (10, 60.0),
        daily_quota: int | None = None,
        token_delay: float = 0.0,
        opportunity_object: str = "NewOpportunityObj",
        error_status: int = 200,
        expired_token_code: int = TOKEN_INVALID,
        token_envelope: TokenEnvelope = "flat",
        token_keys: Literal["camel", "snake"] = "camel",
        token_names_tenant: bool = True,
        max_limit: int = MAX_LIMIT,
        clamp_limit: bool = False,
        include_null: bool = False,
        read_extras: bool = False,
        id_lengths: tuple[int, ...] = (24,),
        codes_as_text: bool = False,
        describe_layout: Literal["nested", "flat"] = "nested",
        create_layout: Literal["flat", "nested"] = "flat",
        charset: str = "utf-8",
        keep_alive: bool = True,
        honour_projection: bool = True,
        missing_object_code: int = OBJECT_NOT_FOUND,
        search_lag: float = 0.0,
        token_lifetime: float = TOKEN_LIFETIME,
    ) -> None:
        self._now: Callable[[], float] = clock.now if clock is not None else time.time
        self.app_id = app_id
        self.app_secret = app_secret
        self.permanent_code = permanent_code
        self.corp_id = corp_id
        self.ea = ea
        self.rate_limit = rate_limit
        self.token_rate = token_rate
        self.daily_quota = daily_quota
        self.token_delay = token_delay
        self.error_status = error_status
        self.expired_token_code = expired_token_code
        self.token_envelope = token_envelope
        self.token_keys = token_keys
        self.token_names_tenant = token_names_tenant
        self.max_limit = max_limit
        self.clamp_limit = clamp_limit
        self.include_null = include_null
        self.read_extras = read_extras
        self.id_lengths = id_lengths
        self.codes_as_text = codes_as_text
        self.describe_layout = describe_layout
        self.create_layout = create_layout
        self.charset = charset
        self.keep_alive = keep_alive
        self.honour_projection = honour_projection
        self.missing_object_code = missing_object_code
        self.search_lag = search_lag
        self.token_lifetime = token_lifetime
        self._reissue_after = token_lifetime * TOKEN_REISSUE_AFTER / TOKEN_LIFETIME
        self._lock = threading.RLock()
        self._tables: dict[str, _Table] = {}
        for name in (*_PRESET_OBJECTS, opportunity_object):
            self.define_object(name)
        self._users: dict[str, frozenset[str] | None] = {"FSUID_admin": None, "1000": None}
        self._issued: dict[str, tuple[str, float]] = {}
        self._valid: dict[str, tuple[str, float]] = {}
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self._quota_used: Counter[int] = Counter()
        self._counter = 0
        self._triggers: list[list[Any]] = []
        self._token_in_flight = 0
        self.max_token_in_flight = 0
        self.token_calls = 0
        self.calls: Counter[str] = Counter()

    # -- set-up -----------------------------------------------------------------------------------

    def define_object(self, name: str, fields: Mapping[str, str] | None = None) -> None:
        """Give the tenant an object (custom ones end in ``__c``) with *fields* by type, or
        add *fields* to an object it has."""
        with self._lock:
            table = self._tables.get(name)
            if table is None:
                described = {field: dict(spec) for field, spec in _STANDARD_FIELDS.items()}
                table = self._tables[name] = _Table(name, described)
                fields = {**_OBJECT_FIELDS.get(name, {}), **(fields or {})}
            for field, kind in (fields or {}).items():
                table.fields[field] = {"type": kind}

    def drop_field(self, object_name: str, field: str) -> None:
        """Take *field* out of *object_name*'s describe (a tenant that never added it)."""
        with self._lock:
            self._tables[object_name].fields.pop(field, None)

    def define_options(self, object_name: str, field: str, options: Mapping[str, str]) -> None:
        """Make *field* a select field with *options* (value → label)."""
        with self._lock:
            spec = self._tables[object_name].fields.setdefault(field, {})
            spec["type"] = "select_one"
            spec["options"] = dict(options)

    def add_user(self, user_id: str, sees_owners: Collection[str] | None = None) -> None:
        """Add an acting user who sees the records owned by *sees_owners* (all when ``None``)."""
        with self._lock:
            self._users[user_id] = None if sees_owners is None else frozenset(sees_owners)

    @property
    def issued_tokens(self) -> list[str]:
        """Every token this CRM has issued (to check that none leaks into a log)."""
        with self._lock:
            return list(self._valid)

    def now_ms(self) -> int:
        """The clock's time in epoch milliseconds, as the CRM stores times."""
        return int(self._now() * 1000)

    def _new_id(self, object_name: str) -> str:
        self._counter += 1
        length = self.id_lengths[self._counter % len(self.id_lengths)]
        # Ids look random, so _id order is not creation order: keyset paging must not care.
        return hashlib.sha1(f"{object_name}:{self._counter}".encode()).hexdigest()[:length]

    def add(self, object_name: str, /, **fields: Any) -> str:
        """Store a record as the CRM would (values in API form: times in ms, numbers as
        strings, employees as lists) and return its ``_id``."""
        return self.add_many(object_name, [fields])[0]

    def add_many(self, object_name: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """Store many records at once; returns their ids in the same order."""
        with self._lock:
            table = self._tables[object_name]
            now = self.now_ms()
            ids = []
            fresh: list[dict[str, Any]] = []
            for fields in records:
                record = {"create_time": now, "last_modified_time": now, **fields}
                record.setdefault("_id", self._new_id(object_name))
                ids.append(record["_id"])
                fresh.append(record)
            known = set(table.ids)
            for record in fresh:
                table.records[record["_id"]] = record
                if record.get("account_id") is not None:
                    table.by_account[str(record["account_id"])].add(record["_id"])
            table.ids = sorted(known | {record["_id"] for record in fresh})
            return ids

    def update(self, object_name: str, record_id: str, /, **fields: Any) -> None:
        """Change a record as a CRM user would: its ``last_modified_time`` becomes now."""
        with self._lock:
            table = self._tables[object_name]
            record = {**table.records[record_id], **fields, "last_modified_time": self.now_ms()}
            table.put(record)

    def records(self, object_name: str) -> list[dict[str, Any]]:
        """Copies of every record of *object_name*, in ``_id`` order."""
        with self._lock:
            table = self._tables[object_name]
            return [dict(table.records[record_id]) for record_id in table.ids]

    def trigger(
        self,
        path_prefix: str,
        *,
        at: int,
        action: Callable[[], None],
        when: Literal["before", "after"] = "before",
    ) -> None:
        """Run *action* before (or after handling, before answering) the *at*-th request
        (counted from 1) whose path starts with *path_prefix*."""
        with self._lock:
            self._triggers.append([path_prefix, at, when, action, 0])

    def profile_settings(self, url: str, *, auth: str = "corp_access_token") -> dict[str, str]:
        """The settings of a ``fxiaoke:`` profile that talks to this CRM at *url*."""
        return {
            "host": url,
            "auth": auth,
            "app_id": self.app_id,
            "app_secret": self.app_secret,
            "permanent_code": self.permanent_code,
            "user_id": "FSUID_admin" if auth == "corp_access_token" else "1000",
        }

    # -- the handler ------------------------------------------------------------------------------

    def _fire(self, path: str, when: str) -> None:
        due = []
        with self._lock:
            for entry in self._triggers:
                prefix, at, moment, action, _seen = entry
                if moment == when and path.startswith(prefix):
                    entry[4] += 1
                    if entry[4] == at:
                        due.append(action)
        for action in due:
            action()

    def __call__(self, request: Request) -> Response:
        """Answer one request: always HTTP 200, with an ``errorCode``."""
        path = request.path
        self._fire(path, "before")
        with self._lock:
            self.calls[path] += 1
        try:
            body = request.json() if request.body else {}
            if not isinstance(body, dict):
                raise _Refusal(BAD_REQUEST, "the body must be a JSON object")
            if path in (LEGACY_TOKEN_PATH, BEARER_TOKEN_PATH):
                payload = self._token(path, body)
            else:
                route = self._routes().get(path)
                if route is None:
                    raise _Refusal(UNKNOWN_PATH, f"unknown path {path}")
                user = self._authenticate(request, body)
                self._count(path)
                payload = route(path, body, user)
            status = 200
        except _Refusal as refusal:
            payload, status = error_answer(refusal.code, refusal.message), self.error_status
        except (ValueError, TypeError, KeyError) as error:
            payload = error_answer(BAD_REQUEST, f"bad request: {type(error).__name__}")
            status = self.error_status
        self._fire(path, "after")
        return self._answer(status, payload)

    def _answer(self, status: int, payload: dict[str, Any]) -> Response:
        if self.codes_as_text and "errorCode" in payload:
            payload = {**payload, "errorCode": str(payload["errorCode"])}
        headers = {"Content-Type": f"application/json;charset={self.charset}"}
        if not self.keep_alive:
            headers["Connection"] = "close"
        return Response(
            status, json.dumps(payload, ensure_ascii=False).encode(self.charset), headers
        )

    def _routes(self) -> dict[str, Callable[[str, dict[str, Any], str], dict[str, Any]]]:
        routes: dict[str, Callable[[str, dict[str, Any], str], dict[str, Any]]] = {
            "/cgi/crm/v2/object/describe": self._describe,
            "/cgi/crm/v2/object/list": self._list_objects,
        }
        for prefix in ("/cgi/crm/v2/data/", "/cgi/crm/custom/v2/data/"):
            routes[prefix + "query"] = self._query
            routes[prefix + "get"] = self._get
            routes[prefix + "create"] = self._create
            routes[prefix + "update"] = self._update
        return routes

    # -- tokens -----------------------------------------------------------------------------------

    def _token(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._token_in_flight += 1
            self.max_token_in_flight = max(self.max_token_in_flight, self._token_in_flight)
        try:
            if self.token_delay:
                time.sleep(self.token_delay)
            with self._lock:
                return self._issue(path, body)
        finally:
            with self._lock:
                self._token_in_flight -= 1

    def _issue(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        if body.get("appId") != self.app_id or body.get("appSecret") != self.app_secret:
            raise _Refusal(WRONG_APP, "wrong appId or appSecret")
        if body.get("permanentCode") != self.permanent_code:
            raise _Refusal(WRONG_PERMANENT_CODE, "wrong permanentCode")
        if self._token_in_flight > 1:
            raise _Refusal(BUSY, "token requests must not run concurrently")
        self._admit("token", self.token_rate)
        style = "bearer" if path == BEARER_TOKEN_PATH else "legacy"
        now = self._now()
        issued = self._issued.get(style)
        if issued is None or now - issued[1] >= self._reissue_after:
            issued = (secrets.token_hex(16), now)
            self._issued[style] = issued
            self._valid[issued[0]] = (style, now + self.token_lifetime)
        self.token_calls += 1
        token, issued_at = issued
        snake = self.token_keys == "snake"
        fields: dict[str, Any] = {
            ("expires_in" if snake else "expiresIn"): int(issued_at + self.token_lifetime - now)
        }
        if style == "bearer":
            fields["access_token" if snake else "accessToken"] = token
            tenant = {"ea": self.ea}
        else:
            fields["corp_access_token" if snake else "corpAccessToken"] = token
            tenant = {("corp_id" if snake else "corpId"): self.corp_id}
        if self.token_names_tenant:
            fields |= tenant
        if self.token_envelope == "bare":
            return fields
        if self.token_envelope == "nested":
            return {"errorCode": 0, "errorMessage": "success", "data": fields}
        return {"errorCode": 0, "errorMessage": "success", **fields}

    def _authenticate(self, request: Request, body: Mapping[str, Any]) -> str:
        header = request.headers.get("authorization")
        in_body = "corpAccessToken" in body
        if header is not None and in_body:
            raise _Refusal(MIXED_OR_MISSING_AUTH, "do not mix corpAccessToken and Bearer")
        if header is None and not in_body:
            raise _Refusal(MIXED_OR_MISSING_AUTH, "no credentials")
        if in_body:
            style, token = "legacy", str(body.get("corpAccessToken"))
            if body.get("corpId") != self.corp_id:
                raise _Refusal(MIXED_OR_MISSING_AUTH, "wrong corpId")
            user = str(body.get("currentOpenUserId"))
        else:
            style, token = "bearer", str(header).removeprefix("Bearer ")
            if request.headers.get("x-fs-ea") != self.ea:
                raise _Refusal(MIXED_OR_MISSING_AUTH, "wrong x-fs-ea")
            user = str(request.headers.get("x-fs-userid"))
        with self._lock:
            valid = self._valid.get(token)
            if valid is None or valid[0] != style or valid[1] <= self._now():
                raise _Refusal(self.expired_token_code, "token missing or expired")
            if user not in self._users:
                raise _Refusal(USER_NOT_FOUND, "user not found")
        return user

    # -- limits -----------------------------------------------------------------------------------

    def _admit(self, endpoint: str, limit: tuple[int, float] | None) -> None:
        if limit is None:
            return
        calls, seconds = limit
        now = self._now()
        window = self._windows[endpoint]
        while window and window[0] <= now - seconds:
            window.popleft()
        if len(window) >= calls:
            raise _Refusal(RATE_EXCEEDED, "rate exceeded")
        window.append(now)

    def _count(self, path: str) -> None:
        with self._lock:
            self._admit(path, self.rate_limit)
            if self.daily_quota is not None:
                day = int((self._now() + _BEIJING_OFFSET) // _DAY)
                if self._quota_used[day] >= self.daily_quota:
                    raise _Refusal(DAILY_QUOTA, "daily API quota used up")
                self._quota_used[day] += 1

    # -- objects ----------------------------------------------------------------------------------

    def _table(self, path: str, name: Any) -> _Table:
        if not isinstance(name, str) or name not in self._tables:
            raise _Refusal(self.missing_object_code, f"object {name!r} does not exist")
        if name.endswith("__c") != ("/custom/" in path):
            raise _Refusal(
                BAD_REQUEST, "custom objects (…__c) use /cgi/crm/custom/v2/, others /cgi/crm/v2/"
            )
        return self._tables[name]

    def _visible(self, user: str, record: Mapping[str, Any]) -> bool:
        owners = self._users.get(user)
        return owners is None or bool(owners.intersection(map(str, record.get("owner") or ())))

    def _describe(self, path: str, body: dict[str, Any], user: str) -> dict[str, Any]:
        data = body.get("data")
        name = body.get("apiName") or (data.get("apiName") if isinstance(data, dict) else None)
        with self._lock:
            if name not in self._tables:
                raise _Refusal(self.missing_object_code, f"object {name!r} does not exist")
            table = self._tables[name]
            fields = {
                field: {
                    "api_name": field,
                    "type": spec.get("type", "text"),
                    **(
                        {"options": [{"value": v, "label": t} for v, t in spec["options"].items()]}
                        if "options" in spec
                        else {}
                    ),
                }
                for field, spec in table.fields.items()
            }
        if self.describe_layout == "flat":
            described: dict[str, Any] = {"api_name": name, "fields": list(fields.values())}
        else:
            described = {"describe": {"api_name": name, "fields": fields}}
        return {"errorCode": 0, "errorMessage": "OK", "data": described}

    def _list_objects(self, path: str, body: dict[str, Any], user: str) -> dict[str, Any]:
        with self._lock:
            names = sorted(self._tables)
        objects = [{"describe_api_name": name} for name in names]
        return {"errorCode": 0, "errorMessage": "OK", "data": {"objects": objects}}

    def _query(self, path: str, body: dict[str, Any], user: str) -> dict[str, Any]:
        data = body["data"]
        info = data.get("search_query_info") or {}
        limit = int(info.get("limit", 20))
        offset = int(info.get("offset", 0))
        if self.clamp_limit:
            limit = max(1, min(limit, self.max_limit))
        if not 1 <= limit <= self.max_limit:
            raise _Refusal(BAD_REQUEST, f"limit must be 1 to {self.max_limit}")
        if offset > OFFSET_WALL or offset % limit:
            raise _Refusal(OFFSET_OUT_OF_RANGE, f"offset out of range {OFFSET_WALL}")
        filters = [_Filter.read(raw) for raw in info.get("filters") or ()]
        orders = [
            (str(o["fieldName"]), bool(o.get("isAsc", True))) for o in info.get("orders") or ()
        ]
        projection = info.get("fieldProjection") if self.honour_projection else None
        include_null = self.include_null or bool(info.get("includeNull") or data.get("includeNull"))
        with self._lock:
            table = self._table(path, data.get("dataObjectApiName"))
            rows, total = _select(
                table,
                filters,
                orders,
                offset=offset,
                limit=limit,
                visible=lambda record: self._visible(user, record) and self._indexed(record),
            )
            listed = [self._read(table, row, projection, include_null) for row in rows]
        return {
            "errorCode": 0,
            "errorMessage": "OK",
            "traceId": secrets.token_hex(8),
            "data": {"dataList": listed, "offset": offset, "limit": limit, "total": total},
        }

    def _indexed(self, record: Mapping[str, Any]) -> bool:
        if not self.search_lag:
            return True
        created = _number(record.get("create_time"))
        return created is None or created <= self.now_ms() - self.search_lag * 1000

    def _get(self, path: str, body: dict[str, Any], user: str) -> dict[str, Any]:
        data = body["data"]
        with self._lock:
            table = self._table(path, data.get("dataObjectApiName"))
            record = table.records.get(str(data.get("objectDataId")))
            if record is None:
                raise _Refusal(BAD_REQUEST, "no such record")
            if not self._visible(user, record):
                raise _Refusal(NO_DATA_PERMISSION, "无此操作的数据权限")
            shown = self._read(table, record, None, self.include_null)
            return {"errorCode": 0, "errorMessage": "OK", "data": shown}

    def _read(
        self, table: _Table, record: Mapping[str, Any], projection: Any, include_null: bool
    ) -> dict[str, Any]:
        """A record as a read shows it: projected, empty fields left out or ``null``, extras added."""
        shown = _shown(record, projection, include_null)
        if include_null and not (isinstance(projection, list) and projection):
            shown = dict.fromkeys(table.fields) | shown
        if self.read_extras:
            shown |= {"life_status": "normal", "lock_status": "0", "version": "3"}
            for field, value in list(shown.items()):
                if isinstance(value, list) and value and field in ("owner", "created_by"):
                    shown[f"{field}__r"] = {"id": value[0], "name": f"员工{value[0]}"}
                elif field == "account_id" and value:
                    shown["account_id__r"] = f"客户 {value}"
        return shown

    def _create(self, path: str, body: dict[str, Any], user: str) -> dict[str, Any]:
        values = dict(body["data"]["object_data"])
        name = values.pop("dataObjectApiName", None)
        with self._lock:
            table = self._table(path, name)
            now = self.now_ms()
            record = {
                "owner": [user],
                **values,
                "_id": self._new_id(table.name),
                "created_by": [user],
                "create_time": now,
                "last_modified_time": now,
            }
            table.put(record)
        if self.create_layout == "nested":
            return {"errorCode": 0, "errorMessage": "OK", "data": {"_id": record["_id"]}}
        return {"errorCode": 0, "errorMessage": "OK", "dataId": record["_id"]}

    def _update(self, path: str, body: dict[str, Any], user: str) -> dict[str, Any]:
        values = dict(body["data"]["object_data"])
        name = values.pop("dataObjectApiName", None)
        record_id = str(values.pop("_id", ""))
        if "owner" in values:
            raise _Refusal(BAD_REQUEST, "owner cannot change through update (use changeOwner)")
        with self._lock:
            table = self._table(path, name)
            record = table.records.get(record_id)
            if record is None:
                raise _Refusal(BAD_REQUEST, "no such record")
            if not self._visible(user, record):
                raise _Refusal(NO_DATA_PERMISSION, "无此操作的数据权限")
            table.put({**record, **values, "last_modified_time": self.now_ms()})
        return {"errorCode": 0, "errorMessage": "OK"}


# -- queries --------------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


class _Filter:
    OPERATORS: Final = frozenset(
        [
            "EQ",
            "N",
            "GT",
            "GTE",
            "LT",
            "LTE",
            "LIKE",
            "NLIKE",
            "IS",
            "ISN",
            "IN",
            "NIN",
            "BETWEEN",
            "NBETWEEN",
            "STARTWITH",
            "ENDWITH",
            "CONTAINS",
            "HASANYOF",
            "NHASANYOF",
        ]
    )

    def __init__(self, field: str, operator: str, values: list[str]) -> None:
        self.field = field
        self.operator = operator
        self.values = values

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> _Filter:
        operator = str(raw.get("operator", "")).upper()
        if operator not in cls.OPERATORS:
            raise _Refusal(BAD_REQUEST, f"unknown operator {operator!r}")
        values = raw.get("field_values")
        if not isinstance(values, list):
            raise _Refusal(BAD_REQUEST, "field_values must be a list")
        return cls(str(raw["field_name"]), operator, [str(value) for value in values])

    def matches(self, table: _Table, record: Mapping[str, Any]) -> bool:  # noqa: PLR0911
        value = record.get(self.field)
        op, wanted = self.operator, self.values
        if op == "IS":
            return _empty(value)
        if op == "ISN":
            return not _empty(value)
        items = [str(item) for item in value] if isinstance(value, list) else None
        if op in {"EQ", "N", "IN", "NIN", "HASANYOF", "NHASANYOF"}:
            present = (
                set(items) if items is not None else ({str(value)} if value is not None else set())
            )
            hit = bool(present.intersection(wanted))
            return hit if op in {"EQ", "IN", "HASANYOF"} else not hit
        if value is None or items is not None:
            return op in {"NLIKE", "NBETWEEN"}
        text = str(value)
        if op in {"LIKE", "CONTAINS"}:
            return bool(wanted) and wanted[0] in text
        if op == "NLIKE":
            return not wanted or wanted[0] not in text
        if op == "STARTWITH":
            return bool(wanted) and text.startswith(wanted[0])
        if op == "ENDWITH":
            return bool(wanted) and text.endswith(wanted[0])
        numeric = table.numeric(self.field) or isinstance(value, int | float | Decimal)
        if op in {"BETWEEN", "NBETWEEN"}:
            low, high = [*wanted, "", ""][:2]
            inside = _compare(value, low, numeric) >= 0 >= _compare(value, high, numeric)
            return inside if op == "BETWEEN" else not inside
        if not wanted:
            return False
        order = _compare(value, wanted[0], numeric)
        return {"GT": order > 0, "GTE": order >= 0, "LT": order < 0, "LTE": order <= 0}[op]


def _compare(value: Any, other: str, numeric: bool) -> int:
    if numeric:
        left, right = _number(value), _number(other)
        if left is not None and right is not None:
            return (left > right) - (left < right)
    text = str(value)
    return (text > other) - (text < other)


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return (0, value)
    if _empty(value):
        return (2, "")
    return (1, str(value))


def _field_key(field: str) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
    def key(record: Mapping[str, Any]) -> tuple[int, Any]:
        return _sort_key(record.get(field))

    return key


def _select(
    table: _Table,
    filters: list[_Filter],
    orders: list[tuple[str, bool]],
    *,
    offset: int,
    limit: int,
    visible: Callable[[Mapping[str, Any]], bool],
) -> tuple[list[dict[str, Any]], int]:
    def keep(record: Mapping[str, Any]) -> bool:
        return visible(record) and all(f.matches(table, record) for f in filters)

    candidates: Iterable[str] | None = None
    for f in filters:
        if f.operator in {"EQ", "IN"} and f.field == "_id":
            candidates = sorted(set(f.values))
            break
        if f.operator in {"EQ", "IN"} and f.field == "account_id":
            candidates = sorted({i for v in f.values for i in table.by_account.get(v, ())})
            break
    if candidates is None and orders in ([], [("_id", True)]):
        # The common keyset page: walk the _id order from the cursor and stop when full.
        start = 0
        for f in filters:
            if f.field == "_id" and f.operator in {"GT", "GTE"} and f.values:
                find = bisect.bisect_right if f.operator == "GT" else bisect.bisect_left
                start = max(start, find(table.ids, f.values[0]))
        rows: list[dict[str, Any]] = []
        matched = 0
        for record_id in table.ids[start:]:
            record = table.records[record_id]
            if keep(record):
                matched += 1
                if matched > offset:
                    rows.append(record)
                    if len(rows) == limit:
                        break
        return rows, matched
    pool = [
        table.records[i]
        for i in (table.ids if candidates is None else candidates)
        if i in table.records
    ]
    chosen = [record for record in pool if keep(record)]
    for field, ascending in reversed(orders):  # stable sorts, last key first
        chosen.sort(key=_field_key(field), reverse=not ascending)
    return chosen[offset : offset + limit], len(chosen)


def _shown(record: Mapping[str, Any], projection: Any, include_null: bool) -> dict[str, Any]:
    if isinstance(projection, list) and projection:
        wanted = set(map(str, projection)) | {"_id"}
        shown = {key: value for key, value in record.items() if key in wanted}
        if include_null:
            shown |= {key: None for key in wanted if key not in shown}
    else:
        shown = dict(record)
    if include_null:
        return shown
    return {key: value for key, value in shown.items() if not _empty(value)}
