"""The emulated tasks: create (with or without a reference, one per responsible), get, the
filter with its groupings, complete (a recurrence makes the next task), incomplete, update,
delete, and the user's labels.

A task is due at one instant (`due_on`, UTC) or on a day; `due_date` and `due_time` are
shown on the clock of the user who reads them, and given on the clock of the user who
writes them, as Podio documents.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from podio_component.emulator.podio.comments import SpaceOf
from podio_component.emulator.podio.model import ApiError, get, timestamp
from podio_component.emulator.podio.people import Made
from podio_component.emulator.podio.revisions import WEB_USER, Writer

REF_TYPES = ("item", "status", "app", "space", "conversation")
GROUPINGS = ("due_date", "created_by", "responsible", "label")
PAGE_MAX = 100
STEPS = {"daily": 1, "weekly": 7}  # days; monthly and yearly move by the calendar
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})?-(\d{4}-\d{2}-\d{2})?$")
PODIO = "%Y-%m-%d %H:%M:%S"


def _bad(description: str) -> ApiError:
    return ApiError(400, "invalid_value", description)


class Tasks(Made):
    def __init__(self, made: Made, space_of: SpaceOf) -> None:
        super().__init__(made.directory, made.people, made.files, made.clock, made.lock)
        self.space_of = space_of
        self.labels: dict[int, dict[str, Any]] = {}
        # What Podio does not say, each playable: whether the filter honours `external_id`
        # (podio-dotnet declares it and never sends it); a grouping it applies when none is
        # asked; what completing a completed task (or reopening an open one) answers: "ok"
        # (nothing to do) or "error" (a 400).
        self.filters_external_id = True
        self.default_grouping: str | None = None
        self.again = "ok"
        self._next_id = 80_001

    # ---- writes ------------------------------------------------------------------------

    def create(
        self,
        body: dict[str, Any],
        ref: tuple[str, int] | None = None,
        by: Writer = WEB_USER,
    ) -> dict[str, Any] | list[dict[str, Any]]:
        """POST /task/ or /task/{ref_type}/{ref_id}/: one task per responsible; several
        answer a list (podio-dotnet reads it so), one or none the task itself."""
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("text is required")
        if ref is not None and ref[0] not in REF_TYPES:
            raise ApiError(404, "not_found", f"No tasks on objects of type {ref[0]}")
        with self.lock:
            space_id = self.space_of(*ref) if ref is not None else None
            people = self._responsible(body.get("responsible"))
            due = self._due(body, by)
            labels = self._labels(body.get("labels"), body.get("label_ids"))
            files = self._files(body.get("file_ids"))
            external_id = body.get("external_id")
            if external_id is not None and not isinstance(external_id, str):
                raise _bad("external_id must be text")
            made = []
            assignees: list[int | None] = [*people] or [None]
            for responsible in assignees:
                task_id = self._next_id
                self._next_id += 1
                for file_id in files:
                    self.files.attach_to(file_id, "task", task_id)
                self.stored[task_id] = {
                    "task_id": task_id,
                    "status": "active",
                    "text": text,
                    "description": body.get("description"),
                    "private": bool(body.get("private", False)),
                    **due,
                    "external_id": external_id,
                    "ref": None if ref is None else {"type": ref[0], "id": ref[1]},
                    "space_id": space_id,
                    "created_by": by,
                    "created_on": timestamp(self.clock.now()),
                    "completed_on": None,
                    "completed_by": None,
                    "responsible": responsible,
                    "labels": labels,
                    "reminder": self._reminder(body.get("reminder")),
                    "recurrence": body.get("recurrence"),
                }
                made.append(self.view(task_id, by))
            return made if len(made) > 1 else made[0]

    def complete(self, task_id: int, by: Writer = WEB_USER) -> dict[str, Any]:
        """POST /task/{id}/complete: `recurring_task_id` when a recurrence made the next."""
        with self.lock:
            task = self._task(task_id)
            if task["status"] == "completed":
                return self._again("completed")
            task.update(
                status="completed",
                completed_on=timestamp(self.clock.now()),
                completed_by=by,
            )
            if not task.get("recurrence"):
                return {}
            following = copy.deepcopy(task)
            following.update(
                task_id=self._next_id,
                status="active",
                completed_on=None,
                completed_by=None,
                created_on=timestamp(self.clock.now()),
                **_moved(task),
            )
            self._next_id += 1
            self.stored[following["task_id"]] = following
            return {"recurring_task_id": following["task_id"]}

    def incomplete(self, task_id: int) -> dict[str, Any]:
        with self.lock:
            task = self._task(task_id)
            if task["status"] == "active":
                return self._again("open")
            task.update(status="active", completed_on=None, completed_by=None)
            return {}

    def update(self, task_id: int, body: dict[str, Any], by: Writer = WEB_USER) -> None:
        """PUT /task/{id}: the keys given change, the others stay."""
        with self.lock:
            task = self._task(task_id)
            changes: dict[str, Any] = {}
            if "text" in body:
                if not isinstance(body["text"], str) or not body["text"].strip():
                    raise _bad("text must be a non-empty text")
                changes["text"] = body["text"]
            for key in ("description", "private"):
                if key in body:
                    changes[key] = body[key]
            if "responsible" in body:
                people = self._responsible(body["responsible"])
                changes["responsible"] = people[0] if people else None
            if {"due_on", "due_date"} & set(body):
                changes.update(self._due(body, by))
            if "labels" in body or "label_ids" in body:
                changes["labels"] = self._labels(body.get("labels"), body.get("label_ids"))
            if "reminder" in body:
                changes["reminder"] = self._reminder(body["reminder"])
            task.update(changes)

    def delete(self, task_id: int) -> None:
        with self.lock:
            self._task(task_id)
            del self.stored[task_id]

    # ---- reads -------------------------------------------------------------------------

    def view(self, task_id: int, reader: Writer = WEB_USER) -> dict[str, Any]:
        """The task as GET /task/{id} gives it, its due date and time on the reader's clock."""
        with self.lock:
            task = self._task(task_id)
            by: Writer = task["created_by"]
            done: Writer | None = task["completed_by"]
            due_date, due_time = task["due_date"], task["due_time"]
            if task["due_on"] is not None:
                local = _utc(task["due_on"]).astimezone(self.people.zone(reader))
                due_date, due_time = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
            return {
                **{k: copy.deepcopy(v) for k, v in task.items() if k not in ("created_by",)},
                "due_date": due_date,
                "due_time": due_time,
                "created_by": by.created_by(),
                "created_via": by.created_via(),
                "completed_by": None if done is None else done.created_by(),
                "responsible": None
                if task["responsible"] is None
                else self.people.contact(task["responsible"]),
                "files": self.files.on("task", task_id),
                "link": f"https://podio.com/tasks/{task_id}",
                "comments": [],
                "like_count": 0,
                "is_liked": False,
            }

    def filter(self, args: dict[str, str], reader: Writer = WEB_USER) -> list[dict[str, Any]]:
        """GET /task/: the tasks matching every filter given, paged by `limit`/`offset`, as
        a list; grouped (`[{group, tasks}]`) when a grouping is asked or played."""
        limit = _whole(args.get("limit", str(PAGE_MAX)), "limit")
        if not 1 <= limit <= PAGE_MAX:
            raise _bad(f"limit must be from 1 to {PAGE_MAX}")
        offset = _whole(args.get("offset", "0"), "offset")
        grouping = args.get("grouping") or self.default_grouping
        if grouping is not None and grouping not in GROUPINGS:
            raise _bad(f"grouping must be one of {', '.join(GROUPINGS)}")
        with self.lock:
            found = [
                self.view(task_id, reader)
                for task_id in self.stored
                if self._matches(self.stored[task_id], args)
            ]
            due_matches = _in_range(args.get("due_date"), "due_date")
            found = [t for t in found if due_matches(t["due_date"])]
        key = args.get("sort_by", "rank")
        if key not in ("created_on", "completed_on", "rank"):
            raise _bad("sort_by must be created_on, completed_on or rank")
        if key != "rank":
            found.sort(key=lambda t: (t[key] or "", t["task_id"]))
        if args.get("sort_desc") in ("true", "1"):
            found.reverse()
        page = found[offset : offset + limit]
        if grouping is None:
            return page
        groups: dict[str, list[dict[str, Any]]] = {}
        for task in page:
            groups.setdefault(self._group(task, grouping), []).append(task)
        return [
            {"group": {"type": grouping, "label": label}, "tasks": tasks}
            for label, tasks in groups.items()
        ]

    def user_labels(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(label) for label in self.labels.values()]

    # ---- parts -------------------------------------------------------------------------

    def _task(self, task_id: int) -> dict[str, Any]:
        task: dict[str, Any] = get(self.stored, task_id, "Task")
        return task

    def _again(self, state: str) -> dict[str, Any]:
        if self.again == "error":
            raise _bad(f"The task is already {state}")
        return {}

    def _matches(self, task: dict[str, Any], args: dict[str, str]) -> bool:
        reference = args.get("reference")
        if reference:
            refs = {tuple(part.split(":", 1)) for part in reference.split(";") if part}
            ref = task["ref"]
            if ref is None or (ref["type"], str(ref["id"])) not in refs:
                return False
        if args.get("responsible"):
            wanted = {int(p) for p in re.split(r"[;,]", args["responsible"]) if p}
            if task["responsible"] not in wanted:
                return False
        completed = args.get("completed")
        if completed is not None and (task["status"] == "completed") != (
            completed in ("true", "1")
        ):
            return False
        if args.get("label") and not any(
            str(label["label_id"]) == args["label"] for label in task["labels"]
        ):
            return False
        external_id = args.get("external_id")
        if self.filters_external_id and external_id not in (None, task["external_id"]):
            return False
        created_matches = _in_range(args.get("created_on"), "created_on")
        return bool(created_matches(task["created_on"][:10]))

    def _group(self, task: dict[str, Any], grouping: str) -> str:
        if grouping == "responsible":
            return str((task["responsible"] or {}).get("name", "Nobody"))
        if grouping == "created_by":
            return str(task["created_by"]["id"])
        if grouping == "label":
            return ", ".join(label["text"] for label in task["labels"]) or "No label"
        today = datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%d")
        due = task["due_date"]
        if due is None:
            return "later"
        return "overdue" if due < today else "today" if due == today else "upcoming"

    def _responsible(self, given: object) -> list[int]:
        """User ids from a user id, a {type, id} (user, profile or mail), or a list of them."""
        if given is None:
            return []
        people = []
        for one in given if isinstance(given, list) else [given]:
            kind, key = ("user", one) if isinstance(one, int) else _typed(one)
            user = None
            if kind == "user":
                user = self.directory.users.get(key) if isinstance(key, int) else None
            elif kind == "profile":
                user = next(
                    (u for u in self.directory.users.values() if u["profile_id"] == key), None
                )
            elif kind == "mail" and isinstance(key, str):
                user = self.directory.user_by_mail(key)
            if user is None:
                raise _bad(f"No user {one!r} to make responsible")
            people.append(int(user["user_id"]))
        return list(dict.fromkeys(people))

    def _due(self, body: dict[str, Any], by: Writer) -> dict[str, Any]:
        """`due_on` (UTC), or `due_date` with or without `due_time` on the writer's clock."""
        due_on, due_date, due_time = body.get("due_on"), body.get("due_date"), body.get("due_time")
        if due_on is not None:
            if due_date is not None:
                raise _bad("due_on and due_date cannot both be given")
            moment = _utc(due_on)
            return {"due_on": moment.strftime(PODIO), "due_date": None, "due_time": None}
        if due_date is None:
            if due_time is not None:
                raise _bad("due_time needs a due_date")
            return {"due_on": None, "due_date": None, "due_time": None}
        try:
            day = datetime.strptime(str(due_date), "%Y-%m-%d")
        except ValueError:
            raise _bad(f"Invalid due_date {due_date!r}: expected YYYY-MM-DD") from None
        if due_time is None:
            return {"due_on": None, "due_date": day.strftime("%Y-%m-%d"), "due_time": None}
        try:
            hour, minute, *rest = (int(part) for part in str(due_time).split(":"))
        except ValueError:
            raise _bad(f"Invalid due_time {due_time!r}: expected HH:MM") from None
        local = day.replace(hour=hour, minute=minute, second=rest[0] if rest else 0)
        moment = local.replace(tzinfo=self.people.zone(by)).astimezone(UTC)
        return {"due_on": moment.strftime(PODIO), "due_date": None, "due_time": None}

    def _labels(self, texts: object, ids: object) -> list[dict[str, Any]]:
        texts, ids = texts or [], ids or []
        if not isinstance(texts, list) or not isinstance(ids, list):
            raise _bad("labels and label_ids must be lists")
        labels = []
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                raise _bad("labels must be texts")
            found = next((x for x in self.labels.values() if x["text"] == text), None)
            if found is None:
                found = {"label_id": 90_001 + len(self.labels), "text": text, "color": "E9E9E9"}
                self.labels[found["label_id"]] = found
            labels.append(dict(found))
        for label_id in ids:
            labels.append(dict(get(self.labels, label_id, "Label")))
        return labels

    def _files(self, file_ids: object) -> list[int]:
        if file_ids is None:
            return []
        if not isinstance(file_ids, list) or not all(isinstance(f, int) for f in file_ids):
            raise _bad("file_ids must be a list of file ids")
        for file_id in file_ids:
            self.files.view(file_id)
        return list(file_ids)

    @staticmethod
    def _reminder(given: object) -> dict[str, Any] | None:
        if given is None:
            return None
        delta = given.get("remind_delta") if isinstance(given, dict) else None
        if delta in (None, ""):
            return None
        if not isinstance(delta, int) or delta < 0:
            raise _bad("remind_delta must be a number of minutes")
        return {"remind_delta": delta}


