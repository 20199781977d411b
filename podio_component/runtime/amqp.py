"""RabbitMQ for the runtime: one I/O thread owns a read and a write connection.

The I/O thread runs an asyncio loop with pika's asyncio adapter, so heartbeats are answered
whatever the workers are doing. Other threads call only `run_soon` (run a function on the
loop), the blocking `publish`, and the start and stop methods; everything else runs on the
loop. Publishing uses a confirm channel: a publish completes once the broker has taken the
message, and fails when the broker refuses it (a nack, e.g. a full queue) or cannot route it
(`mandatory`). A lost connection is reconnected; the consumer channel then gets a new
generation, and deliveries of the old one can no longer be settled (the broker delivers
them again).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qs, urlsplit

import pika
from pika.adapters.asyncio_connection import AsyncioConnection
from pika.adapters.utils.io_services_utils import _AsyncPlaintextTransport
from pika.channel import Channel
from pika.spec import Basic, BasicProperties

from podio_component.errors import PodioComponentError
from podio_component.redaction import logger

log = logger(__name__)
T = TypeVar("T")
DEFAULT_HEARTBEAT = 10  # seconds


class BrokerError(PodioComponentError):
    """RabbitMQ is unreachable or refused an operation."""


class PublishRefused(BrokerError):
    """The broker nacked a publish (for example, the queue is full and rejects publishes)."""


class Unroutable(BrokerError):
    """No queue is bound for the routing key of a mandatory publish."""


class Delivery(NamedTuple):
    generation: int  # the consumer channel it came on; it can be settled only there
    delivery_tag: int
    properties: BasicProperties
    body: bytes
    redelivered: bool


Confirmed = Callable[[BaseException | None], None]


class _Pending(NamedTuple):
    on_done: Confirmed
    message_id: object
    routing_key: str


class Broker:
    def __init__(
        self,
        uri: str,
        prefetch: int,
        reconnect_attempts: int,
        reconnect_delay_ms: int,
        on_delivery: Callable[[Delivery], None],
        on_failure: Callable[[str], None],
        on_cancelled: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self._uri = uri
        self._prefetch = prefetch
        self._attempts = reconnect_attempts
        self._delay = reconnect_delay_ms / 1000
        self._on_delivery = on_delivery
        self._on_failure = on_failure
        self._on_cancelled = on_cancelled
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="amqp-io", daemon=True)
        self._closing = False
        self._queue: str | None = None
        self._consumer: Channel | None = None
        self._consumer_tag: str | None = None
        self._publisher: Channel | None = None
        self._generation = 0
        self._pending: dict[int, _Pending] = {}
        self._next_tag = 1
        self._returned: set[int] = set()
        self._ready: dict[str, asyncio.Event] = {}
        self._failed: asyncio.Future[Any] | None = None
        self._connections: dict[str, AsyncioConnection] = {}

    # ---- thread-safe API -----------------------------------------------------------------

    def start(self, timeout: float = 60) -> None:
        """Connect both connections and open their channels; raise BrokerError if RabbitMQ
        cannot be reached within the reconnect attempts."""
        self._thread.start()
        self._run(self._start(), timeout)

    def consume(self, queue: str, timeout: float = 30) -> None:
        """Start consuming queue (declared by the platform, never by us)."""
        self._run(self._consume(queue), timeout)

    def stop_consuming(self, timeout: float = 10) -> None:
        self._run(self._stop_consuming(), timeout)

    def run_soon(self, function: Callable[..., object], *args: object) -> None:
        """Run function(*args) on the I/O thread."""
        self._loop.call_soon_threadsafe(function, *args)

    def run_and_wait(self, function: Callable[..., None], *args: Any) -> None:
        """From any thread: run function(*args, done) on the I/O thread and wait until it
        calls done(error); raises that error when there is one."""
        future: concurrent.futures.Future[None] = concurrent.futures.Future()

        def done(error: BaseException | None) -> None:
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

        self.run_soon(function, *args, done)
        future.result()

    def publish(
        self, exchange: str, routing_key: str, body: bytes, properties: BasicProperties
    ) -> None:
        """From any thread: publish and wait for the broker's confirm; PublishRefused,
        Unroutable or BrokerError when it is not taken."""
        self.run_and_wait(self.publish_async, exchange, routing_key, body, properties)

    def close(self, timeout: float = 10) -> None:
        if not self._thread.is_alive():
            return
        try:
            self._run(self._close(), timeout)
        except (BrokerError, TimeoutError):
            log.warning("RabbitMQ connections did not close cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise BrokerError("RabbitMQ did not answer in time") from None

    # ---- on the I/O thread ---------------------------------------------------------------

    async def _start(self) -> None:
        self._failed = self._loop.create_future()
        for name, setup in (("read", self._setup_consumer), ("write", self._setup_publisher)):
            self._ready[name] = asyncio.Event()
            self._loop.create_task(self._maintain(name, setup))
        failed = self._failed
        ready: asyncio.Future[Any] = asyncio.gather(*(e.wait() for e in self._ready.values()))
        done, _ = await asyncio.wait({ready, failed}, return_when=asyncio.FIRST_COMPLETED)
        self._failed = None  # from now on, failures go to on_failure
        if failed in done:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ready
            raise BrokerError(failed.result())

    async def _maintain(
        self, name: str, setup: Callable[[AsyncioConnection], Awaitable[None]]
    ) -> None:
        """Keep one connection open: connect, set it up, and when it is lost, reconnect
        (AMQP_RECONNECT_ATTEMPTS tries, AMQP_RECONNECT_TIMEOUT apart) or report failure."""
        failures = 0
        while not self._closing:
            closed: asyncio.Future[BaseException] = self._loop.create_future()
            try:
                connection = await self._connect(name, closed)
                await setup(connection)
                self._ready[name].set()
                failures = 0
                reason: BaseException = await closed
            except Exception as exc:  # whatever fails here ends in reconnect or failure
                reason = exc
            self._ready[name].clear()
            if self._closing:
                return
            failures += 1
            why = reason.message if isinstance(reason, BrokerError) else _reason(reason)
            if failures > self._attempts:
                self._fail(f"the {name} connection to RabbitMQ failed: {why}")
                return
            log.warning("the %s connection to RabbitMQ was lost (%s); reconnecting", name, why)
            await asyncio.sleep(self._delay)

    async def _connect(self, name: str, closed: asyncio.Future[BaseException]) -> AsyncioConnection:
        parameters = connection_parameters(self._uri)
        parameters.client_properties = {"connection_name": f"{socket.gethostname()}-{name}"}
        opened: asyncio.Future[AsyncioConnection] = self._loop.create_future()

        def on_open(connection: Any) -> None:
            _resolve(opened, connection)

        def on_open_error(connection: Any, error: BaseException) -> None:
            _fail(opened, BrokerError(f"cannot connect to RabbitMQ: {_reason(error)}"))

        def on_close(connection: Any, reason: BaseException) -> None:
            if self._connections.get(name) is connection:  # not a replaced one
                self._on_connection_closed(name)
            _resolve(closed, reason)
            _fail(opened, BrokerError(f"RabbitMQ closed the connection: {_reason(reason)}"))

        _DirectWriteConnection(
            parameters,
            on_open_callback=on_open,
            on_open_error_callback=on_open_error,
            on_close_callback=on_close,
            custom_ioloop=self._loop,
        )
        connection = await opened
        self._connections[name] = connection
        return connection

    async def _channel(self, connection: AsyncioConnection) -> Channel:
        opened: asyncio.Future[Channel] = self._loop.create_future()
        connection.channel(on_open_callback=lambda channel: _resolve(opened, channel))
        channel = await opened

        def on_close(channel: Channel, reason: BaseException) -> None:
            if not self._closing and connection.is_open:
                # A closed channel is treated as a lost connection: reconnect from scratch.
                log.warning("a RabbitMQ channel closed (%s); reconnecting", reason)
                connection.close()

        channel.add_on_close_callback(on_close)
        return channel

    async def _setup_consumer(self, connection: AsyncioConnection) -> None:
        channel = await self._channel(connection)
        await _rpc(
            self._loop,
            channel,
            lambda done: channel.basic_qos(prefetch_count=self._prefetch, callback=done),
        )
        self._generation += 1
        self._consumer = channel
        channel.add_on_cancel_callback(self._on_broker_cancel)
        if self._queue is not None:
            await self._start_consumer(channel, self._queue)

    async def _start_consumer(self, channel: Channel, queue: str) -> None:
        generation = self._generation

        def on_message(
            channel: Channel, method: Basic.Deliver, properties: BasicProperties, body: bytes
        ) -> None:
            tag = int(method.delivery_tag or 0)
            delivery = Delivery(generation, tag, properties, body, bool(method.redelivered))
            self._on_delivery(delivery)

        tags: list[str] = []
        await _rpc(
            self._loop,
            channel,
            lambda done: tags.append(channel.basic_consume(queue, on_message, callback=done)),
        )
        self._consumer_tag = tags[0]

    async def _setup_publisher(self, connection: AsyncioConnection) -> None:
        channel = await self._channel(connection)
        self._next_tag = 1
        await _rpc(
            self._loop,
            channel,
            lambda done: channel.confirm_delivery(self._on_confirm, callback=done),
        )
        channel.add_on_return_callback(self._on_return)
        connection.confirms = self._on_confirm  # type: ignore[attr-defined]
        self._publisher = channel

    async def _consume(self, queue: str) -> None:
        self._queue = queue
        consumer = self._consumer
        if consumer is None or not consumer.is_open:
            raise BrokerError("not connected to RabbitMQ")
        try:
            await self._start_consumer(consumer, queue)
        except BrokerError as exc:
            self._queue = None
            raise BrokerError(f"cannot consume queue {queue!r}: {exc}") from None

    async def _stop_consuming(self) -> None:
        self._queue = None
        consumer, tag = self._consumer, self._consumer_tag
        if consumer is not None and consumer.is_open and tag:
            await _rpc(self._loop, consumer, lambda done: consumer.basic_cancel(tag, done))

    # ---- on the I/O thread: publish, confirm, settle ------------------------------------

    def publish_async(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        properties: BasicProperties,
        on_done: Confirmed,
    ) -> None:
        """Publish; on_done(None) once confirmed, on_done(error) when not taken."""
        publisher = self._publisher
        if publisher is None or not publisher.is_open:
            on_done(BrokerError("not connected to RabbitMQ for publishing"))
            return
        tag = self._next_tag
        self._next_tag += 1
        message_id = (properties.headers or {}).get("messageId")
        self._pending[tag] = _Pending(on_done, message_id, routing_key)
        publisher.basic_publish(exchange, routing_key, body, properties, mandatory=True)

    def settle_now(self, delivery: Delivery, ack: bool, requeue: bool = False) -> bool:
        """Ack, or reject, a delivery; False when the channel it came on is gone."""
        consumer = self._consumer
        if consumer is None or not consumer.is_open or delivery.generation != self._generation:
            return False
        if ack:
            consumer.basic_ack(delivery.delivery_tag)
        else:
            consumer.basic_reject(delivery.delivery_tag, requeue=requeue)
        return True

    def call_later(
        self, seconds: float, function: Callable[..., object], *args: object
    ) -> asyncio.TimerHandle:
        return self._loop.call_later(seconds, function, *args)

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        tags = (
            [tag for tag in self._pending if tag <= method.delivery_tag]
            if method.multiple
            else [method.delivery_tag]
        )
        for tag in tags:
            pending = self._pending.pop(tag, None)
            if pending is None:
                continue
            if isinstance(method, Basic.Nack):
                pending.on_done(PublishRefused("RabbitMQ refused the message (nack)"))
            elif tag in self._returned:
                self._returned.discard(tag)
                pending.on_done(
                    Unroutable(f"no queue is bound for routing key {pending.routing_key!r}")
                )
            else:
                pending.on_done(None)

    def _on_return(
        self, channel: Channel, method: Basic.Return, properties: BasicProperties, body: bytes
    ) -> None:
        # The broker returns an unroutable message just before it confirms it.
        message_id = (properties.headers or {}).get("messageId")
        for tag, pending in sorted(self._pending.items()):
            matches = (pending.message_id, pending.routing_key) == (message_id, method.routing_key)
            if matches and tag not in self._returned:
                self._returned.add(tag)
                return

    def _on_broker_cancel(self, frame: Any) -> None:
        """The broker ended our consumer: the queue was deleted, or its node failed over.
        Nothing more will arrive, so the host finishes what is in flight and exits."""
        queue, self._queue, self._consumer_tag = self._queue, None, None
        self._on_cancelled(f"RabbitMQ cancelled the consumer of queue {queue!r}")

    def _on_connection_closed(self, name: str) -> None:
        if name == "read":
            self._consumer = None
        else:
            self._publisher = None
            lost = BrokerError(
                "the connection to RabbitMQ was lost before the publish was confirmed"
            )
            pending, self._pending = list(self._pending.values()), {}
            self._returned.clear()
            for one in pending:
                one.on_done(lost)

    def _fail(self, reason: str) -> None:
        if self._failed is not None and not self._failed.done():
            self._failed.set_result(reason)
            return
        self._on_failure(reason)

    async def _close(self) -> None:
        self._closing = True
        for connection in self._connections.values():
            if connection.is_open:
                connection.close()
        await asyncio.sleep(0.05)  # let the close frames go out


_CONFIRMS = (Basic.Ack, Basic.Nack)


class _DirectWriteConnection(AsyncioConnection):
    """pika hands each frame of a publish to its transport on its own, and the transport sends
    nothing until the loop reports the socket writable: three sends, the write watcher turned
    on and off, and an extra loop pass for every publish or ack. This sends the frames of one
    call in one write, at once, and leaves to pika only what the socket does not take (see
    docs/decisions.md; a candidate for pika itself)."""

    confirms: Callable[[Any], None] | None = None  # the publisher channel's ack/nack handler

    def _process_frame(self, frame_value: Any) -> None:
        """A publish confirm goes straight to the handler pika would call for it, past pika's
        generic callback dispatch (a decorated lookup per frame, as costly as the publish)."""
        if self.confirms is not None and type(getattr(frame_value, "method", None)) in _CONFIRMS:
            self.frames_received += 1  # type: ignore[attr-defined]
            self.confirms(frame_value)
            return
        super()._process_frame(frame_value)  # type: ignore[misc]

    def _output_marshaled_frames(self, marshaled_frames: Sequence[bytes]) -> None:
        data = b"".join(marshaled_frames)
        self.bytes_sent += len(data)  # type: ignore[attr-defined]
        self.frames_sent += len(marshaled_frames)  # type: ignore[attr-defined]
        self._adapter_emit_data(data)

    def _adapter_emit_data(self, data: bytes) -> None:
        transport: Any = self._transport  # type: ignore[attr-defined]
        plain = type(transport) is _AsyncPlaintextTransport  # TLS keeps pika's own path
        if plain and transport._state == transport._STATE_ACTIVE and not transport._tx_buffers:
            try:
                sent = transport._sock.send(data)
            except OSError:  # would block, or broken: pika's own write path takes over
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
        transport.write(data)


def connection_parameters(uri: str) -> pika.URLParameters:
    """pika's parameters for uri, with a heartbeat of DEFAULT_HEARTBEAT seconds unless the
    URI sets one: the broker's own default (60 s) lets a dead peer go unnoticed for minutes,
    and pika notices one after about three heartbeats."""
    parameters = pika.URLParameters(uri)
    if "heartbeat" not in parse_qs(urlsplit(uri).query):
        parameters.heartbeat = DEFAULT_HEARTBEAT
    return parameters


def _reason(error: BaseException) -> str:
    """Why a connection failed, in words: pika's errors often carry no text of their own and
    wrap the socket error that does (refused, reset, unreachable)."""
    attempts = getattr(error, "exceptions", None)  # AMQPConnectionWorkflowFailed: the last try
    if isinstance(attempts, tuple) and attempts and isinstance(attempts[-1], BaseException):
        return _reason(attempts[-1])
    inner = getattr(error, "exception", None)  # a connect phase's error wraps the socket's
    if inner is None and error.args and isinstance(error.args[0], BaseException):
        inner = error.args[0]
    if isinstance(inner, BaseException):
        return _reason(inner)
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


async def _rpc(
    loop: asyncio.AbstractEventLoop, channel: Channel, call: Callable[[Callable[..., None]], object]
) -> None:
    """Run one channel method with a completion callback; a channel closed meanwhile
    (for example by a 404 for a missing queue) is an error naming the broker's reason."""
    done: asyncio.Future[None] = loop.create_future()

    def on_close(channel: Channel, reason: BaseException) -> None:
        _fail(done, BrokerError(str(reason)))

    channel.add_on_close_callback(on_close)
    call(lambda *args: _resolve(done, None))
    await done
