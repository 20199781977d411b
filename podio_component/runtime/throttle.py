"""Emit throttles: at most `limit` publishes of a kind per `interval`, as in the Node.js
runtime (p-throttle: calls are delayed, never dropped)."""

from __future__ import annotations

import threading
import time
from collections import deque


class Throttle:
    def __init__(self, limit: int, interval_ms: int) -> None:
        self._limit = limit
        self._interval = interval_ms / 1000
        self._starts: deque[float] = deque()  # the starts of the last interval (or later)
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until one more publish fits in the window."""
        with self._lock:
            now = time.monotonic()
            while self._starts and self._starts[0] <= now - self._interval:
                self._starts.popleft()  # no longer in any window that matters
            start = now
            if len(self._starts) >= self._limit:
                start = max(now, self._starts[-self._limit] + self._interval)
            self._starts.append(start)  # reserved, so concurrent callers queue behind it
        if start > now:
            time.sleep(start - now)