def _typed(one: object) -> tuple[str, object]:
    if not isinstance(one, dict) or one.get("type") not in ("user", "profile", "mail"):
        raise _bad(f"Invalid responsible {one!r}")
    return str(one["type"]), one.get("id")


def _utc(text: object) -> datetime:
    try:
        return datetime.strptime(str(text), PODIO).replace(tzinfo=UTC)
    except ValueError:
        raise _bad(f"Invalid date-time {text!r}: expected YYYY-MM-DD HH:MM:SS") from None


def _whole(text: str, name: str) -> int:
    if not text.isdigit():
        raise _bad(f"{name} must be a whole number")
    return int(text)


def _in_range(given: str | None, name: str) -> Any:
    """A test for a day against Podio's "from-to" range (either side may be left out)."""
    if not given:
        return lambda day: True
    found = RANGE.match(given)
    if found is None:
        raise _bad(f"{name} must be a range YYYY-MM-DD-YYYY-MM-DD")
    low, high = found.groups()
    return lambda day: day is not None and (low or day) <= day <= (high or day)


def _moved(task: dict[str, Any]) -> dict[str, Any]:
    """The next task's due, one recurrence step on."""
    recurrence = task["recurrence"] or {}
    step = int(recurrence.get("step") or 1)
    name = recurrence.get("name", "weekly")

    def later(moment: datetime) -> datetime:
        if name in STEPS:
            return moment + timedelta(days=STEPS[name] * step)
        months = step * (12 if name == "yearly" else 1)
        year, month = divmod(moment.month - 1 + months, 12)
        return moment.replace(year=moment.year + year, month=month + 1, day=min(moment.day, 28))

    if task["due_on"] is not None:
        return {"due_on": later(_utc(task["due_on"])).strftime(PODIO)}
    if task["due_date"] is not None:
        day = datetime.strptime(task["due_date"], "%Y-%m-%d")
        return {"due_date": later(day).strftime("%Y-%m-%d")}
    return {}
