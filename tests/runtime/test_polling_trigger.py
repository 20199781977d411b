"""New and Updated Items under `podio-component sailor` on RabbitMQ: the tests play the
platform (ticks in, data and snapshots out, the stored snapshot given to a new container)."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

from podio_component.emulator import Emulator, Fault
from podio_component.emulator.platform.flow import EmulatedStep
from tests.helpers import cfg_for
from tests.runtime.sailors import Start, running, runtime_env

TRIGGER = "newAndUpdatedItems"


def frozen(emulator: Emulator) -> None:
    emulator.world.clock.freeze(float(int(time.time()) + 10))


def add(emulator: Emulator, count: int) -> list[int]:
    emulator.world.clock.advance(1)
    added = emulator.world.items.add(30, [{"title": f"n{n}"} for n in range(count)])
    emulator.world.clock.advance(1)
    return added


def item_ids(emulated_step: EmulatedStep, outputs: list[Any]) -> list[int]:
    return [int(emulated_step.decrypt(o)["body"]["item_id"]) for o in outputs]


def test_a_whole_run_through_rabbitmq_and_a_second_that_sees_its_snapshot(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    frozen(emulator)
    env = runtime_env(
        emulator,
        emulated_step,
        cfg_for(emulator, app="30", pageSize="5"),
        ELASTICIO_FUNCTION=TRIGGER,
    )
    sailor = running(start_sailor, env)
    tick = emulated_step.publish({})
    (first,) = emulated_step.take("snapshot")  # the first run only records where it starts
    assert json.loads(first.body)["version"] == 1
    added = add(emulator, 12)
    emulated_step.publish({}, content=b"")  # a tick's content does not matter, even an empty one
    outputs = emulated_step.take("data", 12)
    assert sorted(item_ids(emulated_step, outputs)) == added
    assert len({o.headers["messageId"] for o in outputs}) == 12
    assert all(o.headers["parentMessageId"] != tick for o in outputs)
    snapshots = emulated_step.take("snapshot", 3)  # one after each page of 5
    assert json.loads(snapshots[-1].body)["afterId"] == max(added)
    emulated_step.publish({})  # the next run starts from that snapshot: nothing again
    time.sleep(1.5)
    assert emulated_step.depth("data") == 0
    assert (emulated_step.depth("input"), emulated_step.depth("error")) == (0, 0)
    assert sailor.stop() == 0


def test_a_run_killed_mid_page_re_emits_at_most_that_page_and_skips_nothing(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    frozen(emulator)
    cfg = cfg_for(emulator, app="30", pageSize="5")
    env = runtime_env(emulator, emulated_step, cfg, ELASTICIO_FUNCTION=TRIGGER)
    sailor = running(start_sailor, env)
    emulated_step.publish({})
    emulated_step.take("snapshot")
    added = sorted(item for _ in range(5) for item in add(emulator, 2))  # 2 a second
    # newest, reading and two calls pass (page 1 of 5 items, a second cut in two); the next
    # call is answered slowly: the kill comes meanwhile
    passing = [Fault()] * 4
    emulator.faults.add("POST", "/item/app/30/filter*", *passing, Fault(delay=5))
    emulated_step.publish({})
    emulator.log.wait_arrived("POST", "/item/app/30/filter*", count=6)  # 1 in the first run
    assert sailor.stop(signal.SIGKILL) == -signal.SIGKILL
    before = emulated_step.take("data", 5)  # page 1 went out before the kill
    (stored,) = emulated_step.take("snapshot")  # the snapshot after page 1
    # the platform starts a new container with the snapshot it stored
    restarted = runtime_env(
        emulator, emulated_step, cfg, snapshot=json.loads(stored.body), ELASTICIO_FUNCTION=TRIGGER
    )
    running(start_sailor, restarted)  # the unacknowledged tick comes to it again
    after = emulated_step.take("data", 5, timeout=30)
    seen = item_ids(emulated_step, before) + item_ids(emulated_step, after)
    assert sorted(set(seen)) == added  # nothing skipped
    assert len(seen) - len(set(seen)) <= 5  # at most the page in flight again
