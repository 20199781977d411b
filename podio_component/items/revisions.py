"""An item's revisions (files-and-collaboration §5): which revision a hook's
`item_revision_id` names, and what that revision changed, field by field, in the `values`
form.

The hook's value is, by its name and every capture, Podio's global revision id; one public
handler reads it as the item's own revision number. Neither is worked out by arithmetic:
the value is looked up among the item's revisions (its latest few come with the item, the
rest with one more call), as a global id first and then as a number. The difference route
takes revision numbers by Podio's docs; should it answer those with an error, it is asked
again with the two global ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from podio_component.errors import PodioHTTPError
from podio_component.items.fields import Field, field_key, field_type, settings_of
from podio_component.podio.client import PodioClient
from podio_component.podio.time import epoch


class Revision(NamedTuple):
    number: int  # the item's own: 0 at creation, +1 per change
    item_revision_id: int  # Podio's global id
    created_on: int | None = None  # seconds since the epoch, where Podio says


class ItemRevisions:
    """The revisions of one item as read (GET /item/{id}), and more on demand."""

    def __init__(self, client: PodioClient, item: Mapping[str, Any]) -> None:
        self.client = client
        self.item_id = int(item["item_id"])
        entries = [item.get("current_revision"), *(item.get("revisions") or [])]
        self._known = _revisions([*entries, item.get("initial_revision")])
        self._listed = False

    def find(self, delivered: int, *, list_all: bool = True) -> Revision | None:
        """The revision a hook's item_revision_id names, or None when Podio no longer lists
        it (or, without `list_all`, when it is not among those that came with the item)."""
        found = _match(self._known, delivered)
        if found is None and list_all and not self._listed:
            self._list()
            found = _match(self._known, delivered)
        return found

    def changes(
        self, revision: Revision, fields: Sequence[Field], since: Revision | None = None
    ) -> list[dict[str, Any]]:
        """What changed from `since` (by default the revision before) to `revision`:
        `{field, label, from, to}` per field, in `values` form; nothing for the creation."""
        low = revision.number - 1 if since is None else since.number
        if revision.number == 0 or low >= revision.number:
            return []
        path = f"/item/{self.item_id}/revision"
        try:
            diff = self.client.request("GET", f"{path}/{low}/{revision.number}")
        except PodioHTTPError as exc:
            before = self._global_id(low) if since is None else since.item_revision_id
            if exc.status not in (400, 404) or before is None:
                raise
            diff = self.client.request("GET", f"{path}/{before}/{revision.item_revision_id}")
        by_id = {f.get("field_id"): f for f in fields}
        return [_change(entry, by_id) for entry in diff.json() or [] if isinstance(entry, dict)]

    def _global_id(self, number: int) -> int | None:
        for revision in self._known:
            if revision.number == number:
                return revision.item_revision_id
        if self._listed:
            return None
        self._list()
        return self._global_id(number)

    def _list(self) -> None:
        listed = self.client.request("GET", f"/item/{self.item_id}/revision/").json()
        self._known = _revisions([*self._known, *(listed or [])])
        self._listed = True


def _revisions(entries: Sequence[Any]) -> list[Revision]:
    found = []
    for entry in entries:
        if isinstance(entry, Mapping):
            number, global_id = entry.get("revision"), entry.get("item_revision_id")
            if isinstance(number, int) and isinstance(global_id, int):
                found.append(Revision(number, global_id, _second(entry.get("created_on"))))
    return found


def _second(text: object) -> int | None:
    try:
        return epoch(str(text)) if text else None
    except ValueError:
        return None


def _match(known: Sequence[Revision], delivered: int) -> Revision | None:
    for revision in known:
        if revision.item_revision_id == delivered:
            return revision
    for revision in known:  # the other reading: the item's own number
        if revision.number == delivered:
            return revision
    return None


def _change(entry: Mapping[str, Any], fields: Mapping[Any, Field]) -> dict[str, Any]:
    """One field of a difference, its values read as the field's type reads them (the
    item's definition of the field where it has one, for its settings)."""
    field = fields.get(entry.get("field_id")) or entry
    kind, settings = field_type(field), settings_of(field)
    return {
        "field": field_key(entry),
        "label": entry.get("label") or field.get("label"),
        "from": kind.read(entry.get("from") or [], settings),
        "to": kind.read(entry.get("to") or [], settings),
    }
