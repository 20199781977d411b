"""Item Events never goes deaf, against the emulator over loopback HTTP: hooks repaired at
every start, deliveries Podio dropped caught up (0 lost, 0 doubled), the flow's own
write-backs with `hook: no` left alone, and comment and file events once each."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from podio_component.emulator import Emulator
from tests.helpers import PodioApi, SetEnv, cfg_for
from tests.triggers.hook_flow import HookFlow


@pytest.fixture
def flow(frozen_emulator: Emulator, setenv: SetEnv) -> Iterator[HookFlow]:
    running = HookFlow(frozen_emulator, setenv, cfg_for(frozen_emulator, app="30"))
    running.cfg["events"] = ["created", "updated", "deleted", "comment", "file"]
    running.start()
    assert running.run() == []  # the hooks verified; the first catch-up only records
    yield running
    running.close()


@pytest.fixture
def podio(frozen_emulator: Emulator) -> PodioApi:
    """Someone else at work in the app (another user than the flow's credential)."""
    return PodioApi(frozen_emulator, "grace@example.com")


def tick(emulator: Emulator, seconds: int = 2) -> None:
    emulator.world.clock.advance(seconds)


def create(podio: PodioApi, emulator: Emulator, title: str) -> int:
    item_id = int(podio.call("POST", "/item/app/30/", json={"fields": {"title": title}})["item_id"])
    tick(emulator)
    return item_id


def edit(podio: PodioApi, emulator: Emulator, item_id: int, **fields: Any) -> None:
    podio.call("PUT", f"/item/{item_id}", json={"fields": fields})
    tick(emulator)


def events_of(emitted: list[dict[str, Any]]) -> Counter[tuple[str, int, int | None]]:
    return Counter((e["event"], e["item_id"], e.get("revision")) for e in emitted)


@pytest.mark.parametrize("dropped", [1, 3])
def test_deliveries_podio_dropped_are_caught_up_once(
    flow: HookFlow, podio: PodioApi, frozen_emulator: Emulator, dropped: int
) -> None:
    frozen_emulator.world.hooks.faults.drop = dropped
    lost = [create(podio, frozen_emulator, f"lost {n}") for n in range(dropped)]
    heard = create(podio, frozen_emulator, "heard")
    flow.age(16)  # the last catch-up is older than catchUpMinutes
    emitted = flow.run()
    assert events_of(emitted) == Counter(("created", i, 0) for i in [*lost, heard])
    assert all(e["caughtUp"] for e in emitted if e["item_id"] in lost)
    assert flow.run() == []


def test_a_hook_made_inactive_is_verified_again_at_the_next_start_and_what_it_missed_caught_up(
    flow: HookFlow, podio: PodioApi, frozen_emulator: Emulator
) -> None:
    hook = next(h for h in podio.hooks() if h["type"] == "item.create")
    frozen_emulator.world.hooks.deactivate(hook["hook_id"])
    missed = create(podio, frozen_emulator, "missed")
    assert flow.delivered() == []
    flow.restart()  # init: a new verification asked for; the first delivery catches up
    emitted = flow.run()  # the verify arrives first, and catches up
    assert [(e["event"], e["item_id"], e["caughtUp"]) for e in emitted] == [
        ("created", missed, True)
    ]
    assert {h["hook_id"]: h["status"] for h in podio.hooks()}[hook["hook_id"]] == "active"
    heard = create(podio, frozen_emulator, "heard again")
    assert [e["item_id"] for e in flow.run()] == [heard]


def test_a_hook_deleted_by_hand_is_made_again_and_the_update_it_missed_has_its_changes(
    flow: HookFlow, podio: PodioApi, frozen_emulator: Emulator
) -> None:
    item_id = create(podio, frozen_emulator, "before")
    flow.run()
    hook = next(h for h in podio.hooks() if h["type"] == "item.update")
    podio.call("DELETE", f"/hook/{hook['hook_id']}")
    edit(podio, frozen_emulator, item_id, title="after")
    flow.restart()
    (caught,) = flow.run()
    assert (caught["event"], caught["revision"], caught["caughtUp"]) == ("updated", 1, True)
    assert caught["changes"] == [
        {"field": "title", "label": "Title", "from": "before", "to": "after"}
    ]
    assert sum(1 for h in podio.hooks() if h["type"] == "item.update") == 1


def test_a_catch_up_racing_a_delivery_of_the_same_revision_emits_it_once(
    flow: HookFlow, podio: PodioApi, frozen_emulator: Emulator
) -> None:
    item_id = create(podio, frozen_emulator, "raced")
    flow.age(16)  # the delivery itself finds a catch-up due: the walk sees the item first
    emitted = flow.run()
    assert events_of(emitted) == Counter({("created", item_id, 0): 1})
    edit(podio, frozen_emulator, item_id, title="raced again")
    frozen_emulator.world.hooks.faults.repeat = 1  # and a repeat after the walk
    flow.age(16)
    assert events_of(flow.run()) == Counter({("updated", item_id, 1): 1})


def test_the_flows_own_write_back_with_hook_no_is_not_caught_up(
    flow: HookFlow, podio: PodioApi, frozen_emulator: Emulator
) -> None:
    item_id = create(podio, frozen_emulator, "original")
    flow.run()
    # a later step of the flow writes back with the same credential and hook: no
    own = PodioApi(frozen_emulator)  # the flow's credential: the first user, the same API key
    own.call("PUT", f"/item/{item_id}?hook=false", json={"fields": {"title": "written back"}})
    tick(frozen_emulator)
    # someone else's hook: no write (Podio's web app) cannot be told from a lost delivery
    other = frozen_emulator.world.items.add(30, [{"title": "imported"}])[0]
    frozen_emulator.world.items.update(other, {"fields": {"title": "quietly"}}, hook=False)
    tick(frozen_emulator)
    trigger = create(podio, frozen_emulator, "trigger")
    flow.age(16)
    emitted = flow.run()
    assert item_id not in {e["item_id"] for e in emitted}
    assert {e["item_id"] for e in emitted} == {other, trigger}


def test_a_catch_up_that_finds_nothing_costs_one_call_and_0_minutes_turns_it_off(
    flow: HookFlow, podio: PodioApi, frozen_emulator: Emulator
) -> None:
    item_id = create(podio, frozen_emulator, "a")
    flow.run()
    edit(podio, frozen_emulator, item_id, title="b")
    flow.age(16)
    flow.run()  # a catch-up walks the edit (delivered already: nothing emitted twice)
    flow.age(16)
    podio.call("POST", f"/comment/item/{item_id}/", json={"value": "nothing to catch up"})
    (comment,) = flow.delivered()
    before = len(frozen_emulator.log.entries())
    flow.process(comment)
    made = [e.path for e in frozen_emulator.log.entries()[before:]]
    assert made == ["/item/app/30/filter/", f"/comment/{comment['body']['comment_id']}"]

    flow.cfg["catchUpMinutes"] = "0"
    flow.age(60)
    podio.call("POST", f"/comment/item/{item_id}/", json={"value": "no catch-up at all"})
    before = len(frozen_emulator.log.entries())
    flow.run()
    assert next(e.path for e in frozen_emulator.log.entries()[before:]).startswith("/comment/")


def test_a_catch_up_after_the_map_overflowed_repeats_only_what_was_forgotten(
    flow: HookFlow, podio: PodioApi, frozen_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    flow.cfg["catchUpMinutes"] = "0"  # deliveries alone, past what the map holds
    ids = frozen_emulator.world.items.add(30, [{"title": f"n{n}"} for n in range(320)])
    tick(frozen_emulator)
    first = flow.run()
    assert len(first) == 320
    assert any("forgotten" in r.getMessage() for r in caplog.records)
    remembered = {entry.split(":")[0] for entry in flow.snapshot["handled"].split()}
    forgotten = {i for i in ids if str(i) not in remembered}
    flow.cfg["catchUpMinutes"] = "15"
    flow.age(16)
    after = create(podio, frozen_emulator, "after")
    emitted = [e["item_id"] for e in flow.run()]
    again = [i for i in emitted if i != after]
    assert set(again) <= forgotten and len(again) == len(set(again))  # each once at most
    assert emitted.count(after) == 1
    assert len(flow.snapshot["handled"]) < 4_000  # the walk pruned what it covered


def test_comment_and_file_events_each_once(
    flow: HookFlow, podio: PodioApi, frozen_emulator: Emulator
) -> None:
    item_id = create(podio, frozen_emulator, "with a comment")
    flow.run()
    frozen_emulator.world.hooks.faults.repeat = 1
    comment_id = podio.call("POST", f"/comment/item/{item_id}/", json={"value": "Looks good"})[
        "comment_id"
    ]
    (comment,) = flow.run()
    assert comment["event"] == "comment" and comment["item_id"] == item_id
    assert comment["comment"]["comment_id"] == comment_id
    assert comment["comment"]["text"] == "Looks good"
    assert comment["comment"]["author"]["id"] == 1002  # grace

    podio.call("POST", "/file/7002/attach", json={"ref_type": "item", "ref_id": item_id})
    (attached,) = flow.run()
    assert (attached["event"], attached["action"]) == ("file", "created")
    assert attached["files"][0]["name"] == "logo.png"
    before = len(frozen_emulator.log.entries())
    podio.call("DELETE", "/file/7002")
    (deleted,) = flow.run()
    assert deleted["files"] == [{"file_id": 7002}]
    assert len(frozen_emulator.log.entries()) - before == 1  # the DELETE itself: no read


def test_catch_up_follows_creation_when_only_created_is_chosen(
    flow: HookFlow, podio: PodioApi, frozen_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="podio_component")
    flow.cfg["events"] = ["created"]
    flow.start()  # the step edited and the flow started again
    flow.age(16)
    old = create(podio, frozen_emulator, "old")
    flow.run()  # its catch-up now follows creation, from where the app stands
    frozen_emulator.world.hooks.faults.drop = 1
    new = create(podio, frozen_emulator, "new")
    edit(podio, frozen_emulator, old, title="edited, not an event")
    heard = create(podio, frozen_emulator, "heard")
    flow.age(16)
    emitted = flow.run()
    assert events_of(emitted) == Counter({("created", new, 0): 1, ("created", heard, 0): 1})
