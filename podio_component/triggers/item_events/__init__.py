"""Item Events (instant): the app's items created, updated and deleted, comments added and
files changed, emitted the moment Podio tells of them, through hooks the trigger registers
when the flow starts and removes when it stops (`webhooks/`).

    startup   adopt the flow's hooks on the app or create them; the record it returns is
              kept by the platform ({app, webhookUri, hooks})
    init      every container: repair the flow's hooks (verify the inactive, create the
              missing) and have the first delivery catch up
    process   one delivery: drop it unless it carries the flow's secret (and names one of
              the flow's hooks, where it names one); catch up when due (`catch_up`); answer
              hook.verify; emit the event once (`reading`, the snapshot in `state`)
    shutdown  delete the hooks the record names and every hook on the app that points at
              the flow, never another flow's
"""

from __future__ import annotations

import time
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
from podio_component.items.values import check_field_keys
from podio_component.podio.client import PodioClient
from podio_component.redaction import logger
from podio_component.settings import environment
from podio_component.triggers.item_events import catch_up, reading
from podio_component.triggers.item_events.state import State
from podio_component.validation import parse
from podio_component.webhooks import api as hooks
from podio_component.webhooks import known, registration
from podio_component.webhooks.address import FlowAddress, flow_address, same_target
from podio_component.webhooks.delivery import Delivery, carries, read_delivery

log = logger(__name__)

_started_here: set[int] = set()  # hooks this process's startup made: being verified


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
    registered = registration.register(client, config.app, address, config.hook_types)
    known.remember(registered.record)
    _started_here.update(registered.created)
    return registered.record


def init(cfg: Mapping[str, Any]) -> None:
    """Every container: the flow's hooks repaired and learnt, and a catch-up due. Podio's
    trouble here is logged, never fatal (the platform would remove the container); the
    next start repairs."""
    config = parse(ItemEventsConfig, cfg)
    address = flow_address()
    try:
        ours = registration.repair(
            connect(cfg), config.app, address, config.hook_types, skip=_started_here
        )
        known.keep(address.uri, config.app, frozenset(ours))
    except PodioComponentError as exc:
        log.warning("the flow's hooks could not be checked (%s); the next start does", exc.message)
    catch_up.mark_due(address.uri, config.app)


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
    state = State.of(snapshot, config.app)
    if catch_up.wanted(address.uri, config, state, time.time()):
        catch_up.catch_up(connect(cfg), config, state)
        events.emit_snapshot(state.snapshot())
    if delivery.type == "hook.verify":
        _verify(cfg, config, address, delivery)
        return
    if delivery.type not in config.hook_types:
        log.info("dropped a %s delivery: the step does not emit that event", delivery.type)
        return
    if delivery.hook_id is not None and not _holds(cfg, config, address, delivery, podio=False):
        log.warning("dropped a delivery from hook %s, which is not this flow's", delivery.hook_id)
        return
    _event(cfg, config, delivery, state)


def _event(
    cfg: Mapping[str, Any], config: ItemEventsConfig, delivery: Delivery, state: State
) -> None:
    """One event, once: dropped without a call when its key is handled already."""
    if delivery.type.startswith("item."):
        if delivery.item_id is None or delivery.item_revision_id is None:
            log.warning("dropped a %s delivery without item_id or item_revision_id", delivery.type)
            return
        key, revision = str(delivery.item_id), delivery.item_revision_id
        if state.once.handled(key, revision):
            log.info("item %s revision %s was emitted already; dropped", key, revision)
            return
        outcome = reading.item_event(connect(cfg), config, delivery, state)
    elif delivery.type == "comment.create":
        key = f"c{delivery.fields.get('comment_id')}"
        if state.once.handled(key, 0):
            log.info("comment %s was emitted already; dropped", key[1:])
            return
        outcome = reading.comment_event(connect(cfg), delivery)
    else:  # file.change
        change = reading.file_change(delivery)
        if change is None:
            return
        if state.once.handled(change.key, 0):
            log.info("the file change %s was emitted already; dropped", change.key)
            return
        outcome = reading.file_event(connect(cfg), change)
    if outcome.body is not None:
        events.emit_data(new_message(outcome.body))
    if outcome.key is not None:
        state.once.mark(outcome.key, outcome.revision)
        events.emit_snapshot(state.snapshot())


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
    if not latest.items:
        raise PodioComponentError(
            f"No items found in app {config.app}. This error is only for Retrieve Sample; a "
            "flow emits each event as it happens"
        )
    item = items.get_item(client, int(latest.items[0]["item_id"]))
    first = (item.get("initial_revision") or {}).get("item_revision_id")
    events.emit_data(new_message(reading.message("created", item, 0, first)))
