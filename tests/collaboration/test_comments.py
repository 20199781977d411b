"""Add Comment against the emulator over loopback HTTP: on each kind of object, mentions,
files and a link, made once by its external ID under every failure, and bad input refused
before anything is sent."""

from __future__ import annotations

import io
from typing import Any

import pytest

from podio_component.actions import add_comment
from podio_component.collaboration.people import MentionRefused
from podio_component.emulator import Emulator, Fault
from podio_component.errors import InputError, PodioComponentError
from tests.collaboration.world import last_write, new_task, podio_calls
from tests.files.test_file_actions import stored
from tests.helpers import cfg_for, run

CREATE = ("POST", "/comment/item/5001*")
LIST = ("GET", "/comment/item/5001*")
GRACE = "@[Grace Hopper](user:1002)"
ALAN = "@[Alan Turing](user:1004)"  # not a member of the Sales workspace


def comments_on_item(emulator: Emulator) -> list[dict[str, Any]]:
    return emulator.world.comments.on("item", 5001)


@pytest.mark.parametrize("answer", ["full", "id"])
def test_a_comment_goes_on_an_item_by_default_in_one_call(emulator: Emulator, answer: str) -> None:
    emulator.world.comments.answer = answer  # Podio's answer to a create is unverified
    made = run(add_comment, cfg_for(emulator), {"refId": 5001, "value": f"Thanks {GRACE}"})
    assert made["value"] == f"Thanks {GRACE}" and made["ref"] == {"type": "item", "id": 5001}
    assert made["created"] is True and isinstance(made["comment_id"], int)
    assert [c["comment_id"] for c in comments_on_item(emulator)] == [made["comment_id"]]
    assert emulator.log.count(*CREATE) == 1
    assert podio_calls(emulator) == (1 if answer == "full" else 2)  # the read-back is not the write


@pytest.mark.parametrize("ref_type", ["task", "status", "app", "space"])
def test_a_comment_goes_on_a_task_status_app_or_space(emulator: Emulator, ref_type: str) -> None:
    world = emulator.world
    ref_id = {"app": 30, "space": 20}.get(ref_type, 0)
    if ref_type == "task":
        ref_id = new_task(emulator, {"text": "Call"})
    if ref_type == "status":
        ref_id = world.statuses.create(20, {"value": "Hello"})["status_id"]
    made = run(
        add_comment, cfg_for(emulator), {"refType": ref_type, "refId": ref_id, "value": "Hi"}
    )
    assert made["ref"] == {"type": ref_type, "id": ref_id}
    assert [c["value"] for c in world.comments.on(ref_type, ref_id)] == ["Hi"]


def test_with_an_external_id_a_comment_is_made_once_in_two_calls(emulator: Emulator) -> None:
    body = {"refId": 5001, "value": "Once", "external_id": "note-1"}
    first = run(add_comment, cfg_for(emulator), body)
    assert first["created"] is True and podio_calls(emulator) == 2  # the lookup, the create
    again = run(add_comment, cfg_for(emulator), body)
    assert again["created"] is False and again["comment_id"] == first["comment_id"]
    assert len(comments_on_item(emulator)) == 1 and emulator.log.count(*CREATE) == 1


@pytest.mark.parametrize("answer", ["full", "id"])
@pytest.mark.parametrize(
    "fault", [Fault(apply=True, drop=True), Fault(apply=True, status=503)], ids=["drop", "503"]
)
def test_a_comment_whose_answer_was_lost_is_found_not_posted_again(
    emulator: Emulator, fault: Fault, answer: str
) -> None:
    emulator.world.comments.answer = answer
    emulator.faults.add(*CREATE, fault)  # Podio made it, the answer never came
    body = {"refId": 5001, "value": "Lost answer", "external_id": "note-2"}
    made = run(add_comment, cfg_for(emulator, retriesDelay="0"), body)
    assert made["recovered"] is True and made["external_id"] == "note-2"
    assert len(comments_on_item(emulator)) == 1 and emulator.log.count(*CREATE) == 1


def test_a_comment_that_never_arrived_is_posted_again(emulator: Emulator) -> None:
    emulator.faults.add(*CREATE, Fault(drop=True))  # not applied
    body = {"refId": 5001, "value": "Again", "external_id": "note-3"}
    made = run(add_comment, cfg_for(emulator, retries="1", retriesDelay="0"), body)
    assert made["created"] is True and "recovered" not in made
    assert len(comments_on_item(emulator)) == 1 and emulator.log.count(*CREATE) == 2


