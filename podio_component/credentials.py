"""Credentials: which token source a step's cfg names, and what each credential shares.

Three token sources, in this order of precedence: the platform Secrets API (`cfg.secretId`),
a credential in the local store (`cfg.credential`, see `signin`; never under the platform
runtime) and an inline token (`cfg.oauth.access_token`). Each credential gets one token
source and one requests.Session per process, cached by a key that holds no secret. A token
source hands out the current token and, when Podio rejects it, replaces it single-flight:
one refresh at a time, and callers that waited for it share its outcome, success or failure.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential

from podio_component import events, retry_policy
from podio_component.client import PodioClient, Timeouts, TokenSource, new_session, send
from podio_component.deadline import Cooldown, Deadline
from podio_component.errors import (
    CredentialsError,
    InputError,
    PodioComponentError,
    ReauthenticateError,
)
from podio_component.redaction import logger, register_secret
from podio_component.retry_policy import RetryPolicy
from podio_component.settings import Environment, RetrySettings, environment
from podio_component.token_endpoint import GrantRefused, TokenEndpoint
from podio_component.validation import given_text, parse

log = logger(__name__)

SECRETS_API_ATTEMPTS = 3
RETRY_FIELDS = ("retries", "retriesDelay")
_HEADER_SAFE_TOKEN = re.compile(r"[\x21-\x7e]+")


def checked_token(value: object, where: str) -> str:
    """A token fit for an HTTP header, surrounding whitespace trimmed; never echoed."""
    if not isinstance(value, str) or not value.strip():
        raise CredentialsError(f"{where} holds no access token")
    register_secret(value)
    token = value.strip()
    register_secret(token)
    if not _HEADER_SAFE_TOKEN.fullmatch(token):
        raise CredentialsError(
            f"the access token in {where} cannot be sent in an HTTP header (it contains spaces, "
            "line breaks or other control characters); re-authenticate or enter it again"
        )
    return token


class _Failure(NamedTuple):
    rejected: str
    at: float
    error: CredentialsError


class _SingleFlight:
    """Replaces a token Podio rejected, one caller at a time. Callers that waited share the
    outcome, a refusal as much as a new token, until a request sent after the refusal is
    rejected again."""

    _token: str | None

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failure: _Failure | None = None

    def refresh(self, rejected: str, sent_at: float, deadline: Deadline) -> str:
        with self._lock:
            if self._token is not None and self._token != rejected:
                return self._token  # another caller already replaced it
            failure = self._failure
            if failure is not None and failure.rejected == rejected and failure.at >= sent_at:
                raise failure.error  # refused since this request was sent: nothing new to try
            try:
                return self._replace(rejected, deadline)
            except CredentialsError as exc:
                self._failure = _Failure(rejected, time.monotonic(), exc)
                raise

    def _replace(self, rejected: str, deadline: Deadline) -> str:
        raise NotImplementedError


class InlineToken(_SingleFlight):
    """A token given in cfg.oauth (legacy credentials).

    Under the platform runtime, a token Podio rejects is refreshed with
    cfg.oauth.refresh_token and PODIO_CLIENT_ID / PODIO_CLIENT_SECRET, and the new token
    response goes to the platform (`updateKeys`), which persists it. The new token is kept
    in this process either way, since Podio may already have retired the old refresh token.
    Outside the runtime nothing could persist a rotated token, so no refresh is tried.
    """

    _token: str

    def __init__(self, oauth: Mapping[str, Any], env: Environment) -> None:
        self._token = checked_token(oauth.get("access_token"), "cfg.oauth")
        refresh_token = oauth.get("refresh_token")
        register_secret(refresh_token)
        self._refresh_token = refresh_token if isinstance(refresh_token, str) else None
        self._env = env
        super().__init__()

    def token(self, deadline: Deadline) -> str:
        return self._token

    def stored_fields(self, deadline: Deadline) -> Mapping[str, Any]:
        return {}

    def _replace(self, rejected: str, deadline: Deadline) -> str:
        why = "Podio rejected the access token in cfg.oauth (HTTP 401)"
        if not events.in_runtime():
            raise ReauthenticateError(
                f"{why}; it is refreshed only under the platform runtime, which can keep "
                "the new one: re-authenticate this credential (outside the platform, sign in "
                "with `podio-component login NAME` and use --credential NAME)"
            )
        env = self._env
        missing = [
            name
            for name, value in (
                ("cfg.oauth.refresh_token", self._refresh_token),
                ("the PODIO_CLIENT_ID environment variable", env.client_id),
                ("the PODIO_CLIENT_SECRET environment variable", env.client_secret),
            )
            if not value
        ]
        if missing:
            raise ReauthenticateError(
                f"{why}; refreshing it needs {' and '.join(missing)}; set them, or "
                "re-authenticate this credential"
            )
        assert self._refresh_token is not None and env.client_id is not None
        endpoint = TokenEndpoint(env, env.client_id, env.client_secret)
        try:
            response = endpoint.grant(
                "the refresh token in cfg.oauth",
                {"grant_type": "refresh_token", "refresh_token": self._refresh_token},
                deadline,
            )
        except GrantRefused as exc:
            raise ReauthenticateError(f"{exc.message}; re-authenticate this credential") from None
        self._token = checked_token(response.get("access_token"), "Podio's token response")
        self._refresh_token = response.get("refresh_token") or self._refresh_token
        log.info("refreshed the inline token in cfg.oauth; handing it to the platform")
        try:
            events.update_keys({"oauth": response})
        except PodioComponentError as exc:
            raise CredentialsError(
                "Podio issued a new token for cfg.oauth (its refresh token may have been "
                f"replaced too), but the platform did not store it: {exc.message}. This "
                "process keeps using the new token; if the platform restarts the step with "
                "the old one, re-authenticate the credential"
            ) from None
        return self._token


class PlatformSecret(_SingleFlight):
    """A token kept by the platform's Secrets service, which also refreshes it."""

    def __init__(self, secret_id: str, env: Environment) -> None:
        missing = [
            name
            for name, value in (
                ("ELASTICIO_API_URI", env.platform_api_uri),
                ("ELASTICIO_API_USERNAME", env.platform_username),
                ("ELASTICIO_API_KEY", env.platform_api_key),
                ("ELASTICIO_WORKSPACE_ID", env.workspace_id),
            )
            if not value
        ]
        if missing:
            raise CredentialsError(
                f"cfg.secretId is set but the platform Secrets API is not configured: "
                f"missing environment variable(s) {', '.join(missing)}"
            )
        self.secret_id = secret_id
        self._url = (
            f"{env.platform_api_uri}/v2/workspaces/{quote(str(env.workspace_id), safe='')}"
            f"/secrets/{quote(secret_id, safe='')}"
        )
        self._timeouts = Timeouts(env.connect_timeout, env.read_timeout)
        self._session = new_session(str(env.platform_api_uri))
        self._session.auth = (str(env.platform_username), str(env.platform_api_key))
        self._token = None
        self._fields: Mapping[str, Any] = {}
        super().__init__()

    def token(self, deadline: Deadline) -> str:
        """The cached token; the first call reads the secret from the Secrets API."""
        with self._lock:
            if self._token is None:
                self._adopt(self._call("GET", "", deadline))
            assert self._token is not None
            return self._token

    def stored_fields(self, deadline: Deadline) -> Mapping[str, Any]:
        """The credential fields stored with the secret (retries, retriesDelay); the first
        call reads the secret, later ones answer from memory."""
        self.token(deadline)
        return self._fields

    def _replace(self, rejected: str, deadline: Deadline) -> str:
        # The Secrets service may already have refreshed in the background.
        token = self._adopt(self._call("GET", "", deadline))
        if token == rejected:
            log.info("forcing a token refresh for secret %s", self.secret_id)
            token = self._adopt(self._call("POST", "/refresh", deadline))
        if token == rejected:
            raise ReauthenticateError(
                f"the platform could not give a new token for secret {self.secret_id}; "
                "re-authenticate this credential"
            )
        return token

    def _adopt(self, credentials: Mapping[str, Any]) -> str:
        register_secret(credentials.get("refresh_token"))
        token = checked_token(credentials.get("access_token"), f"secret {self.secret_id}")
        fields = credentials.get("fields")
        self._token = token
        self._fields = fields if isinstance(fields, Mapping) else {}
        return token

    def _call(self, method: str, suffix: str, deadline: Deadline) -> Mapping[str, Any]:
        """One Secrets API call; no answer or a 5xx gets a few quick tries, as the platform's
        own API clients do, within the message's deadline."""
        action = "refresh" if suffix else "read"
        cut = False

        def stop(state: RetryCallState) -> bool:
            nonlocal cut
            if state.attempt_number >= SECRETS_API_ATTEMPTS:
                return True
            cut = deadline.remaining() <= state.upcoming_sleep
            return cut

        retrying = Retrying(
            stop=stop,
            wait=wait_exponential(multiplier=0.25, max=1),
            retry=retry_if_exception(lambda exc: isinstance(exc, _Transient)),
            reraise=True,
            sleep=lambda seconds: retry_policy.sleep(seconds),
        )
        try:
            return retrying(self._call_once, method, suffix, action, deadline)
        except _Transient as exc:  # the retry marker stays private
            note = " (stopped retrying: the message's deadline is near)" if cut else ""
            raise CredentialsError(exc.message + note, retry_later=True) from None

    def _call_once(
        self, method: str, suffix: str, action: str, deadline: Deadline
    ) -> Mapping[str, Any]:
        try:
            response, content = send(
                self._session,
                method,
                self._url + suffix,
                deadline=deadline,
                timeouts=self._timeouts,
            )
        except requests.RequestException as exc:
            raise _Transient(
                f"could not {action} secret {self.secret_id}: the platform Secrets API is "
                f"unreachable ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            detail = {
                401: "the platform rejected ELASTICIO_API_USERNAME/ELASTICIO_API_KEY",
                404: "no such secret in this workspace",
            }.get(response.status_code, "")
            if not detail and suffix and 400 <= response.status_code < 500:
                detail = "Podio refused the refresh token; re-authenticate this credential"
            error = _Transient if response.status_code >= 500 else CredentialsError
            raise error(
                f"could not {action} secret {self.secret_id}: the platform Secrets API answered "
                f"HTTP {response.status_code}" + (f" ({detail})" if detail else "")
            )
        try:
            credentials = json.loads(content)["data"]["attributes"]["credentials"]
        except (ValueError, KeyError, TypeError):
            credentials = None
        if not isinstance(credentials, Mapping):
            raise CredentialsError(
                f"could not {action} secret {self.secret_id}: unexpected Secrets API response"
            )
        return credentials


