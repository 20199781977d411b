"""Item Events (instant): the app's items created, updated and deleted, emitted the moment
Podio tells of them, through hooks the trigger registers when the flow starts and removes
when it stops (`webhooks/`).

    startup   adopt the flow's hooks on the app or create them; the record it returns is
              kept by the platform ({app, webhookUri, hooks})
    init      learn the flow's hooks, so a delivery is checked without a Podio call
    process   one delivery: drop it unless it carries the flow's secret (and names one of
              the flow's hooks, where it names one); answer hook.verify; emit an event once
    shutdown  delete the hooks the record names and every hook on the app that points at
              the flow, never another flow's

An update carries `changes`, read from Podio's revision difference (`items.revisions`).
The snapshot remembers, per item, the highest revision handled (`webhooks.once`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract import events
from podio_component.contract.messages import new_message
from podio_component.credentials import connect
from podio_component.errors import PodioComponentError, PodioHTTPError
from podio_component.forms.apps import apps as apps  # the `app` field's select model
from podio_component.forms.configs import ItemEventsConfig
from podio_component.items import api as items
from podio_component.items.app_fields import app_fields
from podio_component.items.fields import field_key, field_name
from podio_component.items.revisions import ItemRevisions
from podio_component.items.values import check_field_keys, record
from podio_component.podio.client import PodioClient
from podio_component.redaction import logger
from podio_component.settings import environment
from podio_component.validation import parse
from podio_component.webhooks import api as hooks
from podio_component.webhooks import known, registration
from podio_component.webhooks.address import FlowAddress, flow_address, same_target
from podio_component.webhooks.delivery import Delivery, carries, read_delivery
from podio_component.webhooks.once import DELETED, Once

log = logger(__name__)

GONE = (404, 410)


def field_choices(cfg: Mapping[str, Any]) -> dict[str, str]:
    """The `onlyFields` select model: the app's fields, {key: label}."""
    config = parse(ItemEventsConfig, cfg)
    return {field_key(f): field_name(f) for f in app_fields(connect(cfg), config.app)}


def startup(cfg: Mapping[str, Any]) -> dict[str, Any]:
    config = parse(ItemEventsConfig, cfg)
    address = flow_address()
    client = connect(cfg)
    if config.only_fields:
        check_field_keys(app_fields(client, config.app), config.only_fields, "onlyFields")
    kept = registration.register(client, config.app, address, config.hook_types)
    known.remember(kept)
    return kept


def init(cfg: Mapping[str, Any]) -> None:
    """Every container: the flow's hooks, learnt before the first delivery."""
    config = parse(ItemEventsConfig, cfg)
    address = flow_address()
    try:
        known.learn(address.uri, config.app, lambda: _ours(connect(cfg), config.app, address))
    except PodioComponentError as exc:  # the first delivery that names a hook tries again
        log.warning("the flow's hooks could not be learnt yet: %s", exc.message)


def shutdown(cfg: Mapping[str, Any], data: object) -> None:
    """Remove the flow's hooks: those its record names, and every hook on the app that
    points at the flow. Without a record, the app comes from cfg and the flow's address
    from the environment."""
    if isinstance(data, Mapping) and isinstance(data.get("app"), int):
        app_id, named = int(data["app"]), registration.named_hooks(data)
        uri = str(data.get("webhookUri") or "") or flow_address().uri
    else:
        app_id, named = parse(ItemEventsConfig, cfg).app, []
        uri = flow_address().uri
    gone = registration.remove(connect(cfg), app_id, uri, named)
    log.info("removed the flow's hooks on app %s: %s", app_id, gone or "none were left")


def process(msg: object, cfg: Mapping[str, Any], snapshot: object = None) -> None:
    config = parse(ItemEventsConfig, cfg)
    if environment().flow_type == "debug":
        _sample(connect(cfg), config)
        return
    delivery = read_delivery(msg)
    if delivery is None:
        log.warning("dropped a message that is not a Podio hook delivery (no body.type)")
        return
    address = flow_address()
    if not carries(delivery, address.secret):
        log.warning(
            "dropped a %s delivery without this flow's secret: not from the flow's hooks",
            delivery.type,
        )
        return
    if delivery.type == "hook.verify":
        _verify(cfg, config, address, delivery)
        return
    if delivery.type not in config.hook_types:
        log.info("dropped a %s delivery: the step does not emit that event", delivery.type)
        return
    if delivery.hook_id is not None and not _holds(cfg, config, address, delivery, podio=False):
        log.warning("dropped a delivery from hook %s, which is not this flow's", delivery.hook_id)
        return
    if delivery.item_id is None or delivery.item_revision_id is None:
        log.warning("dropped a %s delivery without item_id or item_revision_id", delivery.type)
        return
    once = Once.of(snapshot, config.app)
    if once.handled(delivery.item_id, delivery.item_revision_id):
        log.info(
            "item %s revision %s was emitted already; dropped",
            delivery.item_id,
            delivery.item_revision_id,
        )
        return
    handled = _event(cfg, config, delivery)
    if handled is None:
        return
    body, mark = handled
    if body is not None:
        events.emit_data(new_message(body))
    once.mark(delivery.item_id, mark)
    events.emit_snapshot(once.snapshot())


