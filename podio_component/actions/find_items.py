"""Find Items: the items of the step's app that match filters in the same simple form as
the values, paged under the hood (up to 500 a call), each emitted or one message a page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract import events
from podio_component.contract.messages import new_message
from podio_component.credentials import connect
from podio_component.errors import InputError, PodioComponentError
from podio_component.items.apps import (
    app_fields,
    item_out_schema,
    schema,
)
from podio_component.items.apps import (
    apps as apps,  # the `app` field's select model
)
from podio_component.items.step import app_id_of
from podio_component.items.values import ITEM_DATES, filter_values, item_values
from podio_component.settings import whole_number
from podio_component.validation import given_text, yes_no

PAGE = 500  # the most Podio's filter call returns at once
SORT_KEYS = ("created_on", "last_edit_on", "item_id", "title", "app_item_id")


def process(
    msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None
) -> dict[str, Any] | None:
    body = msg.get("body") if isinstance(msg, Mapping) else None
    if body is not None and not isinstance(body, Mapping):
        raise InputError("body", "expected an object of filters", body)
    app_id = app_id_of(cfg)
    given_max = given_text(cfg.get("maxItems"))
    max_items = 100 if given_max is None else whole_number("maxItems", given_max, 1, 10_000)
    sort_by = given_text(cfg.get("sort_by"))
    sort_desc = yes_no(cfg.get("sort_desc"), "sort_desc")
    per_page = (given_text(cfg.get("emitBehavior")) or "emitIndividually") == "emitPage"
    allow_zero = yes_no(cfg.get("allowZeroResults"), "allowZeroResults")
    client = connect(cfg)
    fields = app_fields(client, app_id)
    filters = filter_values(fields, {k: v for k, v in (body or {}).items() if v is not None})
    if (
        sort_by is not None
        and sort_by not in SORT_KEYS
        and sort_by not in {str(f.get("external_id")) for f in fields}
    ):
        raise InputError(
            "sort_by", f"expected one of {', '.join(SORT_KEYS)} or a field's external ID", sort_by
        )
    emitted = 0
    try:
        while emitted < max_items:
            limit = min(PAGE, max_items - emitted)
            request: dict[str, Any] = {"filters": filters, "limit": limit, "offset": emitted}
            if sort_by is not None:
                request.update(sort_by=sort_by, sort_desc=sort_desc)
            found = client.request("POST", f"/item/app/{app_id}/filter/", body=request).json()
            items = [{**i, "values": item_values(i)} for i in (found or {}).get("items") or []]
            if items and per_page:
                events.emit_data(new_message({"items": items}))
            else:
                for item in items:
                    events.emit_data(new_message(item))
            emitted += len(items)
            if len(items) < limit:
                break
    except PodioComponentError as exc:
        if emitted:
            raise PodioComponentError(
                f"{exc.message}; {emitted} item(s) were emitted before the failure"
            ) from None
        raise
    if emitted == 0:
        if allow_zero:
            return new_message({})
        raise PodioComponentError(f"no items in app {app_id} match the filters")
    return None


def getMetaModel(cfg: Mapping[str, Any]) -> dict[str, Any]:
    client = connect(cfg)
    fields = app_fields(client, app_id_of(cfg))
    filters = schema(fields, {}, writing=False)
    for name in ITEM_DATES:
        filters["properties"][name] = {
            "type": "object",
            "title": f"{name} from/to",
            "required": False,
            "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
        }
    return {"in": filters, "out": item_out_schema(fields)}
