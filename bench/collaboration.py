"""Comments, tasks and status: Podio calls per action, counted at an emulator, and CPU per
action against Make Raw Request sending the same requests (the emulator in its own process,
so its CPU is not counted)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from bench.items import _cpu_per_call, _emulator
from podio_component.actions import (
    add_comment,
    complete_task,
    create_task,
    find_tasks,
    make_raw_request,
)
from podio_component.contract import events
from podio_component.emulator import Emulator
from podio_component.settings import reload_environment

TARGET = 1.3
FIND = {"refType": "item", "refId": 5002}
FIND_QUERY = {"reference": "item:5002", "sort_by": "created_on", "limit": "100", "offset": "0"}


def bench_collaboration(quick: bool) -> dict[str, Any]:
    return {"calls": _calls(), "cpu": _cpu(30 if quick else 300)}


def _calls() -> dict[str, int]:
    """Podio calls each action makes, the read-back of a created object aside."""
    with Emulator() as emulator:
        os.environ.update(emulator.environment())
        reload_environment()
        cfg = {"oauth": {"access_token": emulator.issue_token()["access_token"]}}
        for n in range(250):
            emulator.world.tasks.create({"text": f"t{n}"}, ("item", 5002))

        def counted(action: Any, body: dict[str, Any], step: dict[str, str] | None = None) -> int:
            before = len(emulator.log.entries())
            with events.collect():
                action.process({"body": body}, {**cfg, **(step or {})})
            return len(emulator.log.entries()) - before

        comment = {"refId": 5001, "value": "Hello"}
        task = {"text": "Call", "refType": "item", "refId": 5001}
        made = create_task.process({"body": task}, cfg)["body"]["tasks"][0]
        return {
            "add_comment": counted(add_comment, comment),
            "add_comment_external_id": counted(add_comment, {**comment, "external_id": "c"}),
            "create_task": counted(create_task, task),
            "create_task_external_id": counted(create_task, {**task, "external_id": "t"}),
            "complete_task": counted(complete_task, {"task_id": made["task_id"]}),
            "find_tasks_250": counted(find_tasks, FIND, {"maxTasks": "1000"}),
        }


def _cpu(n: int) -> dict[str, dict[str, float]]:
    proc, env = _emulator()
    try:
        os.environ.update({k: v for k, v in env.items() if k != "token"})
        reload_environment()
        cfg = {"oauth": {"access_token": env["token"]}, "retries": "0"}

        def raw(method: str, url: str, data: Any = None, params: Any = None) -> Callable[[], Any]:
            body = {"method": method, "url": url, "data": data, "params": params or {}}
            return lambda: make_raw_request.process({"body": body}, cfg)

        def action(module: Any, body: dict[str, Any], step: Any = None) -> Callable[[], Any]:
            def one() -> None:
                with events.collect():
                    module.process({"body": body}, {**cfg, **(step or {})})

            return one

        for n_task in range(100):
            raw("POST", "/task/item/5002/", {"text": f"t{n_task}"})()
        task_id = raw("POST", "/task/", {"text": "done"})()["body"]["responseBody"]["task_id"]
        comment = {"value": "Hello"}
        task = {"text": "Call"}
        pairs = {
            "add_comment": (
                action(add_comment, {"refId": 5001, **comment}),
                raw(
                    "POST",
                    "/comment/item/5001/",
                    comment,
                    {"hook": "true", "silent": "false", "alert_invite": "false"},
                ),
            ),
            "create_task": (
                action(create_task, {"refType": "item", "refId": 5001, **task}),
                raw("POST", "/task/item/5001/", task, {"hook": "true", "silent": "false"}),
            ),
            "complete_task": (
                action(complete_task, {"task_id": task_id}),
                raw("POST", f"/task/{task_id}/complete", None, {"hook": "true", "silent": "false"}),
            ),
            "find_tasks_page": (
                action(find_tasks, FIND, {"emitBehavior": "emitPage"}),
                raw("GET", "/task/", None, FIND_QUERY),
            ),
        }
        figures = {}
        for name, (ours, theirs) in pairs.items():
            for fn in (ours, theirs):  # warm caches and connections
                _cpu_per_call(fn, 5)
            rounds = [(_cpu_per_call(ours, n), _cpu_per_call(theirs, n)) for _ in range(3)]
            mine, raws = min(r[0] for r in rounds), min(r[1] for r in rounds)
            figures[name] = {"cpu_us": mine * 1e6, "raw_cpu_us": raws * 1e6, "ratio": mine / raws}
        return figures
    finally:
        proc.terminate()
        proc.wait(10)


def report(r: dict[str, Any]) -> list[str]:
    calls = r["calls"]
    return [
        "Comments and tasks (Podio calls, the read-back of a created object aside)",
        f"  Add Comment {calls['add_comment']}, with an external_id "
        f"{calls['add_comment_external_id']}; Create Task {calls['create_task']}, with an "
        f"external_id {calls['create_task_external_id']}; Complete Task "
        f"{calls['complete_task']}; Find Tasks, 250 tasks: {calls['find_tasks_250']}",
        f"  CPU per action vs Make Raw Request sending the same requests (target <= {TARGET}x):",
        *[
            f"    {name:<16}{v['cpu_us']:>8.0f} µs vs {v['raw_cpu_us']:>6.0f} µs: {v['ratio']:.2f}x"
            for name, v in r["cpu"].items()
        ],
    ]
