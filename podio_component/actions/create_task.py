"""Create Task: a task (on an item, status message, app or space, or on none), due on a day
or at a time, for one or more people. Several responsible people make one task each, so the
output is always `{"tasks": [...]}`. With an `external_id`, it is made once (`podio.once`):
tasks that already carry it (on the same object) are returned (`created: false`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.collaboration import people, tasks
from podio_component.collaboration.inputs import body_of, file_ids, ref, text
from podio_component.collaboration.writes import created_once, with_files
from podio_component.contract.messages import new_message
from podio_component.credentials import connect
from podio_component.errors import InputError
from podio_component.files.carried import chosen, upload_each
from podio_component.forms.configs import WriteConfig
from podio_component.podio.time import task_due
from podio_component.validation import parse, whole_number, yes_no

KEYS = (
    "text",
    "description",
    "private",
    "due",
    "responsible",
    "labels",
    "reminder",
    "refType",
    "refId",
    "external_id",
    "attachments",
    "file_ids",
)
DUE = "expected a date (2026-12-24) or a date-time (2026-12-24T17:00, or with a zone: …Z, +01:00)"


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    body = body_of(msg, KEYS)  # everything checked before anything is sent
    config = parse(WriteConfig, cfg)
    on = ref(body, tasks.REF_TYPES, None)
    external_id = text(body, "external_id")
    sent = task_body(body)
    if "responsible" in body:
        people.checked(body["responsible"], "responsible")
    given_files, carried = file_ids(body), chosen(msg, body.get("attachments"))
    client = connect(cfg)
    if "responsible" in body:
        sent["responsible"] = people.user_ids(client, body["responsible"], "responsible")
    what = "the task" if external_id is None else f"the task {external_id!r}"
    made, how = created_once(
        client,
        what,
        external_id,
        lambda: tasks.by_external_id(client, str(external_id), on),
        lambda: upload_each(client, carried),
        lambda uploaded: tasks.create(
            client, on, with_files(sent, [*given_files, *uploaded]), config.options.params()
        ),
    )
    return new_message({"tasks": made, **how})


def task_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The keys Podio takes, from the body's: `due` split by the task rule
    (`podio.time.task_due`), `reminder` in minutes before it."""
    sent: dict[str, Any] = {"text": text(body, "text", required=True)}
    for key in ("description", "external_id"):
        if key in body:
            sent[key] = text(body, key)
    if "private" in body:
        sent["private"] = yes_no(body["private"], "private")
    if "due" in body:
        due = text(body, "due")
        try:
            sent.update(task_due(str(due).strip()))
        except ValueError:
            raise InputError("due", DUE, due) from None
    if "labels" in body:
        sent["labels"] = labels(body["labels"])
    if "reminder" in body:
        if "due" not in body:
            raise InputError("reminder", "needs a due date or time to count back from")
        minutes = whole_number("reminder", body["reminder"], 0, 525_600)
        sent["reminder"] = {"remind_delta": minutes}
    return sent


def labels(given: object) -> list[str]:
    """Label texts: a list, or one text (comma-separated)."""
    listed = given.split(",") if isinstance(given, str) else given
    if not isinstance(listed, list) or not all(isinstance(t, str) for t in listed):
        raise InputError("labels", "expected a list of label texts", given)
    return [t.strip() for t in listed if t.strip()]
