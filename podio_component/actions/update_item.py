"""Update Item: change only the fields given (an explicit null or [] clears one) of an item of
the step's app; with `revision`, a conflicting change is an error naming both revisions,
never an overwrite."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import new_message
from podio_component.errors import InputError
from podio_component.forms.apps import apps as apps  # the `app` field's select model
from podio_component.forms.item_input import item_input
from podio_component.forms.meta_model import item_meta_model
from podio_component.items.app_fields import app_fields
from podio_component.items.values import write_values
from podio_component.items.writes import check_in_app, update, with_files, with_links

ITEM_KEYS = {
    "item_id": True,
    "revision": False,
    "external_id": False,
    "tags": False,
    "file_ids": False,
    "attachments": False,
}


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    given = item_input(msg, cfg, ITEM_KEYS)
    item_id = given.item["item_id"]
    write = given.checked_write()
    if not write.fields and not write.links and len(given.item) <= 1 and not given.attachments:
        raise InputError("body", "expected at least one field value to change")
    current = check_in_app(given.client, given.app_id, item_id)
    fields = with_links(given.client, write)
    new_files = [*given.item.get("file_ids", []), *given.uploads()]
    item = with_files(given.item, current, new_files)

    def already_applied(current: Mapping[str, Any]) -> bool:
        """The item already holds exactly these values: this change was applied."""
        now = {k: current["values"].get(k) for k in given.values}
        app = app_fields(given.client, given.app_id)
        return write_values(app, now).fields == write.fields

    options = given.config.options
    return new_message(update(given.client, item_id, fields, item, options, already_applied))


def getMetaModel(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return item_meta_model(cfg, ITEM_KEYS, fields_required=False)  # change only what is given
