"""Item Events' catch-up: the deliveries Podio dropped (it never retries one), found by
walking the app's exact change feed (`items.feed`) from where the last catch-up stood.

Each item created or changed since then whose latest revision is above what the snapshot
holds for it is emitted as its delivery would have been, with `"caughtUp": true`: an update
carries what changed since the revision last handled (none when there is none). A revision
the flow itself made through the API (its own user or app, an API client) is passed over:
a write-back with `hook: no` must not come back this way. Items the walk saw are then
forgotten by the once-map: the feed's cursor covers them (a late delivery of one is read and
dropped).

The first catch-up only records where the app stands. One walks at most `MAX_PAGES` pages;
the next delivery goes on from there. Comments and files cannot be caught up: Podio's
filter does not see them.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from podio_component.contract import events
from podio_component.contract.messages import new_message
from podio_component.errors import PodioHTTPError
from podio_component.forms.configs import ItemEventsConfig
from podio_component.items import api as items
from podio_component.items.feed import Feed, Page, plan
from podio_component.items.revisions import ItemRevisions, Revision
from podio_component.podio.client import PodioClient
from podio_component.podio.time import epoch
from podio_component.redaction import logger
from podio_component.triggers.item_events.reading import GONE, message, updated
from podio_component.triggers.item_events.state import Place, State

log = logger(__name__)

PAGE_SIZE = 100
MAX_PAGES = 5  # a catch-up reads at most 500 items (6 filter calls and a read per event)
FULL = 0.8  # the once-map this full calls for a catch-up, which prunes it

_due: set[tuple[str, int]] = set()  # (flow address, app): catch up at the next delivery
_due_lock = threading.Lock()


def mark_due(uri: str, app_id: int) -> None:
    """A container started: its first delivery catches up."""
    with _due_lock:
        _due.add((uri, app_id))


def wanted(uri: str, config: ItemEventsConfig, state: State, now: float) -> bool:
    """Whether this delivery catches up first: after a start, when the last one is older
    than `catchUpMinutes`, when the last one stopped at its bound, or when the once-map is
    nearly full."""
    if not config.catch_up_minutes or not config.follows_items:
        return False
    with _due_lock:
        due = (uri, config.app) in _due
        _due.discard((uri, config.app))
    since = now - state.caught_up_at
    stale = since >= config.catch_up_minutes * 60
    # nearly full: a catch-up prunes what it walked (at most once a minute, since what is
    # left is newer than the walk could reach)
    full = state.once.fullness >= FULL and since >= 60
    return due or stale or state.more or full


def catch_up(client: PodioClient, config: ItemEventsConfig, state: State) -> int:
    """Walk the feed from the state's place, emitting what deliveries missed; the number of
    events emitted."""
    key = "last_edit_on" if "updated" in config.events else "created_on"
    feed = Feed(client, config.app, "created" if key == "created_on" else "updated", PAGE_SIZE)
    place = state.place if state.place is not None and state.place.key == key else None
    run = plan(feed, None if place is None else (place.cursor, place.reading), None)
    state.caught_up_at = time.time()
    if run.start is not None:  # the first: where the app stands; nothing before is emitted
        log.info("catch-up: following app %s from now on", config.app)
        state.place = Place(run.start, run.reading, key, run.start.second)
        state.more = False
        events.emit_snapshot(state.snapshot())
        return 0
    assert place is not None
    place.reading = run.reading
    emitted, walked_from = 0, place.cursor.second
    state.more = False
    for number, page in enumerate(run.pages, start=1):
        emitted += _page(client, config, state, page, walked_from)
        place.cursor = page.cursor
        events.emit_snapshot(state.snapshot())
        if number == MAX_PAGES and len(page.items) == PAGE_SIZE:
            state.more = True  # the next delivery goes on
            break
    if emitted:
        log.info("catch-up: %d event(s) Podio did not deliver", emitted)
    return emitted


def _page(
    client: PodioClient, config: ItemEventsConfig, state: State, page: Page, walked_from: int
) -> int:
    emitted, seen = 0, []
    identity: tuple[str, int] | None = None
    for item in page.items:
        latest = _latest(item, state.numbering)
        key = str(item["item_id"])
        if latest is None:
            continue
        seen.append((key, latest))
        if state.once.handled(key, latest):
            continue
        current = item.get("current_revision") or {}
        identity = identity or _identity(client, config)
        if _by(current, identity):
            log.info("catch-up: item %s was last changed by this flow's own credential", key)
            continue
        body = _event(client, config, state, item, epoch(item["created_on"]) > walked_from)
        if body is not None:
            events.emit_data(new_message({**body, "caughtUp": True}))
            emitted += 1
    state.once.forget(seen)  # the cursor, past this page, covers them now
    return emitted


def _event(
    client: PodioClient, config: ItemEventsConfig, state: State, short: dict[str, Any], new: bool
) -> dict[str, Any] | None:
    """What the item's missed delivery would have emitted: created (when it was created
    since the last catch-up), else updated, from the revision last handled."""
    held = state.once.revision(str(short["item_id"]))
    kind = "created" if new and held is None and "created" in config.events else "updated"
    if kind not in config.events:
        return None
    try:
        item = items.get_item(client, int(short["item_id"]))
    except PodioHTTPError as exc:
        if exc.status not in GONE:
            raise
        return None
    revisions = ItemRevisions(client, item)
    current = item.get("current_revision") or {}
    latest = Revision(int(current.get("revision", 0)), int(current.get("item_revision_id", 0)))
    if kind == "created":
        return message(
            "created", item, 0, (item.get("initial_revision") or {}).get("item_revision_id")
        )
    since = None if held is None else revisions.find(held)
    return updated(config, revisions, item, latest, since, with_changes=since is not None)


def _latest(item: dict[str, Any], numbering: str) -> int | None:
    """The item's latest revision as the hooks number it."""
    current = item.get("current_revision") or {}
    value = current.get("revision" if numbering == "number" else "item_revision_id")
    return value if isinstance(value, int) else None


_identities: dict[tuple[str, ...], tuple[str, int]] = {}


def _identity(client: PodioClient, config: ItemEventsConfig) -> tuple[str, int]:
    """Who the trigger's credential acts as: its user, or (app authentication) the app;
    asked once per process and credential."""
    if client.credential not in _identities:
        try:
            status = client.request("GET", "/user/status").json()
            found = ("user", int(status["user"]["user_id"]))
        except (PodioHTTPError, KeyError, TypeError, ValueError):
            found = ("app", config.app)
        _identities[client.credential] = found
    return _identities[client.credential]


def _by(revision: dict[str, Any], identity: tuple[str, int]) -> bool:
    """Whether the revision was made by `identity` through an API client (not Podio's web
    app, where a person edits)."""
    by, via = revision.get("created_by") or {}, revision.get("created_via") or {}
    return (by.get("type"), by.get("id")) == identity and via.get("auth_client_id") is not None
