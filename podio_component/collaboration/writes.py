"""What every collaboration write shares: the create's POST (Podio's refusal of a mention
turned into a clear error), the create-once rule of `podio.once`, and the files it carries."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from podio_component.collaboration.people import mention_refused
from podio_component.errors import PodioHTTPError
from podio_component.podio import once
from podio_component.podio.client import PodioClient

T = TypeVar("T")
Params = Sequence[tuple[str, str]]


def post(client: PodioClient, path: str, body: Mapping[str, Any], params: Params) -> Any:
    """One create, its JSON answer; a refused mention named as such."""
    try:
        return client.request("POST", path, body=dict(body), params=params).json()
    except PodioHTTPError as exc:
        refused = mention_refused(exc)
        if refused is None:
            raise
        raise refused from None


def created_once(
    client: PodioClient,
    what: str,
    external_id: str | None,
    find: Callable[[], T | None],
    uploads: Callable[[], list[int]],
    create: Callable[[list[int]], T],
    unsafe_hint: str = "Give it an external_id to make it safe to repeat",
) -> tuple[T, dict[str, bool]]:
    """`create(file_ids)` once by the external ID (`podio.once`), with the ids `uploads()`
    gives, uploaded once the object is known to be new and before the first try (a recovery
    never uploads again). The object, and how it came to be as the output's `created` (and
    `recovered`) keys."""
    if external_id is not None:
        found = find()
        if found is not None:  # made before (a redelivery, say): returned as it is
            return found, {"created": False}
    file_ids = uploads()
    made, how = once.create_once(
        client,
        what,
        lambda: create(file_ids),
        None if external_id is None else find,
        looked_up=True,
        unsafe_hint=unsafe_hint,
    )
    return made, {"created": True, **({"recovered": True} if how == "recovered" else {})}


def with_files(sent: Mapping[str, Any], ids: list[int]) -> dict[str, Any]:
    """A create's body with the files it carries, if any."""
    return {**sent, "file_ids": ids} if ids else dict(sent)
