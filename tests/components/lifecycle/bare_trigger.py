"""A trigger with process only: the runtime skips startup, init and shutdown, warning."""

from __future__ import annotations

from typing import Any


def process(msg: dict[str, Any], cfg: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    return {"body": msg.get("body") or {}}
