"""The platform REST API the runtime calls: the step it runs, and a credential's keys."""

from __future__ import annotations

import json
from typing import Any, NamedTuple
from urllib.parse import quote

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from podio_component.client import Timeouts, new_session, send
from podio_component.deadline import Deadline
from podio_component.errors import PodioComponentError
from podio_component.redaction import register_secret

CALL_DEADLINE = 60.0  # seconds for one call, its retries included
TIMEOUTS = Timeouts(connect=10.0, read=30.0)


class PlatformApiError(PodioComponentError):
    """The platform API could not be reached or refused the call."""


class Step(NamedTuple):
    """What the platform says about the step this runtime runs."""

    config: dict[str, Any]
    snapshot: dict[str, Any]
    is_passthrough: bool


class _Transient(PlatformApiError):
    """No answer, or a 5xx: worth another try."""


class PlatformApi:
    def __init__(
        self, api_uri: str, username: str, api_key: str, attempts: int, delay_ms: int
    ) -> None:
        register_secret(api_key)
        self._base = api_uri.rstrip("/")
        self._session = new_session(self._base)
        self._session.auth = (username, api_key)
        self._session.headers["Connection"] = "Keep-Alive"
        self._retrying = Retrying(
            stop=stop_after_attempt(attempts + 1),
            wait=wait_exponential(multiplier=delay_ms / 1000, max=5),
            retry=retry_if_exception(lambda exc: isinstance(exc, _Transient)),
            reraise=True,
        )

    def step(self, flow_id: str, step_id: str) -> Step:
        path = f"/v1/tasks/{quote(flow_id, safe='')}/steps/{quote(step_id, safe='')}"
        data = self._call("GET", path, "fetch the step")
        if not isinstance(data, dict):
            raise PlatformApiError("could not fetch the step: the platform API gave no object")
        return Step(
            config=data.get("config") or {},
            snapshot=data.get("snapshot") or {},
            is_passthrough=data.get("is_passthrough") is True,
        )

    def update_keys(self, account_id: str, keys: dict[str, Any]) -> None:
        """PUT /v1/accounts/{id} with {"keys": keys}, as the Node.js runtime does."""
        self._call(
            "PUT", f"/v1/accounts/{quote(account_id, safe='')}", "update keys", {"keys": keys}
        )

    def _call(self, method: str, path: str, what: str, body: Any = None) -> Any:
        try:
            return self._retrying(self._call_once, method, path, what, body)
        except requests.RequestException as exc:
            raise PlatformApiError(f"could not {what}: {type(exc).__name__}") from None

    def _call_once(self, method: str, path: str, what: str, body: Any) -> Any:
        try:
            response, content = send(
                self._session,
                method,
                self._base + path,
                deadline=Deadline(CALL_DEADLINE),
                timeouts=TIMEOUTS,
                json=body,
            )
        except requests.RequestException as exc:
            raise _Transient(
                f"could not {what}: the platform API is unreachable ({type(exc).__name__})"
            ) from None
        if response.status_code >= 300:
            error = _Transient if response.status_code >= 500 else PlatformApiError
            raise error(f"could not {what}: the platform API answered HTTP {response.status_code}")
        try:
            return json.loads(content) if content else None
        except ValueError:
            raise PlatformApiError(
                f"could not {what}: the platform API's answer is not JSON"
            ) from None
