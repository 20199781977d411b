"""Each step's cfg as a typed model, checked before anything is sent: blank optional fields
take their defaults, and a select refuses a value it does not offer, naming the choices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from podio_component.contract.events import EMIT_BEHAVIORS
from podio_component.errors import InputError
from podio_component.items.api import FULL_ITEMS, WriteOptions
from podio_component.podio.time import moment
from podio_component.validation import choice, given_text, whole_number, whole_number_or, yes_no

EVENTS = ("created", "updated")


def yes_no_select(field: str, value: object) -> bool:
    """A Yes/No select, blank meaning yes; true/false and a checkbox's "on" (which flows
    built before it was a select send) keep their meaning."""
    given = given_text(value)
    if given is None:
        return True
    if isinstance(given, str) and given.lower() in ("yes", "no"):
        return given.lower() == "yes"
    return yes_no(given, field)


def multiple(field: str, value: object, offered: Sequence[str] | None = None) -> tuple[str, ...]:
    """A multi-select: a list of texts (or one text, comma-separated), each one of `offered`
    where given; blank means none."""
    given = given_text(value)
    if given is None:
        return ()
    items = given.split(",") if isinstance(given, str) else given
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InputError(field, "expected a list of texts", value)
    chosen = tuple(dict.fromkeys(i.strip() for i in items if i.strip()))
    unknown = [i for i in chosen if offered is not None and i not in offered]
    if unknown:
        raise InputError(field, f"expected some of {', '.join(offered or ())}", unknown[0])
    return chosen


def app_id(value: object) -> int:
    return whole_number("app", given_text(value), 1, 2**63 - 1)


def emit_behavior(value: object) -> str:
    return choice("emitBehavior", value, EMIT_BEHAVIORS, "emitIndividually")


class _StepConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    app: int

    @field_validator("app", mode="before")
    @classmethod
    def _app(cls, value: object) -> int:
        return app_id(value)


class WriteConfig(BaseModel):
    """The options every write carries: Create Task, Complete Task, Reopen Task (and the
    item writes)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    hook: bool = True  # Podio calls the app's webhooks for the change (Podio's default)
    silent: bool = False

    @field_validator("hook", mode="before")
    @classmethod
    def _hook(cls, value: object) -> bool:
        return yes_no_select("hook", value)

    @field_validator("silent", mode="before")
    @classmethod
    def _silent(cls, value: object) -> bool:
        return yes_no(value, "silent")

    @property
    def options(self) -> WriteOptions:
        return WriteOptions(self.hook, self.silent)


class ItemWriteConfig(_StepConfig, WriteConfig):
    """Create Item, Update Item, Upsert Item."""


