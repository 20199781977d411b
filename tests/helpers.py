"""What many tests share that is not a fixture: addresses, step cfgs, running a step, the
recording clock, stored credentials, read-only folders and a refused connection."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from podio_component.context import Clock
from podio_component.contract import events
from podio_component.credentials.store import CredentialStore, StoredCredential
from podio_component.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
API = "https://api.podio.com"
PLATFORM = "https://platform.example"
PLATFORM_ENV = {
    "ELASTICIO_API_URI": PLATFORM,
    "ELASTICIO_API_USERNAME": "api-user@example.com",
    "ELASTICIO_API_KEY": "platform-api-key-0123456789",
    "ELASTICIO_WORKSPACE_ID": "ws1",
}
SECRET_URL = f"{PLATFORM}/v2/workspaces/ws1/secrets/s1"
SetEnv = Callable[[str, str], None]


class RecordingClock(Clock):
    """Records each sleep instead of sleeping, and moves on by it, as if it had slept."""

    def __init__(self) -> None:
        self.waited: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + sum(self.waited)

    def sleep(self, seconds: float) -> None:
        self.waited.append(seconds)


def save_credential(
    store: CredentialStore,
    emulator: Emulator,
    name: str = "work",
    *,
    expires_in: float = 28_800,
    keep_secret: bool = True,
    mail: str | None = None,
) -> StoredCredential:
    """A credential signed in at the emulator and kept in the store, as `login` keeps it;
    `expires_in` sets how long the store believes it has left."""
    token = emulator.issue_token(mail)
    now = time.time()
    credential = StoredCredential(
        name=name,
        grant="password",
        api_url=emulator.podio_url,
        client_id=emulator.client_id,
        client_secret=emulator.platform.client_secret if keep_secret else None,
        token=token,
        expires_at=now + expires_in,
        obtained_at=now,
    )
    store.save(credential)
    return credential


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """directory read-only for this process, root included: root ignores permission bits,
    so as root it becomes a read-only bind mount of itself (and fails loudly if it cannot)."""
    if os.geteuid() != 0:
        directory.chmod(0o500)
        try:
            yield
        finally:
            directory.chmod(0o700)
        return
    subprocess.run(["mount", "--bind", directory, directory], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", directory, directory], check=True)
        yield
    finally:
        subprocess.run(["umount", directory], check=True)


def refused() -> requests.ConnectionError:
    """What requests raises when nothing listens: the request was never sent."""
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def secret_body(
    token: str, refresh: str = "refresh-token-abcdef", **fields: str
) -> dict[str, object]:
    """A Secrets API response holding token."""
    return {
        "data": {
            "id": "s1",
            "type": "auth-secret",
            "attributes": {
                "name": "podio",
                "state": "ready",
                "type": "oauth2",
                "credentials": {
                    "access_token": token,
                    "refresh_token": refresh,
                    "expires_in": 28800,
                    "fields": fields,
                },
            },
        }
    }


def cfg_for(emulator: Emulator, **fields: Any) -> dict[str, Any]:
    """A step cfg with an inline token of the emulator's first user, no retries, and
    `fields` (the app, other retry settings, the step's options)."""
    token = emulator.issue_token()["access_token"]
    return {"oauth": {"access_token": token}, "retries": "0", **fields}


def run(action: Any, cfg: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """An action's process() on one message; the output message's body."""
    output: dict[str, Any] = action.process({"body": body}, cfg)
    body_out: dict[str, Any] = output["body"]
    return body_out


def poll(trigger: Any, cfg: dict[str, Any], snapshot: Any) -> tuple[list[dict[str, Any]], Any]:
    """One run of a trigger: the data messages it emitted, and its last snapshot."""
    with events.collect() as collected:
        trigger.process({}, cfg, snapshot)
    return collected.data, collected.snapshot


class PodioApi:
    """The emulated Podio over loopback HTTP, as a seeded user (the first by default): what
    a person or another integration does in Podio."""

    def __init__(self, emulator: Emulator, mail: str | None = None) -> None:
        self.url = emulator.podio_url
        token = emulator.issue_token(mail)["access_token"]
        self.headers = {"Authorization": f"OAuth2 {token}"}

    def response(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.url + path, headers=self.headers, timeout=10, **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Podio's answer, parsed; an error answer fails the test."""
        answer = self.response(method, path, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def hooks(self, app_id: int = 30) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/hook/app/{app_id}/"))
