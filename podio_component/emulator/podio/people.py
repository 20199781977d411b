"""Who is who beyond sign-in: each space's members, the people a mention invites, contacts
found by mail, and each user's clock."""

from __future__ import annotations

import re
import threading
from typing import Any
from zoneinfo import ZoneInfo

from podio_component.emulator.podio.files import Files
from podio_component.emulator.podio.model import ApiError, Clock, Directory, get
from podio_component.emulator.podio.revisions import Writer

MENTION = re.compile(r"@\[[^\]]*\]\(user:(\d+)\)")


class People:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.invited: set[tuple[int, int]] = set()  # (space_id, user_id) invited by a mention

    def zone(self, by: Writer) -> ZoneInfo:
        """The writer's clock; an app's is its first seeded user's, as for items."""
        user = self.directory.users.get(by.id) if by.kind == "user" else None
        user = user or next(iter(self.directory.users.values()))
        return ZoneInfo(user.get("timezone") or "UTC")

    def is_member(self, space_id: int, user_id: int) -> bool:
        """A seeded space lists its `members`; one that lists none has every user."""
        members = get(self.directory.spaces, space_id, "Space").get("members")
        in_space = members is None or user_id in members
        return in_space or (space_id, user_id) in self.invited

    def mentioned(self, value: str, space_id: int, alert_invite: bool) -> None:
        """Podio's answer to mentions of people outside the space: alert.no_access.invite
        (with the space and the names) until `alert_invite` invites them, or alert.no_access
        for someone who cannot be invited (a seeded user with `"invitable": false`)."""
        outside = [
            get(self.directory.users, int(user_id), "User")
            for user_id in dict.fromkeys(MENTION.findall(value))
            if not self.is_member(space_id, int(user_id))
        ]
        if not outside:
            return
        names = [str(user["name"]) for user in outside]
        if any(user.get("invitable") is False for user in outside):
            raise ApiError(
                403,
                "forbidden",
                "The mentioned users do not have access to the object",
                detail="alert.no_access",
                parameters={"names": names},
            )
        if not alert_invite:
            space = self.directory.spaces[space_id]
            raise ApiError(
                403,
                "forbidden",
                "The mentioned users do not have access to the object, but can be invited",
                detail="alert.no_access.invite",
                parameters={"names": names, "space_id": space_id, "space_name": space["name"]},
            )
        self.invited.update((space_id, int(user["user_id"])) for user in outside)

    def contacts(self, mails: list[str]) -> list[dict[str, Any]]:
        """GET /contact/?mail=…: the users with these addresses, as contacts."""
        wanted = {mail.lower() for mail in mails}
        return [
            self.contact(int(user["user_id"]))
            for user in self.directory.users.values()
            if not wanted or str(user["mail"]).lower() in wanted
        ]

    def contact(self, user_id: int) -> dict[str, Any]:
        user = get(self.directory.users, user_id, "User")
        return {
            "profile_id": user["profile_id"],
            "user_id": user["user_id"],
            "name": user["name"],
            "mail": [user["mail"]],
            "type": "user",
        }


class Made:
    """What the stores of things people make (comments, tasks, status messages) share: the
    seed's directory, its people, the files, the clock and the world's one lock."""

    def __init__(
        self,
        directory: Directory,
        people: People,
        files: Files,
        clock: Clock,
        lock: threading.RLock,
    ) -> None:
        self.directory = directory
        self.people = people
        self.files = files
        self.clock = clock
        self.lock = lock
        self.stored: dict[int, dict[str, Any]] = {}

    @staticmethod
    def text_and_files(body: dict[str, Any]) -> tuple[str, list[int]]:
        """A comment's or status message's `value` and `file_ids`, or Podio's 400."""
        value, file_ids = body.get("value"), body.get("file_ids") or []
        if not isinstance(value, str) or not value.strip():
            raise ApiError(400, "invalid_value", "value must be a non-empty text")
        if not isinstance(file_ids, list) or not all(isinstance(f, int) for f in file_ids):
            raise ApiError(400, "invalid_value", "file_ids must be a list of file ids")
        return value, file_ids
