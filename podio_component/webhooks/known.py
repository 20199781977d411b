"""The hooks this flow holds on an app, as this container knows them, so that a delivery
naming its hook is checked without a Podio call: from the flow's own startup, else from the
flow's record its host keeps (the platform's hooks data), else from Podio's list of the
app's hooks. A hook not among them makes the container look again, at most once a minute.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from podio_component.context import current
from podio_component.webhooks.registration import named_hooks

LOOK_AGAIN_AFTER = 60.0  # seconds

_known: dict[tuple[str, int], tuple[frozenset[int], float]] = {}  # (uri, app) -> ids, when
_lock = threading.Lock()


def remember(record: Mapping[str, Any]) -> None:
    """What startup registered (its record)."""
    keep(str(record.get("webhookUri")), int(record["app"]), frozenset(named_hooks(record)))


def learn(uri: str, app_id: int, podio_list: Callable[[], list[int]]) -> frozenset[int]:
    """Read now the hooks the host's record names, or Podio's list where it keeps none."""
    ids = _from_record(uri, app_id)
    return keep(uri, app_id, frozenset(podio_list()) if ids is None else ids)


def holds(
    uri: str, app_id: int, hook_id: int, podio_list: Callable[[], list[int]], *, podio: bool
) -> bool:
    """Whether the hook is this flow's. One not known makes the host's record be read again
    (then Podio's list, with `podio` or where the host keeps none), unless that was done
    within the last minute."""
    with _lock:
        ids, read_at = _known.get((uri, app_id), (frozenset(), None))
    if hook_id in ids:
        return True
    if read_at is not None and current().clock.monotonic() - read_at < LOOK_AGAIN_AFTER:
        return False
    kept = _from_record(uri, app_id)
    if kept is None or (podio and hook_id not in kept):
        kept = (kept or frozenset()) | frozenset(podio_list())
    return hook_id in keep(uri, app_id, kept)


def keep(uri: str, app_id: int, ids: frozenset[int]) -> frozenset[int]:
    """The flow's hooks on the app, as just read."""
    with _lock:
        _known[(uri, app_id)] = (ids, current().clock.monotonic())
    return ids


def forget() -> None:
    """Drop everything known (tests)."""
    with _lock:
        _known.clear()


def _from_record(uri: str, app_id: int) -> frozenset[int] | None:
    """The hooks the host's record of the flow names, if it keeps one for this app."""
    read = current().flow_record
    record = read() if read is not None else None
    if not isinstance(record, Mapping) or record.get("app") != app_id:
        return None
    if record.get("webhookUri") != uri:
        return None
    return frozenset(named_hooks(record))
