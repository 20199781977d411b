"""The emulated Podio's webhooks (triggers-and-items §6): create, list, delete, the verify
flow, and deliveries as Podio makes them.

- A hook is inactive until validated, and only active hooks fire. Creating one, or asking
  for a new verification, sends `hook.verify` with a new code.
- A delivery is a form-encoded POST to the hook's URL with the URL's query parameters
  moved into the body, made by a background thread after the call that caused it, once
  and never retried.
- At most 10 hooks of each type per app (Podio's 400 past that); only ports 80 and 443 with
  `strict_ports`, any port on a loopback host otherwise (so `listen` can be reached).
- What the reference leaves open is played by `readings`; `faults` drops, repeats or swaps
  deliveries; `routes` maps a public address (a tunnel's) to a local one.
"""

from __future__ import annotations

import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests

from podio_component.emulator.podio.changes import Change, Changes
from podio_component.emulator.podio.model import ApiError
from podio_component.settings import is_loopback

APP_TYPES = (
    "item.create",
    "item.update",
    "item.delete",
    "comment.create",
    "comment.delete",
    "file.change",
    "app.update",
    "app.delete",
    "form.create",
    "form.update",
    "form.delete",
    "tag.add",
    "tag.delete",
)
CAP = 10  # hooks of one type per app
SWAP_WAIT = 5.0  # seconds a held delivery waits for the one it is swapped with


@dataclass
class Hook:
    hook_id: int
    app_id: int
    url: str
    type: str
    status: str = "inactive"
    code: str | None = None

    def view(self) -> dict[str, Any]:
        return {"hook_id": self.hook_id, "status": self.status, "type": self.type, "url": self.url}


@dataclass
class HookReadings:
    """Facts the reference leaves open, each playable (the defaults are unverified too)."""

    events_carry_hook_id: bool = False  # whether item/comment/file events name their hook
    empty_external_id: str | None = ""  # an item without one: `external_id=` or (None) absent
    revision_numbering: str = "global"  # the item_revision_id sent: "global" id or "number"


@dataclass
class HookFaults:
    drop: int = 0  # the next N deliveries are lost
    repeat: int = 0  # the next N deliveries are each made twice
    swap: int = 0  # the next N item deliveries are each held until the next one of that item


@dataclass(frozen=True)
class Delivery:
    url: str  # where it went (after routing)
    form: dict[str, str]
    status: int | None  # None: no answer, or dropped
    dropped: bool = False  # lost on purpose (faults.drop)


@dataclass
class _Outgoing:
    url: str
    form: dict[str, str]
    item_id: int | None = None
    held_since: float = field(default_factory=time.monotonic)
    # the faults it meets, decided when Podio queues it (not when it is sent, which runs
    # behind the test that sets the next fault)
    dropped: bool = False
    times: int = 1
    swapped: bool = False


