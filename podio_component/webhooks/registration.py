"""A flow's hooks on an app: registered when the flow starts, removed when it stops.

Registering adopts before it creates, so that a start run again (the platform restarts a
failed `startup`) never adds a second hook of a type: the flow's hooks on the app (those
whose URL points at the flow's URI) are kept when their type is still chosen and their URL
carries the current secret, and deleted otherwise; only the missing types are created; a
verification is requested for each hook created or still inactive. A failure part-way
deletes what this run created.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from podio_component.errors import PodioComponentError, PodioHTTPError
from podio_component.podio.client import PodioClient
from podio_component.redaction import logger
from podio_component.webhooks import api
from podio_component.webhooks.address import FlowAddress, carries_secret, same_target

log = logger(__name__)

CAP = 10  # Podio's hooks of one type per app


class RegistrationError(PodioComponentError):
    """Podio refused a hook, or could not be asked; what this run created is deleted."""


class Registered(NamedTuple):
    record: dict[str, Any]  # what the flow keeps: {app, webhookUri, hooks: [{hook_id, type}]}
    created: list[int]  # the hooks this registration made (Podio is verifying them)


def register(
    client: PodioClient, app_id: int, address: FlowAddress, kinds: Iterable[str]
) -> Registered:
    """The flow's hooks for `kinds` on the app, adopted or created."""
    wanted = list(dict.fromkeys(kinds))
    present = api.listed(client, app_id)
    kept: dict[str, dict[str, Any]] = {}
    for hook in present:
        if not same_target(str(hook.get("url", "")), address.uri):
            continue
        kind = hook.get("type")
        if kind in wanted and kind not in kept and carries_secret(hook["url"], address.secret):
            kept[str(kind)] = hook
        else:
            log.info(
                "deleting the flow's hook %s (%s): no longer wanted as it is", hook["hook_id"], kind
            )
            api.delete(client, int(hook["hook_id"]))
    created: list[int] = []
    try:
        for kind in wanted:
            if kind not in kept:
                hook_id = _create(client, app_id, address, kind, present)
                created.append(hook_id)
                kept[kind] = {"hook_id": hook_id, "type": kind, "status": "inactive"}
        for hook in kept.values():
            if hook.get("status") != "active":
                api.request_verification(client, int(hook["hook_id"]))
    except PodioComponentError as exc:
        for hook_id in created:
            with contextlib.suppress(PodioComponentError):
                api.delete(client, hook_id)
        if isinstance(exc, RegistrationError):
            raise
        raise RegistrationError(
            f"registering the hooks on app {app_id} failed: {exc.message}"
        ) from None
    log.info(
        "hooks on app %s: %s (%d adopted, %d created)",
        app_id,
        ", ".join(f"{k} {h['hook_id']}" for k, h in kept.items()),
        len(kept) - len(created),
        len(created),
    )
    hooks = [{"hook_id": int(kept[k]["hook_id"]), "type": k} for k in wanted]
    return Registered({"app": app_id, "webhookUri": address.uri, "hooks": hooks}, created)


def _create(
    client: PodioClient,
    app_id: int,
    address: FlowAddress,
    kind: str,
    present: list[dict[str, Any]],
) -> int:
    try:
        return api.create(client, app_id, address.hook_url, kind)
    except PodioHTTPError as exc:
        if not api.is_refusal(exc):
            raise
        others = sum(
            1
            for h in present
            if h.get("type") == kind and not same_target(str(h.get("url", "")), address.uri)
        )
        hint = (
            f"; Podio allows {CAP} hooks of each type per app, and other flows or "
            f"integrations on this app hold {others}: remove some (the app's developer "
            "settings list them) or stop those flows"
            if others >= CAP
            else ""
        )
        raise RegistrationError(
            f"Podio refused the {kind} hook on app {app_id}: {exc.description or exc.message}{hint}"
        ) from None


def repair(
    client: PodioClient,
    app_id: int,
    address: FlowAddress,
    kinds: Iterable[str],
    skip: Iterable[int] = (),
) -> list[int]:
    """At a container's start: the flow's hooks on the app as they should be, but for those
    in `skip` (this start made them; they are being verified). An inactive one is asked for
    a new verification; a type with none (deleted by hand) gets one again. The flow's hook
    ids."""
    skipped = set(skip)
    ours = [
        hook
        for hook in api.listed(client, app_id)
        if same_target(str(hook.get("url", "")), address.uri)
        and carries_secret(str(hook.get("url", "")), address.secret)
    ]
    ids = [int(hook["hook_id"]) for hook in ours]
    for hook in ours:
        if hook.get("status") != "active" and int(hook["hook_id"]) not in skipped:
            log.warning(
                "hook %s (%s) is inactive: asking Podio to verify it again",
                hook["hook_id"],
                hook.get("type"),
            )
            api.request_verification(client, int(hook["hook_id"]))
    present = {hook.get("type") for hook in ours}
    for kind in dict.fromkeys(kinds):
        if kind not in present:
            log.warning("the flow's %s hook on app %s is gone: creating it again", kind, app_id)
            hook_id = _create(client, app_id, address, kind, ours)
            api.request_verification(client, hook_id)
            ids.append(hook_id)
    return ids


def remove(client: PodioClient, app_id: int, uri: str, named: Iterable[int] = ()) -> list[int]:
    """Delete the hooks named, and every hook on the app whose URL points at `uri` (never
    another flow's); a hook gone already counts as deleted. The ids deleted."""
    gone = list(dict.fromkeys(int(h) for h in named))
    for hook_id in gone:
        api.delete(client, hook_id)
    for hook in api.listed(client, app_id):
        hook_id = int(hook["hook_id"])
        if hook_id not in gone and same_target(str(hook.get("url", "")), uri):
            api.delete(client, hook_id)
            gone.append(hook_id)
    return gone


def named_hooks(record: Mapping[str, Any]) -> list[int]:
    """The hook ids a flow's record names (those that can be read)."""
    hooks = record.get("hooks")
    named = hooks if isinstance(hooks, list) else []
    return [
        int(h["hook_id"])
        for h in named
        if isinstance(h, Mapping) and str(h.get("hook_id", "")).isdigit()
    ]
