"""The emulated Podio as one object: the seed, the clock, one lock, OAuth, items, files, the
change seam, webhooks, people, comments, tasks, status messages and the hourly rate window.
Pure Python with no HTTP; the WSGI layer turns ApiError into Podio's error envelope."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from podio_component.emulator.podio.changes import Changes
from podio_component.emulator.podio.comments import Comments
from podio_component.emulator.podio.files import Files
from podio_component.emulator.podio.hooks import Hooks
from podio_component.emulator.podio.items import Items
from podio_component.emulator.podio.model import (
    DEFAULT_TOKEN_LIFETIME,
    ApiError,
    Clock,
    Directory,
    Limits,
    get,
    load_seed,
    rate_limit_text,
)
from podio_component.emulator.podio.oauth import OAuth
from podio_component.emulator.podio.people import Made, People
from podio_component.emulator.podio.seed import check_seed
from podio_component.emulator.podio.statuses import Statuses
from podio_component.emulator.podio.tasks import Tasks


@dataclass
class _Window:
    started: float
    used: dict[str, int] = field(default_factory=lambda: {"general": 0, "limited": 0})


class PodioWorld:
    """All emulated state, guarded by one lock (the server is threaded)."""

    def __init__(
        self,
        seed: dict[str, Any] | None = None,
        *,
        token_lifetime: float = DEFAULT_TOKEN_LIFETIME,
        rotate_refresh_tokens: bool = True,
        limits: Limits | None = None,
        tie_seed: int = 0,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.limits = limits or Limits()
        if seed is not None:
            check_seed(seed)
        self.directory = Directory(seed if seed is not None else load_seed())
        self.oauth = OAuth(
            self.directory,
            self.clock,
            self.lock,
            token_lifetime=token_lifetime,
            rotate_refresh_tokens=rotate_refresh_tokens,
        )
        self.changes = Changes()
        self.files = Files(self.directory.seed_files, self.changes, self.lock)
        self.tie_seed = tie_seed
        self.items = Items(
            self.directory,
            self.files,
            self.changes,
            self.clock,
            self.lock,
            random.Random(tie_seed),  # noqa: S311 (an order to replay, not a secret)
        )
        self.hooks = Hooks(self.directory.apps, self.changes, self.lock)
        self.people = People(self.directory)
        made = Made(self.directory, self.people, self.files, self.clock, self.lock)
        self.statuses = Statuses(made, self.items.create_embed)
        self.tasks = Tasks(made, self.space_of)
        self.comments = Comments(made, self.space_of, self.items.create_embed, self.items.commented)
        self._windows: dict[tuple[str, int, str], _Window] = {}

    def space_of(self, ref_type: str, ref_id: int) -> int | None:
        """The space an object is in (None for a task of no space); Podio's 404 if unknown."""
        with self.lock:
            if ref_type == "item":
                return int(self.items.view(ref_id)["app"]["space_id"])
            if ref_type == "task":
                return self.tasks.view(ref_id)["space_id"]  # type: ignore[no-any-return]
            if ref_type == "status":
                return int(self.statuses.view(ref_id)["space_id"])
            if ref_type == "app":
                return int(get(self.directory.apps, ref_id, "App")["space_id"])
            if ref_type == "space":
                return int(get(self.directory.spaces, ref_id, "Space")["space_id"])
            raise ApiError(404, "not_found", f"No object of type {ref_type}")

    def expire_all_tokens(self) -> None:
        self.oauth.expire_all_tokens()

    def count_call(
        self, ref_type: str, ref_id: int, client_id: str, limited: bool
    ) -> tuple[int, int]:
        """Count one call against its hourly budget; returns (limit, remaining).

        Once either budget of a user and API key is spent, every call answers 420 until the
        window ends, as Podio documents.
        """
        kind = "limited" if limited else "general"
        ceilings = {"general": self.limits.rate_limit, "limited": self.limits.limited_rate_limit}
        now = self.clock.now()
        with self.lock:
            key = (ref_type, ref_id, client_id)
            window = self._windows.get(key)
            if window is None or now - window.started >= self.limits.window:
                window = self._windows[key] = _Window(now)
            if any(window.used[k] >= ceilings[k] for k in ceilings):
                wait = max(1, math.ceil(window.started + self.limits.window - now))
                headers = {"Retry-After": str(wait)} if self.limits.send_retry_after else {}
                headers.update(
                    {"X-Rate-Limit-Limit": str(ceilings[kind]), "X-Rate-Limit-Remaining": "0"}
                )
                raise ApiError(420, "rate_limit", rate_limit_text(wait), headers)
            window.used[kind] += 1
            if limited:  # a rate-limited call counts against the general budget too
                window.used["general"] += 1
            return ceilings[kind], ceilings[kind] - window.used[kind]
