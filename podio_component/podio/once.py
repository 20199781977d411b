"""A create that happens once, for every kind of object (items, comments, tasks).

Podio gives writes no idempotency key, but an object's own `external_id` can serve as one. A
create that has one first looks it up (so a redelivered message finds what it made), and
after a failure that Podio may have acted on (a 5xx, a dropped connection, a read timeout:
the retry policy's verdict) it waits, looks again, and creates again only when the object is
still absent, within the retries the credential allows. A create without one is never
repeated once it may have reached Podio.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from podio_component.errors import PodioComponentError
from podio_component.podio.client import PodioClient
from podio_component.redaction import logger

log = logger(__name__)

T = TypeVar("T")
How = Literal["found", "created", "recovered"]  # made before, made now, made by a lost try


def create_once(
    client: PodioClient,
    what: str,
    create: Callable[[], T],
    find: Callable[[], T | None] | None,
    *,
    looked_up: bool = False,
    unsafe_hint: str = "Give it an external_id to make it safe to repeat",
) -> tuple[T, How]:
    """`create()` at most once. `find()` looks the object up by its external ID (None: it
    has none, and an ambiguous failure is an error that says `unsafe_hint`); `looked_up`
    says the caller has just looked and found nothing. `what` names the object in logs and
    errors."""
    if find is None:
        try:
            return create(), "created"
        except PodioComponentError as exc:
            if exc.may_have_acted:
                raise PodioComponentError(
                    f"{exc.message}; {what} may have been created: a create is not repeated "
                    f"once it may have reached Podio. {unsafe_hint}"
                ) from None
            raise
    if not looked_up:
        found = find()
        if found is not None:  # made before (a redelivery, say)
            return found, "found"
    budget = client.budget()
    while True:
        try:
            return create(), "created"
        except PodioComponentError as exc:
            if not exc.may_have_acted:
                raise
            seconds = budget.next_wait()
            log.warning(
                "creating %s failed ambiguously (%s); looking it up in %.3g s",
                what,
                exc.message,
                seconds,
            )
            budget.pause(seconds)
            found = find()
            if found is not None:
                return found, "recovered"
            if not budget.spend():
                raise
            # absent: Podio did not create it, so creating again is safe
