"""What every CRM client needs around its HTTP calls: secrets, backoff, budgets, tokens.

The CRM adapters share these pieces and keep their vendor's shapes to
themselves: a Zoho client reads errors from HTTP statuses, a Fenxiang Xiaoke
client from ``errorCode`` in 200 answers, but both back off the same way, count
calls against the same kind of budget and refresh a token once for all threads
and processes of one org.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Self

import attrs

__all__ = [
    "Backoff",
    "ClosingClient",
    "ConcurrencyBudget",
    "RateBudget",
    "RedactingFilter",
    "Secret",
    "Token",
    "TokenCache",
    "redact",
]

_HIDDEN = "***"


@attrs.frozen(repr=False)
class Secret:
    """A secret value (a client secret, a token) that never shows in a repr or a message.

    >>> secret = Secret("1000.abc")
    >>> secret
    Secret('***')
    >>> secret.reveal()
    '1000.abc'
    """

    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        """The secret's text, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_HIDDEN}')"

    __str__ = __repr__


@attrs.frozen
class Backoff:
    """Bounded exponential backoff with full jitter.

    Attributes:
        attempts: how many times a call is tried in all before giving up.
        base: the first delay's ceiling, in seconds.
        cap: no delay is longer than this, in seconds.
    """

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0

    def delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before retry number *attempt* (counted from 0).

        Full jitter (a random share of ``base * 2**attempt``, capped) spreads the
        retries of many clients; a server's ``Retry-After`` is a floor, still capped.
        """
        ceiling = min(self.cap, self.base * 2.0**attempt)
        wait = rand() * ceiling
        if retry_after is not None:
            wait = max(wait, min(self.cap, retry_after))
        return wait


class RateBudget:
    """At most *calls* calls in any window of *per_seconds*, shared by threads.

    ``acquire()`` blocks until a call fits the window, then counts it. The clock
    and the sleep can be replaced so tests need not wait.
    """

    def __init__(
        self,
        calls: int,
        per_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if calls < 1 or per_seconds <= 0:
            raise ValueError("a rate budget needs calls >= 1 and per_seconds > 0")
        self.calls = calls
        self.per_seconds = per_seconds
        self._clock = clock
        self._sleep = sleep
        self._made: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until a call fits in the window, and count it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._made and self._made[0] <= now - self.per_seconds:
                    self._made.popleft()
                if len(self._made) < self.calls:
                    self._made.append(now)
                    return
                wait = self._made[0] + self.per_seconds - now
            self._sleep(wait)

    def __repr__(self) -> str:
        return f"RateBudget({self.calls}, {self.per_seconds})"


class ConcurrencyBudget:
    """At most *limit* calls in flight at once: ``with budget: ...``."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a concurrency budget needs limit >= 1")
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    def __enter__(self) -> ConcurrencyBudget:
        self._slots.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._slots.release()

    def __repr__(self) -> str:
        return f"ConcurrencyBudget({self.limit})"


