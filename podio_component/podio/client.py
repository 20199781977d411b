"""The transport to Podio: URL pinning, the auth object, one logical request and its attempts.

`PodioClient.request` is one logical request: the retry policy drives its attempts, and an
attempt that Podio answers with 401 gets one token refresh and one replay. The access token
is only ever sent to the configured API base, and every byte arrives by the deadline.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote, urljoin, urlsplit

import requests
import requests.auth
from requests_toolbelt import MultipartEncoder

from podio_component.context import Context
from podio_component.deadline import Cooldown, Deadline
from podio_component.errors import (
    CooldownError,
    InputError,
    PodioTransportError,
    ReauthenticateError,
    readable_seconds,
)
from podio_component.http import (
    DeadlineBeforeSending,
    DeadlineWhileReading,
    Timeouts,
    never_sent,
    send,
)
from podio_component.podio.response import PodioResponse
from podio_component.podio.retry_policy import (
    RATE_LIMIT_STATUSES,
    Answer,
    Attempts,
    CoolingDown,
    RetryBudget,
    RetryPolicy,
)
from podio_component.redaction import logger
from podio_component.spool import Spool

log = logger(__name__)

MAX_PATH_LENGTH = 8192
_UNSAFE_PATH_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
EVERY_STATUS: Collection[int] = range(100, 600)


def pin_url(base: str, path: object) -> str:
    """Join the API base and a message's path, refusing anything that could change the host."""
    expected = (
        "expected a path relative to the Podio API starting with a single '/', such as /user/status"
    )
    if not isinstance(path, str) or not path:
        raise InputError("url", expected, path)
    if len(path) > MAX_PATH_LENGTH:
        raise InputError("url", f"expected at most {MAX_PATH_LENGTH} characters", path)
    if not path.startswith("/") or path.startswith("//"):
        raise InputError("url", f"{expected}; absolute and //host URLs are refused", path)
    if _UNSAFE_PATH_CHARS.search(path):
        raise InputError("url", "must not contain backslashes or control characters", path)
    path_only = path.split("?", 1)[0].split("#", 1)[0]
    if any(segment in (".", "..") for segment in unquote(path_only).split("/")):
        raise InputError("url", "must not contain '.' or '..' path segments", path)
    url = base + path
    joined = urlsplit(url)
    if (joined.scheme, joined.netloc) != _origin(base):
        raise InputError("url", expected, path)
    return url


@lru_cache(maxsize=8)
def _origin(base: str) -> tuple[str, str]:
    parts = urlsplit(base)
    return parts.scheme, parts.netloc


