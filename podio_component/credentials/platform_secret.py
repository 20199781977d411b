"""A token kept by the platform's Secrets service (`cfg.secretId`), which also refreshes it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from podio_component.context import Context
from podio_component.credentials.tokens import SingleFlight, checked_token
from podio_component.deadline import Deadline
from podio_component.errors import CredentialsError, ReauthenticateError
from podio_component.podio.client import Timeouts, new_session, send
from podio_component.quick_retry import QuickRetry, Transient
from podio_component.redaction import logger, register_secret
from podio_component.settings import Environment

log = logger(__name__)

# No answer or a 5xx gets a few quick tries, as the platform's own API clients do.
SECRETS_API_RETRY = QuickRetry(attempts=3, first_wait=0.25, max_wait=1)


class PlatformSecret(SingleFlight):
    def __init__(self, secret_id: str, env: Environment) -> None:
        super().__init__()
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
        self._token: str | None = None
        self._fields: Mapping[str, Any] = {}

    def token(self, deadline: Deadline, host: Context) -> str:
        """The cached token; the first call reads the secret from the Secrets API."""
        with self._lock:
            if self._token is None:
                self._adopt(self._call("GET", "", deadline, host))
            assert self._token is not None
            return self._token

    def current(self) -> str | None:
        return self._token

    def stored_fields(self, deadline: Deadline, host: Context) -> Mapping[str, Any]:
        """The credential fields stored with the secret (retries, retriesDelay); the first
        call reads the secret, later ones answer from memory."""
        self.token(deadline, host)
        return self._fields

    def replace(self, rejected: str, deadline: Deadline, host: Context) -> str:
        # The Secrets service may already have refreshed in the background.
        token = self._adopt(self._call("GET", "", deadline, host))
        if token == rejected:
            log.info("forcing a token refresh for secret %s", self.secret_id)
            token = self._adopt(self._call("POST", "/refresh", deadline, host))
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

    def _call(
        self, method: str, suffix: str, deadline: Deadline, host: Context
    ) -> Mapping[str, Any]:
        """One Secrets API call, within the message's deadline."""
        action = "refresh" if suffix else "read"
        try:
            return SECRETS_API_RETRY.call(
                lambda: self._call_once(method, suffix, action, deadline),
                deadline=deadline,
                sleep=host.clock.sleep,
            )
        except Transient as exc:
            raise CredentialsError(exc.message, retry_later=True) from None

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
            raise Transient(
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
            error = Transient if response.status_code >= 500 else CredentialsError
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
