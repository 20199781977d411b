"""The change seam: every item write, comment and file change in the emulated Podio is told
to its listeners, in the order the changes were made, named as Podio's hooks name them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Listener = Callable[["Change"], None]


@dataclass(frozen=True)
class Change:
    """`kind` is Podio's hook type: item.create, item.update, item.delete, comment.create or
    file.change; `details` holds what that hook carries besides the item (the revision's
    numbers and external_id, comment_id, ...); `hook` is false for a write made with
    `hook=false`, which Podio's webhooks do not hear."""

    kind: str
    app_id: int
    item_id: int
    details: dict[str, Any] = field(default_factory=dict)
    hook: bool = True


class Changes:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def listen(self, listener: Listener) -> None:
        """Call listener with each change from now on. It runs inside the world's lock, so
        it must be quick and must not wait for another request (hand the change on)."""
        with self._lock:
            self._listeners.append(listener)

    def notify(self, change: Change) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(change)
