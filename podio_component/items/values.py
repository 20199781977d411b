"""An item's field values in simple form, keyed by each field's `external_id`.

Podio reads a field as `fields[].values[]`, each element shaped by the field's type (§4.2 of
the item reference). A flow maps `values["stage"]` instead of digging into
`fields[2].values[0].value.text`. One reader per type; a type the table does not know is
given as Podio gave it. The item actions write the same forms back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from podio_component.errors import InputError

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


# ---- the write direction: `values` -> what Podio's create and update take -----------------

ITEM_KEYS = ("item_id", "external_id", "revision", "tags", "file_ids")
EMAIL_TYPES = ("home", "work", "other")
PHONE_TYPES = ("mobile", "work", "home", "main", "work_fax", "private_fax", "other")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class Write(NamedTuple):
    """A write's `fields` for Podio, and the links of embed fields still to be created
    (`POST /embed/`) once everything else is known to be valid."""

    fields: dict[str, Any]
    links: dict[str, list[str]]


def field_name(field: Mapping[str, Any]) -> str:
    """How an error names a field: its label and its external id."""
    return f"{field.get('label') or field.get('external_id')} ({field.get('external_id')})"


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


def write_values(app_fields: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> Write:
    """Every value checked and converted before anything is sent; InputError names the
    field by label and external id, says what was expected and shows what was given.
    `None` or `[]` clears a field."""
    by_key = {
        str(f.get("external_id")): f for f in app_fields if f.get("status", "active") == "active"
    }
    fields: dict[str, Any] = {}
    links: dict[str, list[str]] = {}
    for key, value in values.items():
        field = by_key.get(key)
        if field is None:
            raise InputError(
                key, f"no such field in the app; its fields are {', '.join(sorted(by_key))}"
            )
        kind = str(field.get("type"))
        if value is None or value == []:
            fields[key] = []
            continue
        if kind == "calculation":
            raise InputError(field_name(field), "it is calculated by Podio and cannot be written")
        if kind == "embed":
            links[key] = _links(field, value)
            continue
        writer = WRITERS.get(kind)
        fields[key] = writer(field, value) if writer is not None else value
    return Write(fields, links)


def _settings(field: Mapping[str, Any]) -> Mapping[str, Any]:
    return (field.get("config") or {}).get("settings") or {}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _refuse(field: Mapping[str, Any], value: Any, expected: str) -> InputError:
    return InputError(field_name(field), expected, value)


def _w_text(field: Mapping[str, Any], value: Any) -> Any:
    if not isinstance(value, str):
        raise _refuse(field, value, "expected text")
    return value


def _w_number(field: Mapping[str, Any], value: Any) -> Any:
    parsed = number(value) if not isinstance(value, bool) else None
    if parsed is None:
        raise _refuse(field, value, "expected a number")
    return parsed


def _w_money(field: Mapping[str, Any], value: Any) -> Any:
    allowed = _settings(field).get("allowed_currencies") or []
    expected = "expected {value, currency}" + (
        f" with a currency of {', '.join(allowed)}" if allowed else ""
    )
    if not isinstance(value, Mapping):
        raise _refuse(field, value, expected)
    amount = number(value.get("value")) if not isinstance(value.get("value"), bool) else None
    currency = value.get("currency")
    if amount is None or not isinstance(currency, str) or (allowed and currency not in allowed):
        raise _refuse(field, value, expected)
    return {"value": amount, "currency": currency}


def _w_choice(field: Mapping[str, Any], value: Any, multiple: bool | None = None) -> Any:
    """Option ids for option texts or ids; a list when the field (or a filter) takes many."""
    options = _settings(field).get("options") or []
    by_text = {o.get("text"): o["id"] for o in options if o.get("status", "active") == "active"}
    ids = {o["id"] for o in options}
    if multiple is None:
        multiple = bool(_settings(field).get("multiple"))
    given = _listed(value)
    if len(given) > 1 and not multiple:
        raise _refuse(field, value, "expected one option: the field takes one")
    chosen = []
    for one in given:
        if isinstance(one, str) and one in by_text:
            chosen.append(by_text[one])
        elif isinstance(one, int) and not isinstance(one, bool) and one in ids:
            chosen.append(one)
        else:
            raise _refuse(field, one, f"expected one of {', '.join(map(str, by_text))}")
    return chosen if multiple else chosen[0]


def _w_date(field: Mapping[str, Any], value: Any) -> Any:
    date_only = _settings(field).get("time") == "disabled"
    expected = (
        "expected a date YYYY-MM-DD" if date_only else "expected a date YYYY-MM-DD or a date-time"
    ) + ", or {start, end}"
    start, end = (
        (value.get("start"), value.get("end")) if isinstance(value, Mapping) else (value, None)
    )
    out: dict[str, Any] = {}
    for name, moment in (("start", start), ("end", end)):
        if moment is None and name == "end":
            continue
        if not isinstance(moment, str):
            raise _refuse(field, value, expected)
        text = moment.strip()
        if _DAY.fullmatch(text):
            out[f"{name}_date"] = text
            continue
        if date_only:
            raise _refuse(field, value, expected)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _refuse(field, value, expected) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)  # UTC unless a zone is given
        out[f"{name}_utc"] = parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return out


def _w_ids(key: str, what: str) -> Callable[[Mapping[str, Any], Any], Any]:
    def write(field: Mapping[str, Any], value: Any) -> Any:
        ids = []
        for one in _listed(value):
            found = one.get(key) if isinstance(one, Mapping) else one
            if isinstance(found, bool) or not isinstance(found, int) or found <= 0:
                raise _refuse(field, one, f"expected {what} (or {{{key}}}), or a list of them")
            ids.append(found)
        return ids

    return write


def _w_typed(types: tuple[str, ...]) -> Callable[[Mapping[str, Any], Any], Any]:
    def write(field: Mapping[str, Any], value: Any) -> Any:
        entries = []
        for one in _listed(value):
            ok = (
                isinstance(one, Mapping)
                and one.get("type") in types
                and isinstance(one.get("value"), str)
                and one["value"]
            )
            if not ok:
                raise _refuse(
                    field, one, f"expected {{type, value}} with a type of {', '.join(types)}"
                )
            entries.append({"type": one["type"], "value": one["value"]})
        return entries

    return write


def _links(field: Mapping[str, Any], value: Any) -> list[str]:
    urls = _listed(value)
    for url in urls:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _refuse(field, url, "expected a URL starting with http:// or https://")
    return urls


def _w_location(field: Mapping[str, Any], value: Any) -> Any:
    places = _listed(value)
    if not all(isinstance(p, str) and p for p in places):
        raise _refuse(field, value, "expected an address (text), or a list of them")
    return places


def _w_whole(lowest: int, highest: int, what: str) -> Callable[[Mapping[str, Any], Any], Any]:
    def write(field: Mapping[str, Any], value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
            raise _refuse(field, value, f"expected {what}")
        return value

    return write


WRITERS: dict[str, Callable[[Mapping[str, Any], Any], Any]] = {
    "text": _w_text,
    "number": _w_number,
    "money": _w_money,
    "category": _w_choice,
    "question": _w_choice,
    "date": _w_date,
    "app": _w_ids("item_id", "an item id"),
    "contact": _w_ids("profile_id", "a profile id"),
    "member": _w_ids("user_id", "a user id"),
    "image": _w_ids("file_id", "a file id"),
    "file": _w_ids("file_id", "a file id"),
    "email": _w_typed(EMAIL_TYPES),
    "phone": _w_typed(PHONE_TYPES),
    "tel": _w_typed(PHONE_TYPES),
    "location": _w_location,
    "duration": _w_whole(0, 10**9, "a whole number of seconds"),
    "progress": _w_whole(0, 100, "a whole number from 0 to 100"),
}


# ---- filters in the same simple form -------------------------------------------------------

RANGED = ("number", "money", "progress", "duration", "calculation")
ITEM_DATES = ("created_on", "last_edit_on")


def filter_values(
    app_fields: Sequence[Mapping[str, Any]], filters: Mapping[str, Any]
) -> dict[str, Any]:
    """Find Items' filters, keyed like the fields (plus created_on and last_edit_on), as the
    filter call takes them: option texts become ids, ranges become {from, to}."""
    by_key = {str(f.get("external_id")): f for f in app_fields}
    podio: dict[str, Any] = {}
    for key, wanted in filters.items():
        if key in ITEM_DATES:
            podio[key] = _date_range(key, wanted)
            continue
        field = by_key.get(key.removeprefix("fields."))
        if field is None:
            raise InputError(
                key, f"no such field to filter on; the app's fields are {', '.join(sorted(by_key))}"
            )
        kind = str(field.get("type"))
        name = str(field.get("external_id"))
        if kind in ("category", "question"):
            podio[name] = _w_choice(field, wanted, multiple=True)  # any of the options
        elif kind in ("app", "contact", "member"):
            podio[name] = WRITERS[kind](field, wanted)
        elif kind in RANGED:
            podio[name] = _number_range(field, wanted)
        elif kind == "date":
            podio[name] = _date_range(field_name(field), wanted)
        else:
            podio[name] = wanted
    return podio


def _number_range(field: Mapping[str, Any], wanted: Any) -> dict[str, Any]:
    expected = "expected a number or {from, to}"
    bounds = wanted if isinstance(wanted, Mapping) else {"from": wanted, "to": wanted}
    if not bounds or not set(bounds) <= {"from", "to"}:
        raise _refuse(field, wanted, expected)
    out = {}
    for end, value in bounds.items():
        parsed = number(value) if not isinstance(value, bool) else None
        if parsed is None:
            raise _refuse(field, wanted, expected)
        out[end] = parsed
    return out


def _date_range(name: str, wanted: Any) -> dict[str, Any]:
    expected = "expected {from, to} with dates YYYY-MM-DD or date-times"
    if not isinstance(wanted, Mapping) or not wanted or not set(wanted) <= {"from", "to"}:
        raise InputError(name, expected, wanted)
    out = {}
    for end, value in wanted.items():
        text = value.strip() if isinstance(value, str) else ""
        if _DAY.fullmatch(text):
            out[end] = f"{text} {'00:00:00' if end == 'from' else '23:59:59'}"
            continue
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(name, expected, wanted) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        out[end] = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return out
