"""The emulated status messages of a space: create (with mentions, files, a link and a
question), get, delete."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from podio_component.emulator.podio.model import ApiError, get, timestamp
from podio_component.emulator.podio.people import Made
from podio_component.emulator.podio.revisions import WEB_USER, Writer


class Statuses(Made):
    def __init__(self, made: Made, embed: Callable[[str], dict[str, Any]]) -> None:
        super().__init__(made.directory, made.people, made.files, made.clock, made.lock)
        self.embed = embed
        self._next_id = 70_001

    def create(
        self,
        space_id: int,
        body: dict[str, Any],
        by: Writer = WEB_USER,
        alert_invite: bool = False,
    ) -> dict[str, Any]:
        """POST /status/space/{space_id}/ (`value`, `file_ids`, `embed_url`, `question`)."""
        value, file_ids = self.text_and_files(body)
        question = _question(body.get("question"))
        with self.lock:
            space = get(self.directory.spaces, space_id, "Space")
            self.people.mentioned(value, space_id, alert_invite)
            files = [self.files.view(f) for f in file_ids]
            embed_url = body.get("embed_url")
            status_id = self._next_id
            self._next_id += 1
            for file_id in file_ids:
                self.files.attach_to(file_id, "status", status_id)
            self.stored[status_id] = {
                "status_id": status_id,
                "value": value,
                "rich_value": value,
                "space_id": space_id,
                "link": f"https://podio.com/{space['url_label']}/status/{status_id}",
                "created_by": by.created_by(),
                "created_via": by.created_via(),
                "created_on": timestamp(self.clock.now()),
                "files": files,
                "embed": self.embed(embed_url) if embed_url is not None else None,
                "question": question,
                "comments": [],
                "like_count": 0,
                "is_liked": False,
                "rights": ["view", "update", "delete", "comment"],
            }
            return self.view(status_id)

    def view(self, status_id: int) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(get(self.stored, status_id, "Status"))

    def delete(self, status_id: int) -> None:
        with self.lock:
            get(self.stored, status_id, "Status")
            del self.stored[status_id]


def _question(given: object) -> dict[str, Any] | None:
    if given is None:
        return None
    text = given.get("text") if isinstance(given, dict) else None
    options = given.get("options") if isinstance(given, dict) else None
    if not isinstance(text, str) or not isinstance(options, list) or len(options) < 2:
        raise ApiError(400, "invalid_value", "question needs a text and at least two options")
    return {
        "text": text,
        "options": [{"question_option_id": n, "text": str(o)} for n, o in enumerate(options, 1)],
    }
