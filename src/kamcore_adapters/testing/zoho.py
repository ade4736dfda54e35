"""A local Zoho CRM (API v8) for testing adapters, served by :class:`LoopbackServer`.

:class:`LocalZoho` holds an org's records and answers the way Zoho's
documentation and OpenAPI files say Zoho answers::

    from kamcore_adapters.testing import LoopbackServer, ManualClock
    from kamcore_adapters.testing.zoho import LocalZoho

    zoho = LocalZoho(clock=ManualClock(time.time()))
    account = zoho.add("Accounts", Account_Name="Acme Handel GmbH")
    with LoopbackServer(zoho) as server:
        settings = zoho.profile(server.url)  # client_id, secrets, accounts_url
        ...

What it implements (see docs/testing-adapters.md):

- ``POST /oauth/v2/token`` (refresh grant): a refused refresh answers 200 with
  ``{"error": "invalid_code"}`` or ``invalid_client`` and no token; at most 10
  tokens per 10 minutes, 30 live tokens per refresh token (the 31st retires the
  oldest); tokens last one hour on :attr:`clock`. :attr:`token_requests` counts
  the calls.
- ``Authorization: Zoho-oauthtoken …`` on every API call; an unknown or expired
  token answers 401 ``INVALID_TOKEN``.
- ``GET /crm/v8/{Module}``: ``fields`` mandatory (at most 50, and only fields the
  module has), 200 per page at most, ``page`` only through the first 2,000
  records (``DISCRETE_PAGINATION_LIMIT_EXCEEDED``), then ``page_token`` from
  ``info.next_page_token``: bound to the other parameters
  (``TOKEN_BOUND_DATA_MISMATCH``), expiring after 24 hours (``EXPIRED_VALUE``),
  never with ``page`` (``AMBIGUITY_DURING_PROCESSING``), ceiling 100,000 records.
  ``If-Modified-Since`` answers only records modified after it, 304 when none;
  an empty list is 204 with no body. Listing Notes needs an administrator.
- ``GET /crm/v8/{Module}/{id}``, ``GET /crm/v8/Accounts/{id}/{Related}``,
  ``GET /crm/v8/{Module}/search?criteria=((F:equals:V)or(…))`` and
  ``POST /crm/v8/coql`` with ``select … from … where F = 'v'`` or
  ``where F in ('a', 'b')``, ``order by``, ``limit``, ``offset``.
- ``GET /crm/v8/users?type=ActiveUsers&page=…&per_page=…``: the users (``users``
  and ``info``; 200 per page at most; ``type`` one of Zoho's user types, all
  users when absent; 204 when none), each with ``role``, ``profile``,
  ``Reporting_To`` (``null`` for no one), ``status``, ``language`` and ``locale``.
  Needs the scope ``ZohoCRM.users.READ`` or ``ZohoCRM.users.ALL``: a token
  without it answers 401 ``OAUTH_SCOPE_MISMATCH`` (tokens carry the scopes of
  :attr:`LocalZoho.scopes` when issued; module calls are not checked).
- ``POST /crm/v8/{Module}``: up to 100 records; 201 when all are created, 207
  when some fail, 400 when all do, each with its own result
  (``MANDATORY_NOT_FOUND``, ``INVALID_DATA`` for an unknown field, lookup or user).
- Errors in Zoho's envelope ``{"code", "details", "message", "status": "error"}``.
- Date-times in the user's time zone (``+05:30`` by default), dates ``yyyy-MM-dd``.

Where Zoho's documentation allows more than one answer, :class:`Dialect` picks
one (``LocalZoho(dialect=Dialect(empty_status=200, ...))``); the defaults are
the answers above. The adapter's tests run it through every dialect, so that a
Zoho that answers the other way cannot surprise it.

Faults (429, 5xx, resets, slow answers) are injected on the server with
``server.faults.add(...)`` (see :class:`kamcore_adapters.testing.Faults`).
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, Final, Literal
from urllib.parse import parse_qs

import attrs

from kamcore_adapters.testing._loopback import ManualClock, Request, Response

__all__ = [
    "DEFAULT_CUSTOM_FIELDS",
    "DEFAULT_SCOPES",
    "DIALECTS",
    "DISCRETE_LIMIT",
    "MODULE_FIELDS",
    "PAGE_TOKEN_LIFETIME",
    "TOKEN_LIFETIME",
    "USER_TYPES",
    "Dialect",
    "LocalZoho",
    "populate",
]

TOKEN_LIFETIME: Final = 3600
"""Seconds an access token lives."""
TOKENS_PER_WINDOW: Final = 10
TOKEN_WINDOW: Final = 600.0
LIVE_TOKENS: Final = 30
PAGE_TOKEN_LIFETIME: Final = 86_400.0
"""Seconds a ``page_token`` lives."""
DISCRETE_LIMIT: Final = 2_000
"""Records that ``page`` numbers reach."""
PAGINATION_CEILING: Final = 100_000
MAX_PER_PAGE: Final = 200
MAX_FIELDS: Final = 50
MAX_WRITE: Final = 100
COQL_MAX_LIMIT: Final = 2_000
API: Final = "/crm/v8/"

DEFAULT_SCOPES: Final = ("ZohoCRM.modules.ALL", "ZohoCRM.coql.READ", "ZohoCRM.users.READ")
"""The scopes the local org's refresh token grants unless told otherwise."""
_FIRST_ROLE_ID: Final = 5_725_767_000_000_026_005
_USERS_SCOPES: Final = frozenset({"zohocrm.users.read", "zohocrm.users.all"})
"""Either lets a token list the users (Zoho's scope names are not case-sensitive)."""


def _is_admin(user: Mapping[str, Any]) -> bool:
    return (user.get("profile") or {}).get("name") == "Administrator"


USER_TYPES: Final[Mapping[str, Callable[[Mapping[str, Any]], bool]]] = {
    "AllUsers": lambda user: True,
    "ActiveUsers": lambda user: user.get("status") == "active",
    "DeactiveUsers": lambda user: user.get("status") != "active",
    "ActiveConfirmedUsers": lambda user: (
        user.get("status") == "active" and bool(user.get("confirm"))
    ),
    "ConfirmedUsers": lambda user: bool(user.get("confirm")),
    "NotConfirmedUsers": lambda user: not user.get("confirm"),
    "AdminUsers": _is_admin,
    "ActiveConfirmedAdmins": lambda user: (
        _is_admin(user) and user.get("status") == "active" and bool(user.get("confirm"))
    ),
}
"""The values of ``type`` on ``GET /crm/v8/users``, and which users each lists
(``CurrentUser`` too: the token's user, the default user here)."""

