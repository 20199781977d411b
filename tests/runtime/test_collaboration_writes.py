"""Add Comment and Create Task under `podio-component sailor`: a runtime killed after Podio
made the comment or task but before its answer came leaves the input to be delivered again;
the redelivery finds it by its external ID, so exactly one exists."""

from __future__ import annotations

import signal
import threading
from typing import Any

import pytest

from podio_component.emulator import Emulator, Fault
from podio_component.emulator.platform.flow import EmulatedStep
from tests.runtime.sailors import Start, running, runtime_env, secret_cfg

CASES = [
    ("addComment", "/comment/item/5001/", {"refId": 5001, "value": "Once", "external_id": "c-1"}),
    (
        "createTask",
        "/task/item/5001/",
        {"text": "Once", "refType": "item", "refId": 5001, "external_id": "t-1"},
    ),
]


def made(emulator: Emulator, function: str) -> list[dict[str, Any]]:
    world = emulator.world
    if function == "addComment":
        return world.comments.on("item", 5001)
    return [t for t in world.tasks.stored.values() if t["external_id"] == "t-1"]


@pytest.mark.parametrize(("function", "path", "body"), CASES, ids=["comment", "task"])
def test_a_write_applied_before_a_sigkill_is_made_exactly_once(
    emulator: Emulator,
    emulated_step: EmulatedStep,
    start_sailor: Start,
    function: str,
    path: str,
    body: dict[str, Any],
) -> None:
    token = emulator.issue_token()["access_token"]
    cfg = {"oauth": {"access_token": token}, "retries": "0"}
    env = runtime_env(emulator, emulated_step, cfg, ELASTICIO_FUNCTION=function)
    first = running(start_sailor, env)
    release = threading.Event()
    emulator.faults.add("POST", path, Fault(apply=True, hold=release, drop=True))
    try:
        emulated_step.publish(body)
        emulator.log.wait_arrived("POST", path)  # made, the answer held back
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    finally:
        release.set()
    running(start_sailor, env)  # the unacknowledged input is delivered to it again
    (output,) = emulated_step.take("data", timeout=30)
    assert emulated_step.decrypt(output)["body"]["created"] is False
    assert len(made(emulator, function)) == 1
    assert emulator.log.count("POST", path) == 1  # never sent twice


def test_each_collaboration_action_answers_through_the_runtime(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    """One step at a time, as the platform runs them: a task and a comment on it, the task
    found, completed and reopened, a status with a mention only an invitation allows."""

    def through(function: str, body: dict[str, Any], **cfg: str) -> list[dict[str, Any]]:
        step = EmulatedStep(emulated_step.amqp_url).declare()
        try:
            env = runtime_env(
                emulator, step, {**secret_cfg(emulator), **cfg}, ELASTICIO_FUNCTION=function
            )
            running(start_sailor, env)
            step.publish(body)
            return [step.decrypt(m)["body"] for m in step.take("data")]
        finally:
            step.delete()

    (made,) = through("createTask", {"text": "Call", "responsible": "grace@example.com"})
    task_id = made["tasks"][0]["task_id"]
    (comment,) = through("addComment", {"refType": "task", "refId": task_id, "value": "Done?"})
    assert comment["ref"] == {"type": "task", "id": task_id}
    (found,) = through("findTasks", {"responsible": 1002})
    assert found["task_id"] == task_id
    (done,) = through("completeTask", {"task_id": task_id})
    (reopened,) = through("reopenTask", {"task_id": task_id})
    assert (done["status"], reopened["status"]) == ("completed", "active")
    (status,) = through(
        "createStatus", {"value": "@[Alan Turing](user:1004) joins"}, space="20", alertInvite="on"
    )
    assert emulator.world.statuses.view(status["status_id"])["value"].endswith("joins")