class _Transient(CredentialsError):
    """A Secrets API failure worth another try: no answer, or a 5xx."""


class CredentialTokens(TokenSource, Protocol):
    def stored_fields(self, deadline: Deadline) -> Mapping[str, Any]:
        """Credential fields kept with the token (a platform secret's retry settings)."""


class Credential(NamedTuple):
    """What one credential shares in the process: its token source, its Session and its
    rate-limit cooldown."""

    tokens: CredentialTokens
    session: requests.Session
    cooldown: Cooldown


CredentialKey = tuple[str, ...]
_MAX_CREDENTIALS = 128
_credentials: OrderedDict[CredentialKey, Credential] = OrderedDict()
_credentials_lock = threading.Lock()


def credential_for(cfg: Mapping[str, Any], env: Environment) -> Credential:
    """The shared credential that cfg names: `secretId` first, then inline `oauth`."""
    key, make_tokens = _token_source(cfg, env)
    with _credentials_lock:
        credential = _credentials.get(key)
        if credential is not None:
            _credentials.move_to_end(key)
            return credential
    credential = Credential(make_tokens(), new_session(env.api_url), Cooldown())
    with _credentials_lock:
        credential = _credentials.setdefault(key, credential)
        if len(_credentials) > _MAX_CREDENTIALS:
            _credentials.popitem(last=False)
        return credential


