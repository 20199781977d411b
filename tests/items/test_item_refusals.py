"""The item actions as a new user and an attacker would use them: writes stay in the step's
app, and what Podio cannot take is refused first, naming the field and what was given, with
nothing sent but the app's fields read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from podio_component.actions import create_item, find_items, update_item, upsert_item
from podio_component.contract import events
from podio_component.emulator import Emulator
from podio_component.errors import InputError
from podio_component.forms.apps import forget_app_lists
from podio_component.items.app_fields import forget_app_fields
from tests.helpers import cfg_for, run

ITEM_STEP = {"app": "40", "retries": "0"}


@pytest.fixture(autouse=True)
def fresh_fields() -> Iterator[None]:
    forget_app_fields()
    forget_app_lists()
    yield
    forget_app_fields()


def sent(emulator: Emulator) -> list[str]:
    """What reached Podio besides reading the app's fields."""
    return [
        f"{e.method} {e.path}" for e in emulator.log.entries() if not e.path.startswith("/app/")
    ]


def refused(emulator: Emulator, action: Any, body: dict[str, Any], match: str) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    with events.collect(), pytest.raises(InputError, match=match):
        action.process({"body": body}, cfg)
    assert sent(emulator) == []


def test_update_refuses_an_item_of_another_app_naming_both(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    with pytest.raises(
        InputError, match=r"item 5001 is in app 30 \(Deals\), not in this step's app 40"
    ):
        run(update_item, cfg, {"item_id": 5001, "title": "overwritten?"})
    assert emulator.log.count("PUT", "/item/*") == 0
    assert emulator.log.count("GET", "/item/5001") == 1  # the one read that checks it


def test_update_form_requires_only_the_item_id(emulator: Emulator) -> None:
    form = update_item.getMetaModel(cfg_for(emulator, **ITEM_STEP))["in"]["properties"]
    assert [name for name, prop in form.items() if prop["required"]] == ["item_id"]
    create_form = create_item.getMetaModel(cfg_for(emulator, **ITEM_STEP))["in"]["properties"]
    assert create_form["title"]["required"] is True


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2026-13-45", "no such date"),
        ("0001-01-01T01:00:00+05:00", "UTC before year 1"),
        ("9999-12-31T23:00:00-05:00", "UTC after year 9999"),
    ],
)
def test_a_date_podio_refuses_is_refused_first(emulator: Emulator, value: str, why: str) -> None:
    refused(emulator, upsert_item, {"external_id": "d", "title": "t", "meeting": value}, "Meeting")


def test_a_year_below_1000_is_sent_with_its_four_digits(emulator: Emulator) -> None:
    body = {"title": "old", "close-date": "0999-05-06", "meeting": "0998-01-02T03:04:05Z"}
    made = run(create_item, cfg_for(emulator, **ITEM_STEP), body)
    assert made["values"]["close-date"] == {"start": "0999-05-06", "end": None}
    assert made["values"]["meeting"]["start"] == "0998-01-02T03:04:05Z"


def test_a_create_without_a_required_field_is_refused_first(emulator: Emulator) -> None:
    refused(
        emulator,
        create_item,
        {"count": 1, "external_id": "r-1"},
        r"required field.*Title \(title\)",
    )


