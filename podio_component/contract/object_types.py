"""Podio object types addressable by one numeric id, for the Lookup and Delete By ID actions.

The labels the platform shows live in component.json alone; this module knows the paths.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from podio_component.contract.messages import message_body
from podio_component.errors import InputError
from podio_component.validation import parse

PATHS = {
    "action": "/action/{id}",
    "app": "/app/{id}",
    "batch": "/batch/{id}",
    "comment": "/comment/{id}",
    "contact": "/contact/{id}",
    "conversation": "/conversation/{id}",
    "file": "/file/{id}",
    "flow": "/flow/{id}",
    "form": "/form/{id}",
    "hook": "/hook/{id}",
    "integration": "/integration/{id}",
    "item": "/item/{id}",
    "label": "/task/label/{id}",
    "notification": "/notification/{id}",
    "organization": "/org/{id}",
    "space": "/space/{id}",
    "status": "/status/{id}",
    "task": "/task/{id}",
    "view": "/view/{id}",
    "voting": "/voting/{id}",
    "widget": "/widget/{id}",
}
LOOKUP_TYPES = frozenset(
    {
        "action",
        "app",
        "batch",
        "comment",
        "contact",
        "conversation",
        "file",
        "flow",
        "form",
        "item",
        "notification",
        "organization",
        "space",
        "status",
        "task",
        "widget",
    }
)
DELETE_TYPES = frozenset(
    {
        "app",
        "comment",
        "file",
        "flow",
        "form",
        "hook",
        "integration",
        "item",
        "label",
        "space",
        "status",
        "task",
        "view",
        "voting",
        "widget",
    }
)
MAX_ID = 2**63 - 1
# Reading an item marks the credential user's notifications on it as viewed, unless told not.
READ_PARAMS: dict[str, list[tuple[str, str]]] = {"item": [("mark_as_viewed", "0")]}


def _object_id(field: str, value: object) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise InputError(field, "expected a positive whole number, such as 12345", value)
    return value


class ObjectId(BaseModel):
    """The message body of the By ID actions. `idValue` is what Node.js-component flows send;
    both may be given when they agree."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int

    @model_validator(mode="before")
    @classmethod
    def _one_id(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "idValue" not in data:
            return data
        fields = dict(data)
        alias = _object_id("idValue", fields.pop("idValue"))
        if "id" in fields and _object_id("id", fields["id"]) != alias:
            raise InputError("id", f"id and idValue disagree ({fields['id']!r} and {alias})")
        fields["id"] = alias
        return fields

    @field_validator("id", mode="before")
    @classmethod
    def _positive(cls, value: object) -> int:
        return _object_id("id", value)


def resolve(msg: object, cfg: object, types: Collection[str]) -> tuple[int, str, str]:
    """The validated id from the message, cfg's objectType and its API path."""
    object_id = parse(ObjectId, message_body(msg)).id
    if not isinstance(cfg, Mapping):
        raise InputError("cfg", "expected an object")
    object_type = cfg.get("objectType")
    if not isinstance(object_type, str) or object_type not in types:
        raise InputError("objectType", f"expected one of {', '.join(sorted(types))}", object_type)
    return object_id, object_type, PATHS[object_type].format(id=object_id)  # an int
