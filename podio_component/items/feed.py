"""An exact change feed of one Podio app: every item created (or last edited) since a cursor,
each once, oldest first, in pages of exactly `page_size` items (the last excepted), with a
cursor that stays a few dozen bytes.

Podio's filter call sorts by `created_on` or `last_edit_on`, with one-second timestamps and
no tie-breaker, and pages by offset (at most 500 a call). The feed relies only on what holds
whatever Podio's order within a second is:

- A run's window ends at Podio's newest edit when the run began (`upper`), and never
  includes the second Podio's clock is in (its `Date` header): nothing can be added at or
  before `upper` later, so a second once done stays done, and edits made during the run
  fall after the window and are left to the next run.
- Sorted by the timestamp, the items of the seconds before a second S fill the first places
  of the window, whatever their order: the offset where S begins is stable. So the feed
  takes a call's items second by second, in item id order within a second; the last second
  of a full call may go on past it, so it is left for the next call (which starts where it
  began), and each call asks for one item more than a page, so that a page's last second is
  known to be whole when the item after it is in another second. A second larger than a call
  is walked on its own, sorted by item id, which is stable, with the cursor
  `(second, last item id)`. Pages are cut from this stream, so a page may end inside a
  second; its cursor then names the last item taken.
- Each call overlaps the previous one by one item; if that item is not where it was, items
  moved (edited during the run), and the walk starts again from the cursor.

How Podio reads `from`/`to` is undocumented: the feed measures it once (`Reading`) and
widens its ranges by what the reading needs; client-side checks on each item's own
timestamp keep the result exact.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from podio_component.errors import PodioHTTPError
from podio_component.items.api import PAGE_LIMIT, filter_items
from podio_component.podio.client import PodioClient
from podio_component.podio.time import epoch, largest_offset, local_time, podio_time
from podio_component.redaction import logger

log = logger(__name__)

Event = Literal["created", "updated"]
WIDE_MARGIN = 14 * 3600 + 1  # a zone Podio might read the bounds in: up to 14 h either way
HOUR = 3600
MAX_TIE_OFFSET = 1_000_000  # a second walked alone never holds more items than this
# how Podio reads from/to: both bounds inclusive or exclusive, in UTC or in the user's zone;
# "wide" when it cannot be told, "unknown" before it is measured
READINGS = ("default", "exclusive", "local", "local-exclusive", "wide", "unknown")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reading:
    kind: str
    zone: str | None = None  # the credential user's zone (IANA name), when the reading uses it

    @property
    def margin(self) -> int:
        """Seconds every range is widened by."""
        if self.kind == "wide":
            return WIDE_MARGIN if self.zone is None else _zone_margin(self.zone)
        return 1 if self.kind.endswith("exclusive") else 0

    @property
    def local(self) -> bool:
        return self.kind.startswith("local")


@functools.lru_cache(maxsize=16)
def _zone_margin(zone: str) -> int:
    """A zone's greatest distance from UTC in the coming year, and a second."""
    return largest_offset(ZoneInfo(zone), int(time.time())) + 1


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


def cursor_state(cursor: Cursor, reading: Reading) -> dict[str, Any]:
    """The feed's part of a snapshot: where it stands and the reading it measured (with the
    user's zone, once this version measured it)."""
    state: dict[str, Any] = {
        "since": podio_time(cursor.second),
        "afterId": cursor.after_id,
        "done": cursor.done,
        "tieOffset": cursor.tie_offset,
        "reading": reading.kind,
    }
    if reading.local or reading.kind == "wide":
        state["zone"] = reading.zone
    return state


def read_cursor_state(state: Mapping[str, Any]) -> tuple[Cursor, Reading]:
    """The cursor and reading that `cursor_state` wrote; ValueError when it is not that. A
    "wide" reading kept before the zone was learnt is measured again ("unknown")."""
    try:
        cursor = Cursor(
            epoch(str(state["since"])),
            _whole(state["afterId"], 2**63 - 1),
            _flag(state["done"]),
            _whole(state["tieOffset"], MAX_TIE_OFFSET),
        )
        kind = str(state["reading"])
        zone = state.get("zone")
    except (KeyError, TypeError) as exc:
        raise ValueError(str(exc)) from None
    if kind not in READINGS or not (zone is None or isinstance(zone, str)):
        raise ValueError(kind)
    if kind == "wide" and "zone" not in state:
        return cursor, Reading("unknown")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return cursor, Reading("unknown")  # not a zone this machine knows: measure again
    return cursor, Reading(kind, zone)


