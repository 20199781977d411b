"""Lookup Object By ID: GET one Podio object by its type and numeric id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.actions.objects import LOOKUP_TYPES, checkbox, resolve
from podio_component.client import connect
from podio_component.messages import checked_size, decode_body, new_message
from podio_component.settings import environment


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    env = environment()
    _, path = resolve(msg, cfg, LOOKUP_TYPES)
    allow_zero = checkbox(cfg.get("allowZeroResults"))
    response = connect(cfg, env).request("GET", path, accept_errors=allow_zero)
    if allow_zero and response.status in (404, 410):
        return new_message({})
    if not response.ok:
        raise response.error()
    found, _ = decode_body(response)
    message = new_message(found if isinstance(found, Mapping) else {"result": found})
    return checked_size(message, response, env.max_output_bytes)
