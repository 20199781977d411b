"""The emulated Podio: seeded data, OAuth grants and tokens, rate limits, item operations.

Pure Python with no HTTP; the WSGI layer in `podio_app` turns `ApiError` into Podio's error
envelope. Facts follow shared/reference/podio-api.md; defaults it marks as inferred are
marked here too.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_TOKEN_LIFETIME = 8 * 3600
RATE_WINDOW = 3600


class ApiError(Exception):
    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}


class Clock:
    """Wall time plus an offset that tests advance to expire tokens or end rate windows."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


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
    send_retry_after: bool = False  # Podio documents no Retry-After; off by default [INF]


@dataclass
class _Window:
    started: float
    used: dict[str, int] = field(default_factory=lambda: {"general": 0, "limited": 0})


def load_seed(path: Path | None = None) -> dict[str, Any]:
    if path is not None:
        seed: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return seed
    text = resources.files("podio_component.emulator").joinpath("seed.json").read_text("utf-8")
    default: dict[str, Any] = json.loads(text)
    return default


def _timestamp(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


class PodioWorld:
    """All emulated state, guarded by one lock (the server is threaded)."""

    def __init__(
        self,
        seed: dict[str, Any] | None = None,
        *,
        token_lifetime: float = DEFAULT_TOKEN_LIFETIME,
        rotate_refresh_tokens: bool = True,
        limits: Limits | None = None,
        clock: Clock | None = None,
    ) -> None:
        seed = copy.deepcopy(seed if seed is not None else load_seed())
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.token_lifetime = token_lifetime
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.limits = limits or Limits()
        self.clients = {c["client_id"]: c for c in seed.get("clients", [])}
        self.users: dict[int, dict[str, Any]] = {u["user_id"]: u for u in seed.get("users", [])}
        self.orgs = {o["org_id"]: o for o in seed.get("orgs", [])}
        self.spaces = {s["space_id"]: s for s in seed.get("spaces", [])}
        self.apps = {a["app_id"]: a for a in seed.get("apps", [])}
        self.files = {f["file_id"]: f for f in seed.get("files", [])}
        self.items: dict[int, dict[str, Any]] = {}
        self.deleted_items: set[int] = set()
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, tuple[str, str, int]] = {}  # code -> client, redirect_uri, user
        self._windows: dict[tuple[str, int, str], _Window] = {}
        now = self.clock.now()
        for item in seed.get("items", []):
            self._store_item(item["app_id"], item, now, item["item_id"])
        self._next_item_id = max(self.items, default=5000) + 1

    # ---- OAuth -------------------------------------------------------------------------

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        client = self.clients.get(client_id or "")
        if client is None or not secrets.compare_digest(
            str(client["client_secret"]), str(client_secret or "")
        ):
            raise ApiError(400, "invalid_client", "invalid_auth")

    def issue_tokens(self, grant: Grant) -> dict[str, Any]:
        """A token response, as Podio's token endpoint returns it."""
        with self.lock:
            access, refresh = secrets.token_hex(32), secrets.token_hex(32)
            grant.expires_at = self.clock.now() + self.token_lifetime
            self.access_tokens[access] = grant
            self.refresh_tokens[refresh] = grant
            return {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": int(self.token_lifetime),
                "refresh_token": refresh,
                "scope": grant.scope,
                "ref": {"type": grant.ref_type, "id": grant.ref_id},
            }

    def token_grant(
        self, params: dict[str, str], client_id: str, client_secret: str
    ) -> dict[str, Any]:
        """Run one token-endpoint grant; raises ApiError(400, ...) like Podio."""
        grant_type = params.get("grant_type")
        if not grant_type:
            raise ApiError(400, "invalid_request", "grant_type is required")
        self.check_client(client_id, client_secret)
        scope = params.get("scope") or "global:all"
        with self.lock:
            if grant_type == "authorization_code":
                code = self.codes.pop(params.get("code", ""), None)
                if code is None or code[0] != client_id:
                    raise ApiError(400, "invalid_grant", "invalid or expired authorization code")
                if params.get("redirect_uri") != code[1]:
                    raise ApiError(400, "invalid_grant", "redirect_uri does not match")
                return self.issue_tokens(Grant("user", code[2], client_id, scope))
            if grant_type == "refresh_token":
                old = self.refresh_tokens.get(params.get("refresh_token", ""))
                if old is None or old.client_id != client_id:
                    raise ApiError(400, "invalid_grant", "invalid or expired refresh token")
                if self.rotate_refresh_tokens:
                    del self.refresh_tokens[params["refresh_token"]]
                return self.issue_tokens(Grant(old.ref_type, old.ref_id, client_id, old.scope))
            if grant_type == "password":
                user = self.user_by_mail(params.get("username", ""))
                if user is None or not secrets.compare_digest(
                    str(user["password"]), params.get("password", "")
                ):
                    raise ApiError(400, "invalid_client", "invalid_auth")
                return self.issue_tokens(Grant("user", user["user_id"], client_id, scope))
            if grant_type == "app":
                app = self.apps.get(_int(params.get("app_id")) or 0)
                if app is None or not secrets.compare_digest(
                    str(app["app_token"]), params.get("app_token", "")
                ):
                    raise ApiError(400, "invalid_grant", "invalid app_id or app_token")
                return self.issue_tokens(
                    Grant("app", app["app_id"], client_id, f"app:{app['app_id']}:all")
                )
        raise ApiError(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def new_code(self, client_id: str, redirect_uri: str, user_id: int) -> str:
        with self.lock:
            code = secrets.token_hex(16)
            self.codes[code] = (client_id, redirect_uri, user_id)
            return code

    def authenticate(self, token: str | None) -> Grant:
        if not token:
            raise ApiError(401, "unauthorized", "Authorization header missing")
        with self.lock:
            grant = self.access_tokens.get(token)
        if grant is None:
            raise ApiError(401, "invalid_token", "invalid_token")
        if grant.expires_at <= self.clock.now():
            raise ApiError(
                401,
                "unauthorized",
                "expired_token",
                {"WWW-Authenticate": 'Bearer realm="podio", error="expired_token"'},
            )
        return grant

    def expire_all_tokens(self) -> None:
        with self.lock:
            for grant in self.access_tokens.values():
                grant.expires_at = 0.0

    def user_by_mail(self, mail: str) -> dict[str, Any] | None:
        return next((u for u in self.users.values() if u["mail"].lower() == mail.lower()), None)

    # ---- rate limiting -----------------------------------------------------------------

    def count_call(self, grant: Grant, limited: bool) -> tuple[int, int]:
        """Count one call; returns (limit, remaining) or raises the 420 once exhausted."""
        kind = "limited" if limited else "general"
        ceiling = self.limits.limited_rate_limit if limited else self.limits.rate_limit
        now = self.clock.now()
        with self.lock:
            key = (grant.ref_type, grant.ref_id, grant.client_id)
            window = self._windows.get(key)
            if window is None or now - window.started >= self.limits.window:
                window = self._windows[key] = _Window(now)
            if window.used[kind] >= ceiling:
                wait = max(1, math.ceil(window.started + self.limits.window - now))
                headers = {"Retry-After": str(wait)} if self.limits.send_retry_after else {}
                headers.update({"X-Rate-Limit-Limit": str(ceiling), "X-Rate-Limit-Remaining": "0"})
                raise ApiError(
                    420,
                    "rate_limit",
                    f"You have hit the rate limit. Please wait {wait} seconds before trying again.",
                    headers,
                )
            window.used[kind] += 1
            return ceiling, ceiling - window.used[kind]

    # ---- reads -------------------------------------------------------------------------

    def user(self, grant: Grant) -> dict[str, Any]:
        if grant.ref_type != "user":
            raise ApiError(403, "forbidden", "This operation is not allowed for app authentication")
        return self.users[grant.ref_id]

    def user_view(self, grant: Grant) -> dict[str, Any]:
        user = self.user(grant)
        return {
            "user_id": user["user_id"],
            "mail": user["mail"],
            "status": "active",
            "locale": user.get("locale", "en_GB"),
            "timezone": user.get("timezone", "UTC"),
            "created_on": "2020-01-01 09:00:00",
            "activated_on": "2020-01-01 09:05:00",
        }

    def user_status(self, grant: Grant) -> dict[str, Any]:
        user = self.user(grant)
        return {
            "user": {**self.user_view(grant), "invites": 0},
            "profile": {
                "profile_id": user["profile_id"],
                "user_id": user["user_id"],
                "name": user["name"],
                "mail": [user["mail"]],
                "avatar": None,
            },
            "properties": {},
            "referral": None,
            "flags": [],
            "betas": [],
            "inbox_new": 0,
            "message_unread_count": 0,
            "calendar_code": "emulator",
            "mailbox": user["mail"].split("@")[0],
        }

    def org_view(self, org_id: int) -> dict[str, Any]:
        org = self._get(self.orgs, org_id, "Org")
        return {
            "org_id": org_id,
            "name": org["name"],
            "url": f"https://podio.com/{org['url_label']}",
            "url_label": org["url_label"],
            "status": "active",
            "type": org.get("type", "free"),
            "role": "admin",
            "logo": None,
            "created_on": "2020-01-01 09:00:00",
            "spaces": [
                self.space_view(s) for s in self.spaces if self.spaces[s]["org_id"] == org_id
            ],
        }

    def space_view(self, space_id: int) -> dict[str, Any]:
        space = self._get(self.spaces, space_id, "Space")
        org = self.orgs[space["org_id"]]
        return {
            "space_id": space_id,
            "name": space["name"],
            "url": f"https://podio.com/{org['url_label']}/{space['url_label']}",
            "url_label": space["url_label"],
            "org_id": space["org_id"],
            "privacy": space.get("privacy", "closed"),
            "role": "admin",
            "rights": ["view", "update", "add_app", "add_item"],
            "created_on": "2020-01-02 09:00:00",
            "org": {"org_id": org["org_id"], "name": org["name"], "type": org.get("type")},
        }

    def app_view(self, app_id: int) -> dict[str, Any]:
        app = self._get(self.apps, app_id, "App")
        return {
            "app_id": app_id,
            "status": "active",
            "space_id": app["space_id"],
            "url_label": app["name"].lower(),
            "token": app["app_token"],
            "config": {
                "type": "standard",
                "name": app["name"],
                "item_name": app["item_name"],
                "icon": app.get("icon"),
                "allow_edit": True,
                "allow_attachments": True,
            },
            "fields": [self._field_definition(f) for f in app["fields"]],
        }

    def file_view(self, file_id: int) -> dict[str, Any]:
        stored = self._get(self.files, file_id, "File")
        return {
            "file_id": file_id,
            "name": stored["name"],
            "mimetype": stored["mimetype"],
            "size": len(self.file_bytes(file_id)),
            "link": f"https://files.podio.com/{file_id}",
            "hosted_by": "podio",
            "created_on": "2020-01-03 09:00:00",
        }

    def file_bytes(self, file_id: int) -> bytes:
        return base64.b64decode(self._get(self.files, file_id, "File")["content_base64"])

    def item_view(self, item_id: int) -> dict[str, Any]:
        with self.lock:
            if item_id in self.deleted_items:
                raise ApiError(410, "gone", "Item has been deleted")
            item = self._get(self.items, item_id, "Item")
            app = self.apps[item["app_id"]]
            values = item["values"]
            return {
                "item_id": item_id,
                "app_item_id": item["app_item_id"],
                "app_item_id_formatted": str(item["app_item_id"]),
                "external_id": item.get("external_id"),
                "title": item["title"],
                "link": f"https://podio.com/example-co/sales/apps/deals/items/{item['app_item_id']}",
                "app": {
                    "app_id": app["app_id"],
                    "name": app["name"],
                    "item_name": app["item_name"],
                    "space_id": app["space_id"],
                    "status": "active",
                },
                "created_by": {"type": "user", "id": item["created_by"]},
                "created_on": item["created_on"],
                "last_event_on": item["last_event_on"],
                "revision": item["revision"],
                "current_revision": {
                    "revision": item["revision"],
                    "created_on": item["last_event_on"],
                },
                "fields": [
                    {**self._field_definition(f), "values": copy.deepcopy(values[f["field_id"]])}
                    for f in app["fields"]
                    if values.get(f["field_id"])
                ],
                "files": [
                    self.file_view(i) for i, f in self.files.items() if f.get("item_id") == item_id
                ],
                "tags": list(item.get("tags", [])),
                "comments": [],
                "rights": ["view", "update", "delete"],
            }

    def filter_items(self, app_id: int, body: dict[str, Any]) -> dict[str, Any]:
        app = self._get(self.apps, app_id, "App")
        limit = _bounded(body.get("limit", 30), "limit", 1, 500)
        offset = _bounded(body.get("offset", 0), "offset", 0, 10**9)
        filters = body.get("filters") or {}
        if not isinstance(filters, dict):
            raise ApiError(400, "invalid_value", "filters must be an object")
        with self.lock:
            items = [i for i in self.items.values() if i["app_id"] == app_id]
            matched = [i for i in items if self._matches(app, i, filters)]
            page = matched[offset : offset + limit]
            return {
                "total": len(items),
                "filtered": len(matched),
                "items": [
                    {
                        "item_id": i["item_id"],
                        "app_item_id": i["app_item_id"],
                        "title": i["title"],
                        "external_id": i.get("external_id"),
                        "revision": i["revision"],
                    }
                    for i in page
                ],
            }

    # ---- writes ------------------------------------------------------------------------

    def create_item(self, app_id: int, body: dict[str, Any], grant: Grant) -> dict[str, Any]:
        self._get(self.apps, app_id, "App")
        created_by = grant.ref_id if grant.ref_type == "user" else 0
        with self.lock:
            item_id = self._next_item_id
            self._next_item_id += 1
            item = self._store_item(
                app_id, {**body, "created_by": created_by}, self.clock.now(), item_id
            )
            return {"item_id": item_id, "title": item["title"], "app_item_id": item["app_item_id"]}

    def update_item(self, item_id: int, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.item_view(item_id)  # 404 / 410 first
            item = self.items[item_id]
            revision = body.get("revision")
            if revision is not None and revision != item["revision"]:
                raise ApiError(
                    409, "conflict", "The item has been updated since the given revision"
                )
            app = self.apps[item["app_id"]]
            item["values"].update(self._field_values(app, body.get("fields", {})))
            if "tags" in body:
                item["tags"] = list(body["tags"])
            item["title"] = self._title(app, item["values"])
            item["revision"] += 1
            item["last_event_on"] = _timestamp(self.clock.now())
            return {"revision": item["revision"], "title": item["title"]}

    def delete_item(self, item_id: int) -> None:
        with self.lock:
            self.item_view(item_id)
            del self.items[item_id]
            self.deleted_items.add(item_id)

    # ---- helpers -----------------------------------------------------------------------

    def _store_item(
        self, app_id: int, body: dict[str, Any], now: float, item_id: int
    ) -> dict[str, Any]:
        app = self.apps[app_id]
        fields = body.get("fields", {})
        if not isinstance(fields, dict):
            raise ApiError(400, "invalid_value", "fields must be an object")
        values = self._field_values(app, fields)
        missing = [
            f["label"] for f in app["fields"] if f.get("required") and not values.get(f["field_id"])
        ]
        if missing:
            raise ApiError(400, "invalid_value", f"Required field(s) missing: {', '.join(missing)}")
        app_item_id = 1 + sum(1 for i in self.items.values() if i["app_id"] == app_id)
        item = {
            "item_id": item_id,
            "app_id": app_id,
            "app_item_id": app_item_id,
            "external_id": body.get("external_id"),
            "created_by": body.get("created_by", 0),
            "created_on": _timestamp(now),
            "last_event_on": _timestamp(now),
            "revision": 0,
            "tags": list(body.get("tags", [])),
            "values": values,
            "title": self._title(app, values),
        }
        self.items[item_id] = item
        return item

    def _field_values(self, app: dict[str, Any], fields: dict[str, Any]) -> dict[int, list[Any]]:
        by_key = {str(f["field_id"]): f for f in app["fields"]}
        by_key.update({f["external_id"]: f for f in app["fields"]})
        values: dict[int, list[Any]] = {}
        for key, raw in fields.items():
            definition = by_key.get(str(key))
            if definition is None:
                raise ApiError(400, "invalid_value", f"No field with id or external_id {key!r}")
            raw_list = raw if isinstance(raw, list) else [raw]
            values[definition["field_id"]] = [self._field_value(definition, v) for v in raw_list]
        return values

    @staticmethod
    def _field_value(definition: dict[str, Any], raw: Any) -> dict[str, Any]:
        kind, label = definition["type"], definition["label"]
        if isinstance(raw, dict) and "value" in raw and kind != "money":
            raw = raw["value"]
        if kind == "text" and isinstance(raw, str):
            return {"value": raw}
        if kind == "number" and isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return {"value": f"{raw:.4f}"}
        if (
            kind == "money"
            and isinstance(raw, dict)
            and isinstance(raw.get("value"), (int, float, str))
        ):
            try:
                return {
                    "value": f"{float(raw['value']):.4f}",
                    "currency": str(raw.get("currency", "EUR")),
                }
            except ValueError:
                pass
        if kind == "category":
            option_id = raw.get("id") if isinstance(raw, dict) else raw
            for option in definition.get("options", []):
                if option["id"] == option_id:
                    return {"value": {**option, "status": "active"}}
        raise ApiError(400, "invalid_value", f"Invalid value {raw!r} for field {label!r} ({kind})")

    @staticmethod
    def _title(app: dict[str, Any], values: dict[int, list[Any]]) -> str:
        for definition in app["fields"]:
            if definition["type"] == "text" and values.get(definition["field_id"]):
                return str(values[definition["field_id"]][0]["value"])
        return str(app["item_name"])

    @staticmethod
    def _matches(app: dict[str, Any], item: dict[str, Any], filters: dict[str, Any]) -> bool:
        by_key = {str(f["field_id"]): f for f in app["fields"]} | {
            f["external_id"]: f for f in app["fields"]
        }
        for key, wanted in filters.items():
            definition = by_key.get(str(key))
            if definition is None:
                raise ApiError(400, "invalid_value", f"Unknown filter key {key!r}")
            wanted_list = wanted if isinstance(wanted, list) else [wanted]
            found = item["values"].get(definition["field_id"], [])
            plain = [
                v["value"]["id"] if definition["type"] == "category" else v["value"] for v in found
            ]
            if not any(w in plain for w in wanted_list):
                return False
        return True

    @staticmethod
    def _field_definition(definition: dict[str, Any]) -> dict[str, Any]:
        settings = {"options": definition["options"]} if "options" in definition else {}
        return {
            "field_id": definition["field_id"],
            "external_id": definition["external_id"],
            "type": definition["type"],
            "label": definition["label"],
            "status": "active",
            "config": {
                "label": definition["label"],
                "required": bool(definition.get("required")),
                "settings": settings,
            },
        }

    @staticmethod
    def _get(table: dict[int, Any], key: int, kind: str) -> Any:
        if key not in table:
            raise ApiError(404, "not_found", f"{kind} with id {key} not found")
        return table[key]


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _bounded(value: object, name: str, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        raise ApiError(
            400, "invalid_value", f"{name} must be an integer from {lowest} to {highest}"
        )
    return value
