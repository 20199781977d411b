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
DIFF_NUMBERINGS = ("revision", "item_revision_id")


@dataclass(frozen=True)
class Revision:
    revision: int  # the item's own number
    item_revision_id: int  # global
    type: str  # creation, update or delete
    created_on: float
    created_by: int
    values: dict[int, list[Any]]  # field id -> values, as they stood after this revision

    def view(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "item_revision_id": self.item_revision_id,
            "app_revision": 1,
            "type": self.type,
            "created_on": timestamp(self.created_on),
            "created_by": {"type": "user", "id": self.created_by},
            "created_via": {"id": 1, "name": "Podio"},
        }


class Revisions:
    def __init__(self) -> None:
        self._history: dict[int, list[Revision]] = {}
        self._next_id = FIRST_GLOBAL_ID
        self.diff_numbering = "revision"  # what the difference route's two numbers are

    def record(
        self, item_id: int, kind: str, values: dict[int, list[Any]], by: int, now: float
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


def check_numbering(value: str) -> str:
    if value not in DIFF_NUMBERINGS:
        raise ValueError(f"expected one of {', '.join(DIFF_NUMBERINGS)}, got {value!r}")
    return value
