"""The collaboration actions under `podio-component run`, as real processes against the
emulator: a comment with a local file, a task made once, Find Tasks emitting, Complete Task;
and no token in anything they print, on success or failure."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from podio_component.actions import add_comment, create_status, create_task
from podio_component.emulator import Emulator, Fault
from podio_component.errors import PodioComponentError
from tests.files.test_run_files import run
from tests.helpers import cfg_for


def test_comment_task_find_and_complete_from_a_laptop(emulator: Emulator, tmp_path: Path) -> None:
    local = tmp_path / "notes.txt"
    local.write_text("minutes")
    cfg = json.dumps({"secretId": emulator.create_secret()})
    comment_msg = {"body": {"refId": 5001, "value": "See notes", "attachments": "all"}}
    (comment,) = run(
        emulator,
        "addComment",
        "--cfg",
        cfg,
        "--msg",
        json.dumps(comment_msg),
        "--attach",
        f"notes={local}",
    )
    assert [f["name"] for f in comment["body"]["files"]] == ["notes.txt"]
    task_msg = json.dumps(
        {"body": {"text": "Follow up", "refType": "item", "refId": 5001, "external_id": "f-1"}}
    )
    (made,) = run(emulator, "createTask", "--cfg", cfg, "--msg", task_msg)
    (again,) = run(emulator, "createTask", "--cfg", cfg, "--msg", task_msg)
    assert again["body"]["created"] is False
    assert again["body"]["tasks"][0]["task_id"] == made["body"]["tasks"][0]["task_id"]
    emitted = run(
        emulator,
        "findTasks",
        "--cfg",
        cfg,
        "--msg",
        json.dumps({"body": {"refId": 5001, "refType": "item"}}),
    )
    assert [m["body"]["text"] for m in emitted] == ["Follow up"]
    task_id = made["body"]["tasks"][0]["task_id"]
    (done,) = run(
        emulator, "completeTask", "--cfg", cfg, "--msg", json.dumps({"body": {"task_id": task_id}})
    )
    assert done["body"]["status"] == "completed"


def everything(caplog: pytest.LogCaptureFixture, *said: Any) -> str:
    return json.dumps(said, default=str) + "\n".join(r.getMessage() for r in caplog.records)


def test_no_token_in_outputs_logs_or_errors_of_any_collaboration_path(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="podio_component")
    cfg = cfg_for(emulator, space="20", retriesDelay="0")
    token = cfg["oauth"]["access_token"]
    said: list[Any] = []
    said.append(
        add_comment.process({"body": {"refId": 5001, "value": "ok", "external_id": "e"}}, cfg)
    )
    said.append(
        create_task.process({"body": {"text": "t", "responsible": "grace@example.com"}}, cfg)
    )
    failures = [
        (add_comment, {"refId": 5001, "value": "@[Alan Turing](user:1004)"}),  # refused mention
        (create_task, {"text": "t", "responsible": "nobody@example.com"}),  # unknown address
        (create_status, {"value": "lost"}),  # a lost answer, never repeated
    ]
    emulator.faults.add("POST", "/status/space/20*", Fault(apply=True, drop=True))
    for action, body in failures:
        with pytest.raises(PodioComponentError) as caught:
            action.process({"body": body}, cfg)
        said.append(str(caught.value))
    assert token not in everything(caplog, *said)
