"""Podio object types addressable by one numeric id, for the Lookup and Delete By ID actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from podio_component.errors import InputError
from podio_component.messages import message_body
from podio_component.settings import parse

# {objectType: (label, path template)}; the Node.js component's types and a few more.
LOOKUP_TYPES: dict[str, tuple[str, str]] = {
    "action": ("Action", "/action/{id}"),
    "app": ("App", "/app/{id}"),
    "batch": ("Batch", "/batch/{id}"),
    "comment": ("Comment", "/comment/{id}"),
    "contact": ("Contact (profile)", "/contact/{id}"),
    "conversation": ("Conversation", "/conversation/{id}"),
    "file": ("File", "/file/{id}"),
    "flow": ("Flow", "/flow/{id}"),
    "form": ("Form", "/form/{id}"),
    "item": ("Item", "/item/{id}"),
    "notification": ("Notification", "/notification/{id}"),
    "organization": ("Organization", "/org/{id}"),
    "space": ("Space", "/space/{id}"),
    "status": ("Status", "/status/{id}"),
    "task": ("Task", "/task/{id}"),
    "widget": ("Widget", "/widget/{id}"),
}
DELETE_TYPES: dict[str, tuple[str, str]] = {
    "app": ("App", "/app/{id}"),
    "comment": ("Comment", "/comment/{id}"),
    "file": ("File", "/file/{id}"),
    "flow": ("Flow", "/flow/{id}"),
    "form": ("Form", "/form/{id}"),
    "hook": ("Hook", "/hook/{id}"),
    "integration": ("Integration (by app id)", "/integration/{id}"),
    "item": ("Item", "/item/{id}"),
    "label": ("Task label", "/task/label/{id}"),
    "space": ("Space", "/space/{id}"),
    "status": ("Status", "/status/{id}"),
    "task": ("Task", "/task/{id}"),
    "view": ("View", "/view/{id}"),
    "voting": ("Voting", "/voting/{id}"),
    "widget": ("Widget", "/widget/{id}"),
}
MAX_ID = 2**63 - 1


class ObjectId(BaseModel):
    """The message body of the By ID actions. `idValue` is what Node.js-component flows send."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(validation_alias=AliasChoices("id", "idValue"))

    @field_validator("id", mode="before")
    @classmethod
    def _positive_integer(cls, value: Any) -> int:
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
            raise ValueError("expected a positive whole number, such as 12345")
        return value


def checkbox(value: object) -> bool:
    """A CheckBoxView arrives as "on" when checked and is absent when not."""
    return value is True or (isinstance(value, str) and value.strip().lower() in ("on", "true"))


def resolve(msg: object, cfg: object, types: dict[str, tuple[str, str]]) -> tuple[int, str]:
    """The validated id from the message and the API path for cfg's objectType."""
    object_id = parse(ObjectId, message_body(msg)).id
    if not isinstance(cfg, Mapping):
        raise InputError("cfg", "expected an object")
    object_type = cfg.get("objectType")
    if not isinstance(object_type, str) or object_type not in types:
        raise InputError("objectType", f"expected one of {', '.join(types)}")
    return object_id, types[object_type][1].format(id=object_id)  # an int: nothing to escape
