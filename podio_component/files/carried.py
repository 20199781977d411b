"""The message's attachments a write carries (an item, a comment, a task, a status): chosen
by name and checked before anything is sent, then each uploaded once, streamed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.files import api, checks, sources
from podio_component.files.checks import MAX_SIZE
from podio_component.podio.client import PodioClient

Carried = list[tuple[str, Mapping[str, Any]]]  # (name, the platform's attachment)


def chosen(msg: object, wanted: object, field: str = "attachments") -> Carried:
    """The attachments `wanted` names ("all", a name or a list), each one's type and
    declared size checked; none when `wanted` is None."""
    if wanted is None:
        return []
    have = sources.attachments(msg)
    names = sources.named(msg, "all" if wanted == ["all"] else wanted, field)
    for name in names:
        checks.mimetype(sources.upload_name(name, have[name]), f"{field}.{name}")
        checks.declared_size(have[name].get("size"), MAX_SIZE, f"{field}.{name}")
    return [(name, have[name]) for name in names]


def upload_each(client: PodioClient, carried: Carried) -> list[int]:
    """Each attachment uploaded to Podio (streamed); the new files' ids."""
    uploaded = []
    for name, attachment in carried:
        source = sources.from_attachment(name, attachment, None, MAX_SIZE)
        with source.spool:
            found = api.upload(client, source.spool, source.name, source.mimetype)
        uploaded.append(int(found["file_id"]))
    return uploaded
