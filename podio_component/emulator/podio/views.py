"""Read-only views of the emulated Podio: users, organizations, spaces, apps."""

from __future__ import annotations

from typing import Any

from podio_component.emulator.podio.model import ApiError, Directory, Grant, get


def user(directory: Directory, grant: Grant) -> dict[str, Any]:
    if grant.ref_type != "user":
        raise ApiError(403, "forbidden", "This operation is not allowed for app authentication")
    found: dict[str, Any] = directory.users[grant.ref_id]
    return found


def user_view(directory: Directory, grant: Grant) -> dict[str, Any]:
    found = user(directory, grant)
    return {
        "user_id": found["user_id"],
        "mail": found["mail"],
        "status": "active",
        "locale": found.get("locale", "en_GB"),
        "timezone": found.get("timezone", "UTC"),
        "created_on": "2020-01-01 09:00:00",
        "activated_on": "2020-01-01 09:05:00",
    }


def user_status(directory: Directory, grant: Grant) -> dict[str, Any]:
    found = user(directory, grant)
    return {
        "user": {**user_view(directory, grant), "invites": 0},
        "profile": {
            "profile_id": found["profile_id"],
            "user_id": found["user_id"],
            "name": found["name"],
            "mail": [found["mail"]],
            "avatar": None,
        },
        "properties": {},
        "referral": None,
        "flags": [],
        "betas": [],
        "inbox_new": 0,
        "message_unread_count": 0,
        "calendar_code": "emulator",
        "mailbox": found["mail"].split("@")[0],
    }


def org_view(directory: Directory, org_id: int) -> dict[str, Any]:
    org = get(directory.orgs, org_id, "Org")
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
            space_view(directory, space_id)
            for space_id, space in directory.spaces.items()
            if space["org_id"] == org_id
        ],
    }


def space_view(directory: Directory, space_id: int) -> dict[str, Any]:
    space = get(directory.spaces, space_id, "Space")
    org = directory.orgs[space["org_id"]]
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


def app_view(directory: Directory, app_id: int) -> dict[str, Any]:
    app = get(directory.apps, app_id, "App")
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
        "fields": [field_definition(f) for f in app["fields"]],
    }


SETTINGS = ("options", "multiple", "time", "end", "allowed_currencies", "return_type")


def field_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """A field as GET /app/{id} gives it: settings as Podio sends them (options with their
    status, referenced apps as objects)."""
    settings = {key: definition[key] for key in SETTINGS if key in definition}
    if "options" in settings:
        settings["options"] = [{"status": "active", **o} for o in settings["options"]]
    if "referenced_apps" in definition:
        settings["referenced_apps"] = [
            {"view_id": None, "app": {"app_id": app_id, "status": "active"}}
            for app_id in definition["referenced_apps"]
        ]
    return {
        "field_id": definition["field_id"],
        "external_id": definition.get("external_id"),
        "type": definition["type"],
        "label": definition["label"],
        "status": "active",
        "config": {
            "label": definition["label"],
            "required": bool(definition.get("required")),
            "settings": settings,
        },
    }