class ClosingClient:
    """A client that closes its connections when a ``with`` block ends.

    Subclasses implement :meth:`close`.
    """

    def close(self) -> None:
        """Close the client's connections."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _frozen(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Token:
    """An access token and when it expires.

    Attributes:
        value: the token.
        expires_at: when it expires, in epoch seconds.
        extra: what came with it that the client needs (Zoho's ``api_domain``).
        issued_at: when it was issued, if known (it shortens the margin of a
            short-lived token).
    """

    value: Secret = attrs.field(repr=False)
    expires_at: float
    extra: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    issued_at: float | None = None

    def fresh(self, now: float, margin: float = 60.0) -> bool:
        """Whether the token is still good *margin* seconds from *now*.

        For a token that lives less than ten margins (a test server's, a
        sandbox's) the margin is a tenth of its life, so that a token of a
        minute is used for most of that minute, not refreshed at every call.

        >>> Token(value=Secret("t"), expires_at=1030.0, issued_at=1000.0).fresh(1020.0)
        True
        """
        if self.issued_at is not None:
            margin = min(margin, (self.expires_at - self.issued_at) / 10)
        return now + margin < self.expires_at


class TokenCache:
    """One access token per key (an org, a tenant), refreshed once for everyone.

    Threads of one process share a token through a per-key lock. With a
    *directory*, processes share it too: the refresh runs under an exclusive
    file lock and the token is kept in a file only the user can read, so a
    second process waiting on the lock finds the new token instead of asking
    for another (vendors limit how many tokens may be issued).
    """

    def __init__(
        self, directory: Path | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.directory = directory
        self._clock = clock
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str, fetch: Callable[[], Token]) -> Token:
        """The fresh token for *key*, calling *fetch* (once, for everyone) when there is none."""
        token = self._tokens.get(key)
        if token is not None and token.fresh(self._clock()):
            return token
        with self._lock_for(key), self._file_lock(key):
            token = self._tokens.get(key) or self._read(key)
            if token is None or not token.fresh(self._clock()):
                token = fetch()
                self._write(key, token)
            self._tokens[key] = token
            return token

    def invalidate(self, key: str, token: Token) -> None:
        """Forget *token* for *key* (the server refused it), unless it was replaced already.

        Comparing with the cached token is what makes eight threads that were
        all refused the same token cause one refresh, not eight.
        """
        with self._lock_for(key), self._file_lock(key):
            if self._tokens.get(key) == token:
                del self._tokens[key]
            stored = self._read(key)
            if stored == token:
                self._path(key, ".json").unlink(missing_ok=True)

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _path(self, key: str, suffix: str) -> Path:
        assert self.directory is not None
        name = hashlib.sha256(key.encode()).hexdigest()[:24]
        return self.directory / f"{name}{suffix}"

    @contextlib.contextmanager
    def _file_lock(self, key: str) -> Iterator[None]:
        if self.directory is None:
            yield
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self._path(key, ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read(self, key: str) -> Token | None:
        if self.directory is None:
            return None
        try:
            stored = json.loads(self._path(key, ".json").read_text(encoding="utf-8"))
            issued_at = stored.get("issued_at")
            return Token(
                value=Secret(stored["value"]),
                expires_at=float(stored["expires_at"]),
                extra=stored.get("extra", {}),
                issued_at=None if issued_at is None else float(issued_at),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no token kept yet, or a damaged file: fetch a new one

    def _write(self, key: str, token: Token) -> None:
        if self.directory is None:
            return
        path = self._path(key, ".json")
        partial = path.with_suffix(".tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "value": token.value.reveal(),
                    "expires_at": token.expires_at,
                    "extra": dict(token.extra),
                    "issued_at": token.issued_at,
                },
                handle,
            )
        partial.replace(path)


def _texts(secrets: Iterable[str | Secret]) -> list[str]:
    texts = (secret.reveal() if isinstance(secret, Secret) else secret for secret in secrets)
    # Longest first, so a secret that contains another is hidden whole.
    return sorted({text for text in texts if text}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str | Secret]) -> str:
    """*text* with every secret's value replaced by ``***``.

    >>> redact("refresh_token=1000.abc&x=1", ["1000.abc"])
    'refresh_token=***&x=1'
    """
    for secret in _texts(secrets):
        text = text.replace(secret, _HIDDEN)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that hides secrets in a record's message and arguments.

    Install it on the handlers (or loggers) that could see a client's traffic;
    it never drops a record.
    """

    def __init__(self, secrets: Iterable[str | Secret]) -> None:
        super().__init__()
        self._secrets = _texts(secrets)

    def add(self, secret: str | Secret) -> None:
        """Hide *secret* too (a token obtained after the filter was installed)."""
        self._secrets = _texts([*self._secrets, secret])

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message, self._secrets)
        record.args = None
        return True