class Hooks:
    def __init__(self, apps: dict[int, Any], changes: Changes, lock: threading.RLock) -> None:
        self._apps = apps
        self._lock = lock
        self.stored: dict[int, Hook] = {}
        self._next_id = 90_001
        self.strict_ports = False
        self.routes: list[tuple[str, str]] = []  # (public prefix, local prefix)
        self.readings = HookReadings()
        self.faults = HookFaults()
        self.delivered: list[Delivery] = []
        self._queue: queue.Queue[_Outgoing | None] = queue.Queue()
        self._busy = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        changes.listen(self._heard)

    # ---- the API ---------------------------------------------------------------------------

    def create(self, ref_type: str, ref_id: int, body: dict[str, Any]) -> dict[str, Any]:
        if ref_type != "app":
            raise ApiError(400, "invalid_value", f"Hooks on {ref_type!r} are not emulated")
        if ref_id not in self._apps:
            raise ApiError(404, "not_found", "Object not found")
        kind, url = body.get("type"), body.get("url")
        if kind not in APP_TYPES:
            raise ApiError(400, "invalid_value", f"Invalid hook type {kind!r}")
        if not isinstance(url, str):
            raise ApiError(400, "invalid_value", "url must be a string")
        self._check_url(url)
        with self._lock:
            same = [h for h in self.stored.values() if h.app_id == ref_id and h.type == kind]
            if len(same) >= CAP:
                raise ApiError(
                    400,
                    "invalid_value",
                    f"Only {CAP} hooks of the same type are allowed on an object",
                )
            hook = Hook(self._next_id, ref_id, url, str(kind))
            self._next_id += 1
            self.stored[hook.hook_id] = hook
            self._send_verification(hook)
            return {"hook_id": hook.hook_id}

    def listed(self, ref_type: str, ref_id: int) -> list[dict[str, Any]]:
        if ref_type != "app" or ref_id not in self._apps:
            raise ApiError(404, "not_found", "Object not found")
        with self._lock:
            return [h.view() for h in self.stored.values() if h.app_id == ref_id]

    def delete(self, hook_id: int) -> None:
        with self._lock:
            self._get(hook_id)
            del self.stored[hook_id]

    def deactivate(self, hook_id: int) -> None:
        """The hook goes inactive, as Podio's hooks sometimes do unasked."""
        with self._lock:
            self._get(hook_id).status = "inactive"

    def request_verification(self, hook_id: int) -> None:
        with self._lock:
            self._send_verification(self._get(hook_id))

    def validate(self, hook_id: int, body: dict[str, Any]) -> None:
        with self._lock:
            hook = self._get(hook_id)
            if hook.status == "active":
                raise ApiError(400, "invalid_value", "The hook is already verified")
            if hook.code is None or body.get("code") != hook.code:
                raise ApiError(400, "invalid_value", "Invalid verification code")
            hook.status, hook.code = "active", None

    def _get(self, hook_id: int) -> Hook:
        hook = self.stored.get(hook_id)
        if hook is None:
            raise ApiError(404, "not_found", "Object not found")
        return hook

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError(400, "invalid_value", f"Invalid url {url!r}")
        if port not in (80, 443) and (self.strict_ports or not is_loopback(parts.hostname)):
            raise ApiError(400, "invalid_value", "Only ports 80 and 443 are allowed for hooks")

    # ---- deliveries ------------------------------------------------------------------------

    def _send_verification(self, hook: Hook) -> None:
        hook.code = secrets.token_hex(8)
        form = {"type": "hook.verify", "hook_id": str(hook.hook_id), "code": hook.code}
        self._enqueue(hook, form, None)

    def _heard(self, change: Change) -> None:
        """Runs inside the world's lock: only queues what the change makes Podio send."""
        if not change.hook:
            return
        for hook in list(self.stored.values()):
            fires = hook.app_id == change.app_id and hook.type == change.kind
            if fires and hook.status == "active":
                self._enqueue(hook, self._event(hook, change), change.item_id)

    def _event(self, hook: Hook, change: Change) -> dict[str, str]:
        form = {"type": change.kind, "item_id": str(change.item_id)}
        details = change.details
        if change.kind.startswith("item."):
            numbering = self.readings.revision_numbering
            form["item_revision_id"] = str(
                details["revision"] if numbering == "number" else details["item_revision_id"]
            )
            external_id = details.get("external_id")
            if external_id is not None:
                form["external_id"] = str(external_id)
            elif self.readings.empty_external_id is not None:
                form["external_id"] = self.readings.empty_external_id
        else:
            form.update({k: str(v) for k, v in details.items()})
        if self.readings.events_carry_hook_id:
            form["hook_id"] = str(hook.hook_id)
        return form

    def _enqueue(self, hook: Hook, form: dict[str, str], item_id: int | None) -> None:
        """The hook's URL without its query, whose parameters join the body, as Podio sends."""
        parts = urlsplit(hook.url)
        url = urlunsplit(parts._replace(query="", fragment=""))
        for public, local in self.routes:
            if url.startswith(public):
                url = local + url[len(public) :]
                break
        outgoing = _Outgoing(url, {**dict(parse_qsl(parts.query)), **form}, item_id)
        with self._idle:
            self._busy += 1
            faults = self.faults
            if faults.drop:
                faults.drop -= 1
                outgoing.dropped = True
            elif faults.repeat:
                faults.repeat -= 1
                outgoing.times = 2
            if faults.swap and item_id is not None:
                faults.swap -= 1
                outgoing.swapped = True
        self._queue.put(outgoing)
        if self._thread is None:
            self._thread = threading.Thread(target=self._deliver, name="hook-deliveries")
            self._thread.daemon = True
            self._thread.start()

    def _deliver(self) -> None:
        held: _Outgoing | None = None  # the first of a pair to be swapped
        session = requests.Session()
        while True:
            try:
                outgoing = self._queue.get(timeout=0.05 if held else None)
            except queue.Empty:
                if held is not None and time.monotonic() - held.held_since > SWAP_WAIT:
                    self._post(session, held)
                    held = None
                continue
            if outgoing is None:
                return
            if held is None and outgoing.swapped:
                held = outgoing
                continue
            self._post(session, outgoing)
            if held is not None and held.item_id == outgoing.item_id:
                self._post(session, held)
                held = None

    def _post(self, session: requests.Session, outgoing: _Outgoing) -> None:
        try:
            self._make(session, outgoing)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _make(self, session: requests.Session, outgoing: _Outgoing) -> None:
        if outgoing.dropped:
            self.delivered.append(Delivery(outgoing.url, outgoing.form, None, dropped=True))
            return
        for _ in range(outgoing.times):
            try:
                status = session.post(outgoing.url, data=outgoing.form, timeout=10).status_code
            except requests.RequestException:
                status = None  # no answer; Podio does not retry
            self.delivered.append(Delivery(outgoing.url, outgoing.form, status))

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until every delivery queued so far was made (a held one included)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._busy == 0, timeout):
                raise TimeoutError("hook deliveries still pending")

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None
