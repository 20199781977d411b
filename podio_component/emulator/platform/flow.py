"""A flow step on RabbitMQ, laid out as the platform does, with the platform's side of it.

The platform owns the topology; the runtime declares nothing. This declares, under a unique
prefix: an exchange; the step's input queue (rejected inputs dead-letter to `dead`); queues
bound to the data, error and snapshot routing keys; and a parking queue on the rebound key,
whose expired messages dead-letter back to the input, as the platform returns rebounds.
Then it publishes encrypted inputs and reads what the runtime published. Once a container
is given its environment, the emulated platform keeps the snapshots the step publishes (a
queue of its own on the snapshot key), and its webhook gateway routes the flow's webhook
requests to the step.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError
from pika.spec import BasicProperties

from podio_component.emulator.platform.gateway import Route
from podio_component.runtime.crypto import MessageCipher
from podio_component.runtime.protocol import protocol_version

if TYPE_CHECKING:
    from podio_component.emulator.server import Emulator

STEP_ID = "step_1"
PASSWORD = "emulator-crypto-password"  # noqa: S105  (the emulated platform's, not a secret)
IV = "emulator-iv-16by"


class Received(NamedTuple):
    queue: str
    routing_key: str
    properties: BasicProperties
    body: bytes

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.properties.headers or {})


class EmulatedStep:
    def __init__(self, amqp_url: str, *, return_rebounds: bool = True) -> None:
        self.amqp_url = amqp_url
        prefix = f"podio-flow-{uuid.uuid4().hex[:10]}"
        self.exchange = f"{prefix}_org"
        self.input = f"{prefix}:step_1:messages"
        self.dead = f"{prefix}:step_1:dead"
        self.routing_keys = {
            kind: f"{prefix}.step_1.{kind}" for kind in ("data", "error", "rebound", "snapshot")
        }
        self.queues = {kind: f"{prefix}:step_1:{kind}" for kind in self.routing_keys}
        self.return_rebounds = return_rebounds
        self.flow_id = f"flow-{uuid.uuid4().hex[:8]}"
        self.kept = f"{prefix}:step_1:snapshot-kept"  # the platform's copy of each snapshot
        self.cipher = MessageCipher(PASSWORD, IV)
        self._connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self._channel: BlockingChannel = self._connection.channel()
        self._emulator: Emulator | None = None
        self._keeping = threading.Event()  # set: the snapshot keeper stops

    # ---- topology ------------------------------------------------------------------------

    def declare(self) -> EmulatedStep:
        channel = self._channel
        channel.exchange_declare(self.exchange, "direct", auto_delete=False)
        channel.queue_declare(self.dead)
        channel.queue_declare(
            self.input,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.dead},
        )
        for kind, queue in self.queues.items():
            arguments: dict[str, Any] = {}
            if kind == "rebound" and self.return_rebounds:
                arguments = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.input}
            channel.queue_declare(queue, arguments=arguments)
            channel.queue_bind(queue, self.exchange, self.routing_keys[kind])
        channel.queue_declare(self.kept)
        channel.queue_bind(self.kept, self.exchange, self.routing_keys["snapshot"])
        return self

    def add_queue(self, kind: str, arguments: dict[str, Any] | None = None) -> str:
        """One more queue, bound to a routing key of its own; returns the routing key."""
        self.routing_keys[kind] = f"{self.exchange}.{kind}"
        self.queues[kind] = f"{self.exchange}:{kind}"
        self._channel.queue_declare(self.queues[kind], arguments=arguments)
        self._channel.queue_bind(self.queues[kind], self.exchange, self.routing_keys[kind])
        return self.routing_keys[kind]

    def put(self, kind: str, body: bytes) -> None:
        """Put a plain message straight into one of the step's queues."""
        self._channel.basic_publish(self.exchange, self.routing_keys[kind], body)

    def delete_input(self) -> None:
        """Delete the step's input queue, as an operator or a failed node would."""
        self._channel.queue_delete(self.input)

    def delete(self) -> None:
        self._keeping.set()
        if self._emulator is not None:
            self._emulator.platform.gateway.unregister(self.flow_id)
        try:
            for queue in (self.input, self.dead, self.kept, *self.queues.values()):
                self._channel.queue_delete(queue)
            self._channel.exchange_delete(self.exchange)
        finally:
            self._connection.close()

    def container_environment(
        self,
        emulator: Emulator,
        cfg: dict[str, Any],
        *,
        is_passthrough: bool = False,
        snapshot: dict[str, Any] | None = None,
    ) -> dict[str, str]:
        """Everything the platform gives this step's container: the step registered with the
        emulated platform API (a snapshot given replaces the one it keeps), its ids, the
        platform API and RabbitMQ settings, and the flow's webhook address."""
        emulator.platform.add_step(
            self.flow_id, STEP_ID, cfg, is_passthrough=is_passthrough, snapshot=snapshot
        )
        if self._emulator is None:  # the platform starts running the flow
            self._emulator = emulator
            route = Route(self.amqp_url, self.input, lambda m: self.cipher.encrypt(m, 1))
            emulator.platform.gateway.register(self.flow_id, route)
            threading.Thread(
                target=self._keep_snapshots, name="snapshot-keeper", daemon=True
            ).start()
        return {
            **emulator.environment(),
            **self.environment(),
            "ELASTICIO_FLOW_ID": self.flow_id,
            "ELASTICIO_FLOW_WEBHOOK_URI": f"{emulator.platform_url}/hook/{self.flow_id}",
            "ELASTICIO_STEP_ID": STEP_ID,
            "ELASTICIO_EXEC_ID": "exec-1",
            "ELASTICIO_CONTAINER_ID": "container-1",
            "ELASTICIO_USER_ID": "user-1",
            "ELASTICIO_COMP_ID": "podio-component",
            "ELASTICIO_FUNCTION": "makeRawRequest",
        }

    def _keep_snapshots(self) -> None:
        """The platform's side of the snapshot key: each snapshot the step publishes is
        stored with the step, so a container started later gets the latest."""
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        channel = connection.channel()
        try:
            while not self._keeping.is_set():
                method, properties, body = channel.basic_get(self.kept, auto_ack=True)
                if method is None or properties is None or body is None:
                    connection.sleep(0.02)
                    continue
                event = (properties.headers or {}).get("snapshotEvent", "snapshot")
                try:
                    data = json.loads(body)
                except ValueError:
                    continue  # not a snapshot (a test's reply_to pointed here): not kept
                assert self._emulator is not None
                self._emulator.platform.keep_snapshot(self.flow_id, STEP_ID, str(event), data)
        except (AMQPError, OSError):
            return  # the queue was deleted with the step
        finally:
            if connection.is_open:
                connection.close()

    def environment(self, **overrides: str) -> dict[str, str]:
        """The runtime's RabbitMQ settings for this step (ELASTICIO_*)."""
        return {
            "ELASTICIO_AMQP_URI": self.amqp_url,
            "ELASTICIO_LISTEN_MESSAGES_ON": self.input,
            "ELASTICIO_PUBLISH_MESSAGES_TO": self.exchange,
            "ELASTICIO_DATA_ROUTING_KEY": self.routing_keys["data"],
            "ELASTICIO_ERROR_ROUTING_KEY": self.routing_keys["error"],
            "ELASTICIO_REBOUND_ROUTING_KEY": self.routing_keys["rebound"],
            "ELASTICIO_SNAPSHOT_ROUTING_KEY": self.routing_keys["snapshot"],
            "ELASTICIO_MESSAGE_CRYPTO_PASSWORD": PASSWORD,
            "ELASTICIO_MESSAGE_CRYPTO_IV": IV,
            **overrides,
        }

    # ---- the platform's side -------------------------------------------------------------

    def publish(
        self,
        body: Mapping[str, Any],
        headers: Mapping[str, Any] | None = None,
        *,
        version: int = 1,
        content: bytes | None = None,
        attachments: Mapping[str, Any] | None = None,
    ) -> str:
        """Publish one input message (encrypted, as the previous step would); returns its
        messageId header."""
        message_id = str(uuid.uuid4())
        message = {
            "id": message_id,
            "body": dict(body),
            "headers": {},
            "attachments": dict(attachments or {}),
        }
        amqp_headers = {
            "messageId": message_id,
            "threadId": str(uuid.uuid4()),
            "stepId": "step_0",
            "protocolVersion": version,
            **(headers or {}),
        }
        self._channel.basic_publish(
            "",
            self.input,
            content if content is not None else self.cipher.encrypt(message, version),
            BasicProperties(headers=amqp_headers, delivery_mode=1),
        )
        return message_id

    def take(self, kind: str, count: int = 1, timeout: float = 20) -> list[Received]:
        """Wait for `count` messages on the data, error, rebound or snapshot queue (or the
        input's dead-letter queue, "dead"), and take them."""
        queue = self.dead if kind == "dead" else self.queues[kind]
        found: list[Received] = []
        until = time.monotonic() + timeout
        while len(found) < count:
            method, properties, body = self._channel.basic_get(queue, auto_ack=True)
            if method is None:
                if time.monotonic() > until:
                    raise TimeoutError(
                        f"{len(found)} of {count} message(s) on {kind} after {timeout} s"
                    )
                self._connection.sleep(0.02)
                continue
            assert properties is not None and body is not None
            found.append(Received(queue, str(method.routing_key), properties, body))
        return found

    def drain(self, kind: str, count: int, timeout: float = 60) -> int:
        """Consume and count up to `count` messages of one kind (fast, for benchmarks)."""
        got = 0
        for method, _, _ in self._channel.consume(
            self.queues[kind], auto_ack=True, inactivity_timeout=timeout
        ):
            if method is None:
                break
            got += 1
            if got == count:
                break
        self._channel.cancel()
        return got

    def arrivals(self, kind: str, timeout: float = 60) -> Generator[Received, None, None]:
        """Each message of one kind as it arrives (for benchmarks that time them); stops
        after `timeout` seconds without one."""
        try:
            for method, properties, body in self._channel.consume(
                self.queues[kind], auto_ack=True, inactivity_timeout=timeout
            ):
                if method is None or properties is None or body is None:
                    return
                yield Received(self.queues[kind], str(method.routing_key), properties, body)
        finally:
            self._channel.cancel()

    def depth(self, kind: str) -> int:
        """Messages waiting: "input", "dead", or a kind of output."""
        queue = {"input": self.input, "dead": self.dead}.get(kind) or self.queues[kind]
        return int(self._channel.queue_declare(queue, passive=True).method.message_count)

    def consumers(self) -> int:
        """Consumers on the input queue (a runtime that is consuming)."""
        return int(self._channel.queue_declare(self.input, passive=True).method.consumer_count)

    def decrypt(self, received: Received) -> Any:
        return self.cipher.decrypt(received.body, protocol_version(received.headers))
