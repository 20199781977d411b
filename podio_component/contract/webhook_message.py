"""The platform's message for one webhook request (triggers-and-items §2.1), as its gateway
builds it: a JSON body parsed, form fields as strings, a GET's query as the body; headers
lower-cased; `url`, `method`, `query`, and `additionalUrlPath` for a path past the flow id.
The emulator's gateway and `listen` both build it here."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl


class WebhookRequest(NamedTuple):
    method: str
    url: str  # the path and query, as requested
    query: Mapping[str, str]
    headers: Mapping[str, str]
    media_type: str  # the content type without its parameters
    content: bytes


def webhook_message(request: WebhookRequest, flow_id: str, more_path: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "attachments": {},
        "metadata": {},
        "body": _body(request),
        "headers": {name.lower(): value for name, value in request.headers.items()},
        "url": request.url,
        "originalUrl": request.url,
        "method": request.method,
        "query": dict(request.query),
        "params": {},
        "taskId": flow_id,
    }
    if more_path:
        message["additionalUrlPath"] = f"/{more_path.strip('/')}"
    return message


def _body(request: WebhookRequest) -> Any:
    if request.method == "GET":
        return dict(request.query)
    text = request.content.decode("utf-8", "replace")
    if request.media_type == "application/json":
        try:
            parsed = json.loads(text)
        except ValueError:
            return {"raw": text}
        return parsed if parsed is not None else {}
    if request.media_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    return {"raw": text} if text else {}
