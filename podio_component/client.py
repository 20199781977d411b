"""PodioClient: URL pinning, the auth header, one session per credential, retries.

One call to `PodioClient.request` is one logical request: it may make several HTTP attempts
(tenacity, driven by the pure rules in `retry`) and, within an attempt, one token refresh and
replay after a 401. The access token is only ever sent to the configured API base.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import requests.auth
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    stop_before_delay,
)

from podio_component import __version__, retry
from podio_component.credentials import CredentialKey, TokenSource, token_source_for
from podio_component.errors import (
    InputError,
    PodioHTTPError,
    PodioTransportError,
    ReauthenticateError,
)
from podio_component.settings import Environment, RetrySettings, parse

log = logging.getLogger(__name__)

MAX_PATH_LENGTH = 8192
_UNSAFE_PATH_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
sleep = time.sleep  # looked up at call time, so unit tests can record waits instead

USER_AGENT = f"podio-component/{__version__} python-requests/{requests.__version__}"


def pin_url(base: str, path: object) -> str:
    """Join the API base and a message's path, refusing anything that could change the host."""
    expected = "a path relative to the Podio API starting with a single '/', such as /user/status"
    if not isinstance(path, str) or not path:
        raise InputError("url", f"expected {expected}")
    if len(path) > MAX_PATH_LENGTH:
        raise InputError("url", f"expected at most {MAX_PATH_LENGTH} characters")
    if not path.startswith("/") or path.startswith("//"):
        raise InputError("url", f"expected {expected}; absolute and //host URLs are refused")
    if _UNSAFE_PATH_CHARS.search(path):
        raise InputError("url", "must not contain backslashes or control characters")
    path_only = path.split("?", 1)[0].split("#", 1)[0]
    if any(segment in (".", "..") for segment in unquote(path_only).split("/")):
        raise InputError("url", "must not contain '.' or '..' path segments")
    url = base + path
    joined, pinned = urlsplit(url), urlsplit(base)
    if (joined.scheme, joined.netloc) != (pinned.scheme, pinned.netloc):
        raise InputError("url", f"expected {expected}")
    return url


@dataclass(frozen=True)
class PodioResponse:
    """The final response of one logical request."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str]  # names lower-cased
    content: bytes
    attempts: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def error(self) -> PodioHTTPError:
        """The error this response stands for, with Podio's envelope fields."""
        envelope: Any = {}
        if self.media_type.endswith("json"):
            with suppress(ValueError):
                envelope = json.loads(self.content)
        if not isinstance(envelope, dict):
            envelope = {}
        text = self.content[:2000].decode("utf-8", "replace")
        return PodioHTTPError(
            self.method,
            self.path,
            self.attempts,
            self.status,
            error=_short(envelope.get("error")),
            description=_short(envelope.get("error_description")),
            request_id=_short(self.headers.get("x-podio-request-id")),
            retry_after=retry.rate_limit_wait(self.status, self.headers, text),
        )


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


def _short(value: object) -> str | None:
    return str(value)[:300] if value not in (None, "") else None


