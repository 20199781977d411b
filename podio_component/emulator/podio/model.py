"""What every part of the emulated Podio shares: the error, the clock, grants, the seed."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_TOKEN_LIFETIME = 8 * 3600
RATE_WINDOW = 3600


class ApiError(Exception):
    """A Podio error answer; the WSGI layer turns it into Podio's error envelope."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        headers: dict[str, str] | None = None,
        *,
        detail: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}
        self.detail = detail  # the envelope's error_detail, a sub-code such as alert.no_access
        self.parameters = parameters or {}


def rate_limit_text(seconds: int) -> str:
    """Podio's 420 description; clients read the number of seconds out of it."""
    return f"You have hit the rate limit. Please wait {seconds} seconds before trying again."


class Clock:
    """Wall time plus an offset that tests advance to expire tokens or end rate windows; or,
    once frozen, a fixed time that only `advance` moves, so that a test can place edits at
    exact seconds."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.frozen: float | None = None

    def now(self) -> float:
        return self.frozen if self.frozen is not None else time.time() + self.offset

    def advance(self, seconds: float) -> None:
        if self.frozen is not None:
            self.frozen += seconds
        else:
            self.offset += seconds

    def freeze(self, at: float | None = None) -> None:
        """Stop the clock at `at` (seconds since the epoch; default: now)."""
        self.frozen = self.now() if at is None else at


@dataclass
class FilterReading:
    """How the filter call reads `from`/`to` on created_on and last_edit_on, which Podio does
    not document: both bounds inclusive or both exclusive, and where the clock is: UTC, a
    fixed number of hours from UTC, or the clock of the user the token acts for (with
    daylight saving; an app token reads on its first seeded user's clock). The default,
    inclusive in UTC, is itself unverified."""

    inclusive: bool = True
    utc_offset_hours: float = 0.0
    user_clock: bool = False

    @classmethod
    def parse(cls, text: str) -> FilterReading:
        """'inclusive' or 'exclusive', either with ',+2' or ',-5' (hours) or ',user', e.g.
        'exclusive,-5' or 'inclusive,user'."""
        kind, _, where = text.partition(",")
        if kind not in ("inclusive", "exclusive"):
            raise ValueError(f"expected inclusive or exclusive, got {kind!r}")
        if where == "user":
            return cls(kind == "inclusive", user_clock=True)
        try:
            hours = float(where) if where else 0.0
        except ValueError:
            raise ValueError(
                f"expected an offset in hours such as +2 or -5, or user, got {where!r}"
            ) from None
        if not -14 <= hours <= 14:
            raise ValueError(f"an offset must be from -14 to +14 hours, got {where!r}")
        return cls(kind == "inclusive", hours)


def timestamp(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


@dataclass
class Grant:
    """Who a token acts for: a user, or an app (app authentication)."""

    ref_type: str  # "user" or "app"
    ref_id: int
    client_id: str
    scope: str
    expires_at: float = 0.0


@dataclass
class Limits:
    rate_limit: int = 1000  # calls per window per user per API key
    limited_rate_limit: int = 250  # for operations Podio marks "rate limited" (item filter)
    window: float = RATE_WINDOW
    send_retry_after: bool = False  # Podio documents no Retry-After; off by default


def load_seed(path: Path | None = None) -> dict[str, Any]:
    if path is not None:
        seed: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return seed
    text = (
        resources.files("podio_component.emulator.podio").joinpath("seed.json").read_text("utf-8")
    )
    default: dict[str, Any] = json.loads(text)
    return default


class Directory:
    """The seeded tables that requests read but never change (clients, users, the workspace),
    and the seeded items and files that the world's stores start from."""

    def __init__(self, seed: dict[str, Any]) -> None:
        seed = copy.deepcopy(seed)
        self.clients: dict[str, dict[str, Any]] = {
            c["client_id"]: c for c in seed.get("clients", [])
        }
        self.users: dict[int, dict[str, Any]] = {u["user_id"]: u for u in seed.get("users", [])}
        self.orgs: dict[int, dict[str, Any]] = {o["org_id"]: o for o in seed.get("orgs", [])}
        self.spaces: dict[int, dict[str, Any]] = {s["space_id"]: s for s in seed.get("spaces", [])}
        self.apps: dict[int, dict[str, Any]] = {a["app_id"]: a for a in seed.get("apps", [])}
        self.seed_files: list[dict[str, Any]] = seed.get("files", [])
        self.seed_items: list[dict[str, Any]] = seed.get("items", [])

    def client_number(self, client_id: str) -> tuple[int, str]:
        """An API client's number (Podio's `auth_client_id`) and name."""
        return 23000 + list(self.clients).index(client_id), client_id

    def user_by_mail(self, mail: str) -> dict[str, Any] | None:
        return next((u for u in self.users.values() if u["mail"].lower() == mail.lower()), None)


def get(table: dict[int, Any], key: int, kind: str) -> Any:
    """A row of a table, or Podio's 404."""
    if key not in table:
        raise ApiError(404, "not_found", f"{kind} with id {key} not found")
    return table[key]
