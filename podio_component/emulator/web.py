"""What both emulated sides share on the web: each endpoint registered once, beside its
handler, and JSON answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

JSON_TYPE = "application/json; charset=utf-8"
Handler = TypeVar("Handler", bound=Callable[..., Response])


class Routes:
    """A side's routing table, filled by decorating each handler with its path and methods;
    the handler's name is the endpoint.

        route = Routes()

        @route("/item/<int:item_id>", "GET", "PUT")
        def item(self, request, grant, item_id): ...
    """

    def __init__(self) -> None:
        self._rules: list[Rule] = []

    def __call__(self, path: str, *methods: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._rules.append(Rule(path, endpoint=handler.__name__, methods=list(methods)))
            return handler

        return register

    @property
    def endpoints(self) -> frozenset[str]:
        return frozenset(str(rule.endpoint) for rule in self._rules)

    def map(self, *others: Routes, strict_slashes: bool = True) -> Map:
        """One werkzeug Map of these routes and the others'."""
        rules = [rule.empty() for table in (self, *others) for rule in table._rules]
        return Map(rules, strict_slashes=strict_slashes)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers, content_type=JSON_TYPE)
