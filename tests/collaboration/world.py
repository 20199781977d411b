"""What the collaboration tests read from the emulator: calls made, the last write's query,
and tasks made directly in its world."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from podio_component.emulator import Emulator


def podio_calls(emulator: Emulator) -> int:
    return sum(1 for e in emulator.log.entries() if e.side == "podio")


def last_write(emulator: Emulator) -> dict[str, list[str]]:
    """The query of the last write Podio received."""
    entry = [e for e in emulator.log.entries() if e.side == "podio" and e.method == "POST"][-1]
    return parse_qs(entry.query)


def new_task(emulator: Emulator, body: dict[str, Any], ref: tuple[str, int] | None = None) -> int:
    """A task made in the emulator's world (for one responsible at most): its id."""
    made = emulator.world.tasks.create(body, ref)
    assert isinstance(made, dict)
    return int(made["task_id"])
