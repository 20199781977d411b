"""A test action: emits snapshot events and, when the body asks, updateKeys."""

from __future__ import annotations

from typing import Any

from podio_component.contract import events


def process(msg: dict[str, Any], cfg: dict[str, Any], snapshot: Any = None) -> dict[str, Any]:
    events.emit_snapshot({"seen": msg["body"].get("n")})
    events.update_snapshot({"cursor": "abc"})
    if msg["body"].get("keys"):
        events.update_keys({"oauth": msg["body"]["keys"]})
    return {
        "id": msg.get("id"),
        "body": {"snapshot_given": snapshot},
        "headers": {},
        "attachments": {},
    }