MODULE_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "Accounts": frozenset(
        [
            "Account_Name",
            "Account_Number",
            "Account_Type",
            "Annual_Revenue",
            "Industry",
            "Rating",
            "Ownership",
            "Employees",
            "Owner",
            "Parent_Account",
            "Website",
            "Phone",
            "Territories",
            "Last_Activity_Time",
            "Created_Time",
            "Modified_Time",
            "Tag",
            "Description",
        ]
    ),
    "Contacts": frozenset(
        [
            "First_Name",
            "Last_Name",
            "Full_Name",
            "Email",
            "Phone",
            "Mobile",
            "Title",
            "Department",
            "Account_Name",
            "Owner",
            "Created_Time",
            "Modified_Time",
            "Description",
        ]
    ),
    "Deals": frozenset(
        [
            "Deal_Name",
            "Amount",
            "Currency",
            "Stage",
            "Probability",
            "Closing_Date",
            "Account_Name",
            "Contact_Name",
            "Type",
            "Owner",
            "Created_Time",
            "Modified_Time",
            "Description",
        ]
    ),
    "Tasks": frozenset(
        [
            "Subject",
            "Due_Date",
            "Status",
            "Priority",
            "What_Id",
            "Who_Id",
            "Closed_Time",
            "Owner",
            "Description",
            "Created_Time",
            "Modified_Time",
        ]
    ),
    "Calls": frozenset(
        [
            "Subject",
            "Call_Type",
            "Call_Start_Time",
            "Call_Duration",
            "Call_Purpose",
            "Call_Result",
            "Who_Id",
            "What_Id",
            "Owner",
            "Description",
            "Created_Time",
            "Modified_Time",
        ]
    ),
    "Events": frozenset(
        [
            "Event_Title",
            "Start_DateTime",
            "End_DateTime",
            "All_day",
            "Participants",
            "Venue",
            "What_Id",
            "Who_Id",
            "Owner",
            "Description",
            "Created_Time",
            "Modified_Time",
        ]
    ),
    "Notes": frozenset(
        ["Note_Title", "Note_Content", "Parent_Id", "Owner", "Created_Time", "Modified_Time"]
    ),
}
"""The standard fields of each module (Zoho's API names)."""

DEFAULT_CUSTOM_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "Accounts": frozenset(
        {"Kamcore_Tier", "Kamcore_Client_Since", "Kamcore_Needs", "Kamcore_Preferences"}
    ),
    "Contacts": frozenset({"Kamcore_Channel", "Kamcore_Language"}),
    "Tasks": frozenset({"Kamcore_Key"}),
}
"""The custom fields the local org has unless told otherwise (the adapter's defaults)."""

_DATETIME_FIELDS: Final = frozenset(
    {
        "Created_Time",
        "Modified_Time",
        "Closed_Time",
        "Call_Start_Time",
        "Start_DateTime",
        "End_DateTime",
        "Last_Activity_Time",
    }
)
_MANDATORY: Final[Mapping[str, tuple[str, ...]]] = {
    "Accounts": ("Account_Name",),
    "Contacts": ("Last_Name",),
    "Deals": ("Deal_Name", "Stage"),
    "Tasks": ("Subject",),
    "Calls": ("Subject", "Call_Type", "Call_Start_Time"),
    "Events": ("Event_Title", "Start_DateTime", "End_DateTime"),
    "Notes": ("Note_Content", "Parent_Id"),
}
_LOOKUPS: Final[Mapping[str, str]] = {
    "Account_Name": "Accounts",
    "Parent_Account": "Accounts",
    "Contact_Name": "Contacts",
    "Who_Id": "Contacts",
}
_MODULE_IDS: Final = {name: str(1000 + index) for index, name in enumerate(MODULE_FIELDS)}
_SORTABLE: Final = frozenset({"id", "Created_Time", "Modified_Time"})
_IST: Final = timezone(timedelta(hours=5, minutes=30), "IST")

_SEARCH_ONE: Final = re.compile(r"\(([A-Za-z0-9_$]+):equals:([^()]*)\)")
_COQL: Final = re.compile(
    r"^\s*select\s+(?P<columns>[\w$ ,.]+?)\s+from\s+(?P<module>\w+)"
    r"\s+where\s+(?P<field>[\w$.]+)\s*(?:(?P<eq>=)\s*'(?P<value>[^']*)'|in\s*\((?P<values>[^)]*)\))"
    r"(?:\s+order\s+by\s+(?P<order>\w+)(?:\s+(?P<direction>asc|desc))?)?"
    r"(?:\s+limit\s+(?P<limit>\d+)(?:\s*,\s*(?P<limit2>\d+)|\s+offset\s+(?P<offset>\d+))?)?\s*$",
    re.IGNORECASE,
)
_COQL_VALUE: Final = re.compile(r"\s*'([^']*)'\s*(?:,|$)")


@attrs.frozen(kw_only=True)
class Dialect:
    """The answers the local Zoho gives where Zoho's documentation allows more than one.

    Attributes:
        token_shape: ``seconds`` (``expires_in: 3600``) or ``legacy`` (``expires_in_sec:
            3600`` and ``expires_in`` in milliseconds, as older answers had).
        api_domain: whether a token answer names ``api_domain`` (without it the
            profile must name ``api_url``).
        refusal_status: the HTTP status of a refused refresh (its body is always
            ``{"error": ...}``; reports say 200).
        empty_status: an empty list, related list, search or COQL answer: 204 with no
            body, or 200 with ``"data": []`` and ``more_records`` false.
        unmodified_status: a list with ``If-Modified-Since`` and no change: 304, or as
            *empty_status* would answer.
        more_records_when_full: ``more_records`` is true on every full page (with a
            ``next_page_token``), even the last: the next page is then empty.
        page_token_always: ``next_page_token`` on every page, the last too.
        se_module: whether ``$se_module`` comes with ``What_Id`` when it was not asked for.
        note_parent: ``v8`` (``Parent_Id`` names its module) or ``v2`` (``Parent_Id``
            is ``{"name", "id"}`` beside ``$se_module``).
        omit_nulls: leave out fields that have no value instead of answering ``null``.
        extra_fields: add fields the adapter never asks for (``$editable``,
            ``$approval``, ``Created_By``…), as Zoho does for some.
        number_ids: write ids as JSON numbers instead of numeric strings.
        first_id: the first record id (Zoho's are 19 digits; any numeric string is valid).
        write_statuses: the statuses of a write when all records succeed, some
            fail, all fail (the facts say 201/207/400; the OpenAPI files 200/202).
        close_connections: answer every request with ``Connection: close``.
    """

    token_shape: Literal["seconds", "legacy"] = "seconds"
    api_domain: bool = True
    refusal_status: int = 200
    empty_status: Literal[200, 204] = 204
    unmodified_status: Literal[200, 204, 304] = 304
    more_records_when_full: bool = False
    page_token_always: bool = False
    se_module: bool = True
    note_parent: Literal["v8", "v2"] = "v8"
    omit_nulls: bool = False
    extra_fields: bool = False
    number_ids: bool = False
    first_id: int = 5_725_767_000_000_400_001
    write_statuses: tuple[int, int, int] = (201, 207, 400)
    close_connections: bool = False