class _AlertInvite(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    alert_invite: bool = Field(False, alias="alertInvite")  # invite the people a mention names

    @field_validator("alert_invite", mode="before")
    @classmethod
    def _alert_invite(cls, value: object) -> bool:
        return yes_no(value, "alertInvite")

    def invite(self) -> tuple[str, str]:
        return ("alert_invite", "true" if self.alert_invite else "false")


class CommentConfig(WriteConfig, _AlertInvite):
    """Add Comment."""

    def params(self) -> list[tuple[str, str]]:
        return [*self.options.params(), self.invite()]


class CreateStatusConfig(_AlertInvite):
    """Create Status: Podio lists no hook or silent for it."""

    space: int

    @field_validator("space", mode="before")
    @classmethod
    def _space(cls, value: object) -> int:
        return whole_number("space", given_text(value), 1, 2**63 - 1)


class _EmitBehavior(BaseModel):
    """A step that emits each result or one message a page."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    emit_behavior: str = Field("emitIndividually", alias="emitBehavior")

    @field_validator("emit_behavior", mode="before")
    @classmethod
    def _emit_behavior(cls, value: object) -> str:
        return emit_behavior(value)

    @property
    def per_page(self) -> bool:
        return self.emit_behavior == "emitPage"


class _Emitting(_EmitBehavior):
    """A finding step: its emitBehavior and allowZeroResults."""

    allow_zero_results: bool = Field(False, alias="allowZeroResults")

    @field_validator("allow_zero_results", mode="before")
    @classmethod
    def _allow_zero_results(cls, value: object) -> bool:
        return yes_no(value, "allowZeroResults")


class FindTasksConfig(_Emitting):
    max_tasks: int = Field(100, alias="maxTasks")

    @field_validator("max_tasks", mode="before")
    @classmethod
    def _max_tasks(cls, value: object) -> int:
        return whole_number_or(100, "maxTasks", value, 1, 10_000)


class _FullItems(_StepConfig):
    full_items: bool = Field(False, alias="fullItems")

    @field_validator("full_items", mode="before")
    @classmethod
    def _full_items(cls, value: object) -> bool:
        return yes_no(value, "fullItems")

    @property
    def bundle(self) -> str | None:
        """What the filter is asked to add to each item."""
        return FULL_ITEMS if self.full_items else None


class FindItemsConfig(_FullItems, _Emitting):
    max_items: int = Field(100, alias="maxItems")
    sort_by: str | None = None
    sort_desc: bool = False

    @field_validator("max_items", mode="before")
    @classmethod
    def _max_items(cls, value: object) -> int:
        return whole_number_or(100, "maxItems", value, 1, 10_000)

    @field_validator("sort_by", mode="before")
    @classmethod
    def _sort_by(cls, value: object) -> object:
        return given_text(value)

    @field_validator("sort_desc", mode="before")
    @classmethod
    def _sort_desc(cls, value: object) -> bool:
        return yes_no(value, "sort_desc")


class TriggerConfig(_FullItems, _EmitBehavior):
    """New and Updated Items."""

    event: Literal["created", "updated"] = "updated"
    start_time: int | None = Field(None, alias="startTime")  # seconds since the epoch, UTC
    page_size: int = Field(100, alias="pageSize")

    @field_validator("event", mode="before")
    @classmethod
    def _event(cls, value: object) -> str:
        return choice("event", value, EVENTS, "updated")

    @field_validator("page_size", mode="before")
    @classmethod
    def _page_size(cls, value: object) -> int:
        return whole_number_or(100, "pageSize", value, 1, 500)

    @field_validator("start_time", mode="before")
    @classmethod
    def _start_time(cls, value: object) -> int | None:
        given = given_text(value)
        return None if given is None else start_second(given)


def start_second(value: object) -> int:
    """startTime: a UTC date (YYYY-MM-DD) or an ISO date-time; seconds since the epoch."""
    expected = "expected a UTC date YYYY-MM-DD or a date-time such as 2026-12-01T09:30:00Z"
    if not isinstance(value, str):
        raise InputError("startTime", expected, value)
    try:
        return int(moment(value.strip()).timestamp())
    except ValueError:
        raise InputError("startTime", expected, value) from None


ITEM_EVENTS = {
    "created": "item.create",
    "updated": "item.update",
    "deleted": "item.delete",
    "comment": "comment.create",
    "file": "file.change",
}


class ItemEventsConfig(_StepConfig):
    """Item Events (instant)."""

    events: tuple[str, ...] = ("created", "updated")
    only_fields: tuple[str, ...] = Field((), alias="onlyFields")
    include_changes: bool = Field(True, alias="includeChanges")
    catch_up_minutes: int = Field(15, alias="catchUpMinutes")

    @field_validator("events", mode="before")
    @classmethod
    def _events(cls, value: object) -> tuple[str, ...]:
        return multiple("events", value, tuple(ITEM_EVENTS)) or ("created", "updated")

    @field_validator("only_fields", mode="before")
    @classmethod
    def _only_fields(cls, value: object) -> tuple[str, ...]:
        return multiple("onlyFields", value)

    @field_validator("include_changes", mode="before")
    @classmethod
    def _include_changes(cls, value: object) -> bool:
        return yes_no_select("includeChanges", value)

    @field_validator("catch_up_minutes", mode="before")
    @classmethod
    def _catch_up_minutes(cls, value: object) -> int:
        return whole_number_or(15, "catchUpMinutes", value, 0, 1440)

    @property
    def hook_types(self) -> list[str]:
        """Podio's hook types for the chosen events."""
        return [ITEM_EVENTS[event] for event in self.events]

    @property
    def follows_items(self) -> bool:
        """Whether an item created or updated is an event (what a catch-up can find)."""
        return "created" in self.events or "updated" in self.events


class DownloadFilesConfig(_EmitBehavior):
    """Download Files."""

    max_size_mb: int = Field(100, alias="maxSize")

    @field_validator("max_size_mb", mode="before")
    @classmethod
    def _max_size(cls, value: object) -> int:
        return whole_number_or(100, "maxSize", value, 1, 100)

    @property
    def max_bytes(self) -> int:
        return self.max_size_mb * 1024 * 1024
