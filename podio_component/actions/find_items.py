"""Find Items: the items of the step's app that match filters in the same simple form as
the values, paged under the hood (up to 500 a call), each emitted or one message a page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from podio_component.contract.events import emit_each_or_page
from podio_component.contract.messages import new_message
from podio_component.credentials import connect
from podio_component.errors import InputError, PodioComponentError
from podio_component.forms.apps import apps as apps  # the `app` field's select model
from podio_component.forms.configs import FindItemsConfig
from podio_component.forms.meta_model import find_meta_model
from podio_component.items.api import PAGE_LIMIT, filter_items, full_records
from podio_component.items.app_fields import using
from podio_component.items.fields import UnknownName
from podio_component.items.values import filter_values, record
from podio_component.validation import parse

SORT_KEYS = ("created_on", "last_edit_on", "item_id", "title", "app_item_id")


def process(
    msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None
) -> dict[str, Any] | None:
    body = msg.get("body") if isinstance(msg, Mapping) else None
    if body is not None and not isinstance(body, Mapping):
        raise InputError("body", "expected an object of filters", body)
    config = parse(FindItemsConfig, cfg)
    client = connect(cfg)
    wanted = {k: v for k, v in (body or {}).items() if v is not None}

    def checked(fields: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        _check_sort_by(fields, config.sort_by)
        return filter_values(fields, wanted)

    filters = using(client, config.app, checked)
    emitted = 0
    try:
        while emitted < config.max_items:
            limit = min(PAGE_LIMIT, config.max_items - emitted)
            found = filter_items(
                client,
                config.app,
                filters=filters,
                sort_by=config.sort_by,
                sort_desc=config.sort_desc,
                limit=limit,
                offset=emitted,
                bundle=config.bundle,
            )
            items = found.items
            records = full_records(client, items) if config.full_items else list(map(record, items))
            emit_each_or_page(records, config.per_page)
            emitted += len(found.items)
            if len(found.items) < limit:
                break
    except PodioComponentError as exc:
        if emitted:
            raise PodioComponentError(
                f"{exc.message}; {emitted} item(s) were emitted before the failure"
            ) from None
        raise
    if emitted == 0:
        if config.allow_zero_results:
            return new_message({})
        raise PodioComponentError(f"no items in app {config.app} match the filters")
    return None


def _check_sort_by(fields: Sequence[Mapping[str, Any]], sort_by: str | None) -> None:
    if sort_by is None or sort_by in SORT_KEYS:
        return
    if sort_by not in {str(f.get("external_id")) for f in fields}:
        raise UnknownName(
            "sort_by", f"expected one of {', '.join(SORT_KEYS)} or a field's external ID", sort_by
        )


def getMetaModel(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return find_meta_model(cfg)
