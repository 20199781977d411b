"""What an item action is given: its cfg, the credential's client, and the message body split
into item-level keys and field values, each checked (against the app's fields for values)
before any write is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from podio_component.credentials import connect
from podio_component.errors import InputError
from podio_component.files import carried
from podio_component.forms.configs import ItemWriteConfig
from podio_component.items.app_fields import using
from podio_component.items.fields import ITEM_KEYS, field_name
from podio_component.items.values import Write, missing_required, split_body, write_values
from podio_component.podio.client import PodioClient
from podio_component.validation import parse


class ItemInput(NamedTuple):
    client: PodioClient
    config: ItemWriteConfig
    item: dict[str, Any]  # item-level keys of the body, checked and in the form Podio takes
    values: dict[str, Any]  # field values of the body, in simple form
    attachments: carried.Carried  # the message's, to upload and attach

    def uploads(self) -> list[int]:
        """Each attachment uploaded to Podio (streamed); the new files' ids."""
        return carried.upload_each(self.client, self.attachments)

    @property
    def app_id(self) -> int:
        return self.config.app

    def checked_write(self) -> Write:
        """The values checked against the app's fields and converted for Podio."""
        return using(self.client, self.app_id, lambda fields: write_values(fields, self.values))

    def checked_create(self) -> Write:
        """checked_write, and every field the app requires given a value."""

        def checked(fields: list[dict[str, Any]]) -> Write:
            write = write_values(fields, self.values)
            missing = missing_required(fields, write)
            if missing:
                names = ", ".join(field_name(f) for f in missing)
                raise InputError("body", f"expected a value for each required field: {names}")
            return write

        return using(self.client, self.app_id, checked)


def item_input(
    msg: Mapping[str, Any], cfg: Mapping[str, Any], item_keys: Mapping[str, bool]
) -> ItemInput:
    """The input of an item action that takes `item_keys` (name: required)."""
    body = msg.get("body") if isinstance(msg, Mapping) else None
    if not isinstance(body, Mapping):
        raise InputError("body", "expected an object of item keys and field values", body)
    config = parse(ItemWriteConfig, cfg)
    given, values = split_body(body)
    item: dict[str, Any] = {}
    for name, value in given.items():
        if name not in item_keys:
            taken = ", ".join(item_keys)
            raise InputError(name, f"this action takes {taken} besides field values", value)
        if value is not None:
            item[name] = ITEM_KEYS[name].check(name, value)
    for name, required in item_keys.items():
        if required and name not in item:
            raise InputError(name, "is required")
    listed = carried.chosen(msg, item.pop("attachments", []))  # checked before anything is sent
    return ItemInput(connect(cfg), config, item, values, listed)