def forget_credentials() -> None:
    """Drop every cached credential (tests; a host that replaced a credential)."""
    with _credentials_lock:
        _credentials.clear()


def _token_source(
    cfg: Mapping[str, Any], env: Environment
) -> tuple[CredentialKey, Callable[[], CredentialTokens]]:
    secret_id = given_text(cfg.get("secretId"))
    if secret_id is not None:
        if not isinstance(secret_id, str):
            raise InputError("cfg.secretId", "expected a string", secret_id)
        key: CredentialKey = (
            "secret",
            env.platform_api_uri or "",
            env.workspace_id or "",
            env.platform_username or "",
            _fingerprint(env.platform_api_key or ""),
            secret_id,
        )
        return key, lambda: PlatformSecret(secret_id, env)
    name = given_text(cfg.get("credential"))
    if name is not None:
        return _stored(name, env)
    oauth = cfg.get("oauth")
    if oauth is not None and not isinstance(oauth, Mapping):
        raise InputError("cfg.oauth", "expected an object holding access_token")
    raw_token = oauth.get("access_token") if oauth is not None else None
    if not isinstance(raw_token, str) or not raw_token.strip():
        raise CredentialsError(
            "no credential: cfg has no secretId, credential or oauth.access_token; "
            "select a Podio credential for this step"
        )
    assert oauth is not None
    return ("inline", _fingerprint(raw_token.strip())), lambda: InlineToken(oauth, env)


