"""The emulated Podio's files (files-and-collaboration §2): seeded, uploaded (kept on disk, so
a file of 100 MB costs no memory), attached, replaced, deleted, listed per app, read as
Podio's file object and as bytes. Changes to an item's files are told to the change seam
(`file.change`)."""

from __future__ import annotations

import base64
import contextlib
import mimetypes
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from podio_component.emulator.podio.changes import Change, Changes
from podio_component.emulator.podio.model import ApiError, get, timestamp

MAX_SIZE = 100 * 1024 * 1024
# Podio's list, kept apart from the component's on purpose: a witness shares no checks.
REFUSED_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-msdos-windows",
        "application/x-download",
        "application/bat",
        "application/x-bat",
        "application/com",
        "application/x-com",
        "application/exe",
        "application/x-exe",
        "application/x-winexe",
        "application/x-winhlp",
        "application/x-winhelp",
        "application/x-javascript",
        "application/hta",
        "application/x-ms-shortcut",
        "application/octet-stream",
        "vms/exe",
    }
)
CHUNK = 64 * 1024


class Files:
    def __init__(
        self, seeded: list[dict[str, Any]], changes: Changes, lock: threading.RLock
    ) -> None:
        self.stored: dict[int, dict[str, Any]] = {f["file_id"]: dict(f) for f in seeded}
        self._changes = changes
        self._lock = lock
        self._folder = Path(tempfile.mkdtemp(prefix="podio-emulator-files-"))
        self._next_id = max(self.stored, default=7000) + 1

    def view(self, file_id: int) -> dict[str, Any]:
        """Podio's file object, or Podio's 404."""
        with self._lock:
            stored = get(self.stored, file_id, "File")
            return {
                "file_id": file_id,
                "name": stored["name"],
                "description": None,
                "mimetype": stored["mimetype"],
                "size": self.size(file_id),
                "link": f"https://files.podio.com/{file_id}",
                "thumbnail_link": None,
                "perma_link": None,
                "hosted_by": stored.get("hosted_by", "podio"),
                "hosted_by_humanized_name": "Podio",
                "created_on": stored.get("created_on", "2020-01-03 09:00:00"),
            }

    def size(self, file_id: int) -> int:
        stored = get(self.stored, file_id, "File")
        path = stored.get("path")
        return Path(path).stat().st_size if path else len(self.content(file_id))

    def content(self, file_id: int) -> bytes:
        """The whole file (seeded and small files; `chunks` streams any)."""
        stored = get(self.stored, file_id, "File")
        if stored.get("path"):
            return Path(stored["path"]).read_bytes()
        return base64.b64decode(stored.get("content_base64", ""))

    def chunks(self, file_id: int) -> Iterator[bytes]:
        with self._lock:
            stored = get(self.stored, file_id, "File")
        path = stored.get("path")
        if not path:
            yield self.content(file_id)
            return
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk

    def find(self, file_id: int) -> dict[str, Any] | None:
        """The file object, or None (for a field value that points at a file)."""
        with self._lock:
            return self.view(file_id) if file_id in self.stored else None

    def on_item(self, item_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self.view(file_id)
                for file_id, stored in self.stored.items()
                if stored.get("item_id") == item_id
            ]

    def on(self, ref_type: str, ref_id: int) -> list[dict[str, Any]]:
        """The files attached to a task, comment, status or space."""
        with self._lock:
            return [
                self.view(file_id)
                for file_id, stored in self.stored.items()
                if stored.get("attached_to") == (ref_type, ref_id)
            ]

    def upload(self, source: IO[bytes], name: str, now: float) -> dict[str, Any]:
        """`POST /file/`: the bytes kept, the file not yet attached; Podio's 400 past 100 MB
        or for a type it refuses (as it tells a type: by the name)."""
        kind = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
        if kind in REFUSED_TYPES:
            raise ApiError(400, "invalid_value", f"The file type {kind} is not allowed")
        with self._lock:
            file_id = self._next_id
            self._next_id += 1
        path = self._folder / str(file_id)
        with open(path, "wb") as target:
            shutil.copyfileobj(source, target, CHUNK)
        if path.stat().st_size > MAX_SIZE:
            path.unlink()
            raise ApiError(400, "invalid_value", "The file is larger than 100 MB")
        with self._lock:
            self.stored[file_id] = {
                "file_id": file_id,
                "name": name,
                "mimetype": kind,
                "path": str(path),
                "created_on": timestamp(now),
            }
            return self.view(file_id)

    def attach(self, file_id: int, app_id: int, item_id: int, hook: bool = True) -> None:
        """Attach a file to an item: Podio's file.change, `file_created` (none when it comes
        with the item's own write, whose hook tells of it)."""
        with self._lock:
            get(self.stored, file_id, "File")["item_id"] = item_id
            if hook:
                self._changed(app_id, item_id, "file_created", file_id)

    def attach_to(self, file_id: int, ref_type: str, ref_id: int) -> None:
        """Attach a file to a task, comment, status or space (no hook is emulated for those)."""
        with self._lock:
            get(self.stored, file_id, "File")["attached_to"] = (ref_type, ref_id)

    def replace(self, old_id: int, new_id: int, app_id: int) -> None:
        """A new file takes an attached one's place: `file_replaced`, naming the new one."""
        with self._lock:
            item_id = get(self.stored, old_id, "File").pop("item_id", None)
            if item_id is None:
                raise ApiError(400, "invalid_value", "The file is not attached to an item")
            get(self.stored, new_id, "File")["item_id"] = item_id
            self._changed(app_id, item_id, "file_replaced", new_id)

    def detach(self, file_id: int) -> None:
        """The file no longer on its item (an update's file_ids left it out); no hook."""
        with self._lock:
            get(self.stored, file_id, "File").pop("item_id", None)

    def delete(self, file_id: int, app_id: int | None) -> None:
        """DELETE /file/{id}: gone, and `file_deleted` on the item it was attached to."""
        with self._lock:
            stored = get(self.stored, file_id, "File")
            item_id = stored.get("item_id")
            del self.stored[file_id]
            if stored.get("path"):
                Path(stored["path"]).unlink(missing_ok=True)
            if item_id is not None and app_id is not None:
                self._changed(app_id, item_id, "file_deleted", file_id)

    def item_of(self, file_id: int) -> int | None:
        with self._lock:
            item_id = get(self.stored, file_id, "File").get("item_id")
            return None if item_id is None else int(item_id)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            shutil.rmtree(self._folder)

    def _changed(self, app_id: int, item_id: int, action: str, file_id: int) -> None:
        details = {"action_type": action, "file_ids": str(file_id)}
        self._changes.notify(Change("file.change", app_id, item_id, details))
