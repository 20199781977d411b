"""A flow's lifecycle under `podio-component sailor` on a real RabbitMQ, as the Node.js
runtime 2.7.8 runs it: startup and its hooks data (a 409 rewritten), init in every
container, a failing start reported and exited, the shutdown container with and without
data, the platform's webhook gateway, the snapshot a restarted container reads, and a
trigger's messages one at a time. The tests play the platform; the trigger records its
calls (tests/components/lifecycle)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from podio_component.emulator import Emulator
from podio_component.emulator.platform.flow import EmulatedStep
from podio_component.runtime import sailor_settings
from tests.runtime.sailors import Start, running, runtime_env

COMPONENT = "tests/components/lifecycle"
HOOKS = "/sailor-support/hooks/task/*/startup/data"


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "calls.jsonl"


def calls(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]


def names(record: Path) -> list[str]:
    return [c["call"] for c in calls(record)]


def trigger_env(
    emulator: Emulator,
    step: EmulatedStep,
    record: Path,
    cfg: dict[str, Any] | None = None,
    **more: str,
) -> dict[str, str]:
    settings = {
        "ELASTICIO_COMPONENT_PATH": COMPONENT,
        "ELASTICIO_FUNCTION": "recorder",
        "LIFECYCLE_RECORD": str(record),
        **more,
    }
    return {**runtime_env(emulator, step, cfg or {"app": "30"}), **settings}


def hooks_requests(emulator: Emulator) -> list[tuple[str, Any]]:
    return [
        (e.method, json.loads(e.body) if e.body else None)
        for e in emulator.log.entries()
        if e.side == "platform" and "/sailor-support/hooks/" in e.path
    ]


def test_startup_keeps_its_result_as_hooks_data_then_init_then_consuming(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, record: Path
) -> None:
    env = trigger_env(emulator, emulated_step, record, ELASTICIO_STARTUP_REQUIRED="1")
    sailor = running(start_sailor, env)
    assert names(record) == ["startup", "init"]
    assert emulator.platform.startup_data[emulated_step.flow_id] == {"subscription": "s-1"}
    assert hooks_requests(emulator) == [("POST", {"subscription": "s-1"})]
    assert calls(record)[0]["cfg"] == {"app": "30"}  # the step's cfg, a copy
    assert sailor.stop() == 0


def test_an_empty_startup_result_is_kept_as_an_empty_object(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, record: Path
) -> None:
    cfg = {"app": "30", "startupResult": None}
    running(
        start_sailor,
        trigger_env(emulator, emulated_step, record, cfg, ELASTICIO_STARTUP_REQUIRED="1"),
    )
    assert hooks_requests(emulator) == [("POST", {})]


def test_hooks_data_kept_already_is_deleted_and_posted_again_with_a_warning(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, record: Path
) -> None:
    emulator.platform.startup_data[emulated_step.flow_id] = {"from": "a lost start"}
    env = trigger_env(emulator, emulated_step, record, ELASTICIO_STARTUP_REQUIRED="1")
    sailor = running(start_sailor, env)
    assert [method for method, _ in hooks_requests(emulator)] == ["POST", "DELETE", "POST"]
    assert emulator.platform.startup_data[emulated_step.flow_id] == {"subscription": "s-1"}
    assert any(
        "Startup data already exists. Rewriting." in str(line.get("msg")) and line["level"] == 40
        for line in sailor.lines()
    )


@pytest.mark.parametrize("failing", ["startup", "init"])
def test_a_failing_start_is_reported_as_node_reports_it_and_exits_1(
    emulator: Emulator,
    emulated_step: EmulatedStep,
    start_sailor: Start,
    record: Path,
    failing: str,
) -> None:
    cfg = {"app": "30", "fail": failing}
    env = trigger_env(emulator, emulated_step, record, cfg, ELASTICIO_STARTUP_REQUIRED="1")
    emulated_step.publish({"waiting": True})
    sailor = start_sailor(env)
    assert sailor.exit_code() == 1
    (error,) = emulated_step.take("error")
    payload = json.loads(error.body)
    assert set(payload) == {"error"}  # no input: nothing was consumed
    reported = emulated_step.cipher.decrypt(payload["error"].encode(), 1)
    assert reported["message"] == f"{failing} failed on purpose"
    assert {"execId", "taskId", "stepId", "compId", "function", "containerId"} <= set(error.headers)
    assert emulated_step.depth("input") == 1  # left for the restarted container
    assert "cannot start" in sailor.text()


def test_init_runs_in_every_container_startup_only_where_asked(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, record: Path
) -> None:
    first = running(
        start_sailor, trigger_env(emulator, emulated_step, record, ELASTICIO_STARTUP_REQUIRED="1")
    )
    second = running(start_sailor, trigger_env(emulator, emulated_step, record))
    assert names(record) == ["startup", "init", "init"]
    assert (first.stop(), second.stop()) == (0, 0)


def test_a_module_without_the_hooks_is_skipped_with_warnings(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, record: Path
) -> None:
    env = trigger_env(
        emulator, emulated_step, record, ELASTICIO_FUNCTION="bare", ELASTICIO_STARTUP_REQUIRED="1"
    )
    sailor = running(start_sailor, env)
    warned = [str(line["msg"]) for line in sailor.lines() if line.get("level") == 40]
    assert any("startup is not found" in w for w in warned)
    assert any("init is not found" in w for w in warned)
    assert emulator.platform.startup_data[emulated_step.flow_id] == {}


def shutdown_container(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A shutdown container: none of the RabbitMQ or message-crypto variables."""
    kept = {
        k: v
        for k, v in env.items()
        if k.removeprefix("ELASTICIO_") not in sailor_settings.MESSAGING
    }
    return subprocess.run(
        [sys.executable, "-m", "podio_component", "sailor"],
        env={**kept, "ELASTICIO_HOOK_SHUTDOWN": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_shutdown_container_gives_the_data_to_shutdown_then_deletes_it(
    emulator: Emulator, emulated_step: EmulatedStep, record: Path
) -> None:
    env = trigger_env(emulator, emulated_step, record)
    emulator.platform.startup_data[emulated_step.flow_id] = {"subscription": "s-9"}
    done = shutdown_container(env)
    assert done.returncode == 0, done.stdout
    assert [(c["call"], c["data"]) for c in calls(record)] == [
        ("shutdown", {"subscription": "s-9"})
    ]
    assert [method for method, _ in hooks_requests(emulator)] == ["GET", "DELETE"]
    assert emulated_step.flow_id not in emulator.platform.startup_data


def test_without_data_shutdown_still_runs_and_nothing_is_deleted(
    emulator: Emulator, emulated_step: EmulatedStep, record: Path
) -> None:
    done = shutdown_container(trigger_env(emulator, emulated_step, record))
    assert done.returncode == 0, done.stdout
    assert [(c["call"], c["data"]) for c in calls(record)] == [("shutdown", None)]
    assert [method for method, _ in hooks_requests(emulator)] == ["GET"]
    assert "no startup data is kept" in done.stdout


def test_a_failing_shutdown_exits_1_and_keeps_the_data(
    emulator: Emulator, emulated_step: EmulatedStep, record: Path
) -> None:
    env = trigger_env(emulator, emulated_step, record, {"fail": "shutdown"})
    emulator.platform.startup_data[emulated_step.flow_id] = {"subscription": "s-9"}
    done = shutdown_container(env)
    assert done.returncode == 1
    assert emulator.platform.startup_data[emulated_step.flow_id] == {"subscription": "s-9"}


def test_a_gateway_request_reaches_process_as_the_platforms_webhook_message(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, record: Path
) -> None:
    env = trigger_env(emulator, emulated_step, record)
    running(start_sailor, env)
    answer = requests.post(
        env["ELASTICIO_FLOW_WEBHOOK_URI"] + "/more/path?x=1",
        data={"type": "item.create", "item_id": "42"},
        timeout=10,
    )
    assert answer.json()["message"] == "thank you" and answer.json()["requestId"]
    (output,) = emulated_step.take("data")
    message = emulated_step.decrypt(output)["body"]
    assert message["body"] == {"type": "item.create", "item_id": "42"}  # form fields as text
    assert message["method"] == "POST" and message["query"] == {"x": "1"}
    assert message["additionalUrlPath"] == "/more/path"
    assert message["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_the_gateway_answers_a_flow_that_is_not_running_and_limits_the_rate(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, record: Path
) -> None:
    inactive = requests.post(f"{emulator.platform_url}/hook/no-such-flow", json={}, timeout=10)
    assert inactive.status_code == 404
    assert inactive.json()["error"] == "Task either does not exist or is inactive"
    env = trigger_env(emulator, emulated_step, record)
    emulator.platform.gateway.per_minute = 3
    statuses = [
        requests.post(env["ELASTICIO_FLOW_WEBHOOK_URI"], json={"n": n}, timeout=10).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_a_restarted_container_reads_the_snapshot_its_predecessor_published(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, record: Path
) -> None:
    env = trigger_env(emulator, emulated_step, record)
    first = running(start_sailor, env)
    for n in range(2):
        emulated_step.publish({"n": n})
    emulated_step.take("data", 2)
    until = time.monotonic() + 10
    while emulator.platform.steps[(emulated_step.flow_id, "step_1")]["snapshot"] != {"seen": 2}:
        assert time.monotonic() < until, "the platform did not keep the snapshot"
        time.sleep(0.05)
    assert first.stop() == 0
    running(start_sailor, trigger_env(emulator, emulated_step, record))
    emulated_step.publish({"n": 2})
    emulated_step.take("data")
    last = [c for c in calls(record) if c["call"] == "process"][-1]
    assert last["data"]["snapshot"] == {"seen": 2}


def test_a_triggers_deliveries_run_one_after_the_other_at_prefetch_10(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start, record: Path
) -> None:
    env = trigger_env(
        emulator, emulated_step, record, {"sleep": 0.5}, ELASTICIO_RABBITMQ_PREFETCH_SAILOR="10"
    )
    running(start_sailor, env)
    for n in range(2):
        emulated_step.publish({"n": n})
    emulated_step.take("data", 2)
    moments = [(c["call"], c["at"]) for c in calls(record) if c["call"].startswith("process")]
    assert [call for call, _ in moments] == ["process", "process-end", "process", "process-end"]
    assert moments[2][1] >= moments[1][1]  # the second began after the first ended
    assert os.path.exists(record)
