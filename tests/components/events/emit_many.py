"""A test action: emits body["count"] data messages itself and returns nothing."""

from __future__ import annotations

from typing import Any

from podio_component.contract import events


def process(msg: dict[str, Any], cfg: dict[str, Any], snapshot: Any = None) -> None:
    for n in range(int(msg["body"]["count"])):
        events.emit_data({"body": {"n": n}, "headers": {}, "attachments": {}})
