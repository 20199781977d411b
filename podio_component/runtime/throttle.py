"""Emit throttles: at most `limit` publishes of a kind per `interval`, as in the Node.js
runtime (p-throttle: calls are delayed, never dropped)."""

from __future__ import annotations

import threading
import time
from collections import deque


class Throttle:
    def __init__(self, limit: int, interval_ms: int) -> None:
        self._interval = interval_ms / 1000
        self._starts: deque[float] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until one more publish fits in the window."""
        with self._lock:
            now = time.monotonic()
            start = now
            if len(self._starts) == self._starts.maxlen:
                start = max(now, self._starts[0] + self._interval)
            self._starts.append(start)  # reserved, so concurrent callers queue behind it
        if start > now:
            time.sleep(start - now)
