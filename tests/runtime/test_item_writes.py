"""Create Item under `podio-component sailor`: a runtime killed after Podio applied the
create but before its answer leaves the input to be delivered again; the redelivery finds
the item by its external ID, so exactly one item exists."""

from __future__ import annotations

import signal
import threading

from podio_component.emulator import Emulator, Fault
from podio_component.emulator.platform.flow import EmulatedStep
from tests.runtime.sailors import Start, running, runtime_env


def test_a_create_applied_before_a_sigkill_leaves_exactly_one_item(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    token = emulator.issue_token()["access_token"]
    cfg = {"oauth": {"access_token": token}, "retries": "0", "app": "40"}
    env = runtime_env(emulator, emulated_step, cfg, ELASTICIO_FUNCTION="createItem")
    first = running(start_sailor, env)
    release = threading.Event()
    emulator.faults.add("POST", "/item/app/40/", Fault(apply=True, hold=release, drop=True))
    try:
        emulated_step.publish({"title": "Exactly once", "external_id": "order-1001"})
        emulator.log.wait_arrived("POST", "/item/app/40/")  # applied, the answer held back
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    finally:
        release.set()
    running(start_sailor, env)  # the unacknowledged input is delivered to it again
    (output,) = emulated_step.take("data", timeout=30)
    body = emulated_step.decrypt(output)["body"]
    assert body["created"] is False and body["external_id"] == "order-1001"
    found = emulator.world.items.filter(40, {"filters": {"external_id": ["order-1001"]}})
    assert found["filtered"] == 1
    assert emulator.log.count("POST", "/item/app/40/") == 1  # never created twice