def test_an_upserts_create_without_a_required_field_writes_nothing(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    with pytest.raises(InputError, match=r"required field.*Title \(title\)"):
        run(upsert_item, cfg, {"external_id": "new-1", "count": 1})
    assert [s for s in sent(emulator) if not s.endswith("/filter/")] == []  # only the lookup


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e400", 1e15, "twelve", True])
@pytest.mark.parametrize("where", ["number", "money", "filter"])
def test_numbers_podio_cannot_hold_are_refused_first(
    emulator: Emulator, number: Any, where: str
) -> None:
    if where == "filter":
        refused(emulator, find_items, {"count": {"from": number}}, "Count")
    elif where == "money":
        body = {"title": "t", "amount": {"value": number, "currency": "EUR"}}
        refused(emulator, create_item, body, "Amount")
    else:
        refused(emulator, create_item, {"title": "t", "count": number}, "Count")


@pytest.mark.parametrize(
    ("action", "body", "match"),
    [
        (create_item, {"title": "t", "tags": "one"}, "Invalid tags"),
        (create_item, {"title": "t", "tags": ["ok", 3]}, "Invalid tags"),
        (create_item, {"title": "t", "file_ids": ["a file"]}, "Invalid file_ids"),
        (create_item, {"title": "t", "file_ids": [0]}, "Invalid file_ids"),
        (update_item, {"item_id": 1, "external_id": 42, "title": "t"}, "Invalid external_id"),
        (upsert_item, {"external_id": "e", "revision": "latest", "title": "t"}, "Invalid revision"),
        (create_item, {"title": "t", "item_id": 5}, "Invalid item_id: got 5; this action takes"),
    ],
)
def test_item_level_keys_are_checked(
    emulator: Emulator, action: Any, body: dict[str, Any], match: str
) -> None:
    refused(emulator, action, body, match)


@pytest.mark.parametrize(
    "filters",
    [
        {"title": {"from": 1}},
        {"email": {"$ne": None}},
        {"address": "Main St"},
        {"website": "https://example.com"},
        {"logo": [7001]},
        {"attachment": 7001},
    ],
)
def test_find_refuses_filters_podios_filter_does_not_take(
    emulator: Emulator, filters: dict[str, Any]
) -> None:
    refused(emulator, find_items, filters, "Podio's filter does not filter on")


def test_the_bare_fields_prefix_is_named_as_given(emulator: Emulator) -> None:
    refused(emulator, create_item, {"title": "t", "fields.": "x"}, r"Invalid fields\.: expected")


def test_a_field_given_twice_is_ambiguous(emulator: Emulator) -> None:
    refused(emulator, create_item, {"title": "a", "fields.title": "b"}, "given twice")


def test_a_revision_given_as_text_is_sent_as_the_number(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    made = run(create_item, cfg, {"title": "first"})
    changed = run(
        update_item, cfg, {"item_id": made["item_id"], "revision": "0", "title": "second"}
    )
    assert changed["values"]["title"] == "second"
    put = next(e for e in emulator.log.entries() if e.method == "PUT")
    assert json.loads(put.body)["revision"] == 0


def test_a_calculation_is_refused_even_to_clear(emulator: Emulator) -> None:
    empties: list[Any] = [None, []]
    for empty in empties:
        refused(emulator, create_item, {"title": "t", "score": empty}, "calculated by Podio")


def test_a_deleted_option_is_not_offered_and_its_refusal_says_so(emulator: Emulator) -> None:
    stage = next(f for f in emulator.world.directory.apps[40]["fields"] if f["field_id"] == 403)
    stage["options"].append({"id": 9, "text": "Lost", "color": "DDDDDD", "status": "deleted"})
    form = create_item.getMetaModel(cfg_for(emulator, **ITEM_STEP))["in"]["properties"]
    assert "Lost" not in form["stage"]["enum"]
    forget_app_fields()
    refused(emulator, create_item, {"title": "t", "stage": "Lost"}, "the option was deleted")


def test_a_field_without_an_external_id_is_keyed_by_its_field_id(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    form = create_item.getMetaModel(cfg)["in"]["properties"]
    assert "421" in form and "None" not in form
    made = run(create_item, cfg, {"title": "t", "421": "a note"})
    assert made["values"]["421"] == "a note"


def test_labels_are_echoed_with_their_control_characters_escaped(emulator: Emulator) -> None:
    count = next(f for f in emulator.world.directory.apps[40]["fields"] if f["field_id"] == 405)
    count["label"] = "Count\nINFO forged line"
    with pytest.raises(InputError) as caught:
        run(create_item, cfg_for(emulator, **ITEM_STEP), {"title": "t", "count": "many"})
    assert "\n" not in caught.value.message and "Count\\nINFO" in caught.value.message


def test_an_unknown_field_of_a_big_app_names_the_closest_not_all(emulator: Emulator) -> None:
    fields = emulator.world.directory.apps[40]["fields"]
    fields += [
        {"field_id": 10_000 + n, "external_id": f"field-{n}", "type": "text", "label": f"F{n}"}
        for n in range(3000)
    ]
    with pytest.raises(InputError) as caught:
        run(create_item, cfg_for(emulator, **ITEM_STEP), {"title": "t", "field-12x": "v"})
    message = caught.value.message
    assert "fields; the closest are field-12, " in message and "among its 3,0" in message
    assert len(message) < 400


def test_hook_is_a_yes_no_select_that_keeps_the_values_flows_send(emulator: Emulator) -> None:
    expected = {"yes": "true", "no": "false", "": "true", None: "true", True: "true"}
    expected |= {False: "false", "on": "true", "true": "true", "false": "false"}
    for given, on_the_wire in expected.items():
        cfg = cfg_for(emulator, **ITEM_STEP, hook=given)
        run(create_item, cfg, {"title": f"hook {given!r}"})
        create = [
            e for e in emulator.log.entries() if e.method == "POST" and e.path == "/item/app/40/"
        ]
        assert f"hook={on_the_wire}" in create[-1].query, given


def test_no_item_read_marks_the_users_notifications_as_viewed(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    made = run(create_item, cfg, {"title": "t", "external_id": "v-1"})
    run(update_item, cfg, {"item_id": made["item_id"], "title": "u"})
    run(upsert_item, cfg, {"external_id": "v-1", "title": "w"})
    from podio_component.actions import lookup_object_by_id

    lookup_object_by_id.process({"body": {"id": made["item_id"]}}, {**cfg, "objectType": "item"})
    assert emulator.world.items.viewed == []
    emulator.world.items.view(made["item_id"], mark_as_viewed=True)  # as Podio's default read
    assert emulator.world.items.viewed == [made["item_id"]]


def test_location_and_money_are_written_in_the_forms_podio_documents(emulator: Emulator) -> None:
    body = {"title": "t", "address": "1 Main St", "amount": {"value": "12.50", "currency": "EUR"}}
    run(create_item, cfg_for(emulator, **ITEM_STEP), body)
    create = [e for e in emulator.log.entries() if e.method == "POST" and e.path == "/item/app/40/"]
    fields = json.loads(create[-1].body)["fields"]
    assert fields["address"] == [{"value": "1 Main St"}]
    assert fields["amount"] == {"value": "12.50", "currency": "EUR"}
