"""The Zoho CRM v8 client: OAuth refresh, retries, budgets, paging, writes.

Imported only when the adapter is used, as it needs httpx (``kamcore[zoho]``).

What it guarantees:

- **One token per org.** Every client of the same org (same accounts server,
  client id and refresh token) in this process shares one :class:`TokenCache`
  entry, and through the token file every process does too, so at most one
  refresh is in flight. A call refused with ``INVALID_TOKEN`` drops that token
  (only if nobody replaced it yet), refreshes and is retried once. Refreshes are
  also held to Zoho's 10 tokens per 10 minutes on the client side.
- **Retries that cannot duplicate.** 429, 5xx and network failures are retried
  with bounded exponential backoff and full jitter, but only when a retry is
  safe: a read, or a write that Zoho refused before doing anything (429, or a
  connection that was never made). A write that may have reached Zoho raises
  :class:`MaybeSentError`, and the caller looks its records up before sending
  anything again.
- **Budgets.** Calls count against the edition's daily credits and are held to
  its concurrency, per org, across threads.
- **No secrets out.** Error messages and log lines never carry a token, the
  client secret or the refresh token: every message is passed through
  :func:`redact`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx

from kamcore.errors import SourceError
from kamcore_adapters._http import (
    ClosingClient,
    ConcurrencyBudget,
    RateBudget,
    Secret,
    Token,
    TokenCache,
    redact,
)
from kamcore_adapters.zoho._settings import ZohoSettings

__all__ = [
    "API_PREFIX",
    "CREDIT_WAIT_LIMIT",
    "DISCRETE_PAGE_LIMIT",
    "PER_PAGE",
    "MaybeSentError",
    "ZohoClient",
    "ZohoError",
]

logger = logging.getLogger("kamcore_adapters.zoho")

API_PREFIX: Final = "/crm/v8"
PER_PAGE: Final = 200
"""Records per page: Zoho's maximum."""
DISCRETE_PAGE_LIMIT: Final = 2_000
"""Records that ``page`` numbers reach; past them only ``page_token`` pages on."""
TOKENS_PER_WINDOW: Final = 10
TOKEN_WINDOW_SECONDS: Final = 600.0
_DAY: Final = 86_400.0
CREDIT_WAIT_LIMIT: Final = 60.0
"""Seconds a call may wait for the daily credit budget before the client gives up."""
_REFRESH_CODES: Final = frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE"})
_HTTP_OK_MAX: Final = 299
_SERVER_ERROR: Final = 500
_UNAUTHORISED: Final = 401
_TOO_MANY: Final = 429
_NOTHING: Final = frozenset({204, 304})
_TOKEN_LIFETIME: Final = 3600.0
"""Seconds a token lives when Zoho's answer does not say (Zoho's tokens live an hour)."""
# A write that failed on these never reached Zoho: it is safe to send again.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class ZohoError(SourceError):
    """Zoho refused a call, or could not be reached.

    Attributes:
        status: the HTTP status, when Zoho answered.
        code: Zoho's error code (``INVALID_TOKEN``, ``LIMIT_EXCEEDED``…), when it gave one.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class MaybeSentError(ZohoError):
    """A write failed in a way that leaves open whether Zoho applied it.

    Sending it again could create a duplicate: look the records up first.
    """


def _refuse_long_waits(seconds: float) -> None:
    """Wait for the credit budget, unless that means hours: then say so instead."""
    if seconds > CREDIT_WAIT_LIMIT:
        raise ZohoError(
            f"the edition's daily API credits are used up on this machine; "
            f"the next call fits in {seconds / 3600:.1f} h (set edition and users to match the org)"
        )
    time.sleep(seconds)


class _Org:
    """What all clients of one org in this process share: tokens and budgets."""

    def __init__(self, settings: ZohoSettings) -> None:
        edition = settings.edition
        self.credits = RateBudget(
            edition.daily_credits(settings.users), _DAY, sleep=_refuse_long_waits
        )
        self.concurrency = ConcurrencyBudget(edition.concurrency)
        self.refreshes = RateBudget(TOKENS_PER_WINDOW, TOKEN_WINDOW_SECONDS)
        self.tokens = TokenCache(settings.state_directory)


_ORGS: dict[str, _Org] = {}
_ORGS_LOCK = threading.Lock()


def org_key(settings: ZohoSettings) -> str:
    """The key that names one org's token: a digest, so no secret is held in it."""
    material = "\x1f".join(
        [settings.accounts_url, settings.client_id, settings.refresh_token.reveal()]
    )
    return "zoho-" + hashlib.sha256(material.encode()).hexdigest()[:32]


