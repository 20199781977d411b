"""A token given inline in cfg.oauth (legacy credentials)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.context import Context
from podio_component.credentials.tokens import SingleFlight, checked_token
from podio_component.deadline import Deadline
from podio_component.errors import CredentialsError, PodioComponentError, ReauthenticateError
from podio_component.podio.token_endpoint import GrantRefused, TokenEndpoint
from podio_component.redaction import logger, register_secret
from podio_component.settings import Environment

log = logger(__name__)


class InlineToken(SingleFlight):
    """Under the platform runtime, a token Podio rejects is refreshed with
    cfg.oauth.refresh_token and PODIO_CLIENT_ID / PODIO_CLIENT_SECRET, and the new token
    response goes to the platform (`updateKeys`), which persists it. The new token is kept
    in this process either way, since Podio may already have retired the old refresh token.
    Outside the runtime nothing could persist a rotated token, so no refresh is tried.
    """

    def __init__(self, oauth: Mapping[str, Any], env: Environment) -> None:
        super().__init__()
        self._token = checked_token(oauth.get("access_token"), "cfg.oauth")
        refresh_token = oauth.get("refresh_token")
        register_secret(refresh_token)
        self._refresh_token = refresh_token if isinstance(refresh_token, str) else None
        self._env = env

    def token(self, deadline: Deadline, host: Context) -> str:
        return self._token

    def current(self) -> str:
        return self._token

    def stored_fields(self, deadline: Deadline, host: Context) -> Mapping[str, Any]:
        return {}

    def replace(self, rejected: str, deadline: Deadline, host: Context) -> str:
        why = "Podio rejected the access token in cfg.oauth (HTTP 401)"
        if not host.on_platform or host.events is None:
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
            host.events.update_keys({"oauth": response})
        except PodioComponentError as exc:
            raise CredentialsError(
                "Podio issued a new token for cfg.oauth (its refresh token may have been "
                f"replaced too), but the platform did not store it: {exc.message}. This "
                "process keeps using the new token; if the platform restarts the step with "
                "the old one, re-authenticate the credential"
            ) from None
        return self._token
