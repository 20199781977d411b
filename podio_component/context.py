"""What an action uses from its host, bound per message: one `Context`.

    events    where emitted data, snapshots and rotated keys go (the platform runtime's
              sink, `podio-component run`'s, or `events.collect()`); None for plain
              library use
    clock     the process's monotonic clock, which also times every credential's cooldown
    stopping  set when the host shuts down: a wait between attempts that may be abandoned
              (the request is safe to try again later) is cut short
    on_platform  the platform runs this (the runtime, a service container): the local
              credential store is never read
    flow_record  reads the flow's startup record as the host keeps it (the platform's hooks
              data, or `listen`'s), None where there is none (a single `run`)
    attachments  where files are read from and written to (`run`'s local folder); None:
              the platform's storage, as the environment names it

The runtime binds its own context around each message; everything else gets `DEFAULT`.
A test binds one with a clock of its own instead of patching modules.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol


class Clock:
    """Monotonic seconds, and sleeping on them. One per process: `SYSTEM_CLOCK`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = Clock()


class EventSink(Protocol):
    def data(self, message: dict[str, Any]) -> None: ...

    def snapshot(self, snapshot: dict[str, Any]) -> None: ...

    def update_snapshot(self, changes: dict[str, Any]) -> None: ...

    def update_keys(self, keys: dict[str, Any]) -> None: ...


class WaitAbandoned(Exception):
    """A wait between attempts was given up: the host is shutting down."""


@dataclass(frozen=True)
class Context:
    events: EventSink | None = None
    clock: Clock = SYSTEM_CLOCK
    stopping: threading.Event | None = None
    on_platform: bool = False
    flow_record: Callable[[], Any] | None = None
    attachments: Any = None  # an AttachmentStore (platform/attachments.py)

    def pause(self, seconds: float, abandonable: bool) -> None:
        """Wait before the next attempt; WaitAbandoned when a shutdown cuts short a wait
        that may be abandoned."""
        if abandonable and self.stopping is not None:
            if self.stopping.wait(seconds):
                raise WaitAbandoned()
        else:
            self.clock.sleep(seconds)


DEFAULT = Context()
_current: contextvars.ContextVar[Context] = contextvars.ContextVar(
    "podio_component_context", default=DEFAULT
)


def current() -> Context:
    """The context bound in this thread, or DEFAULT."""
    return _current.get()


@contextmanager
def bound(context: Context) -> Iterator[Context]:
    """Bind context for what runs in this thread inside the block (one message)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
