"""An app's fields, read with `GET /app/{app_id}` and kept per credential and app: every
item step needs them, and they seldom change. A write or filter that names a field or an
option the kept fields do not know reads them again before it is refused, unless they were
read in the last minute (of the context's clock), so a stream of bad names costs one read a
minute at most.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from podio_component.items.fields import UnknownName
from podio_component.podio.client import PodioClient

T = TypeVar("T")
FRESH_FOR = 60.0  # seconds: fields read more recently than this are not read again
_MAX_KEPT = 512


class _Kept(NamedTuple):
    fields: list[dict[str, Any]]
    read_at: float  # the context clock's monotonic seconds


_kept: OrderedDict[tuple[tuple[str, ...], int], _Kept] = OrderedDict()
_lock = threading.Lock()


def app_fields(client: PodioClient, app_id: int) -> list[dict[str, Any]]:
    """The app's active fields, as `GET /app/{app_id}` gives them."""
    with _lock:
        kept = _kept.get((client.credential, app_id))
    return kept.fields if kept is not None else _read(client, app_id)


def using(client: PodioClient, app_id: int, convert: Callable[[list[dict[str, Any]]], T]) -> T:
    """convert(the app's fields); when it refuses a name they do not know (UnknownName), the
    fields are read again, if not read within FRESH_FOR, and converted once more."""
    try:
        return convert(app_fields(client, app_id))
    except UnknownName:
        with _lock:
            kept = _kept.get((client.credential, app_id))
        if kept is not None and client.host.clock.monotonic() - kept.read_at < FRESH_FOR:
            raise
    return convert(_read(client, app_id))


def forget_app_fields() -> None:
    """Drop every app's kept fields (tests; an app known to have changed)."""
    with _lock:
        _kept.clear()


def _read(client: PodioClient, app_id: int) -> list[dict[str, Any]]:
    app = client.request("GET", f"/app/{app_id}").json()
    fields = [f for f in (app or {}).get("fields") or [] if f.get("status", "active") == "active"]
    with _lock:
        _kept[(client.credential, app_id)] = _Kept(fields, client.host.clock.monotonic())
        _kept.move_to_end((client.credential, app_id))
        if len(_kept) > _MAX_KEPT:
            _kept.popitem(last=False)
    return fields
