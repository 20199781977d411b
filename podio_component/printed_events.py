"""What `run` and `listen` do with the events of the component's code on a laptop: each data
message is one JSON line on stdout as it is emitted, and each snapshot (updates merged in)
is handed to `keep` at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from podio_component.contract.events import Collected, Collector
from podio_component.json_text import dumps


class PrintedEvents(Collector):
    def __init__(self, keep: Callable[[dict[str, Any] | None], None] | None = None) -> None:
        self.collected = Collected()
        super().__init__(self.collected)
        self._keep = keep

    def data(self, message: dict[str, Any]) -> None:
        print(dumps(message, ensure_ascii=False), flush=True)

    def snapshot(self, snapshot: dict[str, Any]) -> None:
        super().snapshot(snapshot)
        self._kept()

    def update_snapshot(self, changes: dict[str, Any]) -> None:
        super().update_snapshot(changes)
        self._kept()

    def _kept(self) -> None:
        if self._keep is not None:
            self._keep(self.collected.snapshot)
