"""The I/O thread's books: the deliveries in flight, what each one publishes, and the one ack
or reject that ends it.

Workers hand over a Disposition (the publications and the settlement) and move on; everything
here runs on the I/O thread, so it needs no locks. Publications go out on the confirm
channel; a refused one is retried with backoff (AMQP_PUBLISH_RETRY_*), an unroutable one is
not (the input is rejected so the platform's dead-letter keeps it). Only when every
publication is confirmed is the input settled.

When a connection drops, the broker delivers its unacknowledged messages again on the new
channel while the first delivery is still being processed. Like the Node.js runtime
(2.7.7+), the redelivery is not processed again: it takes the first one's place, and is the
one settled, since only it can still be acknowledged. Keys are the messageId header and the
rebound iteration (protocol.dedupe_key), so a returning rebound is never taken for one.

A settlement can be lost too: the connection drops while the ack is on its way, and the
broker delivers the message again although its output was confirmed. So the ledger
remembers recently settled keys (`Settled`); a redelivery of one is settled the same way
again without being processed. A requeue is never remembered: that message must run again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from pika.spec import BasicProperties

from podio_component.redaction import logger
from podio_component.runtime import protocol
from podio_component.runtime.amqp import Broker, Delivery, Unroutable
from podio_component.runtime.sailor_settings import SailorSettings

log = logger(__name__)

Key = tuple[str, Any]
REDELIVERY_WAIT = 60.0  # seconds to wait for a redelivery to settle after a reconnect
# A lost ack is followed by the redelivery within a reconnect (or, after a black-holed
# connection, the broker's heartbeat timeout): minutes at the most. Remember settlements for
# 10 minutes, and the last 10 x prefetch whatever their age; past MAX_SETTLED (over 80
# messages a second for 10 minutes) the oldest are forgotten sooner, to bound the memory.
SETTLED_FOR = 600.0
MAX_SETTLED = 50_000


class Publication(NamedTuple):
    routing_key: str
    body: bytes
    properties: BasicProperties


class InFlight:
    """The snapshot events of one message, published without the action waiting for their
    confirms (on the I/O thread): the message's outcome waits for them instead."""

    def __init__(self) -> None:
        self.count = 0
        self.failed = False
        self._then: Callable[[], None] | None = None

    def started(self) -> None:
        self.count += 1

    def done(self, error: BaseException | None) -> None:
        self.count -= 1
        self.failed = self.failed or error is not None
        if self.count == 0 and self._then is not None:
            then, self._then = self._then, None
            then()

    def when_confirmed(self, then: Callable[[], None]) -> None:
        if self.count == 0:
            then()
        else:
            self._then = then


class Disposition(NamedTuple):
    """What processing one delivery came to."""

    publications: tuple[Publication, ...]
    ack: bool
    requeue: bool = False
    in_flight: InFlight | None = None  # its snapshot events, still to be confirmed


