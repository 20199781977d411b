"""Each item event emitted once: the snapshot keeps, per item, the highest
`item_revision_id` handled, so a delivery Podio repeats, or the broker redelivers once the
snapshot moved on, or an older revision arriving after a newer one, is dropped without a
call. A deleted item is marked above every revision: nothing after its delete is emitted.

The platform keeps snapshots up to 5 KB; past that, the items handled longest ago are
forgotten (with a warning): a repeat of one of those could be emitted again, nothing is lost.

The items are kept as one text, `"5001:1448600003 5002:1448600017"`, oldest first: looking
one up, marking one and measuring the snapshot are text operations, and the runtime copies
and publishes the snapshot as one string rather than hundreds of entries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from podio_component.redaction import logger

log = logger(__name__)

VERSION = 2
SNAPSHOT_LIMIT = 5_000  # bytes of JSON, under the platform's 5 KB
DELETED = 2**53  # above every revision id, and exact in JSON


class Once:
    def __init__(self, app_id: int, handled: str = "") -> None:
        self.app_id = app_id
        self._handled = handled  # "item:revision" pairs, oldest first, space-separated
        empty = {"version": VERSION, "app": app_id, "handled": ""}
        self._room = SNAPSHOT_LIMIT - len(json.dumps(empty, separators=(",", ":")))

    @classmethod
    def of(cls, snapshot: object, app_id: int) -> Once:
        """What the snapshot remembers for this app; nothing for another app's or a foreign
        snapshot."""
        if not isinstance(snapshot, Mapping) or snapshot.get("version") != VERSION:
            return cls(app_id)
        handled = snapshot.get("handled")
        if snapshot.get("app") != app_id or not isinstance(handled, str) or not handled.isascii():
            return cls(app_id)
        return cls(app_id, handled)

    def handled(self, item_id: int, revision_id: int) -> bool:
        """Whether this revision of the item, or a later one, was handled already."""
        found = self._find(item_id)
        return found is not None and revision_id <= found[2]

    def mark(self, item_id: int, revision_id: int) -> None:
        found = self._find(item_id)
        if found is not None:
            start, end, earlier = found
            revision_id = max(revision_id, earlier)
            self._handled = (self._handled[:start] + self._handled[end:]).strip()
        entry = f"{item_id}:{revision_id}"
        self._handled = f"{self._handled} {entry}" if self._handled else entry
        while len(self._handled) > self._room and " " in self._handled:
            forgotten, _, self._handled = self._handled.partition(" ")
            _forgotten(forgotten.partition(":")[0])

    def snapshot(self) -> dict[str, Any]:
        return {"version": VERSION, "app": self.app_id, "handled": self._handled}

    def _find(self, item_id: int) -> tuple[int, int, int] | None:
        """(start, end, revision) of the item's entry."""
        key = f"{item_id}:"
        start = -1
        while True:
            start = self._handled.find(key, start + 1)
            if start == -1:
                return None
            if start == 0 or self._handled[start - 1] == " ":
                break
        end = self._handled.find(" ", start)
        end = len(self._handled) if end == -1 else end
        revision = self._handled[start + len(key) : end]
        return (start, end, int(revision)) if revision.isdigit() else None


_warned = False


def _forgotten(item_id: str) -> None:
    """A warning the first time in the process, then a debug line for each."""
    global _warned
    if _warned:
        log.debug("the snapshot is full: item %s is forgotten", item_id)
        return
    _warned = True
    log.warning(
        "the snapshot is full (5 KB): the items handled longest ago are forgotten from now on, "
        "item %s first; a repeated delivery for one of them could be emitted again",
        item_id,
    )
