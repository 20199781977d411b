"""Scriptable faults and the request log, applied the same way to every side of the emulator.

`FaultingApp` wraps a side's handler (a function from request to response): it takes the
next scripted fault for the request, applies it, and logs the request exactly once, even
when the handler fails.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

from werkzeug.wrappers import Request, Response

from podio_component.redaction import logger

log = logger(__name__)

Handler = Callable[[Request], Response]
ErrorResponse = Callable[[Request, int, str], Response]
HOLD_LIMIT = 120.0  # seconds a held answer waits at most
MALFORMED_JSON = b'{"item_id": 12, "title": "cut'
LOGGED_BODY = 1024 * 1024  # bytes of a request's body the log keeps (an upload can be 100 MB)


@dataclass(frozen=True)
class Fault:
    """One scripted outcome for one matching request.

    status/body/headers replace the response; delay sleeps first (for read timeouts); drop
    closes the connection without a response; truncate sends the headers and half the body,
    then closes; drip sends the body one byte every `drip` seconds; malformed answers with a
    broken JSON body; apply runs the real handler first, so a write takes effect and only
    then does the fault happen; hold keeps the answer back until the test sets the event
    (with apply: the write is done, and the client has no answer yet).
    """

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    truncate: bool = False
    drip: float = 0.0
    malformed: bool = False
    apply: bool = False
    hold: threading.Event | None = None  # after the handler ran: wait until set (or 2 min)

    def label(self) -> str:
        flags = ("drop", "truncate", "malformed", "apply", "hold")
        kinds = [name for name in flags if getattr(self, name)]
        if self.status is not None:
            kinds.insert(0, str(self.status))
        if self.delay:
            kinds.append(f"delay {self.delay:g}s")
        if self.drip:
            kinds.append(f"drip {self.drip:g}s")
        return "+".join(kinds) or "pass"

    @property
    def replaces_answer(self) -> bool:
        """A status or malformed fault stands in for the handler, unless it applies first."""
        return not self.apply and (self.status is not None or self.malformed)


class FaultPlan:
    """For a method and a path pattern (fnmatch), a queue of outcomes consumed in order, or
    one outcome for every matching request during a window of time."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, str, deque[Fault]]] = []
        self._windows: list[tuple[str, str, Fault, float]] = []
        self._lock = threading.Lock()

    def add(self, method: str, pattern: str, *outcomes: Fault) -> None:
        with self._lock:
            self._rules.append((method.upper(), pattern, deque(outcomes)))

    def add_window(self, method: str, pattern: str, fault: Fault, seconds: float) -> None:
        """Every matching request in the next `seconds` gets `fault` (a rate limit lasts)."""
        with self._lock:
            self._windows.append((method.upper(), pattern, fault, time.monotonic() + seconds))

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for rule_method, pattern, fault, until in self._windows:
                if time.monotonic() < until and _matches(rule_method, pattern, method, path):
                    return fault
            for rule_method, pattern, outcomes in self._rules:
                if outcomes and _matches(rule_method, pattern, method, path):
                    return outcomes.popleft()
        return None


def _matches(rule_method: str, pattern: str, method: str, path: str) -> bool:
    return rule_method in (method, "*") and fnmatch.fnmatchcase(path, pattern)


@dataclass(frozen=True)
class LoggedRequest:
    side: str  # "podio" or "platform"
    method: str
    path: str
    query: str
    status: int | None  # None when the connection was dropped
    fault: str | None
    at: float
    body: bytes = b""
    authorization: str | None = (
        None  # the request's Authorization header, to see where a token went
    )


class RequestLog:
    """Every request either side received, in order; tests count what reached the server.

    A request is logged when it is answered; `wait_arrived` tells when one has arrived,
    which is where tests that kill or cut something mid-request wait.
    """

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._arrived: list[tuple[str, str]] = []
        self._lock = threading.Condition()

    def arrived(self, request: Request) -> None:
        with self._lock:
            self._arrived.append((request.method, request.path))
            self._lock.notify_all()

    def wait_arrived(
        self, method: str = "*", pattern: str = "*", count: int = 1, timeout: float = 20
    ) -> None:
        def enough() -> bool:
            return (
                sum(
                    1
                    for m, path in self._arrived
                    if method in ("*", m) and fnmatch.fnmatchcase(path, pattern)
                )
                >= count
            )

        with self._lock:
            if not self._lock.wait_for(enough, timeout):
                raise TimeoutError(f"fewer than {count} {method} {pattern} in {timeout} s")

    def record(self, side: str, request: Request, status: int | None, fault: Fault | None) -> None:
        entry = LoggedRequest(
            side,
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
            status,
            fault.label() if fault else None,
            time.time(),
            request.get_data(cache=True)[:LOGGED_BODY],
            request.headers.get("Authorization"),
        )
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def count(self, method: str = "*", pattern: str = "*") -> int:
        return sum(
            1
            for entry in self.entries()
            if method in ("*", entry.method) and fnmatch.fnmatchcase(entry.path, pattern)
        )


