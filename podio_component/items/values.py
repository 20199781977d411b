"""An item's field values in simple form, keyed by each field's `external_id`.

Podio reads a field as `fields[].values[]`, each element shaped by the field's type (§4.2 of
the item reference). A flow maps `values["stage"]` instead of digging into
`fields[2].values[0].value.text`. One reader per type; a type the table does not know is
given as Podio gave it. The item actions write the same forms back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

Reader = Callable[[list[Any], Mapping[str, Any]], Any]


def item_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """`values` for one item as Podio returns it (GET /item, or the filter call)."""
    values: dict[str, Any] = {}
    for field in item.get("fields") or []:
        key = field.get("external_id") or str(field.get("field_id"))
        reader = READERS.get(str(field.get("type")))
        raw = field.get("values") or []
        settings = (field.get("config") or {}).get("settings") or {}
        values[key] = reader(raw, settings) if reader is not None else raw
    return values


def number(text: object) -> int | float | None:
    """Podio's decimal strings ("6513.5100") as a JSON number: whole ones as integers."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return text
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _single_or_list(items: list[Any], settings: Mapping[str, Any]) -> Any:
    if settings.get("multiple") or len(items) > 1:
        return items
    return items[0] if items else None


def _scalar(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return raw[0].get("value") if raw else None


def _number(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return number(raw[0].get("value")) if raw else None


def _money(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    if not raw:
        return None
    return {"value": number(raw[0].get("value")), "currency": raw[0].get("currency")}


def _calculation(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    if not raw:
        return None
    value = raw[0].get("value")
    numeric = number(value)
    return numeric if numeric is not None else value


def _category(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    texts = [v["value"].get("text") for v in raw if isinstance(v.get("value"), dict)]
    return _single_or_list(texts, settings)


def _utc(text: object) -> str | None:
    """Podio's UTC "YYYY-MM-DD HH:MM:SS" as ISO 8601 with Z."""
    return f"{str(text).replace(' ', 'T')}Z" if text else None


def _date(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    if not raw:
        return None
    value = raw[0]
    if not value.get("start_time") and value.get("start_date"):  # a date-only field
        return {"start": value.get("start_date"), "end": value.get("end_date") or None}
    return {
        "start": _utc(value.get("start_utc") or value.get("start")),
        "end": _utc(value.get("end_utc")),
    }


def _references(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return [
        {"item_id": v["value"].get("item_id"), "title": v["value"].get("title")}
        for v in raw
        if isinstance(v.get("value"), dict)
    ]


def _contacts(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    contacts = []
    for v in raw:
        person = v.get("value")
        if isinstance(person, dict):
            key = "profile_id" if "profile_id" in person else "user_id"
            contacts.append({key: person.get(key), "name": person.get("name")})
    return contacts


def _typed(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return [{"type": v.get("type"), "value": v.get("value")} for v in raw]


def _embeds(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    urls = []
    for v in raw:
        embed = v.get("embed") or {}
        urls.append(embed.get("original_url") or embed.get("resolved_url") or embed.get("url"))
    return urls


def _locations(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return [v.get("value") or v.get("formatted") for v in raw]


def _files(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return [
        {"file_id": v["value"].get("file_id"), "name": v["value"].get("name")}
        for v in raw
        if isinstance(v.get("value"), dict)
    ]


READERS: dict[str, Reader] = {
    "text": _scalar,
    "number": _number,
    "money": _money,
    "calculation": _calculation,
    "category": _category,
    "question": _category,
    "date": _date,
    "app": _references,
    "contact": _contacts,
    "member": _contacts,
    "email": _typed,
    "phone": _typed,
    "tel": _typed,
    "embed": _embeds,
    "location": _locations,
    "duration": _number,
    "progress": _number,
    "image": _files,
    "file": _files,
}
