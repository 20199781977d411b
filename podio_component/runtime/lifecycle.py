"""The step's life in one container, as the Node.js runtime 2.7.8 runs it: how it starts (the
settings, the function it runs, the step fetched from the platform), a trigger's `startup`,
`init` and `shutdown` around the message loop, the host context the component's code runs
in, and how the process stops.

    a flow starts:      connect -> fetch the step -> startup (STARTUP_REQUIRED; its result kept
                        as the flow's hooks data) -> init -> consume
    every container:    connect -> fetch the step -> init -> consume
    the flow stops:     HOOK_SHUTDOWN: fetch the step -> read the hooks data -> shutdown(cfg,
                        data) -> delete the data -> exit, RabbitMQ never touched

The functions get a copy of the step's cfg and no message context (no events); their logs
go where the runtime's go. A module without one of them is skipped with a warning.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple, NoReturn

from podio_component.context import Context, EventSink, bound
from podio_component.contract import descriptor
from podio_component.errors import PodioComponentError, UsageError
from podio_component.platform.api import PlatformApi, PlatformApiError, StepInfo
from podio_component.redaction import logger, register_secret
from podio_component.runtime import sailor_settings
from podio_component.runtime.sailor_settings import SailorSettings
from podio_component.runtime.step_state import json_copy

log = logger(__name__)


class StartupError(PodioComponentError):
    """The runtime cannot start; nothing was consumed."""


class Started(NamedTuple):
    settings: SailorSettings
    function: dict[str, Any]  # the trigger or action, from component.json
    api: PlatformApi


def start(env: Mapping[str, str]) -> Started:
    """What the container knows before it connects: its settings, the function it runs and
    the platform API. Any failure is one PodioComponentError."""
    settings = sailor_settings.read(env)
    for secret in (settings.api_key, settings.message_crypto_password, settings.amqp_uri):
        register_secret(secret)
    function = _function(settings.function, settings.component_path)
    api = PlatformApi(
        settings.api_uri,
        settings.api_username,
        settings.api_key,
        settings.api_request_retry_attempts,
        settings.api_request_retry_delay,
    )
    return Started(settings, function, api)


def fetch_step(started: Started) -> StepInfo:
    return started.api.step(started.settings.flow_id, started.settings.step_id)


class Hooks:
    """The trigger's `startup`, `init` and `shutdown`, called as the Node.js runtime calls
    them: with a copy of the step's cfg, no message context, a missing one skipped."""

    def __init__(self, started: Started, step: StepInfo, stopping: threading.Event) -> None:
        self._started = started
        self._main = str(started.function["main"])
        self._step = step
        self._stopping = stopping

    def call(self, name: str, *data: Any) -> Any:
        module = importlib.import_module(self._main)
        function = getattr(module, name, None)
        if not callable(function):
            log.warning("%s is not found in %s; skipped", name, self._main)
            return None
        with bound(host_context(None, self._stopping, self._started)):
            return function(json_copy(self._step.config), *data)


def run_startup(started: Started, hooks: Hooks) -> None:
    """startup(cfg), its result kept as the flow's hooks data: `{}` when it is empty; when
    data is kept already (a 409), that is deleted and the result posted as it is."""
    flow_id = started.settings.flow_id
    log.debug("starting up the component")
    result = hooks.call("startup")
    try:
        started.api.store_startup_data(flow_id, {} if _empty(result) else result)
    except PlatformApiError as exc:
        if exc.status != 409:
            raise
        log.warning("Startup data already exists. Rewriting.")
        started.api.delete_startup_data(flow_id)
        started.api.store_startup_data(flow_id, result)
    log.debug("component started up")


def run_shutdown(started: Started, stopping: threading.Event) -> int:
    """A shutdown container: shutdown(cfg, the hooks data), then the data deleted; the exit
    code. Where no data is kept (the Node.js runtime fails there and never calls shutdown),
    shutdown(cfg, None) still runs, so a trigger can clean up after a lost record, and there
    is nothing to delete."""
    try:
        hooks = Hooks(started, fetch_step(started), stopping)
        data = hooks_data(started)
        if data is None:
            log.warning("no startup data is kept for the flow; shutdown runs without it")
            hooks.call("shutdown", None)
            return 0
        hooks.call("shutdown", data)
        started.api.delete_startup_data(started.settings.flow_id)
    except Exception as exc:
        message = exc.message if isinstance(exc, PodioComponentError) else repr(exc)
        log.critical("the shutdown hook failed: %s", message)
        return 1
    log.info("shut down successfully")
    return 0


def host_context(events: EventSink | None, stopping: threading.Event, started: Started) -> Context:
    """The context the component's code runs in under the runtime: the platform runs it (no
    local credential store), its events go to `events`, a shutdown cuts short the waits
    that may be abandoned, and the flow's hooks data can be read."""
    return Context(
        events=events,
        stopping=stopping,
        on_platform=True,
        flow_record=lambda: hooks_data(started),
    )


def hooks_data(started: Started) -> Any:
    """The flow's startup record on the platform, None when none is kept."""
    try:
        return started.api.startup_data(started.settings.flow_id)
    except PlatformApiError as exc:
        if exc.status == 404:
            return None
        raise


def stop(code: int) -> NoReturn:
    """Exit now: worker threads still waiting on Podio must not hold the process."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _empty(value: Any) -> bool:
    """What the Node.js runtime's `_.isEmpty` calls empty: nothing, a number or boolean, an
    empty text, list or object."""
    return value is None or isinstance(value, bool | int | float) or value in ("", [], {})


def _function(name: str, component_path: str) -> dict[str, Any]:
    """The trigger or action the step runs, from component.json."""
    try:
        return descriptor.action(name, component_path)
    except UsageError as exc:
        raise StartupError(f"ELASTICIO_FUNCTION={name!r}: {exc.message}") from None
