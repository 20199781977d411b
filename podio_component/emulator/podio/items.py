"""The emulated items: view, filter, create, update, delete.

Every write checks its whole body first and only then changes anything, so a bad request
is Podio's 400 with nothing half-written.
"""

from __future__ import annotations

import calendar
import copy
import json
import random
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from podio_component.emulator.podio import views
from podio_component.emulator.podio.changes import Change, Changes
from podio_component.emulator.podio.fields import field_values, plain
from podio_component.emulator.podio.files import Files
from podio_component.emulator.podio.model import (
    ApiError,
    Clock,
    Directory,
    FilterReading,
    get,
    timestamp,
)
from podio_component.emulator.podio.revisions import WEB_USER, Revisions, Writer

SORT_KEYS = ("created_on", "last_edit_on", "item_id", "title", "app_item_id")  # properties
SHORT_LEAVES_OUT = ("app", "tags", "files", "comments", "revisions")  # not in filter items
RANGE_KEYS = ("created_on", "last_edit_on")


class Items:
    def __init__(
        self,
        directory: Directory,
        files: Files,
        changes: Changes,
        clock: Clock,
        lock: threading.RLock,
        ties: random.Random,
    ) -> None:
        self.directory = directory
        self.files = files
        self.changes = changes
        self.clock = clock
        self.lock = lock
        self.ties = ties  # the order of items that share a sort value: seeded, to replay it
        # the clock of the first seeded user: local date values, an app token's filter
        self.zone = ZoneInfo(next(iter(directory.users.values())).get("timezone") or "UTC")
        self.reading = FilterReading()  # how the filter reads created_on/last_edit_on ranges
        self.embeds: dict[int, dict[str, Any]] = {}
        self.stored: dict[int, dict[str, Any]] = {}
        self.deleted: set[int] = set()
        self.viewed: list[int] = []  # items read with mark_as_viewed (Podio's default)
        self.bundles_tags = False  # whether fields=items.fields(tags) is honoured (unverified)
        # what `file_ids` on an update does, which Podio does not say: "replace" the item's
        # files with those listed, or "add" them (unverified either way)
        self.file_ids_on_update = "replace"
        # true plays podio-dotnet#34: a write's file_ids are taken and the files not attached
        self.drops_file_ids = False
        self.revisions = Revisions()
        now = clock.now()
        for item in directory.seed_items:
            app = get(directory.apps, item["app_id"], "App")
            values = field_values(app, _fields(item), self)
            self._store(app, item["item_id"], item, values, now)
        self._next_id = max(self.stored, default=5000) + 1

    # ---- reads -------------------------------------------------------------------------

    def view(self, item_id: int, *, mark_as_viewed: bool = False) -> dict[str, Any]:
        """The item as GET /item/{id} gives it; `mark_as_viewed` (Podio's default on that
        route) is recorded in `viewed`, as the user's notifications on it would be cleared."""
        with self.lock:
            if mark_as_viewed:
                self.viewed.append(item_id)
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
                "created_by": item["created_by"].created_by(),
                "created_via": item["created_by"].created_via(),
                "created_on": item["created_on"],
                "last_event_on": item["last_event_on"],
                "revision": item["revision"],
                "initial_revision": self.revisions.initial(item_id),
                "current_revision": self.revisions.on_item(item_id)[0],  # field edits only
                "revisions": self.revisions.on_item(item_id),
                "fields": [
                    {**views.field_definition(f), "values": copy.deepcopy(values[f["field_id"]])}
                    for f in app["fields"]
                    if values.get(f["field_id"])
                ],
                "files": self.files.on_item(item_id),
                "tags": list(item.get("tags", [])),
                "comments": [],
                "rights": ["view", "update", "delete"],
            }

    def short_view(self, item_id: int, bundle: frozenset[str] = frozenset()) -> dict[str, Any]:
        """An item as the filter gives it: no app, tags, files or comments, but their counts;
        `bundle` (from `fields=items.fields(files,tags)`) brings back files, and tags where
        `bundles_tags` says Podio honours that (unverified: the emulator plays both)."""
        full = self.view(item_id)
        short = {k: v for k, v in full.items() if k not in SHORT_LEAVES_OUT}
        short["file_count"] = len(full["files"])
        short["comment_count"] = self.stored[item_id].get("comment_count", 0)
        if "files" in bundle:
            short["files"] = full["files"]
        if "tags" in bundle and self.bundles_tags:
            short["tags"] = full["tags"]
        return short

    def filter(
        self,
        app_id: int,
        body: dict[str, Any],
        user_zone: str | None = None,
        bundle: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """Podio's filter call: field filters, created_on/last_edit_on ranges read as
        `self.reading` says (on `user_zone`'s clock, the asking user's, where it reads on the
        user's clock), sort_by/sort_desc, limit (up to 500) and offset; full items. Items
        that share a sort value come in a random order on each call, since Podio documents
        no tie-breaker."""
        app = get(self.directory.apps, app_id, "App")
        limit = _bounded(body.get("limit", 30), "limit", 1, 500)
        offset = _bounded(body.get("offset", 0), "offset", 0, 10**9)
        filters = dict(body.get("filters") or {})
        if not isinstance(body.get("filters") or {}, dict):
            raise ApiError(400, "invalid_value", "filters must be an object")
        ranges = {
            key: self._range(filters.pop(key), user_zone) for key in RANGE_KEYS if key in filters
        }
        sort_by = body.get("sort_by")
        sort_key = self._sort_key(app, sort_by)
        checked = _checked_filters(app, filters)
        with self.lock:
            items = [i for i in self.stored.values() if i["app_id"] == app_id]
            matched = [
                i
                for i in items
                if _matches(i, checked)
                and all(
                    low(_epoch(i[k])) and high(_epoch(i[k])) for k, (low, high) in ranges.items()
                )
            ]
            if sort_key is not None:
                self.ties.shuffle(matched)  # no tie-breaker: ties in no particular order
                matched.sort(key=sort_key, reverse=bool(body.get("sort_desc")))
            return {
                "total": len(items),
                "filtered": len(matched),
                "items": [
                    self.short_view(i["item_id"], bundle) for i in matched[offset : offset + limit]
                ],
            }

    @staticmethod
    def _sort_key(app: dict[str, Any], sort_by: object) -> Any:
        """A sort key for an item property, `title`, or a field (by id or external id);
        items without a value for the field come first."""
        if sort_by is None:
            return None
        if sort_by in SORT_KEYS:
            name = str(sort_by)
            return lambda i: i[name]
        for definition in app["fields"]:
            if sort_by in (
                definition.get("external_id"),
                definition["field_id"],
                str(definition["field_id"]),
            ):
                return _field_sort(definition)
        raise ApiError(400, "invalid_value", f"Invalid sort_by {sort_by!r}")

    def _range(self, value: object, user_zone: str | None) -> tuple[Any, Any]:
        """Bound checks for a {from, to} range on a timestamp, as the reading reads it."""
        if not isinstance(value, dict) or not set(value) <= {"from", "to"}:
            raise ApiError(400, "invalid_value", "a date range must be an object with from/to")
        if self.reading.user_clock:
            zone = ZoneInfo(user_zone or self.zone.key)
            bounds = {k: _on_clock(str(v), zone) for k, v in value.items()}
        else:
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

    def add(
        self, app_id: int, fields: list[dict[str, Any]], created_by: Writer = WEB_USER
    ) -> list[int]:
        """Create many items at once at the clock's time (for tests and benchmarks); their
        item ids."""
        app = get(self.directory.apps, app_id, "App")
        with self.lock:
            ids = []
            for one in fields:
                item_id = self._next_id
                self._next_id += 1
                body = {"fields": one, "created_by": created_by}
                item = self._store(
                    app, item_id, body, field_values(app, one, self), self.clock.now()
                )
                self.changes.notify(Change("item.create", app_id, item_id, self._ids(item)))
                ids.append(item_id)
            return ids

    # ---- what field values point at (fields.References) ---------------------------------

    def item_reference(self, item_id: int) -> dict[str, Any] | None:
        item = self.stored.get(item_id)
        if item is None:
            return None
        app = self.directory.apps[item["app_id"]]
        return {
            "item_id": item_id,
            "title": item["title"],
            "app": {"app_id": app["app_id"], "name": app["name"]},
        }

    def profile(self, profile_id: int) -> dict[str, Any] | None:
        for user in self.directory.users.values():
            if user["profile_id"] == profile_id:
                return {
                    "profile_id": profile_id,
                    "user_id": user["user_id"],
                    "name": user["name"],
                    "mail": [user["mail"]],
                    "type": "user",
                }
        return None

    def member(self, user_id: int) -> dict[str, Any] | None:
        user = self.directory.users.get(user_id)
        return None if user is None else {"user_id": user_id, "name": user["name"]}

    def file(self, file_id: int) -> dict[str, Any] | None:
        return self.files.find(file_id)

    def embed(self, embed_id: int) -> dict[str, Any] | None:
        return self.embeds.get(embed_id)

    def create_embed(self, url: object) -> dict[str, Any]:
        """POST /embed/: a link, for an embed field."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ApiError(400, "invalid_value", f"Invalid url {url!r}")
        with self.lock:
            embed_id = 9001 + len(self.embeds)
            embed = {
                "embed_id": embed_id,
                "original_url": url,
                "resolved_url": url,
                "title": url,
                "type": "link",
            }
            self.embeds[embed_id] = embed
            return embed

    def commented(self, item_id: int, comment_id: int) -> None:
        """A comment was made on the item: it moves last_event_on, not the last edit, and
        Podio's comment.create hook fires."""
        with self.lock:
            self.view(item_id)
            item = self.stored[item_id]
            item["last_event_on"] = timestamp(self.clock.now())
            item["comment_count"] = item.get("comment_count", 0) + 1
            self.changes.notify(
                Change("comment.create", item["app_id"], item_id, {"comment_id": comment_id})
            )

    # ---- writes ------------------------------------------------------------------------

    def create(
        self, app_id: int, body: dict[str, Any], by: Writer = WEB_USER, hook: bool = True
    ) -> dict[str, Any]:
        app = get(self.directory.apps, app_id, "App")
        values = field_values(app, _fields(body), self)
        _tags(body)
        missing = [
            f["label"] for f in app["fields"] if f.get("required") and not values.get(f["field_id"])
        ]
        if missing:
            raise ApiError(400, "invalid_value", f"Required field(s) missing: {', '.join(missing)}")
        with self.lock:
            item_id = self._next_id
            self._next_id += 1
            file_ids = _file_ids(body, self.files)
            item = self._store(app, item_id, {**body, "created_by": by}, values, self.clock.now())
            for file_id in [] if self.drops_file_ids else file_ids:
                self.files.attach(file_id, app_id, item_id, hook=False)
            self.changes.notify(Change("item.create", app_id, item_id, self._ids(item), hook))
            return {"item_id": item_id, "title": item["title"], "app_item_id": item["app_item_id"]}

    def update(
        self, item_id: int, body: dict[str, Any], by: Writer = WEB_USER, hook: bool = True
    ) -> dict[str, Any]:
        with self.lock:
            self.view(item_id)  # 404 / 410 first
            item = self.stored[item_id]
            app = self.directory.apps[item["app_id"]]
            values = field_values(app, _fields(body), self)
            tags = _tags(body)
            file_ids = _file_ids(body, self.files) if "file_ids" in body else None
            revision = body.get("revision")
            if revision is not None and revision != item["revision"]:
                raise ApiError(
                    409, "conflict", "The item has been updated since the given revision"
                )
            item["values"].update(values)
            _calculate(app, item)
            if tags is not None:
                item["tags"] = tags
            if file_ids is not None and not self.drops_file_ids:
                self._set_files(item, file_ids)
            item["title"] = _title(app, item["values"])
            now = self.clock.now()
            item["revision"] = self.revisions.record(
                item_id, "update", item["values"], by, now
            ).revision
            item["last_edit_on"] = item["last_event_on"] = timestamp(now)
            self.changes.notify(
                Change("item.update", app["app_id"], item_id, self._ids(item), hook)
            )
            return {"revision": item["revision"], "title": item["title"]}

    def delete(self, item_id: int, by: Writer = WEB_USER, hook: bool = True) -> None:
        with self.lock:
            self.view(item_id)
            item = self.stored.pop(item_id)
            self.deleted.add(item_id)
            self.revisions.record(item_id, "delete", {}, by, self.clock.now())
            self.changes.notify(
                Change("item.delete", item["app_id"], item_id, self._ids(item), hook)
            )

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
            "created_by": _writer(body.get("created_by", WEB_USER)),
            "created_on": timestamp(now),
            "last_edit_on": timestamp(now),
            "last_event_on": timestamp(now),
            "revision": 0,
            "tags": _tags(body) or [],
            "values": values,
            "title": _title(app, values),
        }
        self.stored[item_id] = item
        _calculate(app, item)
        self.revisions.record(item_id, "creation", item["values"], item["created_by"], now)
        return item

    def _set_files(self, item: dict[str, Any], file_ids: list[int]) -> None:
        if self.file_ids_on_update == "replace":
            for kept in self.files.on_item(item["item_id"]):
                if kept["file_id"] not in file_ids:
                    self.files.detach(kept["file_id"])
        for file_id in file_ids:
            self.files.attach(file_id, item["app_id"], item["item_id"], hook=False)

    def difference(self, item_id: int, low: int, high: int) -> list[dict[str, Any]]:
        """GET /item/{id}/revision/{from}/{to}."""
        with self.lock:
            self.view(item_id)  # 404 / 410 first
            app = self.directory.apps[self.stored[item_id]["app_id"]]
            return self.revisions.difference(item_id, app, low, high)

    def revision_list(self, item_id: int) -> list[dict[str, Any]]:
        with self.lock:
            self.view(item_id)
            return self.revisions.listed(item_id)

    def _ids(self, item: dict[str, Any]) -> dict[str, Any]:
        """What a change of the item carries besides its id: its latest revision (both
        numbers) and its external ID."""
        latest = self.revisions.latest(item["item_id"])
        return {
            "revision": latest.revision,
            "item_revision_id": latest.item_revision_id,
            "external_id": item.get("external_id"),
        }


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


