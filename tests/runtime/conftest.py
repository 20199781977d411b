"""Fixtures of the runtime tests: a step's topology on the broker, and sailor processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from podio_component.emulator.platform.flow import EmulatedStep
from tests.runtime.sailors import Sailor, Start


@pytest.fixture
def emulated_step(amqp_url: str) -> Iterator[EmulatedStep]:
    """A step's queues and exchange, declared as the platform does, deleted afterwards."""
    step = EmulatedStep(amqp_url).declare()
    yield step
    step.delete()


@pytest.fixture
def start_sailor(tmp_path: Path) -> Iterator[Start]:
    """Start `podio-component sailor` processes; any still running at the end are killed."""
    started: list[Sailor] = []

    def start(env: dict[str, str]) -> Sailor:
        sailor = Sailor(env, tmp_path / f"sailor-{len(started)}.log")
        started.append(sailor)
        return sailor

    yield start
    for sailor in started:
        if sailor.process.poll() is None:
            sailor.process.kill()
            sailor.process.wait(10)
