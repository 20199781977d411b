"""Podio's token endpoint (`POST {PODIO_API_URL}/oauth/token`, form-encoded) and the
two-factor completion (`POST /mfa/verify`).

Every sign-in flow, the refresh of a stored credential and the refresh of a legacy inline
token come through here. A token request is sent once and never retried: Podio may rotate
the refresh token on use, so a replay after a lost answer could only be refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from podio_component.deadline import Deadline
from podio_component.errors import CredentialsError
from podio_component.http import Timeouts, new_session, send
from podio_component.redaction import register_secret
from podio_component.settings import Environment

TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path, not a password)
MFA_PATH = "/mfa/verify"
SECRET_PARAMS = ("code", "refresh_token", "password", "app_token")


class GrantRefused(CredentialsError):
    """Podio's token endpoint answered with an OAuth error (`invalid_grant`, ...)."""

    def __init__(self, message: str, error: str) -> None:
        super().__init__(message)
        self.error = error


class TokenEndpoint:
    """Token requests to the Podio that PODIO_API_URL names, with one client id and secret."""

    def __init__(self, env: Environment, client_id: str, client_secret: str | None) -> None:
        register_secret(client_secret)
        self.api_url = env.api_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._timeouts = Timeouts(env.connect_timeout, env.read_timeout)
        self._session = new_session(env.api_url)

    def grant(self, what: str, params: Mapping[str, str], deadline: Deadline) -> dict[str, Any]:
        """Run one grant (`grant_type` plus its fields) and return Podio's answer: a token
        response, or for a password sign-in with two-factor authentication `server_nonce`.

        `what` names the request in errors ("the refresh token of credential work").
        """
        for name in SECRET_PARAMS:
            register_secret(params.get(name))
        form = {**params, "client_id": self.client_id}
        if self._client_secret is not None:
            form["client_secret"] = self._client_secret
        return self._post(what, TOKEN_PATH, {"data": form}, deadline)

    def verify_second_factor(self, nonce: str, otp: str, deadline: Deadline) -> dict[str, Any]:
        """Complete a password sign-in with the one-time code; returns the token response."""
        register_secret(nonce)
        register_secret(otp)
        body = {"nonce": nonce, "otp": otp}
        return self._post("the one-time code", MFA_PATH, {"json": body}, deadline)

    def _post(
        self, what: str, path: str, body: dict[str, Any], deadline: Deadline
    ) -> dict[str, Any]:
        url = self.api_url + path
        try:
            response, content = send(
                self._session, "POST", url, deadline=deadline, timeouts=self._timeouts, **body
            )
        except requests.RequestException as exc:
            raise CredentialsError(
                f"could not reach Podio at {url} ({type(exc).__name__}); nothing was changed",
                retry_later=True,
            ) from None
        try:
            answer = json.loads(content)
        except (ValueError, RecursionError):
            answer = None
        if not isinstance(answer, dict):
            answer = {}
        if response.status_code != 200:
            raise _refusal(what, response.status_code, answer)
        register_secret(answer.get("access_token"))
        register_secret(answer.get("refresh_token"))
        register_secret(answer.get("server_nonce"))
        if not isinstance(answer.get("access_token"), str) and not isinstance(
            answer.get("server_nonce"), str
        ):
            raise CredentialsError(f"{url} answered without an access token")
        return answer


def _refusal(what: str, status: int, answer: Mapping[str, Any]) -> CredentialsError:
    error = answer.get("error")
    description = answer.get("error_description")
    if isinstance(error, str) and status < 500:
        detail = f"{error}: {description}" if isinstance(description, str) else error
        return GrantRefused(f"Podio refused {what} ({detail})", error)
    return CredentialsError(
        f"Podio's token endpoint answered HTTP {status} for {what}", retry_later=status >= 500
    )
