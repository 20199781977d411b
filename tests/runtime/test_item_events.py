"""Item Events (instant) under `podio-component sailor` on RabbitMQ, with the whole path on
this machine: the emulated Podio delivers its hooks to the flow's webhook URI, the
emulated platform's gateway publishes them to the step's queue, the sailor processes them.
The tests play the platform: the lifecycle's variables, the step's queues, the shutdown
container."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from podio_component.emulator import Emulator, Fault
from podio_component.emulator.platform.flow import EmulatedStep
from podio_component.webhooks.address import SECRET_PARAM
from tests.helpers import PodioApi
from tests.runtime.sailors import Sailor, Start, running, runtime_env, secret_cfg
from tests.runtime.test_lifecycle import shutdown_container


@pytest.fixture(autouse=True)
def busy_app(emulator: Emulator) -> None:
    """The gateway's rate lifted; the seeded items older than what the test does (the
    first catch-up's cursor stops before Podio's current second)."""
    emulator.platform.gateway.per_minute = 10_000
    emulator.world.clock.advance(2)


def flow_env(emulator: Emulator, step: EmulatedStep, **fields: Any) -> dict[str, str]:
    return runtime_env(
        emulator,
        step,
        {**secret_cfg(emulator), "app": "30", **fields},
        ELASTICIO_FUNCTION="itemEvents",
        ELASTICIO_STARTUP_REQUIRED="1",
        ELASTICIO_RABBITMQ_PREFETCH_SAILOR="10",
    )


class Podio(PodioApi):
    def active(self, count: int = 2, timeout: float = 20) -> list[dict[str, Any]]:
        """The app's hooks, once `count` of them are active."""
        until = time.monotonic() + timeout
        while sum(1 for h in self.hooks() if h["status"] == "active") < count:
            assert time.monotonic() < until, self.hooks()
            time.sleep(0.05)
        return self.hooks()


@pytest.fixture
def podio(emulator: Emulator) -> Podio:
    """Someone at work in the app: another user than the flow's credential."""
    return Podio(emulator, "grace@example.com")


def bodies(step: EmulatedStep, count: int) -> list[dict[str, Any]]:
    return [step.decrypt(m)["body"] for m in step.take("data", count)]


def quiet(step: EmulatedStep, sailor: Sailor, emulator: Emulator) -> None:
    """Nothing more is emitted for what was delivered so far."""
    emulator.world.hooks.wait_idle()
    with pytest.raises(TimeoutError):
        step.take("data", 1, timeout=1)


def test_hooks_are_verified_and_each_event_reaches_the_flow_once(
    emulator: Emulator,
    emulated_step: EmulatedStep,
    start_sailor: Start,
    podio: Podio,
) -> None:
    emulator.world.hooks.readings.events_carry_hook_id = True
    env = flow_env(emulator, emulated_step, events=["created", "updated", "deleted"])
    sailor = running(start_sailor, env)
    hooks = podio.active(3)
    kept = emulator.platform.startup_data[emulated_step.flow_id]
    assert {h["hook_id"] for h in kept["hooks"]} == {h["hook_id"] for h in hooks}
    assert kept["webhookUri"] == env["ELASTICIO_FLOW_WEBHOOK_URI"]

    item_id = podio.call("POST", "/item/app/30/", json={"fields": {"title": "a"}})["item_id"]
    (created,) = bodies(emulated_step, 1)
    assert (created["event"], created["item"]["values"]["title"]) == ("created", "a")
    emulator.world.hooks.faults.repeat = 1  # Podio repeats the update: one event still
    podio.call("PUT", f"/item/{item_id}", json={"fields": {"title": "b"}})
    (updated,) = bodies(emulated_step, 1)
    assert updated["changes"] == [{"field": "title", "label": "Title", "from": "a", "to": "b"}]
    quiet(emulated_step, sailor, emulator)
    podio.call("DELETE", f"/item/{item_id}")
    (deleted,) = bodies(emulated_step, 1)
    assert deleted == {"event": "deleted", "item_id": item_id, "external_id": None}

    uri = env["ELASTICIO_FLOW_WEBHOOK_URI"]
    before = emulator.log.count("*", "/item/*")
    event = {"type": "item.update", "item_id": "5001", "item_revision_id": "1448700000"}
    for form in (
        event,
        {**event, SECRET_PARAM: "guessed"},
        {**event, "hook_id": "12345", SECRET_PARAM: hooks[0]["url"].split("=")[-1]},
    ):
        assert requests.post(uri, data=form, timeout=5).json()["message"] == "thank you"
    quiet(emulated_step, sailor, emulator)
    assert emulator.log.count("*", "/item/*") == before  # no Podio call for a forgery
    assert sailor.text().count("dropped a") >= 3
    assert hooks[0]["url"].split("=")[-1] not in sailor.text()  # the secret never logged