DIALECTS: Final[Mapping[str, Dialect]] = {
    "default": Dialect(),
    "legacy-token-200-empties": Dialect(
        token_shape="legacy", empty_status=200, unmodified_status=200, refusal_status=400
    ),
    "lazy-paging": Dialect(more_records_when_full=True, page_token_always=True),
    "bare-lookups": Dialect(se_module=False, note_parent="v2"),
    "sparse-and-noisy": Dialect(omit_nulls=True, extra_fields=True),
    "number-ids": Dialect(number_ids=True, first_id=1, write_statuses=(200, 202, 202)),
    "closing": Dialect(close_connections=True, unmodified_status=204),
}
"""Named dialects that together take each documented alternative at least once."""

_LOOKUP_FIELDS: Final = frozenset(
    {"Owner", "Account_Name", "Parent_Account", "Contact_Name", "What_Id", "Who_Id", "Parent_Id"}
)


def _error(status: int, code: str, message: str, **details: Any) -> Response:
    return Response.json(
        status, {"code": code, "details": details, "message": message, "status": "error"}
    )


class _PageToken:
    def __init__(self, binding: tuple[Any, ...], ids: list[str], offset: int, expires: float):
        self.binding = binding
        self.ids = ids
        self.offset = offset
        self.expires = expires


@attrs.frozen
class _Listing:
    binding: tuple[Any, ...]
    fields: list[str]
    per_page: int
    page: int
    sort_by: str
    order: str
    since: float | None


