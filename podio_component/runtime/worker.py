"""One input message: decrypt it, run the action, and say what comes of it (the messages
to publish, and whether the input is acknowledged or rejected); the I/O thread carries it
out (see ledger.py).

  output             -> data message (passthrough, routing-key override), input acked
  safe to try later  -> rebound (original content, protocol's expiration schedule), acked;
                        past the rebound limit, the error "Rebound limit exceeded", acked
  any other failure  -> error message (and reply_to copy), input rejected without requeue
  undecryptable      -> rejected and logged, nothing published
  unroutable output  -> logged, input rejected without requeue (the dead-letter keeps it)
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import Any

from pika.spec import BasicProperties

from podio_component.context import bound
from podio_component.contract import descriptor
from podio_component.errors import InputError, OutputTooLargeError, PodioComponentError
from podio_component.platform.api import StepInfo
from podio_component.redaction import logger
from podio_component.runtime import bunyan, protocol
from podio_component.runtime.amqp import Delivery
from podio_component.runtime.crypto import MessageCipher, UndecryptableError
from podio_component.runtime.ledger import Disposition, InFlight, Ledger, Publication
from podio_component.runtime.lifecycle import Started, host_context
from podio_component.runtime.step_state import StepEvents, StepState, json_copy

log = logger(__name__)


class NotSupportedError(PodioComponentError):
    """The input needs a runtime feature this runtime does not have."""


class Worker:
    """Processes deliveries; shared by the worker threads."""

    def __init__(
        self,
        started: Started,
        step: StepInfo,
        ledger: Ledger,
        stopping: threading.Event,
    ) -> None:
        settings = self.settings = started.settings
        self.step = step
        self.action_main = str(started.function["main"])
        self.trigger = descriptor.is_trigger(settings.function, settings.component_path)
        self.polling = started.function.get("type") == "polling"  # a tick's content is moot
        self.ledger = ledger
        self.api = started.api
        self.started = started
        self.stopping = stopping  # shutdown asked: cut short the retry waits we may
        self.cipher = MessageCipher(settings.message_crypto_password, settings.message_crypto_iv)
        self.state = StepState(step.snapshot, settings)

    def process(self, delivery: Delivery) -> Disposition:
        """Process one delivery; what to publish, and whether to acknowledge it."""
        headers = delivery.properties.headers or {}
        incoming = protocol.incoming_headers(headers)
        context = {
            "threadId": str(incoming["threadId"]),
            "messageId": str(incoming.get("messageId") or "unknown"),
            "parentMessageId": str(incoming.get("parentMessageId") or "unknown"),
        }
        with bunyan.message_context(context):
            try:
                message = self.cipher.decrypt(delivery.body, protocol.protocol_version(headers))
            except UndecryptableError as exc:
                log.error("rejected a message that cannot be decrypted (%s)", exc)
                return Disposition((), ack=False)
            base = protocol.outgoing_headers(incoming, self.settings)
            return self._outcome(delivery, headers, message, incoming, base)

    def _outcome(
        self,
        delivery: Delivery,
        headers: Mapping[str, Any],
        message: Any,
        incoming: Mapping[str, Any],
        base: dict[str, Any],
    ) -> Disposition:
        in_flight = InFlight()
        try:
            message = self._input(message, headers)
            cfg = json_copy(self.step.config)
            events = self._events(message, cfg, incoming, base, in_flight)
            output = self._run_action(message, cfg, events)
            if output:
                disposition = self._emit(output, message, incoming, base, delivery)
            else:
                disposition = Disposition((), ack=True)
        except PodioComponentError as exc:
            if exc.retry_later:
                disposition = self._rebound(delivery, exc, base)
            else:
                disposition = self._fail(exc, base, delivery)
        except Exception as exc:
            log.exception("the action failed")
            disposition = self._fail(exc, base, delivery)
        return disposition._replace(in_flight=in_flight)

    # ---- running the action --------------------------------------------------------------

    def _input(self, message: Any, headers: Mapping[str, Any]) -> dict[str, Any]:
        if self.polling and not isinstance(message, dict):
            message = {}  # a tick's content does not matter
        if not isinstance(message, dict):
            raise InputError("message", "expected an object")
        taken: dict[str, Any] = dict(message)
        taken["headers"] = dict(taken.get("headers") or {})
        if headers.get("reply_to"):
            taken["headers"]["reply_to"] = headers["reply_to"]
        stored = [taken["headers"]] + [
            step.get("headers") or {}
            for step in (taken.get("passthrough") or {}).values()
            if isinstance(step, dict)
        ]
        if any(protocol.OBJECT_STORAGE_HEADER in part for part in stored):
            raise NotSupportedError(
                "this message's body is kept in object storage (a lightweight message), which "
                "this component's runtime does not support"
            )
        return taken

    def _events(
        self,
        message: dict[str, Any],
        cfg: dict[str, Any],
        incoming: Mapping[str, Any],
        base: dict[str, Any],
        in_flight: InFlight,
    ) -> StepEvents:
        def publish_data(output: Mapping[str, Any]) -> None:  # emit_data: confirmed at once
            self.ledger.publish_and_wait(self._data(output, message, incoming, base))

        return StepEvents(
            self.state,
            lambda publication: self.ledger.publish_soon(publication, in_flight),
            publish_data,
            self.settings,
            self.api,
            cfg,
            base,
        )

    def _run_action(self, message: dict[str, Any], cfg: dict[str, Any], events: StepEvents) -> Any:
        module = importlib.import_module(self.action_main)
        with bound(host_context(events, self.stopping, self.started)):
            return module.process(message, cfg, self.state.snapshot())

    # ---- what comes of it ----------------------------------------------------------------

    def _emit(
        self,
        output: Mapping[str, Any],
        message: Mapping[str, Any],
        incoming: Mapping[str, Any],
        base: dict[str, Any],
        delivery: Delivery,
    ) -> Disposition:
        try:
            publication = self._data(output, message, incoming, base)
        except OutputTooLargeError as exc:
            return self._fail(exc, base, delivery)
        return Disposition((publication,), ack=True)

    def _data(
        self,
        output: Mapping[str, Any],
        message: Mapping[str, Any],
        incoming: Mapping[str, Any],
        base: dict[str, Any],
    ) -> Publication:
        """One data message, encrypted and within the size limit, once the data throttle
        lets it through."""
        routing_key, data, headers = protocol.data_message(
            output, message, incoming, base, self.settings, self.step.is_passthrough
        )
        body = self.cipher.encrypt(data, self.settings.protocol_version)
        limit = self.settings.outgoing_message_size_limit
        if len(body) > limit:
            raise OutputTooLargeError(protocol.size_error(len(body), limit))
        self.state.data_throttle.wait()
        return Publication(routing_key, body, self._properties(headers))

    def _fail(self, error: BaseException, base: dict[str, Any], delivery: Delivery) -> Disposition:
        """The error message (and its reply_to copy); the input is then rejected."""
        headers = {**base, "end": protocol.now_ms()}
        version = protocol.protocol_version(delivery.properties.headers or {})
        content, encrypted_error = protocol.error_body(
            self.cipher, error, delivery.body, version, self.settings.outgoing_message_size_limit
        )
        log.info("the message failed: %s", protocol.error_fields(error)["message"])
        publications = [
            Publication(self.settings.error_routing_key, content, self._properties(headers))
        ]
        reply_to = headers.get("reply_to")
        if reply_to and not self.settings.no_error_replies:
            reply = {**headers, protocol.ERROR_RESPONSE_HEADER: True}
            publications.append(
                Publication(str(reply_to), encrypted_error, self._properties(reply))
            )
        self.state.error_throttle.wait()
        return Disposition(tuple(publications), ack=False)

    def _rebound(
        self, delivery: Delivery, error: PodioComponentError, base: dict[str, Any]
    ) -> Disposition:
        """Send the input round again later; it is acknowledged either way."""
        properties = protocol.rebound_properties(delivery.properties, error.message, self.settings)
        if properties is None:
            failed = self._fail(
                PodioComponentError(protocol.REBOUND_LIMIT_EXCEEDED), base, delivery
            )
            return failed._replace(ack=True)
        if self.settings.amqp_persistent_messages:
            properties.delivery_mode = 2
        log.info(
            "rebounding the message (iteration %s): %s",
            (properties.headers or {}).get("reboundIteration"),
            error.message,
        )
        rebound = Publication(self.settings.rebound_routing_key, delivery.body, properties)
        return Disposition((rebound,), ack=True)

    def _properties(self, headers: Mapping[str, Any]) -> BasicProperties:
        return protocol.properties(headers, self.settings.amqp_persistent_messages)
