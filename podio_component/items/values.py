"""An item's field values in simple form, keyed by each field's `external_id`, both ways, and
filters in the same form: each a walk over the fields, by the row of their type
(`items.fields`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from podio_component.errors import InputError
from podio_component.items.fields import (
    ITEM_KEYS,
    Field,
    Links,
    UnknownName,
    date_range,
    field_name,
    field_type,
    settings_of,
)

ITEM_DATES = ("created_on", "last_edit_on")  # item properties Find Items filters on


def item_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """`values` for one item as Podio returns it (GET /item, or the filter call)."""
    values: dict[str, Any] = {}
    for field in item.get("fields") or []:
        key = field.get("external_id") or str(field.get("field_id"))
        values[key] = field_type(field).read(field.get("values") or [], settings_of(field))
    return values


def record(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item as the component gives it: Podio's item, with `values`."""
    return {**item, "values": item_values(item)}


class Write(NamedTuple):
    """A write's `fields` for Podio, and the links of embed fields still to be created
    (`POST /embed/`) once everything else is known to be valid."""

    fields: dict[str, Any]
    links: dict[str, list[str]]


def split_body(body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(item-level keys, field values) of a message body; `fields.<external_id>` addresses a
    field whose external id is also an item-level key."""
    item: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for key, value in body.items():
        if key in ITEM_KEYS:
            item[key] = value
        elif key.startswith("fields."):
            values[key.removeprefix("fields.")] = value
        else:
            values[key] = value
    return item, values


def write_values(app_fields: Sequence[Field], values: Mapping[str, Any]) -> Write:
    """Every value checked and converted before anything is sent. `None` or `[]` clears a
    field. UnknownName for a field the app does not have (as known)."""
    by_key = {
        str(f.get("external_id")): f for f in app_fields if f.get("status", "active") == "active"
    }
    fields: dict[str, Any] = {}
    links: dict[str, list[str]] = {}
    for key, value in values.items():
        field = by_key.get(key)
        if field is None:
            raise UnknownName(
                key, f"no such field in the app; its fields are {', '.join(sorted(by_key))}"
            )
        if value is None or value == []:
            fields[key] = []
            continue
        write = field_type(field).write
        if write is None:
            raise InputError(field_name(field), "it is calculated by Podio and cannot be written")
        written = write(field, value)
        if isinstance(written, Links):
            links[key] = written.urls
        else:
            fields[key] = written
    return Write(fields, links)


def filter_values(app_fields: Sequence[Field], filters: Mapping[str, Any]) -> dict[str, Any]:
    """Find Items' filters, keyed like the fields (plus created_on and last_edit_on), as the
    filter call takes them: option texts become ids, ranges become {from, to}."""
    by_key = {str(f.get("external_id")): f for f in app_fields}
    podio: dict[str, Any] = {}
    for key, wanted in filters.items():
        if key in ITEM_DATES:
            podio[key] = date_range(key, wanted)
            continue
        field = by_key.get(key.removeprefix("fields."))
        if field is None:
            raise UnknownName(
                key, f"no such field to filter on; the app's fields are {', '.join(sorted(by_key))}"
            )
        podio[str(field.get("external_id"))] = field_type(field).filter(field, wanted)
    return podio
