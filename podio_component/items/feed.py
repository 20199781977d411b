"""An exact change feed of one Podio app: every item created (or last edited) since a cursor,
each once, oldest first, in pages, with a cursor that stays a few dozen bytes.

Podio's filter call sorts by `created_on` or `last_edit_on`, with one-second timestamps and
no tie-breaker, and pages by offset. The feed relies only on what holds whatever Podio's
order within a second is:

- A run's window ends at Podio's newest edit when the run began (`upper`), and never
  includes the second Podio's clock is in (its `Date` header): nothing can be added at or
  before `upper` later, so a second once done stays done, and edits made during the run
  fall after the window and are left to the next run.
- Sorted by the timestamp, the items of the seconds before a second S fill the first places
  of the window, whatever their order: the offset where S begins is stable. So a page is
  emitted second by second, the last second of a full page is left for the next page (which
  starts where it began), and a second larger than a page is walked on its own, sorted by
  item id, which is stable, with the cursor `(second, last item id)`.
- Each page overlaps the previous one by one item; if that item is not where it was, items
  moved (edited during the run), and the walk starts again from the cursor.

How Podio reads `from`/`to` is undocumented: the feed measures it once (`Reading`) and
widens its ranges by what the reading needs; client-side checks on each item's own
timestamp keep the result exact.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from podio_component.items.api import filter_items
from podio_component.podio.client import PodioClient
from podio_component.podio.time import epoch, podio_time

Event = Literal["created", "updated"]
Reading = Literal["default", "exclusive", "wide"]
WIDE_MARGIN = 14 * 3600 + 1  # a zone Podio might read the bounds in: up to 14 h either way
MARGINS: dict[str, int] = {"default": 0, "exclusive": 1, "wide": WIDE_MARGIN}
READINGS = ("default", "exclusive", "wide", "unknown")  # unknown: not measured yet


@dataclass(frozen=True)
class Cursor:
    """Everything before `second` is done; at `second`, the items up to `after_id` (in item
    id order), or all of them when `done`. `tie_offset` resumes a second walked alone."""

    second: int
    after_id: int = 0
    done: bool = False
    tie_offset: int = 0

    def passed(self, second: int, item_id: int) -> bool:
        """Whether an item at `second` with `item_id` was already emitted."""
        if second != self.second:
            return second < self.second
        return self.done or item_id <= self.after_id


def cursor_state(cursor: Cursor, reading: str) -> dict[str, Any]:
    """The feed's part of a snapshot: where it stands and the reading it measured."""
    return {
        "since": podio_time(cursor.second),
        "afterId": cursor.after_id,
        "done": cursor.done,
        "tieOffset": cursor.tie_offset,
        "reading": reading,
    }


def read_cursor_state(state: Mapping[str, Any]) -> tuple[Cursor, str]:
    """The cursor and reading that `cursor_state` wrote; ValueError when it is not that."""
    try:
        cursor = Cursor(
            epoch(str(state["since"])),
            _whole(state["afterId"]),
            _flag(state["done"]),
            _whole(state["tieOffset"]),
        )
        reading = str(state["reading"])
    except (KeyError, TypeError) as exc:
        raise ValueError(str(exc)) from None
    if reading not in READINGS:
        raise ValueError(reading)
    return cursor, reading


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(value)
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


@dataclass
class Page:
    """What one page of the feed emitted, and the cursor after it."""

    items: list[dict[str, Any]]
    cursor: Cursor
    walked: int = 0  # a second walked on its own: how many items it holds