class LocalZoho:
    """A Zoho CRM org in memory, answering HTTP requests as Zoho does.

    Use the instance as the handler of a :class:`LoopbackServer`. Every method is
    safe to call from the test while the server runs.

    Args:
        clock: the org's clock, in epoch seconds (a :class:`ManualClock` lets a
            test expire tokens and page tokens); the real time when ``None``.
        user_tz: the time zone of the token's user, in which date-times are written.
        custom_fields: the custom fields of each module, on top of the standard ones.
        admin: whether the token's user is an administrator (listing Notes needs it).
        search_lag: seconds before a new record shows in search results (Zoho's
            search index lags writes; COQL and lists do not).
        dialect: which of the documented answers to give where there are several.
        scopes: the OAuth scopes the refresh token grants (:data:`DEFAULT_SCOPES`
            when ``None``).

    Attributes:
        dialect: the documented alternatives it answers with.
        client_id, client_secret, refresh_token: the credentials it accepts.
        token_requests: calls made to the token endpoint.
        tokens_issued: access tokens it issued.
        access_tokens: every access token it issued, oldest first (to check that
            none leaks into a log).
        created: records created through the API, by module, in order.
        users: every user as an ``Owner`` lookup names it (``name``, ``id``, ``email``).
        user_records: every user as ``GET /crm/v8/users`` writes it, but for
            ``Reporting_To``, written from :meth:`add_user`'s *reports_to* when
            answered (a test may break a record here to see it handled).
        scopes: the scopes a token issued from now on carries.
    """

    def __init__(
        self,
        *,
        clock: ManualClock | None = None,
        user_tz: tzinfo = _IST,
        custom_fields: Mapping[str, Iterable[str]] | None = None,
        admin: bool = True,
        search_lag: float = 0.0,
        dialect: Dialect | None = None,
        scopes: Iterable[str] | None = None,
    ) -> None:
        self.dialect = dialect or Dialect()
        self.scopes: tuple[str, ...] = DEFAULT_SCOPES if scopes is None else tuple(scopes)
        self._now: Callable[[], float] = clock.now if clock is not None else time.time
        self.user_tz = user_tz
        customs = DEFAULT_CUSTOM_FIELDS if custom_fields is None else custom_fields
        self.fields: dict[str, frozenset[str]] = {
            module: standard | frozenset(customs.get(module, ()))
            for module, standard in MODULE_FIELDS.items()
        }
        self.admin = admin
        self.search_lag = search_lag
        self.client_id = "1000.LOCALZOHOCLIENT"
        self.client_secret = "local-" + secrets.token_hex(12)
        self.refresh_token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        self.token_requests = 0
        self.tokens_issued = 0
        self.access_tokens: list[str] = []
        self.records: dict[str, dict[str, dict[str, Any]]] = {m: {} for m in MODULE_FIELDS}
        self.created: dict[str, list[str]] = {m: [] for m in MODULE_FIELDS}
        self._meta: dict[str, dict[str, tuple[float, float]]] = {m: {} for m in MODULE_FIELDS}
        self._tokens: dict[str, float] = {}  # token -> expiry
        self._token_scopes: dict[str, frozenset[str]] = {}  # token -> its scopes, folded
        self._live: deque[str] = deque()
        self._issued_at: deque[float] = deque()
        self._page_tokens: dict[str, _PageToken] = {}
        self._sorted: dict[tuple[Any, ...], list[str]] = {}
        self._version = 0
        self._ids = itertools.count(self.dialect.first_id)
        self._lock = threading.RLock()
        self.users: dict[str, dict[str, str]] = {}
        self.user_records: dict[str, dict[str, Any]] = {}
        self._reports_to: dict[str, str | None] = {}
        self._role_ids: dict[str, str] = {}
        self.default_user = ""  # the first user added becomes it
        self.default_user = self.add_user(
            "Local Admin", "admin@zoho.invalid", role="CEO", profile="Administrator"
        )

    # -- the org, for tests ------------------------------------------------------------------

    def now(self) -> float:
        """The org's current time, in epoch seconds."""
        return self._now()

    def add_user(
        self,
        name: str,
        email: str | None = None,
        *,
        role: str = "Manager",
        profile: str = "Standard",
        reports_to: str | None = None,
        active: bool = True,
        language: str | None = "en_US",
        locale: str | None = "en_US",
    ) -> str:
        """Add a CRM user; returns the user id.

        Args:
            name: the full name (the last word is the last name).
            email: the address (a made-up one when ``None``).
            role: the name of the user's Zoho role (a new org has ``CEO`` and ``Manager``).
            profile: the name of the user's profile (``Administrator``, ``Standard``).
            reports_to: the id of the user this one reports to (``Reporting_To``).
            active: ``False`` for a deactivated user (``status`` ``disabled``).
            language: the user's language as Zoho writes it (``en_US``).
            locale: the user's locale as Zoho writes it.
        """
        with self._lock:
            user_id = str(next(self._ids))
            address = email or f"{user_id}@zoho.invalid"
            self.users[user_id] = {"name": name, "id": user_id, "email": address}
            first, _, last = name.rpartition(" ")
            # Roles are numbered apart from records, so adding users moves no record's id.
            role_id = self._role_ids.setdefault(role, str(_FIRST_ROLE_ID + len(self._role_ids)))
            profile_id = _MODULE_IDS["Accounts"] + ("1" if profile == "Administrator" else "2")
            created = self._time(self.now())
            self.user_records[user_id] = {
                "id": user_id,
                "full_name": name,
                "first_name": first or None,
                "last_name": last,
                "email": address,
                "role": {"name": role, "id": role_id},
                "profile": {"name": profile, "id": profile_id},
                "status": "active" if active else "disabled",
                "confirm": True,
                "language": language,
                "locale": locale,
                "Isonline": False,
                "created_by": dict(self.users[self.default_user or user_id]),
                "created_time": created,
                "Modified_Time": created,
            }
            self._reports_to[user_id] = reports_to
            return user_id

    def update_user(
        self, user_id: str, *, reports_to: str | None = None, active: bool | None = None
    ) -> None:
        """Change whom a user reports to, or deactivate (``active=False``) or reactivate
        the user; the user is modified now."""
        with self._lock:
            record = self.user_records[user_id]
            self._reports_to[user_id] = reports_to
            if active is not None:
                record["status"] = "active" if active else "disabled"
            record["Modified_Time"] = self._time(self.now())

    def _user(self, user_id: str | None = None) -> dict[str, str]:
        return dict(self.users[user_id or self.default_user])

    def add(self, module: str, **fields: Any) -> str:
        """Put a record in *module* as if a user had entered it; returns its id.

        Lookups are given as ids (``Account_Name="572…"``) or as ``{"id": …}``;
        ``What_Id`` takes ``$se_module`` in *fields* (``**{"$se_module": "Deals"}``).
        ``Owner`` defaults to the default user. Created and modified now, unless
        ``Created_Time``/``Modified_Time`` are given as aware datetimes.
        """
        with self._lock:
            record_id = str(next(self._ids))
            now = self.now()
            created = fields.pop("Created_Time", None)
            modified = fields.pop("Modified_Time", None)
            created_at = created.timestamp() if isinstance(created, datetime) else now
            modified_at = modified.timestamp() if isinstance(modified, datetime) else created_at
            record = {"id": record_id, **self._stored(module, fields)}
            record.setdefault("Owner", self._user())
            self.records[module][record_id] = record
            self._meta[module][record_id] = (created_at, modified_at)
            self._version += 1
            return record_id

    def update(self, module: str, record_id: str, **fields: Any) -> None:
        """Change a record as a user would; it is modified now."""
        with self._lock:
            self.records[module][record_id].update(self._stored(module, fields))
            created_at, _ = self._meta[module][record_id]
            self._meta[module][record_id] = (created_at, self.now())
            self._version += 1

    def touch(self, module: str, record_id: str) -> None:
        """Mark a record modified now, without changing a field."""
        self.update(module, record_id)

    def _stored(self, module: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: value
            if module == "Accounts" and name == "Account_Name"
            else self._stored_value(name, value, fields)
            for name, value in fields.items()
        }

    def _stored_value(self, name: str, value: Any, fields: Mapping[str, Any]) -> Any:
        if isinstance(value, str):
            if name in _LOOKUPS:
                return self._lookup(_LOOKUPS[name], value)
            if name == "What_Id":
                return self._lookup(str(fields.get("$se_module", "Accounts")), value)
            if name == "Parent_Id":
                value = {"module": {"api_name": "Accounts"}, "id": value}
            if name == "Owner":
                return self._user(value)
        if name == "Parent_Id" and isinstance(value, Mapping):
            parent_module = value.get("module", {}).get("api_name", "Accounts")
            return {
                **self._lookup(parent_module, str(value.get("id"))),
                "module": {"api_name": parent_module, "id": _MODULE_IDS[parent_module]},
            }
        return value

    def _lookup(self, module: str, record_id: str) -> dict[str, Any]:
        record = self.records.get(module, {}).get(record_id, {})
        name_field = {
            "Accounts": "Account_Name",
            "Contacts": "Full_Name",
            "Deals": "Deal_Name",
        }.get(module, "id")
        name = record.get(name_field) or record.get("Last_Name") or record_id
        return {"name": str(name), "id": record_id}

    def expire_tokens(self) -> None:
        """Make every access token issued so far invalid, as an hour passing would."""
        with self._lock:
            self._tokens.clear()
            self._live.clear()

    def profile(self, url: str, **extra: str) -> dict[str, str]:
        """The settings of a ``zoho:`` profile that reaches this org at *url*.

        Only the accounts server is named: the API host comes from the
        ``api_domain`` of each token, as with Zoho.
        """
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "accounts_url": url,
            **extra,
        }

    # -- HTTP --------------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        """Answer one request."""
        response = self._answer(request)
        if self.dialect.close_connections:
            response = attrs.evolve(response, headers={**response.headers, "Connection": "close"})
        return response

    def _answer(self, request: Request) -> Response:
        with self._lock:
            if request.path == "/oauth/v2/token":
                return self._token(request)
            if not request.path.startswith(API):
                return _error(
                    404,
                    "INVALID_URL_PATTERN",
                    "Please check if the URL trying to access is a correct one",
                )
            refused = self._authorise(request)
            if refused is not None:
                return refused
            parts = request.path[len(API) :].strip("/").split("/")
            if parts[0] == "users":
                return self._users(request, parts[1:])
            return self._route(request, parts)

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
        refused = self.dialect.refusal_status
        if form.get("grant_type") != "refresh_token":
            return Response.json(refused, {"error": "unsupported_grant_type"})
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Response.json(refused, {"error": "invalid_client"})
        if form.get("refresh_token") != self.refresh_token:
            return Response.json(refused, {"error": "invalid_code"})
        now = self.now()
        while self._issued_at and self._issued_at[0] <= now - TOKEN_WINDOW:
            self._issued_at.popleft()
        if len(self._issued_at) >= TOKENS_PER_WINDOW:
            return Response.json(
                400,
                {
                    "error_description": "You have made too many requests continuously. "
                    "Please try again after some time.",
                    "error": "Access Denied",
                    "status": "failure",
                },
            )
        token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        self._issued_at.append(now)
        self._tokens[token] = now + TOKEN_LIFETIME
        self._token_scopes[token] = frozenset(scope.casefold() for scope in self.scopes)
        self._live.append(token)
        if len(self._live) > LIVE_TOKENS:  # the 31st token retires the oldest
            self._tokens.pop(self._live.popleft(), None)
        self.tokens_issued += 1
        self.access_tokens.append(token)
        host = request.headers.get("host", "127.0.0.1")
        answer: dict[str, Any] = {
            "access_token": token,
            "scope": " ".join(self.scopes),
            "api_domain": f"http://{host}",
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
        }
        if not self.dialect.api_domain:
            del answer["api_domain"]
        if self.dialect.token_shape == "legacy":
            answer.update(expires_in_sec=TOKEN_LIFETIME, expires_in=TOKEN_LIFETIME * 1000)
        return Response.json(200, answer)

    def _authorise(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme != "Zoho-oauthtoken" or not token:
            return _error(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        expiry = self._tokens.get(token)
        if expiry is None or expiry <= self.now():
            return _error(401, "INVALID_TOKEN", "invalid oauth token")
        return None

    def _route(self, request: Request, parts: list[str]) -> Response:  # noqa: PLR0911 - a dispatch table
        if request.method == "POST" and parts == ["coql"]:
            return self._coql(request)
        module, rest = parts[0], parts[1:]
        if module not in self.records:
            return _error(
                400,
                "INVALID_MODULE",
                "The module name given seems to be invalid",
                module=module,
            )
        if request.method == "POST" and not rest:
            return self._create(module, request)
        if request.method != "GET":
            return _error(
                405, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
            )
        match rest:
            case []:
                return self._list(module, request)
            case ["search"]:
                return self._search(module, request)
            case [record_id]:
                return self._get(module, record_id, request)
            case [record_id, related]:
                return self._related(module, record_id, related, request)
        return _error(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )

    # -- rendering ---------------------------------------------------------------------------

    def _empty(self, status: int | None = None, *, key: str = "data", **info: Any) -> Response:
        """The answer to a read that found nothing, as the dialect writes it."""
        if (status or self.dialect.empty_status) != 200:  # noqa: PLR2004 - HTTP OK
            return Response(status or self.dialect.empty_status)
        return Response.json(200, {key: [], "info": {**info, "count": 0, "more_records": False}})

    def _wire(self, name: str, value: Any) -> Any:
        """An id, or a lookup's id, as the dialect writes ids."""
        if not self.dialect.number_ids:
            return value
        if name == "id" and isinstance(value, str) and value.isdigit():
            return int(value)
        if name in _LOOKUP_FIELDS and isinstance(value, Mapping):
            return {key: self._wire(key, item) for key, item in value.items()}
        return value

    def _time(self, epoch: float) -> str:
        return (
            datetime.fromtimestamp(epoch, UTC)
            .astimezone(self.user_tz)
            .isoformat(timespec="seconds")
        )

    def _render(self, module: str, record_id: str, fields: Iterable[str] | None) -> dict[str, Any]:
        record = self.records[module][record_id]
        created_at, modified_at = self._meta[module][record_id]
        full = {**record, "Created_Time": created_at, "Modified_Time": modified_at}
        wanted = set(full) if fields is None else {"id", *fields}
        dialect = self.dialect
        if "What_Id" in wanted and "$se_module" in full and dialect.se_module:
            wanted.add("$se_module")
        if module == "Notes" and dialect.note_parent == "v2" and "Parent_Id" in wanted:
            wanted.add("$se_module")  # v2 names a note's parent module beside Parent_Id
        out: dict[str, Any] = {}
        for name in wanted:
            if name == "$se_module" and module == "Notes":
                out[name] = (full.get("Parent_Id") or {}).get("module", {}).get("api_name")
                continue
            if name not in full:
                if name in self.fields[module] and not dialect.omit_nulls:
                    out[name] = None
                continue
            value = self._written(name, full[name])
            if value is None and dialect.omit_nulls:
                continue
            out[name] = self._wire(name, value)
        if dialect.extra_fields:
            out.update(
                {
                    "$editable": True,
                    "$approval": {"delegate": False, "approve": False, "reject": False},
                    "$state": "save",
                    "Created_By": self._wire("Owner", self._user()),
                    "Tag": [],
                }
            )
        return out

    def _written(self, name: str, value: Any) -> Any:
        """A stored value as Zoho writes it in JSON (ids aside, see :meth:`_wire`)."""
        if name == "Parent_Id" and self.dialect.note_parent == "v2" and isinstance(value, Mapping):
            return {"name": value.get("name"), "id": value.get("id")}
        if name in ("Created_Time", "Modified_Time"):
            return self._time(value)
        if isinstance(value, datetime):
            return value.astimezone(self.user_tz).isoformat(timespec="seconds")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)  # a JSON number, as Zoho writes amounts
        return value

    def _fields_param(
        self, module: str, request: Request, *, required: bool = True
    ) -> list[str] | Response:
        text = request.param("fields")
        if not text:
            if required:
                return _error(
                    400,
                    "REQUIRED_PARAM_MISSING",
                    "One of the expected parameter is missing",
                    param_name="fields",
                )
            return sorted(self.fields[module])
        names = [name.strip() for name in text.split(",") if name.strip()]
        if len(names) > MAX_FIELDS:
            return _error(
                400,
                "LIMIT_EXCEEDED",
                "Max field limit exceeded",
                limit=MAX_FIELDS,
                param_name="fields",
            )
        for name in names:
            if name != "id" and name not in self.fields[module]:
                return _error(
                    400, "INVALID_DATA", "invalid data", api_name=name, param_name="fields"
                )
        return names

    # -- reads -------------------------------------------------------------------------------

    def _ordered(self, module: str, sort_by: str, order: str, since: float | None) -> list[str]:
        key = (module, sort_by, order, since, self._version)
        cached = self._sorted.get(key)
        if cached is not None:
            return cached
        meta = self._meta[module]
        ids = [i for i in self.records[module] if since is None or meta[i][1] > since]
        if sort_by == "id":
            ids.sort(key=int, reverse=order == "desc")
        else:
            position = 0 if sort_by == "Created_Time" else 1
            ids.sort(key=lambda i: (meta[i][position], int(i)), reverse=order == "desc")
        if len(self._sorted) > 64:  # noqa: PLR2004 - a small cache is enough
            self._sorted.clear()
        self._sorted[key] = ids
        return ids

    def _list_query(self, module: str, request: Request) -> _Listing | Response:
        """The listing a request asks for, or the error Zoho gives for its parameters."""
        if module == "Notes" and not self.admin:
            return _error(403, "NOT_SUPPORTED", "permission denied")
        fields = self._fields_param(module, request)
        if isinstance(fields, Response):
            return fields
        try:
            per_page = int(request.param("per_page") or MAX_PER_PAGE)
            page = int(request.param("page") or 1)
        except ValueError:
            return _error(400, "INVALID_DATA", "invalid data", param_name="page")
        sort_by = request.param("sort_by") or "id"
        order = request.param("sort_order") or "desc"
        since_text = request.headers.get("if-modified-since")
        try:
            since = datetime.fromisoformat(since_text) if since_text else None
        except ValueError:
            return _error(400, "INVALID_DATA", "invalid data", param_name="If-Modified-Since")
        problems = {
            "per_page": not 1 <= per_page <= MAX_PER_PAGE,
            "page": page < 1,
            "sort_by": sort_by not in _SORTABLE,
            "sort_order": order not in ("asc", "desc"),
            "If-Modified-Since": since is not None and since.tzinfo is None,
        }
        for name, bad in problems.items():
            if bad:
                return _error(400, "INVALID_DATA", "invalid data", param_name=name)
        stamp = since.timestamp() if since is not None else None
        binding = (module, tuple(fields), per_page, sort_by, order, stamp)
        return _Listing(binding, fields, per_page, page, sort_by, order, stamp)

    def _list_start(self, listing: _Listing, request: Request) -> tuple[list[str], int] | Response:
        """The ids of the listing and where this page starts in them."""
        token_text = request.param("page_token")
        if token_text is None:
            if listing.page * listing.per_page > DISCRETE_LIMIT:
                return _error(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "the discrete pagination limit has been exceeded; use page_token",
                    limit=DISCRETE_LIMIT,
                )
            ids = self._ordered(listing.binding[0], listing.sort_by, listing.order, listing.since)
            return ids, (listing.page - 1) * listing.per_page
        token = self._page_tokens.get(token_text)
        refusal = (
            ("AMBIGUITY_DURING_PROCESSING", "page and page_token cannot be given together")
            if request.param("page") is not None
            else ("INVALID_DATA", "invalid data")
            if token is None
            else ("EXPIRED_VALUE", "the page token has expired")
            if token.expires <= self.now()
            else ("TOKEN_BOUND_DATA_MISMATCH", "the parameters differ from the page token's")
            if token.binding != listing.binding
            else None
        )
        if refusal is not None or token is None:
            code, message = refusal or ("INVALID_DATA", "invalid data")
            return _error(400, code, message, param_name="page_token")
        return token.ids, token.offset

    def _list(self, module: str, request: Request) -> Response:
        listing = self._list_query(module, request)
        if isinstance(listing, Response):
            return listing
        start = self._list_start(listing, request)
        if isinstance(start, Response):
            return start
        ids, offset = start
        if offset >= PAGINATION_CEILING:
            return _error(
                400,
                "PAGINATION_LIMIT_EXCEEDED",
                "the pagination limit has been exceeded",
                limit=PAGINATION_CEILING,
            )
        paging: dict[str, Any] = {"per_page": listing.per_page, "sort_by": listing.sort_by}
        if not ids and listing.since is not None:
            status = self.dialect.unmodified_status
            return Response(304) if status == 304 else self._empty(status, **paging)  # noqa: PLR2004
        chunk = ids[offset : offset + listing.per_page]
        if not chunk:
            return self._empty(**paging)
        more = offset + listing.per_page < len(ids) or (
            self.dialect.more_records_when_full and len(chunk) == listing.per_page
        )
        info: dict[str, Any] = {
            "per_page": listing.per_page,
            "count": len(chunk),
            "sort_by": listing.sort_by,
            "sort_order": listing.order,
            "more_records": more,
        }
        if request.param("page_token") is None:
            info["page"] = listing.page
        if more or self.dialect.page_token_always:
            # The token pages through the listing as it stood (Zoho's token is a
            # cursor bound to the parameters, not a page number).
            expires = self.now() + PAGE_TOKEN_LIFETIME
            next_token = "lz" + secrets.token_hex(20)
            self._page_tokens[next_token] = _PageToken(
                listing.binding, ids, offset + listing.per_page, expires
            )
            info["next_page_token"] = next_token
            info["page_token_expiry"] = self._time(expires)
        data = [self._render(module, i, listing.fields) for i in chunk]
        return Response.json(200, {"data": data, "info": info})

    def _get(self, module: str, record_id: str, request: Request) -> Response:
        if record_id not in self.records[module]:
            return _error(400, "INVALID_DATA", "the id given seems to be invalid", id=record_id)
        fields = self._fields_param(module, request, required=False)
        if isinstance(fields, Response):
            return fields
        return Response.json(200, {"data": [self._render(module, record_id, fields)]})

    def _belongs(self, module: str, record: Mapping[str, Any], parent: str) -> bool:
        if module in ("Contacts", "Deals"):
            return (record.get("Account_Name") or {}).get("id") == parent
        if module == "Notes":
            return (record.get("Parent_Id") or {}).get("id") == parent
        return (record.get("What_Id") or {}).get("id") == parent

    def _related(self, module: str, record_id: str, related: str, request: Request) -> Response:
        if record_id not in self.records[module]:
            return _error(400, "INVALID_DATA", "the id given seems to be invalid", id=record_id)
        if related not in self.records:
            return _error(400, "INVALID_DATA", "invalid data", param_name="related_list_api_name")
        fields = self._fields_param(related, request)
        if isinstance(fields, Response):
            return fields
        per_page = int(request.param("per_page") or MAX_PER_PAGE)
        page = int(request.param("page") or 1)
        ids = sorted(
            (i for i, r in self.records[related].items() if self._belongs(related, r, record_id)),
            key=int,
        )
        chunk = ids[(page - 1) * per_page : page * per_page]
        if not chunk:
            return self._empty(per_page=per_page, page=page)
        info = {
            "per_page": per_page,
            "count": len(chunk),
            "page": page,
            "more_records": page * per_page < len(ids),
        }
        return Response.json(
            200, {"data": [self._render(related, i, fields) for i in chunk], "info": info}
        )

    def _search(self, module: str, request: Request) -> Response:
        criteria = request.param("criteria") or ""
        pairs = _SEARCH_ONE.findall(criteria)
        if not pairs:
            return _error(400, "INVALID_QUERY", "invalid query formed", param_name="criteria")
        fields = self._fields_param(module, request, required=False)
        if isinstance(fields, Response):
            return fields
        visible_before = self.now() - self.search_lag
        ids = [
            i
            for i, record in self.records[module].items()
            if self._meta[module][i][0] <= visible_before
            and any(str(record.get(f)) == v for f, v in pairs)
        ]
        if not ids:
            return self._empty(per_page=MAX_PER_PAGE, page=1)
        ids.sort(key=int)
        chunk = ids[:MAX_PER_PAGE]
        info = {
            "per_page": MAX_PER_PAGE,
            "count": len(chunk),
            "page": 1,
            "more_records": len(ids) > len(chunk),
        }
        return Response.json(
            200, {"data": [self._render(module, i, fields) for i in chunk], "info": info}
        )

    def _coql(self, request: Request) -> Response:
        try:
            query = request.json().get("select_query", "")
        except (ValueError, AttributeError):
            query = ""
        match = _COQL.match(query) if isinstance(query, str) else None
        if match is None or match["module"] not in self.records:
            return _error(
                400, "SYNTAX_ERROR" if match is None else "INVALID_QUERY", "invalid query formed"
            )
        module = match["module"]
        columns = [c.strip() for c in match["columns"].split(",") if c.strip()]
        field = match["field"]
        known = self.fields[module] | {"id"}
        if any(c not in known for c in columns) or field not in known:
            return _error(400, "INVALID_QUERY", "column given seems to be invalid")
        values = {match["value"]} if match["eq"] else set(_COQL_VALUE.findall(match["values"]))
        limit = int(match["limit2"] or match["limit"] or 200)
        offset = int(match["offset"] or (match["limit"] if match["limit2"] else 0) or 0)
        if limit > COQL_MAX_LIMIT:
            return _error(400, "LIMIT_EXCEEDED", "limit exceeded", limit=COQL_MAX_LIMIT)
        ids = [
            i
            for i, r in self.records[module].items()
            if str(r.get(field, i if field == "id" else None)) in values
        ]
        ids.sort(key=int, reverse=(match["direction"] or "asc").lower() == "desc")
        chunk = ids[offset : offset + limit]
        if not chunk:
            return self._empty()
        data = [self._render(module, i, columns) for i in chunk]
        return Response.json(
            200,
            {
                "data": data,
                "info": {"count": len(chunk), "more_records": offset + limit < len(ids)},
            },
        )

    # -- users -------------------------------------------------------------------------------

    def _users_query(self, request: Request) -> tuple[str, int, int] | Response:
        """The ``type``, ``per_page`` and ``page`` a users request asks for, or Zoho's refusal."""
        kind = request.param("type") or "AllUsers"
        try:
            per_page = int(request.param("per_page") or MAX_PER_PAGE)
            page = int(request.param("page") or 1)
        except ValueError:
            return _error(400, "INVALID_DATA", "invalid data", param_name="page")
        problems = {
            "type": kind not in USER_TYPES and kind != "CurrentUser",
            "per_page": not 1 <= per_page <= MAX_PER_PAGE,
            "page": page < 1,
        }
        for name, bad in problems.items():
            if bad:
                return _error(400, "INVALID_DATA", "invalid data", param_name=name)
        return kind, per_page, page

    def _users(self, request: Request, rest: list[str]) -> Response:
        if rest:
            return _error(
                404,
                "INVALID_URL_PATTERN",
                "Please check if the URL trying to access is a correct one",
            )
        if request.method != "GET":
            return _error(
                405, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
            )
        _, _, token = request.headers.get("authorization", "").partition(" ")
        if not self._token_scopes.get(token, frozenset()) & _USERS_SCOPES:
            return _error(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
        query = self._users_query(request)
        if isinstance(query, Response):
            return query
        kind, per_page, page = query
        if kind == "CurrentUser":
            ids = [self.default_user]
        else:
            ids = sorted(
                (i for i, user in self.user_records.items() if USER_TYPES[kind](user)), key=int
            )
        chunk = ids[(page - 1) * per_page : page * per_page]
        if not chunk:
            return self._empty(key="users", per_page=per_page, page=page)
        info = {
            "per_page": per_page,
            "count": len(chunk),
            "page": page,
            "more_records": page * per_page < len(ids),
        }
        return Response.json(200, {"users": [self._render_user(i) for i in chunk], "info": info})

    def _render_user(self, user_id: str) -> dict[str, Any]:
        manager = self._reports_to.get(user_id)
        record = {
            **self.user_records[user_id],
            "Reporting_To": None
            if manager is None
            else {"name": self.users.get(manager, {}).get("name", manager), "id": manager},
        }
        out: dict[str, Any] = {}
        for name, value in record.items():
            if value is None and self.dialect.omit_nulls:
                continue
            out[name] = self._wire("Owner" if name == "Reporting_To" else name, value)
        return out

    # -- writes ------------------------------------------------------------------------------

    def _create(self, module: str, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "INVALID_DATA", "body")
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, list) or not data:
            return _error(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                param_name="data",
            )
        if len(data) > MAX_WRITE:
            return _error(
                400, "LIMIT_EXCEEDED", "Record insertion limit has been exceeded.", limit=MAX_WRITE
            )
        results = [self._create_one(module, index, item) for index, item in enumerate(data)]
        failed = sum(1 for r in results if r["status"] == "error")
        all_made, some_failed, all_failed = self.dialect.write_statuses
        status = all_made if not failed else some_failed if failed < len(results) else all_failed
        return Response.json(status, {"data": results})

    def _item_error(self, code: str, message: str, **details: Any) -> dict[str, Any]:
        return {"code": code, "details": details, "message": message, "status": "error"}

    def _create_one(self, module: str, index: int, item: Any) -> dict[str, Any]:
        if not isinstance(item, Mapping):
            return self._item_error("INVALID_DATA", "invalid data", json_path=f"$.data[{index}]")
        for name in _MANDATORY[module]:
            if item.get(name) in (None, ""):
                return self._item_error(
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    api_name=name,
                    json_path=f"$.data[{index}].{name}",
                )
        for name in item:
            if name != "$se_module" and name not in self.fields[module]:
                return self._item_error(
                    "INVALID_DATA",
                    "invalid data",
                    api_name=name,
                    json_path=f"$.data[{index}].{name}",
                )
        problem = self._check_links(module, index, item)
        if problem is not None:
            return problem
        fields = dict(item)
        if isinstance(fields.get("Owner"), Mapping):
            fields["Owner"] = fields["Owner"]["id"]
        for name in ("What_Id", "Who_Id", *(() if module == "Accounts" else ("Account_Name",))):
            if isinstance(fields.get(name), Mapping):
                fields[name] = fields[name]["id"]
        record_id = self.add(module, **fields)
        self.created[module].append(record_id)
        rendered = self._render(module, record_id, ["Created_Time", "Modified_Time"])
        user = self._user()
        return {
            "code": "SUCCESS",
            "details": {
                "Modified_Time": rendered["Modified_Time"],
                "Modified_By": user,
                "Created_Time": rendered["Created_Time"],
                "id": self._wire("id", record_id),
                "Created_By": user,
            },
            "message": "record added",
            "status": "success",
        }

    def _check_links(
        self, module: str, index: int, item: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        def bad(name: str) -> dict[str, Any]:
            return self._item_error(
                "INVALID_DATA",
                "the id given seems to be invalid",
                api_name=name,
                json_path=f"$.data[{index}].{name}",
            )

        owner = item.get("Owner")
        if owner is not None and (
            not isinstance(owner, Mapping) or owner.get("id") not in self.users
        ):
            return bad("Owner")
        what = item.get("What_Id")
        if what is not None:
            target = item.get("$se_module")
            if (
                not isinstance(what, Mapping)
                or target not in self.records
                or what.get("id") not in self.records[target]
            ):
                return bad("What_Id")
        for name, target in _LOOKUPS.items():
            value = (
                item.get(name) if not (module == "Accounts" and name == "Account_Name") else None
            )
            if value is not None and (
                not isinstance(value, Mapping) or value.get("id") not in self.records[target]
            ):
                return bad(name)
        parent = item.get("Parent_Id")
        if module == "Notes":
            if not isinstance(parent, Mapping) or not isinstance(parent.get("module"), Mapping):
                return bad("Parent_Id")
            parent_module = parent["module"].get("api_name")
            if (
                parent_module not in self.records
                or parent.get("id") not in self.records[parent_module]
            ):
                return bad("Parent_Id")
        return None


def populate(
    zoho: LocalZoho, *, accounts: int, activities: int, owners: int = 5
) -> dict[str, list[str]]:
    """Fill *zoho* with a deterministic org: each account has a contact and a won
    deal; *activities* calls, meetings, tasks and notes are spread over the accounts
    (a third of the activities hang on the account's deal or contact, not on it).

    Returns:
        The ids created, by module.
    """
    owner_ids = [zoho.add_user(f"Manager {n}") for n in range(owners)]
    made: dict[str, list[str]] = {m: [] for m in MODULE_FIELDS}
    day = date(2026, 1, 5)
    base = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for n in range(accounts):
        owner = owner_ids[n % owners]
        account = zoho.add(
            "Accounts", Account_Name=f"Account {n:05d}", Owner=owner, Industry="Retail"
        )
        made["Accounts"].append(account)
        made["Contacts"].append(
            zoho.add(
                "Contacts",
                First_Name="Client",
                Last_Name=f"Contact {n}",
                Account_Name=account,
                Email=f"c{n}@client.invalid",
                Owner=owner,
            )
        )
        made["Deals"].append(
            zoho.add(
                "Deals",
                Deal_Name=f"Order {n}",
                Amount=1200.5,
                Stage="Closed Won",
                Closing_Date=day,
                Account_Name=account,
                Owner=owner,
            )
        )
    for n in range(activities):
        index = n % accounts
        account, contact, deal = (
            made["Accounts"][index],
            made["Contacts"][index],
            made["Deals"][index],
        )
        owner = owner_ids[index % owners]
        at = base + timedelta(hours=n % 500)
        link: dict[str, Any] = (
            {"What_Id": account, "$se_module": "Accounts"}
            if n % 3 == 0
            else {"What_Id": deal, "$se_module": "Deals"}
            if n % 3 == 1
            else {"Who_Id": contact}
        )
        kind = n % 4
        if kind == 0:
            made["Calls"].append(
                zoho.add(
                    "Calls",
                    Subject=f"Call {n}",
                    Call_Type="Outbound",
                    Call_Start_Time=at,
                    Call_Purpose="Negotiation",
                    Owner=owner,
                    **link,
                )
            )
        elif kind == 1:
            made["Events"].append(
                zoho.add(
                    "Events",
                    Event_Title=f"Meeting {n}",
                    Start_DateTime=at,
                    End_DateTime=at + timedelta(hours=1),
                    Owner=owner,
                    **link,
                )
            )
        elif kind == 2:  # noqa: PLR2004 - the third kind of four
            made["Tasks"].append(
                zoho.add(
                    "Tasks",
                    Subject=f"Send offer {n}",
                    Due_Date=day + timedelta(days=n % 30),
                    Status="Not Started",
                    Owner=owner,
                    **link,
                )
            )
        else:
            parent = {"module": {"api_name": "Accounts"}, "id": account}
            made["Notes"].append(
                zoho.add(
                    "Notes",
                    Note_Title=f"Note {n}",
                    Note_Content=f"Likes football ({n}).",
                    Parent_Id=parent,
                    Owner=owner,
                )
            )
    return made
