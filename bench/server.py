"""A minimal keep-alive HTTP server with a fixed Podio-like answer, run in its own process.

Paths:
  /item/{id}                  a fixed ~600-byte item (JSON), with Podio's rate-limit headers
  /big/{bytes}                a JSON body of about that many bytes
  /burst/{status}/{n}/{tag}   the first n requests answer status, then 200
  /ratelimit/{seconds}/{tag}  420 "Please wait N seconds" until that long after the first call
  /slow/{ms}/{anything}       the fixed item, after waiting ms milliseconds (a slow Podio)
  /_count/{path}              how many requests the given path has received
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ITEM = json.dumps(
    {
        "item_id": 1,
        "app_item_id": 1,
        "title": "Benchmark deal",
        "revision": 3,
        "fields": [
            {
                "field_id": 301,
                "external_id": "title",
                "type": "text",
                "label": "Title",
                "values": [{"value": "Benchmark deal"}],
            },
            {
                "field_id": 302,
                "external_id": "amount",
                "type": "money",
                "label": "Amount",
                "values": [{"value": "12000.0000", "currency": "EUR"}],
            },
        ],
        "tags": ["bench"],
        "created_on": "2026-11-23 10:00:00",
        "current_revision": {"revision": 3, "item_revision_id": 1448600003, "type": "update"},
        "initial_revision": {"revision": 0, "item_revision_id": 1448600000, "type": "creation"},
        "revisions": [
            {"revision": n, "item_revision_id": 1448600000 + n, "type": "update"} for n in (3, 2, 1)
        ],
        "link": "https://podio.com/x/1",
    }
).encode()

hits: Counter[str] = Counter()
first_seen: dict[str, float] = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the server is not the bottleneck
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def log_message(self, format: str, *args: object) -> None:
        pass

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Rate-Limit-Limit", "1000")
        self.send_header("X-Rate-Limit-Remaining", "999")
        self.send_header("X-Podio-Request-Id", "bench001")
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = self.path.split("?")[0].strip("/").split("/")
        with lock:
            hits[self.path] += 1
            count = hits[self.path]
            first_seen.setdefault(self.path, time.monotonic())
            started = first_seen[self.path]
        if parts[0] == "_count":
            self.answer(200, json.dumps(hits["/" + "/".join(parts[1:])]).encode())
        elif parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000)
            self.answer(200, ITEM)
        elif parts[0] == "big":
            size = int(parts[1])
            self.answer(200, b'{"data": "' + b"x" * max(0, size - 12) + b'"}')
        elif parts[0] == "burst" and count <= int(parts[2]):
            self.answer(int(parts[1]), b'{"error": "unavailable"}')
        elif parts[0] == "ratelimit" and time.monotonic() - started < float(parts[1]):
            wait = max(1, round(float(parts[1]) - (time.monotonic() - started)))
            body = {
                "error": "rate_limit",
                "error_description": f"Please wait {wait} seconds before trying again.",
            }
            self.answer(420, json.dumps(body).encode())
        else:
            self.answer(200, ITEM)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
