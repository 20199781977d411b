"""Item Events' snapshot: what was handled (`webhooks.once`), how the hooks number
revisions, and the catch-up's place in the app's change feed, within the platform's 5 KB.

    {"version": 3, "app": 30, "handled": "5001:1448600003 c60001:0",
     "numbering": "global", "feed": {<items.feed cursor>, "key": "last_edit_on"},
     "coveredFrom": "2026-12-07 10:00:00", "caughtUpAt": 1765101600, "more": false}

`coveredFrom` is where the catch-up began to follow the app; what lies between it and the
feed's cursor was walked by a catch-up, so a late delivery of a change there is covered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from podio_component.items.feed import Cursor, Reading, cursor_state, read_cursor_state
from podio_component.podio.time import epoch, podio_time
from podio_component.webhooks.once import Once

VERSION = 3
SNAPSHOT_LIMIT = 5_000  # bytes of JSON, under the platform's 5 KB
SPARE = 120  # room kept for the cursor's digits to grow
NUMBERINGS = ("global", "number")


@dataclass
class Place:
    """Where the catch-up stands in the app's feed."""

    cursor: Cursor
    reading: Reading
    key: str  # created_on or last_edit_on: what the feed follows
    covered_from: int  # seconds: the feed's first cursor

    def covers(self, second: int) -> bool:
        """Whether a change at `second` lies in what catch-ups walked."""
        if second <= self.covered_from:
            return False
        return second < self.cursor.second or (second == self.cursor.second and self.cursor.done)


@dataclass
class State:
    app: int
    handled: str = ""
    numbering: str = "global"  # what the hooks' item_revision_id is, learnt from Podio
    place: Place | None = None
    caught_up_at: float = 0.0  # epoch seconds
    more: bool = False  # the last catch-up stopped at its bound: it goes on next time
    once: Once = field(init=False)

    def __post_init__(self) -> None:
        empty = json.dumps(self._fields(""), separators=(",", ":"))
        self.once = Once(self.handled, SNAPSHOT_LIMIT - SPARE - len(empty))

    @classmethod
    def of(cls, snapshot: object, app_id: int) -> State:
        """What the snapshot holds for this app; a fresh state for another app's, an older
        version's or a foreign one."""
        if not isinstance(snapshot, Mapping) or snapshot.get("version") != VERSION:
            return cls(app_id)
        handled = snapshot.get("handled")
        if snapshot.get("app") != app_id or not isinstance(handled, str):
            return cls(app_id)
        numbering = snapshot.get("numbering")
        caught_up_at = snapshot.get("caughtUpAt")
        return cls(
            app_id,
            handled,
            numbering if numbering in NUMBERINGS else "global",
            _place(snapshot),
            float(caught_up_at) if isinstance(caught_up_at, int | float) else 0.0,
            snapshot.get("more") is True,
        )

    def snapshot(self) -> dict[str, Any]:
        return self._fields(self.once.text)

    def _fields(self, handled: str) -> dict[str, Any]:
        state: dict[str, Any] = {
            "version": VERSION,
            "app": self.app,
            "handled": handled,
            "numbering": self.numbering,
        }
        if self.place is not None:
            feed = {**cursor_state(self.place.cursor, self.place.reading), "key": self.place.key}
            state["feed"] = feed
            state["coveredFrom"] = podio_time(self.place.covered_from)
        state.update(caughtUpAt=round(self.caught_up_at), more=self.more)
        return state


def _place(snapshot: Mapping[str, Any]) -> Place | None:
    feed = snapshot.get("feed")
    if not isinstance(feed, Mapping) or feed.get("key") not in ("created_on", "last_edit_on"):
        return None
    try:
        cursor, reading = read_cursor_state(feed)
        covered_from = epoch(str(snapshot.get("coveredFrom")))
    except ValueError:
        return None
    return Place(cursor, reading, str(feed["key"]), covered_from)