def _on_clock(text: str, zone: ZoneInfo) -> float:
    """A "YYYY-MM-DD HH:MM:SS" read on a zone's clock, as seconds since the epoch (in the hour
    a clock turned back, the first of the two)."""
    naive = datetime.fromtimestamp(_epoch(text), UTC).replace(tzinfo=None)
    return naive.replace(tzinfo=zone).timestamp()


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = body.get("fields", {})
    if not isinstance(fields, dict):
        raise ApiError(
            400,
            "invalid_value",
            f"Invalid value {json.dumps(fields)} ({_json_kind(fields)}): must be object or must "
            "be object",
        )
    return fields


def _tags(body: dict[str, Any]) -> list[str] | None:
    if "tags" not in body:
        return None
    tags = body["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ApiError(400, "invalid_value", "tags must be a list of strings")
    return list(tags)


def _field_sort(definition: dict[str, Any]) -> Any:
    def by_field(item: dict[str, Any]) -> tuple[bool, Any]:
        found = item["values"].get(definition["field_id"]) or []
        value = plain(definition, found[0]) if found else None
        return (value is not None, value if value is not None else 0)

    return by_field


def _calculate(app: dict[str, Any], item: dict[str, Any]) -> None:
    """A calculation field that doubles another number field (the one formula emulated)."""
    for definition in app["fields"]:
        source = definition.get("doubles")
        if definition["type"] != "calculation" or not source:
            continue
        base = next(f for f in app["fields"] if f.get("external_id") == source)
        found = item["values"].get(base["field_id"]) or []
        doubled = [{"value": str(Decimal(found[0]["value"]) * 2)}] if found else []
        item["values"][definition["field_id"]] = doubled


def _title(app: dict[str, Any], values: dict[int, list[Any]]) -> str:
    for definition in app["fields"]:
        if definition["type"] == "text" and values.get(definition["field_id"]):
            return str(values[definition["field_id"]][0]["value"])
    return str(app["item_name"])


RANGED = ("number", "money", "progress", "duration", "calculation", "date")


def _checked_filters(
    app: dict[str, Any], filters: dict[str, Any]
) -> list[tuple[dict[str, Any] | None, Any]]:
    """Field filters as the filter call takes them, or Podio's 400: a list of option, item
    or profile ids, or a {from, to} range on a number, money, progress, duration,
    calculation or date field; `external_id` matches the item's."""
    by_key = {str(f["field_id"]): f for f in app["fields"]} | {
        f["external_id"]: f for f in app["fields"] if f.get("external_id")
    }
    checked: list[tuple[dict[str, Any] | None, Any]] = []
    for key, wanted in filters.items():
        if key == "external_id":
            checked.append((None, wanted if isinstance(wanted, list) else [wanted]))
            continue
        definition = by_key.get(str(key))
        if definition is None:
            raise ApiError(400, "invalid_value", f'Invalid value "{key}" (string): No field found')
        if isinstance(wanted, dict):
            numbers = definition["type"] != "date"
            ends = [wanted.get(k) for k in ("from", "to") if wanted.get(k) is not None]
            valid = definition["type"] in RANGED and all(
                isinstance(e, int | float) and not isinstance(e, bool)
                if numbers
                else isinstance(e, str)
                for e in ends
            )
            if not valid:
                raise ApiError(
                    400,
                    "invalid_value",
                    f"Invalid value {json.dumps(wanted)} (object): not a filter of a "
                    f"{definition['type']} field",
                )
        checked.append((definition, wanted))
    return checked


def _matches(item: dict[str, Any], filters: list[tuple[dict[str, Any] | None, Any]]) -> bool:
    for definition, wanted in filters:
        if definition is None:
            if item.get("external_id") not in wanted:
                return False
            continue
        found = [plain(definition, v) for v in item["values"].get(definition["field_id"], [])]
        if isinstance(wanted, dict):
            low, high = wanted.get("from"), wanted.get("to")
            if definition["type"] == "date":
                low, high = (_day_start(low), _day_end(high))
            if not any((low is None or v >= low) and (high is None or v <= high) for v in found):
                return False
        elif not any(w in found for w in (wanted if isinstance(wanted, list) else [wanted])):
            return False
    return True


def _day_start(value: object) -> object:
    return f"{value} 00:00:00" if isinstance(value, str) and len(value) == 10 else value


def _day_end(value: object) -> object:
    return f"{value} 23:59:59" if isinstance(value, str) and len(value) == 10 else value


def _bounded(value: object, name: str, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        raise ApiError(
            400, "invalid_value", f"{name} must be an integer from {lowest} to {highest}"
        )
    return value


def _json_kind(value: object) -> str:
    return {list: "array", str: "string", bool: "boolean", dict: "object"}.get(
        type(value), "integer" if isinstance(value, int) else "number"
    )


def _writer(by: Writer | int) -> Writer:
    """A seeded item names its creator by user id: in Podio's web app."""
    return by if isinstance(by, Writer) else Writer("user", by)


def _file_ids(body: dict[str, Any], files: Files) -> list[int]:
    """`file_ids`: files uploaded before (Podio's 400 for one it does not have)."""
    given = body.get("file_ids") or []
    if not isinstance(given, list) or not all(isinstance(f, int) for f in given):
        raise ApiError(400, "invalid_value", "file_ids must be a list of file ids")
    for file_id in given:
        if file_id not in files.stored:
            raise ApiError(400, "invalid_value", f"File with id {file_id} not found")
    return list(given)
