"""Delete Object By ID: DELETE one Podio object by its type and numeric id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import new_message
from podio_component.contract.object_types import DELETE_TYPES, resolve
from podio_component.credentials import connect


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    object_id, _, path = resolve(msg, cfg, DELETE_TYPES)
    connect(cfg).request("DELETE", path)
    return new_message({"id": object_id, "deleted": True})