def test_without_an_external_id_a_lost_answer_is_an_error_that_says_how_to_make_it_safe(
    emulator: Emulator,
) -> None:
    emulator.faults.add(*CREATE, Fault(apply=True, drop=True))
    with pytest.raises(PodioComponentError, match="external_id to make it safe") as caught:
        run(
            add_comment,
            cfg_for(emulator, retries="3", retriesDelay="0"),
            {"refId": 5001, "value": "x"},
        )
    assert "may have been created" in caught.value.message
    assert len(comments_on_item(emulator)) == 1 and emulator.log.count(*CREATE) == 1


def test_a_refused_mention_names_the_people_and_how_to_invite_them(emulator: Emulator) -> None:
    body = {"refId": 5001, "value": f"Welcome {ALAN} and {GRACE}"}
    with pytest.raises(MentionRefused) as caught:
        run(add_comment, cfg_for(emulator), body)
    assert "Alan Turing" in caught.value.message and "Grace" not in caught.value.message
    assert "alertInvite" in caught.value.message and "Sales" in caught.value.message
    assert comments_on_item(emulator) == []
    made = run(add_comment, cfg_for(emulator, alertInvite="on"), body)
    assert made["created"] is True and emulator.world.people.is_member(20, 1004)
    assert last_write(emulator)["alert_invite"] == ["true"]


def test_a_mention_of_someone_who_cannot_be_invited_says_so(emulator: Emulator) -> None:
    emulator.world.directory.users[1004]["invitable"] = False
    with pytest.raises(MentionRefused, match=r"Alan Turing.*cannot be invited"):
        run(add_comment, cfg_for(emulator, alertInvite="on"), {"refId": 5001, "value": ALAN})
    assert comments_on_item(emulator) == []


def test_silent_and_hook_options_reach_podio(emulator: Emulator) -> None:
    run(add_comment, cfg_for(emulator, silent="on", hook="no"), {"refId": 5001, "value": "Quiet"})
    sent = last_write(emulator)
    assert sent["silent"] == ["true"] and sent["hook"] == ["false"]


def test_a_comment_carries_the_messages_attachments_file_ids_and_a_link(
    emulator: Emulator,
) -> None:
    url = stored(emulator, b"%PDF minutes")
    existing = emulator.world.files.upload(io.BytesIO(b"agenda"), "agenda.txt", 0)["file_id"]
    msg = {
        "body": {
            "refId": 5001,
            "value": "Minutes attached",
            "attachments": "minutes.pdf",
            "file_ids": [existing],
            "embed_url": "https://example.com/meeting",
        },
        "attachments": {"minutes.pdf": {"url": url, "content-type": "application/pdf"}},
    }
    made = add_comment.process(msg, cfg_for(emulator))["body"]
    assert sorted(f["name"] for f in made["files"]) == ["agenda.txt", "minutes.pdf"]
    assert made["embed"]["original_url"] == "https://example.com/meeting"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"refId": 5001}, "value"),
        ({"value": "x"}, "refId"),
        ({"refId": "five", "value": "x"}, "refId"),
        ({"refType": "conversation", "refId": 1, "value": "x"}, "refType"),
        ({"refId": 5001, "value": "x", "extrenal_id": "a"}, "extrenal_id"),
        ({"refId": 5001, "value": 7}, "value"),
        ({"refId": 5001, "value": "x", "file_ids": ["a"]}, "file_ids[0]"),
        ({"refId": 5001, "value": "x", "embed_url": "ftp://x"}, "embed_url"),
        ({"refId": 5001, "value": "x", "attachments": "missing.pdf"}, "attachments"),
    ],
)
def test_bad_input_is_named_and_nothing_is_sent(
    emulator: Emulator, body: dict[str, Any], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        run(add_comment, cfg_for(emulator), body)
    assert caught.value.field.startswith(field)
    assert podio_calls(emulator) == 0


def test_a_bad_option_is_named_and_nothing_is_sent(emulator: Emulator) -> None:
    with pytest.raises(InputError, match="alertInvite"):
        run(add_comment, cfg_for(emulator, alertInvite="maybe"), {"refId": 5001, "value": "x"})
    assert podio_calls(emulator) == 0
