"""Create Item: a new item in the step's app from field values in simple form. With an
`external_id`, the create happens once: an item that already carries it is returned
unchanged (`created: false`), and an ambiguous failure is recovered by looking it up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import new_message
from podio_component.items.apps import apps as apps  # the `app` field's select model
from podio_component.items.step import checked_write, meta_model, prepare
from podio_component.items.writes import (
    by_external_id,
    checked_external_id,
    create,
    read_back,
    the_one,
    with_links,
)

ITEM_KEYS = {"external_id": False, "tags": False, "file_ids": False}


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    step = prepare(msg, cfg)
    write = checked_write(step)  # every value checked before anything is sent
    client, app_id = step.client, step.app_id
    external_id = step.item.get("external_id")
    if external_id is not None:
        external_id = checked_external_id(external_id)
        found = the_one(by_external_id(client, app_id, external_id), app_id, external_id)
        if found is not None:  # made before (a redelivery, say): returned as it is
            return new_message(read_back(client, int(found["item_id"]), created=False))
    fields = {k: v for k, v in with_links(client, write).items() if v != []}
    return new_message(create(client, app_id, fields, step.item, step.options))


def getMetaModel(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return meta_model(cfg, ITEM_KEYS)
