"""Update Item: change only the fields given (an explicit null or [] clears one); with
`revision`, a conflicting change is an error naming both revisions, never an overwrite."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import new_message
from podio_component.errors import InputError
from podio_component.forms.apps import apps as apps  # the `app` field's select model
from podio_component.forms.item_input import checked_item_id, item_input
from podio_component.forms.meta_model import item_meta_model
from podio_component.items.app_fields import app_fields
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
    given = item_input(msg, cfg)
    item_id = checked_item_id(given.item.get("item_id"))
    if given.item.get("revision") is not None:
        whole_number("revision", given.item["revision"], 0, 2**63 - 1)
    write = given.checked_write()
    if not write.fields and not write.links and len(given.item) <= 1:
        raise InputError("body", "expected at least one field value to change")
    fields = with_links(given.client, write)

    def already_applied(current: Mapping[str, Any]) -> bool:
        """The item already holds exactly these values: this change was applied."""
        now = {k: current["values"].get(k) for k in given.values}
        app = app_fields(given.client, given.app_id)
        return write_values(app, now).fields == write.fields

    updated = update(
        given.client, item_id, fields, given.item, given.config.options, already_applied
    )
    return new_message(updated)


def getMetaModel(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return item_meta_model(cfg, ITEM_KEYS)
