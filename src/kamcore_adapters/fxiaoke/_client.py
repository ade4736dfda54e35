"""The Fenxiang Xiaoke HTTP client: tokens, budgets, retries and ``errorCode`` classification.

Every call is a POST with a JSON body, answered with HTTP 200 and an
``errorCode``. The client keeps one token per tenant (shared by threads, and by
processes through the token cache folder), counts calls against a budget per
endpoint, backs off on busy and rate-limit codes, refreshes the token once on
20016, and raises a typed :class:`~kamcore_adapters.fxiaoke.FxiaokeError` for
everything else. No secret reaches a log line or an exception message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from kamcore.errors import SourceError
from kamcore_adapters._http import Backoff, RateBudget, Secret, Token, TokenCache, redact
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
    """No usable answer (a reset, a timeout, a 5xx from a proxy): maybe worth a retry."""


class FxiaokeClient:
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

    def __enter__(self) -> FxiaokeClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

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
        field = "accessToken" if settings.auth == "bearer" else "corpAccessToken"
        value = answer.get(field)
        if not isinstance(value, str) or not value:
            raise FxiaokeAuthError(f"{settings.uri}: the token answer holds no {field}")
        self._seen_tokens.append(Secret(value))
        lifetime = float(answer.get("expiresIn") or 7200)
        if settings.auth == "bearer":
            extra = {"ea": str(answer.get("ea") or settings.corp_id or "")}
        else:
            extra = {"corp_id": str(answer.get("corpId") or settings.corp_id or "")}
        logger.debug("%s: new %s token, valid %.0f s", settings.uri, settings.auth, lifetime)
        return Token(value=Secret(value), expires_at=time.time() + lifetime, extra=extra)

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

    def _post(self, path: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> Any:
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
        if status == 429 or status >= 500:  # noqa: PLR2004 - a proxy in front of the API
            logger.debug("POST %s -> HTTP %d in %.0f ms", path, status, elapsed)
            raise _Transient(f"HTTP {status}")
        try:
            answer = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise _Transient(f"HTTP {status} with a body that is not JSON") from None
        if status != 200 or not isinstance(answer, dict) or "errorCode" not in answer:  # noqa: PLR2004
            raise FxiaokeRequestError(
                f"{self.settings.uri}: POST {path}: unexpected answer (HTTP {status})"
            )
        logger.debug("POST %s -> errorCode %s in %.0f ms", path, answer.get("errorCode"), elapsed)
        return answer

    def _wait(self, attempt: int, path: str, why: str) -> None:
        if attempt + 1 >= self._backoff.attempts:
            raise FxiaokeUnavailableError(
                f"{self.settings.uri}: POST {path}: {self.hide(why)}; "
                f"gave up after {self._backoff.attempts} attempts"
            )
        delay = self._backoff.delay(attempt, rand=self._rand)
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
                answer: dict[str, Any] = self._post(path, body, headers)
            except _Transient as problem:
                self._wait(attempt, path, str(problem))
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
                answer: dict[str, Any] = self._post(path, body, headers)
            except _Transient as problem:
                if not idempotent:
                    raise self._uncertain(path, str(problem), object_name, record_id) from None
                self._wait(attempt, path, str(problem))
                attempt += 1
                continue
            code = _code(answer)
            disposition = classify(code)
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
                disposition = Disposition.AUTH
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
        info: dict[str, Any] = {
            "limit": limit or self.settings.page_size,
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
        if not isinstance(rows, list):
            return []
        return [row for row in rows if isinstance(row, dict)]

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
            rows = self.query(
                object_name,
                filters=[*filters, *keyset],
                orders=[("_id", True)],
                limit=size,
                fields=fields,
            )
            if rows:
                yield rows
            if len(rows) < size:
                return
            after_id = str(rows[-1]["_id"])

    def describe(self, object_name: str) -> dict[str, Any]:
        """The describe of *object_name* (its fields and their options).

        Raises:
            FxiaokeRequestError: the tenant has no such object.
        """
        answer = self.call(DESCRIBE_PATH, {"apiName": object_name}, object_name=object_name)
        data = answer.get("data") or {}
        describe = data.get("describe") if isinstance(data, dict) else None
        return describe if isinstance(describe, dict) else {}

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
        record_id = answer.get("dataId")
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
