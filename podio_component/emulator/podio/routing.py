"""The emulated Podio's routing tables, and the request readers every endpoint shares."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from podio_component.emulator.podio.model import ApiError, Grant
from podio_component.emulator.podio.revisions import Writer
from podio_component.emulator.podio.world import PodioWorld
from podio_component.emulator.web import Routes

oauth_route = Routes()  # the token endpoint and friends: no token needed
api_route = Routes()  # everything else: authenticated and counted against the rate limit
LIMITED_ENDPOINTS = frozenset({"filter_items"})  # "rate limited" operations: lower ceiling


class WorldApp:
    """What every group of endpoints stands on: the world, and who a request writes as."""

    def __init__(self, world: PodioWorld) -> None:
        self.world = world

    def writer(self, grant: Grant) -> Writer:
        """Who a write is by: the token's user or app, through its API client."""
        return Writer(
            grant.ref_type, grant.ref_id, self.world.directory.client_number(grant.client_id)
        )


BOOLEAN_PARAMS = ("hook", "silent", "mark_as_viewed", "alert_invite")
_TRUE = ("1", "on", "true", "y", "yes")
_FALSE = ("0", "false", "n", "no", "off")


def flag(request: Request, name: str, default: bool) -> bool:
    """A boolean query parameter, spelled as Podio accepts it (its 400 otherwise)."""
    value = request.args.get(name)
    if value is None:
        return default
    if value.lower() in _TRUE or value.lower() in _FALSE:
        return value.lower() in _TRUE
    accepted = ", ".join(f"'{v}'" for v in (*_TRUE, *_FALSE))
    raise ApiError(
        400,
        "invalid_value",
        f'Invalid value "{value}" (string): must be {{{accepted}, True, False}}',
    )


def json_object(request: Request) -> dict[str, Any]:
    if not request.get_data():
        raise ApiError(400, "invalid_value", "Invalid value null (null): must be object")
    try:
        body = json.loads(request.get_data())
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_value", "The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_value", "Invalid value: must be object")
    return body
