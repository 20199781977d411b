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
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple

from podio_component.errors import InputError
from podio_component.podio.time import is_day, iso_utc, moment, podio_utc
from podio_component.validation import whole_number

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


def field_key(field: Field) -> str:
    """How `values`, forms and writes name a field: its external id, or its field id when
    it has none."""
    return str(field.get("external_id") or field.get("field_id"))


def printable(text: object) -> str:
    """Text from an app (a label, an external id) made safe to echo in one line: control
    characters escaped, so a label cannot forge a log or error line."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text)
    )


def field_name(field: Field) -> str:
    """How an error names a field: its label and its key."""
    label = (field.get("config") or {}).get("label") or field.get("label") or field_key(field)
    return f"{printable(label)} ({printable(field_key(field))})"


def refuse(field: Field, value: Any, expected: str) -> InputError:
    return InputError(field_name(field), expected, value)


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# Podio keeps numbers and money with 4 decimals (its answers: "6513.5100"); the largest it is
# taken to hold is 15 digits before the point (DECIMAL(19,4)), so a value is refused beyond.
NUMBER_LIMIT = Decimal("1e15")


def decimal(value: object) -> Decimal | None:
    """A finite number given as a JSON number or decimal text, exactly; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):  # the shortest text that reads back as this float
        value = repr(value)
    try:
        parsed = Decimal(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        return None
    return parsed if parsed.is_finite() else None


def number(text: object) -> int | float | Decimal | None:
    """Podio's decimal strings ("6513.5100") as a JSON number, exactly: whole ones as
    integers, others as floats where a float holds every digit, else as Decimal (written as
    the exact JSON number)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return text
    value = decimal(text)
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else value.normalize()


def _number_text(field: Field, value: Any, expected: str) -> str:
    """A number Podio can hold, as the decimal text Podio's writes take."""
    parsed = decimal(value)
    if parsed is None or abs(parsed) >= NUMBER_LIMIT:
        raise refuse(field, value, expected)
    return format(parsed, "f")


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
    if "value" not in raw[0] and raw[0].get("start_date"):  # a calculation that gives a date
        return _r_date(raw, settings)
    value = raw[0].get("value")
    numeric = number(value)
    return numeric if numeric is not None else value


def _r_category(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    texts = [v["value"].get("text") for v in raw if isinstance(v.get("value"), dict)]
    return _single_or_list(texts, settings)


def _r_moment(value: Mapping[str, Any], end: str) -> str | None:
    """One end of a date value: its date alone when it has no time, else ISO UTC."""
    if not value.get(f"{end}_time") and value.get(f"{end}_date"):
        return str(value[f"{end}_date"])
    utc = value.get(f"{end}_utc") or (value.get(end) if end == "start" else None)
    return str(utc) if utc and len(str(utc)) == 10 else iso_utc(utc)


def _r_date(raw: list[Any], settings: Mapping[str, Any]) -> Any:
    if not raw:
        return None
    return {"start": _r_moment(raw[0], "start"), "end": _r_moment(raw[0], "end")}


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
    return _number_text(field, value, "expected a number below 1e15 in size")


def _w_money(field: Field, value: Any) -> Any:
    allowed = settings_of(field).get("allowed_currencies") or []
    expected = (
        "expected {value, currency}"
        + (f" with a currency of {', '.join(allowed)} and" if allowed else " with")
        + " a value below 1e15 in size"
    )
    if not isinstance(value, Mapping):
        raise refuse(field, value, expected)
    currency = value.get("currency")
    if not isinstance(currency, str) or (allowed and currency not in allowed):
        raise refuse(field, value, expected)
    return {"value": _number_text(field, value.get("value"), expected), "currency": currency}


def choice_ids(field: Field, value: Any, multiple: bool | None = None) -> Any:
    """Option ids for option texts or ids; a list when the field (or a filter) takes many."""
    options = settings_of(field).get("options") or []
    active = {o.get("text"): o["id"] for o in options if o.get("status", "active") == "active"}
    deleted = {o.get("text") for o in options} | {o["id"] for o in options}
    if multiple is None:
        multiple = bool(settings_of(field).get("multiple"))
    given = listed(value)
    if len(given) > 1 and not multiple:
        raise refuse(field, value, "expected one option: the field takes one")
    expected = f"expected one of {', '.join(printable(t) for t in active)}"
    chosen = []
    for one in given:
        if isinstance(one, str) and one in active:
            chosen.append(active[one])
        elif isinstance(one, int) and not isinstance(one, bool) and one in active.values():
            chosen.append(one)
        elif isinstance(one, str | int) and not isinstance(one, bool) and one in deleted:
            raise refuse(field, one, f"the option was deleted from the app; {expected}")
        else:
            raise UnknownName(field_name(field), expected, one)
    return chosen if multiple else chosen[0]


def _w_moment(field: Field, end: str, when: Any, expected: str) -> dict[str, str]:
    """One end of a date: a date alone, or a date-time sent in UTC."""
    if not isinstance(when, str):
        raise refuse(field, when, expected)
    text = when.strip()
    try:
        if is_day(text):
            return {f"{end}_date": date.fromisoformat(text).isoformat()}
        if settings_of(field).get("time") == "disabled":
            raise ValueError(text)
        return {f"{end}_utc": podio_utc(moment(text))}
    except (ValueError, OverflowError):  # no such date, or its UTC time leaves the calendar
        raise refuse(field, when, expected) from None


def _w_date(field: Field, value: Any) -> Any:
    date_only = settings_of(field).get("time") == "disabled"
    ends = settings_of(field).get("end")
    expected = (
        ("expected a date YYYY-MM-DD" if date_only else "expected a date YYYY-MM-DD or a date-time")
        + " (years 1 to 9999)"
        + (", or {start, end}" if ends != "disabled" else "")
    )
    start, end = (
        (value.get("start"), value.get("end")) if isinstance(value, Mapping) else (value, None)
    )
    if end is not None and ends == "disabled":
        raise refuse(field, value, "expected a start only: the field takes no end date")
    if end is None and ends == "required":
        raise refuse(field, value, "expected {start, end}: the field requires an end date")
    out = _w_moment(field, "start", start, expected)
    if end is not None:
        out.update(_w_moment(field, "end", end, expected))
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
    """Addresses, each in the form Podio documents, `{"value": address}`."""
    places = listed(value)
    if not all(isinstance(p, str) and p for p in places):
        raise refuse(field, value, "expected an address (text), or a list of them")
    return [{"value": place} for place in places]


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
    expected = "expected a number or {from, to} of numbers below 1e15 in size"
    bounds = wanted if isinstance(wanted, Mapping) else {"from": wanted, "to": wanted}
    if not bounds or not set(bounds) <= {"from", "to"}:
        raise refuse(field, wanted, expected)
    out = {}
    for end, value in bounds.items():
        parsed = decimal(value)
        if parsed is None or abs(parsed) >= NUMBER_LIMIT:
            raise refuse(field, wanted, expected)
        out[end] = int(parsed) if parsed == parsed.to_integral_value() else float(parsed)
    return out


def _f_none(field: Field, wanted: Any) -> Any:
    raise refuse(
        field,
        wanted,
        f"Podio's filter does not filter on {field.get('type')} fields; filter on categories, "
        "references, contacts, numbers, money, progress, duration, calculations or dates",
    )


def date_range(name: str, wanted: Any) -> dict[str, Any]:
    """A {from, to} of dates or date-times as the filter takes it; a date covers its day."""
    expected = "expected {from, to} with dates YYYY-MM-DD or date-times"
    if not isinstance(wanted, Mapping) or not wanted or not set(wanted) <= {"from", "to"}:
        raise InputError(name, expected, wanted)
    out = {}
    for end, value in wanted.items():
        text = value.strip() if isinstance(value, str) else ""
        if is_day(text):
            try:
                day = date.fromisoformat(text).isoformat()
            except ValueError:
                raise InputError(name, expected, wanted) from None
            out[end] = f"{day} {'00:00:00' if end == 'from' else '23:59:59'}"
            continue
        try:
            out[end] = podio_utc(moment(text))
        except (ValueError, OverflowError):
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


_TYPED = _objects(type="string", value="string")
_DATE = Shape({"type": "object", "properties": {"start": _STRING.json, "end": _STRING.json}})
_MONEY = Shape({"type": "object", "properties": {"value": _NUMBER.json, "currency": _STRING.json}})
_PHONE = FieldType(_r_typed, _w_typed(PHONE_TYPES), _f_none, _TYPED)
_FILES = FieldType(_r_files, _w_ids("file_id", "a file id"), _f_none, _objects(file_id="number"))
_CHOICE = FieldType(_r_category, choice_ids, _f_choices, Shape({"type": "string"}, True, "setting"))
_IDS = {
    key: _w_ids(key, what)
    for key, what in (
        ("item_id", "an item id"),
        ("profile_id", "a profile id"),
        ("user_id", "a user id"),
    )
}

# "type" or "type:return_type" (a calculation is typed by what it returns)
TYPES: dict[str, FieldType] = {
    "text": FieldType(_r_scalar, _w_text, _f_none, _STRING),
    "number": FieldType(_r_number, _w_number, _f_range, _NUMBER),
    "money": FieldType(_r_money, _w_money, _f_range, _MONEY),
    "calculation": FieldType(_r_calculation, None, _f_range, _NUMBER),
    "calculation:date": FieldType(_r_calculation, None, _f_date, _DATE),
    "calculation:text": FieldType(_r_scalar, None, _f_none, _STRING),
    "category": _CHOICE,
    "question": _CHOICE,
    "date": FieldType(_r_date, _w_date, _f_date, _DATE),
    "app": FieldType(_r_references, _IDS["item_id"], _IDS["item_id"], _objects(item_id="number")),
    "contact": FieldType(
        _r_contacts, _IDS["profile_id"], _IDS["profile_id"], _objects(profile_id="number")
    ),
    "member": FieldType(_r_contacts, _IDS["user_id"], _IDS["user_id"], _objects(user_id="number")),
    "email": FieldType(_r_typed, _w_typed(EMAIL_TYPES), _f_none, _TYPED),
    "phone": _PHONE,
    "tel": _PHONE,
    "embed": FieldType(_r_embeds, _w_links, _f_none, Shape(_STRING.json, multiple="always")),
    "location": FieldType(
        _r_locations, _w_location, _f_none, Shape(_STRING.json, multiple="always")
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
    kind = str(field.get("type"))
    returns = settings_of(field).get("return_type")
    return TYPES.get(f"{kind}:{returns}") or TYPES.get(kind, UNKNOWN_TYPE)


# ---- the item-level keys ---------------------------------------------------------------


def _k_id(name: str, value: Any) -> int:
    return whole_number(name, value, 1, 2**63 - 1)


def _k_revision(name: str, value: Any) -> int:
    return whole_number(name, value, 0, 2**63 - 1)


def _k_external_id(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise InputError(name, "expected text of 1 to 255 characters", value)
    return value


def _k_tags(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise InputError(name, "expected a list of texts", value)
    return value


def _k_file_ids(name: str, value: Any) -> list[int]:
    if not isinstance(value, list):
        raise InputError(name, "expected a list of file ids", value)
    return [_k_id(name, one) for one in value]


def _k_attachments(name: str, value: Any) -> list[str]:
    """The message's attachments to upload and attach: "all", a name, or a list of them."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise InputError(name, 'expected "all", an attachment name or a list of names', value)
    return ["all"] if "all" in names else names


class ItemKey(NamedTuple):
    shape: Shape
    title: str
    check: Callable[[str, Any], Any]  # (name, given) -> what Podio takes, or InputError


ITEM_KEYS: dict[str, ItemKey] = {
    "item_id": ItemKey(_NUMBER, "Item ID", _k_id),
    "external_id": ItemKey(_STRING, "External ID", _k_external_id),
    "revision": ItemKey(_NUMBER, "Revision (to refuse a conflicting change)", _k_revision),
    "tags": ItemKey(Shape(_STRING.json, multiple="always"), "Tags", _k_tags),
    "file_ids": ItemKey(Shape(_NUMBER.json, multiple="always"), "File IDs", _k_file_ids),
    "attachments": ItemKey(
        Shape(_STRING.json, multiple="always"),
        'Attachments of the message to upload and attach ("all", or their names)',
        _k_attachments,
    ),
}
