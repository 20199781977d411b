"""Comments on an item, task, status message, app or space: create, list, get."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.collaboration.inputs import Ref
from podio_component.collaboration.writes import Params, post
from podio_component.podio.client import PodioClient

REF_TYPES = ("item", "task", "status", "app", "space")


def on(client: PodioClient, ref: Ref) -> list[dict[str, Any]]:
    """Every comment on the object, oldest first."""
    return list(client.request("GET", f"/comment/{ref.path}/").json() or [])


def with_external_id(client: PodioClient, ref: Ref, external_id: str) -> dict[str, Any] | None:
    """The object's first comment that carries the external ID, or None."""
    return next((c for c in on(client, ref) if c.get("external_id") == external_id), None)


def get(client: PodioClient, comment_id: int) -> dict[str, Any]:
    return dict(client.request("GET", f"/comment/{comment_id}").json())


def create(
    client: PodioClient, ref: Ref, body: Mapping[str, Any], params: Params
) -> dict[str, Any]:
    """The new comment. Whether Podio answers the whole comment or only its `comment_id` is
    unverified; for the latter it is read back (a read, not part of the write)."""
    answer = dict(post(client, f"/comment/{ref.path}/", body, params))
    return answer if "value" in answer else get(client, int(answer["comment_id"]))
