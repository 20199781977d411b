"""Add Comment: a comment on an item (or a task, status message, app or space), with
mentions, files and a link. With an `external_id`, it is made once (`podio.once`): one the
object already carries is returned (`created: false`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.collaboration import comments
from podio_component.collaboration.inputs import body_of, file_ids, ref, text, url
from podio_component.collaboration.writes import created_once, with_files
from podio_component.contract.messages import new_message
from podio_component.credentials import connect
from podio_component.files.carried import chosen, upload_each
from podio_component.forms.configs import CommentConfig
from podio_component.validation import parse

KEYS = ("refType", "refId", "value", "external_id", "attachments", "file_ids", "embed_url")


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    body = body_of(msg, KEYS)  # everything checked before anything is sent
    config = parse(CommentConfig, cfg)
    on = ref(body, comments.REF_TYPES, "item")
    assert on is not None
    external_id = text(body, "external_id")
    sent: dict[str, Any] = {
        "value": text(body, "value", required=True),
        **({"external_id": external_id} if external_id is not None else {}),
        **({"embed_url": url(body, "embed_url")} if "embed_url" in body else {}),
    }
    given_files, carried = file_ids(body), chosen(msg, body.get("attachments"))
    client = connect(cfg)
    what = "the comment" if external_id is None else f"the comment {external_id!r}"
    comment, how = created_once(
        client,
        what,
        external_id,
        lambda: comments.with_external_id(client, on, str(external_id)),
        lambda: upload_each(client, carried),
        lambda uploaded: comments.create(
            client, on, with_files(sent, [*given_files, *uploaded]), config.params()
        ),
    )
    return new_message({**comment, **how})