def refuse_local_store(cfg: Mapping[str, Any]) -> None:
    """On the platform (the runtime, a service container) a local store is never read."""
    if given_text(cfg.get("secretId")) is None and given_text(cfg.get("credential")) is not None:
        raise CredentialsError(
            "cfg.credential names a credential in a local store, which the platform runtime "
            "never reads; select a platform credential (secretId) for this step"
        )


def _stored(name: object, env: Environment) -> tuple[CredentialKey, Callable[[], CredentialTokens]]:
    if events.in_runtime():
        refuse_local_store({"credential": name})
    from podio_component.signin.store import CredentialStore, checked_name
    from podio_component.signin.stored_token import StoredToken

    checked = checked_name(name, "cfg.credential")
    store = CredentialStore.from_environment(env)
    key = ("stored", str(store.directory), env.api_url, checked)
    return key, lambda: StoredToken(store, checked, env)


def _fingerprint(secret: str) -> str:
    # Cache keys hold a digest, never the secret itself.
    return hashlib.sha256(secret.encode()).hexdigest()


@lru_cache(maxsize=256)
def _policy(retries: int, delay_ms: int, max_wait: float) -> RetryPolicy:
    return RetryPolicy(retries, delay_ms / 1000, max_wait)


def retry_policy_for(fields: Mapping[str, Any], env: Environment) -> RetryPolicy:
    """The policy for a credential's retry fields; one object (and one tenacity Retrying)
    per distinct setting in the process."""
    settings = parse(RetrySettings, fields)
    return _policy(settings.retries, settings.retries_delay_ms, env.max_retry_wait)


def connect(cfg: object, deadline: Deadline | None = None) -> PodioClient:
    """The Podio client for one message: cfg's credential, its retry settings and the
    message's deadline (a new one unless given).

    For a platform secret this reads the secret on the credential's first use, since the
    secret holds the retry settings; a bad setting fails here, before Podio is called.
    """
    env = environment()
    if not isinstance(cfg, Mapping):
        raise InputError("cfg", "expected an object")
    deadline = deadline or Deadline(env.deadline)
    credential = credential_for(cfg, env)
    fields = {name: cfg[name] for name in RETRY_FIELDS if name in cfg}
    fields.update(credential.tokens.stored_fields(deadline))  # a secret's fields win
    return PodioClient(
        credential.session,
        credential.tokens,
        credential.cooldown,
        env.api_url,
        Timeouts(env.connect_timeout, env.read_timeout),
        retry_policy_for(fields, env),
        deadline,
    )
