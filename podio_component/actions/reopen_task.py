"""Reopen Task: a completed task made active again, by `task_id`; one still open is done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.actions.complete_task import set_completed


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    return set_completed(msg, cfg, False)
