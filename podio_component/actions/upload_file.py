"""Upload File: a file from a URL, a message attachment or base64 content, streamed to Podio,
attached where `attachTo` says (see `files.sources` for the order of the sources)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import message_body, new_message
from podio_component.credentials import connect
from podio_component.files import api, sources
from podio_component.files.checks import MAX_SIZE
from podio_component.files.targets import attach_to, silent


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    body = message_body(msg)
    target, quiet = attach_to(body), silent(body)  # checked before anything is read
    client = connect(cfg)
    source = sources.take(msg, body, MAX_SIZE)
    with source.spool:
        uploaded = api.upload(client, source.spool, source.name, source.mimetype)
    if target is not None:
        api.attach(client, uploaded["file_id"], target.type, target.id, quiet)
    return new_message({**uploaded, "attachedTo": None if target is None else target.view()})
