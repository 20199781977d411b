"""The step's life in one container: how it starts (the settings, the function it runs, the
step fetched from the platform), the host context the component's code runs in, and how the
process stops.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple, NoReturn

from podio_component.context import Context, EventSink
from podio_component.contract import descriptor
from podio_component.errors import PodioComponentError, UsageError
from podio_component.platform.api import PlatformApi, StepInfo
from podio_component.redaction import register_secret
from podio_component.runtime import sailor_settings
from podio_component.runtime.sailor_settings import SailorSettings


class StartupError(PodioComponentError):
    """The runtime cannot start; nothing was consumed."""


class Started(NamedTuple):
    settings: SailorSettings
    function: dict[str, Any]  # the trigger or action, from component.json
    api: PlatformApi
    step: StepInfo


def start(env: Mapping[str, str]) -> Started:
    """Everything the container needs before it consumes: its settings, the function it runs
    and the step, fetched from the platform. Any failure is one PodioComponentError."""
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
    return Started(settings, function, api, api.step(settings.flow_id, settings.step_id))


def host_context(events: EventSink | None, stopping: threading.Event) -> Context:
    """The context the component's code runs in under the runtime: the platform runs it (no
    local credential store), its events go to `events`, and a shutdown cuts short the waits
    that may be abandoned."""
    return Context(events=events, stopping=stopping, on_platform=True)


def stop(code: int) -> NoReturn:
    """Exit now: worker threads still waiting on Podio must not hold the process."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _function(name: str, component_path: str) -> dict[str, Any]:
    """The trigger or action the step runs, from component.json."""
    try:
        return descriptor.action(name, component_path)
    except UsageError as exc:
        raise StartupError(f"ELASTICIO_FUNCTION={name!r}: {exc.message}") from None
