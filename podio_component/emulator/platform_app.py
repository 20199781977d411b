"""The emulated platform API: the Secrets API (workspace secrets, forced refresh)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from podio_component.emulator.podio_app import json_response

ROUTES = Map(
    [
        Rule("/v2/workspaces/<workspace>/secrets/<secret_id>", endpoint="secret", methods=["GET"]),
        Rule(
            "/v2/workspaces/<workspace>/secrets/<secret_id>/refresh",
            endpoint="refresh",
            methods=["POST"],
        ),
    ]
)
TOKEN_FIELDS = ("access_token", "refresh_token", "expires_in", "scope")


def error_response(request: Request, status: int, title: str) -> Response:
    return json_response({"errors": [{"title": title}]}, status)


@dataclass
class Secret:
    secret_id: str
    name: str
    client_id: str
    credentials: dict[str, Any]  # access_token, refresh_token, expires_in, scope, fields


@dataclass
class Platform:
    """Workspace, API user and the secrets it keeps; refreshes through the Podio side."""

    podio_url: str = ""
    client_secret: str = ""
    workspace_id: str = "emulator-workspace"
    username: str = "emulator-api-user"
    api_key: str = field(default_factory=lambda: secrets.token_hex(16))
    secrets: dict[str, Secret] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, client_id: str, tokens: dict[str, Any], fields: dict[str, Any]) -> str:
        secret_id = secrets.token_hex(12)
        credentials = {k: tokens[k] for k in TOKEN_FIELDS}
        with self.lock:
            self.secrets[secret_id] = Secret(
                secret_id, name, client_id, {**credentials, "fields": fields}
            )
        return secret_id

    def refresh(self, secret: Secret) -> int:
        """Run Podio's refresh grant for the secret, as the real Secrets service does;
        returns Podio's status."""
        response = requests.post(
            f"{self.podio_url}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": secret.credentials["refresh_token"],
                "client_id": secret.client_id,
                "client_secret": self.client_secret,
            },
            timeout=10,
        )
        if response.status_code == 200:
            tokens = response.json()
            secret.credentials.update({k: tokens[k] for k in TOKEN_FIELDS})
        return response.status_code

    def view(self, workspace: str, secret: Secret) -> dict[str, Any]:
        return {
            "data": {
                "id": secret.secret_id,
                "type": "auth-secret",
                "links": {"self": f"/v2/workspaces/{workspace}/secrets/{secret.secret_id}"},
                "attributes": {
                    "name": secret.name,
                    "state": "ready",
                    "type": "oauth2",
                    "credentials": dict(secret.credentials),
                },
                "relationships": {
                    "workspace": {"data": {"id": workspace, "type": "workspace"}},
                    "auth_client": {"data": {"id": secret.client_id, "type": "auth-client"}},
                },
            }
        }


class PlatformApp:
    """Routes one request to its handler, after checking the API user's Basic auth."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.handlers = {"secret": self.secret, "refresh": self.refresh}

    def __call__(self, request: Request) -> Response:
        if not self._authorized(request):
            return error_response(request, 401, "Unauthorized")
        try:
            endpoint, args = ROUTES.bind("platform").match(request.path, method=request.method)
        except HTTPException:
            return error_response(request, 404, "Not found")
        return self.handlers[endpoint](request, **args)

    def _authorized(self, request: Request) -> bool:
        auth = request.authorization
        return (
            auth is not None
            and auth.type == "basic"
            and auth.username == self.platform.username
            and secrets.compare_digest(auth.password or "", self.platform.api_key)
        )

    def _find(self, workspace: str, secret_id: str) -> Secret | None:
        if workspace != self.platform.workspace_id:
            return None
        return self.platform.secrets.get(secret_id)

    def secret(self, request: Request, workspace: str, secret_id: str) -> Response:
        found = self._find(workspace, secret_id)
        if found is None:
            return error_response(request, 404, "Secret not found")
        return json_response(self.platform.view(workspace, found))

    def refresh(self, request: Request, workspace: str, secret_id: str) -> Response:
        found = self._find(workspace, secret_id)
        if found is None:
            return error_response(request, 404, "Secret not found")
        with self.platform.lock:
            status = self.platform.refresh(found)
        if status != 200:
            title = f"Token refresh failed: provider HTTP {status}"
            return error_response(request, 409, title)
        return json_response(self.platform.view(workspace, found))
