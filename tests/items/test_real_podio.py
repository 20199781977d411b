"""Real Podio answers, captured from the service and published by other clients (in
tests/fixtures/real_podio/, each with its source in the file and in that folder's README):
every real item reads, writes back through Update Item's form and round-trips, and every
real app renders a form."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from podio_component.emulator.podio.fields import field_values
from podio_component.forms.meta_model import item_out_schema, schema
from podio_component.items.fields import field_key, field_type
from podio_component.items.values import item_values, write_values
from podio_component.json_text import dumps

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real_podio"


def sample(name: str) -> Any:
    found = json.loads((REAL / name).read_text(encoding="utf-8"))
    assert found["source"], name  # each sample names where it was captured
    return found["body"]


def real_items() -> dict[str, dict[str, Any]]:
    items = {name: sample(name) for name in sorted(p.name for p in REAL.glob("item-get-*.json"))}
    items["filter-slacknpodio.json"] = sample("filter-slacknpodio.json")["items"][0]
    fields = sample("value-multi-category-and-text-3p.json")
    category = fields[1]  # its author cut the config off: its options are its values
    options = [v["value"] for v in category["values"]]
    category["config"] = {"settings": {"multiple": True, "options": options}}
    items["value-multi-category-and-text-3p.json"] = {"fields": fields}
    for name in ("value-date-without-time-3p.json", "value-calculation-date-php.json"):
        field = {"field_id": 1, "external_id": "f", "label": "F", **sample(name)}
        items[name] = {"fields": [field]}
    return items


class AsPodioKeepsIt:
    """What a value points at, as the real item itself shows it: the emulator's field table
    stores a write through this, the way Podio would."""

    zone = ZoneInfo("UTC")

    def __init__(self, item: dict[str, Any]) -> None:
        self.pointed = {
            (key, v["value"][key]): v["value"]
            for f in item["fields"]
            for v in f.get("values") or []
            if isinstance(v.get("value"), dict)
            for key in ("item_id", "profile_id", "user_id", "file_id")
            if key in v["value"]
        }
        self.embeds: dict[int, dict[str, Any]] = {}

    def item_reference(self, item_id: int) -> dict[str, Any] | None:
        return self.pointed.get(("item_id", item_id))

    def profile(self, profile_id: int) -> dict[str, Any] | None:
        return self.pointed.get(("profile_id", profile_id))

    def member(self, user_id: int) -> dict[str, Any] | None:
        return self.pointed.get(("user_id", user_id))

    def file(self, file_id: int) -> dict[str, Any] | None:
        return self.pointed.get(("file_id", file_id))

    def embed(self, embed_id: int) -> dict[str, Any] | None:
        return self.embeds.get(embed_id)

    def made_embed(self, url: str) -> int:
        self.embeds[len(self.embeds) + 1] = {"original_url": url, "type": "link"}
        return len(self.embeds)


def as_emulated_app(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The real fields in the emulator's own shape (settings beside the field's ids)."""
    shaped = [
        {
            **((f.get("config") or {}).get("settings") or {}),
            "field_id": f["field_id"],
            "external_id": field_key(f),
            "type": f["type"],
            "label": f.get("label") or field_key(f),
        }
        for f in fields
    ]
    return {"fields": shaped}


@pytest.mark.parametrize("name", sorted(real_items()))
def test_every_real_item_reads_writes_back_and_round_trips(name: str) -> None:
    item = real_items()[name]
    values = item_values(item)
    assert set(values) == {field_key(f) for f in item["fields"]}
    dumps(values)  # and it is JSON
    definitions = [{k: v for k, v in f.items() if k != "values"} for f in item["fields"]]
    writable = {
        field_key(f): values[field_key(f)]
        for f in definitions
        if field_type(f).write is not None and values[field_key(f)] not in (None, [])
    }
    write = write_values(definitions, writable)  # Update Item's form takes every value back
    podio = AsPodioKeepsIt(item)
    sent = dict(write.fields)
    for key, urls in write.links.items():
        sent[key] = [{"embed": podio.made_embed(url)} for url in urls]
    stored = field_values(as_emulated_app(definitions), sent, podio)
    by_id = {f["field_id"]: f for f in definitions}
    read_back = item_values(
        {"fields": [{**by_id[field_id], "values": v} for field_id, v in stored.items()]}
    )
    assert read_back == writable


def test_a_date_calculation_reads_as_a_date() -> None:
    (field,) = real_items()["value-calculation-date-php.json"]["fields"]
    assert item_values({"fields": [field]}) == {"f": {"start": "2016-11-11T00:00:00Z", "end": None}}
    assert schema([field], {}, writing=False)["properties"]["f"]["type"] == "object"


def test_a_date_without_a_time_stays_a_date() -> None:
    (field,) = real_items()["value-date-without-time-3p.json"]["fields"]
    assert item_values({"fields": [field]})["f"] == {"start": "2018-10-15", "end": None}
    end_only_date = {**field["values"][0], "end_date": "2018-10-30", "end_utc": "2018-10-30"}
    read = item_values({"fields": [{**field, "values": [end_only_date]}]})["f"]
    assert read == {"start": "2018-10-15", "end": "2018-10-30"}
    timed_end = {**field["values"][0], "end_date": "2018-10-30", "end_time": "12:00:00"}
    timed_end["end_utc"] = "2018-10-30 10:00:00"
    read = item_values({"fields": [{**field, "values": [timed_end]}]})["f"]
    assert read == {"start": "2018-10-15", "end": "2018-10-30T10:00:00Z"}


def test_numbers_keep_every_digit() -> None:
    field = {"type": "number", "external_id": "n", "field_id": 1}
    exact = "123456789012345.1234"
    read = item_values({"fields": [{**field, "values": [{"value": exact}]}]})["n"]
    assert read == Decimal(exact) and dumps({"n": read}) == f'{{"n": {exact}}}'
    assert write_values([field], {"n": read}).fields == {"n": exact}
    assert item_values({"fields": [{**field, "values": [{"value": "6513.5100"}]}]})["n"] == 6513.51


@pytest.mark.parametrize(
    "name", ["app-get-php-large-app.json", "app-get-php198-contact-app-fragment.json"]
)
def test_every_real_app_renders_a_form(name: str) -> None:
    app = sample(name)
    active = [f for f in app["fields"] if f.get("status", "active") == "active"]
    form = schema(app["fields"], {"item_id": True}, writing=True)["properties"]
    assert "None" not in form
    assert set(form) == {"item_id"} | {
        field_key(f) for f in active if field_type(f).write is not None
    }
    for prop in form.values():
        assert prop["title"] and prop["type"] in ("string", "number", "object", "array")
    assert item_out_schema(app["fields"])["properties"]["values"]["properties"]
