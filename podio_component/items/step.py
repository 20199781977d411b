"""What every item action does first: the step's app, the message body split into item keys
and field values, the values checked and converted, all before any write is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from podio_component.credentials import connect
from podio_component.errors import InputError
from podio_component.items.apps import app_fields, item_out_schema, schema
from podio_component.items.values import Write, split_body, write_values
from podio_component.items.writes import WriteOptions
from podio_component.podio.client import PodioClient
from podio_component.settings import whole_number
from podio_component.validation import given_text


class ItemStep(NamedTuple):
    client: PodioClient
    app_id: int
    fields: list[dict[str, Any]]  # the app's, from the cached GET /app/{app_id}
    item: dict[str, Any]  # item-level keys of the body
    values: dict[str, Any]  # field values of the body, in simple form
    options: WriteOptions


def app_id_of(cfg: Mapping[str, Any]) -> int:
    return whole_number("app", given_text(cfg.get("app")), 1, 2**63 - 1)


def prepare(msg: Mapping[str, Any], cfg: Mapping[str, Any]) -> ItemStep:
    body = msg.get("body") if isinstance(msg, Mapping) else None
    if not isinstance(body, Mapping):
        raise InputError("body", "expected an object of item keys and field values", body)
    app_id = app_id_of(cfg)
    options = WriteOptions.of(cfg)
    client = connect(cfg)
    item, values = split_body(body)
    return ItemStep(client, app_id, app_fields(client, app_id), item, values, options)


def checked_write(step: ItemStep) -> Write:
    return write_values(step.fields, step.values)


def checked_item_id(value: object) -> int:
    return whole_number("item_id", value, 1, 2**63 - 1)


def meta_model(cfg: Mapping[str, Any], item_keys: dict[str, bool]) -> dict[str, Any]:
    """getMetaModel for an item action: the app's fields as the input form, the item out."""
    client = connect(cfg)
    fields = app_fields(client, app_id_of(cfg))
    return {"in": schema(fields, item_keys, writing=True), "out": item_out_schema(fields)}
