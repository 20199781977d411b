"""HTTP on the ground floor: a cookie-less Session for one host, and one request whose every
byte arrives by a deadline. The Podio transport (`podio/`) and the platform wing's requests-based
calls (`platform/`) send through here; neither follows a redirect.
"""

from __future__ import annotations

import http.cookiejar
import os
from collections.abc import Callable
from typing import Any, NamedTuple

import requests
import urllib3.exceptions
from requests.utils import get_environ_proxies

from podio_component import __version__
from podio_component.deadline import MIN_TIMEOUT, Deadline

_READ_CHUNK = 64 * 1024
USER_AGENT = f"podio-component/{__version__} python-requests/{requests.__version__}"


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """A shared session must not carry one message's cookies into the next."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def new_session(base_url: str) -> requests.Session:
    """A Session for one host that keeps no cookies and reads the proxy environment once.

    requests would otherwise scan the whole environment for proxy and CA settings on every
    request; for a fixed host the answer never changes, so it is resolved here instead.
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies = get_environ_proxies(base_url)
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    session.cookies.set_policy(_NoCookies())
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
    return session


class Timeouts(NamedTuple):
    connect: float
    read: float


class DeadlineBeforeSending(requests.ConnectTimeout):
    """The message's deadline passed before the request could be sent."""


class DeadlineWhileReading(requests.ReadTimeout):
    """The message's deadline passed while the answer was still arriving."""


Sink = Callable[[bytes], None]


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    deadline: Deadline,
    timeouts: Timeouts,
    sink: Sink | None = None,
    **options: Any,
) -> tuple[requests.Response, bytes]:
    """One HTTP request, no redirects followed, whose every byte arrives by the deadline.

    The connect and read timeouts are shortened to the time left, and the body is read a
    piece at a time, re-arming the socket timeout, so a body that drips in slowly cannot
    outlast the deadline (a plain read timeout restarts with every byte). With a `sink`, a
    2xx body is handed to it piece by piece instead of kept (a file moving through).
    """
    if deadline.expired():
        raise DeadlineBeforeSending("the deadline passed before the request was sent")
    response = session.request(
        method,
        url,
        timeout=(deadline.cap(timeouts.connect), deadline.cap(timeouts.read)),
        allow_redirects=False,  # a redirect must never carry a credential to another host
        stream=True,
        **options,
    )
    into = sink if sink is not None and 200 <= response.status_code < 300 else None
    return response, _read_body(response, deadline, timeouts.read, into)


def _read_body(
    response: requests.Response, deadline: Deadline, read_timeout: float, sink: Sink | None
) -> bytes:
    raw = response.raw
    parts: list[bytes] = []
    keep = parts.append if sink is None else sink
    try:
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                raise DeadlineWhileReading("the deadline passed while the body was arriving")
            connection = raw.connection  # None once the whole body has arrived
            if connection is not None and connection.sock is not None:
                connection.sock.settimeout(max(MIN_TIMEOUT, min(read_timeout, remaining)))
            chunk = raw.read1(_READ_CHUNK, decode_content=True)
            if not chunk:
                return b"".join(parts)
            keep(chunk)
    except urllib3.exceptions.ReadTimeoutError as exc:
        response.close()
        raise requests.ReadTimeout(exc) from None
    except urllib3.exceptions.ProtocolError as exc:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except urllib3.exceptions.DecodeError as exc:
        response.close()
        raise requests.exceptions.ContentDecodingError(exc) from None
    except urllib3.exceptions.SSLError as exc:
        response.close()
        raise requests.exceptions.SSLError(exc) from None
    except BaseException:  # requests' own, or the sink's (a file over its limit)
        response.close()
        raise


def never_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        cause = exc.args[0]
        if isinstance(cause, urllib3.exceptions.MaxRetryError):
            return isinstance(cause.reason, urllib3.exceptions.NewConnectionError)
    return False
