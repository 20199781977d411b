"""The platform's Secrets API for one secret (`cfg.secretId`): read it, or ask the platform to
refresh it. What the credentials it holds mean is `credentials/platform_secret.py`'s business.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests

from podio_component.deadline import Deadline
from podio_component.errors import CredentialsError
from podio_component.http import Timeouts, new_session, send
from podio_component.quick_retry import QuickRetry, Transient
from podio_component.settings import Environment

# No answer or a 5xx gets a few quick tries, as the platform's own API clients do.
SECRETS_API_RETRY = QuickRetry(attempts=3, first_wait=0.25, max_wait=1)


class SecretsApi:
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

    def read(self, deadline: Deadline, sleep: Callable[[float], None]) -> Mapping[str, Any]:
        """The secret's credentials: access_token, refresh_token, fields, ..."""
        return self._call("GET", "", deadline, sleep)

    def refresh(self, deadline: Deadline, sleep: Callable[[float], None]) -> Mapping[str, Any]:
        """Have the platform refresh the token now; the credentials it then holds."""
        return self._call("POST", "/refresh", deadline, sleep)

    def _call(
        self, method: str, suffix: str, deadline: Deadline, sleep: Callable[[float], None]
    ) -> Mapping[str, Any]:
        """One Secrets API call, within the message's deadline."""
        action = "refresh" if suffix else "read"
        try:
            return SECRETS_API_RETRY.call(
                lambda: self._call_once(method, suffix, action, deadline),
                deadline=deadline,
                sleep=sleep,
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
