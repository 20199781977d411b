"""Running `podio-component sailor` as the platform does: a subprocess with ELASTICIO_* set."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from podio_component.emulator import Emulator
from podio_component.emulator.platform.flow import EmulatedStep


def runtime_env(
    emulator: Emulator,
    step: EmulatedStep,
    cfg: dict[str, Any],
    *,
    is_passthrough: bool = False,
    snapshot: dict[str, Any] | None = None,
    **overrides: str,
) -> dict[str, str]:
    """The environment the platform gives a step's container, for a test: fast rebounds
    (100 ms) and debug logs."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ELASTICIO_", "PODIO_"))},
        **step.container_environment(
            emulator, cfg, is_passthrough=is_passthrough, snapshot=snapshot
        ),
        "ELASTICIO_REBOUND_INITIAL_EXPIRATION": "100",
        "LOG_LEVEL": "debug",
        **overrides,
    }


class Sailor:
    """One `podio-component sailor` process; its stdout (the JSON log) goes to a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "podio_component", "sailor"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def lines(self) -> list[dict[str, Any]]:
        entries = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            try:
                entries.append(json.loads(raw))
            except ValueError:
                entries.append({"msg": raw, "level": 0, "raw": True})
        return entries

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 20) -> None:
        until = time.monotonic() + timeout
        while text not in self.text():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the sailor exited ({self.process.returncode}):\n{self.text()}"
                )
            if time.monotonic() > until:
                raise AssertionError(
                    f"no {text!r} in the sailor's log after {timeout} s:\n{self.text()}"
                )
            time.sleep(0.05)

    def wait_consuming(self, timeout: float = 30) -> None:
        self.wait_for("Fully initialized and waiting for messages", timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def exit_code(self, timeout: float = 30) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()


Start = Callable[[dict[str, str]], Sailor]


def secret_cfg(emulator: Emulator, **fields: str) -> dict[str, Any]:
    """A step cfg naming a fresh emulator secret; no retries unless asked for."""
    return {"secretId": emulator.create_secret(fields={"retries": "0", **fields})}


def running(start: Start, env: dict[str, str]) -> Sailor:
    """A sailor started and consuming."""
    sailor = start(env)
    sailor.wait_consuming()
    return sailor