class FaultingApp:
    """The WSGI app of one side: its handler under the scripted faults, each request logged."""

    def __init__(
        self,
        side: str,
        handler: Handler,
        faults: FaultPlan,
        requests: RequestLog,
        error_response: ErrorResponse,
    ) -> None:
        self.side = side
        self.handler = handler
        self.faults = faults
        self.requests = requests
        self.error_response = error_response

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        request.get_data(cache=True)  # read before any fault closes the connection
        self.requests.arrived(request)
        fault = self.faults.take(request.method, request.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        response = (
            None if fault and fault.drop and not fault.apply else self._respond(request, fault)
        )
        if fault and fault.hold is not None:
            fault.hold.wait(HOLD_LIMIT)
        # A body-less response cannot be cut short: the closest fault is a drop.
        if fault and response and (fault.drop or (fault.truncate and not _body(response))):
            response = None
        # Logged before the connection is touched, so a client never sees a drop first.
        status = None if response is None else response.status_code
        self.requests.record(self.side, request, status, fault)
        if response is None:
            _drop(environ)
        if fault and fault.truncate:
            return _truncated(environ, response, start_response)
        if fault and fault.drip:
            return _dripped(response, fault.drip, start_response)
        return response(environ, start_response)

    def _respond(self, request: Request, fault: Fault | None) -> Response:
        if fault is None or not fault.replaces_answer:
            try:
                response = self.handler(request)
            except Exception:
                log.exception("emulator: the %s handler failed on %s", self.side, request.path)
                response = self.error_response(request, 500, "The emulator failed on this request")
        else:
            response = Response()
        if fault is None:
            return response
        if fault.malformed:
            response = Response(
                MALFORMED_JSON, status=fault.status or 200, content_type="application/json"
            )
        elif fault.status is not None:
            if fault.body is None:
                response = self.error_response(request, fault.status, "Injected fault")
            elif isinstance(fault.body, dict | list):
                response = Response(
                    json.dumps(fault.body), status=fault.status, content_type="application/json"
                )
            else:
                response = Response(fault.body, status=fault.status, content_type="text/plain")
        response.headers.update(fault.headers)
        return response


def _drop(environ: dict[str, Any]) -> NoReturn:
    _close(environ)
    raise ConnectionAbortedError("emulator dropped the connection (injected fault)")


def _close(environ: dict[str, Any]) -> None:
    sock: socket.socket | None = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _truncated(
    environ: dict[str, Any], response: Response, start_response: Callable[..., Any]
) -> Iterator[bytes]:
    """Announce the full length, send half the body, then close the connection."""
    body = _body(response)
    start_response(response.status, _headers_with_length(response, len(body)))
    yield body[: len(body) // 2]
    _drop(environ)


def _dripped(
    response: Response, interval: float, start_response: Callable[..., Any]
) -> Iterator[bytes]:
    """Send the body one byte at a time, `interval` seconds apart."""
    body = _body(response)
    start_response(response.status, _headers_with_length(response, len(body)))
    for index in range(len(body)):
        time.sleep(interval)
        yield body[index : index + 1]


def _body(response: Response) -> bytes:
    """The whole body, streamed ones (a file's) included; kept for the answer to send."""
    if response.direct_passthrough:
        body = b"".join(
            part.encode() if isinstance(part, str) else part for part in response.response
        )
        response.response = [body]
        return body
    return response.get_data()


def _headers_with_length(response: Response, length: int) -> list[tuple[str, str]]:
    return [
        *[(k, v) for k, v in response.headers.items() if k.lower() != "content-length"],
        ("Content-Length", str(length)),
    ]