class Feed:
    def __init__(self, client: PodioClient, app_id: int, event: Event, page_size: int) -> None:
        self.client = client
        self.app_id = app_id
        self.key = "created_on" if event == "created" else "last_edit_on"
        self.page_size = page_size
        self.use_reading("default")

    def use_reading(self, reading: str) -> None:
        """Widen every range by what the reading needs (see MARGINS)."""
        self.reading = cast(Reading, reading)
        self.margin = MARGINS[reading]

    # ---- what Podio says -------------------------------------------------------------

    def second_of(self, item: dict[str, Any]) -> int:
        """The item's timestamp that the feed follows: its creation, or its last field edit
        (`current_revision`; comments and ratings do not move it)."""
        if self.key == "created_on":
            return epoch(item["created_on"])
        return epoch((item.get("current_revision") or {}).get("created_on") or item["created_on"])

    def filter(
        self,
        *,
        sort_by: str,
        limit: int,
        offset: int = 0,
        desc: bool = False,
        between: tuple[int, int] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One filter call: its items and Podio's clock (the Date header), in seconds."""
        filters = None
        if between is not None:
            low, high = between
            filters = {
                self.key: {
                    "from": podio_time(low - self.margin),
                    "to": podio_time(high + self.margin),
                }
            }
        return filter_items(
            self.client,
            self.app_id,
            filters=filters,
            sort_by=sort_by,
            sort_desc=desc,
            limit=limit,
            offset=offset,
        )

    def newest(self, count: int = 1) -> tuple[list[dict[str, Any]], int]:
        """The most recently created (or edited) items, and Podio's clock: no range is sent,
        so this does not depend on how Podio reads one."""
        return self.filter(sort_by=self.key, limit=count, desc=True)

    # ---- the reading ----------------------------------------------------------------

    def measure_reading(self, probe_second: int) -> Reading:
        """How Podio reads from/to, found with an item known to be at `probe_second`: both
        bounds inclusive in UTC (default), both exclusive in UTC, or something else (a zone
        of its own), which is met with ranges 14 hours wider."""
        candidates: tuple[Reading, ...] = ("default", "exclusive")
        for reading in candidates:
            self.use_reading(reading)
            items, _ = self.filter(sort_by="item_id", limit=1, between=(probe_second, probe_second))
            if items and self.second_of(items[0]) == probe_second:
                return reading
        self.use_reading("wide")
        return "wide"

    # ---- the walk -------------------------------------------------------------------

    def pages(self, cursor: Cursor, upper: int) -> Iterator[Page]:
        """Pages of items after `cursor` up to second `upper` (inclusive), oldest first;
        each page's cursor is where the next run resumes."""
        if not cursor.done and (cursor.after_id or cursor.tie_offset):  # a second half walked
            for page in self._one_second(cursor):
                cursor = page.cursor
                yield page
        start = cursor.second + 1 if cursor.done else cursor.second
        offset = 0  # window items before this place are done (their seconds complete)
        before: int | None = None  # the second of the item just before `offset`
        while True:
            overlap = 1 if offset else 0
            items, _ = self.filter(
                sort_by=self.key,
                limit=self.page_size + overlap,
                offset=offset - overlap,
                between=(start, upper),
            )
            if overlap and (not items or self.second_of(items[0]) != before):
                # items before this place moved (edited during the run): start again
                start = cursor.second + 1 if cursor.done else cursor.second
                offset, before = 0, None
                continue
            complete = len(items) < self.page_size + overlap
            items = items[overlap:]
            window = [i for i in items if self.second_of(i) <= upper]
            complete = complete or len(window) < len(items)
            groups: dict[int, list[dict[str, Any]]] = {}
            for item in window:
                groups.setdefault(self.second_of(item), []).append(item)
            seconds = sorted(groups)
            open_second = None if complete or not seconds else seconds[-1]
            emitted: list[dict[str, Any]] = []
            for second in seconds:
                if second == open_second:
                    break
                group = sorted(groups[second], key=lambda i: int(i["item_id"]))
                emitted += [i for i in group if not cursor.passed(second, int(i["item_id"]))]
                if second >= cursor.second:
                    cursor = Cursor(second, int(group[-1]["item_id"]), done=True)
                offset += len(group)
                before = second
            if emitted or complete:
                yield Page(emitted, cursor)
            if complete:
                return
            assert open_second is not None
            if len(seconds) == 1:  # one second fills the page: walk it on its own
                walked = 0
                cursor = Cursor(open_second) if cursor.second < open_second else cursor
                for page in self._one_second(cursor):
                    cursor = page.cursor
                    walked = page.walked
                    yield page
                offset += walked
                before = open_second

    def _one_second(self, cursor: Cursor) -> Iterator[Page]:
        """Walk the items of one second in item id order, from the cursor; the last page
        says how many items the second holds (`walked`)."""
        second = cursor.second
        offset = cursor.tie_offset
        after = cursor.after_id  # the highest id emitted at this second
        last_id: int | None = None if offset == 0 else after  # the item before `offset`
        count = 0  # the second's items seen in this walk
        while True:
            overlap = 1 if offset else 0
            items, _ = self.filter(
                sort_by="item_id",
                limit=self.page_size + overlap,
                offset=offset - overlap,
                between=(second, second),
            )
            if overlap and (not items or int(items[0]["item_id"]) != last_id):
                offset, count = 0, 0  # items moved: walk the second again, skipping
                continue
            complete = len(items) < self.page_size + overlap
            items = items[overlap:]
            group = [i for i in items if self.second_of(i) == second]
            count += len(group)
            fresh = [i for i in group if int(i["item_id"]) > after]
            offset += len(items)
            if items:
                last_id = int(items[-1]["item_id"])
            after = max([after] + [int(i["item_id"]) for i in group])
            if complete:
                yield Page(fresh, Cursor(second, after, done=True), walked=count)
                return
            yield Page(fresh, Cursor(second, after, tie_offset=offset))
