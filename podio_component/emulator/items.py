"""The emulated items: view, filter, create, update, delete.

Every write checks its whole body first and only then changes anything, so a bad request
is Podio's 400 with nothing half-written.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from podio_component.emulator import views
from podio_component.emulator.model import ApiError, Clock, Directory, Grant, get, timestamp


class Items:
    def __init__(self, directory: Directory, clock: Clock, lock: threading.RLock) -> None:
        self.directory = directory
        self.clock = clock
        self.lock = lock
        self.stored: dict[int, dict[str, Any]] = {}
        self.deleted: set[int] = set()
        now = clock.now()
        for item in directory.seed_items:
            app = get(directory.apps, item["app_id"], "App")
            values = _field_values(app, _fields(item))
            self._store(app, item["item_id"], item, values, now)
        self._next_id = max(self.stored, default=5000) + 1

    # ---- reads -------------------------------------------------------------------------

    def view(self, item_id: int) -> dict[str, Any]:
        with self.lock:
            if item_id in self.deleted:
                raise ApiError(410, "gone", "Item has been deleted")
            item = get(self.stored, item_id, "Item")
            app = self.directory.apps[item["app_id"]]
            values = item["values"]
            return {
                "item_id": item_id,
                "app_item_id": item["app_item_id"],
                "app_item_id_formatted": str(item["app_item_id"]),
                "external_id": item.get("external_id"),
                "title": item["title"],
                "link": f"https://podio.com/example-co/sales/apps/deals/items/{item['app_item_id']}",
                "app": {
                    "app_id": app["app_id"],
                    "name": app["name"],
                    "item_name": app["item_name"],
                    "space_id": app["space_id"],
                    "status": "active",
                },
                "created_by": {"type": "user", "id": item["created_by"]},
                "created_on": item["created_on"],
                "last_event_on": item["last_event_on"],
                "revision": item["revision"],
                "current_revision": {
                    "revision": item["revision"],
                    "created_on": item["last_event_on"],
                },
                "fields": [
                    {**views.field_definition(f), "values": copy.deepcopy(values[f["field_id"]])}
                    for f in app["fields"]
                    if values.get(f["field_id"])
                ],
                "files": [
                    views.file_view(self.directory, file_id)
                    for file_id, stored in self.directory.files.items()
                    if stored.get("item_id") == item_id
                ],
                "tags": list(item.get("tags", [])),
                "comments": [],
                "rights": ["view", "update", "delete"],
            }

    def filter(self, app_id: int, body: dict[str, Any]) -> dict[str, Any]:
        app = get(self.directory.apps, app_id, "App")
        limit = _bounded(body.get("limit", 30), "limit", 1, 500)
        offset = _bounded(body.get("offset", 0), "offset", 0, 10**9)
        filters = body.get("filters") or {}
        if not isinstance(filters, dict):
            raise ApiError(400, "invalid_value", "filters must be an object")
        with self.lock:
            items = [i for i in self.stored.values() if i["app_id"] == app_id]
            matched = [i for i in items if _matches(app, i, filters)]
            return {
                "total": len(items),
                "filtered": len(matched),
                "items": [
                    {
                        "item_id": i["item_id"],
                        "app_item_id": i["app_item_id"],
                        "title": i["title"],
                        "external_id": i.get("external_id"),
                        "revision": i["revision"],
                    }
                    for i in matched[offset : offset + limit]
                ],
            }

    # ---- writes ------------------------------------------------------------------------

    def create(self, app_id: int, body: dict[str, Any], grant: Grant) -> dict[str, Any]:
        app = get(self.directory.apps, app_id, "App")
        values = _field_values(app, _fields(body))
        _tags(body)
        missing = [
            f["label"] for f in app["fields"] if f.get("required") and not values.get(f["field_id"])
        ]
        if missing:
            raise ApiError(400, "invalid_value", f"Required field(s) missing: {', '.join(missing)}")
        created_by = grant.ref_id if grant.ref_type == "user" else 0
        with self.lock:
            item_id = self._next_id
            self._next_id += 1
            item = self._store(
                app, item_id, {**body, "created_by": created_by}, values, self.clock.now()
            )
            return {"item_id": item_id, "title": item["title"], "app_item_id": item["app_item_id"]}

    def update(self, item_id: int, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.view(item_id)  # 404 / 410 first
            item = self.stored[item_id]
            app = self.directory.apps[item["app_id"]]
            values = _field_values(app, _fields(body))
            tags = _tags(body)
            revision = body.get("revision")
            if revision is not None and revision != item["revision"]:
                raise ApiError(
                    409, "conflict", "The item has been updated since the given revision"
                )
            item["values"].update(values)
            if tags is not None:
                item["tags"] = tags
            item["title"] = _title(app, item["values"])
            item["revision"] += 1
            item["last_event_on"] = timestamp(self.clock.now())
            return {"revision": item["revision"], "title": item["title"]}

    def delete(self, item_id: int) -> None:
        with self.lock:
            self.view(item_id)
            del self.stored[item_id]
            self.deleted.add(item_id)

    def _store(
        self,
        app: dict[str, Any],
        item_id: int,
        body: dict[str, Any],
        values: dict[int, list[Any]],
        now: float,
    ) -> dict[str, Any]:
        app_id = app["app_id"]
        item = {
            "item_id": item_id,
            "app_id": app_id,
            "app_item_id": 1 + sum(1 for i in self.stored.values() if i["app_id"] == app_id),
            "external_id": body.get("external_id"),
            "created_by": body.get("created_by", 0),
            "created_on": timestamp(now),
            "last_event_on": timestamp(now),
            "revision": 0,
            "tags": _tags(body) or [],
            "values": values,
            "title": _title(app, values),
        }
        self.stored[item_id] = item
        return item


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = body.get("fields", {})
    if not isinstance(fields, dict):
        raise ApiError(400, "invalid_value", "fields must be an object")
    return fields


def _tags(body: dict[str, Any]) -> list[str] | None:
    if "tags" not in body:
        return None
    tags = body["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ApiError(400, "invalid_value", "tags must be a list of strings")
    return list(tags)


def _field_values(app: dict[str, Any], fields: dict[str, Any]) -> dict[int, list[Any]]:
    by_key = {str(f["field_id"]): f for f in app["fields"]}
    by_key.update({f["external_id"]: f for f in app["fields"]})
    values: dict[int, list[Any]] = {}
    for key, raw in fields.items():
        definition = by_key.get(str(key))
        if definition is None:
            raise ApiError(400, "invalid_value", f"No field with id or external_id {key!r}")
        raw_list = raw if isinstance(raw, list) else [raw]
        values[definition["field_id"]] = [_field_value(definition, v) for v in raw_list]
    return values


def _field_value(definition: dict[str, Any], raw: Any) -> dict[str, Any]:
    kind, label = definition["type"], definition["label"]
    if isinstance(raw, dict) and "value" in raw and kind != "money":
        raw = raw["value"]
    if kind == "text" and isinstance(raw, str):
        return {"value": raw}
    if kind == "number" and isinstance(raw, int | float) and not isinstance(raw, bool):
        return {"value": f"{raw:.4f}"}
    if (
        kind == "money"
        and isinstance(raw, dict)
        and isinstance(raw.get("value"), int | float | str)
    ):
        try:
            return {
                "value": f"{float(raw['value']):.4f}",
                "currency": str(raw.get("currency", "EUR")),
            }
        except ValueError:
            pass
    if kind == "category":
        option_id = raw.get("id") if isinstance(raw, dict) else raw
        for option in definition.get("options", []):
            if option["id"] == option_id:
                return {"value": {**option, "status": "active"}}
    raise ApiError(400, "invalid_value", f"Invalid value {raw!r} for field {label!r} ({kind})")


def _title(app: dict[str, Any], values: dict[int, list[Any]]) -> str:
    for definition in app["fields"]:
        if definition["type"] == "text" and values.get(definition["field_id"]):
            return str(values[definition["field_id"]][0]["value"])
    return str(app["item_name"])


def _matches(app: dict[str, Any], item: dict[str, Any], filters: dict[str, Any]) -> bool:
    by_key = {str(f["field_id"]): f for f in app["fields"]} | {
        f["external_id"]: f for f in app["fields"]
    }
    for key, wanted in filters.items():
        definition = by_key.get(str(key))
        if definition is None:
            raise ApiError(400, "invalid_value", f"Unknown filter key {key!r}")
        wanted_list = wanted if isinstance(wanted, list) else [wanted]
        found = item["values"].get(definition["field_id"], [])
        plain = [
            v["value"]["id"] if definition["type"] == "category" else v["value"] for v in found
        ]
        if not any(w in plain for w in wanted_list):
            return False
    return True


def _bounded(value: object, name: str, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        raise ApiError(
            400, "invalid_value", f"{name} must be an integer from {lowest} to {highest}"
        )
    return value
