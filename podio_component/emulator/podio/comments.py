"""The emulated comments, on items, tasks, status messages, apps and spaces: create (with
mentions, files and a link), list in the order they were made, get, delete."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from podio_component.emulator.podio.model import ApiError, get, timestamp
from podio_component.emulator.podio.people import Made
from podio_component.emulator.podio.revisions import WEB_USER, Writer

REF_TYPES = ("item", "task", "status", "app", "space")

SpaceOf = Callable[[str, int], int | None]  # an object's space (None: personal); 404 if unknown
Embed = Callable[[str], dict[str, Any]]  # a link made an embed


class Comments(Made):
    def __init__(
        self, made: Made, space_of: SpaceOf, embed: Embed, on_item: Callable[[int, int], None]
    ) -> None:
        super().__init__(made.directory, made.people, made.files, made.clock, made.lock)
        self.space_of = space_of
        self.embed = embed
        self.on_item = on_item  # told of each comment on an item (its count, its hook)
        # what the create answers, which Podio does not say: "full" (the comment, as podio-rb
        # reads it) or "id" (only comment_id, all podio-php and podio-dotnet read)
        self.answer = "full"
        self._next_id = 60_001

    def create(
        self,
        ref_type: str,
        ref_id: int,
        body: dict[str, Any] | None = None,
        by: Writer = WEB_USER,
        alert_invite: bool = False,
    ) -> dict[str, Any]:
        """POST /comment/{type}/{id}/ (`value`, `external_id`, `file_ids`, `embed_url`)."""
        body = body or {}
        if ref_type not in REF_TYPES:
            raise ApiError(404, "not_found", f"No comments on objects of type {ref_type}")
        value, file_ids = self.text_and_files(body)
        external_id, embed_url = body.get("external_id"), body.get("embed_url")
        if external_id is not None and not isinstance(external_id, str):
            raise ApiError(400, "invalid_value", "external_id must be text")
        with self.lock:
            space_id = self.space_of(ref_type, ref_id)
            if space_id is not None:
                self.people.mentioned(value, space_id, alert_invite)
            files = [self.files.view(f) for f in file_ids]
            embed = self.embed(embed_url) if embed_url is not None else None
            comment_id = self._next_id
            self._next_id += 1
            for file_id in file_ids:
                self.files.attach_to(file_id, "comment", comment_id)
            user = self.directory.users.get(by.id) if by.kind == "user" else None
            author = {**by.created_by(), "name": user["name"] if user else "App"}
            self.stored[comment_id] = {
                "comment_id": comment_id,
                "value": value,
                "rich_value": value,
                "external_id": external_id,
                "ref": {"type": ref_type, "id": ref_id},
                "space_id": space_id,
                "created_by": author,
                "user": author,
                "created_via": by.created_via(),
                "created_on": timestamp(self.clock.now()),
                "last_edit_on": None,
                "files": files,
                "embed": embed,
                "embed_file": None,
                "questions": [],
                "like_count": 0,
                "is_liked": False,
                "rights": ["view", "update", "delete"],
            }
            if ref_type == "item":
                self.on_item(ref_id, comment_id)
            view = self.view(comment_id)
            return view if self.answer == "full" else {"comment_id": comment_id}

    def on(self, ref_type: str, ref_id: int) -> list[dict[str, Any]]:
        """GET /comment/{type}/{id}/: every comment on the object, oldest first."""
        with self.lock:
            self.space_of(ref_type, ref_id)
            return [
                copy.deepcopy(c)
                for c in self.stored.values()
                if c["ref"] == {"type": ref_type, "id": ref_id}
            ]

    def view(self, comment_id: int) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(get(self.stored, comment_id, "Comment"))

    def delete(self, comment_id: int) -> None:
        with self.lock:
            get(self.stored, comment_id, "Comment")
            del self.stored[comment_id]
