"""Attach File: a file already in Podio attached to an item, task, comment, status or space."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import message_body, new_message
from podio_component.credentials import connect
from podio_component.files import api
from podio_component.files.targets import attach_to, silent
from podio_component.validation import whole_number


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    body = message_body(msg)
    file_id = whole_number("file_id", body.get("file_id"), 1, 2**63 - 1)
    target = attach_to(body, required=True)
    assert target is not None
    api.attach(connect(cfg), file_id, target.type, target.id, silent(body))
    return new_message({"file_id": file_id, "attachedTo": target.view()})
