"""The emulated Podio's field types: a write form in, the stored read form out, refused as
Podio refuses it (a 400 naming the field), and how a filter matches a field's values.

Write forms accepted, as Podio documents them: a scalar, `{"value": scalar}`, a sub-value
object, or a list of these. `[]` or `null` clears a field on update.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from podio_component.emulator.podio.model import ApiError

EMAIL_TYPES = {"home", "work", "other"}
PHONE_TYPES = {"mobile", "work", "home", "main", "work_fax", "private_fax", "other"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


class References(Protocol):
    """What a field value may point at (items, profiles, users, files, embeds), and the clock
    local date values are shown on."""

    zone: ZoneInfo

    def item_reference(self, item_id: int) -> dict[str, Any] | None: ...

    def profile(self, profile_id: int) -> dict[str, Any] | None: ...

    def member(self, user_id: int) -> dict[str, Any] | None: ...

    def file(self, file_id: int) -> dict[str, Any] | None: ...

    def embed(self, embed_id: int) -> dict[str, Any] | None: ...


def field_values(
    app: dict[str, Any], fields: dict[str, Any], refs: References
) -> dict[int, list[Any]]:
    """Every field of a write, checked before anything is stored: {field_id: read form}."""
    by_key = {str(f["field_id"]): f for f in app["fields"]}
    by_key.update({f["external_id"]: f for f in app["fields"] if f.get("external_id")})
    values: dict[int, list[Any]] = {}
    for key, raw in fields.items():
        definition = by_key.get(str(key))
        if definition is None:
            raise ApiError(400, "invalid_value", f'Invalid value "{key}" (string): No field found')
        if definition["type"] == "calculation":
            raise ApiError(400, "invalid_value", f"The field {definition['label']!r} is read-only")
        raw_list = [] if raw is None else raw if isinstance(raw, list) else [raw]
        multiple = bool(definition.get("multiple")) or definition["type"] in LISTS
        if len(raw_list) > 1 and not multiple:
            raise _refused(definition, raw, "takes one value")
        values[definition["field_id"]] = [_value(definition, v, refs) for v in raw_list]
    return values


def _refused(definition: dict[str, Any], raw: Any, why: str) -> ApiError:
    return ApiError(
        400,
        "invalid_value",
        f"Invalid value {raw!r} for field {definition['label']!r} ({definition['type']}): {why}",
    )


def _value(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
    kind = definition["type"]
    reader = _WRITERS.get(kind)
    if reader is None:
        raise _refused(definition, raw, "this type is not emulated")
    try:
        return reader(definition, raw, refs)
    except (TypeError, ValueError, KeyError):
        raise _refused(definition, raw, "not a value of this type") from None


def _unwrap(raw: Any) -> Any:
    return raw["value"] if isinstance(raw, dict) and set(raw) == {"value"} else raw


def _text(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
    raw = _unwrap(raw)
    if not isinstance(raw, str):
        raise TypeError(raw)
    return {"value": raw}


def _decimal(raw: Any) -> str:
    """A number as Podio keeps it: a decimal string with 4 places, up to 15 digits before
    the point (the emulator's reading of Podio's limit)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise TypeError(raw)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite() or abs(value) >= Decimal("1e15"):
        raise ValueError(raw)
    return str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))


