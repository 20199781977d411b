"""An item's field values in simple form, keyed by each field's `external_id`, both ways, and
filters in the same form: each a walk over the fields, by the row of their type
(`items.fields`)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from podio_component.errors import InputError
from podio_component.items.fields import (
    ITEM_KEYS,
    Field,
    Links,
    UnknownName,
    date_range,
    field_key,
    field_name,
    field_type,
    printable,
    settings_of,
)

ITEM_DATES = ("created_on", "last_edit_on")  # item properties Find Items filters on
MAX_LISTED = 12  # an unknown field's refusal lists the app's fields up to this many


def item_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """`values` for one item as Podio returns it (GET /item, or the filter call)."""
    values: dict[str, Any] = {}
    for field in item.get("fields") or []:
        values[field_key(field)] = field_type(field).read(
            field.get("values") or [], settings_of(field)
        )
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
    """(item-level keys, field values) of a message body; `fields.<key>` addresses a field
    whose key is also an item-level key. A field given twice (`title` and `fields.title`)
    is refused as ambiguous."""
    item: dict[str, Any] = {}
    values: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for key, value in body.items():
        if key in ITEM_KEYS:
            item[key] = value
            continue
        name = key.removeprefix("fields.")
        if not name:
            raise InputError(printable(key), "expected fields.<external_id> naming a field")
        if name in values:
            raise InputError(
                printable(key), f"the field is given twice, as {printable(given_as[name])} too"
            )
        values[name] = value
        given_as[name] = key
    return item, values


def _active(app_fields: Sequence[Field]) -> dict[str, Field]:
    return {field_key(f): f for f in app_fields if f.get("status", "active") == "active"}


def _unknown(key: str, known: Mapping[str, Field], what: str) -> UnknownName:
    return UnknownName(printable(key), _no_such_field(key, known, what))


def _no_such_field(key: str, known: Mapping[str, Field], what: str) -> str:
    """No such field: the app's fields named, or the closest of many."""
    if len(known) <= MAX_LISTED:
        names = ", ".join(printable(k) for k in sorted(known))
        return f"no such field {what}; its fields are {names}"
    close = difflib.get_close_matches(key, list(known), n=5, cutoff=0.5)
    hint = f"the closest are {', '.join(printable(k) for k in close)}" if close else "none is close"
    return f"no such field {what} among its {len(known):,} fields; {hint}"


def check_field_keys(app_fields: Sequence[Field], keys: Sequence[str], setting: str) -> None:
    """UnknownName, naming the setting, for the first key the app has no field for."""
    by_key = _active(app_fields)
    for key in keys:
        if key not in by_key:
            raise UnknownName(setting, _no_such_field(key, by_key, "in the app"), key)


def write_values(app_fields: Sequence[Field], values: Mapping[str, Any]) -> Write:
    """Every value checked and converted before anything is sent. `None` or `[]` clears a
    field. UnknownName for a field the app does not have (as known)."""
    by_key = _active(app_fields)
    fields: dict[str, Any] = {}
    links: dict[str, list[str]] = {}
    for key, value in values.items():
        field = by_key.get(key)
        if field is None:
            raise _unknown(key, by_key, "in the app")
        write = field_type(field).write
        if write is None:
            raise InputError(field_name(field), "it is calculated by Podio and cannot be written")
        if value is None or value == []:
            fields[key] = []
            continue
        written = write(field, value)
        if isinstance(written, Links):
            links[key] = written.urls
        else:
            fields[key] = written
    return Write(fields, links)


def missing_required(app_fields: Sequence[Field], write: Write) -> list[Field]:
    """The app's required fields a create would leave empty."""
    given = {k for k, v in write.fields.items() if v != []} | set(write.links)
    return [
        f
        for key, f in _active(app_fields).items()
        if (f.get("config") or {}).get("required") and key not in given
    ]


def filter_values(app_fields: Sequence[Field], filters: Mapping[str, Any]) -> dict[str, Any]:
    """Find Items' filters, keyed like the fields (plus created_on and last_edit_on), as the
    filter call takes them: option texts become ids, ranges become {from, to}."""
    by_key = _active(app_fields)
    podio: dict[str, Any] = {}
    for key, wanted in filters.items():
        if key in ITEM_DATES:
            podio[key] = date_range(key, wanted)
            continue
        field = by_key.get(key.removeprefix("fields."))
        if field is None:
            raise _unknown(key, by_key, "to filter on")
        podio[field_key(field)] = field_type(field).filter(field, wanted)
    return podio
