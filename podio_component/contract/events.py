"""What an action can tell the platform while it runs: snapshots and rotated credentials.

    from podio_component.contract import events

    events.emit_snapshot({"last_seen": 123})     # replaces the step's snapshot
    events.update_snapshot({"cursor": "abc"})    # merges into it
    events.update_keys({"oauth": token_response})  # persists rotated credential fields

Each goes to the events sink of the message's context (see `context`). Under the platform
runtime each call is published (or, for keys, sent to the platform's accounts API) before
it returns. Outside the runtime there is nowhere to keep a snapshot, so snapshot events are
ignored; `update_keys` raises instead, because a rotated token that is not persisted is
lost for good.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.context import current
from podio_component.errors import PodioComponentError
from podio_component.redaction import logger

log = logger(__name__)


class UpdateKeysError(PodioComponentError):
    """Rotated credential fields could not be persisted."""


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
