"""`podio-component sailor`: run the step's action on every message of its queue.

Start-up (see lifecycle.py): read the environment, look up the function (ELASTICIO_FUNCTION)
in component.json, connect to RabbitMQ, fetch the step from the platform API, run the
trigger's startup (STARTUP_REQUIRED) and init, consume. Any failure there is one clear error
and exit 1, with nothing consumed; once connected, the failure is also published as an
error message, as the Node.js runtime reports it. With HOOK_SHUTDOWN, the trigger's shutdown
runs instead, without RabbitMQ. Then each delivery is processed in a worker
thread (as many as the prefetch, or ELASTICIO_CONSUMER_THREAD_POOL_SIZE), while the I/O
thread owns the connections. SIGTERM/SIGINT stop consuming at once, let the messages in
flight finish (rebounding those only waiting to retry what is safe to try later), and exit 0
within PODIO_SHUTDOWN_TIMEOUT.
"""

from __future__ import annotations

import importlib
import os
import queue
import signal
import threading
import time
from collections.abc import Mapping
from types import FrameType
from typing import NoReturn

from podio_component.errors import PodioComponentError
from podio_component.redaction import logger
from podio_component.runtime import bunyan, lifecycle, protocol
from podio_component.runtime.amqp import Broker, BrokerError, Delivery
from podio_component.runtime.crypto import MessageCipher
from podio_component.runtime.ledger import Disposition, Ledger
from podio_component.runtime.lifecycle import StartupError
from podio_component.runtime.sailor_settings import SailorSettings
from podio_component.runtime.worker import Worker

log = logger(__name__)


class Sailor:
    def __init__(self, started: lifecycle.Started) -> None:
        settings = self.settings = started.settings
        self.started = started
        self.stopping = threading.Event()  # shutdown asked: cut short the retry waits we may
        self.abandon = threading.Event()  # shutdown out of time: give up what is left
        self.finished = threading.Event()
        self.failure: str | None = None
        self.cancelled: str | None = None  # the broker ended the consumer
        self.inbox: queue.SimpleQueue[Delivery] = queue.SimpleQueue()  # for the workers
        self.broker = Broker(
            settings.amqp_uri,
            settings.prefetch,
            settings.amqp_reconnect_attempts,
            settings.amqp_reconnect_timeout,
            lambda delivery: self.ledger.on_delivery(delivery),
            self._on_failure,
            self._on_cancelled,
        )
        self.ledger = Ledger(settings, self.broker, self._dispatch, self.abandon)
        self.worker: Worker | None = None  # once the step is known

    def start(self) -> None:
        """Connect, fetch the step, run the lifecycle's startup and init, consume."""
        try:
            self.broker.start()
        except BrokerError as exc:
            raise StartupError(exc.message) from None
        try:
            step = lifecycle.fetch_step(self.started)
            hooks = lifecycle.Hooks(self.started, step, self.stopping)
            if self.settings.startup_required:
                lifecycle.run_startup(self.started, hooks)
            hooks.call("init")
        except Exception as exc:
            self._report(exc)
            raise StartupError(
                exc.message if isinstance(exc, PodioComponentError) else repr(exc)
            ) from None
        self.worker = Worker(self.started, step, self.ledger, self.stopping)
        # A trigger's messages share the step's snapshot (a polling trigger's ticks, a webhook
        # trigger's deliveries): one worker runs them, one at a time, in the order they came.
        threads = 1 if self.worker.trigger else self.settings.worker_threads
        for number in range(threads):
            threading.Thread(target=self._work, name=f"worker-{number}", daemon=True).start()
        try:
            self.broker.consume(self.settings.listen_messages_on)
        except BrokerError as exc:
            raise StartupError(exc.message) from None

    def _report(self, error: BaseException) -> None:
        """A failure of the start, published as an error message, as the Node.js runtime's
        reportError does (the ids in the headers, no input)."""
        settings = self.settings
        headers = protocol.step_headers(settings)
        cipher = MessageCipher(settings.message_crypto_password, settings.message_crypto_iv)
        content, _ = protocol.error_body(
            cipher, error, None, 1, settings.outgoing_message_size_limit
        )
        properties = protocol.properties(headers, settings.amqp_persistent_messages)
        try:
            self.broker.publish(
                settings.publish_messages_to, settings.error_routing_key, content, properties
            )
        except BrokerError as exc:
            log.error("the start's failure could not be reported: %s", exc.message)

    def _dispatch(self, delivery: Delivery) -> None:
        """On the I/O thread: hand a new delivery to a worker thread."""
        self.inbox.put(delivery)

    def _work(self) -> None:
        """A worker thread: one delivery at a time; its disposition goes back to the I/O
        thread, which keeps the books (plain threads on one queue: no Future per message)."""
        while True:
            delivery = self.inbox.get()
            if self.stopping.is_set():  # not started before shutdown: back to the queue
                disposition = Disposition((), ack=False, requeue=True)
            else:
                try:
                    assert self.worker is not None  # consuming starts once it is made
                    disposition = self.worker.process(delivery)
                except Exception:
                    log.exception("the runtime failed on a message; it is rejected")
                    disposition = Disposition((), ack=False)
            self.broker.run_soon(self.ledger.complete, delivery, disposition)

    def _on_failure(self, reason: str) -> None:
        self.failure = reason
        self.finished.set()

    def _on_cancelled(self, reason: str) -> None:
        self.cancelled = reason
        self.finished.set()

    # ---- stopping ------------------------------------------------------------------------

    def request_stop(self) -> None:
        self.stopping.set()
        self.finished.set()

    def run_until_stopped(self) -> int:
        while not self.finished.wait(0.5):
            pass
        if self.failure is not None:
            log.critical("%s", self.failure)
            return 1
        if self.cancelled is not None:  # as the Node.js runtime does: exit, to be restarted
            log.error(
                "%s; finishing the messages in flight, then exiting so that the platform "
                "restarts the container",
                self.cancelled,
            )
            self.shutdown()
            return 1
        self.shutdown()
        return 0

    def shutdown(self) -> None:
        log.info("stopping: no new messages; finishing those in flight")
        try:
            self.broker.stop_consuming()
        except BrokerError as exc:
            log.warning("could not cancel the consumer: %s", exc.message)
        # The books count every delivery until it is settled, started by a worker or not.
        if not self.ledger.idle.wait(self.settings.shutdown_timeout):
            self.abandon.set()
            log.error(
                "%d message(s) still in flight after %g s; RabbitMQ will deliver them again",
                len(self.ledger),
                self.settings.shutdown_timeout,
            )
        self.broker.close()


