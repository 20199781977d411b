"""getMetaModel for the item steps: the app's fields as the form (one property per field,
keyed by external id, from each type's neutral shape) and the item the step emits."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from podio_component.credentials import connect
from podio_component.forms.configs import app_id
from podio_component.items.app_fields import app_fields
from podio_component.items.fields import (
    ITEM_KEYS,
    Field,
    Shape,
    field_key,
    field_type,
    settings_of,
)
from podio_component.items.values import ITEM_DATES


def _json(shape: Shape, choices: list[Any], multiple_setting: bool) -> dict[str, Any]:
    one = {"type": "string", "enum": choices} if shape.options else copy.deepcopy(shape.json)
    multiple = shape.multiple == "always" or (shape.multiple == "setting" and multiple_setting)
    return {"type": "array", "items": one} if multiple else one


def field_property(field: Field) -> dict[str, Any]:
    settings = settings_of(field)
    offered = [
        o.get("text")
        for o in settings.get("options") or []
        if o.get("status", "active") == "active"
    ]
    shape = _json(field_type(field).shape, offered, bool(settings.get("multiple")))
    ends = settings.get("end")
    if field.get("type") == "date" and ends in ("disabled", "required"):
        if ends == "disabled":
            shape["properties"].pop("end")
        else:
            for end in shape["properties"].values():
                end["required"] = True
    label = (field.get("config") or {}).get("label") or field.get("label")
    return {**shape, "title": label, "required": bool((field.get("config") or {}).get("required"))}


def schema(
    fields: Sequence[Field],
    item_keys: Mapping[str, bool],
    *,
    writing: bool,
    fields_required: bool = True,
) -> dict[str, Any]:
    """An object schema with one property per field, keyed by external id (or field id for a
    field without one; a key that is also an item-level key goes under `fields.<key>`), plus
    the item-level keys given (name: required). Fields Podio calculates are left out when
    writing; a field is marked required only when writing and `fields_required`."""
    properties: dict[str, Any] = {}
    for name, required in item_keys.items():
        shape, title, _ = ITEM_KEYS[name]
        properties[name] = {**_json(shape, [], False), "title": title, "required": required}
    for field in fields:
        if field.get("status", "active") != "active":
            continue
        if writing and field_type(field).write is None:
            continue
        key = field_key(field)
        prop = field_property(field)
        if not (writing and fields_required):
            prop["required"] = False
        properties[f"fields.{key}" if key in ITEM_KEYS else key] = prop
    return {"type": "object", "properties": properties}


def item_out_schema(fields: Sequence[Field]) -> dict[str, Any]:
    """What the item steps emit: Podio's item, with `values` in simple form."""
    values = schema(fields, {}, writing=False)
    return {
        "type": "object",
        "properties": {
            "item_id": {"type": "number", "title": "Item ID"},
            "title": {"type": "string", "title": "Title"},
            "external_id": {"type": "string", "title": "External ID"},
            "revision": {"type": "number", "title": "Revision"},
            "values": {**values, "title": "Field values"},
            "created": {"type": "boolean", "title": "Created (not found by its external ID)"},
        },
    }


def item_meta_model(
    cfg: Mapping[str, Any], item_keys: Mapping[str, bool], *, fields_required: bool = True
) -> dict[str, Any]:
    """An item write's form: the app's fields and the item-level keys given; the item out."""
    fields = app_fields(connect(cfg), app_id(cfg.get("app")))
    form = schema(fields, item_keys, writing=True, fields_required=fields_required)
    return {"in": form, "out": item_out_schema(fields)}


def find_meta_model(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Find Items' form: a filter per field, and created_on/last_edit_on ranges."""
    fields = app_fields(connect(cfg), app_id(cfg.get("app")))
    filters = schema(fields, {}, writing=False)
    for name in ITEM_DATES:
        filters["properties"][name] = {
            "type": "object",
            "title": f"{name} from/to",
            "required": False,
            "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
        }
    return {"in": filters, "out": item_out_schema(fields)}
