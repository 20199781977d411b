"""A credential from the local store as a token source: refreshed ahead of its expiry, once
across threads and processes, and saved before the new token is used."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from podio_component.context import Context
from podio_component.credentials.store import CredentialStore, StoredCredential, StoreNotWritable
from podio_component.credentials.tokens import SingleFlight
from podio_component.deadline import Deadline
from podio_component.errors import CredentialsError, ReauthenticateError
from podio_component.podio.token_endpoint import GrantRefused, TokenEndpoint
from podio_component.redaction import logger
from podio_component.settings import Environment

log = logger(__name__)


class NotSaved(CredentialsError):
    """Podio issued a new token but the store could not keep it."""

    def __init__(self, message: str, credential: StoredCredential) -> None:
        super().__init__(message)
        self.credential = credential


def check_issuer(credential: StoredCredential, env: Environment) -> None:
    """A token (and its refresh token) is only ever sent to the Podio that issued it."""
    if credential.api_url != env.api_url:
        raise CredentialsError(
            f"credential {credential.name} was issued by {credential.api_url}, but "
            f"PODIO_API_URL is {env.api_url}; a token is only sent to the Podio that issued it"
        )


def refresh_locked(
    store: CredentialStore, credential: StoredCredential, env: Environment, deadline: Deadline
) -> StoredCredential:
    """Refresh a credential and save the result before returning it; the caller holds the
    credential's lock. Raises CredentialsError (GrantRefused when Podio refuses the refresh
    token, NotSaved when the new token could not be written)."""
    name = credential.name
    check_issuer(credential, env)
    if credential.grant == "client_side":
        raise CredentialsError(
            f"credential {name} came from the client-side flow, which Podio does not refresh"
        )
    if credential.refresh_token is None:
        raise CredentialsError(f"credential {name} holds no refresh token")
    secret = credential.client_secret or env.client_secret
    if not secret:
        raise CredentialsError(
            f"refreshing credential {name} needs its client secret: set PODIO_CLIENT_SECRET, "
            f"or sign in again with --save-client-secret"
        )
    asked_at = time.time()
    response = TokenEndpoint(env, credential.client_id, secret).grant(
        f"the refresh token of credential {name}",
        {"grant_type": "refresh_token", "refresh_token": credential.refresh_token},
        deadline,
    )
    renewed = credential.renewed(response, asked_at)
    try:
        store.save(renewed)
    except OSError as exc:
        raise NotSaved(
            f"Podio issued a new token for credential {name} but it could not be saved to "
            f"{store.path(name)} ({exc.strerror}); if Podio also replaced the refresh token, "
            f"sign in again: podio-component login {name}",
            renewed,
        ) from None
    log.info("refreshed credential %s; it now expires in %.0f s", name, renewed.expires_in())
    return renewed


class StoredToken(SingleFlight):
    """The token source for `cfg.credential`. The token is refreshed when it is within
    PODIO_REFRESH_MARGIN of its expiry, or when Podio rejects it; either refresh holds the
    credential's file lock, so other processes wait for it and then read its result."""

    def __init__(self, store: CredentialStore, name: str, env: Environment) -> None:
        super().__init__()
        self.name = name
        self._store = store
        self._env = env
        self._credential: StoredCredential | None = None

    def stored_fields(self, deadline: Deadline, host: Context) -> Mapping[str, Any]:
        return {}

    def token(self, deadline: Deadline, host: Context) -> str:
        with self._lock:
            credential = self._credential or self._adopt(self._store.load(self.name))
            left = credential.expires_in()
            if left > self._env.refresh_margin or (credential.grant == "client_side" and left > 0):
                return credential.access_token  # (a client-side token cannot be refreshed)
            return self._renew_ahead(deadline)

    def current(self) -> str | None:
        return self._credential.access_token if self._credential is not None else None

    def replace(self, rejected: str, deadline: Deadline, host: Context) -> str:
        with self._store.locked(self.name, deadline.remaining()):
            stored = self._adopt(self._store.load(self.name))
            if stored.access_token != rejected:
                return stored.access_token  # another process refreshed, or a new sign-in
            try:
                return self._refresh(stored, deadline).access_token
            except NotSaved:
                raise
            except CredentialsError as exc:
                why = "Podio rejected its access token (HTTP 401)"
                raise self._sign_in_again(why, exc) from None

    def _renew_ahead(self, deadline: Deadline) -> str:
        try:
            return self._renew_ahead_locked(deadline)
        except StoreNotWritable as exc:  # raised before anything was asked of Podio
            current = self._credential
            if current is None or current.expires_in() <= 0:
                raise
            self._warn_not_renewed(exc, current.expires_in())
            return current.access_token

    def _renew_ahead_locked(self, deadline: Deadline) -> str:
        with self._store.locked(self.name, deadline.remaining()):
            stored = self._adopt(self._store.load(self.name))
            if stored.expires_in() > self._env.refresh_margin:
                return stored.access_token  # another process refreshed it while we waited
            try:
                return self._refresh(stored, deadline).access_token
            except NotSaved:
                raise
            except CredentialsError as exc:
                left = stored.expires_in()
                if left <= 0:
                    raise self._sign_in_again("it has expired", exc) from None
                self._warn_not_renewed(exc, left)
                return stored.access_token

    def _warn_not_renewed(self, why: CredentialsError, left: float) -> None:
        log.warning(
            "could not refresh credential %s ahead of its expiry (%s); using its current "
            "token, which expires in %.0f s",
            self.name,
            why.message,
            left,
        )

    def _refresh(self, stored: StoredCredential, deadline: Deadline) -> StoredCredential:
        try:
            return self._adopt(refresh_locked(self._store, stored, self._env, deadline))
        except NotSaved as exc:
            # This message fails, but later ones use the new token: the old one may be dead.
            self._credential = exc.credential
            raise

    def _adopt(self, credential: StoredCredential) -> StoredCredential:
        check_issuer(credential, self._env)
        self._credential = credential
        return credential

    def _sign_in_again(self, why: str, cause: CredentialsError) -> CredentialsError:
        if cause.retry_later:
            return CredentialsError(
                f"credential {self.name} could not be used: {why}, and refreshing it "
                f"failed: {cause.message}",
                retry_later=True,
            )
        client_side = self._credential is not None and self._credential.grant == "client_side"
        return ReauthenticateError(
            f"credential {self.name} could not be used: {why}, and it could not be "
            f"refreshed: {cause.message}{refused_note(cause)}; sign in again: "
            f"podio-component login {self.name}{' --client-side' if client_side else ''}"
        )


def refused_note(error: CredentialsError) -> str:
    if isinstance(error, GrantRefused) and error.error == "invalid_grant":
        return " (the refresh token has expired or was already used)"
    return ""
