"""The emulated Podio's files: seeded, changed through the world (which tells the change
seam), read as Podio's file object and as bytes."""

from __future__ import annotations

import base64
import threading
from typing import Any

from podio_component.emulator.podio.changes import Change, Changes
from podio_component.emulator.podio.model import ApiError, get


class Files:
    def __init__(
        self, seeded: list[dict[str, Any]], changes: Changes, lock: threading.RLock
    ) -> None:
        self.stored: dict[int, dict[str, Any]] = {f["file_id"]: dict(f) for f in seeded}
        self._changes = changes
        self._lock = lock

    def view(self, file_id: int) -> dict[str, Any]:
        """Podio's file object, or Podio's 404."""
        with self._lock:
            stored = get(self.stored, file_id, "File")
            return {
                "file_id": file_id,
                "name": stored["name"],
                "mimetype": stored["mimetype"],
                "size": len(self.content(file_id)),
                "link": f"https://files.podio.com/{file_id}",
                "hosted_by": "podio",
                "created_on": "2020-01-03 09:00:00",
            }

    def content(self, file_id: int) -> bytes:
        return base64.b64decode(get(self.stored, file_id, "File")["content_base64"])

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

    def attach(self, file_id: int, app_id: int, item_id: int) -> None:
        """Attach a file to an item: Podio's file.change, `file_created`."""
        with self._lock:
            get(self.stored, file_id, "File")["item_id"] = item_id
            self._changed(app_id, item_id, "file_created", file_id)

    def replace(self, old_id: int, new_id: int, app_id: int) -> None:
        """A new file takes an attached one's place: `file_replaced`, naming the new one."""
        with self._lock:
            item_id = get(self.stored, old_id, "File").pop("item_id", None)
            if item_id is None:
                raise ApiError(400, "invalid_value", "The file is not attached to an item")
            get(self.stored, new_id, "File")["item_id"] = item_id
            self._changed(app_id, item_id, "file_replaced", new_id)

    def delete(self, file_id: int, app_id: int | None) -> None:
        """DELETE /file/{id}: gone, and `file_deleted` on the item it was attached to."""
        with self._lock:
            item_id = get(self.stored, file_id, "File").get("item_id")
            del self.stored[file_id]
            if item_id is not None and app_id is not None:
                self._changed(app_id, item_id, "file_deleted", file_id)

    def item_of(self, file_id: int) -> int | None:
        with self._lock:
            item_id = get(self.stored, file_id, "File").get("item_id")
            return None if item_id is None else int(item_id)

    def _changed(self, app_id: int, item_id: int, action: str, file_id: int) -> None:
        details = {"action_type": action, "file_ids": str(file_id)}
        self._changes.notify(Change("file.change", app_id, item_id, details))
