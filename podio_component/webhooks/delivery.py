"""One hook delivery as the platform's webhook gateway hands it to the trigger: Podio's form
fields, as strings, in `msg.body` (triggers-and-items §2.1, §6.1)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any, NamedTuple

from podio_component.webhooks.address import SECRET_PARAM


class Delivery(NamedTuple):
    type: str  # Podio's event: hook.verify, item.create, ...
    hook_id: int | None  # on hook.verify; on other events only where Podio sends it
    code: str | None  # hook.verify's
    item_id: int | None
    item_revision_id: int | None
    external_id: str | None  # None when Podio sent none, or an empty one
    secret: str  # "" when the delivery carries none
    fields: Mapping[str, str]  # every form field, for the events that carry others


def read_delivery(msg: object) -> Delivery | None:
    """The delivery in a webhook message, or None for a message that is not one."""
    body = msg.get("body") if isinstance(msg, Mapping) else None
    if not isinstance(body, Mapping) or not isinstance(body.get("type"), str):
        return None
    fields = {str(k): v for k, v in body.items() if isinstance(v, str)}
    query = msg.get("query") if isinstance(msg, Mapping) else None
    secret = fields.get(SECRET_PARAM)
    if secret is None and isinstance(query, Mapping):  # should Podio keep it on the URL
        secret = query.get(SECRET_PARAM)
    return Delivery(
        type=fields["type"],
        hook_id=_whole(fields.get("hook_id")),
        code=fields.get("code"),
        item_id=_whole(fields.get("item_id")),
        item_revision_id=_whole(fields.get("item_revision_id")),
        external_id=fields.get("external_id") or None,
        secret=secret if isinstance(secret, str) else "",
        fields=fields,
    )


def carries(delivery: Delivery, secret: str) -> bool:
    return bool(delivery.secret) and hmac.compare_digest(delivery.secret.encode(), secret.encode())


def _whole(text: Any) -> int | None:
    return int(text) if isinstance(text, str) and text.isascii() and text.isdigit() else None
