"""Token sources: the platform Secrets API (cfg.secretId) or an inline cfg.oauth token.

A token source hands out the current access token and, when Podio rejects it, replaces it.
Replacement is single-flight: one refresh at a time per credential, and callers that waited
for it reuse its result instead of refreshing again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import quote

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from podio_component.errors import (
    CredentialsError,
    InputError,
    ReauthenticateError,
    register_secret,
)
from podio_component.settings import Environment

log = logging.getLogger(__name__)

SECRETS_API_ATTEMPTS = 3


class TokenSource(Protocol):
    def token(self) -> str:
        """The access token to use now."""

    def refresh(self, rejected: str) -> str:
        """A token other than `rejected`, or ReauthenticateError when none can be had."""

    def fields(self) -> Mapping[str, Any]:
        """Credential fields stored with the token (retries, retriesDelay)."""


class InlineToken:
    """A token passed in cfg.oauth (legacy credentials). It cannot be refreshed here."""

    def __init__(self, access_token: str) -> None:
        register_secret(access_token)
        self._token = access_token

    def token(self) -> str:
        return self._token

    def refresh(self, rejected: str) -> str:
        raise ReauthenticateError(
            "Podio rejected the access token in cfg.oauth (HTTP 401) and an inline token "
            "cannot be refreshed by the component; re-authenticate this credential"
        )

    def fields(self) -> Mapping[str, Any]:
        return {}


class PlatformSecret:
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
        username, api_key = str(env.platform_username), str(env.platform_api_key)
        register_secret(api_key)
        self.secret_id = secret_id
        self._url = (
            f"{env.platform_api_uri}/v2/workspaces/{quote(str(env.workspace_id), safe='')}"
            f"/secrets/{quote(secret_id, safe='')}"
        )
        self._timeout = (env.connect_timeout, env.read_timeout)
        self._session = requests.Session()
        self._session.auth = (username, api_key)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._fields: Mapping[str, Any] = {}

    def token(self) -> str:
        with self._lock:
            if self._token is None:
                self._adopt(self._call("GET"))
            assert self._token is not None
            return self._token

    def refresh(self, rejected: str) -> str:
        with self._lock:
            if self._token is not None and self._token != rejected:
                return self._token  # another caller already replaced it
            # The Secrets service may already have refreshed in the background.
            token = self._adopt(self._call("GET"))
            if token == rejected:
                log.info("forcing a token refresh for secret %s", self.secret_id)
                token = self._adopt(self._call("POST", "/refresh"))
            if token == rejected:
                raise ReauthenticateError(
                    f"the platform could not give a new token for secret {self.secret_id}; "
                    "re-authenticate this credential"
                )
            return token

    def fields(self) -> Mapping[str, Any]:
        self.token()
        return self._fields

    def _adopt(self, credentials: Mapping[str, Any]) -> str:
        token = credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise CredentialsError(f"secret {self.secret_id} holds no access_token")
        register_secret(token)
        register_secret(credentials.get("refresh_token"))
        fields = credentials.get("fields")
        self._token = token
        self._fields = fields if isinstance(fields, Mapping) else {}
        return token

    def _call(self, method: str, suffix: str = "") -> Mapping[str, Any]:
        """One Secrets API call; network errors and 5xx get a few quick retries, as the
        platform's own API clients do."""
        retrying = Retrying(
            stop=stop_after_attempt(SECRETS_API_ATTEMPTS),
            wait=wait_exponential(multiplier=0.25, max=1),
            retry=retry_if_exception_type(_TransientSecretsError),
            reraise=True,
        )
        try:
            return retrying(self._call_once, method, suffix)
        except _TransientSecretsError as exc:  # the retry marker stays private
            raise CredentialsError(exc.message) from None

    def _call_once(self, method: str, suffix: str) -> Mapping[str, Any]:
        action = "refresh" if suffix else "read"
        try:
            response = self._session.request(
                method, self._url + suffix, timeout=self._timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise _TransientSecretsError(
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
            error = _TransientSecretsError if response.status_code >= 500 else CredentialsError
            raise error(
                f"could not {action} secret {self.secret_id}: the platform Secrets API answered "
                f"HTTP {response.status_code}" + (f" ({detail})" if detail else "")
            )
        try:
            credentials = response.json()["data"]["attributes"]["credentials"]
        except (ValueError, KeyError, TypeError):
            credentials = None
        if not isinstance(credentials, Mapping):
            raise CredentialsError(
                f"could not {action} secret {self.secret_id}: unexpected Secrets API response"
            )
        return credentials


class _TransientSecretsError(CredentialsError):
    """A Secrets API failure worth another try: no answer, or a 5xx."""


CredentialKey = tuple[str, ...]


def token_source_for(
    cfg: Mapping[str, Any], env: Environment
) -> tuple[CredentialKey, Callable[[], TokenSource]]:
    """The cache key of the credential that cfg names, and how to make its token source."""
    secret_id = cfg.get("secretId")
    if secret_id not in (None, ""):
        if not isinstance(secret_id, str):
            raise InputError("cfg.secretId", "expected a string")
        key = (
            "secret",
            env.platform_api_uri or "",
            env.workspace_id or "",
            env.platform_username or "",
            _fingerprint(env.platform_api_key or ""),
            secret_id,
        )
        return key, lambda: PlatformSecret(secret_id, env)
    oauth = cfg.get("oauth")
    if oauth is not None and not isinstance(oauth, Mapping):
        raise InputError("cfg.oauth", "expected an object holding access_token")
    token = oauth.get("access_token") if oauth is not None else None
    if not isinstance(token, str) or not token:
        raise CredentialsError(
            "no credential: cfg has neither secretId nor oauth.access_token; "
            "select a Podio credential for this step"
        )
    return ("inline", _fingerprint(token)), lambda: InlineToken(token)


def _fingerprint(secret: str) -> str:
    # Cache keys hold a digest, never the secret itself.
    return hashlib.sha256(secret.encode()).hexdigest()
