"""New and Updated Items: every item created, or changed, in a Podio app since the last run,
each once, oldest first (see `items.feed` for how that holds exactly).

The snapshot is a few dozen bytes whatever the app holds: where the feed stands, the reading
of Podio's filter that was measured, and what the snapshot is for (app, event, startTime).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from podio_component.contract import events
from podio_component.credentials import connect
from podio_component.errors import (
    CooldownError,
    InputError,
    PodioComponentError,
    PodioHTTPError,
)
from podio_component.forms.apps import apps as apps  # the `app` field's select model
from podio_component.forms.configs import TriggerConfig
from podio_component.items.api import full_records
from podio_component.items.feed import (
    Cursor,
    Feed,
    Page,
    Reading,
    cursor_state,
    plan,
    read_cursor_state,
)
from podio_component.items.values import record
from podio_component.redaction import logger
from podio_component.settings import environment
from podio_component.validation import parse

log = logger(__name__)

SNAPSHOT_VERSION = 1
SAMPLE_SIZE = 10  # a Retrieve Sample run, as the platform's own triggers do
RATE_LIMITED = (420, 429)


def process(msg: object, cfg: Mapping[str, Any], snapshot: object = None) -> None:
    """One poll: emit what changed since the snapshot, a snapshot after each page."""
    config = parse(TriggerConfig, cfg)
    feed = Feed(connect(cfg), config.app, config.event, config.page_size, config.bundle)
    if environment().flow_type == "debug":
        _sample(feed, config)
        return
    state = _state(snapshot, config)
    try:
        _poll(feed, config, state)
    except (CooldownError, PodioHTTPError) as exc:
        if not isinstance(exc, CooldownError) and exc.status not in RATE_LIMITED:
            raise _final(exc) from None
        log.warning(
            "Podio rate-limited the poll (%s); it stops here and the next run resumes "
            "where this one stood",
            exc.message,
        )
    except PodioComponentError as exc:
        raise _final(exc) from None


def _final(exc: PodioComponentError) -> PodioComponentError:
    """A failure of the poll itself: shown by the platform, never rebounded (the next tick
    polls again anyway)."""
    return PodioComponentError(exc.message) if exc.retry_later else exc


def _poll(feed: Feed, config: TriggerConfig, state: tuple[Cursor, Reading] | None) -> None:
    run = plan(feed, state, config.start_time)
    if run.start is not None:
        if state is None and config.start_time is None:
            log.info("first run: recording where the app stands; the next run emits changes")
        _snapshot(config, run.start, run.reading)
        return
    for page in run.pages:
        _emit(feed, page, config)
        _snapshot(config, page.cursor, run.reading)


def _sample(feed: Feed, config: TriggerConfig) -> None:
    """Retrieve Sample: at most 10 items, no snapshot; an app with no items at all is an
    error. With a startTime, the first items from it; without one (or none that late), the
    most recently changed."""
    items, _ = feed.newest(SAMPLE_SIZE)
    if config.start_time is not None and items:
        upper = feed.second_of(items[0])
        later, _ = feed.filter(
            sort_by=feed.key, limit=SAMPLE_SIZE, between=(config.start_time, upper)
        )
        items = later or items
    if not items:
        raise PodioComponentError(
            f"No items found in app {config.app}. This error is only for Retrieve Sample; a "
            "flow's runs find nothing and emit nothing"
        )
    _emit(feed, Page(items, Cursor(0)), config)


def _emit(feed: Feed, page: Page, config: TriggerConfig) -> None:
    found = page.items
    records = full_records(feed.client, found) if config.full_items else [record(i) for i in found]
    events.emit_each_or_page(records, config.per_page)


def _snapshot(config: TriggerConfig, cursor: Cursor, reading: Reading) -> None:
    made_for = {"app": config.app, "event": config.event, "startTime": config.start_time}
    events.emit_snapshot({"version": SNAPSHOT_VERSION, **made_for, **cursor_state(cursor, reading)})


def _state(snapshot: object, config: TriggerConfig) -> tuple[Cursor, Reading] | None:
    """The cursor and reading a snapshot holds, or None to start afresh."""
    if snapshot is None or snapshot == {}:
        return None
    if not isinstance(snapshot, Mapping):
        raise InputError("snapshot", "expected an object made by this trigger", snapshot)
    if snapshot.get("version") != SNAPSHOT_VERSION:
        raise InputError(
            "snapshot",
            f"expected version {SNAPSHOT_VERSION} of this trigger's snapshot; reset the "
            "step's snapshot to start afresh",
            snapshot.get("version"),
        )
    made_for = (snapshot.get("app"), snapshot.get("event"), snapshot.get("startTime"))
    if made_for != (config.app, config.event, config.start_time):
        log.info(
            "the snapshot was made for app %s, event %s, startTime %s; this step polls app "
            "%s for %s from %s, so it starts afresh",
            *made_for,
            config.app,
            config.event,
            config.start_time,
        )
        return None
    try:
        return read_cursor_state(snapshot)
    except ValueError:
        raise InputError(
            "snapshot",
            "expected since (YYYY-MM-DD HH:MM:SS), afterId and tieOffset (whole numbers, "
            "tieOffset at most 1,000,000), done (true or false) and reading; reset the "
            "step's snapshot to start afresh",
            json.dumps(dict(snapshot))[:200],
        ) from None
