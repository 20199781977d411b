"""`values`: every item field type read into its simple form (the read direction of the item
field table), one row per type, from Podio's own read shapes."""

from __future__ import annotations

from typing import Any

import pytest

from podio_component.items.fields import number
from podio_component.items.values import item_values

USER = {"profile_id": 2001, "user_id": 1001, "name": "Ada Lovelace", "type": "user"}
EMBED = {"embed_id": 9, "original_url": "https://example.com/a", "resolved_url": "https://x"}

ROWS: list[tuple[str, str, list[dict[str, Any]], dict[str, Any], Any]] = [
    ("text", "text", [{"value": "Deal"}], {}, "Deal"),
    ("number", "number", [{"value": "6513.5100"}], {}, 6513.51),
    ("number, whole", "number", [{"value": "60.0000"}], {}, 60),
    (
        "money",
        "money",
        [{"value": "541.9870", "currency": "EUR"}],
        {},
        {"value": 541.987, "currency": "EUR"},
    ),
    ("calculation, numeric", "calculation", [{"value": "123.5600"}], {}, 123.56),
    ("calculation, text", "calculation", [{"value": "n/a"}], {}, "n/a"),
    (
        "category, single",
        "category",
        [{"value": {"id": 2, "text": "Negotiation", "status": "active", "color": "F7F0C5"}}],
        {"multiple": False},
        "Negotiation",
    ),
    (
        "category, multiple",
        "category",
        [{"value": {"id": 1, "text": "A"}}, {"value": {"id": 3, "text": "C"}}],
        {"multiple": True},
        ["A", "C"],
    ),
    (
        "category, multiple with one",
        "category",
        [{"value": {"id": 1, "text": "A"}}],
        {"multiple": True},
        ["A"],
    ),
    ("question", "question", [{"value": {"id": 1, "text": "Yes"}}], {}, "Yes"),
    (
        "date, with times",
        "date",
        [
            {
                "start": "2014-12-11 23:00:00",
                "start_date": "2014-12-11",
                "start_time": "23:00:00",
                "start_utc": "2014-12-11 22:00:00",
                "end_utc": "2014-12-12 08:00:00",
            }
        ],
        {},
        {"start": "2014-12-11T22:00:00Z", "end": "2014-12-12T08:00:00Z"},
    ),
    (
        "date, date-only without end",
        "date",
        [{"start_date": "2026-12-31", "start_time": None, "start_utc": "2026-12-31"}],
        {},
        {"start": "2026-12-31", "end": None},
    ),
    (
        "app reference",
        "app",
        [{"value": {"item_id": 5001, "title": "Engine", "app": {"app_id": 30}}}],
        {},
        [{"item_id": 5001, "title": "Engine"}],
    ),
    ("contact", "contact", [{"value": USER}], {}, [{"profile_id": 2001, "name": "Ada Lovelace"}]),
    (
        "member",
        "member",
        [{"value": {"user_id": 1001, "name": "Ada"}}],
        {},
        [{"user_id": 1001, "name": "Ada"}],
    ),
    (
        "email",
        "email",
        [{"type": "work", "value": "a@b.c"}],
        {},
        [{"type": "work", "value": "a@b.c"}],
    ),
    (
        "phone",
        "phone",
        [{"type": "mobile", "value": "+1 555"}],
        {},
        [{"type": "mobile", "value": "+1 555"}],
    ),
    ("link", "embed", [{"embed": EMBED, "file": None}], {}, ["https://example.com/a"]),
    ("location", "location", [{"value": "650 Townsend", "city": "SF"}], {}, ["650 Townsend"]),
    ("duration", "duration", [{"value": 3604}], {}, 3604),
    ("progress", "progress", [{"value": 55}], {}, 55),
    (
        "image",
        "image",
        [{"value": {"file_id": 7001, "name": "logo.png", "link": "https://f"}}],
        {},
        [{"file_id": 7001, "name": "logo.png"}],
    ),
    (
        "file",
        "file",
        [{"value": {"file_id": 7002, "name": "a.pdf"}}],
        {},
        [{"file_id": 7002, "name": "a.pdf"}],
    ),
    (
        "a type the table does not know",
        "hologram",
        [{"value": {"x": 1}}],
        {},
        [{"value": {"x": 1}}],
    ),
]


@pytest.mark.parametrize(
    ("kind", "values", "settings", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_each_field_type_reads_into_its_simple_form(
    kind: str, values: list[dict[str, Any]], settings: dict[str, Any], expected: Any
) -> None:
    item = {
        "item_id": 1,
        "fields": [
            {
                "field_id": 301,
                "external_id": "the-field",
                "type": kind,
                "label": "The field",
                "config": {"settings": settings},
                "values": values,
            }
        ],
    }
    assert item_values(item) == {"the-field": expected}


def test_values_are_keyed_by_external_id_and_fall_back_to_the_field_id() -> None:
    item = {
        "fields": [
            {"field_id": 1, "external_id": "title", "type": "text", "values": [{"value": "A"}]},
            {"field_id": 2, "type": "text", "values": [{"value": "B"}]},
        ]
    }
    assert item_values(item) == {"title": "A", "2": "B"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [("6513.5100", 6513.51), ("12.0000", 12), ("-3", -3), (4.5, 4.5), ("x", None), (None, None)],
)
def test_podio_decimal_strings_become_numbers(given: object, expected: object) -> None:
    assert number(given) == expected
