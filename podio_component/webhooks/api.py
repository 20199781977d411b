"""Podio's hook endpoints on an app, each built once (podio-api §4.6, triggers-and-items §6)."""

from __future__ import annotations

from typing import Any

from podio_component.errors import PodioComponentError, PodioHTTPError
from podio_component.podio.client import PodioClient


def listed(client: PodioClient, app_id: int) -> list[dict[str, Any]]:
    """`GET /hook/app/{app_id}/`: every hook on the app, `{hook_id, status, type, url}`."""
    hooks = client.request("GET", f"/hook/app/{app_id}/").json()
    return [h for h in hooks or [] if isinstance(h, dict)]


def create(client: PodioClient, app_id: int, url: str, kind: str) -> int:
    """`POST /hook/app/{app_id}/`: the new hook's id. Podio then sends it `hook.verify`."""
    answer = client.request("POST", f"/hook/app/{app_id}/", body={"url": url, "type": kind})
    found = answer.json()
    hook_id = found.get("hook_id") if isinstance(found, dict) else None
    if not isinstance(hook_id, int):
        raise PodioComponentError(
            f"POST /hook/app/{app_id}/ answered without a hook_id; the {kind} hook is unknown"
        )
    return hook_id


def delete(client: PodioClient, hook_id: int) -> None:
    """`DELETE /hook/{hook_id}`; a hook that is gone already counts as deleted."""
    client.request("DELETE", f"/hook/{hook_id}", accept=(404,))


def request_verification(client: PodioClient, hook_id: int) -> None:
    """`POST /hook/{hook_id}/verify/request`: Podio sends `hook.verify` again."""
    client.request("POST", f"/hook/{hook_id}/verify/request")


def validate(client: PodioClient, hook_id: int, code: str) -> None:
    """`POST /hook/{hook_id}/verify/validate`: the hook becomes active."""
    client.request("POST", f"/hook/{hook_id}/verify/validate", body={"code": code})


def is_refusal(exc: Exception) -> bool:
    """Podio answered, and refused (a 4xx other than a rate limit)."""
    return (
        isinstance(exc, PodioHTTPError)
        and 400 <= exc.status < 500
        and exc.status
        not in (
            420,
            429,
        )
    )
