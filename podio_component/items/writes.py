"""Item writes: a create that happens once (by the item's `external_id`, with the rule
every create shares, `podio.once`), and an update that never overwrites a newer revision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from podio_component.errors import InputError, PodioComponentError, PodioHTTPError
from podio_component.files import api as files
from podio_component.items import api
from podio_component.items.api import WriteOptions
from podio_component.items.fields import printable
from podio_component.items.values import Write
from podio_component.podio import once
from podio_component.podio.client import PodioClient
from podio_component.redaction import logger

log = logger(__name__)

CREATE_KEYS = ("external_id", "tags", "file_ids")
UPDATE_KEYS = ("revision", "tags", "file_ids", "external_id")


class DuplicateExternalId(PodioComponentError):
    """More than one item carries the external ID: nothing is changed."""


def check_in_app(client: PodioClient, app_id: int, item_id: int) -> dict[str, Any]:
    """The item, read once; refused when it is in another app: the step's fields (and their
    option ids) mean nothing there."""
    item = api.get_item(client, item_id)
    app = item.get("app") or {}
    found = app.get("app_id")
    if found != app_id:
        name = app.get("name") or (app.get("config") or {}).get("name")
        where = f"app {found}" + (f" ({printable(name)})" if name else "")
        raise InputError(
            "item_id",
            f"item {item_id} is in {where}, not in this step's app {app_id}; nothing was written",
        )
    return item


def with_files(item: dict[str, Any], current: Mapping[str, Any], new: list[int]) -> dict[str, Any]:
    """An update's item keys with `file_ids`: the item's files kept and the new ones added.
    Whether Podio's `file_ids` replaces or adds is unverified, so the whole set is sent."""
    if not new:
        return item
    kept = [int(f["file_id"]) for f in current.get("files") or [] if "file_id" in f]
    return {**item, "file_ids": list(dict.fromkeys([*kept, *new]))}


def find_by_external_id(
    client: PodioClient, app_id: int, external_id: str
) -> dict[str, Any] | None:
    """The item that carries the external ID, or None; DuplicateExternalId when several do."""
    items = api.by_external_id(client, app_id, external_id)
    if len(items) > 1:
        listed = ", ".join(str(i.get("item_id")) for i in items)
        raise DuplicateExternalId(
            f"{len(items)} items in app {app_id} carry external_id {external_id!r} (items "
            f"{listed}); nothing was changed: make the external ID unique first"
        )
    return items[0] if items else None


def with_links(client: PodioClient, write: Write) -> dict[str, Any]:
    """The write's fields with each link created as an embed (`POST /embed/`)."""
    fields = dict(write.fields)
    for key, urls in write.links.items():
        fields[key] = [{"embed": api.embed(client, url)} for url in urls]
    return fields


def create_once(
    client: PodioClient,
    app_id: int,
    write: Write,
    item: Mapping[str, Any],
    options: WriteOptions,
    *,
    looked_up: bool = False,
    uploads: Callable[[], list[int]] | None = None,
) -> dict[str, Any]:
    """Create an item from a checked write (cleared fields left out) and return it as a
    record marked `created`. With an external ID, once (`podio.once`): an item that already
    carries it is returned unchanged (`created: false`; `looked_up` says the caller has just
    found none), and one a lost try made is returned `recovered: true`. `uploads` gives the
    ids of files uploaded for it, once the item is known to be new."""
    external_id = item.get("external_id")

    def find() -> dict[str, Any] | None:
        return find_by_external_id(client, app_id, str(external_id))

    if external_id is not None and not looked_up:
        found = find()
        if found is not None:  # made before (a redelivery, say): returned as it is
            return {**api.get_record(client, int(found["item_id"])), "created": False}
    fields = {k: v for k, v in with_links(client, write).items() if v != []}
    body = {"fields": fields, **{k: item[k] for k in CREATE_KEYS if item.get(k) is not None}}
    sent = [*body.get("file_ids", []), *(uploads() if uploads is not None else [])]
    if sent:  # uploaded once, before the first try: a recovery attaches, never uploads again
        body["file_ids"] = sent
    what = "the item" if external_id is None else f"the item with external_id {external_id!r}"
    made, how = once.create_once(
        client,
        what,
        lambda: _created(client, app_id, body, options),
        None if external_id is None else find,
        looked_up=True,
    )
    if how == "recovered":
        made = {**api.get_record(client, int(made["item_id"])), "created": True, "recovered": True}
    return attached(client, made, sent)


def attached(client: PodioClient, record: dict[str, Any], sent: list[int]) -> dict[str, Any]:
    """The record, once every file sent with its write is on it: one Podio left off (an
    unanswered podio-dotnet#34 report) is attached with `/file/{id}/attach`."""
    have = {f.get("file_id") for f in record.get("files") or []}
    missing = [file_id for file_id in sent if file_id not in have]
    if not missing:
        return record
    log.warning("Podio left files %s off item %s; attaching them", missing, record["item_id"])
    for file_id in missing:
        files.attach(client, file_id, "item", int(record["item_id"]))
    return {**record, **api.get_record(client, int(record["item_id"]))}


def _created(
    client: PodioClient, app_id: int, body: Mapping[str, Any], options: WriteOptions
) -> dict[str, Any]:
    item_id = api.create(client, app_id, body, options)
    return {**api.get_record(client, item_id), "created": True}


def update(
    client: PodioClient,
    item_id: int,
    fields: dict[str, Any],
    item: Mapping[str, Any],
    options: WriteOptions,
    already_applied: Callable[[Mapping[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Update only the fields given and return the item as a record. With `revision`, a
    conflicting change is an error naming both revisions, unless `already_applied` finds
    the item holding exactly these values (a replay of this very change)."""
    body = {"fields": fields, **{k: item[k] for k in UPDATE_KEYS if item.get(k) is not None}}
    sent = list(body.get("file_ids", []))
    try:
        api.update(client, item_id, body, options)
    except PodioHTTPError as exc:
        if exc.status != 409:
            raise
        current = api.get_record(client, item_id)
        if already_applied is not None and already_applied(current):
            log.info("item %s already holds this change (a replay); nothing to write", item_id)
            return current
        raise PodioComponentError(
            f"item {item_id} was changed since revision {item.get('revision')}: it is at "
            f"revision {current.get('revision')} now; nothing was written (Podio's 409)"
        ) from None
    return attached(client, api.get_record(client, item_id), sent)