class OAuth2Token(requests.auth.AuthBase):
    """Podio's documented `Authorization: OAuth2 <token>`.

    Passed as `auth=`, so requests never falls back to ~/.netrc, whose entry for the API host
    would otherwise replace the token.
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"OAuth2 {self._token}"
        return request

    def __repr__(self) -> str:
        return "OAuth2Token(***)"


def encode_json_body(body: Any) -> bytes | None:
    try:
        return None if body is None else json.dumps(body, allow_nan=False).encode()
    except (ValueError, TypeError):  # NaN, a cycle, or an object JSON cannot hold
        raise InputError("data", "expected plain JSON values (no NaN or Infinity)") from None
    except RecursionError:
        raise InputError("data", "is nested too deeply to send") from None


BodyFactory = Callable[[], tuple[Any, Mapping[str, str]]]
Part = str | tuple[str, Spool, str]  # a text, or a file: (its name, its bytes, its type)
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 3


class Outgoing(NamedTuple):
    """What goes on the wire for one logical request, the token aside."""

    url: str
    data: bytes | None
    params: Sequence[tuple[str, str]]
    headers: Mapping[str, str]
    body: BodyFactory | None = None  # a streamed body, made afresh for each attempt
    sink: Spool | None = None  # where a 2xx body goes (emptied for each attempt)
    follow: bool = False  # follow redirects (the token only to the API's host)


class TokenSource(Protocol):
    def token(self, deadline: Deadline, host: Context) -> str:
        """The access token to use now."""

    def refresh(self, rejected: str, sent_at: float, deadline: Deadline, host: Context) -> str:
        """A token other than `rejected` (which Podio refused on a request sent at the
        monotonic time `sent_at`), or ReauthenticateError when none can be had."""


class PodioClient:
    """Podio as one message sees it: a credential (its name, which holds no secret, and its
    session and token source, shared in the process), the message's retry policy, its
    deadline and its host context."""

    __slots__ = (
        "api_url",
        "cooldown",
        "credential",
        "deadline",
        "host",
        "policy",
        "session",
        "timeouts",
        "tokens",
    )

    def __init__(
        self,
        credential: tuple[str, ...],
        session: requests.Session,
        tokens: TokenSource,
        cooldown: Cooldown,
        api_url: str,
        timeouts: Timeouts,
        policy: RetryPolicy,
        deadline: Deadline,
        host: Context,
    ) -> None:
        self.credential = credential  # names the credential in caches; holds no secret
        self.session = session
        self.tokens = tokens
        self.cooldown = cooldown
        self.api_url = api_url
        self.timeouts = timeouts
        self.policy = policy
        self.deadline = deadline
        self.host = host

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
        read: bool = False,
    ) -> PodioResponse:
        """Send one logical request. A non-2xx final status raises PodioHTTPError unless it
        is in `accept` (EVERY_STATUS to get every answer back). `read` marks a POST that
        changes nothing (Podio's filter): it is retried as a GET is."""
        data = encode_json_body(body)
        extra = dict(headers or {})
        if data is not None:
            extra["Content-Type"] = "application/json"
        outgoing = Outgoing(pin_url(self.api_url, path), data, params, extra)
        return self._logical(method, path, outgoing, accept, read)

    def upload(
        self, path: str, parts: Mapping[str, Part], params: Sequence[tuple[str, str]] = ()
    ) -> PodioResponse:
        """POST a multipart body, each file part streamed from its spool, over HTTP/1.1 (a
        Podio upload: `source`, a file with its name, and `filename`). A write: never sent
        again once it may have reached Podio, and then its error says so."""

        def body() -> tuple[Any, Mapping[str, str]]:
            fields = {
                name: part if isinstance(part, str) else (part[0], part[1].rewind(), part[2])
                for name, part in parts.items()
            }
            encoder = MultipartEncoder(fields=fields)
            return encoder, {"Content-Type": encoder.content_type}

        outgoing = Outgoing(pin_url(self.api_url, path), None, params, {}, body=body)
        return self._logical("POST", path, outgoing, (), False)

    def request_raw(
        self,
        path: str,
        spool: Spool,
        params: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
        *,
        follow: bool = True,
    ) -> PodioResponse:
        """GET an answer's body (a file's) streamed into `spool`; the response keeps only the
        headers (an error answer's body aside). A read, retried, the spool emptied for each
        attempt. A redirect is followed (unless not to `follow`), the token sent only to the
        API's own host."""
        sent = {"Accept": "*/*", **(headers or {})}
        outgoing = Outgoing(
            pin_url(self.api_url, path), None, params, sent, sink=spool, follow=follow
        )
        return self._logical("GET", path, outgoing, accept, True)

    def _logical(
        self, method: str, path: str, outgoing: Outgoing, accept: Collection[int], read: bool
    ) -> PodioResponse:
        attempts = Attempts(method, path, self.deadline, read)
        outcome = self.policy.run(lambda: self._attempt(attempts, outgoing), attempts, self.host)
        note = "; gave up waiting to retry: shutting down" if attempts.abandoned else ""
        note += _deadline_note(attempts)
        if outgoing.body is not None and self.policy.may_have_acted(outcome):
            note += "; the file may exist in Podio, uploaded and not attached to anything"
        if not isinstance(outcome, Answer):
            raise self._failure(attempts, outcome, note) from None
        response = PodioResponse.of(method, path, outcome, attempts.sent)
        if response.ok or response.status in accept:
            return response
        if self.policy.counts_as_done(method, response.status, attempts):
            log.info(
                "%s %s answered HTTP %d after an attempt that got no answer; "
                "that attempt deleted it",
                method,
                path,
                response.status,
            )
            return response
        raise response.error(
            self.policy.why_not_replayed(method, outcome, read=attempts.read) + note,
            retry_later=self.policy.retry_later(outcome),
            may_have_acted=self.policy.may_have_acted(outcome),
        )

    def budget(self) -> RetryBudget:
        """This message's retry budget, for an operation retried as a whole."""
        return self.policy.budget(self.deadline, self.host)

    def _failure(
        self, attempts: Attempts, outcome: BaseException, note: str
    ) -> CooldownError | PodioTransportError:
        """The error for a request that got no usable answer."""
        method, path = attempts.method, attempts.path
        if isinstance(outcome, CoolingDown):
            return CooldownError(
                method,
                path,
                attempts.sent,
                "not sent: Podio rate-limited this credential, which cools down for "
                f"{readable_seconds(outcome.remaining)} more{note}",
                retry_later=True,
            )
        assert isinstance(outcome, requests.RequestException)
        return PodioTransportError(
            method,
            path,
            attempts.sent,
            _describe(outcome, attempts.deadline.setting)
            + self.policy.why_not_replayed(method, outcome, read=attempts.read)
            + note,
            retry_later=self.policy.retry_later(outcome),
            may_have_acted=self.policy.may_have_acted(outcome),
        )

    def _attempt(self, attempts: Attempts, outgoing: Outgoing) -> Answer:
        remaining = self.cooldown.remaining()
        if remaining > 0:
            raise CoolingDown(remaining)
        token = self.tokens.token(self.deadline, self.host)
        sent_at = self.host.clock.monotonic()
        answer = self._send(attempts, outgoing, token)
        if answer.status != 401:
            return answer
        log.info("%s %s got HTTP 401; refreshing the token and replaying once", *_what(attempts))
        token = self.tokens.refresh(token, sent_at, self.deadline, self.host)
        answer = self._send(attempts, outgoing, token)
        if answer.status == 401:
            raise ReauthenticateError(
                f"{attempts.method} {attempts.path}: Podio rejected the refreshed token too "
                "(HTTP 401); re-authenticate this credential"
            )
        return answer

    def _send(self, attempts: Attempts, outgoing: Outgoing, token: str) -> Answer:
        attempts.sent += 1
        started = self.host.clock.monotonic()
        data: Any = outgoing.data
        headers = outgoing.headers
        if outgoing.body is not None:
            data, made = outgoing.body()
            headers = {**headers, **made}
        sink = outgoing.sink
        if sink is not None:
            sink.reset()
        response, content = send(
            self.session,
            attempts.method,
            outgoing.url,
            deadline=self.deadline,
            timeouts=self.timeouts,
            data=data,
            params=outgoing.params or None,  # None, not empty: requests then skips merging
            headers=headers or None,
            auth=OAuth2Token(token),
            sink=None if sink is None else sink.write,
        )
        if outgoing.follow:
            response, content = self._follow(response, content, outgoing, token)
        if log.isEnabledFor(logging.DEBUG):  # checked first: this runs for every request
            log.debug(
                "%s %s -> HTTP %d in %.0f ms",
                *_what(attempts),
                response.status_code,
                (self.host.clock.monotonic() - started) * 1000,
            )
        answer = Answer.of(response, content)
        if answer.status in RATE_LIMIT_STATUSES:
            hint = answer.wait_hint
            self.cooldown.start(self.policy.delay if hint is None else hint)
        return answer

    def _follow(
        self, response: requests.Response, content: bytes, outgoing: Outgoing, token: str
    ) -> tuple[requests.Response, bytes]:
        """Redirects of a raw download, a few at most: the token goes only to the API's own
        host, never to another one a redirect names."""
        url = outgoing.url
        for _ in range(MAX_REDIRECTS):
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                break
            url = urljoin(url, location)
            same = _origin(url) == _origin(self.api_url)
            assert outgoing.sink is not None
            outgoing.sink.reset()
            response, content = send(
                self.session,
                "GET",
                url,
                deadline=self.deadline,
                timeouts=self.timeouts,
                headers=dict(outgoing.headers) or None,
                auth=OAuth2Token(token) if same else None,
                sink=outgoing.sink.write,
            )
        return response, content


def _what(attempts: Attempts) -> tuple[str, str]:
    return attempts.method, attempts.path


def _deadline_note(attempts: Attempts) -> str:
    if not attempts.cut_by_deadline:
        return ""
    return (
        f"; stopped retrying: the next attempt would pass the message's deadline "
        f"({attempts.deadline.setting}, {attempts.deadline.seconds:g} s)"
    )


def _describe(exc: requests.RequestException, deadline_setting: str) -> str:
    """What went wrong on the wire, in words; transport errors are translated only here."""
    if isinstance(exc, DeadlineBeforeSending | DeadlineWhileReading):
        return f"the message's deadline ({deadline_setting}) passed: {exc}"
    if isinstance(exc, requests.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.ReadTimeout):
        return "read timeout"
    if never_sent(exc):
        return "could not connect to Podio (connection refused or unreachable)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the response body was cut short"
    if isinstance(exc, requests.ConnectionError):
        return "the connection was dropped before a response arrived"
    return type(exc).__name__
