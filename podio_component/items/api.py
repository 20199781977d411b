"""Podio's item endpoints, each built once: the filter call (the feed, Find Items and the
external-ID lookup all read through it), an item read as a record, create, update, an embed,
and the options every write carries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from podio_component.items.values import record
from podio_component.podio.client import PodioClient
from podio_component.podio.time import date_header

PAGE_LIMIT = 500  # the most one filter call returns
# The filter gives items without their files and tags; this asks it to add them. Files come
# (two SDKs rely on it); whether tags do is unverified, so full_records reads what is missing.
FULL_ITEMS = "items.fields(files,tags)"


class WriteOptions(NamedTuple):
    hook: bool  # Podio calls the app's webhooks for the change (default, as Podio's)
    silent: bool  # no stream bump, no notifications

    def params(self) -> list[tuple[str, str]]:
        return [
            ("hook", "true" if self.hook else "false"),
            ("silent", "true" if self.silent else "false"),
        ]


class Found(NamedTuple):
    items: list[dict[str, Any]]
    podio_now: int  # Podio's clock when it answered (its Date header), in seconds


def filter_items(
    client: PodioClient,
    app_id: int,
    *,
    limit: int,
    offset: int = 0,
    filters: Mapping[str, Any] | None = None,
    sort_by: str | None = None,
    sort_desc: bool = False,
    bundle: str | None = None,
) -> Found:
    """One call of `POST /item/app/{app_id}/filter/`: a POST that changes nothing, so it is
    retried as the read it is."""
    body: dict[str, Any] = {}
    if filters is not None:
        body["filters"] = dict(filters)
    if sort_by is not None:
        body.update(sort_by=sort_by, sort_desc=sort_desc)
    body["limit"] = limit
    if offset:
        body["offset"] = offset
    params = [("fields", bundle)] if bundle else []
    path = f"/item/app/{app_id}/filter/"
    response = client.request("POST", path, body=body, params=params, read=True)
    found = response.json()
    items = found.get("items") if isinstance(found, dict) else None
    return Found(list(items or []), date_header(response.header("date")))


def by_external_id(client: PodioClient, app_id: int, external_id: str) -> list[dict[str, Any]]:
    """Every item of the app with this external ID. A filter on `external_id` returns every
    match (unverified for real Podio; the emulator serves it); Podio's
    `GET /item/app/{app_id}/external_id/{x}` would return only one."""
    filters = {"external_id": [external_id]}
    return filter_items(client, app_id, filters=filters, limit=PAGE_LIMIT).items


NOT_VIEWED = [("mark_as_viewed", "0")]  # a read must not clear the user's notifications


def get_item(client: PodioClient, item_id: int) -> dict[str, Any]:
    """The whole item, as Podio gives it."""
    item: dict[str, Any] = client.request("GET", f"/item/{item_id}", params=NOT_VIEWED).json()
    return item


def get_record(client: PodioClient, item_id: int) -> dict[str, Any]:
    """The whole item, with `values`."""
    return record(get_item(client, item_id))


def full_records(client: PodioClient, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Filter items as records with their files and tags: as they came where the filter
    bundled both, else read whole (one GET each)."""
    return [
        record(item) if "files" in item and "tags" in item else get_record(client, item["item_id"])
        for item in items
    ]


def create(client: PodioClient, app_id: int, body: Mapping[str, Any], options: WriteOptions) -> int:
    """`POST /item/app/{app_id}/`: the new item's id."""
    answer = client.request("POST", f"/item/app/{app_id}/", body=body, params=options.params())
    return int(answer.json()["item_id"])


def update(
    client: PodioClient, item_id: int, body: Mapping[str, Any], options: WriteOptions
) -> None:
    client.request("PUT", f"/item/{item_id}", body=body, params=options.params())


def embed(client: PodioClient, url: str) -> int:
    """`POST /embed/`: a link made an embed, for an embed field; its id."""
    return int(client.request("POST", "/embed/", body={"url": url}).json()["embed_id"])
