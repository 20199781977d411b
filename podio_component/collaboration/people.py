"""The people a write names: users by id or by e-mail (found through Podio's contacts once
per process and address), and Podio's refusal of a mention of someone outside the space."""

from __future__ import annotations

import threading

from podio_component.errors import InputError, PodioComponentError, PodioHTTPError
from podio_component.items.fields import printable
from podio_component.podio.client import PodioClient
from podio_component.validation import whole_number

_found: dict[tuple[tuple[str, ...], str], int] = {}  # (credential, address) -> user_id
_lock = threading.Lock()


def user_ids(client: PodioClient, given: object, field: str) -> list[int]:
    """User ids from a user id, an e-mail address or a list of them, in order, once each."""
    checked(given, field)
    listed = given if isinstance(given, list) else [given]
    ids = []
    for n, one in enumerate(listed):
        where = field if not isinstance(given, list) else f"{field}[{n}]"
        if isinstance(one, str) and "@" in one:
            ids.append(user_by_mail(client, one.strip(), where))
        else:
            ids.append(whole_number(where, one, 1, 2**63 - 1))
    return list(dict.fromkeys(ids))


def checked(given: object, field: str) -> None:
    """The shape of a `responsible` before any call: ids and addresses, nothing else."""
    if given == []:
        raise InputError(field, "expected a user id, an e-mail address or a list of them", given)
    for n, one in enumerate(given if isinstance(given, list) else [given]):
        if not (isinstance(one, str) and "@" in one):
            where = field if not isinstance(given, list) else f"{field}[{n}]"
            whole_number(where, one, 1, 2**63 - 1)


def user_by_mail(client: PodioClient, address: str, field: str) -> int:
    key = (client.credential, address.lower())
    with _lock:
        if key in _found:
            return _found[key]
    contacts = client.request("GET", "/contact/", params=[("mail", address)]).json() or []
    users = [c["user_id"] for c in contacts if isinstance(c, dict) and c.get("user_id")]
    if not users:
        raise InputError(field, "no Podio user the credential can see has this address", address)
    with _lock:
        _found[key] = int(users[0])
    return int(users[0])


def forget_contacts() -> None:
    """Drop every address found (tests; people who changed their address)."""
    with _lock:
        _found.clear()


class MentionRefused(PodioComponentError):
    """Podio refused a mention of people who cannot see the object; nothing was written."""


def mention_refused(exc: PodioHTTPError) -> MentionRefused | None:
    """Podio's alert.no_access(.invite) as an error that names the people and says what to
    do; None for any other error."""
    if exc.error_detail not in ("alert.no_access", "alert.no_access.invite"):
        return None
    names = exc.error_parameters.get("names")
    who = ", ".join(printable(n) for n in names) if isinstance(names, list) else "someone"
    if exc.error_detail == "alert.no_access":
        advice = "they cannot be invited: share the object with them or leave the mention out"
    else:
        space = printable(exc.error_parameters.get("space_name") or "the workspace")
        advice = f"turn on the step's alertInvite option to invite them to {space}"
    return MentionRefused(
        f"Podio refused the mention of {who}, who cannot see it ({exc.error_detail}); "
        f"{advice}. Nothing was written"
    )
