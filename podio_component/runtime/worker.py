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
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from pika.spec import BasicProperties

from podio_component import events
from podio_component.errors import InputError, OutputTooLargeError, PodioComponentError
from podio_component.events import UpdateKeysError
from podio_component.redaction import logger
from podio_component.runtime import logs, protocol
from podio_component.runtime.amqp import Delivery
from podio_component.runtime.crypto import MessageCipher, UndecryptableError
from podio_component.runtime.ledger import Ledger, Outcome, Publication
from podio_component.runtime.platform_api import PlatformApi, PlatformApiError, Step
from podio_component.runtime.settings import SailorSettings
from podio_component.runtime.throttle import Throttle

log = logger(__name__)


class NotSupportedError(PodioComponentError):
    """The input needs a runtime feature this runtime does not have."""


class Worker:
    """Processes deliveries; shared by the worker threads."""

    def __init__(
        self,
        settings: SailorSettings,
        step: Step,
        action_main: str,
        ledger: Ledger,
        api: PlatformApi,
        stopping: threading.Event,
    ) -> None:
        self.settings = settings
        self.step = step
        self.action_main = action_main
        self.ledger = ledger
        self.api = api
        self.stopping = stopping  # shutdown asked: cut short the retry waits we may
        self.cipher = MessageCipher(settings.message_crypto_password, settings.message_crypto_iv)
        interval = settings.rate_interval
        self.data_throttle = Throttle(settings.data_rate_limit, interval)
        self.error_throttle = Throttle(settings.error_rate_limit, interval)
        self.snapshot_throttle = Throttle(settings.snapshot_rate_limit, interval)
        self.snapshot: dict[str, Any] = dict(step.snapshot)
        self.snapshot_lock = threading.Lock()

    def process(self, delivery: Delivery) -> Outcome:
        """Process one delivery; what to publish, and whether to acknowledge it."""
        headers = delivery.properties.headers or {}
        incoming = protocol.incoming_headers(headers)
        context = {
            "threadId": str(incoming["threadId"]),
            "messageId": str(incoming.get("messageId") or "unknown"),
            "parentMessageId": str(incoming.get("parentMessageId") or "unknown"),
        }
        with logs.message_context(context):
            try:
                message = self.cipher.decrypt(delivery.body, protocol.protocol_version(headers))
            except UndecryptableError as exc:
                log.error("rejected a message that cannot be decrypted (%s)", exc)
                return Outcome((), ack=False)
            base = protocol.outgoing_headers(incoming, self.settings)
            try:
                message = self._input(message, headers)
                output = self._run_action(message, base)
            except PodioComponentError as exc:
                if exc.retry_later:
                    return self._rebound(delivery, exc, base)
                return self._fail(exc, base, delivery)
            except Exception as exc:
                log.exception("the action failed")
                return self._fail(exc, base, delivery)
            if not output:
                return Outcome((), ack=True)
            return self._emit(output, message, incoming, base, delivery)

    # ---- running the action --------------------------------------------------------------

    def _input(self, message: Any, headers: Mapping[str, Any]) -> dict[str, Any]:
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

    def _run_action(self, message: dict[str, Any], base: dict[str, Any]) -> Any:
        module = importlib.import_module(self.action_main)
        # Imported here, not at start: it brings requests, which consuming does not need.
        from podio_component import retry_policy

        retry_policy.pause = self._pause
        cfg = _copy(self.step.config)
        with self.snapshot_lock:
            snapshot = _copy(self.snapshot)
        with events.bound(_Events(self, cfg, base)):
            return module.process(message, cfg, snapshot)

    # ---- what comes of it ----------------------------------------------------------------

    def _emit(
        self,
        output: Mapping[str, Any],
        message: Mapping[str, Any],
        incoming: Mapping[str, Any],
        base: dict[str, Any],
        delivery: Delivery,
    ) -> Outcome:
        routing_key, data, headers = protocol.data_message(
            output, message, incoming, base, self.settings, self.step.is_passthrough
        )
        body = self.cipher.encrypt(data, self.settings.protocol_version)
        limit = self.settings.outgoing_message_size_limit
        if len(body) > limit:
            return self._fail(
                OutputTooLargeError(protocol.size_error(len(body), limit)), base, delivery
            )
        self.data_throttle.wait()
        return Outcome((Publication(routing_key, body, self._properties(headers)),), ack=True)

    def _fail(self, error: BaseException, base: dict[str, Any], delivery: Delivery) -> Outcome:
        """The error message (and its reply_to copy); the input is then rejected."""
        headers = {**base, "end": protocol.now_ms()}
        version = protocol.protocol_version(delivery.properties.headers or {})
        content, encrypted_error = protocol.error_body(self.cipher, error, delivery.body, version)
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
        self.error_throttle.wait()
        return Outcome(tuple(publications), ack=False)

    def _rebound(
        self, delivery: Delivery, error: PodioComponentError, base: dict[str, Any]
    ) -> Outcome:
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
        return Outcome((rebound,), ack=True)

    def _pause(self, seconds: float, abandonable: bool) -> None:
        """Waits between retries; a shutdown cuts short those that may be abandoned."""
        from podio_component.retry_policy import WaitAbandoned

        if not abandonable:
            time.sleep(seconds)
        elif self.stopping.wait(seconds):
            raise WaitAbandoned()

    def _properties(self, headers: Mapping[str, Any]) -> BasicProperties:
        return protocol.properties(headers, self.settings.amqp_persistent_messages)


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of JSON data (the step's config and snapshot), faster than copy.deepcopy."""
    copied: dict[str, Any] = json.loads(json.dumps(value))
    return copied


class _Events:
    """The events one message's action emits (see podio_component.events)."""

    def __init__(self, worker: Worker, cfg: Mapping[str, Any], base: dict[str, Any]) -> None:
        self.worker = worker
        self.cfg = cfg
        self.base = base

    def snapshot(self, snapshot: dict[str, Any]) -> None:
        with self.worker.snapshot_lock:
            self.worker.snapshot = _copy(snapshot)
        self._publish(snapshot, "snapshot", self.worker.snapshot_throttle)

    def update_snapshot(self, changes: dict[str, Any]) -> None:
        if "$set" in changes:
            log.warning("updateSnapshot with $set is not supported; the event is ignored")
            return
        with self.worker.snapshot_lock:
            self.worker.snapshot.update(_copy(changes))
        self._publish(changes, "updateSnapshot", None)

    def update_keys(self, keys: dict[str, Any]) -> None:
        account = self.cfg.get("_account")
        if not isinstance(account, str) or not account:
            raise UpdateKeysError(
                "the new keys cannot be stored: the step's cfg names no _account "
                "(the platform gives one only with legacy inline credentials)"
            )
        try:
            self.worker.api.update_keys(account, keys)
        except PlatformApiError as exc:
            raise UpdateKeysError(
                f"the platform did not store the new keys: {exc.message}"
            ) from None

    def _publish(self, data: dict[str, Any], event: str, throttle: Throttle | None) -> None:
        if throttle is not None:
            throttle.wait()
        headers = {**self.base, "snapshotEvent": event}
        routing_key = self.worker.settings.snapshot_routing_key
        properties = self.worker._properties(headers)
        self.worker.ledger.publish_and_wait(
            Publication(routing_key, protocol.snapshot_body(data), properties)
        )
