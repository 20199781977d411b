"""`podio-component listen TRIGGER`: a webhook trigger on a laptop, this process playing the
platform: its webhook gateway on 127.0.0.1, and the flow's lifecycle around it.

    startup (the hooks registered, pointing at the gateway or at --public-url) -> init ->
    process each delivery, one at a time, each emitted message a JSON line on stdout ->
    Ctrl-C or SIGTERM: shutdown (the hooks removed), exit 0

The flow id and the key its hook secret is derived from are made once and kept with the
trigger's snapshot and startup record: in --snapshot FILE, or in memory. A later `listen`
with the same FILE is the same flow, so it adopts the hooks a killed one left, or, when they
point at another address (another port), removes them first.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import queue
import secrets
import signal
import sys
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from podio_component.context import EventSink, bound, current
from podio_component.contract import descriptor
from podio_component.contract.webhook_message import WebhookRequest, webhook_message
from podio_component.errors import PodioComponentError, UsageError
from podio_component.printed_events import PrintedEvents
from podio_component.redaction import logger, register_secret
from podio_component.settings import checked_base_url, reload_environment
from podio_component.snapshot_file import SnapshotFile

log = logger(__name__)

HOST = "127.0.0.1"
INACTIVE = "Task either does not exist or is inactive"


class ListenState:
    """The flow as `listen` keeps it: its id, its hook key, the startup record and the
    trigger's snapshot; in FILE (written at once on every change), or in memory."""

    def __init__(self, file: SnapshotFile | None) -> None:
        self._file = file
        kept = file.read() if file is not None else None
        if kept is not None and not (isinstance(kept, dict) and isinstance(kept.get("flow"), dict)):
            raise UsageError(
                f"--snapshot {file.path if file else ''} holds no `listen` state (a `run` "
                "snapshot?); give another file"
            )
        flow = dict(kept["flow"]) if kept else {}
        self.flow_id = str(flow.get("flowId") or f"listen-{secrets.token_hex(6)}")
        self.hook_key = str(flow.get("hookKey") or secrets.token_urlsafe(32))
        register_secret(self.hook_key)
        self.record: Any = flow.get("record")
        self.snapshot: Any = kept.get("snapshot") if kept else None
        self.save()

    def keep_snapshot(self, snapshot: dict[str, Any] | None) -> None:
        self.snapshot = snapshot
        self.save()

    def keep_record(self, record: Any) -> None:
        self.record = record
        self.save()

    def save(self) -> None:
        if self._file is not None:
            flow = {"flowId": self.flow_id, "hookKey": self.hook_key, "record": self.record}
            self._file.write({"flow": flow, "snapshot": self.snapshot})


class Gateway(ThreadingHTTPServer):
    """The platform's webhook gateway for one flow: each request to /hook/{flow_id}[/more]
    becomes the platform's message, queued for the trigger."""

    daemon_threads = True

    def __init__(self, port: int, flow_id: str) -> None:
        self.flow_id = flow_id
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        super().__init__((HOST, port), _Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Gateway

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        prefix = f"/hook/{self.server.flow_id}"
        if parts.path != prefix and not parts.path.startswith(prefix + "/"):
            self._answer(404, {"error": INACTIVE})
            return
        length = int(self.headers.get("Content-Length") or 0)
        request = WebhookRequest(
            self.command,
            self.path,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            dict(self.headers.items()),
            self.headers.get_content_type(),
            self.rfile.read(length) if length else b"",
        )
        message = webhook_message(request, self.server.flow_id, parts.path[len(prefix) :])
        self.server.messages.put(message)
        self._answer(200, {"requestId": message["id"], "message": "thank you"})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        content = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("gateway: " + format, *args)


class LocalFlow:
    """A webhook trigger's flow run in this process: its gateway serving, its environment
    set (flow id, webhook address, hook key), its state kept."""

    def __init__(
        self, trigger: str, port: int, snapshot: Path | None, public_url: str | None
    ) -> None:
        function = descriptor.action(trigger)
        if function.get("type") == "polling":
            raise UsageError(f"listen runs webhook triggers; {trigger} polls: use `run {trigger}`")
        self.module = importlib.import_module(function["main"])
        base = checked_base_url("--public-url", public_url) if public_url else None
        self.state = ListenState(SnapshotFile(snapshot) if snapshot else None)
        self.gateway = Gateway(port, self.state.flow_id)
        self.local = f"{self.gateway.url}/hook/{self.state.flow_id}"
        self.uri = f"{base}/hook/{self.state.flow_id}" if base else self.local
        os.environ.update(
            ELASTICIO_FLOW_ID=self.state.flow_id,
            ELASTICIO_FLOW_WEBHOOK_URI=self.uri,
            PODIO_HOOK_KEY=self.state.hook_key,
        )
        reload_environment()
        threading.Thread(target=self.gateway.serve_forever, args=(0.1,), daemon=True).start()

    def host(self, events: EventSink) -> Any:
        """The context the trigger runs in: `events`, and the flow's record as kept here."""
        return bound(replace(current(), events=events, flow_record=lambda: self.state.record))

    def start(self, cfg: Any) -> None:
        """startup, once the hooks a killed `listen` left at another address are removed;
        init."""
        left = self.state.record
        if isinstance(left, dict) and left.get("webhookUri") not in (None, self.uri):
            with contextlib.suppress(PodioComponentError):
                _call(self.module, "shutdown", cfg, left)
            self.state.keep_record(None)
        self.state.keep_record(_call(self.module, "startup", cfg) or {})
        _call(self.module, "init", cfg)

    def process_next(self, cfg: Any, timeout: float) -> bool:
        """The next delivery, if one comes within `timeout` seconds; an error is printed, as
        the platform would report it, and the flow goes on."""
        try:
            message = self.gateway.messages.get(timeout=timeout)
        except queue.Empty:
            return False
        try:
            self.module.process(message, cfg, self.state.snapshot)
        except PodioComponentError as exc:
            print(f"error: {exc.message}", file=sys.stderr, flush=True)
        return True

    def stop(self, cfg: Any) -> None:
        """The gateway closed, the trigger's shutdown run, the record forgotten."""
        self.gateway.shutdown()
        _call(self.module, "shutdown", cfg, self.state.record)
        self.state.keep_record(None)


def listen(trigger: str, cfg: Any, port: int, snapshot: Path | None, public_url: str | None) -> int:
    flow = LocalFlow(trigger, port, snapshot, public_url)
    where = "" if flow.uri == flow.local else f"; Podio calls {flow.uri}"
    print(f"listening on {flow.local}{where}", file=sys.stderr, flush=True)
    stop = threading.Event()
    for name in ("SIGINT", "SIGTERM"):  # set even where a shell made the process ignore them
        signal.signal(getattr(signal, name), lambda *_: stop.set())
    with flow.host(PrintedEvents(flow.state.keep_snapshot)):
        try:
            flow.start(cfg)
            while not stop.is_set():
                flow.process_next(cfg, 0.2)
        except BaseException:
            flow.gateway.shutdown()  # a start that failed leaves its record for the next
            raise
        flow.stop(cfg)
    print("stopped; the flow's hooks are removed", file=sys.stderr, flush=True)
    return 0


def _call(module: ModuleType, name: str, cfg: Any, *data: Any) -> Any:
    function = getattr(module, name, None)
    if function is None:
        log.warning("%s is not found in %s; skipped", name, module.__name__)
        return None
    return function(cfg, *data)
