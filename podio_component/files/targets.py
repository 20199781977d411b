"""What a file is attached to: `attachTo: {type, id}`, one of Podio's five."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from podio_component.errors import InputError
from podio_component.files.api import REF_TYPES
from podio_component.validation import whole_number, yes_no


class Target(NamedTuple):
    type: str
    id: int

    def view(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id}


def attach_to(body: Mapping[str, Any], required: bool = False) -> Target | None:
    given = body.get("attachTo")
    if given is None and not required:
        return None
    if not isinstance(given, Mapping):
        raise InputError("attachTo", 'expected {"type": "item", "id": 123}', given)
    kind = given.get("type")
    if kind not in REF_TYPES:
        raise InputError("attachTo.type", f"expected one of {', '.join(REF_TYPES)}", kind)
    return Target(str(kind), whole_number("attachTo.id", given.get("id"), 1, 2**63 - 1))


def silent(body: Mapping[str, Any]) -> bool:
    return yes_no(body.get("silent"), "silent")