class Settled:
    """Keys settled recently, with how (ack, or reject without requeue); on the I/O thread."""

    def __init__(self, prefetch: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._keep = 10 * prefetch
        self._clock = clock
        self._keys: OrderedDict[Key, tuple[float, bool]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def remember(self, key: Key, ack: bool) -> None:
        self._keys[key] = (self._clock(), ack)
        self._keys.move_to_end(key)
        self._forget_old()

    def settled_as(self, key: Key) -> bool | None:
        """True (acked) or False (rejected) when key was settled recently, else None."""
        self._forget_old()
        found = self._keys.get(key)
        return None if found is None else found[1]

    def _forget_old(self) -> None:
        cutoff = self._clock() - SETTLED_FOR
        while self._keys and (
            len(self._keys) > MAX_SETTLED
            or (len(self._keys) > self._keep and next(iter(self._keys.values()))[0] < cutoff)
        ):
            self._keys.popitem(last=False)


class _Entry:
    __slots__ = ("disposition", "latest", "timer", "tracked")

    def __init__(self, delivery: Delivery, tracked: bool) -> None:
        self.latest = delivery
        self.tracked = tracked
        self.disposition: Disposition | None = None  # set once published: waiting to settle
        self.timer: Any = None


class Ledger:
    def __init__(
        self,
        settings: SailorSettings,
        broker: Broker,
        dispatch: Callable[[Delivery], None],
        abandon: threading.Event,
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.dispatch = dispatch  # hands a delivery to a worker
        self.abandon = abandon  # shutdown ran out of time: give up what is left
        self._entries: dict[Key, _Entry] = {}
        self._untracked: set[int] = set()
        self._settled = Settled(settings.prefetch)
        self.idle = threading.Event()  # nothing in flight (for shutdown)
        self.idle.set()

    def __len__(self) -> int:
        return len(self._entries) + len(self._untracked)

    # ---- arrival ---------------------------------------------------------------------------

    def on_delivery(self, delivery: Delivery) -> None:
        key = protocol.dedupe_key(delivery.properties.headers or {}, delivery.body)
        settled = self._settled.settled_as(key) if delivery.redelivered else None
        if settled is not None:  # its settlement was lost on the way: settle it again
            how = "acknowledged" if settled else "rejected"
            log.info(
                "a message already %s here was delivered again (the %s was lost on the way); "
                "%s again without running it",
                how,
                "ack" if settled else "reject",
                how,
            )
            if not self.broker.settle_now(delivery, settled):
                log.warning("the message could not be settled; RabbitMQ will deliver it again")
            return
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = _Entry(delivery, tracked=True)
        elif delivery.redelivered and delivery.generation > entry.latest.generation:
            log.info("a message in flight was delivered again after a reconnect")
            entry.latest = delivery
            if entry.disposition is not None:  # already done: settle this delivery now
                self._settle(key, entry)
            return
        else:  # the same messageId twice on one channel: two inputs, both processed
            self._untracked.add(id(delivery))
        self.idle.clear()
        self.dispatch(delivery)

    # ---- publishing ----------------------------------------------------------------------

    def publish_and_wait(self, publication: Publication) -> None:
        """From a worker: publish now (the data an action emits) and wait for the confirm;
        raises when it cannot be published."""
        self.broker.run_and_wait(self._publish, publication, 0)

    def publish_soon(self, publication: Publication, in_flight: InFlight) -> None:
        """From a worker: publish now (a snapshot event), in order with what the worker
        publishes next, without waiting for the confirm; `in_flight` counts it."""

        def start() -> None:
            in_flight.started()
            self._publish(publication, 0, in_flight.done)

        self.broker.run_soon(start)

    # ---- completion (called on the I/O thread, for a worker) -------------------------------

    def complete(self, delivery: Delivery, disposition: Disposition) -> None:
        """Once the message's snapshot events are confirmed, publish the disposition's
        messages, then settle the delivery; when an event was not taken, nothing more is
        published and the input is rejected."""
        in_flight = disposition.in_flight
        if in_flight is None:
            self._complete(delivery, disposition)
            return

        def confirmed() -> None:
            if in_flight.failed:  # as if the event had failed the action: nothing more goes out
                self._finish(delivery, Disposition((), ack=False))
            else:
                self._complete(delivery, disposition)

        in_flight.when_confirmed(confirmed)

    def _complete(self, delivery: Delivery, disposition: Disposition) -> None:
        remaining = [len(disposition.publications)]
        failed: list[bool] = [False]

        def done(error: BaseException | None) -> None:
            remaining[0] -= 1
            if error is not None:
                failed[0] = True
            if remaining[0] == 0:
                final = disposition._replace(ack=False, requeue=False) if failed[0] else disposition
                self._finish(delivery, final)

        if not disposition.publications:
            self._finish(delivery, disposition)
        for publication in disposition.publications:
            self._publish(publication, 0, done)

    def _publish(
        self, publication: Publication, attempt: int, done: Callable[[BaseException | None], None]
    ) -> None:
        def confirmed(error: BaseException | None) -> None:
            if error is None:
                done(None)
            elif isinstance(error, Unroutable) or self.abandon.is_set():
                log.error(
                    "a message to %s could not be published (%s); the input is rejected, so "
                    "the platform's dead-letter keeps it",
                    publication.routing_key,
                    error,
                )
                done(error)
            elif attempt + 1 >= self.settings.amqp_publish_retry_attempts:
                log.error("publishing to %s failed: %s", publication.routing_key, error)
                done(error)
            else:
                delay = min(
                    self.settings.amqp_publish_retry_delay * 2**attempt,
                    self.settings.amqp_publish_max_retry_delay,
                )
                log.warning(
                    "publishing to %s failed (%s); retry %d in %d ms",
                    publication.routing_key,
                    error,
                    attempt + 1,
                    delay,
                )
                headers = {**(publication.properties.headers or {}), "retry": attempt + 1}
                publication.properties.headers = headers
                self.broker.call_later(delay / 1000, self._publish, publication, attempt + 1, done)

        self.broker.publish_async(
            self.settings.publish_messages_to,
            publication.routing_key,
            publication.body,
            publication.properties,
            confirmed,
        )

    def _finish(self, delivery: Delivery, disposition: Disposition) -> None:
        if id(delivery) in self._untracked:
            self._untracked.discard(id(delivery))
            if not self.broker.settle_now(delivery, disposition.ack, disposition.requeue):
                log.warning("the message could not be settled; RabbitMQ will deliver it again")
            self._check_idle()
            return
        key = protocol.dedupe_key(delivery.properties.headers or {}, delivery.body)
        entry = self._entries[key]
        entry.disposition = disposition
        self._settle(key, entry)

    def _settle(self, key: Key, entry: _Entry) -> None:
        """Exactly one ack or reject, of the newest delivery of the message; if the channel
        it came on is gone, wait for the redelivery on the new one."""
        assert entry.disposition is not None
        disposition = entry.disposition
        if self.broker.settle_now(entry.latest, disposition.ack, disposition.requeue):
            if entry.timer is not None:
                entry.timer.cancel()
            del self._entries[key]
            if not disposition.requeue:  # a requeued message must run again
                self._settled.remember(key, disposition.ack)
            self._check_idle()
        elif entry.timer is None:
            log.info("settling the message once RabbitMQ delivers it again on the new channel")
            entry.timer = self.broker.call_later(REDELIVERY_WAIT, self._give_up, key)

    def _give_up(self, key: Key) -> None:
        if self._entries.pop(key, None) is not None:
            log.warning("the message was not delivered again here; it is left to RabbitMQ")
            self._check_idle()

    def _check_idle(self) -> None:
        if not self._entries and not self._untracked:
            self.idle.set()