def _org(settings: ZohoSettings) -> _Org:
    key = f"{org_key(settings)}\x1f{settings.state_directory}"
    with _ORGS_LOCK:
        return _ORGS.setdefault(key, _Org(settings))


def _parse(response: httpx.Response) -> Any:
    """The JSON body, with fractional numbers as exact ``Decimal``; ``None`` if there is none."""
    if not response.content:
        return None
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None


def _envelope(body: Any) -> tuple[str | None, str | None]:
    if isinstance(body, Mapping):
        code, message = body.get("code"), body.get("message")
        return (
            code if isinstance(code, str) else None,
            message if isinstance(message, str) else None,
        )
    return None, None


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asks to wait: ``Retry-After`` in seconds or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None  # unreadable: the backoff alone decides
    if moment.tzinfo is None:  # an HTTP date is GMT, even written without a zone
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _seconds(value: Any) -> float | None:
    """A positive number of seconds from a JSON number or numeric text, else ``None``."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _lifetime(body: Mapping[str, Any]) -> float:
    """How long a token lives, from either documented shape of the token answer.

    ``expires_in`` is seconds today; older answers gave ``expires_in_sec`` and
    ``expires_in`` in milliseconds. A value missing or unreadable means an hour.
    """
    seconds = _seconds(body.get("expires_in_sec"))
    if seconds is not None:
        return seconds
    given = _seconds(body.get("expires_in"))
    if given is None:
        return _TOKEN_LIFETIME
    return given / 1000.0 if given > _DAY else given  # milliseconds, in an older answer


def _more(info: Any) -> bool:
    """Whether ``info.more_records`` says more pages follow (a JSON ``true``, or ``"true"``)."""
    more = info.get("more_records") if isinstance(info, Mapping) else None
    return more is True or (isinstance(more, str) and more.strip().lower() == "true")


def _empty(response: httpx.Response) -> bool:
    """Whether a read found nothing: 204/304, or a success with no body at all."""
    return response.status_code in _NOTHING or (
        response.status_code <= _HTTP_OK_MAX and not response.content.strip()
    )


class ZohoClient(ClosingClient):
    """A synchronous client of one Zoho org (use it as a context manager).

    Args:
        settings: the profile's settings.
        transport: an httpx transport (tests may pass one); the network when ``None``.
        sleep: how to wait between retries.
        rand: the jitter's random source.
    """

    def __init__(
        self,
        settings: ZohoSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._org = _org(settings)
        self._key = org_key(settings)
        self._sleep = sleep
        self._rand = rand
        self._where = f"zoho:{settings.profile}"
        timeout = httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0))
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._secrets: list[str | Secret] = list(settings.secrets)
        self._secrets_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    # -- messages ----------------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        with self._secrets_lock:
            secrets = list(self._secrets)
        return redact(text, secrets)

    def _error(
        self,
        what: str,
        *,
        status: int | None = None,
        code: str | None = None,
        cls: type[ZohoError] = ZohoError,
    ) -> ZohoError:
        return cls(self._clean(f"{self._where}: {what}"), status=status, code=code)

    # -- tokens ------------------------------------------------------------------------------

    def token(self) -> Token:
        """The org's access token, refreshed (once for everyone) when it has expired."""
        token = self._org.tokens.get(self._key, self._refresh)
        with self._secrets_lock:
            if token.value not in self._secrets:
                self._secrets.append(token.value)
        return token

    def _refresh(self) -> Token:
        self._org.refreshes.acquire()
        settings = self.settings
        logger.debug("%s: refreshing the access token", self._where)
        form = {
            "grant_type": "refresh_token",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.reveal(),
            "refresh_token": settings.refresh_token.reveal(),
        }
        url = f"{settings.accounts_url}/oauth/v2/token"
        for attempt in range(settings.backoff.attempts):
            try:
                response = self._http.post(url, data=form)
            except httpx.TransportError as error:
                failure = f"{type(error).__name__}"
            else:
                if response.status_code < _SERVER_ERROR and response.status_code != _TOO_MANY:
                    return self._token_from(response)
                failure = f"HTTP {response.status_code}"
            if attempt + 1 < settings.backoff.attempts:
                self._sleep(settings.backoff.delay(attempt, rand=self._rand))
        raise self._error(f"the accounts server failed to issue a token ({failure})")

    def _token_from(self, response: httpx.Response) -> Token:
        body = _parse(response)
        # Zoho reports a refused refresh in the body (not always with an error
        # status): a missing access_token is the sign.
        access = body.get("access_token") if isinstance(body, Mapping) else None
        if not isinstance(access, str) or not access:
            reason = body.get("error") if isinstance(body, Mapping) else None
            described = body.get("error_description") if isinstance(body, Mapping) else None
            # Zoho's answer to an 11th token in 10 minutes: {"error": "Access Denied",
            # "error_description": "You have made too many requests continuously..."}.
            hint = (
                "Zoho issues at most 10 tokens per 10 minutes per refresh token "
                "(another process may have taken them); wait a few minutes and run again"
                if isinstance(described, str) and "too many requests" in described.lower()
                else "check client_id, client_secret, refresh_token and data_centre"
            )
            raise self._error(
                f"the token refresh was refused ({reason or f'HTTP {response.status_code}'}); "
                + hint,
                status=response.status_code,
                code=str(reason) if reason else None,
            )
        extra = {}
        domain = body.get("api_domain")
        if isinstance(domain, str) and domain.strip():
            extra["api_domain"] = domain.strip().rstrip("/")
        now = time.time()
        return Token(
            value=Secret(access), expires_at=now + _lifetime(body), extra=extra, issued_at=now
        )

    def _base_url(self, token: Token) -> str:
        return (
            self.settings.api_url or token.extra.get("api_domain") or self.settings.default_api_url
        )

    # -- calls -------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Call the API at *path* (``/crm/v8/...``), with retries, and return the answer.

        Args:
            method: the HTTP method.
            path: the path under the API host.
            params: query parameters.
            json_body: the JSON body.
            headers: extra headers.
            idempotent: whether sending the call twice does no harm (default: only
                for ``GET``). A non-idempotent call is retried only when Zoho surely
                did not act on it.

        Returns:
            Zoho's answer, any status but 401 (after one refresh), 429 and 5xx
            (after the retries).

        Raises:
            ZohoError: Zoho stayed unreachable or overloaded through every attempt.
            MaybeSentError: a non-idempotent call failed after it may have reached Zoho.
        """
        safe = method == "GET" if idempotent is None else idempotent
        backoff = self.settings.backoff
        refreshed = False
        attempt = 0
        while True:
            token = self.token()
            try:
                response = self._send(
                    method, path, token, params=params, json_body=json_body, headers=headers
                )
            except httpx.TransportError as error:
                name = type(error).__name__
                if not safe and not isinstance(error, _NOT_SENT):
                    raise self._error(
                        f"{method} {path} failed ({name}); it may have reached Zoho",
                        cls=MaybeSentError,
                    ) from None
                failure = name
                retry_after = None
            else:
                status = response.status_code
                if status == _UNAUTHORISED and not refreshed:
                    code, _ = _envelope(_parse(response))
                    if code is None or code in _REFRESH_CODES:
                        logger.debug("%s: token refused (%s); refreshing once", self._where, code)
                        self._org.tokens.invalidate(self._key, token)
                        refreshed = True
                        continue
                if status != _TOO_MANY and status < _SERVER_ERROR:
                    return response
                code, _ = _envelope(_parse(response))
                failure = f"HTTP {status} {code or ''}".strip()
                if not safe and status >= _SERVER_ERROR:
                    raise self._error(
                        f"{method} {path} failed ({failure}); it may have reached Zoho",
                        status=status,
                        code=code,
                        cls=MaybeSentError,
                    )
                retry_after = _retry_after(response)
            attempt += 1
            if attempt >= backoff.attempts:
                raise self._error(f"{method} {path} failed {attempt} times; last: {failure}")
            delay = backoff.delay(attempt - 1, retry_after, rand=self._rand)
            logger.debug(
                "%s: %s %s failed (%s); retry %d in %.2fs",
                self._where,
                method,
                path,
                failure,
                attempt,
                delay,
            )
            self._sleep(delay)

    def _send(
        self,
        method: str,
        path: str,
        token: Token,
        *,
        params: Mapping[str, str | int] | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        all_headers = {
            "Authorization": f"Zoho-oauthtoken {token.value.reveal()}",
            **(headers or {}),
        }
        with self._org.concurrency:
            self._org.credits.acquire()
            response = self._http.request(
                method,
                self._base_url(token) + path,
                params=dict(params or {}),
                json=json_body,
                headers=all_headers,
            )
        logger.debug("%s: %s %s -> %d", self._where, method, path, response.status_code)
        return response

    def _refused(self, what: str, response: httpx.Response) -> ZohoError:
        code, message = _envelope(_parse(response))
        detail = f"{code}: {message}" if code else f"HTTP {response.status_code}"
        return self._error(f"{what} was refused ({detail})", status=response.status_code, code=code)

    # -- reads -------------------------------------------------------------------------------

    def list_records(
        self,
        module: str,
        fields: Sequence[str],
        *,
        since: datetime | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record of *module* (changed since *since*, if given), page by page.

        Pages on with ``page`` through the first 2,000 records, then with the
        ``page_token`` Zoho hands out; if that token expires midway, the listing
        starts over once (the caller keeps records by id, so nothing doubles).
        """
        params: dict[str, str | int] = {
            "fields": ",".join(fields),
            "per_page": PER_PAGE,
            "sort_by": "id",
            "sort_order": "asc",
        }
        headers = {"If-Modified-Since": since.isoformat(timespec="seconds")} if since else None
        restarted = False
        page, page_token = 1, None
        path = f"{API_PREFIX}/{module}"
        while True:
            query = {**params, "page_token": page_token} if page_token else {**params, "page": page}
            response = self.request("GET", path, params=query, headers=headers)
            if _empty(response):
                return
            body = _parse(response)
            if response.status_code > _HTTP_OK_MAX or not isinstance(body, Mapping):
                code, _ = _envelope(body)
                if code == "EXPIRED_VALUE" and not restarted:
                    logger.info("%s: %s page token expired; listing again", self._where, module)
                    restarted, page, page_token = True, 1, None
                    continue
                raise self._refused(f"listing {module}", response)
            data = body.get("data") or []
            yield from data
            info = body.get("info") or {}
            # An empty page ends the listing whatever more_records says: a server
            # that says "more" on an exact multiple of the page size is not looped on.
            if not _more(info) or not data:
                return
            if page_token is not None or page * PER_PAGE >= DISCRETE_PAGE_LIMIT:
                next_token = info.get("next_page_token")
                if not isinstance(next_token, str) or not next_token or next_token == page_token:
                    if len(data) < PER_PAGE:
                        return  # a short page is the last one, whatever more_records says
                    raise self._error(f"listing {module}: more records, but no new next_page_token")
                page_token = next_token
            else:
                page += 1

    def _numbered_pages(
        self,
        path: str,
        params: Mapping[str, str | int],
        *,
        key: str,
        what: str,
        limit: int | None,
    ) -> Iterator[Any]:
        """The items under *key* of every page of *path*, paged on with ``page`` numbers.

        Ends at an empty answer or page, when ``more_records`` is not true, or
        once *limit* items (``None``: no limit) have been asked for.
        """
        page = 1
        while True:
            query: dict[str, str | int] = {**params, "per_page": PER_PAGE, "page": page}
            response = self.request("GET", path, params=query)
            if _empty(response):
                return
            body = _parse(response)
            if response.status_code > _HTTP_OK_MAX or not isinstance(body, Mapping):
                raise self._refused(what, response)
            items = body.get(key) or []
            yield from items
            info = body.get("info") or {}
            if not _more(info) or not items or (limit is not None and page * PER_PAGE >= limit):
                return
            page += 1

    def related_records(
        self, module: str, record_id: str, related: str, fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The records of a related list, such as an account's ``Notes``."""
        return list(
            self._numbered_pages(
                f"{API_PREFIX}/{module}/{record_id}/{related}",
                {"fields": ",".join(fields)},
                key="data",
                what=f"reading {module}/{record_id}/{related}",
                limit=DISCRETE_PAGE_LIMIT,
            )
        )

    def list_users(self, kind: str = "ActiveUsers") -> Iterator[Any]:
        """Every user of the org of *kind* (Zoho's ``type``), as Zoho writes them, page by page.

        Needs the scope ``ZohoCRM.users.READ`` (or ``ZohoCRM.users.ALL``): without
        it Zoho refuses with 401 ``OAUTH_SCOPE_MISMATCH``, raised as a
        :class:`ZohoError` with that code. Items are passed on unchecked (a
        malformed user is the caller's to set aside).
        """
        return self._numbered_pages(
            f"{API_PREFIX}/users", {"type": kind}, key="users", what="listing the users", limit=None
        )

    def coql(self, query: str) -> list[dict[str, Any]]:
        """The rows of a COQL ``select`` (a read, so retried like one)."""
        response = self.request(
            "POST", f"{API_PREFIX}/coql", json_body={"select_query": query}, idempotent=True
        )
        if _empty(response):
            return []
        body = _parse(response)
        if response.status_code > _HTTP_OK_MAX or not isinstance(body, Mapping):
            raise self._refused("a COQL query", response)
        return list(body.get("data") or [])

    # -- writes ------------------------------------------------------------------------------

    def create(self, module: str, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Create up to 100 *records* in *module*; Zoho's result for each, in order.

        A result has ``status`` ``success`` (with ``details.id``) or ``error``
        (with ``code``, ``message`` and ``details``).

        Raises:
            MaybeSentError: the call may have created some records; look them up.
            ZohoError: Zoho refused the whole call.
        """
        body: dict[str, Any] = {"data": list(records)}
        if self.settings.trigger is not None:
            body["trigger"] = list(self.settings.trigger)
        response = self.request("POST", f"{API_PREFIX}/{module}", json_body=body)
        answer = _parse(response)
        data = answer.get("data") if isinstance(answer, Mapping) else None
        # 201 (or 200): all created; 207 (or 202): some failed; 400 (or 202) with
        # per-record data: all failed. The status is not trusted: the data is.
        if isinstance(data, list) and len(data) == len(records):
            return [item if isinstance(item, dict) else {} for item in data]
        if response.status_code <= _HTTP_OK_MAX and _envelope(answer)[0] is None:
            # A success without a readable result per record: Zoho may well have
            # created them, so the caller looks them up before sending again.
            raise self._error(
                f"creating {len(records)} {module}: Zoho answered HTTP {response.status_code} "
                "without a result per record; they may have been created",
                status=response.status_code,
                cls=MaybeSentError,
            )
        raise self._refused(f"creating {len(records)} {module}", response)
