"""The platform's webhook gateway: `POST /hook/{flow_id}[/more/path]` (and GET) becomes the
platform's webhook message (triggers-and-items §2.1), published to the running flow's first
step, as the platform does for a webhook trigger.

It answers `{"requestId": ..., "message": "thank you"}` itself; a flow that is not running
gets "Task either does not exist or is inactive"; past `per_minute` requests a minute (60,
the platform's contract limit, shared by every flow) it answers 429. It publishes with pika,
which comes with the [runtime] extra.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from typing import Any, NamedTuple
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from podio_component.contract.webhook_message import WebhookRequest, webhook_message
from podio_component.emulator.web import json_response
from podio_component.extras import MissingExtra, require
from podio_component.redaction import logger

log = logger(__name__)

INACTIVE = "Task either does not exist or is inactive"
WINDOW = 60.0  # seconds


class Route(NamedTuple):
    """Where a running flow's webhook messages go: its first step's input queue."""

    amqp_url: str
    queue: str
    encrypt: Any  # (message) -> bytes, the step's cipher at protocol version 1


class Gateway:
    def __init__(self, per_minute: int = 60) -> None:
        self.per_minute = per_minute
        self.busy = 0  # the next N requests are answered 429, whatever the rate
        self._routes: dict[str, Route] = {}
        self._recent: deque[float] = deque()
        self._channels: dict[str, Any] = {}  # amqp url -> a pika channel
        self._lock = threading.Lock()

    def register(self, flow_id: str, route: Route) -> None:
        """The flow runs: its webhook messages go to `route`."""
        with self._lock:
            self._routes[flow_id] = route

    def unregister(self, flow_id: str) -> None:
        with self._lock:
            self._routes.pop(flow_id, None)

    def handle(self, request: Request, flow_id: str, more: str = "") -> Response:
        with self._lock:
            route = self._routes.get(flow_id)
            if route is None:
                return json_response({"error": INACTIVE}, 404)
            now = time.monotonic()
            while self._recent and now - self._recent[0] >= WINDOW:
                self._recent.popleft()
            if self.busy or len(self._recent) >= self.per_minute:
                self.busy = max(0, self.busy - 1)
                return json_response({"error": "Too many requests"}, 429)
            self._recent.append(now)
            message = _message(request, flow_id, more)
            try:
                self._publish(route, message)
            except MissingExtra as exc:
                return json_response({"error": exc.message}, 503)
        return json_response({"requestId": message["id"], "message": "thank you"})

    def _publish(self, route: Route, message: dict[str, Any]) -> None:
        require("runtime", "the emulator's webhook gateway")
        import pika

        channel = self._channels.get(route.amqp_url)
        if channel is None or channel.is_closed:
            connection = pika.BlockingConnection(pika.URLParameters(route.amqp_url))
            channel = self._channels[route.amqp_url] = connection.channel()
        headers = {
            "messageId": message["id"],
            "threadId": str(uuid.uuid4()),
            "taskId": message["taskId"],
            "protocolVersion": 1,
        }
        channel.basic_publish(
            "",
            route.queue,
            route.encrypt(message),
            pika.BasicProperties(headers=headers, delivery_mode=1),
        )

    def close(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                if channel.connection.is_open:
                    channel.connection.close()
            self._channels.clear()


def _message(request: Request, flow_id: str, more: str) -> dict[str, Any]:
    form = request.mimetype == "multipart/form-data"
    incoming = WebhookRequest(
        request.method,
        request.full_path.rstrip("?"),
        dict(request.args.items()),
        dict(request.headers.items()),
        "application/x-www-form-urlencoded" if form else request.mimetype,
        urlencode(list(request.form.items())).encode() if form else request.get_data(),
    )
    return webhook_message(incoming, flow_id, more)
