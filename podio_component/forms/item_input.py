"""What an item action is given: its cfg, the credential's client, and the message body split
into item-level keys and field values, each checked against the app's fields before any
write is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from podio_component.credentials import connect
from podio_component.errors import InputError
from podio_component.forms.configs import ItemWriteConfig
from podio_component.items.app_fields import using
from podio_component.items.values import Write, split_body, write_values
from podio_component.podio.client import PodioClient
from podio_component.settings import whole_number
from podio_component.validation import parse


class ItemInput(NamedTuple):
    client: PodioClient
    config: ItemWriteConfig
    item: dict[str, Any]  # item-level keys of the body
    values: dict[str, Any]  # field values of the body, in simple form

    @property
    def app_id(self) -> int:
        return self.config.app

    def checked_write(self) -> Write:
        """The values checked against the app's fields and converted for Podio."""
        return using(self.client, self.app_id, lambda fields: write_values(fields, self.values))


def item_input(msg: Mapping[str, Any], cfg: Mapping[str, Any]) -> ItemInput:
    body = msg.get("body") if isinstance(msg, Mapping) else None
    if not isinstance(body, Mapping):
        raise InputError("body", "expected an object of item keys and field values", body)
    config = parse(ItemWriteConfig, cfg)
    item, values = split_body(body)
    return ItemInput(connect(cfg), config, item, values)


def checked_item_id(value: object) -> int:
    return whole_number("item_id", value, 1, 2**63 - 1)
