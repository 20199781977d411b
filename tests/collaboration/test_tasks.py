"""Create, Complete, Reopen and Find Tasks against the emulator over loopback HTTP: due
dates on the right clock, one task per responsible, made once by the external ID under
each reading of Podio's filter, completing twice, paging and Podio's groups."""

from __future__ import annotations

import json
from typing import Any

import pytest

from podio_component.actions import complete_task, create_task, find_tasks, reopen_task
from podio_component.contract import events
from podio_component.emulator import Emulator, Fault
from podio_component.errors import InputError, PodioComponentError, PodioHTTPError
from tests.collaboration.world import new_task, podio_calls
from tests.helpers import cfg_for, run

CREATE = ("POST", "/task/item/5001*")
FILTER = ("GET", "/task/")
ON_ITEM = {"refType": "item", "refId": 5001}


def tasks_on_item(emulator: Emulator, item_id: int = 5001) -> list[dict[str, Any]]:
    on = {"type": "item", "id": item_id}
    return [t for t in emulator.world.tasks.stored.values() if t["ref"] == on]


def found(cfg: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    """What Find Tasks emits, and the output it returns, if any."""
    with events.collect() as collected:
        returned = find_tasks.process({"body": body}, cfg)
    return [message["body"] for message in [*collected.data, *([returned] if returned else [])]]


@pytest.mark.parametrize(
    ("due", "sent", "read"),
    [
        ("2026-12-24", {"due_date": "2026-12-24"}, "2026-12-24"),
        # zone-less: the credential user's own clock (Ada's, Asia/Kolkata, UTC+05:30)
        (
            "2026-12-24T17:00",
            {"due_date": "2026-12-24", "due_time": "17:00"},
            "2026-12-24T11:30:00Z",
        ),
        ("2026-12-24T17:00:00+01:00", {"due_on": "2026-12-24 16:00:00"}, "2026-12-24T16:00:00Z"),
        ("2026-12-24T23:00:00Z", {"due_on": "2026-12-24 23:00:00"}, "2026-12-24T23:00:00Z"),
    ],
)
def test_a_due_date_or_time_is_sent_by_the_task_rule_and_read_back(
    emulator: Emulator, due: str, sent: dict[str, str], read: str
) -> None:
    made = run(create_task, cfg_for(emulator), {"text": "Ship", "due": due, **ON_ITEM})
    posted = json.loads([e.body for e in emulator.log.entries() if e.method == "POST"][-1])
    assert {k: posted[k] for k in ("due_date", "due_time", "due_on") if k in posted} == sent
    assert made["tasks"][0]["due"] == read


def test_a_zoned_due_time_reads_on_the_users_own_clock(emulator: Emulator) -> None:
    made = run(create_task, cfg_for(emulator), {"text": "Call", "due": "2026-12-24T20:00:00Z"})
    task = made["tasks"][0]
    assert (task["due_date"], task["due_time"]) == ("2026-12-25", "01:30:00")  # Ada, +05:30


def test_several_responsible_people_make_one_task_each_and_the_output_is_a_list(
    emulator: Emulator,
) -> None:
    body = {"text": "Review", "responsible": [1002, "katherine@example.com"], **ON_ITEM}
    made = run(create_task, cfg_for(emulator), body)
    assert [t["responsible"]["user_id"] for t in made["tasks"]] == [1002, 1003]
    assert len(tasks_on_item(emulator)) == 2 and emulator.log.count(*CREATE) == 1
    one = run(create_task, cfg_for(emulator), {"text": "Solo", "responsible": 1002})
    assert len(one["tasks"]) == 1 and one["tasks"][0]["responsible"]["user_id"] == 1002


def test_an_address_is_looked_up_once_per_process(emulator: Emulator) -> None:
    body, cfg = {"text": "Call", "responsible": "Grace@Example.com"}, cfg_for(emulator)
    for _ in range(3):
        run(create_task, cfg, body)
    assert emulator.log.count("GET", "/contact*") == 1


def test_an_unknown_address_is_named_and_nothing_is_written(emulator: Emulator) -> None:
    with pytest.raises(InputError, match=r"nobody@example\.com") as caught:
        run(create_task, cfg_for(emulator), {"text": "Call", "responsible": ["nobody@example.com"]})
    assert caught.value.field == "responsible[0]"
    assert emulator.log.count("POST") == 0


def test_labels_reminder_privacy_and_description_reach_podio(emulator: Emulator) -> None:
    body = {
        "text": "Renew",
        "description": "The yearly contract",
        "private": "true",
        "due": "2027-01-31",
        "labels": ["Sales", "Legal"],
        "reminder": 60,
    }
    task = run(create_task, cfg_for(emulator), body)["tasks"][0]
    assert task["description"] == "The yearly contract" and task["private"] is True
    assert [label["text"] for label in task["labels"]] == ["Sales", "Legal"]
    assert task["reminder"] == {"remind_delta": 60}


@pytest.mark.parametrize("honoured", [True, False], ids=["filter-honours", "filter-ignores"])
@pytest.mark.parametrize("grouping", [None, "due_date"])
def test_with_an_external_id_a_task_is_made_once_in_two_calls(
    emulator: Emulator, honoured: bool, grouping: str | None
) -> None:
    world = emulator.world
    world.tasks.filters_external_id = honoured  # unverified: the emulator plays both
    world.tasks.default_grouping = grouping
    world.tasks.create({"text": "Other", "external_id": "other"}, ("item", 5001))
    body = {"text": "Once", "external_id": "deal-9", "responsible": [1002, 1003], **ON_ITEM}
    before = podio_calls(emulator)
    first = run(create_task, cfg_for(emulator), body)
    assert first["created"] is True and podio_calls(emulator) - before == 2
    again = run(create_task, cfg_for(emulator), body)
    assert again["created"] is False
    assert sorted(t["task_id"] for t in again["tasks"]) == sorted(
        t["task_id"] for t in first["tasks"]
    )
    assert len(tasks_on_item(emulator)) == 3 and emulator.log.count(*CREATE) == 1


@pytest.mark.parametrize("honoured", [True, False], ids=["filter-honours", "filter-ignores"])
def test_a_task_whose_answer_was_lost_is_found_not_made_again(
    emulator: Emulator, honoured: bool
) -> None:
    emulator.world.tasks.filters_external_id = honoured
    emulator.faults.add(*CREATE, Fault(apply=True, drop=True))
    made = run(
        create_task,
        cfg_for(emulator, retriesDelay="0"),
        {"text": "Lost", "external_id": "t-1", **ON_ITEM},
    )
    assert made["recovered"] is True and made["tasks"][0]["external_id"] == "t-1"
    assert len(tasks_on_item(emulator)) == 1 and emulator.log.count(*CREATE) == 1


def test_the_same_external_id_on_another_object_is_another_task(emulator: Emulator) -> None:
    run(create_task, cfg_for(emulator), {"text": "A", "external_id": "x", **ON_ITEM})
    other = run(
        create_task,
        cfg_for(emulator),
        {"text": "B", "external_id": "x", "refType": "item", "refId": 5002},
    )
    assert other["created"] is True and len(tasks_on_item(emulator, 5002)) == 1


def test_without_an_external_id_a_lost_answer_is_an_error_that_says_how_to_make_it_safe(
    emulator: Emulator,
) -> None:
    emulator.faults.add("POST", "/task*", Fault(apply=True, drop=True))
    with pytest.raises(PodioComponentError, match="external_id to make it safe"):
        run(create_task, cfg_for(emulator, retries="3", retriesDelay="0"), {"text": "x"})
    assert emulator.log.count("POST", "/task*") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": "  "}, "text"),
        ({"text": "x", "due": "tomorrow"}, "due"),
        ({"text": "x", "due": "2026-02-30"}, "due"),
        ({"text": "x", "reminder": 10}, "reminder"),
        ({"text": "x", "due": "2026-12-01", "reminder": -5}, "reminder"),
        ({"text": "x", "responsible": "bob"}, "responsible"),
        ({"text": "x", "responsible": [1002, True]}, "responsible[1]"),
        ({"text": "x", "refType": "task", "refId": 1}, "refType"),
        ({"text": "x", "refType": "item"}, "refId"),
        ({"text": "x", "private": "maybe"}, "private"),
        ({"text": "x", "labels": [1]}, "labels"),
        ({"text": "x", "assignee": 1002}, "assignee"),
    ],
)
def test_bad_input_is_named_and_nothing_is_sent(
    emulator: Emulator, body: dict[str, Any], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        run(create_task, cfg_for(emulator), body)
    assert caught.value.field == field
    assert podio_calls(emulator) == 0


# ---- complete and reopen -----------------------------------------------------------------


@pytest.mark.parametrize("again", ["ok", "error"])
def test_completing_a_completed_task_is_done(emulator: Emulator, again: str) -> None:
    emulator.world.tasks.again = again  # Podio's answer to completing twice is unverified
    task_id = new_task(emulator, {"text": "Call"})
    done = run(complete_task, cfg_for(emulator), {"task_id": task_id})
    assert done == {"task_id": task_id, "status": "completed", "recurring_task_id": None}
    assert podio_calls(emulator) == 1
    assert run(complete_task, cfg_for(emulator), {"task_id": str(task_id)})["status"] == "completed"
    reopened = run(reopen_task, cfg_for(emulator), {"task_id": task_id})
    assert reopened["status"] == "active"
    assert run(reopen_task, cfg_for(emulator), {"task_id": task_id})["status"] == "active"
    assert emulator.world.tasks.view(task_id)["status"] == "active"


def test_completing_a_recurring_task_gives_the_next_ones_id(emulator: Emulator) -> None:
    task_id = new_task(
        emulator,
        {"text": "Weekly report", "due_date": "2026-12-07", "recurrence": {"name": "weekly"}},
    )
    done = run(complete_task, cfg_for(emulator), {"task_id": task_id})
    following = emulator.world.tasks.view(done["recurring_task_id"])
    assert following["status"] == "active" and following["due_date"] == "2026-12-14"


def test_completing_a_task_that_is_not_there_is_podios_404(emulator: Emulator) -> None:
    with pytest.raises(PodioHTTPError) as caught:
        run(complete_task, cfg_for(emulator), {"task_id": 99})
    assert caught.value.status == 404


def test_a_bad_task_id_is_named(emulator: Emulator) -> None:
    with pytest.raises(InputError, match="task_id"):
        run(complete_task, cfg_for(emulator), {"task_id": "abc"})
    assert podio_calls(emulator) == 0


# ---- find ----------------------------------------------------------------------------------


@pytest.mark.parametrize("grouping", [None, "due_date", "responsible"])
def test_find_tasks_on_an_item_pages_and_flattens_podios_groups(
    emulator: Emulator, grouping: str | None
) -> None:
    world = emulator.world
    world.tasks.default_grouping = grouping
    for n in range(230):
        world.tasks.create(
            {"text": f"T{n}", "due_date": "2026-12-0" + str(1 + n % 9)}, ("item", 5001)
        )
    world.tasks.create({"text": "elsewhere"}, ("item", 5002))
    tasks = found(cfg_for(emulator, maxTasks="220"), ON_ITEM)
    assert len(tasks) == 220 and len({t["task_id"] for t in tasks}) == 220
    assert all(t["ref"] == {"type": "item", "id": 5001} for t in tasks)
    assert emulator.log.count(*FILTER) == 3  # 100 + 100 + 20


def test_find_tasks_by_every_filter(emulator: Emulator) -> None:
    world = emulator.world
    world.tasks.create(
        {"text": "a", "responsible": 1002, "due_date": "2026-12-10", "labels": ["Sales"]}
    )
    world.tasks.create({"text": "b", "responsible": 1002, "due_date": "2026-12-20"})
    world.tasks.complete(new_task(emulator, {"text": "c", "responsible": 1003, "external_id": "c"}))
    cfg = cfg_for(emulator, allowZeroResults="on")

    def texts(body: dict[str, Any]) -> list[str]:
        return sorted(t["text"] for t in found(cfg, body) if "text" in t)

    assert texts({"responsible": "grace@example.com"}) == ["a", "b"]
    assert texts({"completed": True}) == ["c"]
    assert texts({"completed": "false", "due_date": {"from": "2026-12-15"}}) == ["b"]
    assert texts({"label": "sales"}) == ["a"]
    assert texts({"created_on": {"to": "2000-01-01"}}) == []
    for honoured in (True, False):
        world.tasks.filters_external_id = honoured
        assert texts({"external_id": "c"}) == ["c"]


def test_find_tasks_emits_a_page_under_tasks_and_the_zero_results_rule(emulator: Emulator) -> None:
    emulator.world.tasks.create({"text": "a"}, ("item", 5001))
    pages = found(cfg_for(emulator, emitBehavior="emitPage"), ON_ITEM)
    assert len(pages) == 1 and [t["text"] for t in pages[0]["tasks"]] == ["a"]
    assert found(cfg_for(emulator, allowZeroResults="on"), {"refType": "item", "refId": 5002}) == [
        {}
    ]
    with pytest.raises(PodioComponentError, match="no tasks match"):
        found(cfg_for(emulator), {"refType": "item", "refId": 5002})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_date": "2026-12-01"}, "due_date"),
        ({"due_date": {"from": "12/01/2026"}}, "due_date.from"),
        ({"created_on": {}}, "created_on"),
        ({"completed": "sometimes"}, "completed"),
        ({"label": 0}, "label"),
        ({"refType": "comment", "refId": 1}, "refType"),
        ({"owner": 1}, "owner"),
    ],
)
def test_a_bad_filter_is_named_and_nothing_is_sent(
    emulator: Emulator, body: dict[str, Any], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        found(cfg_for(emulator), body)
    assert caught.value.field == field
    assert podio_calls(emulator) == 0


@pytest.mark.parametrize("honoured", [True, False], ids=["filter-honours", "filter-ignores"])
def test_find_by_external_id_reaches_past_max_tasks_when_podio_ignores_the_filter(
    emulator: Emulator, honoured: bool
) -> None:
    world = emulator.world
    world.tasks.filters_external_id = honoured
    for n in range(150):
        world.tasks.create({"text": f"other {n}"}, ("item", 5001))
    world.tasks.create({"text": "wanted", "external_id": "w"}, ("item", 5001))
    tasks = found(cfg_for(emulator, maxTasks="10"), {**ON_ITEM, "external_id": "w"})
    assert [t["text"] for t in tasks] == ["wanted"]
    assert emulator.log.count(*FILTER) == (1 if honoured else 2)