@pytest.mark.parametrize(
    ("hook_numbering", "diff_numbering"), [("global", "revision"), ("number", "item_revision_id")]
)
def test_changes_under_both_numberings_and_only_fields(
    emulator: Emulator,
    emulated_step: EmulatedStep,
    start_sailor: Start,
    podio: Podio,
    hook_numbering: str,
    diff_numbering: str,
) -> None:
    emulator.world.hooks.readings.revision_numbering = hook_numbering
    emulator.world.items.revisions.diff_numbering = diff_numbering
    sailor = running(start_sailor, flow_env(emulator, emulated_step, onlyFields=["probability"]))
    podio.active()
    item_id = podio.call("POST", "/item/app/30/", json={"fields": {"title": "a"}})["item_id"]
    (created,) = bodies(emulated_step, 1)
    assert created["item_revision_id"] > 10**9
    podio.call("PUT", f"/item/{item_id}", json={"fields": {"title": "b"}})
    quiet(emulated_step, sailor, emulator)  # not one of onlyFields
    podio.call("PUT", f"/item/{item_id}", json={"fields": {"probability": 40}})
    (updated,) = bodies(emulated_step, 1)
    assert updated["revision"] == 2
    assert updated["changes"] == [
        {"field": "probability", "label": "Probability", "from": None, "to": 40}
    ]


def test_a_swapped_pair_emits_only_the_newer_revision(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, podio: Podio
) -> None:
    sailor = running(start_sailor, flow_env(emulator, emulated_step))
    podio.active()
    item_id = podio.call("POST", "/item/app/30/", json={"fields": {"title": "a"}})["item_id"]
    bodies(emulated_step, 1)
    emulator.world.hooks.faults.swap = 1
    podio.call("PUT", f"/item/{item_id}", json={"fields": {"title": "b"}})
    podio.call("PUT", f"/item/{item_id}", json={"fields": {"title": "c"}})
    (newer,) = bodies(emulated_step, 1)
    assert newer["revision"] == 2 and newer["changes"][0]["to"] == "c"
    quiet(emulated_step, sailor, emulator)


def test_a_startup_run_again_after_a_failure_adds_no_second_hook(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, podio: Podio
) -> None:
    emulator.faults.add("POST", "/hook/app/30/", Fault(), Fault(status=500))
    env = flow_env(emulator, emulated_step)
    failed = start_sailor(env)
    assert failed.exit_code() == 1
    assert podio.hooks() == []  # what it created was deleted
    running(start_sailor, env)
    assert len(podio.active()) == 2


def test_the_shutdown_container_removes_only_the_flows_hooks_with_and_without_data(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, podio: Podio
) -> None:
    other = podio.call(
        "POST", "/hook/app/30/", json={"url": "http://127.0.0.1:9/hook/x", "type": "item.create"}
    )
    env = flow_env(emulator, emulated_step)
    sailor = running(start_sailor, env)
    podio.active()
    sailor.stop()
    done = shutdown_container(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [h["hook_id"] for h in podio.hooks()] == [other["hook_id"]]
    assert emulated_step.flow_id not in emulator.platform.startup_data

    running(start_sailor, env).stop()  # started again, then its record lost
    emulator.platform.startup_data.pop(emulated_step.flow_id)
    done = shutdown_container(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [h["hook_id"] for h in podio.hooks()] == [other["hook_id"]]


def test_a_sailor_killed_during_the_item_read_emits_the_event_once_after_redelivery(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, podio: Podio
) -> None:
    env = flow_env(emulator, emulated_step)
    first = running(start_sailor, env)
    podio.active()
    emulator.faults.add("GET", "/item/*", Fault(delay=30))
    item_id = podio.call("POST", "/item/app/30/", json={"fields": {"title": "once"}})["item_id"]
    emulator.log.wait_arrived("GET", f"/item/{item_id}")
    first.stop(9)  # SIGKILL with the read in flight: the input is not acknowledged
    second = running(start_sailor, {**env, "ELASTICIO_STARTUP_REQUIRED": ""})
    (created,) = bodies(emulated_step, 1)
    assert (created["event"], created["item_id"]) == ("created", item_id)
    quiet(emulated_step, second, emulator)


def test_a_delivery_the_gateway_refused_is_caught_up_by_the_next_container(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, podio: Podio
) -> None:
    env = flow_env(emulator, emulated_step)
    first = running(start_sailor, env)
    hooks = podio.active()
    time.sleep(1.1)  # a second of its own for each change: the feed excludes Podio's now
    emulator.platform.gateway.busy = 1  # past the contract's 60 a minute: Podio drops it
    missed = podio.call("POST", "/item/app/30/", json={"fields": {"title": "refused"}})["item_id"]
    emulator.world.hooks.wait_idle()
    assert emulator.world.hooks.delivered[-1].status == 429
    first.stop()
    inactive = next(h for h in hooks if h["type"] == "item.update")
    emulator.world.hooks.deactivate(inactive["hook_id"])
    time.sleep(1.1)
    restarted = {**env, "ELASTICIO_STARTUP_REQUIRED": ""}
    running(start_sailor, restarted)  # init repairs the hook and makes a catch-up due
    podio.active()
    heard = podio.call("POST", "/item/app/30/", json={"fields": {"title": "heard"}})["item_id"]
    emitted = bodies(emulated_step, 2)
    assert sorted((e["item_id"], e.get("caughtUp", False)) for e in emitted) == [
        (missed, True),
        (heard, False),
    ]
