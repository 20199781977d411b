"""The emulated comments, tasks, status messages and contacts over loopback HTTP, each
unverified reading played: what a comment create answers, whether the task filter honours
external_id, a grouping Podio applies unasked, and completing a completed task."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from podio_component.emulator import Emulator
from podio_component.emulator.podio.revisions import Writer

Call = Callable[..., Any]


@pytest.fixture
def podio(emulator: Emulator) -> Call:
    """One call to the emulated Podio as its first user (Ada, Asia/Kolkata); the JSON answer,
    or the status code for an error or an empty answer."""
    headers = {"Authorization": f"OAuth2 {emulator.issue_token()['access_token']}"}

    def call(method: str, path: str, **kwargs: Any) -> Any:
        answer = requests.request(
            method, f"{emulator.podio_url}{path}", headers=headers, timeout=10, **kwargs
        )
        return answer.json() if answer.ok and answer.content else answer.status_code

    return call


def test_comments_on_each_object_are_listed_oldest_first_got_and_deleted(
    emulator: Emulator, podio: Call
) -> None:
    first = podio("POST", "/comment/item/5001/", json={"value": "one", "external_id": "a"})
    second = podio("POST", "/comment/item/5001/", json={"value": "two"})
    assert [c["value"] for c in podio("GET", "/comment/item/5001/")] == ["one", "two"]
    assert podio("GET", f"/comment/{first['comment_id']}")["external_id"] == "a"
    assert podio("DELETE", f"/comment/{second['comment_id']}") == 204
    assert podio("GET", f"/comment/{second['comment_id']}") == 404
    assert podio("POST", "/comment/space/20/", json={"value": "hi"})["ref"]["type"] == "space"
    assert podio("POST", "/comment/item/31337/", json={"value": "hi"}) == 404
    assert podio("POST", "/comment/conversation/1/", json={"value": "hi"}) == 404
    emulator.world.comments.answer = "id"
    assert set(podio("POST", "/comment/app/30/", json={"value": "x"})) == {"comment_id"}


def test_a_mention_outside_the_space_is_refused_until_alert_invite(
    emulator: Emulator, podio: Call
) -> None:
    body = {"value": "@[Alan Turing](user:1004)"}
    refused = requests.post(
        f"{emulator.podio_url}/comment/item/5001/",
        json=body,
        headers={"Authorization": f"OAuth2 {emulator.issue_token()['access_token']}"},
        timeout=10,
    ).json()
    assert refused["error_detail"] == "alert.no_access.invite"
    assert refused["error_parameters"] == {
        "names": ["Alan Turing"],
        "space_id": 20,
        "space_name": "Sales",
    }
    assert podio("POST", "/comment/item/5001/?alert_invite=true", json=body)["value"]
    assert podio("POST", "/comment/item/5002/", json=body)["value"]  # invited now


def test_one_task_per_responsible_and_a_list_answer_for_several(podio: Call) -> None:
    one = podio("POST", "/task/", json={"text": "a", "responsible": 1002})
    assert one["responsible"]["user_id"] == 1002 and one["ref"] is None
    several = podio(
        "POST",
        "/task/item/5001/",
        json={"text": "b", "responsible": [1002, {"type": "mail", "id": "katherine@example.com"}]},
    )
    assert [t["responsible"]["user_id"] for t in several] == [1002, 1003]
    assert podio("POST", "/task/", json={"text": "c", "responsible": 99}) == 400
    assert podio("POST", "/task/", json={"description": "no text"}) == 400


def test_due_times_are_given_and_read_on_each_users_own_clock(
    emulator: Emulator, podio: Call
) -> None:
    task = podio(
        "POST", "/task/", json={"text": "a", "due_date": "2026-12-24", "due_time": "17:00"}
    )
    assert task["due_on"] == "2026-12-24 11:30:00"  # Ada writes on Asia/Kolkata's clock
    grace = emulator.world.directory.users[1002]  # Grace reads on New York's
    seen = emulator.world.tasks.view(task["task_id"], Writer("user", grace["user_id"], None))
    assert (seen["due_date"], seen["due_time"]) == ("2026-12-24", "06:30:00")
    day = podio("POST", "/task/", json={"text": "b", "due_date": "2026-12-24"})
    assert (day["due_on"], day["due_date"], day["due_time"]) == (None, "2026-12-24", None)


@pytest.mark.parametrize("honoured", [True, False])
def test_the_filter_with_its_parameters_groupings_and_the_external_id_readings(
    emulator: Emulator, podio: Call, honoured: bool
) -> None:
    emulator.world.tasks.filters_external_id = honoured
    podio(
        "POST", "/task/item/5001/", json={"text": "a", "external_id": "x", "due_date": "2026-12-01"}
    )
    podio("POST", "/task/item/5001/", json={"text": "b", "labels": ["Sales"]})
    podio("POST", "/task/item/5002/", json={"text": "c", "external_id": "x"})

    def texts(**query: str) -> list[str]:
        return sorted(t["text"] for t in podio("GET", "/task/", params=query))

    assert texts(reference="item:5001") == ["a", "b"]
    assert texts(reference="item:5001;item:5002") == ["a", "b", "c"]
    assert texts(external_id="x") == (["a", "c"] if honoured else ["a", "b", "c"])
    assert texts(due_date="2026-11-01-2026-12-31") == ["a"]
    assert texts(limit="1", offset="1", sort_by="created_on") == ["b"]
    grouped = podio("GET", "/task/", params={"grouping": "label"})
    assert {g["group"]["label"] for g in grouped} == {"Sales", "No label"}
    assert podio("GET", "/task/", params={"limit": "101"}) == 400
    assert podio("GET", "/task/", params={"grouping": "colour"}) == 400


@pytest.mark.parametrize("again", ["ok", "error"])
def test_complete_with_a_recurrence_incomplete_update_and_delete(
    emulator: Emulator, podio: Call, again: str
) -> None:
    emulator.world.tasks.again = again
    task = podio(
        "POST",
        "/task/",
        json={"text": "a", "due_date": "2026-01-31", "recurrence": {"name": "monthly"}},
    )
    done = podio("POST", f"/task/{task['task_id']}/complete")
    following = podio("GET", f"/task/{done['recurring_task_id']}")
    assert (following["status"], following["due_date"]) == ("active", "2026-02-28")
    assert podio("POST", f"/task/{task['task_id']}/complete") == ({} if again == "ok" else 400)
    assert podio("POST", f"/task/{task['task_id']}/incomplete") == {}
    changed = podio("PUT", f"/task/{task['task_id']}", json={"text": "renamed"})
    assert (changed["text"], changed["status"]) == ("renamed", "active")
    assert podio("DELETE", f"/task/{task['task_id']}") == 204
    assert podio("GET", f"/task/{task['task_id']}") == 404


def test_status_messages_in_the_seeds_space_and_contacts_by_mail(podio: Call) -> None:
    made = podio(
        "POST",
        "/status/space/20/",
        json={"value": "Hi", "question": {"text": "Lunch?", "options": ["Yes", "No"]}},
    )
    assert podio("GET", f"/status/{made['status_id']}")["question"]["text"] == "Lunch?"
    assert podio("POST", "/status/space/99/", json={"value": "Hi"}) == 404
    assert podio("DELETE", f"/status/{made['status_id']}") == 204
    (grace,) = podio("GET", "/contact/", params={"mail": "GRACE@example.com"})
    assert grace["user_id"] == 1002
    assert podio("GET", "/contact/", params={"mail": "nobody@example.com"}) == []