def _whole(value: object, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest:
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


@dataclass
class Group:
    """Items of one second taken from one call, in item id order (those already emitted
    left out), and the cursor after them."""

    second: int
    items: list[dict[str, Any]]
    cursor: Cursor


class Feed:
    def __init__(
        self,
        client: PodioClient,
        app_id: int,
        event: Event,
        page_size: int,
        bundle: str | None = None,
    ) -> None:
        self.client = client
        self.app_id = app_id
        self.bundle = bundle  # what the filter is asked to add to each item (`fields=`)
        self.key = "created_on" if event == "created" else "last_edit_on"
        self.page_size = page_size
        self.reading = Reading("default")

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
            filters = {self.key: self._range(*between)}
        return filter_items(
            self.client,
            self.app_id,
            filters=filters,
            sort_by=sort_by,
            sort_desc=desc,
            limit=min(limit, PAGE_LIMIT),
            offset=offset,
            bundle=self.bundle,
        )

    def _range(self, low: int, high: int) -> dict[str, str]:
        """from/to as the reading needs them: widened by its margin, and on the user's clock
        for a local reading (a bound in the hour a clock turned back, which names two
        instants, moves one hour further out)."""
        low, high = low - self.reading.margin, high + self.reading.margin
        if not self.reading.local or self.reading.zone is None:
            return {"from": podio_time(low), "to": podio_time(high)}
        zone = ZoneInfo(self.reading.zone)
        start, exact = local_time(low, zone)
        if not exact:
            start, _ = local_time(low - HOUR, zone)
        end, exact = local_time(high, zone)
        if not exact:
            end, _ = local_time(high + HOUR, zone)
        return {"from": start, "to": end}

    def newest(self, count: int = 1) -> tuple[list[dict[str, Any]], int]:
        """The most recently created (or edited) items, and Podio's clock: no range is sent,
        so this does not depend on how Podio reads one."""
        return self.filter(sort_by=self.key, limit=count, desc=True)

    # ---- the reading ----------------------------------------------------------------

    def measure_reading(self, probe_second: int) -> Reading:
        """How Podio reads from/to, found with an item known to be at `probe_second`: both
        bounds inclusive or both exclusive, in UTC or on the clock of the credential's user.
        Where the answers cannot tell (no user, a zone they contradict), ranges are widened
        by the most any zone is from UTC; where the user's clock showed UTC at the probe but
        does not all year, by the most it is from UTC."""
        zone = self._user_zone()
        name = None if zone is None else zone.key
        distinct = zone is not None and local_time(probe_second, zone)[0] != podio_time(
            probe_second
        )
        candidates = [Reading("default"), Reading("exclusive")]
        if distinct:
            candidates += [Reading("local", name), Reading("local-exclusive", name)]
        for reading in candidates:
            self.reading = reading
            items, _ = self.filter(sort_by="item_id", limit=1, between=(probe_second, probe_second))
            if items and self.second_of(items[0]) == probe_second:
                # the user's clock showed UTC at the probe but not in another season: the
                # answer cannot tell UTC from the user's clock, so take both
                if zone is not None and not distinct and largest_offset(zone, probe_second):
                    reading = Reading("wide", name)
                self.reading = reading
                return reading
        self.reading = Reading("wide", None)
        return self.reading

    def _user_zone(self) -> ZoneInfo | None:
        """The credential user's time zone (`GET /user/`); None without a user (app
        authentication) or a zone this machine does not know."""
        try:
            user = self.client.request("GET", "/user/").json()
        except PodioHTTPError as exc:
            if exc.status in (401, 403, 404):
                return None
            raise
        name = user.get("timezone") if isinstance(user, dict) else None
        try:
            return ZoneInfo(name) if isinstance(name, str) and name else None
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("Podio names the user's time zone %r, which is not known here", name)
            return None

    # ---- the walk -------------------------------------------------------------------

    def pages(self, cursor: Cursor, upper: int) -> Iterator[Page]:
        """Pages of `page_size` items after `cursor` up to second `upper` (inclusive), oldest
        first, and a last page with what is left (perhaps nothing); each page's cursor is
        where the next run resumes."""
        page: list[dict[str, Any]] = []
        position = cursor
        for group in self._groups(cursor, upper):
            items = group.items
            while items and len(page) + len(items) >= self.page_size:
                taken = self.page_size - len(page)
                page += items[:taken]
                items = items[taken:]
                after = Cursor(group.second, int(page[-1]["item_id"])) if items else group.cursor
                yield Page(page, after)
                page = []
            page += items
            position = group.cursor
        yield Page(page, position)

    def _groups(self, cursor: Cursor, upper: int) -> Iterator[Group]:
        """The items after `cursor` up to second `upper`, as they become certain, each
        group with the cursor after it."""
        if not cursor.done and (cursor.after_id or cursor.tie_offset):  # a second half walked
            yield from self._one_second(cursor)
            cursor = Cursor(cursor.second, done=True)
        start = cursor.second + 1 if cursor.done else cursor.second
        offset = 0  # window items before this place are done (their seconds complete)
        before: int | None = None  # the second of the item just before `offset`
        while True:
            overlap = 1 if offset else 0
            limit = min(PAGE_LIMIT, self.page_size + 1 + overlap)  # one to look ahead
            items, _ = self.filter(
                sort_by=self.key, limit=limit, offset=offset - overlap, between=(start, upper)
            )
            if overlap and (not items or self.second_of(items[0]) != before):
                # items before this place moved (edited during the run): start again
                start = cursor.second + 1 if cursor.done else cursor.second
                offset, before = 0, None
                continue
            complete = len(items) < limit
            items = items[overlap:]
            window = [i for i in items if self.second_of(i) <= upper]
            complete = complete or len(window) < len(items)
            by_second: dict[int, list[dict[str, Any]]] = {}
            for item in window:
                by_second.setdefault(self.second_of(item), []).append(item)
            seconds = sorted(by_second)
            open_second = None if complete or not seconds else seconds[-1]
            for second in seconds:
                if second == open_second:
                    break
                group = sorted(by_second[second], key=lambda i: int(i["item_id"]))
                fresh = [i for i in group if not cursor.passed(second, int(i["item_id"]))]
                if second >= cursor.second:
                    cursor = Cursor(second, int(group[-1]["item_id"]), done=True)
                offset += len(group)
                before = second
                yield Group(second, fresh, cursor)
            if complete:
                return
            assert open_second is not None
            if len(seconds) == 1:  # one second fills the call: walk it on its own
                if open_second < cursor.second or (open_second == cursor.second and cursor.done):
                    # every item of it was emitted before: only its size counts
                    walked = _drained(self._one_second(Cursor(open_second)))
                else:
                    start_at = cursor if open_second == cursor.second else Cursor(open_second)
                    walked = yield from self._one_second(start_at)
                    cursor = Cursor(open_second, done=True)
                offset += walked
                before = open_second

    def _one_second(self, cursor: Cursor) -> Generator[Group, None, int]:
        """Walk the items of one second in item id order, from the cursor; returns how many
        items the second holds."""
        second = cursor.second
        offset = cursor.tie_offset
        after = cursor.after_id  # the highest id emitted at this second
        last_id: int | None = None if offset == 0 else after  # the item before `offset`
        count = 0  # the second's items seen in this walk
        while True:
            overlap = 1 if offset else 0
            limit = min(PAGE_LIMIT, self.page_size + overlap)
            items, _ = self.filter(
                sort_by="item_id", limit=limit, offset=offset - overlap, between=(second, second)
            )
            if overlap and (not items or int(items[0]["item_id"]) != last_id):
                offset, count = 0, 0  # items moved: walk the second again, skipping
                continue
            complete = len(items) < limit
            items = items[overlap:]
            group = [i for i in items if self.second_of(i) == second]
            count += len(group)
            fresh = [i for i in group if int(i["item_id"]) > after]
            offset += len(items)
            if items:
                last_id = int(items[-1]["item_id"])
            after = max([after] + [int(i["item_id"]) for i in group])
            if complete:
                yield Group(second, fresh, Cursor(second, after, done=True))
                return count
            yield Group(second, fresh, Cursor(second, after, tie_offset=offset))


def _drained(walk: Generator[Group, None, int]) -> int:
    """Run a walk through without taking its items; what it returns."""
    while True:
        try:
            next(walk)
        except StopIteration as stop:
            return int(stop.value)


class Plan(NamedTuple):
    """One run of the feed: a first run only records where the app stands (`start`);
    otherwise the `pages` to walk (each with the cursor after it), read with `reading`:
    none when nothing changed."""

    start: Cursor | None
    pages: Iterator[Page]
    reading: Reading


def plan(feed: Feed, state: tuple[Cursor, Reading] | None, start_time: int | None) -> Plan:
    """What a run does from `state` (None: a first run, from `start_time` when there is one,
    else where the app stands now); the reading is measured on the first run that has
    something to read. Nothing changed costs one call."""
    nothing: Iterator[Page] = iter(())
    newest, now = feed.newest()
    if not newest:
        if state is None:  # an empty app: start from Podio's clock
            return Plan(Cursor(now - 1, done=True), nothing, Reading(UNKNOWN))
        return Plan(None, nothing, state[1])
    newest_second = feed.second_of(newest[0])
    upper = newest_second if newest_second < now else newest_second - 1  # Podio's now excluded
    if state is None:
        if start_time is None:  # where it starts: nothing before is emitted
            return Plan(Cursor(upper, done=True), nothing, Reading(UNKNOWN))
        state = (Cursor(start_time), Reading(UNKNOWN))
    cursor, reading = state
    if newest_second < cursor.second or (newest_second == cursor.second and cursor.done):
        return Plan(None, nothing, reading)  # ties at a second half walked are not "nothing"
    if reading.kind == UNKNOWN:
        reading = feed.measure_reading(newest_second)
    feed.reading = reading
    if reading.kind == "wide" and reading.zone is None:
        log.warning(
            "Podio reads the filter's from/to in a zone this feed cannot tell (app "
            "authentication has no user, or the user's zone does not match Podio's answers): "
            "each run reads up to 14 hours before its cursor again, which costs filter calls "
            "of Podio's 250 an hour"
        )
    return Plan(None, feed.pages(cursor, upper), reading)
