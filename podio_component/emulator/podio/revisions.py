"""The emulated items' revisions: a per-item revision number (0 at creation, +1 per change)
and a global `item_revision_id` for each, the field values at each, and the difference
between two of them, as Podio's revision routes answer.

Podio seems to keep only an item's latest 30 revisions (files-and-collaboration §5.5); so
does this. Whether the difference route reads revision numbers (as documented) or global
ids is played by `diff_numbering`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from podio_component.emulator.podio import views
from podio_component.emulator.podio.model import ApiError, timestamp

FIRST_GLOBAL_ID = 1_448_600_000  # global ids are large and shared by every item, as captured
KEPT = 30  # revisions kept per item
ON_ITEM = 5  # revisions GET /item/{id} lists, newest first


@dataclass(frozen=True)
class Writer:
    """Who made a change and through what: a user or an app (app authentication), through
    an API client (its number and name) or, with none, Podio's own web app."""

    kind: str  # "user" or "app"
    id: int
    client: tuple[int, str] | None = None

    def created_by(self) -> dict[str, Any]:
        return {"type": self.kind, "id": self.id}

    def created_via(self) -> dict[str, Any]:
        if self.client is None:
            return {"id": 1, "name": "Podio", "auth_client_id": None, "display": False}
        number, name = self.client
        return {"id": number, "name": name, "auth_client_id": number, "display": True}


WEB_USER = Writer("user", 1001)  # the first seeded user, in Podio's web app


@dataclass(frozen=True)
class Revision:
    revision: int  # the item's own number
    item_revision_id: int  # global
    type: str  # creation, update or delete
    created_on: float
    by: Writer
    values: dict[int, list[Any]]  # field id -> values, as they stood after this revision

    def view(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "item_revision_id": self.item_revision_id,
            "app_revision": 1,
            "type": self.type,
            "created_on": timestamp(self.created_on),
            "created_by": self.by.created_by(),
            "created_via": self.by.created_via(),
        }


class Revisions:
    def __init__(self) -> None:
        self._history: dict[int, list[Revision]] = {}
        self._next_id = FIRST_GLOBAL_ID
        self.diff_numbering = "revision"  # what the difference route's two numbers are

    def record(
        self, item_id: int, kind: str, values: dict[int, list[Any]], by: Writer, now: float
    ) -> Revision:
        """A new revision of the item (the caller holds the world's lock)."""
        history = self._history.setdefault(item_id, [])
        number = history[-1].revision + 1 if history else 0
        revision = Revision(number, self._next_id, kind, now, by, copy.deepcopy(values))
        self._next_id += 1
        history.append(revision)
        del history[:-KEPT]
        return revision

    def latest(self, item_id: int) -> Revision:
        return self._history[item_id][-1]

    def on_item(self, item_id: int) -> list[dict[str, Any]]:
        """The revisions GET /item/{id} carries: the latest few, newest first."""
        return [r.view() for r in reversed(self._history[item_id][-ON_ITEM:])]

    def initial(self, item_id: int) -> dict[str, Any]:
        """The oldest revision kept (not the creation, once more than 30 were made)."""
        return self._history[item_id][0].view()

    def listed(self, item_id: int) -> list[dict[str, Any]]:
        """GET /item/{id}/revision/: every revision kept, oldest first."""
        return [r.view() for r in self._history[item_id]]

    def one(self, item_id: int, number: int) -> dict[str, Any]:
        return self._find(item_id, number, "revision").view()

    def difference(
        self, item_id: int, app: dict[str, Any], low: int, high: int
    ) -> list[dict[str, Any]]:
        """GET /item/{id}/revision/{from}/{to}: each field whose values differ, with the
        values at both, in the read form."""
        before = self._find(item_id, low, self.diff_numbering).values
        after = self._find(item_id, high, self.diff_numbering).values
        changed = []
        for definition in app["fields"]:
            old, new = before.get(definition["field_id"], []), after.get(definition["field_id"], [])
            if old != new:
                field = views.field_definition(definition)
                changed.append(
                    {
                        "field_id": field["field_id"],
                        "external_id": field["external_id"],
                        "type": field["type"],
                        "label": field["label"],
                        "config": field["config"],
                        "from": copy.deepcopy(old),
                        "to": copy.deepcopy(new),
                    }
                )
        return changed

    def _find(self, item_id: int, number: int, key: str) -> Revision:
        for revision in self._history.get(item_id, []):
            if getattr(revision, key) == number:
                return revision
        raise ApiError(404, "not_found", f"Item revision {number} not found")
