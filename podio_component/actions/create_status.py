"""Create Status: a status message in a workspace, with mentions, files, a link and a
question. A status message has no external ID, so one that may have reached Podio is never
sent again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.collaboration import status
from podio_component.collaboration.inputs import body_of, file_ids, text, url
from podio_component.collaboration.writes import created_once, with_files
from podio_component.contract.messages import new_message
from podio_component.credentials import connect
from podio_component.errors import InputError
from podio_component.files.carried import chosen, upload_each
from podio_component.forms.configs import CreateStatusConfig
from podio_component.forms.spaces import spaces as spaces  # the `space` field's select model
from podio_component.validation import parse

KEYS = ("value", "attachments", "file_ids", "embed_url", "question")
UNSAFE = "A status message has no external ID: look in the workspace before running it again"


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    body = body_of(msg, KEYS)  # everything checked before anything is sent
    config = parse(CreateStatusConfig, cfg)
    sent: dict[str, Any] = {"value": text(body, "value", required=True)}
    if "embed_url" in body:
        sent["embed_url"] = url(body, "embed_url")
    if "question" in body:
        sent["question"] = question(body["question"])
    given_files, carried = file_ids(body), chosen(msg, body.get("attachments"))
    client = connect(cfg)
    made, how = created_once(
        client,
        "the status message",
        None,
        lambda: None,
        lambda: upload_each(client, carried),
        lambda uploaded: status.create(
            client, config.space, with_files(sent, [*given_files, *uploaded]), [config.invite()]
        ),
        unsafe_hint=UNSAFE,
    )
    return new_message({**made, **how})


def question(given: object) -> dict[str, Any]:
    """`{text, options}`: a question with at least two options, each a text."""
    if not isinstance(given, Mapping):
        raise InputError("question", 'expected {"text": "…", "options": ["…", "…"]}', given)
    asked, options = given.get("text"), given.get("options")
    if not isinstance(asked, str) or not asked.strip():
        raise InputError("question.text", "expected the question's text", asked)
    if (
        not isinstance(options, list)
        or len(options) < 2
        or not all(isinstance(o, str) and o.strip() for o in options)
    ):
        raise InputError("question.options", "expected a list of at least two texts", options)
    return {"text": asked, "options": options}
