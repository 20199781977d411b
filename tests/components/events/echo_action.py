"""A test action: returns the body it was given, after sleeping body["sleep"] seconds."""

from __future__ import annotations

import time
import uuid
from typing import Any


def process(msg: dict[str, Any], cfg: dict[str, Any], snapshot: Any = None) -> dict[str, Any]:
    time.sleep(float(msg["body"].get("sleep", 0)))
    headers = {"x-eio-routing-key": msg["body"]["route"]} if "route" in msg["body"] else {}
    return {"id": str(uuid.uuid4()), "body": msg["body"], "headers": headers, "attachments": {}}
