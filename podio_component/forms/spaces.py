"""The `space` field's select model: the workspaces the credential can see, labelled
"Organization > Workspace", read once per process and credential."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from podio_component.credentials import connect
from podio_component.podio.client import PodioClient

SEPARATOR = " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "  # in the select lists' labels

_kept: dict[tuple[str, ...], dict[str, str]] = {}
_lock = threading.Lock()


def space_labels(client: PodioClient) -> dict[int, str]:
    """{space_id: "Organization > Workspace"}, from `GET /org/`."""
    labels: dict[int, str] = {}
    for org in client.request("GET", "/org/").json() or []:
        for space in org.get("spaces") or []:
            labels[int(space["space_id"])] = f"{org['name']}{SEPARATOR}{space['name']}"
    return labels


def spaces(cfg: Mapping[str, Any]) -> dict[str, str]:
    """{space_id: label} for the workspaces the credential in cfg can see."""
    client = connect(cfg)
    with _lock:
        if client.credential in _kept:
            return dict(_kept[client.credential])
    listed = {str(space_id): label for space_id, label in space_labels(client).items()}
    with _lock:
        _kept[client.credential] = listed
    return dict(listed)


def forget_space_lists() -> None:
    """Drop every kept space list (tests; spaces added since)."""
    with _lock:
        _kept.clear()
