"""Item writes that happen once: create, update, and the lookup by external ID that makes a
create safe to repeat.

Podio has no idempotency key, but an item's `external_id` can serve as one. A create that
carries one first looks the ID up (so a redelivered message finds the item it made), and
after an ambiguous failure (a 5xx, a dropped connection, a read timeout: Podio may have
created it) it waits, looks again, and only creates again when the item is still absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from podio_component.errors import (
    InputError,
    PodioComponentError,
    PodioHTTPError,
    PodioTransportError,
)
from podio_component.items.values import Write, item_values
from podio_component.podio.client import PodioClient
from podio_component.redaction import logger
from podio_component.validation import yes_no

log = logger(__name__)


class WriteOptions(NamedTuple):
    hook: bool  # Podio calls the app's webhooks for the change (default, as Podio's)
    silent: bool  # no stream bump, no notifications

    @classmethod
    def of(cls, cfg: Mapping[str, Any]) -> WriteOptions:
        hook = cfg.get("hook")
        return cls(
            True if hook is None or hook == "" else yes_no(hook, "hook"),
            yes_no(cfg.get("silent"), "silent"),
        )

    def params(self) -> list[tuple[str, str]]:
        return [
            ("hook", "true" if self.hook else "false"),
            ("silent", "true" if self.silent else "false"),
        ]


class DuplicateExternalId(PodioComponentError):
    """More than one item carries the external ID: nothing is changed."""


def checked_external_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise InputError("external_id", "expected text of 1 to 255 characters", value)
    return value


def by_external_id(client: PodioClient, app_id: int, external_id: str) -> list[dict[str, Any]]:
    """Every item of the app with this external ID. A filter on `external_id` returns every
    match (unverified for real Podio; the emulator serves it); Podio's
    `GET /item/app/{app_id}/external_id/{x}` would return only one."""
    body = {"filters": {"external_id": [external_id]}, "limit": 500}
    found = client.request("POST", f"/item/app/{app_id}/filter/", body=body).json() or {}
    return list(found.get("items") or [])


def the_one(items: list[dict[str, Any]], app_id: int, external_id: str) -> dict[str, Any] | None:
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
        embeds = []
        for url in urls:
            embed = client.request("POST", "/embed/", body={"url": url}).json()
            embeds.append({"embed": int(embed["embed_id"])})
        fields[key] = embeds
    return fields


def read_back(client: PodioClient, item_id: int, **marks: bool) -> dict[str, Any]:
    """The whole item, with `values`, and the marks given (created, recovered)."""
    item = client.request("GET", f"/item/{item_id}").json()
    return {**item, "values": item_values(item), **marks}


def ambiguous(error: PodioComponentError) -> bool:
    """A failed create that Podio may have carried out all the same."""
    if isinstance(error, PodioHTTPError):
        return error.status >= 500
    return isinstance(error, PodioTransportError) and not error.retry_later


def create(
    client: PodioClient,
    app_id: int,
    fields: dict[str, Any],
    item: Mapping[str, Any],
    options: WriteOptions,
) -> dict[str, Any]:
    """Create an item; with an external ID, once, whatever fails on the way."""
    body = _body(fields, item, ("external_id", "tags", "file_ids"))
    external_id = item.get("external_id")
    if external_id is None:
        try:
            created = _post(client, app_id, body, options)
        except PodioComponentError as exc:
            if ambiguous(exc):
                raise PodioComponentError(
                    f"{exc.message}; the item may have been created: a create is not "
                    "repeated once it may have reached Podio. Give it an external_id to "
                    "make it safe to repeat"
                ) from None
            raise
        return read_back(client, created, created=True)
    retries = client.policy.retries
    while True:
        try:
            return read_back(client, _post(client, app_id, body, options), created=True)
        except PodioComponentError as exc:
            if not ambiguous(exc):
                raise
            wait = min(client.policy.delay, max(0.0, client.deadline.remaining() - 1))
            log.warning(
                "creating the item with external_id %r failed ambiguously (%s); looking it "
                "up in %.3g s",
                external_id,
                exc.message,
                wait,
            )
            client.host.pause(wait, False)  # Podio may still be applying the write
            found = the_one(
                by_external_id(client, app_id, str(external_id)), app_id, str(external_id)
            )
            if found is not None:
                return read_back(client, int(found["item_id"]), created=True, recovered=True)
            if retries == 0:
                raise
            retries -= 1  # absent: Podio did not create it, so creating again is safe


def _body(fields: dict[str, Any], item: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """A write's body: the fields and the item-level keys given."""
    return {"fields": fields, **{k: item[k] for k in keys if item.get(k) is not None}}


def _post(client: PodioClient, app_id: int, body: dict[str, Any], options: WriteOptions) -> int:
    answer = client.request("POST", f"/item/app/{app_id}/", body=body, params=options.params())
    return int(answer.json()["item_id"])


def update(
    client: PodioClient,
    item_id: int,
    fields: dict[str, Any],
    item: Mapping[str, Any],
    options: WriteOptions,
    holds_it: Callable[[Mapping[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Update only the fields given. With `revision`, a conflicting change is an error
    naming both revisions, unless `holds_it` finds the item already holding exactly these
    values (a replay of this very change)."""
    body = _body(fields, item, ("revision", "tags", "file_ids", "external_id"))
    try:
        client.request("PUT", f"/item/{item_id}", body=body, params=options.params())
    except PodioHTTPError as exc:
        if exc.status != 409:
            raise
        current = read_back(client, item_id)
        if holds_it is not None and holds_it(current):
            log.info("item %s already holds this change (a replay); nothing to write", item_id)
            return current
        raise PodioComponentError(
            f"item {item_id} was changed since revision {item.get('revision')}: it is at "
            f"revision {current.get('revision')} now; nothing was written (Podio's 409)"
        ) from None
    return read_back(client, item_id)
