from __future__ import annotations

import time

import pytest

from podio_component.emulator import Emulator


@pytest.fixture
def frozen_emulator(emulator: Emulator) -> Emulator:
    """The emulator with its clock frozen a little after now, so that a test places
    creations and edits at exact seconds; the seed's items are older."""
    emulator.world.clock.freeze(float(int(time.time()) + 10))
    return emulator
