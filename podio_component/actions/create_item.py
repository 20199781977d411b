"""Create Item: a new item in the step's app from field values in simple form. With an
`external_id`, the create happens once: an item that already carries it is returned
unchanged (`created: false`), and an ambiguous failure is recovered by looking it up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import new_message
from podio_component.forms.apps import apps as apps  # the `app` field's select model
from podio_component.forms.item_input import item_input
from podio_component.forms.meta_model import item_meta_model
from podio_component.items.writes import create_once

ITEM_KEYS = {"external_id": False, "tags": False, "file_ids": False, "attachments": False}


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    given = item_input(msg, cfg, ITEM_KEYS)
    write = given.checked_create()  # every value checked before anything is sent
    uploads = given.uploads if given.attachments else None
    created = create_once(
        given.client, given.app_id, write, given.item, given.config.options, uploads=uploads
    )
    return new_message(created)


def getMetaModel(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return item_meta_model(cfg, ITEM_KEYS)
