"""The emulated OAuth: token-endpoint grants, tokens, authorization codes, authentication."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from typing import Any

from podio_component.emulator.podio.model import ApiError, Clock, Directory, Grant


class OAuth:
    def __init__(
        self,
        directory: Directory,
        clock: Clock,
        lock: threading.RLock,
        *,
        token_lifetime: float,
        rotate_refresh_tokens: bool,
    ) -> None:
        self.directory = directory
        self.clock = clock
        self.lock = lock
        self.token_lifetime = token_lifetime
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, tuple[str, str, int]] = {}  # code -> client, redirect_uri, user
        self.nonces: dict[str, Grant] = {}  # two-factor sign-ins waiting for their code

    def check_client(self, client_id: str, client_secret: str) -> None:
        client = self.directory.clients.get(client_id)
        if client is None or not secrets.compare_digest(
            str(client["client_secret"]), client_secret
        ):
            raise ApiError(400, "invalid_client", "invalid_auth")

    def issue_tokens(self, grant: Grant) -> dict[str, Any]:
        """A token response, as Podio's token endpoint returns it."""
        with self.lock:
            access, refresh = secrets.token_hex(32), secrets.token_hex(32)
            grant.expires_at = self.clock.now() + self.token_lifetime
            self.access_tokens[access] = grant
            self.refresh_tokens[refresh] = grant
            return {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": int(self.token_lifetime),
                "refresh_token": refresh,
                "scope": grant.scope,
                "ref": {"type": grant.ref_type, "id": grant.ref_id},
            }

    def token_grant(
        self, params: Mapping[str, Any], client_id: str, client_secret: str
    ) -> dict[str, Any]:
        """Run one token-endpoint grant; raises ApiError(400, ...) as Podio does."""
        text = _text_params(params)
        grant_type = text.get("grant_type")
        if not grant_type:
            raise ApiError(400, "invalid_request", "grant_type is required")
        self.check_client(client_id, client_secret)
        scope = text.get("scope") or "global:all"
        with self.lock:
            if grant_type == "authorization_code":
                code = self.codes.pop(text.get("code", ""), None)
                if code is None or code[0] != client_id:
                    raise ApiError(400, "invalid_grant", "invalid or expired authorization code")
                if text.get("redirect_uri") != code[1]:
                    raise ApiError(400, "invalid_grant", "redirect_uri does not match")
                return self.issue_tokens(Grant("user", code[2], client_id, scope))
            if grant_type == "refresh_token":
                old = self.refresh_tokens.get(text.get("refresh_token", ""))
                if old is None or old.client_id != client_id:
                    raise ApiError(400, "invalid_grant", "invalid or expired refresh token")
                if self.rotate_refresh_tokens:
                    del self.refresh_tokens[text["refresh_token"]]
                return self.issue_tokens(Grant(old.ref_type, old.ref_id, client_id, old.scope))
            if grant_type == "password":
                user = self.directory.user_by_mail(text.get("username", ""))
                if user is None or not secrets.compare_digest(
                    str(user["password"]), text.get("password", "")
                ):
                    raise ApiError(400, "invalid_client", "invalid_auth")
                grant = Grant("user", user["user_id"], client_id, scope)
                if user.get("otp"):  # two-factor: the one-time code completes it at /mfa/verify
                    nonce = secrets.token_hex(16)
                    self.nonces[nonce] = grant
                    return {"server_nonce": nonce}
                return self.issue_tokens(grant)
            if grant_type == "app":
                app_id = text.get("app_id", "")
                app = self.directory.apps.get(int(app_id)) if app_id.isdigit() else None
                if app is None or not secrets.compare_digest(
                    str(app["app_token"]), text.get("app_token", "")
                ):
                    raise ApiError(400, "invalid_grant", "invalid app_id or app_token")
                return self.issue_tokens(
                    Grant("app", app["app_id"], client_id, f"app:{app['app_id']}:all")
                )
        raise ApiError(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def verify_second_factor(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """POST /mfa/verify: the nonce from a password grant plus the user's one-time code."""
        text = _text_params(params)
        with self.lock:
            grant = self.nonces.get(text.get("nonce", ""))
            if grant is None:
                raise ApiError(400, "nonce_validation_error", "invalid or expired nonce")
            otp = str(self.directory.users[grant.ref_id]["otp"])
            if not secrets.compare_digest(otp, text.get("otp", "")):
                raise ApiError(400, "invalid_second_factor", "the one-time code is wrong")
            del self.nonces[text["nonce"]]
            return self.issue_tokens(grant)

    def new_code(self, client_id: str, redirect_uri: str, user_id: int) -> str:
        with self.lock:
            code = secrets.token_hex(16)
            self.codes[code] = (client_id, redirect_uri, user_id)
            return code

    def authenticate(self, token: str | None) -> Grant:
        if not token:
            raise ApiError(401, "unauthorized", "Authorization header missing")
        with self.lock:
            grant = self.access_tokens.get(token)
        if grant is None:
            raise ApiError(401, "invalid_token", "invalid_token")
        if grant.expires_at <= self.clock.now():
            raise ApiError(
                401,
                "unauthorized",
                "expired_token",
                {"WWW-Authenticate": 'Bearer realm="podio", error="expired_token"'},
            )
        return grant

    def expire_all_tokens(self) -> None:
        with self.lock:
            for grant in self.access_tokens.values():
                grant.expires_at = 0.0


def _text_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Token-endpoint parameters are text; anything else is Podio's 400, not a crash."""
    for name, value in params.items():
        if not isinstance(value, str):
            raise ApiError(400, "invalid_request", f"parameter {name} must be a string")
    return dict(params)
