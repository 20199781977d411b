"""What an action can tell the platform while it runs: snapshots and rotated credentials.

    from podio_component.contract import events

    events.emit_snapshot({"last_seen": 123})     # replaces the step's snapshot
    events.update_snapshot({"cursor": "abc"})    # merges into it
    events.update_keys({"oauth": token_response})  # persists rotated credential fields

Each goes to the events sink of the message's context (see `context`). Under the platform
runtime each call is published (or, for keys, sent to the platform's accounts API) before
it returns; under `podio-component run` each data message is one JSON line on stdout; in
plain library use `collect()` gathers them. Without any of these, `emit_data` raises rather
than drop data, snapshot events are ignored (nothing could keep them), and `update_keys`
raises, because a rotated token that is not persisted is lost for good.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from podio_component.context import bound, current
from podio_component.contract.messages import new_message
from podio_component.errors import PodioComponentError
from podio_component.redaction import logger

log = logger(__name__)


class UpdateKeysError(PodioComponentError):
    """Rotated credential fields could not be persisted."""


class EmitError(PodioComponentError):
    """A data message was emitted with nothing to take it."""


def emit_data(message: Mapping[str, Any]) -> None:
    """Emit one output message (the platform's `emit('data')`); it gets a fresh uuid `id`
    unless it has one. Under the runtime it is published and confirmed before this returns."""
    sink = current().events
    if sink is None:
        raise EmitError(
            "emit_data has nothing to take the message: run the action under the platform "
            "runtime or `podio-component run`, or inside `events.collect()`; otherwise it "
            "would be lost"
        )
    sink.data({**message, "id": message.get("id") or str(uuid.uuid4())})


EMIT_BEHAVIORS = ("emitIndividually", "emitPage")  # the steps' emitBehavior select


def emit_each_or_page(
    bodies: Sequence[Mapping[str, Any]], per_page: bool, key: str = "items"
) -> None:
    """Emit each body as a message of its own, or (per_page) all of them as one message
    `{key: [...]}`; nothing for none."""
    if not bodies:
        return
    if per_page:
        emit_data(new_message({key: list(bodies)}))
        return
    for body in bodies:
        emit_data(new_message(body))


@dataclass
class Collected:
    """What an action emitted inside `collect()`: its data messages and its last snapshot
    (with every updateSnapshot merged in)."""

    data: list[dict[str, Any]] = field(default_factory=list)
    snapshot: dict[str, Any] | None = None

    def snapshot_event(self, snapshot: dict[str, Any]) -> None:
        self.snapshot = dict(snapshot)

    def update_snapshot_event(self, changes: dict[str, Any]) -> None:
        self.snapshot = {**(self.snapshot or {}), **changes}


class Collector:
    """The events sink of `collect()`; `podio-component run` prints its data instead."""

    def __init__(self, collected: Collected) -> None:
        self._collected = collected

    def data(self, message: dict[str, Any]) -> None:
        self._collected.data.append(message)

    def snapshot(self, snapshot: dict[str, Any]) -> None:
        self._collected.snapshot_event(snapshot)

    def update_snapshot(self, changes: dict[str, Any]) -> None:
        self._collected.update_snapshot_event(changes)

    def update_keys(self, keys: dict[str, Any]) -> None:
        raise UpdateKeysError(
            "updateKeys needs the platform runtime, which persists credential fields; "
            "outside it a rotated token would be lost"
        )


@contextmanager
def collect() -> Iterator[Collected]:
    """For plain library use: gather the data messages and the snapshot that the code in the
    block emits.

        with events.collect() as collected:
            trigger.process({}, cfg, snapshot)
        collected.data, collected.snapshot
    """
    collected = Collected()
    with bound(replace(current(), events=Collector(collected))):
        yield collected


def in_runtime() -> bool:
    """Whether an events sink (the platform runtime) takes this message's events."""
    return current().events is not None


def emit_snapshot(snapshot: Mapping[str, Any]) -> None:
    sink = current().events
    if sink is None:
        log.debug("snapshot event ignored: not running under the platform runtime")
        return
    sink.snapshot(dict(snapshot))


def update_snapshot(changes: Mapping[str, Any]) -> None:
    sink = current().events
    if sink is None:
        log.debug("updateSnapshot event ignored: not running under the platform runtime")
        return
    sink.update_snapshot(dict(changes))


def update_keys(keys: Mapping[str, Any]) -> None:
    """Persist rotated credential fields ({"oauth": <token response>}); raises
    UpdateKeysError when they cannot be persisted."""
    sink = current().events
    if sink is None:
        raise UpdateKeysError(
            "updateKeys needs the platform runtime, which persists credential fields; "
            "outside it a rotated token would be lost"
        )
    sink.update_keys(dict(keys))
