"""Create, Update, Upsert by External ID and Find Items against the emulator's app 40, which
has one field of every type: values both ways, refusals before anything is sent, writes
that happen once, and the call budget."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from podio_component.actions import create_item, find_items, update_item, upsert_item
from podio_component.contract import events
from podio_component.emulator import Emulator, Fault
from podio_component.errors import InputError, PodioComponentError
from podio_component.forms.apps import forget_app_lists
from podio_component.items.app_fields import forget_app_fields
from tests.helpers import ROOT, cfg_for, run

CREATE = ("POST", "/item/app/40/")
LOOKUP = ("POST", "/item/app/40/filter/")


@pytest.fixture(autouse=True)
def fresh_schemas() -> Iterator[None]:
    forget_app_fields()  # each test's emulator is new
    forget_app_lists()
    yield
    forget_app_fields()
    forget_app_lists()


ITEM_STEP = {"app": "40", "retries": "2", "retriesDelay": "10"}  # fast retries


def podio_writes(emulator: Emulator) -> int:
    return sum(
        1 for e in emulator.log.entries() if e.method in ("POST", "PUT") and "/filter" not in e.path
    )


# simple value written -> the simple value read back (None: the same)
ROUND_TRIP: list[tuple[str, Any, Any]] = [
    ("title", "A thing", None),
    ("amount", {"value": 99.5, "currency": "EUR"}, None),
    ("stage", "Won", None),
    ("stage", 2, "Negotiation"),  # an option by its id
    ("colors", ["Red", "Blue"], None),
    ("count", 7, None),
    ("close-date", "2026-12-31", {"start": "2026-12-31", "end": None}),
    ("close-date", {"start": "2026-12-01", "end": "2026-12-31"}, None),
    ("meeting", "2026-12-01T09:30:00+02:00", {"start": "2026-12-01T07:30:00Z", "end": None}),
    ("meeting", {"start": "2026-12-01T09:30:00Z", "end": "2026-12-01T10:00:00Z"}, None),
    ("deal", [5001], [{"item_id": 5001, "title": "Analytical engine licence"}]),
    ("owner", [{"profile_id": 2001}], [{"profile_id": 2001, "name": "Ada Lovelace"}]),
    ("member", [1002], [{"user_id": 1002, "name": "Grace Hopper"}]),
    ("email", [{"type": "work", "value": "ada@example.com"}], None),
    ("phone", [{"type": "mobile", "value": "+44 20 7946 0000"}], None),
    ("website", ["https://example.com/engine"], None),
    ("address", ["12 St James's Square, London"], None),
    ("duration", 3600, None),
    ("progress", 55, None),
    ("logo", [7002], [{"file_id": 7002, "name": "logo.png"}]),
    ("attachment", [{"file_id": 7001}], [{"file_id": 7001, "name": "contract.pdf"}]),
    ("approved", "Yes", None),
]


@pytest.mark.parametrize(
    ("key", "written", "read"), ROUND_TRIP, ids=[f"{r[0]}-{n}" for n, r in enumerate(ROUND_TRIP)]
)
def test_every_type_is_written_read_back_and_written_back_unchanged(
    emulator: Emulator, key: str, written: Any, read: Any
) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    body = {"title": "Round trip"} if key != "title" else {}
    created = run(create_item, cfg, {**body, key: written})
    expected = written if read is None else read
    assert created["values"][key] == expected
    assert created["created"] is True
    again = run(update_item, cfg, {"item_id": created["item_id"], key: created["values"][key]})
    assert again["values"][key] == expected  # what is emitted can be written back unchanged


def test_a_calculation_is_read_not_written(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    created = run(create_item, cfg, {"title": "Sums", "count": 21})
    assert created["values"]["score"] == 42
    with pytest.raises(InputError, match=r"Score \(score\).*calculated by Podio"):
        run(update_item, cfg, {"item_id": created["item_id"], "score": 1})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"stage": "Wonn"},
            "Invalid Stage (stage): got 'Wonn'; expected one of Lead, Negotiation, Won",
        ),
        (
            {"close-date": "31/12/2026"},
            "Invalid Close date (close-date): got '31/12/2026'; expected a date YYYY-MM-DD",
        ),
        ({"amount": {"value": 1, "currency": "JPY"}}, "with a currency of EUR, USD, GBP"),
        ({"progress": 101}, "expected a whole number from 0 to 100"),
        ({"website": ["ftp://x"]}, "expected a URL starting with http"),
        ({"email": [{"type": "pager", "value": "x"}]}, "with a type of home, work, other"),
        ({"nosuchfield": 1}, "no such field in the app"),
    ],
)
def test_a_value_podio_would_refuse_is_refused_before_anything_is_sent(
    emulator: Emulator, body: dict[str, Any], message: str
) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    before = podio_writes(emulator), emulator.log.count(*LOOKUP)
    with pytest.raises(InputError) as caught:
        run(create_item, cfg, {"title": "Refused", "external_id": "x-1", **body})
    assert message in caught.value.message
    assert (
        podio_writes(emulator),
        emulator.log.count(*LOOKUP),
    ) == before  # no write, lookup or embed


def test_create_with_an_external_id_twice_makes_one_item_in_two_calls(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    first = run(create_item, cfg, {"title": "Once", "external_id": "deal-42"})
    calls = emulator.log.count(*LOOKUP) + emulator.log.count(*CREATE)
    assert calls == 2  # the lookup and the create (the cached schema and the read-back aside)
    second = run(create_item, cfg, {"title": "Twice?", "external_id": "deal-42"})
    assert (first["created"], second["created"]) == (True, False)
    assert second["item_id"] == first["item_id"] and second["values"]["title"] == "Once"
    assert emulator.log.count(*CREATE) == 1


@pytest.mark.parametrize(
    "fault", [Fault(apply=True, status=503), Fault(apply=True, drop=True)], ids=["503", "dropped"]
)
def test_an_ambiguous_create_is_looked_up_and_recovered_not_repeated(
    emulator: Emulator, fault: Fault
) -> None:
    emulator.faults.add(*CREATE, fault)  # Podio created it, but the answer was lost
    created = run(
        create_item, cfg_for(emulator, **ITEM_STEP), {"title": "Recovered", "external_id": "deal-7"}
    )
    assert created["recovered"] is True
    found = emulator.world.items.filter(40, {"filters": {"external_id": ["deal-7"]}})
    assert found["filtered"] == 1
    assert emulator.log.count(*CREATE) == 1


def test_a_create_that_did_not_happen_is_tried_again_within_the_retries(emulator: Emulator) -> None:
    emulator.faults.add(*CREATE, Fault(drop=True))  # not applied: Podio never had it
    created = run(
        create_item, cfg_for(emulator, **ITEM_STEP), {"title": "Again", "external_id": "deal-8"}
    )
    assert created["created"] is True and "recovered" not in created
    assert emulator.log.count(*CREATE) == 2


def test_a_create_without_external_id_is_never_repeated_and_says_how_to_make_it_safe(
    emulator: Emulator,
) -> None:
    emulator.faults.add(*CREATE, Fault(apply=True, status=503))
    with pytest.raises(PodioComponentError, match="Give it an external_id to make it safe"):
        run(create_item, cfg_for(emulator, **ITEM_STEP), {"title": "Unsafe"})
    assert emulator.log.count(*CREATE) == 1


def test_upsert_creates_then_updates_in_two_calls_each(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    made = run(upsert_item, cfg, {"external_id": "u-1", "title": "First", "count": 1})
    assert made["created"] is True
    before = emulator.log.count(*LOOKUP) + emulator.log.count("PUT", "/item/*")
    changed = run(upsert_item, cfg, {"external_id": "u-1", "count": 2})
    assert emulator.log.count(*LOOKUP) + emulator.log.count("PUT", "/item/*") - before == 2
    assert changed["created"] is False and changed["item_id"] == made["item_id"]
    assert changed["values"]["count"] == 2 and changed["values"]["title"] == "First"


def test_upsert_with_a_shared_external_id_lists_the_items_and_changes_nothing(
    emulator: Emulator,
) -> None:
    ids = emulator.world.items.add(40, [{"title": "a"}, {"title": "b"}])
    for item_id in ids:
        emulator.world.items.stored[item_id]["external_id"] = "shared"
    with pytest.raises(PodioComponentError) as caught:
        run(upsert_item, cfg_for(emulator, **ITEM_STEP), {"external_id": "shared", "title": "c"})
    assert f"items {ids[0]}, {ids[1]}" in caught.value.message
    assert [emulator.world.items.stored[i]["title"] for i in ids] == ["a", "b"]


def test_update_changes_only_the_given_fields_and_null_clears_one(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    made = run(create_item, cfg, {"title": "Keep", "count": 3, "stage": "Lead"})
    changed = run(update_item, cfg, {"item_id": made["item_id"], "count": None})
    assert changed["values"]["title"] == "Keep" and changed["values"]["stage"] == "Lead"
    assert "count" not in changed["values"]


def test_a_conflicting_revision_names_both_and_a_replay_of_the_same_change_is_recognised(
    emulator: Emulator,
) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    made = run(create_item, cfg, {"title": "v0"})
    item_id = made["item_id"]
    run(update_item, cfg, {"item_id": item_id, "title": "v1", "revision": 0})
    again = run(update_item, cfg, {"item_id": item_id, "title": "v1", "revision": 0})
    assert again["values"]["title"] == "v1"  # its own change, already applied: no conflict
    with pytest.raises(PodioComponentError) as caught:
        run(update_item, cfg, {"item_id": item_id, "title": "other", "revision": 0})
    assert caught.value.message == (
        f"item {item_id} was changed since revision 0: it is at revision 1 now; nothing was "
        "written (Podio's 409)"
    )


def test_hook_and_silent_are_sent_to_podio(emulator: Emulator) -> None:
    run(create_item, cfg_for(emulator, **ITEM_STEP, hook="off", silent="on"), {"title": "Quiet"})
    (create,) = [e for e in emulator.log.entries() if (e.method, e.path) == CREATE]
    assert "hook=false" in create.query and "silent=true" in create.query


def find(cfg: dict[str, Any], body: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
    with events.collect() as collected:
        output = find_items.process({"body": body}, cfg)
    return collected.data, output


def test_find_filters_in_simple_form_and_pages_under_the_hood(emulator: Emulator) -> None:
    items = emulator.world.items
    items.add(40, [{"title": f"n{n}", "stage": 1 + n % 3, "count": n} for n in range(1200)])
    cfg = cfg_for(emulator, **ITEM_STEP, maxItems="700", sort_by="count")
    before = emulator.log.count(*LOOKUP)
    data, output = find(cfg, {"stage": "Won", "count": {"from": 0, "to": 1199}})
    assert output is None
    assert len(data) == 400  # every third of 1,200
    assert all(m["body"]["values"]["stage"] == "Won" for m in data)
    assert emulator.log.count(*LOOKUP) - before == 1  # 400 < 500: one page
    data, _ = find(cfg, {"count": {"from": 0, "to": 1199}})
    assert len(data) == 700 and emulator.log.count(*LOOKUP) - before == 3  # 500 + 200
    paged, _ = find(cfg_for(emulator, **ITEM_STEP, maxItems="700", emitBehavior="emitPage"), {})
    assert [len(m["body"]["items"]) for m in paged] == [500, 200]


def test_find_with_zero_results_is_empty_or_an_error_as_the_checkbox_says(
    emulator: Emulator,
) -> None:
    data, output = find(cfg_for(emulator, **ITEM_STEP, allowZeroResults="on"), {"stage": "Won"})
    assert data == [] and output["body"] == {}
    with pytest.raises(PodioComponentError, match="no items in app 40 match"):
        find(cfg_for(emulator, **ITEM_STEP), {"stage": "Won"})


def test_find_failing_part_way_says_how_many_were_emitted(emulator: Emulator) -> None:
    emulator.world.items.add(40, [{"title": f"n{n}"} for n in range(600)])
    emulator.faults.add(*LOOKUP, Fault(), Fault(status=400))
    with pytest.raises(
        PodioComponentError, match="500 item\\(s\\) were emitted before the failure"
    ):
        find(cfg_for(emulator, **ITEM_STEP, maxItems="1000"), {})


def test_get_meta_model_shows_the_apps_fields_as_the_form(emulator: Emulator) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP)
    model = create_item.getMetaModel(cfg)
    fields_in = model["in"]["properties"]
    assert fields_in["title"] == {"type": "string", "title": "Title", "required": True}
    assert fields_in["stage"]["enum"] == ["Lead", "Negotiation", "Won"]
    assert fields_in["colors"]["items"]["enum"] == ["Red", "Green", "Blue"]
    assert "score" not in fields_in  # a calculation is read-only
    assert "score" in model["out"]["properties"]["values"]["properties"]
    assert {"external_id", "tags", "file_ids"} <= set(fields_in)
    lookups = emulator.log.count("GET", "/app/40")
    upsert_item.getMetaModel(cfg)
    assert emulator.log.count("GET", "/app/40") == lookups  # once per credential and app


def test_a_released_hold_answers_after_the_write(emulator: Emulator) -> None:
    release = threading.Event()
    emulator.faults.add(*CREATE, Fault(apply=True, hold=release))
    worker = threading.Thread(
        target=run, args=(create_item, cfg_for(emulator, **ITEM_STEP), {"title": "Held"})
    )
    worker.start()
    emulator.log.wait_arrived(*CREATE)
    assert worker.is_alive()  # written, the answer held back
    release.set()
    worker.join(10)
    assert not worker.is_alive()


def test_describe_app_prints_the_form_for_a_laptop_user(emulator: Emulator) -> None:
    token = emulator.issue_token()["access_token"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "podio_component",
            "describe",
            "--app",
            "40",
            "--cfg",
            json.dumps({"oauth": {"access_token": token}}),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    model = json.loads(done.stdout)
    assert model["in"]["properties"]["stage"]["enum"] == ["Lead", "Negotiation", "Won"]


@pytest.mark.parametrize("blank", ["", "  ", None])
def test_find_with_a_blank_emit_behavior_emits_each_item(emulator: Emulator, blank: Any) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP, maxItems="2", emitBehavior=blank)
    emulator.world.items.add(40, [{"title": "a"}, {"title": "b"}])
    data, _ = find(cfg, {})
    assert len(data) == 2 and "items" not in data[0]["body"]


def test_find_with_an_unknown_emit_behavior_is_refused_naming_the_choices(
    emulator: Emulator,
) -> None:
    cfg = cfg_for(emulator, **ITEM_STEP, emitBehavior="emitAll")
    with pytest.raises(InputError, match=r"emitBehavior.*emitIndividually, emitPage"):
        find(cfg, {})
    assert emulator.log.count(*LOOKUP) == 0


def test_find_reads_through_a_502_as_a_get_would(emulator: Emulator) -> None:
    emulator.world.items.add(40, [{"title": "a", "stage": 3}])
    emulator.faults.add(*LOOKUP, Fault(status=502))
    data, _ = find(cfg_for(emulator, **ITEM_STEP), {"stage": "Won"})
    assert [m["body"]["title"] for m in data] == ["a"]
    assert emulator.log.count(*LOOKUP) == 2
