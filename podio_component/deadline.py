"""One deadline per message: every request, Secrets API call and wait fits inside it."""

from __future__ import annotations

import time

MIN_TIMEOUT = 0.001  # a socket timeout of 0 would mean non-blocking, not "no time left"


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def cap(self, timeout: float) -> float:
        """timeout, shortened so that it ends by the deadline."""
        return max(MIN_TIMEOUT, min(timeout, self.remaining()))
