"""Upsert Item by External ID: update the item that carries `external_id`, or create it
with that external ID. More than one such item is an error that changes nothing."""

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
    the_one,
    update,
    with_links,
)

ITEM_KEYS = {"external_id": True, "tags": False, "file_ids": False}


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    step = prepare(msg, cfg)
    external_id = checked_external_id(step.item.get("external_id"))
    write = checked_write(step)
    client, app_id = step.client, step.app_id
    found = the_one(by_external_id(client, app_id, external_id), app_id, external_id)
    fields = with_links(client, write)
    if found is None:
        fields = {k: v for k, v in fields.items() if v != []}
        return new_message(create(client, app_id, fields, step.item, step.options))
    item = {k: v for k, v in step.item.items() if k != "external_id"}
    updated = update(client, int(found["item_id"]), fields, item, step.options)
    return new_message({**updated, "created": False})


def getMetaModel(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return meta_model(cfg, ITEM_KEYS)
