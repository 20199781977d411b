"""The `app` field's select model, shared by every item step: the apps the credential can
see, labelled "Organization > Workspace > App" (with the angle quote as the separator), kept
per credential."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from podio_component.credentials import connect
from podio_component.forms.spaces import SEPARATOR, space_labels

_kept: dict[tuple[str, ...], dict[str, str]] = {}
_lock = threading.Lock()


def apps(cfg: Mapping[str, Any]) -> dict[str, str]:
    """{app_id: label} for the apps the credential in cfg can see (a select model is called
    with the step's cfg); read once per process and credential."""
    client = connect(cfg)
    with _lock:
        if client.credential in _kept:
            return dict(_kept[client.credential])
    spaces = space_labels(client)
    listed = {}
    for app in client.request("GET", "/app/").json() or []:
        name = (app.get("config") or {}).get("name") or app.get("url_label") or app["app_id"]
        where = spaces.get(int(app.get("space_id") or 0), "?")
        listed[str(app["app_id"])] = f"{where}{SEPARATOR}{name}"
    with _lock:
        _kept[client.credential] = listed
    return dict(listed)


def forget_app_lists() -> None:
    """Drop every kept app list (tests; apps added since)."""
    with _lock:
        _kept.clear()
