"""Item Events run in this process as the platform runs a flow: `listen`'s gateway takes
Podio's deliveries, startup and init run first, then each delivery is processed with the
snapshot the one before left, and shutdown removes the hooks."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from podio_component.context import bound, current
from podio_component.contract import events
from podio_component.emulator import Emulator
from podio_component.listen import Gateway
from podio_component.triggers import item_events
from podio_component.triggers.item_events import catch_up
from podio_component.webhooks import once
from tests.helpers import SetEnv

HOOK_KEY = "test-hook-key-0123456789"


class HookFlow:
    def __init__(
        self, emulator: Emulator, setenv: SetEnv, cfg: dict[str, Any], flow_id: str = "flow-1"
    ) -> None:
        self.emulator = emulator
        self.cfg = cfg
        self.gateway = Gateway(0, flow_id)
        threading.Thread(target=self.gateway.serve_forever, args=(0.05,), daemon=True).start()
        self.uri = f"{self.gateway.url}/hook/{flow_id}"
        setenv("ELASTICIO_FLOW_ID", flow_id)
        setenv("ELASTICIO_FLOW_WEBHOOK_URI", self.uri)
        setenv("PODIO_HOOK_KEY", HOOK_KEY)
        self.record: Any = None
        self.snapshot: Any = None
        item_events._started_here.clear()  # a fresh process
        catch_up._due.clear()
        catch_up._identities.clear()
        once._warned = False

    def host(self) -> Any:
        return bound(replace(current(), flow_record=lambda: self.record))

    def start(self) -> dict[str, Any]:
        with self.host():
            self.record = item_events.startup(self.cfg)
            item_events.init(self.cfg)
        return dict(self.record)

    def restart(self) -> None:
        """A new container of the running flow: init only."""
        item_events._started_here.clear()
        with self.host():
            item_events.init(self.cfg)

    def age(self, minutes: float) -> None:
        """The last catch-up happened `minutes` earlier."""
        self.snapshot["caughtUpAt"] -= minutes * 60

    def delivered(self) -> list[dict[str, Any]]:
        """The platform messages Podio's deliveries made so far."""
        self.emulator.world.hooks.wait_idle()
        taken = []
        while not self.gateway.messages.empty():
            taken.append(self.gateway.messages.get())
        return taken

    def process(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """One delivery; the bodies emitted."""
        with self.host(), events.collect() as collected:
            item_events.process(message, self.cfg, self.snapshot)
        if collected.snapshot is not None:
            self.snapshot = collected.snapshot
        return [m["body"] for m in collected.data]

    def run(self) -> list[dict[str, Any]]:
        """Every delivery so far, in order; the bodies emitted."""
        return [body for message in self.delivered() for body in self.process(message)]

    def shutdown(self, data: Any = ...) -> None:
        with self.host():
            item_events.shutdown(self.cfg, self.record if data is ... else data)

    def close(self) -> None:
        self.gateway.shutdown()
