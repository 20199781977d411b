"""The body keys the collaboration actions share, each checked before anything is sent."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from podio_component.errors import InputError
from podio_component.validation import given_text, whole_number

MAX_ID = 2**63 - 1


class Ref(NamedTuple):
    """The object a comment or task is on."""

    type: str
    id: int

    @property
    def path(self) -> str:
        return f"{self.type}/{self.id}"


def body_of(msg: object, keys: Collection[str]) -> dict[str, Any]:
    """The message body with blanks dropped; a key the action does not know is refused (a
    misspelt `external_id` must not make an unguarded write)."""
    if not isinstance(msg, Mapping) or not isinstance(msg.get("body"), Mapping):
        raise InputError("message.body", "expected an object")
    body = {k: v for k, v in msg["body"].items() if given_text(v) is not None}
    unknown = sorted(set(body) - set(keys))
    if unknown:
        raise InputError(unknown[0], f"is not a known field; expected {', '.join(sorted(keys))}")
    return body


def ref(body: Mapping[str, Any], types: Sequence[str], default: str | None) -> Ref | None:
    """`refType` (one of `types`; `default` when absent) and `refId`; None when neither is
    given and there is no default."""
    kind, given_id = body.get("refType", default), body.get("refId")
    if kind is None and given_id is None:
        return None
    if kind not in types:
        raise InputError("refType", f"expected one of {', '.join(types)}", kind)
    if given_id is None:
        raise InputError("refId", f"is required: the id of the {kind}")
    return Ref(str(kind), whole_number("refId", given_id, 1, MAX_ID))


def text(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise InputError(key, "is required")
        return None
    if not isinstance(value, str):
        raise InputError(key, "expected text", value)
    return value


def file_ids(body: Mapping[str, Any]) -> list[int]:
    """`file_ids`: one id or a list of ids of files already in Podio."""
    given = body.get("file_ids", [])
    listed = given if isinstance(given, list) else [given]
    return [whole_number(f"file_ids[{n}]", f, 1, MAX_ID) for n, f in enumerate(listed)]


def url(body: Mapping[str, Any], key: str) -> str | None:
    value = text(body, key)
    if value is not None and not value.startswith(("http://", "https://")):
        raise InputError(key, "expected a URL starting with http:// or https://", value)
    return value
