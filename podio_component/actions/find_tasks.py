"""Find Tasks: the tasks matching every filter given (an object they are on, who is
responsible, done or not, due and created ranges, a label, an external ID), paged under the
hood (100 a call, Podio's groups flattened), each emitted or one message a page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from podio_component.collaboration import people, tasks
from podio_component.collaboration.inputs import body_of, ref, text
from podio_component.contract.events import emit_each_or_page
from podio_component.contract.messages import new_message
from podio_component.credentials import connect
from podio_component.errors import InputError, PodioComponentError
from podio_component.forms.configs import FindTasksConfig
from podio_component.podio.client import PodioClient
from podio_component.podio.time import is_day
from podio_component.validation import parse, whole_number, yes_no

RANGES = ("due_date", "created_on")
KEYS = ("refType", "refId", "responsible", "completed", *RANGES, "label", "external_id")


def process(
    msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None
) -> dict[str, Any] | None:
    body = body_of(msg, KEYS)  # every filter checked before anything is sent
    config = parse(FindTasksConfig, cfg)
    filters = tasks.reference(ref(body, tasks.REF_TYPES, None))
    if "completed" in body:
        filters.append(("completed", "true" if yes_no(body["completed"], "completed") else "false"))
    filters += [(name, date_range(body[name], name)) for name in RANGES if name in body]
    external_id = text(body, "external_id")
    if external_id is not None:
        filters.append(("external_id", external_id))
    if "responsible" in body:
        people.checked(body["responsible"], "responsible")
    client = connect(cfg)
    if "responsible" in body:
        ids = people.user_ids(client, body["responsible"], "responsible")
        filters.append(("responsible", ",".join(map(str, ids))))
    if "label" in body:
        filters.append(("label", str(label_id(client, body["label"]))))
    emitted = 0
    # Whether Podio honours external_id is unverified: then every task is read and checked
    most = config.max_tasks if external_id is None else None
    try:
        for page in tasks.pages(client, filters, most):
            found = [t for t in page if external_id in (None, t.get("external_id"))]
            found = found[: config.max_tasks - emitted]
            emit_each_or_page(found, config.per_page, key="tasks")
            emitted += len(found)
            if emitted >= config.max_tasks:
                break
    except PodioComponentError as exc:
        if emitted:
            raise PodioComponentError(
                f"{exc.message}; {emitted} task(s) were emitted before the failure"
            ) from None
        raise
    if emitted == 0:
        if config.allow_zero_results:
            return new_message({})
        raise PodioComponentError("no tasks match the filters")
    return None


def date_range(given: object, field: str) -> str:
    """`{from, to}` (days, either may be left out) as Podio's "from-to"."""
    if not isinstance(given, Mapping) or not set(given) <= {"from", "to"}:
        raise InputError(field, 'expected {"from": "2026-01-01", "to": "2026-01-31"}', given)
    ends = []
    for end in ("from", "to"):
        day = given.get(end) or ""
        if day and not (isinstance(day, str) and is_day(day) and real_day(day)):
            raise InputError(f"{field}.{end}", "expected a date, YYYY-MM-DD", day)
        ends.append(day)
    if not any(ends):
        raise InputError(field, "expected a from or a to date", given)
    return "-".join(ends)


def label_id(client: PodioClient, given: object) -> int:
    """A label by id, or by its text among the credential user's labels."""
    if not isinstance(given, str) or given.strip().isdigit():
        return whole_number("label", given, 1, 2**63 - 1)
    labels = client.request("GET", "/task/label/").json() or []
    for label in labels:
        if str(label.get("text", "")).lower() == given.strip().lower():
            return int(label["label_id"])
    raise InputError("label", "no task label of the credential's user has this text", given)


def real_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
