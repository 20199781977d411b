"""Tasks: create (one per responsible, always read as a list), find (paged, Podio's groups
flattened), look up by external ID, complete and reopen."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from podio_component.collaboration.inputs import Ref
from podio_component.collaboration.writes import Params, post
from podio_component.errors import PodioHTTPError
from podio_component.podio.client import PodioClient
from podio_component.podio.time import task_due_read

REF_TYPES = ("item", "status", "app", "space")
PAGE_LIMIT = 100  # the most GET /task/ gives at once


def record(task: Mapping[str, Any]) -> dict[str, Any]:
    """The task as Podio gives it, with `due`: the day it is due on, or the instant (UTC)."""
    return {**task, "due": task_due_read(dict(task))}


def create(
    client: PodioClient, ref: Ref | None, body: Mapping[str, Any], params: Params
) -> list[dict[str, Any]]:
    """The new tasks: Podio makes one per responsible and answers a list for several, the
    task itself for one; both are read as a list."""
    answer = post(client, "/task/" if ref is None else f"/task/{ref.path}/", body, params)
    return [record(task) for task in (answer if isinstance(answer, list) else [answer])]


def flattened(answer: object) -> list[dict[str, Any]]:
    """GET /task/'s answer as tasks: a list of tasks, or of groups `{group, tasks}`."""
    tasks: list[dict[str, Any]] = []
    for entry in answer if isinstance(answer, list) else []:
        if isinstance(entry, dict) and "task_id" not in entry and "tasks" in entry:
            tasks.extend(entry["tasks"] or [])
        elif isinstance(entry, dict):
            tasks.append(entry)
    return tasks


def pages(
    client: PodioClient, filters: Params, most: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The tasks matching every filter, a page (one call) at a time, oldest first, until
    Podio has no more or `most` were read."""
    offset = 0
    while most is None or offset < most:
        limit = PAGE_LIMIT if most is None else min(PAGE_LIMIT, most - offset)
        params = [
            *filters,
            ("sort_by", "created_on"),
            ("limit", str(limit)),
            ("offset", str(offset)),
        ]
        page = flattened(client.request("GET", "/task/", params=params).json())
        yield [record(task) for task in page]
        offset += len(page)
        if len(page) < limit:
            return


def by_external_id(
    client: PodioClient, external_id: str, ref: Ref | None
) -> list[dict[str, Any]] | None:
    """The tasks carrying the external ID (on `ref`), or None. Whether Podio's filter honours
    `external_id` is unverified, so each task is checked here too."""
    filters = [("external_id", external_id), *reference(ref)]
    found = [
        t for page in pages(client, filters) for t in page if t.get("external_id") == external_id
    ]
    return found or None


def reference(ref: Ref | None) -> list[tuple[str, str]]:
    return [] if ref is None else [("reference", f"{ref.type}:{ref.id}")]


def set_completed(
    client: PodioClient, task_id: int, completed: bool, params: Params
) -> dict[str, Any]:
    """Complete or reopen the task; one already so is done too (whether Podio answers that
    with a 400 is unverified: then the task is read to tell). The output carries
    `recurring_task_id` when completing made the next task of a recurrence."""
    action = "complete" if completed else "incomplete"
    try:
        sent = client.request("POST", f"/task/{task_id}/{action}", params=params)
        answer = sent.json() if sent.content else None
    except PodioHTTPError as exc:
        if exc.status != 400:
            raise
        task = client.request("GET", f"/task/{task_id}").json()
        if (task.get("status") == "completed") != completed:
            raise
        answer = None
    return {
        "task_id": task_id,
        "status": "completed" if completed else "active",
        "recurring_task_id": (answer or {}).get("recurring_task_id"),
    }
