"""Status messages in a workspace: create."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.collaboration.writes import Params, post
from podio_component.podio.client import PodioClient


def create(
    client: PodioClient, space_id: int, body: Mapping[str, Any], params: Params
) -> dict[str, Any]:
    return dict(post(client, f"/status/space/{space_id}/", body, params))
