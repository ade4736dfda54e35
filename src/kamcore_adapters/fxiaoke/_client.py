"""The Fenxiang Xiaoke HTTP client: tokens, budgets, retries and ``errorCode`` classification.

Every call is a POST with a JSON body, answered with HTTP 200 and an
``errorCode``. The client keeps one token per tenant (shared by threads, and by
processes through the token cache folder), counts calls against a budget per
endpoint, backs off on busy and rate-limit codes, refreshes the token once on
20016, and raises a typed :class:`~kamcore_adapters.fxiaoke.FxiaokeError` for
everything else. No secret reaches a log line or an exception message.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from kamcore.errors import SourceError
from kamcore_adapters._http import (
    Backoff,
    ClosingClient,
    RateBudget,
    Secret,
    Token,
    TokenCache,
    redact,
)
from kamcore_adapters.fxiaoke._errors import (
    Disposition,
    FxiaokeAuthError,
    FxiaokeError,
    FxiaokePermissionError,
    FxiaokeQuotaError,
    FxiaokeRequestError,
    FxiaokeUnavailableError,
    FxiaokeUncertainError,
    classify,
)
from kamcore_adapters.fxiaoke._settings import Settings

if TYPE_CHECKING:
    import httpx

__all__ = [
    "BEARER_TOKEN_PATH",
    "LEGACY_TOKEN_PATH",
    "FxiaokeClient",
    "condition",
    "data_path",
]

LEGACY_TOKEN_PATH: Final = "/cgi/corpAccessToken/get/V2"
BEARER_TOKEN_PATH: Final = "/oauth2.0/token"
DESCRIBE_PATH: Final = "/cgi/crm/v2/object/describe"
TOKEN_CALLS_PER_MINUTE: Final = 10
"""The token endpoints allow 10 calls a minute (and none concurrently)."""
TOKEN_LIFETIME: Final = 7200.0
"""Seconds a token lives when the answer does not say."""
_TOKEN_EXPIRED: Final = 20016
_OFFSET_OR_NO_TOKEN: Final = 10013
# A token answer's values, by auth style: the documented camelCase name first, then the
# snake_case one OAuth servers use.
_TOKEN_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "bearer": ("accessToken", "access_token"),
    "corp_access_token": ("corpAccessToken", "corp_access_token"),
}
_TENANT_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "bearer": ("ea",),
    "corp_access_token": ("corpId", "corp_id"),
}
_EXPIRES_NAMES: Final = ("expiresIn", "expires_in")

logger = logging.getLogger("kamcore_adapters.fxiaoke")

_registry_lock = threading.Lock()
_token_caches: dict[Path | None, TokenCache] = {}
_budgets: dict[tuple[str, ...], RateBudget] = {}


def _shared_cache(directory: Path | None) -> TokenCache:
    # One cache per folder in a process, so every client of a tenant shares one
    # token and one lock even when hooks build a new client per call.
    with _registry_lock:
        cache = _token_caches.get(directory)
        if cache is None:
            cache = _token_caches[directory] = TokenCache(directory)
        return cache


def _shared_budget(key: tuple[str, ...], calls: int, per_seconds: float) -> RateBudget:
    with _registry_lock:
        budget = _budgets.get(key)
        if budget is None:
            budget = _budgets[key] = RateBudget(calls, per_seconds)
        return budget


def data_path(object_name: str, action: str) -> str:
    """The endpoint of a data *action* for *object_name*: custom objects (``…__c``) have their own.

    >>> data_path("AccountObj", "query")
    '/cgi/crm/v2/data/query'
    >>> data_path("Visit__c", "create")
    '/cgi/crm/custom/v2/data/create'
    """
    if object_name.endswith("__c"):
        return f"/cgi/crm/custom/v2/data/{action}"
    return f"/cgi/crm/v2/data/{action}"


def condition(field: str, operator: str, *values: object) -> dict[str, Any]:
    """A query filter; ``field_values`` is always a list of strings.

    >>> condition("_id", "GT", "5f0c")
    {'field_name': '_id', 'field_values': ['5f0c'], 'operator': 'GT'}
    """
    return {
        "field_name": field,
        "field_values": [str(value) for value in values],
        "operator": operator,
    }


class _Transient(Exception):
    """No usable answer (a reset, a timeout, a 5xx from a proxy): maybe worth a retry.

    Attributes:
        retry_after: the seconds a proxy's ``Retry-After`` asked for, if it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FxiaokeClient(ClosingClient):
    """A client for one profile: ``with FxiaokeClient(settings) as client: client.query(...)``.

    Args:
        settings: the profile's settings.
        transport: an httpx transport (tests); the network when ``None``.
        token_cache: where tokens are kept; by default one shared per token folder.
        backoff: how long to wait between retries.
        sleep: how to wait (tests pass a recorder).
        rand: the jitter source.
        budget_clock: the clock of the per-endpoint rate budgets (tests).

    Raises:
        SourceError: httpx is not installed (install ``kamcore[fxiaoke]``).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        token_cache: TokenCache | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        budget_clock: Callable[[], float] | None = None,
    ) -> None:
        try:
            import httpx
        except ImportError:
            raise SourceError(
                f"{settings.uri}: the Fenxiang Xiaoke adapter needs httpx: "
                "pip install 'kamcore[fxiaoke]'"
            ) from None
        self.settings = settings
        self._httpx = httpx
        self._http = httpx.Client(
            base_url=settings.host,
            timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)),
            transport=transport,
        )
        self._tokens = token_cache or _shared_cache(settings.token_cache)
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._rand = rand
        self._budget_clock = budget_clock
        self._budgets: dict[str, RateBudget] = {}
        self._budgets_lock = threading.Lock()
        permanent = hashlib.sha256(settings.permanent_code.reveal().encode()).hexdigest()[:16]
        self._token_key = "|".join(
            ["fxiaoke", settings.host, settings.auth, settings.app_id, permanent]
        )
        self._token_budget = self._budget(settings.auth + " token", TOKEN_CALLS_PER_MINUTE, 60.0)
        self._seen_tokens: list[Secret] = []

    # -- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    # -- budgets and secrets ----------------------------------------------------------------------

    def _budget(self, endpoint: str, calls: int, per_seconds: float) -> RateBudget:
        if self._budget_clock is not None:
            with self._budgets_lock:
                budget = self._budgets.get(endpoint)
                if budget is None:
                    budget = self._budgets[endpoint] = RateBudget(
                        calls, per_seconds, clock=self._budget_clock, sleep=self._sleep
                    )
                return budget
        key = (self._token_key, endpoint, str(calls), str(per_seconds))
        return _shared_budget(key, calls, per_seconds)

    def _endpoint_budget(self, path: str) -> RateBudget:
        return self._budget(path, self.settings.calls_per_window, self.settings.window_seconds)

    def pause(self, seconds: float) -> None:
        """Wait *seconds* with the client's sleep (which tests replace)."""
        self._sleep(seconds)

    def hide(self, text: str) -> str:
        """*text* with every secret and token this client knows replaced by ``***``."""
        return redact(text, [*self.settings.secrets, *self._seen_tokens])

    # -- tokens -----------------------------------------------------------------------------------

    def _fetch_token(self) -> Token:
        settings = self.settings
        body: dict[str, Any] = {
            "appId": settings.app_id,
            "appSecret": settings.app_secret.reveal(),
            "permanentCode": settings.permanent_code.reveal(),
        }
        if settings.auth == "bearer":
            path = BEARER_TOKEN_PATH
            body["grantType"] = "app_secret"
        else:
            path = LEGACY_TOKEN_PATH
        answer = self._exchange(path, body, {}, budget=self._token_budget, token_endpoint=True)
        names = _TOKEN_NAMES[settings.auth]
        value = _token_value(answer, names)
        if not isinstance(value, str) or not value:
            raise FxiaokeAuthError(f"{settings.uri}: the token answer holds no {names[0]}")
        self._seen_tokens.append(Secret(value))
        try:
            lifetime = float(_token_value(answer, _EXPIRES_NAMES) or TOKEN_LIFETIME)
        except (TypeError, ValueError):
            lifetime = TOKEN_LIFETIME
        tenant_names = _TENANT_NAMES[settings.auth]
        tenant = str(_token_value(answer, tenant_names) or settings.corp_id or "")
        if not tenant:
            # Every business call must name the tenant; without it each would be refused.
            raise FxiaokeAuthError(
                f"{settings.uri}: the token answer names no {tenant_names[0]}: "
                "set corp_id in the profile"
            )
        extra = {"ea" if settings.auth == "bearer" else "corp_id": tenant}
        logger.debug("%s: new %s token, valid %.0f s", settings.uri, settings.auth, lifetime)
        now = time.time()
        return Token(value=Secret(value), expires_at=now + lifetime, extra=extra, issued_at=now)

    def token(self) -> Token:
        """The tenant's current token, fetched (once for every thread and process) when needed."""
        token = self._tokens.get(self._token_key, self._fetch_token)
        if token.value not in self._seen_tokens:
            self._seen_tokens.append(token.value)
        return token

    def _authorised(
        self, payload: Mapping[str, Any], token: Token
    ) -> tuple[dict[str, Any], dict[str, str]]:
        settings = self.settings
        if settings.auth == "bearer":
            headers = {
                "authorization": f"Bearer {token.value.reveal()}",
                "x-fs-ea": token.extra.get("ea", ""),
                "x-fs-userid": settings.user_id,
            }
            return dict(payload), headers
        body = {
            "corpAccessToken": token.value.reveal(),
            "corpId": token.extra.get("corp_id", ""),
            "currentOpenUserId": settings.user_id,
            **payload,
        }
        return body, {}

    # -- calls ------------------------------------------------------------------------------------

    def _post(
        self,
        path: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str],
        *,
        token_endpoint: bool = False,
    ) -> dict[str, Any]:
        """The answer to one POST, as a dict holding an ``errorCode``.

        The ``errorCode`` of a JSON body decides whatever the HTTP status (a gateway
        may send errors as 4xx or 5xx). Without one: a token answer that holds a
        token is a success (OAuth servers send no ``errorCode``), 401 means the token
        was refused (20016), and 429, 5xx, an empty or non-JSON body are transient.
        """
        httpx = self._httpx
        started = time.monotonic()
        try:
            response = self._http.post(path, json=body, headers=dict(headers))
        except httpx.TimeoutException as error:
            raise _Transient(f"timed out ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise _Transient(f"connection failed ({type(error).__name__})") from None
        elapsed = (time.monotonic() - started) * 1000
        status = response.status_code
        answer = _json_object(response)
        if answer is not None and "errorCode" in answer:
            code = answer.get("errorCode")
            via = "" if status == 200 else f"HTTP {status}, "  # noqa: PLR2004
            logger.debug("POST %s -> %serrorCode %s in %.0f ms", path, via, code, elapsed)
            return answer
        logger.debug("POST %s -> HTTP %d without an errorCode in %.0f ms", path, status, elapsed)
        if token_endpoint and answer is not None and status == 200:  # noqa: PLR2004
            return {"errorCode": 0, **answer}  # _fetch_token checks that it holds a token
        if token_endpoint and status in (401, 403):
            raise FxiaokeAuthError(
                f"{self.settings.uri}: POST {path}: HTTP {status}; "
                "check app_id, app_secret and permanent_code"
            )
        if status == 401:  # noqa: PLR2004 - an OAuth gateway refusing the token
            return {"errorCode": _TOKEN_EXPIRED, "errorMessage": "HTTP 401"}
        if answer is None or status == 429 or status >= 500:  # noqa: PLR2004
            what = "an empty body" if not response.content else "a body that is not JSON"
            raise _Transient(
                f"HTTP {status}" if answer is not None else f"HTTP {status} with {what}",
                _retry_after(response.headers.get("retry-after")),
            )
        raise FxiaokeRequestError(
            f"{self.settings.uri}: POST {path}: unexpected answer (HTTP {status})"
        )

    def _wait(self, attempt: int, path: str, why: str, retry_after: float | None = None) -> None:
        if attempt + 1 >= self._backoff.attempts:
            raise FxiaokeUnavailableError(
                f"{self.settings.uri}: POST {path}: {self.hide(why)}; "
                f"gave up after {self._backoff.attempts} attempts"
            )
        delay = self._backoff.delay(attempt, retry_after, rand=self._rand)
        logger.debug("POST %s: %s; retry %d in %.2f s", path, self.hide(why), attempt + 1, delay)
        self._sleep(delay)

    def _exchange(
        self,
        path: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str],
        *,
        budget: RateBudget,
        token_endpoint: bool = False,
    ) -> dict[str, Any]:
        """Post to a token endpoint, retrying busy and rate codes."""
        for attempt in range(self._backoff.attempts):
            budget.acquire()
            try:
                answer = self._post(path, body, headers, token_endpoint=token_endpoint)
            except _Transient as problem:
                self._wait(attempt, path, str(problem), problem.retry_after)
                continue
            code = _code(answer)
            disposition = classify(code, token_endpoint=token_endpoint)
            if disposition is Disposition.OK:
                return answer
            if disposition is Disposition.RETRY:
                self._wait(attempt, path, f"errorCode {code}")
                continue
            raise self._error(disposition, code, answer, path)
        raise AssertionError("unreachable: _wait raises on the last attempt")  # pragma: no cover

    def call(
        self,
        path: str,
        payload: Mapping[str, Any],
        *,
        object_name: str | None = None,
        record_id: str | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Post *payload* to *path* with the tenant's credentials and return the answer.

        Retries busy (-1, 50009) and rate (30004, 14001) codes and transport
        failures with backoff, and refreshes the token once on 20016. A call that
        is not *idempotent* (a create) is not retried once it may have reached the
        server: :class:`FxiaokeUncertainError` tells the caller to look before it
        sends again.

        Raises:
            FxiaokeError: a subclass naming what failed, the object and the record.
        """
        refreshed = False
        attempt = 0
        budget = self._endpoint_budget(path)
        while True:
            token = self.token()
            body, headers = self._authorised(payload, token)
            budget.acquire()
            try:
                answer = self._post(path, body, headers)
            except _Transient as problem:
                if not idempotent:
                    raise self._uncertain(path, str(problem), object_name, record_id) from None
                self._wait(attempt, path, str(problem), problem.retry_after)
                attempt += 1
                continue
            code = _code(answer)
            disposition = classify(code)
            if code == _OFFSET_OR_NO_TOKEN and _offset(payload) == 0:
                # The vendor's table gives 10013 for a missing token too; at offset 0 the
                # offset cannot be the cause, so it is the token.
                disposition = Disposition.REFRESH
            if disposition is Disposition.OK:
                return answer
            if disposition is Disposition.REFRESH and not refreshed:
                logger.debug("POST %s: token refused (errorCode %d); refreshing", path, code)
                self._tokens.invalidate(self._token_key, token)
                refreshed = True
                continue
            if disposition is Disposition.RETRY:
                if not idempotent and code in (-1, 50009):  # busy/timeout: it may have happened
                    raise self._uncertain(path, f"errorCode {code}", object_name, record_id)
                self._wait(attempt, path, f"errorCode {code}")
                attempt += 1
                continue
            if disposition is Disposition.REFRESH:
                refused = code == _TOKEN_EXPIRED
                disposition = Disposition.AUTH if refused else Disposition.BAD_REQUEST
            raise self._error(
                disposition, code, answer, path, object_name=object_name, record_id=record_id
            )

    def _uncertain(
        self, path: str, why: str, object_name: str | None, record_id: str | None
    ) -> FxiaokeUncertainError:
        return FxiaokeUncertainError(
            f"{self.settings.uri}: POST {path}{_about(object_name, record_id)}: {self.hide(why)}; "
            "it may have taken effect",
            object_name=object_name,
            record_id=record_id,
        )

    def _error(
        self,
        disposition: Disposition,
        code: int,
        answer: Mapping[str, Any],
        path: str,
        *,
        object_name: str | None = None,
        record_id: str | None = None,
    ) -> FxiaokeError:
        kind: type[FxiaokeError] = {
            Disposition.QUOTA: FxiaokeQuotaError,
            Disposition.AUTH: FxiaokeAuthError,
            Disposition.PERMISSION: FxiaokePermissionError,
        }.get(disposition, FxiaokeRequestError)
        text = str(answer.get("errorMessage") or "no message")[:200]
        hint = {
            Disposition.QUOTA: "; the API quota is used up (the daily quota resets at 00:00 Beijing time)",
            Disposition.AUTH: "; check app_id, app_secret and permanent_code",
            Disposition.PERMISSION: f"; check that user_id {self.settings.user_id} may see this data",
        }.get(disposition, "")
        message = (
            f"{self.settings.uri}: POST {path}{_about(object_name, record_id)}: "
            f"errorCode {code} ({text}){hint}"
        )
        return kind(self.hide(message), code=code, object_name=object_name, record_id=record_id)

    # -- CRM operations ---------------------------------------------------------------------------

    def query(
        self,
        object_name: str,
        *,
        filters: Sequence[Mapping[str, Any]] = (),
        orders: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
        fields: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """One page of *object_name* records matching every filter (they AND together).

        Args:
            object_name: ``AccountObj``, ``Visit__c``…
            filters: built with :func:`condition`.
            orders: ``(field, ascending)`` pairs.
            limit: records per page (the profile's page size when ``None``).
            offset: records to skip: a multiple of *limit*, at most 10,000.
            fields: the fields to return (``fieldProjection``); all when ``None``.
        """
        rows, _ = self.query_page(
            object_name, filters=filters, orders=orders, limit=limit, offset=offset, fields=fields
        )
        return rows

    def query_page(
        self,
        object_name: str,
        *,
        filters: Sequence[Mapping[str, Any]] = (),
        orders: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
        fields: Sequence[str] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Like :meth:`query`, with the page size the server served.

        Sources disagree on the largest page (100 or 1,000); a server that serves
        fewer records than asked says so in the answer's ``limit``, and only a page
        shorter than *that* is the last one.

        Returns:
            The records, and the page size (the smaller of the one asked and the
            ``limit`` the answer gives).
        """
        asked = limit or self.settings.page_size
        info: dict[str, Any] = {
            "limit": asked,
            "offset": offset,
            "filters": [dict(f) for f in filters],
            "orders": [{"fieldName": name, "isAsc": ascending} for name, ascending in orders],
        }
        if fields is not None:
            info["fieldProjection"] = list(fields)
        payload = {"data": {"dataObjectApiName": object_name, "search_query_info": info}}
        answer = self.call(data_path(object_name, "query"), payload, object_name=object_name)
        data = answer.get("data") or {}
        rows = data.get("dataList") if isinstance(data, dict) else None
        served = asked
        if isinstance(data, dict):
            try:
                served = max(1, min(asked, int(data.get("limit") or asked)))
            except (TypeError, ValueError):
                served = asked
        if not isinstance(rows, list):
            return [], served
        return [row for row in rows if isinstance(row, dict)], served

    def pages_by_id(
        self,
        object_name: str,
        *,
        filters: Sequence[Mapping[str, Any]] = (),
        after_id: str | None = None,
        fields: Sequence[str] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Every matching record, a page at a time, by ``_id`` (keyset paging).

        The offset stays 0 and each page asks for ``_id`` greater than the last
        one seen, so paging never meets the 10,000-offset wall and never skips or
        repeats a record when others are added meanwhile. Stops on a short page.
        """
        size = self.settings.page_size
        while True:
            keyset = [condition("_id", "GT", after_id)] if after_id is not None else []
            rows, served = self.query_page(
                object_name,
                filters=[*filters, *keyset],
                orders=[("_id", True)],
                limit=size,
                fields=fields,
            )
            if rows:
                yield rows
            if len(rows) < served:
                return
            after_id = str(rows[-1]["_id"])

    def describe(self, object_name: str) -> dict[str, Any]:
        """The describe of *object_name* (its fields and their options); ``{}`` when
        the answer holds none.

        Raises:
            FxiaokeRequestError: the tenant has no such object.
        """
        answer = self.call(DESCRIBE_PATH, {"apiName": object_name}, object_name=object_name)
        data = answer.get("data") or {}
        if not isinstance(data, dict):
            return {}
        describe = data.get("describe")
        if isinstance(describe, dict):
            return describe
        # The answer's shape is not documented: the describe may be ``data`` itself.
        return data if "fields" in data else {}

    def create(self, object_name: str, values: Mapping[str, Any]) -> str:
        """Create one record and return its id (never retried once sent: see :meth:`call`)."""
        payload = {
            "triggerApprovalFlow": False,
            "triggerWorkFlow": False,
            "data": {"object_data": {"dataObjectApiName": object_name, **values}, "details": {}},
        }
        answer = self.call(
            data_path(object_name, "create"), payload, object_name=object_name, idempotent=False
        )
        data = answer.get("data")
        nested = data if isinstance(data, dict) else {}
        record_id = answer.get("dataId") or nested.get("dataId") or nested.get("_id")
        if not record_id:
            raise FxiaokeRequestError(
                f"{self.settings.uri}: create {object_name}: the answer holds no dataId",
                object_name=object_name,
            )
        return str(record_id)

    def update(self, object_name: str, record_id: str, values: Mapping[str, Any]) -> None:
        """Change the fields *values* of one record (an update may be repeated safely)."""
        payload = {
            "data": {"object_data": {"dataObjectApiName": object_name, "_id": record_id, **values}}
        }
        self.call(
            data_path(object_name, "update"), payload, object_name=object_name, record_id=record_id
        )


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or ``None`` (empty, not JSON, not an object)."""
    try:
        if response.charset_encoding and response.charset_encoding.lower() not in {
            "utf-8",
            "utf8",
        }:
            answer = json.loads(response.text, parse_float=Decimal)  # a declared GBK…
        else:
            answer = json.loads(response.content, parse_float=Decimal)
    except (ValueError, LookupError):
        return None
    return answer if isinstance(answer, dict) else None


def _retry_after(value: str | None) -> float | None:
    """The seconds a ``Retry-After`` header asks for (seconds or an HTTP date), if valid."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _token_value(answer: Mapping[str, Any], names: Sequence[str]) -> Any:
    """The first of *names* in a token answer, at the top or under ``data``."""
    data = answer.get("data")
    for place in (answer, data if isinstance(data, Mapping) else {}):
        for name in names:
            if place.get(name) not in (None, ""):
                return place[name]
    return None


def _offset(payload: Mapping[str, Any]) -> int:
    """The ``offset`` of a query payload (0 for every other call)."""
    data = payload.get("data")
    info = data.get("search_query_info") if isinstance(data, Mapping) else None
    try:
        return int(info.get("offset") or 0) if isinstance(info, Mapping) else 0
    except (TypeError, ValueError):
        return 0


def _code(answer: Mapping[str, Any]) -> int:
    try:
        return int(answer.get("errorCode", 0))
    except (TypeError, ValueError):
        return -1  # a garbled code: treat like "busy" rather than like success


def _about(object_name: str | None, record_id: str | None) -> str:
    if object_name and record_id:
        return f" ({object_name} {record_id})"
    if object_name:
        return f" ({object_name})"
    return ""
