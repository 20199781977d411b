"""Create Status against the emulator over loopback HTTP: the space select, mentions, files,
a link and a question; never sent twice, and bad input refused before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from podio_component.actions import create_status
from podio_component.collaboration.people import MentionRefused
from podio_component.emulator import Emulator, Fault
from podio_component.errors import InputError, PodioComponentError
from podio_component.forms.spaces import SEPARATOR
from tests.collaboration.test_comments import ALAN, GRACE
from tests.collaboration.world import last_write, podio_calls
from tests.files.test_file_actions import stored
from tests.helpers import cfg_for, run

CREATE = ("POST", "/status/space/20*")


def test_the_space_select_lists_the_workspaces_the_credential_can_see(emulator: Emulator) -> None:
    cfg = cfg_for(emulator)
    assert create_status.spaces(cfg) == {"20": f"Example Co{SEPARATOR}Sales"}
    create_status.spaces(cfg)
    assert emulator.log.count("GET", "/org/") == 1  # read once per process and credential


def test_a_status_with_a_mention_a_question_a_file_and_a_link(emulator: Emulator) -> None:
    msg = {
        "body": {
            "value": f"Lunch, {GRACE}?",
            "question": {"text": "Where?", "options": ["Pizza", "Sushi"]},
            "attachments": "all",
            "embed_url": "https://example.com/menu",
        },
        "attachments": {"menu.pdf": {"url": stored(emulator, b"%PDF menu")}},
    }
    made = create_status.process(msg, cfg_for(emulator, space="20"))["body"]
    assert made["created"] is True and made["value"] == f"Lunch, {GRACE}?"
    assert [o["text"] for o in made["question"]["options"]] == ["Pizza", "Sushi"]
    assert [f["name"] for f in made["files"]] == ["menu.pdf"]
    assert made["embed"]["original_url"] == "https://example.com/menu"
    assert emulator.world.statuses.view(made["status_id"])["space_id"] == 20
    assert "hook" not in last_write(emulator)  # Podio lists no hook or silent for it


def test_a_refused_mention_is_named_until_alert_invite(emulator: Emulator) -> None:
    with pytest.raises(MentionRefused, match="Alan Turing"):
        run(create_status, cfg_for(emulator, space="20"), {"value": f"Hi {ALAN}"})
    assert emulator.world.statuses.stored == {}
    made = run(create_status, cfg_for(emulator, space="20", alertInvite="true"), {"value": ALAN})
    assert made["created"] is True and last_write(emulator)["alert_invite"] == ["true"]


def test_a_status_that_may_have_reached_podio_is_never_sent_again(emulator: Emulator) -> None:
    emulator.faults.add(*CREATE, Fault(apply=True, drop=True))
    with pytest.raises(PodioComponentError, match="no external ID"):
        run(create_status, cfg_for(emulator, space="20", retries="3"), {"value": "Once"})
    assert len(emulator.world.statuses.stored) == 1 and emulator.log.count(*CREATE) == 1


@pytest.mark.parametrize(
    ("body", "cfg", "field"),
    [
        ({}, {"space": "20"}, "value"),
        ({"value": "x"}, {}, "space"),
        ({"value": "x"}, {"space": "Sales"}, "space"),
        ({"value": "x", "question": "Where?"}, {"space": "20"}, "question"),
        (
            {"value": "x", "question": {"text": "Q", "options": ["one"]}},
            {"space": "20"},
            "question.options",
        ),
        ({"value": "x", "question": {"options": ["a", "b"]}}, {"space": "20"}, "question.text"),
        ({"value": "x", "external_id": "s-1"}, {"space": "20"}, "external_id"),
    ],
)
def test_bad_input_is_named_and_nothing_is_sent(
    emulator: Emulator, body: dict[str, Any], cfg: dict[str, Any], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        run(create_status, cfg_for(emulator, **cfg), body)
    assert caught.value.field == field
    assert podio_calls(emulator) == 0
