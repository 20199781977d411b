"""The platform's storage for attachments (files-and-collaboration §1): Maester's objects
(`POST /objects`, `GET /objects/{id}`, with the bearer token) and the legacy steward files (a
plain URL, read with no credential). Bytes are kept on disk, so a 100 MB file costs no
memory. `requests` records every request's Authorization header, for tests that check where
a token went."""

from __future__ import annotations

import contextlib
import hashlib
import io
import secrets
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from podio_component.emulator.web import json_response

CHUNK = 64 * 1024


class Storage:
    def __init__(self) -> None:
        self.token = secrets.token_urlsafe(24)
        self.objects: dict[str, dict[str, Any]] = {}
        self.seen: list[tuple[str, str, str | None]] = []  # (method, path, Authorization)
        self._folder = Path(tempfile.mkdtemp(prefix="podio-emulator-storage-"))
        self._lock = threading.Lock()

    def handles(self, request: Request) -> bool:
        return request.path.startswith(("/objects", "/steward/files/"))

    def handle(self, request: Request, base_url: str) -> Response:
        with self._lock:
            self.seen.append((request.method, request.path, request.headers.get("Authorization")))
        if request.path.startswith("/steward/files/"):
            return self._read(request.path.rpartition("/")[2])
        expected = f"Bearer {self.token}"
        if not secrets.compare_digest(request.headers.get("Authorization", ""), expected):
            return json_response({"error": "Unauthorized"}, 401)
        if request.method == "POST" and request.path.rstrip("/") == "/objects":
            return json_response(self._write(request))
        if request.method == "GET" and request.path.startswith("/objects/"):
            return self._read(request.path.removeprefix("/objects/").strip("/"))
        return json_response({"error": "Not found"}, 404)

    def put_steward(self, content: bytes, content_type: str, base_url: str) -> str:
        """A legacy attachment (for tests): its plain URL."""
        object_id = str(uuid.uuid4())
        path = self._folder / object_id
        path.write_bytes(content)
        with self._lock:
            self.objects[object_id] = {"path": path, "contentType": content_type}
        return f"{base_url}/steward/files/{object_id}"

    def content(self, object_id: str) -> bytes:
        return Path(self.objects[object_id]["path"]).read_bytes()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            shutil.rmtree(self._folder)

    def _write(self, request: Request) -> dict[str, Any]:
        object_id = str(uuid.uuid4())
        path = self._folder / object_id
        digest = hashlib.md5(usedforsecurity=False)
        body = io.BytesIO(request.get_data())  # the fault layer read it already
        with open(path, "wb") as target:
            while chunk := body.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
        content_type = request.headers.get("Content-Type", "application/json")
        with self._lock:
            self.objects[object_id] = {"path": path, "contentType": content_type}
        return {
            "objectId": object_id,
            "contentType": content_type,
            "contentLength": path.stat().st_size,
            "md5": digest.hexdigest(),
            "metadata": {},
        }

    def _read(self, object_id: str) -> Response:
        with self._lock:
            found = self.objects.get(object_id)
        if found is None:
            return json_response({"error": "Object not found"}, 404)
        path = Path(found["path"])
        return Response(
            _chunks(path),
            content_type=found["contentType"],
            headers={"Content-Length": str(path.stat().st_size)},
            direct_passthrough=True,
        )


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk
