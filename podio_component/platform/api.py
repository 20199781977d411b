"""The platform REST API: the step a container runs, a credential's keys, and the data a
trigger's `startup` keeps for its `shutdown` (the hooks data).

Uses the standard library's urllib (TLS verified, proxies from the environment) rather than
requests: the step is fetched before the runtime starts consuming, and importing requests
would add about 100 ms to every container start.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any, NamedTuple
from urllib.parse import quote

from podio_component import __version__
from podio_component.errors import PodioComponentError
from podio_component.quick_retry import QuickRetry, Transient
from podio_component.redaction import register_secret

TIMEOUT = 30.0  # seconds per call


class PlatformApiError(PodioComponentError):
    """The platform API could not be reached or refused the call (`status`, when it
    answered)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class StepInfo(NamedTuple):
    """What the platform says about the step this runtime runs."""

    config: dict[str, Any]
    snapshot: dict[str, Any]
    is_passthrough: bool


class PlatformApi:
    def __init__(
        self, api_uri: str, username: str, api_key: str, attempts: int, delay_ms: int
    ) -> None:
        register_secret(api_key)
        if not api_uri.startswith(("https://", "http://")):
            raise PlatformApiError(f"ELASTICIO_API_URI must be an http(s) URL, got {api_uri!r}")
        self._base = api_uri.rstrip("/")
        credentials = base64.b64encode(f"{username}:{api_key}".encode()).decode()
        register_secret(credentials)
        self._headers = {
            "Authorization": f"Basic {credentials}",
            "Accept": "application/json",
            "Connection": "Keep-Alive",
            "User-Agent": f"podio-component/{__version__}",
        }
        self._retry = QuickRetry(attempts + 1, delay_ms / 1000, 5)

    def step(self, flow_id: str, step_id: str) -> StepInfo:
        path = f"/v1/tasks/{quote(flow_id, safe='')}/steps/{quote(step_id, safe='')}"
        data = self._call("GET", path, "fetch the step")
        if not isinstance(data, dict):
            raise PlatformApiError("could not fetch the step: the platform API gave no object")
        return StepInfo(
            config=_object(data, "config"),
            snapshot=_object(data, "snapshot"),
            is_passthrough=data.get("is_passthrough") is True,
        )

    def update_keys(self, account_id: str, keys: dict[str, Any]) -> None:
        """PUT /v1/accounts/{id} with {"keys": keys}, as the Node.js runtime does."""
        path = f"/v1/accounts/{quote(account_id, safe='')}"
        self._call("PUT", path, "update keys", {"keys": keys})

    # ---- hooks data: POST, GET, DELETE /sailor-support/hooks/task/{flow}/startup/data ----

    def store_startup_data(self, flow_id: str, data: Any) -> None:
        """Keep `data` for the flow; PlatformApiError with status 409 when some is kept."""
        self._call("POST", _hooks_path(flow_id), "store the startup data", data)

    def startup_data(self, flow_id: str) -> Any:
        """The data kept for the flow; PlatformApiError with status 404 when there is none."""
        return self._call("GET", _hooks_path(flow_id), "read the startup data")

    def delete_startup_data(self, flow_id: str) -> None:
        self._call("DELETE", _hooks_path(flow_id), "delete the startup data")

    def _call(self, method: str, path: str, what: str, body: Any = None) -> Any:
        try:
            return self._retry.call(lambda: self._call_once(method, path, what, body))
        except Transient as exc:
            raise PlatformApiError(exc.message) from None

    def _call_once(self, method: str, path: str, what: str, body: Any) -> Any:
        headers = dict(self._headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = self._base + path  # http(s) only: checked in __init__
        request = urllib.request.Request(url, data, headers, method=method)  # noqa: S310
        try:
            with _OPENER.open(request, timeout=TIMEOUT) as response:
                content = response.read()
        except urllib.error.HTTPError as exc:
            problem = f"could not {what}: the platform API answered HTTP {exc.code}"
            if exc.code >= 500:
                raise Transient(problem) from None
            raise PlatformApiError(problem, exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            raise Transient(
                f"could not {what}: the platform API is unreachable ({type(exc).__name__})"
            ) from None
        try:
            return json.loads(content) if content else None
        except ValueError:
            raise PlatformApiError(
                f"could not {what}: the platform API's answer is not JSON"
            ) from None


def _hooks_path(flow_id: str) -> str:
    return f"/sailor-support/hooks/task/{quote(flow_id, safe='')}/startup/data"


def _object(step: dict[str, Any], name: str) -> dict[str, Any]:
    """The step's config or snapshot: an object, or absent (empty)."""
    value = step.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")
        raise PlatformApiError(f"the step's {name} must be a JSON object, but it is {kind}")
    return value


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The platform API's credentials must not follow a redirect elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