class PodioClient:
    """Talks to Podio for one credential; safe to share between threads."""

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})

    def request(
        self,
        method: str,
        path: str,
        *,
        env: Environment,
        retry_settings: RetrySettings,
        body: Any = None,
        params: Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        accept_errors: bool = False,
    ) -> PodioResponse:
        """Send one logical request; raise unless it ends in a 2xx (or accept_errors is set)."""
        url = pin_url(env.api_url, path)
        try:
            data = None if body is None else json.dumps(body, allow_nan=False).encode()
        except (ValueError, TypeError):  # NaN, a cycle, or an object JSON cannot hold
            raise InputError("data", "expected plain JSON values (no NaN or Infinity)") from None
        request_headers = dict(headers or {})
        if data is not None:
            request_headers["Content-Type"] = "application/json"
        started = time.monotonic()
        attempts = 0

        def attempt() -> requests.Response:
            nonlocal attempts
            attempts += 1
            remaining = env.deadline - (time.monotonic() - started)
            timeout = (env.connect_timeout, max(0.001, min(env.read_timeout, remaining)))
            token = self.tokens.token()
            response = self._send(method, url, token, data, params, request_headers, timeout)
            if response.status_code != 401:
                return response
            log.info("%s %s got HTTP 401; refreshing the token and replaying once", method, path)
            token = self.tokens.refresh(token)
            response = self._send(method, url, token, data, params, request_headers, timeout)
            if response.status_code == 401:
                raise ReauthenticateError(
                    f"{method} {path}: Podio rejected the refreshed token too (HTTP 401); "
                    "re-authenticate this credential"
                )
            return response

        def retryable_response(response: requests.Response) -> bool:
            if not retry.status_is_retryable(method, response.status_code):
                return False
            hint = _wait_hint(response)
            return hint is None or hint <= env.max_retry_wait

        def wait(state: RetryCallState) -> float:
            outcome = state.outcome
            hint = None if outcome is None or outcome.failed else _wait_hint(outcome.result())
            return retry.wait_seconds(hint, retry_settings.delay_seconds)

        def before_sleep(state: RetryCallState) -> None:
            outcome = state.outcome
            assert outcome is not None
            what = (
                type(outcome.exception()).__name__
                if outcome.failed
                else f"HTTP {outcome.result().status_code}"
            )
            delay = state.next_action.sleep if state.next_action else 0.0
            log.info(
                "%s %s got %s; retrying in %.3g s (attempt %d of %d)",
                method,
                path,
                what,
                delay,
                state.attempt_number + 1,
                retry_settings.attempts,
            )

        retrying = Retrying(
            stop=stop_after_attempt(retry_settings.attempts) | stop_before_delay(env.deadline),
            wait=wait,
            retry=retry_if_exception(lambda exc: retry.exception_is_retryable(method, exc))
            | retry_if_result(retryable_response),
            before_sleep=before_sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            sleep=lambda seconds: sleep(seconds),
        )
        try:
            raw = retrying(attempt)
        except requests.RequestException as exc:
            raise PodioTransportError(method, path, attempts, _describe(method, exc)) from None
        response = PodioResponse(
            method=method,
            path=path,
            status=raw.status_code,
            headers={name.lower(): value for name, value in raw.headers.items()},
            content=raw.content,
            attempts=attempts,
        )
        if not response.ok and not accept_errors and not _already_deleted(response):
            raise response.error()
        return response

    def _send(
        self,
        method: str,
        url: str,
        token: str,
        data: bytes | None,
        params: Sequence[tuple[str, str]] | None,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
    ) -> requests.Response:
        started = time.monotonic()
        response = self.session.request(
            method,
            url,
            data=data,
            params=params,
            headers=headers,
            auth=OAuth2Token(token),
            timeout=timeout,
            allow_redirects=False,  # a redirect must never carry the token to another host
        )
        if log.isEnabledFor(logging.DEBUG):
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug(
                "%s %s -> HTTP %d in %.0f ms",
                method,
                urlsplit(url).path,
                response.status_code,
                elapsed_ms,
            )
        return response


def _already_deleted(response: PodioResponse) -> bool:
    """A retried DELETE that finds the object gone: an earlier attempt whose answer was lost
    did the delete, so the step succeeded."""
    if response.method == "DELETE" and response.attempts > 1 and response.status in (404, 410):
        log.info(
            "%s %s answered HTTP %d on a retry; the object is already deleted",
            response.method,
            response.path,
            response.status,
        )
        return True
    return False


def _wait_hint(response: requests.Response) -> float | None:
    if response.status_code not in retry.RATE_LIMIT_STATUSES:
        return None
    return retry.rate_limit_wait(response.status_code, response.headers, response.text)


def _describe(method: str, exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        what = "connect timeout"
    elif isinstance(exc, requests.ReadTimeout):
        what = "read timeout"
    elif retry.never_sent(exc):
        what = "could not connect to Podio (connection refused or unreachable)"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        what = "the response body was cut short"
    elif isinstance(exc, requests.ConnectionError):
        what = "the connection was dropped before a response arrived"
    else:
        what = type(exc).__name__
    if method not in retry.IDEMPOTENT_METHODS and not retry.never_sent(exc):
        what += f"; a {method} is not replayed once it may have reached Podio"
    return what


@dataclass(frozen=True)
class Connection:
    """A credential's client with the settings one message runs under."""

    client: PodioClient
    env: Environment
    retry_settings: RetrySettings

    def request(self, method: str, path: str, **options: Any) -> PodioResponse:
        return self.client.request(
            method, path, env=self.env, retry_settings=self.retry_settings, **options
        )


def connect(cfg: object, env: Environment) -> Connection:
    """Resolve cfg's credential and retry settings; a bad setting fails before any request."""
    if not isinstance(cfg, Mapping):
        raise InputError("cfg", "expected an object")
    client = client_for(cfg, env)
    fields = {name: cfg[name] for name in ("retries", "retriesDelay") if name in cfg}
    fields.update(client.tokens.fields())  # a secret's stored fields win over step cfg
    return Connection(client, env, parse(RetrySettings, fields))


# One client (and so one requests.Session and one token source) per credential per process.
_MAX_CLIENTS = 128
_clients: OrderedDict[CredentialKey, PodioClient] = OrderedDict()
_clients_lock = threading.Lock()


def client_for(cfg: Mapping[str, Any], env: Environment) -> PodioClient:
    """The shared client for the credential that cfg names."""
    key, make_tokens = token_source_for(cfg, env)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = PodioClient(make_tokens())
            if len(_clients) > _MAX_CLIENTS:
                _clients.popitem(last=False)
        else:
            _clients.move_to_end(key)
        return client


def reset_clients() -> None:
    """Forget every cached client (tests; a credential that was replaced)."""
    with _clients_lock:
        _clients.clear()
