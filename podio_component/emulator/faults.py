"""Scriptable faults and the request log, shared by the emulator's Podio and platform sides."""

from __future__ import annotations

import fnmatch
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fault:
    """One scripted outcome for one matching request.

    status/body/headers replace the response; delay sleeps first (for read timeouts); drop
    closes the connection without a response; truncate sends the headers and half the body,
    then closes; malformed answers 200 with a broken JSON body; apply runs the real handler
    first, so a write takes effect and only then does the fault happen.
    """

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    truncate: bool = False
    malformed: bool = False
    apply: bool = False

    def label(self) -> str:
        kinds = [
            name
            for name, on in (
                ("drop", self.drop),
                ("truncate", self.truncate),
                ("malformed", self.malformed),
                ("apply", self.apply),
            )
            if on
        ]
        if self.status is not None:
            kinds.insert(0, str(self.status))
        if self.delay:
            kinds.append(f"delay {self.delay:g}s")
        return "+".join(kinds) or "pass"


class FaultPlan:
    """For a method and a path pattern (fnmatch), a queue of outcomes consumed in order."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, str, deque[Fault]]] = []
        self._lock = threading.Lock()

    def add(self, method: str, pattern: str, *outcomes: Fault) -> None:
        with self._lock:
            self._rules.append((method.upper(), pattern, deque(outcomes)))

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for rule_method, pattern, outcomes in self._rules:
                if outcomes and rule_method in (method, "*") and fnmatch.fnmatchcase(path, pattern):
                    return outcomes.popleft()
        return None


@dataclass(frozen=True)
class LoggedRequest:
    side: str  # "podio" or "platform"
    method: str
    path: str
    query: str
    status: int | None  # None when the connection was dropped
    fault: str | None
    at: float


class RequestLog:
    """Every request either side received, in order; tests count what reached the server."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def record(
        self, side: str, method: str, path: str, query: str, status: int | None, fault: Fault | None
    ) -> None:
        entry = LoggedRequest(
            side, method, path, query, status, fault.label() if fault else None, time.time()
        )
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def count(self, method: str = "*", pattern: str = "*") -> int:
        return sum(
            1
            for entry in self.entries()
            if method in ("*", entry.method) and fnmatch.fnmatchcase(entry.path, pattern)
        )
