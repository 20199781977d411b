"""Podio's field types, one row each: how a value is read into its simple form, written back,
filtered on, whether it can be written at all, and the neutral shape a form shows for it.
Adding a type is adding a row. The item-level keys (`item_id`, `external_id`, ...) have a
table of their own at the end.

Read: Podio gives a field as `fields[].values[]`, each element shaped by the type (§4.2 of
the item reference); the simple form is what a flow maps, `values["stage"]` rather than
`fields[2].values[0].value.text`. Write: the same simple form, checked and converted before
anything is sent; a refusal names the field by label and external id, says what was
expected and shows what was given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple

from podio_component.errors import InputError
from podio_component.podio.time import is_day, iso_utc, moment, podio_utc

Field = Mapping[str, Any]  # a field as GET /app/{app_id} gives it
Reader = Callable[[list[Any], Mapping[str, Any]], Any]  # (Podio's values, settings) -> simple
Writer = Callable[[Field, Any], Any]  # (field, simple value) -> what Podio's write takes
Filter = Callable[[Field, Any], Any]  # (field, simple filter) -> what Podio's filter takes

EMAIL_TYPES = ("home", "work", "other")
PHONE_TYPES = ("mobile", "work", "home", "main", "work_fax", "private_fax", "other")


class Shape(NamedTuple):
    """What a form shows for one value, neutral of any form dialect: the JSON schema of a
    single value, whether its choices are the field's options, and whether it is a list
    (never, always, or as the field's `multiple` setting says)."""

    json: dict[str, Any]
    options: bool = False
    multiple: Literal["never", "always", "setting"] = "never"


class Links(NamedTuple):
    """An embed field's URLs: each becomes an embed (`POST /embed/`) once everything else
    in the write is known to be valid."""

    urls: list[str]


class FieldType(NamedTuple):
    read: Reader
    write: Writer | None  # None: calculated by Podio, never written
    filter: Filter
    shape: Shape


class UnknownName(InputError):
    """A field or an option the app's fields (as known) do not have: the fields may have
    changed since they were read."""


# ---- shared by several rows ------------------------------------------------------------


def settings_of(field: Field) -> Mapping[str, Any]:
    return (field.get("config") or {}).get("settings") or {}


def field_name(field: Field) -> str:
    """How an error names a field: its label and its external id."""
    return f"{field.get('label') or field.get('external_id')} ({field.get('external_id')})"


def refuse(field: Field, value: Any, expected: str) -> InputError:
    return InputError(field_name(field), expected, value)


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


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


def _as_given(field: Field, value: Any) -> Any:
    return value


# ---- read ------------------------------------------------------------------------------


def _single_or_list(items: list[Any], settings: Mapping[str, Any]) -> Any:
    if settings.get("multiple") or len(items) > 1:
        return items
    return items[0] if items else None


def _r_scalar(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return raw[0].get("value") if raw else None


def _r_number(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return number(raw[0].get("value")) if raw else None


def _r_money(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    if not raw:
        return None
    return {"value": number(raw[0].get("value")), "currency": raw[0].get("currency")}


def _r_calculation(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    if not raw:
        return None
    value = raw[0].get("value")
    numeric = number(value)
    return numeric if numeric is not None else value


def _r_category(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    texts = [v["value"].get("text") for v in raw if isinstance(v.get("value"), dict)]
    return _single_or_list(texts, settings)


def _r_date(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    if not raw:
        return None
    value = raw[0]
    if not value.get("start_time") and value.get("start_date"):  # a date-only field
        return {"start": value.get("start_date"), "end": value.get("end_date") or None}
    return {
        "start": iso_utc(value.get("start_utc") or value.get("start")),
        "end": iso_utc(value.get("end_utc")),
    }


def _r_references(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return [
        {"item_id": v["value"].get("item_id"), "title": v["value"].get("title")}
        for v in raw
        if isinstance(v.get("value"), dict)
    ]


def _r_contacts(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    contacts = []
    for v in raw:
        person = v.get("value")
        if isinstance(person, dict):
            key = "profile_id" if "profile_id" in person else "user_id"
            contacts.append({key: person.get(key), "name": person.get("name")})
    return contacts


def _r_typed(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return [{"type": v.get("type"), "value": v.get("value")} for v in raw]


def _r_embeds(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    urls = []
    for v in raw:
        embed = v.get("embed") or {}
        urls.append(embed.get("original_url") or embed.get("resolved_url") or embed.get("url"))
    return urls


def _r_locations(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return [v.get("value") or v.get("formatted") for v in raw]


def _r_files(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return [
        {"file_id": v["value"].get("file_id"), "name": v["value"].get("name")}
        for v in raw
        if isinstance(v.get("value"), dict)
    ]


def _r_raw(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    return raw  # a type the table does not know: as Podio gave it


# ---- write -----------------------------------------------------------------------------


def _w_text(field: Field, value: Any) -> Any:
    if not isinstance(value, str):
        raise refuse(field, value, "expected text")
    return value


def _w_number(field: Field, value: Any) -> Any:
    parsed = number(value) if not isinstance(value, bool) else None
    if parsed is None:
        raise refuse(field, value, "expected a number")
    return parsed


def _w_money(field: Field, value: Any) -> Any:
    allowed = settings_of(field).get("allowed_currencies") or []
    expected = "expected {value, currency}" + (
        f" with a currency of {', '.join(allowed)}" if allowed else ""
    )
    if not isinstance(value, Mapping):
        raise refuse(field, value, expected)
    amount = number(value.get("value")) if not isinstance(value.get("value"), bool) else None
    currency = value.get("currency")
    if amount is None or not isinstance(currency, str) or (allowed and currency not in allowed):
        raise refuse(field, value, expected)
    return {"value": amount, "currency": currency}


def choice_ids(field: Field, value: Any, multiple: bool | None = None) -> Any:
    """Option ids for option texts or ids; a list when the field (or a filter) takes many."""
    options = settings_of(field).get("options") or []
    by_text = {o.get("text"): o["id"] for o in options if o.get("status", "active") == "active"}
    ids = {o["id"] for o in options}
    if multiple is None:
        multiple = bool(settings_of(field).get("multiple"))
    given = listed(value)
    if len(given) > 1 and not multiple:
        raise refuse(field, value, "expected one option: the field takes one")
    chosen = []
    for one in given:
        if isinstance(one, str) and one in by_text:
            chosen.append(by_text[one])
        elif isinstance(one, int) and not isinstance(one, bool) and one in ids:
            chosen.append(one)
        else:
            raise UnknownName(
                field_name(field), f"expected one of {', '.join(map(str, by_text))}", one
            )
    return chosen if multiple else chosen[0]


def _w_date(field: Field, value: Any) -> Any:
    date_only = settings_of(field).get("time") == "disabled"
    expected = (
        "expected a date YYYY-MM-DD" if date_only else "expected a date YYYY-MM-DD or a date-time"
    ) + ", or {start, end}"
    start, end = (
        (value.get("start"), value.get("end")) if isinstance(value, Mapping) else (value, None)
    )
    out: dict[str, Any] = {}
    for name, when in (("start", start), ("end", end)):
        if when is None and name == "end":
            continue
        if not isinstance(when, str):
            raise refuse(field, value, expected)
        text = when.strip()
        if is_day(text):
            out[f"{name}_date"] = text
            continue
        if date_only:
            raise refuse(field, value, expected)
        try:
            out[f"{name}_utc"] = podio_utc(moment(text))
        except ValueError:
            raise refuse(field, value, expected) from None
    return out


def _w_ids(key: str, what: str) -> Writer:
    def write(field: Field, value: Any) -> Any:
        ids = []
        for one in listed(value):
            found = one.get(key) if isinstance(one, Mapping) else one
            if isinstance(found, bool) or not isinstance(found, int) or found <= 0:
                raise refuse(field, one, f"expected {what} (or {{{key}}}), or a list of them")
            ids.append(found)
        return ids

    return write


def _w_typed(types: tuple[str, ...]) -> Writer:
    def write(field: Field, value: Any) -> Any:
        entries = []
        for one in listed(value):
            ok = (
                isinstance(one, Mapping)
                and one.get("type") in types
                and isinstance(one.get("value"), str)
                and one["value"]
            )
            if not ok:
                raise refuse(
                    field, one, f"expected {{type, value}} with a type of {', '.join(types)}"
                )
            entries.append({"type": one["type"], "value": one["value"]})
        return entries

    return write


def _w_links(field: Field, value: Any) -> Links:
    urls = listed(value)
    for url in urls:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise refuse(field, url, "expected a URL starting with http:// or https://")
    return Links(urls)


def _w_location(field: Field, value: Any) -> Any:
    places = listed(value)
    if not all(isinstance(p, str) and p for p in places):
        raise refuse(field, value, "expected an address (text), or a list of them")
    return places


def _w_whole(lowest: int, highest: int, what: str) -> Writer:
    def write(field: Field, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
            raise refuse(field, value, f"expected {what}")
        return value

    return write


# ---- filter ----------------------------------------------------------------------------


def _f_choices(field: Field, wanted: Any) -> Any:
    return choice_ids(field, wanted, multiple=True)  # any of the options


def _f_range(field: Field, wanted: Any) -> dict[str, Any]:
    expected = "expected a number or {from, to}"
    bounds = wanted if isinstance(wanted, Mapping) else {"from": wanted, "to": wanted}
    if not bounds or not set(bounds) <= {"from", "to"}:
        raise refuse(field, wanted, expected)
    out = {}
    for end, value in bounds.items():
        parsed = number(value) if not isinstance(value, bool) else None
        if parsed is None:
            raise refuse(field, wanted, expected)
        out[end] = parsed
    return out


def date_range(name: str, wanted: Any) -> dict[str, Any]:
    """A {from, to} of dates or date-times as the filter takes it; a date covers its day."""
    expected = "expected {from, to} with dates YYYY-MM-DD or date-times"
    if not isinstance(wanted, Mapping) or not wanted or not set(wanted) <= {"from", "to"}:
        raise InputError(name, expected, wanted)
    out = {}
    for end, value in wanted.items():
        text = value.strip() if isinstance(value, str) else ""
        if is_day(text):
            out[end] = f"{text} {'00:00:00' if end == 'from' else '23:59:59'}"
            continue
        try:
            out[end] = podio_utc(moment(text))
        except ValueError:
            raise InputError(name, expected, wanted) from None
    return out


def _f_date(field: Field, wanted: Any) -> Any:
    return date_range(field_name(field), wanted)


# ---- the table -------------------------------------------------------------------------

_NUMBER = Shape({"type": "number"})
_STRING = Shape({"type": "string"})


def _objects(**properties: str) -> Shape:
    props = {name: {"type": kind} for name, kind in properties.items()}
    return Shape({"type": "object", "properties": props}, multiple="always")


_PHONE = FieldType(
    _r_typed, _w_typed(PHONE_TYPES), _as_given, _objects(type="string", value="string")
)
_FILES = FieldType(_r_files, _w_ids("file_id", "a file id"), _as_given, _objects(file_id="number"))
_CHOICE = FieldType(_r_category, choice_ids, _f_choices, Shape({"type": "string"}, True, "setting"))

TYPES: dict[str, FieldType] = {
    "text": FieldType(_r_scalar, _w_text, _as_given, _STRING),
    "number": FieldType(_r_number, _w_number, _f_range, _NUMBER),
    "money": FieldType(
        _r_money,
        _w_money,
        _f_range,
        Shape({"type": "object", "properties": {"value": _NUMBER.json, "currency": _STRING.json}}),
    ),
    "calculation": FieldType(_r_calculation, None, _f_range, _NUMBER),
    "category": _CHOICE,
    "question": _CHOICE,
    "date": FieldType(
        _r_date,
        _w_date,
        _f_date,
        Shape({"type": "object", "properties": {"start": _STRING.json, "end": _STRING.json}}),
    ),
    "app": FieldType(
        _r_references,
        _w_ids("item_id", "an item id"),
        _w_ids("item_id", "an item id"),
        _objects(item_id="number"),
    ),
    "contact": FieldType(
        _r_contacts,
        _w_ids("profile_id", "a profile id"),
        _w_ids("profile_id", "a profile id"),
        _objects(profile_id="number"),
    ),
    "member": FieldType(
        _r_contacts,
        _w_ids("user_id", "a user id"),
        _w_ids("user_id", "a user id"),
        _objects(user_id="number"),
    ),
    "email": FieldType(
        _r_typed, _w_typed(EMAIL_TYPES), _as_given, _objects(type="string", value="string")
    ),
    "phone": _PHONE,
    "tel": _PHONE,
    "embed": FieldType(_r_embeds, _w_links, _as_given, Shape(_STRING.json, multiple="always")),
    "location": FieldType(
        _r_locations, _w_location, _as_given, Shape(_STRING.json, multiple="always")
    ),
    "duration": FieldType(
        _r_number, _w_whole(0, 10**9, "a whole number of seconds"), _f_range, _NUMBER
    ),
    "progress": FieldType(
        _r_number, _w_whole(0, 100, "a whole number from 0 to 100"), _f_range, _NUMBER
    ),
    "image": _FILES,
    "file": _FILES,
}
UNKNOWN_TYPE = FieldType(_r_raw, _as_given, _as_given, _STRING)  # passed on as given


def field_type(field: Field) -> FieldType:
    return TYPES.get(str(field.get("type")), UNKNOWN_TYPE)


# ---- the item-level keys ---------------------------------------------------------------


class ItemKey(NamedTuple):
    shape: Shape
    title: str


ITEM_KEYS: dict[str, ItemKey] = {
    "item_id": ItemKey(_NUMBER, "Item ID"),
    "external_id": ItemKey(_STRING, "External ID"),
    "revision": ItemKey(_NUMBER, "Revision (to refuse a conflicting change)"),
    "tags": ItemKey(Shape(_STRING.json, multiple="always"), "Tags"),
    "file_ids": ItemKey(Shape(_NUMBER.json, multiple="always"), "File IDs"),
}
