"""WSGI app for the emulated platform Secrets API (reference/platform.md §2.2)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from podio_component.emulator.faults import FaultPlan, RequestLog
from podio_component.emulator.podio_app import json_response

ROUTES = Map(
    [
        Rule("/v2/workspaces/<workspace>/secrets/<secret_id>", endpoint="get", methods=["GET"]),
        Rule(
            "/v2/workspaces/<workspace>/secrets/<secret_id>/refresh",
            endpoint="refresh",
            methods=["POST"],
        ),
    ]
)


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
        credentials = {
            k: tokens[k] for k in ("access_token", "refresh_token", "expires_in", "scope")
        }
        with self.lock:
            self.secrets[secret_id] = Secret(
                secret_id, name, client_id, {**credentials, "fields": fields}
            )
        return secret_id

    def refresh(self, secret: Secret) -> tuple[int, dict[str, Any] | None]:
        """Run Podio's refresh grant for the secret, as the real Secrets service does."""
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
        if response.status_code != 200:
            return response.status_code, None
        tokens = response.json()
        secret.credentials.update(
            {k: tokens[k] for k in ("access_token", "refresh_token", "expires_in", "scope")}
        )
        return 200, secret.credentials

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
    def __init__(self, platform: Platform, faults: FaultPlan, log: RequestLog) -> None:
        self.platform = platform
        self.faults = faults
        self.log = log

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        fault = self.faults.take(request.method, request.path)
        if fault is not None and fault.status is not None:
            response = json_response({"errors": [{"title": "Injected fault"}]}, fault.status)
        else:
            response = self._answer(request)
        self.log.record("platform", request.method, request.path, "", response.status_code, fault)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or auth.username != self.platform.username
            or not secrets.compare_digest(auth.password or "", self.platform.api_key)
        ):
            return json_response({"errors": [{"title": "Unauthorized"}]}, 401)
        try:
            endpoint, args = ROUTES.bind("platform").match(request.path, method=request.method)
        except Exception:
            return json_response({"errors": [{"title": "Not found"}]}, 404)
        secret = self.platform.secrets.get(args["secret_id"])
        if args["workspace"] != self.platform.workspace_id or secret is None:
            return json_response({"errors": [{"title": "Secret not found"}]}, 404)
        if endpoint == "refresh":
            with self.platform.lock:
                status, _ = self.platform.refresh(secret)
            if status != 200:
                return json_response(
                    {
                        "errors": [
                            {"title": "Token refresh failed", "detail": f"provider HTTP {status}"}
                        ]
                    },
                    409,
                )
        return json_response(self.platform.view(args["workspace"], secret))
