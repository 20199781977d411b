"""Download Files: an item's files (all, or those whose name matches `name`, a pattern such as
`*.pdf`) or one `file_id`, each streamed from Podio into the platform's attachments, then
emitted: one message per file, or one for all (`emitBehavior`).

Every file is stored before anything is emitted, so a step stopped part-way emits nothing and
its redelivery emits each file once. Names are made unique within a message (Podio allows
repeats on an item). A file another service hosts (`hosted_by`) is emitted as metadata with
a note; a file over `maxSize` is refused from its declared size, before its bytes are read.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from podio_component.contract import events
from podio_component.contract.messages import message_body, new_message
from podio_component.credentials import connect
from podio_component.errors import InputError
from podio_component.files import api, sources
from podio_component.forms.configs import DownloadFilesConfig
from podio_component.items.api import get_item
from podio_component.podio.client import PodioClient
from podio_component.spool import Spool
from podio_component.validation import parse, whole_number


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> None:
    config = parse(DownloadFilesConfig, cfg)
    body = message_body(msg)
    client = connect(cfg)
    files = _chosen(client, body)
    for found in files:
        if _hosted_by_podio(found) and int(found.get("size") or 0) > config.max_bytes:
            raise InputError(
                "maxSize",
                f"{found.get('name')!r} ({found.get('file_id')}) is {found.get('size'):,} bytes, "
                f"more than {config.max_size_mb} MB",
            )
    store = sources.store()
    if any(_hosted_by_podio(found) for found in files):
        store.writable()
    taken: list[str] = []
    stored: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for found in files:
        name = _unique(str(found.get("name") or f"file-{found['file_id']}"), taken)
        entry = {
            "file_id": found["file_id"],
            "name": name,
            "size": found.get("size"),
            "mimetype": found.get("mimetype"),
            "url": None,
        }
        if not _hosted_by_podio(found):
            entry["note"] = f"hosted by {found.get('hosted_by')}, not Podio: not downloaded"
            stored.append((entry, None))
            continue
        with Spool(config.max_bytes, "maxSize") as spool:
            api.download(client, int(found["file_id"]), spool)
            mimetype = str(found.get("mimetype") or "application/octet-stream")
            entry["url"] = store.write(spool, name, mimetype)
            entry["size"] = spool.size
        attachment = {"url": entry["url"], "size": spool.size, "content-type": mimetype}
        stored.append((entry, attachment))
    _emit(stored, config.per_page)


def _chosen(client: PodioClient, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The files the body names: one `file_id`, or an item's (matching `name`)."""
    if body.get("file_id") is not None:
        file_id = whole_number("file_id", body.get("file_id"), 1, 2**63 - 1)
        return [api.get(client, file_id)]
    item_id = whole_number("item_id", body.get("item_id"), 1, 2**63 - 1)
    pattern = body.get("name") or "*"
    if not isinstance(pattern, str):
        raise InputError("name", "expected a name or a pattern such as *.pdf", pattern)
    files = get_item(client, item_id).get("files") or []
    return [f for f in files if fnmatch.fnmatchcase(str(f.get("name", "")), pattern)]


def _hosted_by_podio(found: Mapping[str, Any]) -> bool:
    return found.get("hosted_by", "podio") in ("podio", None)


def _unique(name: str, taken: list[str]) -> str:
    """The name, or "name (2).ext" and so on when the message has it already."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem} ({number}){dot}{extension}"
    taken.append(candidate)
    return candidate


def _emit(stored: list[tuple[dict[str, Any], dict[str, Any] | None]], per_page: bool) -> None:
    if per_page:
        attached = {entry["name"]: a for entry, a in stored if a is not None}
        events.emit_data(new_message({"files": [e for e, _ in stored]}, attached))
        return
    for entry, attachment in stored:
        events.emit_data(new_message(entry, {entry["name"]: attachment} if attachment else {}))
