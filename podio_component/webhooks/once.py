"""Each event emitted once: a text of keys, each with the highest revision handled, so a
delivery Podio repeats, or the broker redelivers once the snapshot moved on, or an older
revision arriving after a newer one, is dropped without a call.

The keys are an item's id (its revision as the hooks send it), `c<comment id>` and
`f<item>.<action>.<file ids>` (revision 0). They are kept as one text, `"5001:1448600003
c60001:0"`, oldest first: looking one up, marking one and measuring the snapshot are text
operations, and the runtime copies and publishes the snapshot as one string rather than
hundreds of entries. Past the room the snapshot has (the platform keeps 5 KB), the keys
handled longest ago are forgotten, with a warning the first time: a repeat of one of those
could be emitted again, nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable

from podio_component.redaction import logger

log = logger(__name__)

DELETED = 2**53  # above every revision id, and exact in JSON


class Once:
    def __init__(self, handled: str, room: int) -> None:
        self.text = handled if handled.isascii() else ""  # "key:revision" pairs, oldest first
        self.room = room  # characters the text may take

    def handled(self, key: str, revision: int) -> bool:
        """Whether this revision of the key, or a later one, was handled already."""
        found = self._find(key)
        return found is not None and revision <= found[2]

    def revision(self, key: str) -> int | None:
        """The highest revision handled for the key, if it is remembered."""
        found = self._find(key)
        return None if found is None else found[2]

    def mark(self, key: str, revision: int) -> None:
        found = self._find(key)
        if found is not None:
            revision = max(revision, found[2])
            self._cut(found)
        entry = f"{key}:{revision}"
        self.text = f"{self.text} {entry}" if self.text else entry
        while len(self.text) > self.room and " " in self.text:
            forgotten, _, self.text = self.text.partition(" ")
            _forgotten(forgotten.partition(":")[0])

    def forget(self, seen: Iterable[tuple[str, int]]) -> None:
        """Drop the keys a catch-up saw at these revisions or later: the catch-up's cursor
        covers them now."""
        for key, revision in seen:
            found = self._find(key)
            if found is not None and found[2] <= revision:
                self._cut(found)

    @property
    def fullness(self) -> float:
        return len(self.text) / self.room

    def _cut(self, found: tuple[int, int, int]) -> None:
        start, end, _ = found
        self.text = (self.text[:start] + self.text[end:]).strip().replace("  ", " ")

    def _find(self, key: str) -> tuple[int, int, int] | None:
        """(start, end, revision) of the key's entry."""
        prefix = f"{key}:"
        start = -1
        while True:
            start = self.text.find(prefix, start + 1)
            if start == -1:
                return None
            if start == 0 or self.text[start - 1] == " ":
                break
        end = self.text.find(" ", start)
        end = len(self.text) if end == -1 else end
        revision = self.text[start + len(prefix) : end]
        return (start, end, int(revision)) if revision.isdigit() else None


_warned = False


def _forgotten(key: str) -> None:
    """A warning the first time in the process, then a debug line for each."""
    global _warned
    if _warned:
        log.debug("the snapshot is full: %s is forgotten", key)
        return
    _warned = True
    log.warning(
        "the snapshot is full (5 KB): what was handled longest ago is forgotten from now on, "
        "%s first; a repeated delivery for it could be emitted again",
        key,
    )