def _number(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
    return {"value": _decimal(_unwrap(raw))}


def _money(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
    currency = raw["currency"]
    allowed = definition.get("allowed_currencies")
    if not isinstance(currency, str) or (allowed and currency not in allowed):
        raise ValueError(currency)
    return {"value": _decimal(raw["value"]), "currency": currency}


def _category(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
    raw = _unwrap(raw)
    option_id = raw.get("id") if isinstance(raw, dict) else raw
    for option in definition.get("options", []):
        if option["id"] == option_id and not isinstance(option_id, bool):
            return {"value": {**option, "status": "active"}}
    raise ValueError(raw)


def _date(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError(raw)
    has_end = any(raw.get(k) for k in ("end", "end_date", "end_utc"))
    ends = definition.get("end")
    if (ends == "disabled" and has_end) or (ends == "required" and not has_end):
        raise ValueError(raw)
    date_only = definition.get("time") == "disabled"
    out: dict[str, Any] = {}
    for end in ("start", "end"):
        when = raw.get(f"{end}_utc") or raw.get(end)
        day = raw.get(f"{end}_date")
        if when is None and day is None:
            if end == "start":
                raise ValueError(raw)
            continue
        if date_only or when is None:  # a date-only field, or a date without a time
            day = day or str(when)[:10]
            if not _DATE.fullmatch(str(day)):
                raise ValueError(raw)
            out.update({f"{end}_date": day, f"{end}_time": None, f"{end}": day, f"{end}_utc": day})
        else:
            if when is None or not _DATETIME.fullmatch(str(when)):
                raise ValueError(raw)
            utc = datetime.strptime(str(when), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            local = utc.astimezone(refs.zone).strftime("%Y-%m-%d %H:%M:%S")
            out.update(
                {
                    f"{end}": local,  # on the user's clock, as Podio shows it
                    f"{end}_date": local[:10],
                    f"{end}_time": local[11:],
                    f"{end}_utc": when,
                    f"{end}_date_utc": str(when)[:10],
                    f"{end}_time_utc": str(when)[11:],
                }
            )
    return out


def _pointer(look: Callable[[References, int], dict[str, Any] | None]) -> Writer:
    def write(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
        raw = _unwrap(raw)
        if isinstance(raw, dict):
            raw = (
                raw.get("item_id")
                or raw.get("profile_id")
                or raw.get("file_id")
                or raw.get("user_id")
            )
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise TypeError(raw)
        found = look(refs, raw)
        if found is None:
            raise ValueError(raw)
        return {"value": found}

    return write


def _typed(allowed: set[str]) -> Writer:
    def write(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
        if not isinstance(raw, dict) or raw.get("type") not in allowed:
            raise ValueError(raw)
        if not isinstance(raw.get("value"), str) or not raw["value"]:
            raise ValueError(raw)
        return {"type": raw["type"], "value": raw["value"]}

    return write


def _embed(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
    embed_id = raw.get("embed") if isinstance(raw, dict) else raw
    if isinstance(embed_id, bool) or not isinstance(embed_id, int):
        raise TypeError(raw)
    found = refs.embed(embed_id)
    if found is None:
        raise ValueError(raw)
    return {"embed": found, "file": None}


def _location(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
    raw = _unwrap(raw)
    if not isinstance(raw, str) or not raw:
        raise TypeError(raw)
    return {"value": raw, "formatted": raw}


def _whole(lowest: int, highest: int) -> Writer:
    def write(definition: dict[str, Any], raw: Any, refs: References) -> dict[str, Any]:
        raw = _unwrap(raw)
        if isinstance(raw, bool) or not isinstance(raw, int) or not lowest <= raw <= highest:
            raise ValueError(raw)
        return {"value": raw}

    return write


Writer = Callable[[dict[str, Any], Any, References], dict[str, Any]]
_WRITERS: dict[str, Writer] = {
    "text": _text,
    "number": _number,
    "money": _money,
    "category": _category,
    "question": _category,
    "date": _date,
    "app": _pointer(lambda refs, n: refs.item_reference(n)),
    "contact": _pointer(lambda refs, n: refs.profile(n)),
    "member": _pointer(lambda refs, n: refs.member(n)),
    "image": _pointer(lambda refs, n: refs.file(n)),
    "file": _pointer(lambda refs, n: refs.file(n)),
    "email": _typed(EMAIL_TYPES),
    "phone": _typed(PHONE_TYPES),
    "embed": _embed,
    "location": _location,
    "duration": _whole(0, 10**9),
    "progress": _whole(0, 100),
}
LISTS = {"app", "contact", "member", "image", "file", "email", "phone", "embed", "location"}


def plain(definition: dict[str, Any], value: dict[str, Any]) -> Any:
    """A stored value as a filter compares it: option ids, referenced ids, numbers."""
    kind = definition["type"]
    inner: Any = value.get("value")
    if kind in ("category", "question"):
        return inner["id"]
    if kind in ("app",):
        return inner["item_id"]
    if kind == "contact":
        return inner["profile_id"]
    if kind in ("number", "money", "calculation"):
        return Decimal(inner)
    if kind == "date":
        return value.get("start_utc")
    return inner
