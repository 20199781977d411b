"""Lookup Object By ID: GET one Podio object by its type and numeric id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.contract.messages import checked_size, decode_body, new_message
from podio_component.contract.object_types import LOOKUP_TYPES, READ_PARAMS, resolve
from podio_component.credentials import connect
from podio_component.podio.retry_policy import GONE_STATUSES
from podio_component.settings import environment
from podio_component.validation import yes_no


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    _, object_type, path = resolve(msg, cfg, LOOKUP_TYPES)
    allow_zero = yes_no(cfg.get("allowZeroResults"), "allowZeroResults")
    accept = GONE_STATUSES if allow_zero else ()
    params = READ_PARAMS.get(object_type, [])
    response = connect(cfg).request("GET", path, params=params, accept=accept)
    if not response.ok:
        return new_message({})  # a missing object, and zero results are allowed
    found, _ = decode_body(response)
    message = new_message(found if isinstance(found, Mapping) else {"result": found})
    return checked_size(message, response, environment().max_output_bytes)
