"""What each event emits, read from Podio: an item created or updated (the item, its
revision, what changed), deleted (no call), a comment added (`GET /comment/{id}`), a file
changed (the item's files). Each comes with the key it is remembered by (`webhooks.once`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from podio_component.errors import PodioHTTPError
from podio_component.forms.configs import ItemEventsConfig
from podio_component.items import api as items
from podio_component.items.revisions import ItemRevisions, Revision
from podio_component.items.values import record
from podio_component.podio.client import PodioClient
from podio_component.podio.time import epoch
from podio_component.redaction import logger
from podio_component.triggers.item_events.state import State
from podio_component.webhooks.delivery import Delivery
from podio_component.webhooks.once import DELETED

log = logger(__name__)

GONE = (404, 410)
FILE_ACTIONS = {"file_created": "created", "file_replaced": "replaced", "file_deleted": "deleted"}


class Outcome(NamedTuple):
    """What an event comes to: the message body to emit (None: nothing), and the key and
    revision to remember it by (no key: nothing to remember)."""

    body: dict[str, Any] | None
    key: str | None = None
    revision: int = 0


NOTHING = Outcome(None)


def item_event(
    client: PodioClient, config: ItemEventsConfig, delivery: Delivery, state: State
) -> Outcome:
    item_id, delivered = int(delivery.item_id or 0), int(delivery.item_revision_id or 0)
    key = str(item_id)
    if delivery.type == "item.delete":
        deleted = {"event": "deleted", "item_id": item_id, "external_id": delivery.external_id}
        return Outcome(deleted, key, DELETED)
    try:
        item = items.get_item(client, item_id)
    except PodioHTTPError as exc:
        if exc.status not in GONE:
            raise
        log.info("item %s is gone (HTTP %d); its %s is skipped", item_id, exc.status, delivery.type)
        return NOTHING
    revisions = ItemRevisions(client, item)
    if delivery.type == "item.create":  # revision 0; its global id, where the hook sent 0
        creation = revisions.find(delivered, list_all=False)
        if _covered(state, epoch(item["created_on"])):
            return _covered_already(item_id, delivered, key)
        global_id = delivered if creation is None else creation.item_revision_id
        return Outcome(message("created", item, 0, global_id), key, delivered)
    revision = revisions.find(delivered)
    if revision is None:
        log.warning(
            "Podio no longer lists revision %s of item %s: it is emitted without its number "
            "and changes",
            delivered,
            item_id,
        )
    else:
        if revision.item_revision_id != delivered:  # the hooks send the item's own number
            state.numbering = "number"
        if revision.created_on is not None and _covered(state, revision.created_on):
            return _covered_already(item_id, delivered, key)
    body = updated(config, revisions, item, revision, None)
    return Outcome(body, key, delivered)


def updated(
    config: ItemEventsConfig,
    revisions: ItemRevisions,
    item: Mapping[str, Any],
    revision: Revision | None,
    since: Revision | None,
    *,
    with_changes: bool = True,
) -> dict[str, Any] | None:
    """An update's message, or None when it changed none of `onlyFields`; `changes` from
    `since` (by default the revision before) where it is wanted and can be read."""
    changes = None
    wanted = config.include_changes or config.only_fields
    if revision is not None and with_changes and wanted:
        try:
            changes = revisions.changes(revision, item.get("fields") or [], since)
        except PodioHTTPError as exc:
            if exc.status not in (400, *GONE):
                raise
            log.warning(
                "the changes of item %s could not be read: %s", item["item_id"], exc.message
            )
    touched = {change["field"] for change in changes or ()}
    if config.only_fields and changes is not None and not touched & set(config.only_fields):
        log.info("item %s changed none of onlyFields; not emitted", item["item_id"])
        return None
    number = None if revision is None else revision.number
    global_id = None if revision is None else revision.item_revision_id
    body = message("updated", item, number, global_id)
    if config.include_changes:
        body["changes"] = changes
    return body


def message(
    event: str, item: Mapping[str, Any], number: int | None, global_id: int | None
) -> dict[str, Any]:
    return {
        "event": event,
        "item_id": item["item_id"],
        "revision": number,
        "item_revision_id": global_id,
        "item": record(item),
    }


def comment_event(client: PodioClient, delivery: Delivery) -> Outcome:
    """A comment added: the comment read with `GET /comment/{id}`; once per comment."""
    comment_id = _whole(delivery.fields.get("comment_id"))
    if comment_id is None:
        log.warning("dropped a comment.create delivery without comment_id")
        return NOTHING
    try:
        comment = client.request("GET", f"/comment/{comment_id}").json()
    except PodioHTTPError as exc:
        if exc.status not in GONE:
            raise
        log.info("comment %s is gone (HTTP %d); skipped", comment_id, exc.status)
        return NOTHING
    body = {
        "event": "comment",
        "item_id": delivery.item_id,
        "comment": {
            "comment_id": comment_id,
            "text": comment.get("value"),
            "author": comment.get("created_by"),
            "created_on": comment.get("created_on"),
            "files": comment.get("files") or [],
        },
    }
    return Outcome(body, f"c{comment_id}")


class FileChange(NamedTuple):
    item_id: int
    action: str  # created, replaced or deleted
    file_ids: list[int]

    @property
    def key(self) -> str:
        return f"f{self.item_id}.{self.action}.{'-'.join(map(str, sorted(self.file_ids)))}"


def file_change(delivery: Delivery) -> FileChange | None:
    """What a file.change delivery names; None (with a warning) when it names too little."""
    action = FILE_ACTIONS.get(delivery.fields.get("action_type", ""))
    ids = [_whole(text.strip()) for text in delivery.fields.get("file_ids", "").split(",")]
    file_ids = [i for i in ids if i is not None]
    if action is None or not file_ids or delivery.item_id is None:
        log.warning("dropped a file.change delivery without action_type, file_ids or item_id")
        return None
    return FileChange(delivery.item_id, action, file_ids)


def file_event(client: PodioClient, change: FileChange) -> Outcome:
    """A file created, replaced or deleted on the item: each file's metadata from the
    item's files (one read; none for a deletion, which carries only the ids)."""
    action, file_ids, key = change.action, change.file_ids, change.key
    files: list[dict[str, Any]] = [{"file_id": i} for i in file_ids]
    if action != "deleted":
        try:
            item = items.get_item(client, change.item_id)
        except PodioHTTPError as exc:
            if exc.status not in GONE:
                raise
            log.info(
                "item %s is gone (HTTP %d); its file change is skipped",
                change.item_id,
                exc.status,
            )
            return NOTHING
        on_item = {f.get("file_id"): f for f in item.get("files") or []}
        files = [on_item.get(i, {"file_id": i}) for i in file_ids]
    body = {"event": "file", "item_id": change.item_id, "action": action, "files": files}
    return Outcome(body, key)


def _covered(state: State, second: int) -> bool:
    return state.place is not None and state.place.covers(second)


def _covered_already(item_id: int, delivered: int, key: str) -> Outcome:
    log.info("item %s revision %s was covered by a catch-up; dropped", item_id, delivered)
    return Outcome(None, key, delivered)


def _whole(text: object) -> int | None:
    return int(text) if isinstance(text, str) and text.isascii() and text.isdigit() else None