def _event(
    cfg: Mapping[str, Any], config: ItemEventsConfig, delivery: Delivery
) -> tuple[dict[str, Any] | None, int] | None:
    """What to emit for an item event (None: nothing) and the revision id to remember; None
    for a delivery to forget (the item is gone)."""
    item_id, delivered = int(delivery.item_id or 0), int(delivery.item_revision_id or 0)
    if delivery.type == "item.delete":
        deleted = {"event": "deleted", "item_id": item_id, "external_id": delivery.external_id}
        return deleted, DELETED
    client = connect(cfg)
    try:
        item = items.get_item(client, item_id)
    except PodioHTTPError as exc:
        if exc.status not in GONE:
            raise
        log.info("item %s is gone (HTTP %d); its %s is skipped", item_id, exc.status, delivery.type)
        return None
    revisions = ItemRevisions(client, item)
    if delivery.type == "item.create":  # revision 0; its global id, where the hook sent 0
        creation = revisions.find(delivered, list_all=False)
        global_id = delivered if creation is None else creation.item_revision_id
        return _message("created", item, 0, global_id), delivered
    revision = revisions.find(delivered)
    if revision is None:
        log.warning(
            "Podio no longer lists revision %s of item %s: it is emitted without its number "
            "and changes",
            delivered,
            item_id,
        )
    changes = None
    if revision is not None and (config.include_changes or config.only_fields):
        try:
            changes = revisions.changes(revision, item.get("fields") or [])
        except PodioHTTPError as exc:
            if exc.status not in (400, *GONE):
                raise
            log.warning("the changes of item %s could not be read: %s", item_id, exc.message)
    touched = {change["field"] for change in changes or ()}
    if config.only_fields and changes is not None and not touched & set(config.only_fields):
        log.info("item %s changed none of onlyFields; not emitted", item_id)
        return None, delivered
    number = None if revision is None else revision.number
    global_id = delivered if revision is None else revision.item_revision_id
    body = _message("updated", item, number, global_id)
    if config.include_changes:
        body["changes"] = changes
    return body, delivered


def _message(
    event: str, item: Mapping[str, Any], number: int | None, global_id: int | None
) -> dict[str, Any]:
    return {
        "event": event,
        "item_id": item["item_id"],
        "revision": number,
        "item_revision_id": global_id,
        "item": record(item),
    }


def _verify(
    cfg: Mapping[str, Any], config: ItemEventsConfig, address: FlowAddress, delivery: Delivery
) -> None:
    """Validate a hook of this flow's; emit nothing."""
    if delivery.hook_id is None or not delivery.code:
        log.warning("dropped a hook.verify delivery without hook_id or code")
        return
    if not _holds(cfg, config, address, delivery, podio=True):
        log.warning("dropped hook.verify for hook %s, which is not this flow's", delivery.hook_id)
        return
    client = connect(cfg)
    try:
        hooks.validate(client, delivery.hook_id, delivery.code)
    except PodioHTTPError as exc:
        if not hooks.is_refusal(exc):
            raise
        status = {h.get("hook_id"): h.get("status") for h in hooks.listed(client, config.app)}
        if status.get(delivery.hook_id) == "active":
            log.info("hook %s is active already", delivery.hook_id)
        else:  # startup asks again for each hook it creates: a later code validates it
            log.info(
                "Podio refused a verification code of hook %s (%s): a newer one replaced it",
                delivery.hook_id,
                exc.description or exc.message,
            )
        return
    log.info("hook %s validated", delivery.hook_id)


def _holds(
    cfg: Mapping[str, Any],
    config: ItemEventsConfig,
    address: FlowAddress,
    delivery: Delivery,
    *,
    podio: bool,
) -> bool:
    return known.holds(
        address.uri,
        config.app,
        int(delivery.hook_id or 0),
        lambda: _ours(connect(cfg), config.app, address),
        podio=podio,
    )


def _ours(client: PodioClient, app_id: int, address: FlowAddress) -> list[int]:
    """The flow's hooks on the app, as Podio lists them."""
    return [
        int(h["hook_id"])
        for h in hooks.listed(client, app_id)
        if same_target(str(h.get("url", "")), address.uri)
    ]


def _sample(client: PodioClient, config: ItemEventsConfig) -> None:
    """Retrieve Sample: the app's latest item as a `created` event; no hook, no snapshot."""
    latest = items.filter_items(client, config.app, limit=1, sort_by="item_id", sort_desc=True)
    found = latest.items
    if not found:
        raise PodioComponentError(
            f"No items found in app {config.app}. This error is only for Retrieve Sample; a "
            "flow emits each event as it happens"
        )
    item = items.get_item(client, int(found[0]["item_id"]))
    first = (item.get("initial_revision") or {}).get("item_revision_id")
    events.emit_data(new_message(_message("created", item, 0, first)))
