"""A loopback HTTP server for testing CRM clients against a local imitation of the CRM."""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType, TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import attrs

__all__ = ["Fault", "Faults", "LoopbackServer", "ManualClock", "Request", "Response"]


class ManualClock:
    """A clock the test moves by hand, in epoch seconds; safe to share between threads."""

    def __init__(self, start: float) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        with self._lock:
            self._now += seconds

    def __repr__(self) -> str:
        return f"ManualClock({self.now()})"


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Request:
    """A request the server received.

    Attributes:
        method: ``GET``, ``POST``…
        path: the path, without the query.
        query: the query parameters, each with all its values.
        headers: the headers, with lower-case names.
        body: the raw body.
    """

    method: str
    path: str
    query: Mapping[str, list[str]] = attrs.field(factory=dict, converter=_frozen)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def param(self, name: str) -> str | None:
        """The first value of query parameter *name*, if given."""
        values = self.query.get(name)
        return values[0] if values else None


@attrs.frozen
class Response:
    """What the server answers.

    Attributes:
        status: the HTTP status.
        body: the raw body.
        headers: extra headers.
    """

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
        """A JSON response."""
        return cls(
            status,
            json.dumps(payload, ensure_ascii=False).encode(),
            {"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
        )


FaultKind = Literal["status", "reset", "delay"]


@attrs.frozen(kw_only=True)
class Fault:
    """A misbehaviour to show the client instead of (or around) the normal answer.

    Attributes:
        path_prefix: the requests it applies to.
        kind: ``status`` answers *status*/*body*/*headers* instead; ``reset``
            closes the connection with a TCP reset and no answer; ``delay``
            sleeps *delay* seconds, then answers normally.
        times: how many matching requests it applies to.
        handled: for ``status`` and ``reset``, run the handler first, so the
            request took effect although the client sees a failure.
        method: only requests with this method (``POST``), any when ``None``.
    """

    path_prefix: str
    kind: FaultKind
    times: int = 1
    status: int = 500
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    delay: float = 0.0
    handled: bool = False
    method: str | None = None

    def matches(self, path: str, method: str) -> bool:
        """Whether a request to *path* with *method* gets this fault."""
        return path.startswith(self.path_prefix) and self.method in (None, method.upper())


class Faults:
    """The faults waiting to be shown, first added first used."""

    def __init__(self) -> None:
        self._waiting: list[list[Any]] = []  # [fault, remaining]
        self._lock = threading.Lock()

    def add(
        self,
        path_prefix: str,
        kind: FaultKind,
        *,
        times: int = 1,
        status: int = 500,
        body: bytes | str | Mapping[str, Any] = b"",
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        handled: bool = False,
        method: str | None = None,
    ) -> Fault:
        """Show the next *times* requests under *path_prefix* this fault.

        A mapping *body* is sent as JSON (with a JSON content type).
        """
        extra = dict(headers or {})
        if isinstance(body, Mapping):
            raw = json.dumps(body, ensure_ascii=False).encode()
            extra.setdefault("Content-Type", "application/json;charset=UTF-8")
        else:
            raw = body.encode() if isinstance(body, str) else body
        fault = Fault(
            path_prefix=path_prefix,
            kind=kind,
            times=times,
            status=status,
            body=raw,
            headers=extra,
            delay=delay,
            handled=handled,
            method=None if method is None else method.upper(),
        )
        with self._lock:
            self._waiting.append([fault, times])
        return fault

    def take(self, path: str, method: str = "GET") -> Fault | None:
        """The fault for a request to *path* with *method*, counted as used, if any."""
        with self._lock:
            for waiting in self._waiting:
                fault, remaining = waiting
                if remaining > 0 and fault.matches(path, method):
                    waiting[1] = remaining - 1
                    return fault  # type: ignore[no-any-return]
        return None

    def clear(self) -> None:
        """Drop every waiting fault."""
        with self._lock:
            self._waiting.clear()

    @property
    def pending(self) -> int:
        """How many fault showings are still waiting."""
        with self._lock:
            return sum(remaining for _, remaining in self._waiting)


Handler = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet on a client that went away (a killed process, a reset): that is the test."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY every small answer waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the server's log would only repeat the test's requests."""

    def _serve(self) -> None:
        owner = self.server.owner
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        owner.record(request)
        fault = owner.faults.take(request.path, request.method)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay)
            fault = None
        if fault is not None and fault.handled:
            owner.handler(request)
        if fault is not None and fault.kind == "reset":
            self._reset()
            return
        if fault is not None:
            response = Response(fault.status, fault.body, fault.headers)
        else:
            response = owner.handler(request)
        self._answer(response)

    def _answer(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        # 204 and 304 carry no body by definition.
        body = b"" if response.status in (204, 304) else response.body
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class LoopbackServer:
    """An HTTP server on 127.0.0.1 that answers with *handler*, for a test's duration.

    >>> def hello(request: Request) -> Response:
    ...     return Response.json(200, {"path": request.path})
    >>> with LoopbackServer(hello) as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.faults = Faults()
        self._requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's base URL, ``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("the server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[Request]:
        """A copy of every request received so far, in order of arrival."""
        with self._lock:
            return list(self._requests)

    def record(self, request: Request) -> None:
        """Keep *request* in :attr:`requests` (called by the server for each request)."""
        with self._lock:
            self._requests.append(request)

    def start(self) -> LoopbackServer:
        """Start serving in a background thread."""
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
