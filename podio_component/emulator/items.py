"""The emulated items: view, filter, create, update, delete.

Every write checks its whole body first and only then changes anything, so a bad request
is Podio's 400 with nothing half-written.
"""

from __future__ import annotations

import calendar
import copy
import random
import threading
import time
from typing import Any

from podio_component.emulator import views
from podio_component.emulator.model import (
    ApiError,
    Clock,
    Directory,
    FilterReading,
    Grant,
    get,
    timestamp,
)

SORT_KEYS = {"created_on": "created_on", "last_edit_on": "last_edit_on", "item_id": "item_id"}
RANGE_KEYS = ("created_on", "last_edit_on")


class Items:
    def __init__(self, directory: Directory, clock: Clock, lock: threading.RLock) -> None:
        self.directory = directory
        self.clock = clock
        self.lock = lock
        self.reading = FilterReading()  # how the filter reads created_on/last_edit_on ranges
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
                "initial_revision": {"revision": 0, "created_on": item["created_on"]},
                "current_revision": {
                    "revision": item["revision"],
                    "created_on": item["last_edit_on"],  # moves on field edits only
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
        """Podio's filter call: field filters, created_on/last_edit_on ranges read as
        `self.reading` says, sort_by/sort_desc, limit (up to 500) and offset; full items.
        Items that share a sort value come in a random order on each call, since Podio
        documents no tie-breaker."""
        app = get(self.directory.apps, app_id, "App")
        limit = _bounded(body.get("limit", 30), "limit", 1, 500)
        offset = _bounded(body.get("offset", 0), "offset", 0, 10**9)
        filters = dict(body.get("filters") or {})
        if not isinstance(body.get("filters") or {}, dict):
            raise ApiError(400, "invalid_value", "filters must be an object")
        ranges = {key: self._range(filters.pop(key)) for key in RANGE_KEYS if key in filters}
        sort_by = body.get("sort_by")
        if sort_by is not None and sort_by not in SORT_KEYS:
            raise ApiError(400, "invalid_value", f"Invalid sort_by {sort_by!r}")
        with self.lock:
            items = [i for i in self.stored.values() if i["app_id"] == app_id]
            matched = [
                i
                for i in items
                if _matches(app, i, filters)
                and all(
                    low(_epoch(i[k])) and high(_epoch(i[k])) for k, (low, high) in ranges.items()
                )
            ]
            if sort_by is not None:
                random.shuffle(matched)  # no tie-breaker: ties in no particular order
                matched.sort(
                    key=lambda i: i[SORT_KEYS[sort_by]], reverse=bool(body.get("sort_desc"))
                )
            return {
                "total": len(items),
                "filtered": len(matched),
                "items": [self.view(i["item_id"]) for i in matched[offset : offset + limit]],
            }

    def _range(self, value: object) -> tuple[Any, Any]:
        """Bound checks for a {from, to} range on a timestamp, as the reading reads it."""
        if not isinstance(value, dict) or not set(value) <= {"from", "to"}:
            raise ApiError(400, "invalid_value", "a date range must be an object with from/to")
        shift = self.reading.utc_offset_hours * 3600  # the value is read as local time there
        bounds = {k: _epoch(str(v)) - shift for k, v in value.items()}
        inclusive = self.reading.inclusive
        low = bounds.get("from")
        high = bounds.get("to")

        def above(t: float) -> bool:
            return low is None or (t >= low if inclusive else t > low)

        def below(t: float) -> bool:
            return high is None or (t <= high if inclusive else t < high)

        return above, below

    def add(self, app_id: int, fields: list[dict[str, Any]], created_by: int = 1001) -> list[int]:
        """Create many items at once at the clock's time (for tests and benchmarks); their
        item ids."""
        app = get(self.directory.apps, app_id, "App")
        with self.lock:
            ids = []
            for one in fields:
                item_id = self._next_id
                self._next_id += 1
                body = {"fields": one, "created_by": created_by}
                self._store(app, item_id, body, _field_values(app, one), self.clock.now())
                ids.append(item_id)
            return ids

    def comment(self, item_id: int) -> dict[str, Any]:
        """A comment moves last_event_on, not the last edit."""
        with self.lock:
            self.view(item_id)
            self.stored[item_id]["last_event_on"] = timestamp(self.clock.now())
            return {"comment_id": int(self.clock.now() * 1000) % 10**9}

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
            item["last_edit_on"] = item["last_event_on"] = timestamp(self.clock.now())
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
            "last_edit_on": timestamp(now),
            "last_event_on": timestamp(now),
            "revision": 0,
            "tags": _tags(body) or [],
            "values": values,
            "title": _title(app, values),
        }
        self.stored[item_id] = item
        return item


def _epoch(text: str) -> float:
    """Podio's "YYYY-MM-DD HH:MM:SS" (UTC) as seconds since the epoch; a zone suffix is
    ignored, as the reading's offset decides."""
    try:
        parsed = time.strptime(text.strip()[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        try:
            parsed = time.strptime(text.strip()[:10], "%Y-%m-%d")
        except ValueError:
            raise ApiError(400, "invalid_value", f"Invalid date {text!r}") from None
    return float(calendar.timegm(parsed))


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
