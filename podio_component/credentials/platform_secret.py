"""A token kept by the platform's Secrets service (`cfg.secretId`), which also refreshes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.context import Context
from podio_component.credentials.tokens import SingleFlight, checked_token
from podio_component.deadline import Deadline
from podio_component.errors import ReauthenticateError
from podio_component.platform.secrets import SecretsApi
from podio_component.redaction import logger, register_secret
from podio_component.settings import Environment

log = logger(__name__)


class PlatformSecret(SingleFlight):
    def __init__(self, secret_id: str, env: Environment) -> None:
        super().__init__()
        self.secret_id = secret_id
        self._api = SecretsApi(secret_id, env)
        self._token: str | None = None
        self._fields: Mapping[str, Any] = {}

    def token(self, deadline: Deadline, host: Context) -> str:
        """The cached token; the first call reads the secret from the Secrets API."""
        with self._lock:
            if self._token is None:
                self._adopt(self._api.read(deadline, host.clock.sleep))
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
        token = self._adopt(self._api.read(deadline, host.clock.sleep))
        if token == rejected:
            log.info("forcing a token refresh for secret %s", self.secret_id)
            token = self._adopt(self._api.refresh(deadline, host.clock.sleep))
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