def run(environ: Mapping[str, str] | None = None) -> NoReturn:
    """The `podio-component sailor` command."""
    env = os.environ if environ is None else environ
    bunyan.configure(env)
    stop_asked = threading.Event()
    sailor: Sailor | None = None

    def on_signal(number: int, frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(number).name)
        stop_asked.set()
        if sailor is not None:
            sailor.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.monotonic()
    try:
        start = lifecycle.start(env)
        if start.settings.hook_shutdown:
            lifecycle.stop(lifecycle.run_shutdown(start, threading.Event()))
        _pin_to_one_core(start.settings)  # before any other thread starts: they inherit it
        sailor = Sailor(start)
        if stop_asked.is_set():  # stopped while starting: nothing to finish
            lifecycle.stop(0)
        sailor.start()
    except PodioComponentError as exc:
        log.critical("cannot start: %s", exc.message)
        lifecycle.stop(1)
    if stop_asked.is_set():
        sailor.request_stop()
    log.info(
        "Fully initialized and waiting for messages (%.0f ms)", (time.monotonic() - started) * 1000
    )
    _warm_up(start.function["main"])
    code = sailor.run_until_stopped()
    log.info("stopped")
    lifecycle.stop(code)


def _pin_to_one_core(settings: SailorSettings) -> None:
    """With several workers, run the process on one core: the GIL lets one thread run Python
    at a time anyway, and two cores only add cache misses and futex wake-ups as the GIL
    passes between threads. Which core follows the pid, so replicas spread out."""
    if settings.prefetch <= 1 or not settings.pin_cpu or not hasattr(os, "sched_setaffinity"):
        return
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) > 1:
        os.sched_setaffinity(0, {allowed[os.getpid() % len(allowed)]})


def _warm_up(action_main: str) -> None:
    """Import the action in the background: consuming does not wait for it, and the first
    message usually finds it ready (a failed import fails that message clearly)."""

    def load() -> None:
        try:
            importlib.import_module(action_main)
        except Exception:
            log.debug("warming up the action failed; the first message will say why")

    threading.Thread(target=load, name="warm-up", daemon=True).start()
