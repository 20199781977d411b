"""Complete Task: a task marked done, by `task_id`; one already done is done too. The output
carries `recurring_task_id` when a recurrence made the next task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.collaboration import tasks
from podio_component.collaboration.inputs import MAX_ID, body_of
from podio_component.contract.messages import new_message
from podio_component.credentials import connect
from podio_component.forms.configs import WriteConfig
from podio_component.validation import parse, whole_number


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    return set_completed(msg, cfg, True)


def set_completed(
    msg: Mapping[str, Any], cfg: Mapping[str, Any], completed: bool
) -> dict[str, Any]:
    """Complete Task and Reopen Task: one call."""
    body = body_of(msg, ("task_id",))
    task_id = whole_number("task_id", body.get("task_id"), 1, MAX_ID)
    params = parse(WriteConfig, cfg).options.params()
    return new_message(tasks.set_completed(connect(cfg), task_id, completed, params))
