"""Update Item: change only the fields given (an explicit null or [] clears one); with
`revision`, a conflicting change is an error naming both revisions, never an overwrite."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import new_message
from podio_component.errors import InputError
from podio_component.items.apps import apps as apps  # the `app` field's select model
from podio_component.items.step import checked_item_id, checked_write, meta_model, prepare
from podio_component.items.values import write_values
from podio_component.items.writes import update, with_links
from podio_component.settings import whole_number

ITEM_KEYS = {
    "item_id": True,
    "revision": False,
    "external_id": False,
    "tags": False,
    "file_ids": False,
}


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    step = prepare(msg, cfg)
    item_id = checked_item_id(step.item.get("item_id"))
    if step.item.get("revision") is not None:
        whole_number("revision", step.item["revision"], 0, 2**63 - 1)
    write = checked_write(step)
    if not write.fields and not write.links and len(step.item) <= 1:
        raise InputError("body", "expected at least one field value to change")
    fields = with_links(step.client, write)

    def holds_it(current: Mapping[str, Any]) -> bool:
        """The item already holds exactly these values: this change was applied."""
        now = {k: current["values"].get(k) for k in step.values}
        return write_values(step.fields, now).fields == write.fields

    return new_message(update(step.client, item_id, fields, step.item, step.options, holds_it))


def getMetaModel(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return meta_model(cfg, ITEM_KEYS)
