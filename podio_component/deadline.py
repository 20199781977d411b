"""Time windows: the deadline of one message, and the rate-limit cooldown of one credential.

Both read the process clock they are given (see `context.Clock`).
"""

from __future__ import annotations

import threading

from podio_component.context import SYSTEM_CLOCK, Clock

MIN_TIMEOUT = 0.001  # a socket timeout of 0 would mean non-blocking, not "no time left"


class Deadline:
    """Every request, Secrets API call and wait of one message fits inside it."""

    def __init__(
        self, seconds: float, setting: str = "PODIO_DEADLINE", clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.seconds = seconds
        self.setting = setting  # named in errors: where the person can change it
        self.clock = clock
        self.at = clock.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - self.clock.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def cap(self, timeout: float) -> float:
        """timeout, shortened so that it ends by the deadline."""
        return max(MIN_TIMEOUT, min(timeout, self.remaining()))


class Cooldown:
    """A credential's rate-limit cooldown, shared by every message that uses it in the
    process: after a 420 or 429, nothing calls Podio for the credential until the time Podio
    asked for (or retriesDelay, when it said nothing) has passed."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return max(0.0, self._until - self._clock.monotonic())

    def start(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._clock.monotonic() + seconds)
