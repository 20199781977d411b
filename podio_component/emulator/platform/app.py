"""The emulated platform API: secrets and their forced refresh, a flow's steps (and the
snapshots they publish), account keys (updateKeys), startup-hook data, a place for service
containers to post results, the webhook gateway, and the storage of attachments."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from podio_component.emulator.platform.gateway import Gateway
from podio_component.emulator.platform.storage import Storage
from podio_component.emulator.web import Routes, json_response

route = Routes()
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
    steps: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # account id -> keys
    startup_data: dict[str, Any] = field(default_factory=dict)  # flow id -> data
    service_results: dict[str, list[Any]] = field(default_factory=dict)
    gateway: Gateway = field(default_factory=Gateway)
    storage: Storage = field(default_factory=Storage)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_step(
        self,
        flow_id: str,
        step_id: str,
        config: dict[str, Any],
        *,
        is_passthrough: bool = False,
        snapshot: dict[str, Any] | None = None,
        function: str = "makeRawRequest",
    ) -> None:
        """A step of a flow, as GET /v1/tasks/{flow}/steps/{step} returns it. Given again
        without a snapshot, it keeps the one it holds (a container restarted)."""
        with self.lock:
            kept = self.steps.get((flow_id, step_id), {}).get("snapshot", {})
            self.steps[(flow_id, step_id)] = {
                "id": step_id,
                "comp_id": "podio-component",
                "function": function,
                "config": config,
                "snapshot": kept if snapshot is None else snapshot,
                "is_passthrough": is_passthrough,
                "variables": {},
            }

    def keep_snapshot(self, flow_id: str, step_id: str, event: str, data: Any) -> None:
        """A snapshot a step published, stored as the platform stores it: `snapshot`
        replaces, `updateSnapshot` merges."""
        with self.lock:
            step = self.steps.get((flow_id, step_id))
            if step is None or not isinstance(data, dict):
                return
            step["snapshot"] = data if event == "snapshot" else {**step["snapshot"], **data}

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

    def __call__(self, request: Request) -> Response:
        flow_id, _, more = request.path.removeprefix("/hook/").partition("/")
        if request.path.startswith("/hook/") and request.method in ("GET", "POST"):
            return self.platform.gateway.handle(request, flow_id, more)  # public, no auth
        if self.platform.storage.handles(request):  # its own bearer token
            return self.platform.storage.handle(request, request.host_url.rstrip("/"))
        if not self._authorized(request):
            return error_response(request, 401, "Unauthorized")
        try:
            endpoint, args = ROUTES.bind("platform").match(request.path, method=request.method)
        except HTTPException:
            return error_response(request, 404, "Not found")
        handler: Callable[..., Response] = getattr(self, endpoint)
        return handler(request, **args)

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

    @route("/v2/workspaces/<workspace>/secrets/<secret_id>", "GET")
    def secret(self, request: Request, workspace: str, secret_id: str) -> Response:
        found = self._find(workspace, secret_id)
        if found is None:
            return error_response(request, 404, "Secret not found")
        return json_response(self.platform.view(workspace, found))

    @route("/v2/workspaces/<workspace>/secrets/<secret_id>/refresh", "POST")
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

    @route("/v1/tasks/<flow_id>/steps/<step_id>", "GET")
    def step(self, request: Request, flow_id: str, step_id: str) -> Response:
        found = self.platform.steps.get((flow_id, step_id))
        if found is None:
            return error_response(request, 404, "Step not found")
        return json_response(found)

    @route("/v1/accounts/<account_id>", "GET", "PUT")
    def account(self, request: Request, account_id: str) -> Response:
        if request.method == "PUT":
            body = _json(request)
            if not isinstance(body, dict) or not isinstance(body.get("keys"), dict):
                return error_response(request, 400, 'Expected {"keys": {...}}')
            with self.platform.lock:
                self.platform.accounts[account_id] = body["keys"]
        keys = self.platform.accounts.get(account_id)
        if keys is None:
            return error_response(request, 404, "Account not found")
        return json_response({"id": account_id, "keys": keys})

    @route("/sailor-support/hooks/task/<flow_id>/startup/data", "GET", "POST", "DELETE")
    def startup_data(self, request: Request, flow_id: str) -> Response:
        with self.platform.lock:
            if request.method == "POST":
                if flow_id in self.platform.startup_data:
                    return error_response(request, 409, "Startup data already exists")
                self.platform.startup_data[flow_id] = _json(request)
            elif request.method == "DELETE":
                self.platform.startup_data.pop(flow_id, None)
                return Response(status=204)
            if flow_id not in self.platform.startup_data:
                return error_response(request, 404, "No startup data")
            return json_response(self.platform.startup_data[flow_id])

    @route("/service-results/<name>", "POST")
    def service_result(self, request: Request, name: str) -> Response:
        with self.platform.lock:
            self.platform.service_results.setdefault(name, []).append(_json(request))
        return json_response({})


ROUTES = route.map()


def _json(request: Request) -> Any:
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError:
        return None
