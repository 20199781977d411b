"""The deliveries being processed, so that a redelivery after a reconnect is not run twice.

When a connection drops, the broker delivers its unacknowledged messages again, on the new
channel, while the first delivery is still being processed here. Like the Node.js runtime
(2.7.7+), the redelivery is not processed again: its worker, when done, settles the newest
delivery instead, since only that one can still be acknowledged. Keys are the messageId
header and the rebound iteration (see protocol.dedupe_key).
"""

from __future__ import annotations

import threading
from enum import Enum
from typing import Any

from podio_component.runtime.amqp import Delivery

Key = tuple[str, Any]


class Admission(Enum):
    TRACKED = "process it; its redeliveries come to it"
    UNTRACKED = "process it on its own: the same key is in flight on the same channel"
    REDELIVERY = "do not process: the delivery in flight takes it over"


class InFlight:
    def __init__(self) -> None:
        self._latest: dict[Key, Delivery] = {}
        self._changed = threading.Condition()

    def admit(self, key: Key, delivery: Delivery) -> Admission:
        with self._changed:
            current = self._latest.get(key)
            if current is None:
                self._latest[key] = delivery
                return Admission.TRACKED
            if delivery.redelivered and delivery.generation > current.generation:
                self._latest[key] = delivery
                self._changed.notify_all()
                return Admission.REDELIVERY
            return Admission.UNTRACKED  # two messages with one messageId: both are inputs

    def latest(self, key: Key) -> Delivery | None:
        with self._changed:
            return self._latest.get(key)

    def wait_for_redelivery(self, key: Key, after: Delivery, timeout: float) -> Delivery | None:
        """The redelivery of a message whose channel is gone, once it arrives."""
        with self._changed:
            self._changed.wait_for(
                lambda: (self._latest.get(key) or after).generation > after.generation, timeout
            )
            newest = self._latest.get(key)
            return newest if newest is not None and newest.generation > after.generation else None

    def release(self, key: Key) -> None:
        with self._changed:
            self._latest.pop(key, None)

    def __len__(self) -> int:
        with self._changed:
            return len(self._latest)
