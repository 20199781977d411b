"""An app's fields (read once per process and app), and the schemas built from them: what
the platform's mapper shows for an item action (`getMetaModel`)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from podio_component.credentials import connect
from podio_component.podio.client import PodioClient

_fields: dict[tuple[str, int], list[dict[str, Any]]] = {}
_lock = threading.Lock()

# the simple form of each type, as JSON schema (the platform's dialect: `required` per field)
_SHAPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "number": {"type": "number"},
    "money": {
        "type": "object",
        "properties": {"value": {"type": "number"}, "currency": {"type": "string"}},
    },
    "calculation": {"type": "number"},
    "date": {
        "type": "object",
        "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
    },
    "app": {
        "type": "array",
        "items": {"type": "object", "properties": {"item_id": {"type": "number"}}},
    },
    "contact": {
        "type": "array",
        "items": {"type": "object", "properties": {"profile_id": {"type": "number"}}},
    },
    "member": {
        "type": "array",
        "items": {"type": "object", "properties": {"user_id": {"type": "number"}}},
    },
    "email": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"type": {"type": "string"}, "value": {"type": "string"}},
        },
    },
    "phone": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"type": {"type": "string"}, "value": {"type": "string"}},
        },
    },
    "embed": {"type": "array", "items": {"type": "string"}},
    "location": {"type": "array", "items": {"type": "string"}},
    "duration": {"type": "number"},
    "progress": {"type": "number"},
    "image": {
        "type": "array",
        "items": {"type": "object", "properties": {"file_id": {"type": "number"}}},
    },
    "file": {
        "type": "array",
        "items": {"type": "object", "properties": {"file_id": {"type": "number"}}},
    },
}
ITEM_PROPERTIES: dict[str, dict[str, Any]] = {
    "item_id": {"type": "number", "title": "Item ID"},
    "external_id": {"type": "string", "title": "External ID"},
    "revision": {"type": "number", "title": "Revision (to refuse a conflicting change)"},
    "tags": {"type": "array", "items": {"type": "string"}, "title": "Tags"},
    "file_ids": {"type": "array", "items": {"type": "number"}, "title": "File IDs"},
}


def app_fields(client: PodioClient, app_id: int) -> list[dict[str, Any]]:
    """The app's active fields, as `GET /app/{app_id}` gives them; once per process."""
    key = (client.api_url, app_id)
    with _lock:
        if key in _fields:
            return _fields[key]
    app = client.request("GET", f"/app/{app_id}").json()
    fields = [f for f in (app or {}).get("fields") or [] if f.get("status", "active") == "active"]
    with _lock:
        _fields[key] = fields
    return fields


def forget_apps() -> None:
    """Drop the cached fields (tests; an app that changed)."""
    with _lock:
        _fields.clear()


def field_property(field: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(field.get("type"))
    settings = (field.get("config") or {}).get("settings") or {}
    shape: dict[str, Any] = dict(_SHAPES.get(kind, {"type": "string"}))
    if kind in ("category", "question"):
        texts = [o.get("text") for o in settings.get("options") or []]
        one = {"type": "string", "enum": texts}
        shape = {"type": "array", "items": one} if settings.get("multiple") else one
    label = (field.get("config") or {}).get("label") or field.get("label")
    return {**shape, "title": label, "required": bool((field.get("config") or {}).get("required"))}


def schema(
    fields: Sequence[Mapping[str, Any]], item_keys: dict[str, bool], *, writing: bool
) -> dict[str, Any]:
    """An object schema with one property per field, keyed by external id (a field whose
    external id is also an item-level key goes under `fields.<external_id>`), plus the
    item-level keys given (name: required). Calculation fields are left out when writing."""
    properties: dict[str, Any] = {}
    for name, required in item_keys.items():
        properties[name] = {**ITEM_PROPERTIES[name], "required": required}
    for field in fields:
        if writing and field.get("type") == "calculation":
            continue
        key = str(field.get("external_id"))
        prop = field_property(field)
        if not writing:
            prop["required"] = False
        properties[f"fields.{key}" if key in ITEM_PROPERTIES else key] = prop
    return {"type": "object", "properties": properties}


def item_out_schema(fields: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the item actions emit: Podio's item, with `values` in simple form."""
    values = schema(fields, {}, writing=False)
    return {
        "type": "object",
        "properties": {
            "item_id": {"type": "number", "title": "Item ID"},
            "title": {"type": "string", "title": "Title"},
            "external_id": {"type": "string", "title": "External ID"},
            "revision": {"type": "number", "title": "Revision"},
            "values": {**values, "title": "Field values"},
            "created": {"type": "boolean", "title": "Created (not found by its external ID)"},
        },
    }


# ---- the `app` field's select model, shared by the trigger and the item actions ---------

SEPARATOR = " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "  # in the app list's labels

_apps_cache: dict[str, dict[str, str]] = {}
_apps_lock = threading.Lock()


def apps(cfg: Mapping[str, Any]) -> dict[str, str]:
    """The apps the credential can see, as {app_id: "Organization > Workspace > App"} (with
    the right-pointing angle quote as the separator); cached per process and credential."""
    credential = {k: cfg.get(k) for k in ("secretId", "credential", "oauth")}
    key = hashlib.sha256(json.dumps(credential, sort_keys=True, default=str).encode()).hexdigest()
    with _apps_lock:
        if key in _apps_cache:
            return dict(_apps_cache[key])
    client = connect(cfg)  # a select model is called with the step's cfg
    spaces: dict[int, str] = {}
    for org in client.request("GET", "/org/").json() or []:
        for space in org.get("spaces") or []:
            spaces[int(space["space_id"])] = f"{org['name']}{SEPARATOR}{space['name']}"
    listed = {}
    for app in client.request("GET", "/app/").json() or []:
        name = (app.get("config") or {}).get("name") or app.get("url_label") or app["app_id"]
        where = spaces.get(int(app.get("space_id") or 0), "?")
        listed[str(app["app_id"])] = f"{where}{SEPARATOR}{name}"
    with _apps_lock:
        _apps_cache[key] = listed
    return dict(listed)
