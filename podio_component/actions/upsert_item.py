"""Upsert Item by External ID: update the item that carries `external_id`, or create it
with that external ID. More than one such item is an error that changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import new_message
from podio_component.forms.apps import apps as apps  # the `app` field's select model
from podio_component.forms.item_input import item_input
from podio_component.forms.meta_model import item_meta_model
from podio_component.items.api import get_item
from podio_component.items.writes import (
    create_once,
    find_by_external_id,
    update,
    with_files,
    with_links,
)

ITEM_KEYS = {
    "external_id": True,
    "tags": False,
    "file_ids": False,
    "revision": False,
    "attachments": False,
}


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    given = item_input(msg, cfg, ITEM_KEYS)
    write = given.checked_write()
    client, app_id, options = given.client, given.app_id, given.config.options
    found = find_by_external_id(client, app_id, given.item["external_id"])
    if found is None:
        create = given.checked_create()  # the fields a create needs, before it is sent
        item = {k: v for k, v in given.item.items() if k != "revision"}
        uploads = given.uploads if given.attachments else None
        created = create_once(
            client, app_id, create, item, options, looked_up=True, uploads=uploads
        )
        return new_message(created)
    item_id = int(found["item_id"])
    item = {k: v for k, v in given.item.items() if k != "external_id"}
    new_files = [*item.get("file_ids", []), *given.uploads()]
    if new_files:  # the item's own files are kept: the filter's short item has none
        item = with_files(item, get_item(client, item_id), new_files)
    updated = update(client, item_id, with_links(client, write), item, options)
    return new_message({**updated, "created": False})


def getMetaModel(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return item_meta_model(cfg, ITEM_KEYS)
