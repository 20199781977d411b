"""The platform's attachments (files-and-collaboration §1): reading the one a URL names into a
spool, and making a new one of a spool's bytes.

- A URL whose query says `storage_type=maester` is an object in Maester: it is read from this
  step's own `ELASTICIO_OBJECT_STORAGE_URI` (`GET /objects/{id}`) with its bearer token,
  whatever host the URL names, so the token never reaches another host.
- Any other http(s) URL (steward, or outside the platform) is read with a plain GET, with no
  credential of any kind.
- A new attachment is `POST /objects` with its content type; its URL is the platform's form,
  `{ELASTICIO_OBJECT_STORAGE_URI}/objects/{id}?storage_type=maester`.

A read is retried (no answer, or a 5xx); a write only when it was never sent.
"""

from __future__ import annotations

import json
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import requests

from podio_component.deadline import Deadline
from podio_component.errors import InputError, PodioComponentError
from podio_component.http import Timeouts, never_sent, new_session, send
from podio_component.quick_retry import QuickRetry, Transient
from podio_component.redaction import register_secret, without_password
from podio_component.settings import environment
from podio_component.spool import Spool

MAESTER = "maester"
RETRY = QuickRetry(attempts=4, first_wait=0.1, max_wait=2.0)


class AttachmentStore(Protocol):
    def read(self, url: str, spool: Spool) -> str | None:
        """The attachment at `url`, streamed into `spool`; its content type where told."""

    def write(self, spool: Spool, name: str, content_type: str) -> str:
        """A new attachment of the spool's bytes; its URL."""

    def writable(self) -> None:
        """Raise now, before any file is fetched, when `write` could not succeed."""


class StorageError(PodioComponentError):
    """The platform's storage could not be read or written."""


class PlatformStore:
    """The platform's storage, as the environment names it; without it, only URLs outside
    storage can be read."""

    def __init__(self, uri: str | None, token: str | None) -> None:
        register_secret(token)
        self.uri = (uri or "").rstrip("/")
        self._auth = {"Authorization": f"Bearer {token}"} if uri and token else None
        self._session = new_session(self.uri or "http://localhost")
        self._plain = requests.Session()  # for URLs outside storage: no credential at all
        self._plain.trust_env = False

    @classmethod
    def from_environment(cls) -> PlatformStore:
        env = environment()
        return cls(env.storage_uri, env.storage_token)

    def _storage(self) -> dict[str, str]:
        """The bearer header; a clear error where the environment names no storage."""
        if self._auth is None:
            raise StorageError(
                "this step moves files through the platform's storage, which needs "
                "ELASTICIO_OBJECT_STORAGE_URI and ELASTICIO_OBJECT_STORAGE_TOKEN (the platform "
                "sets them for a component's containers)"
            )
        return self._auth

    def writable(self) -> None:
        self._storage()

    def read(self, url: str, spool: Spool) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(spool.field, "expected an http(s) URL", without_password(url))
        kind = parse_qs(parts.query).get("storage_type", ["steward"])[-1]
        if kind == MAESTER:
            object_id = parts.path.partition("/objects/")[2].strip("/")
            if not object_id:
                raise InputError(spool.field, "names no Maester object (…/objects/{id})", url)
            headers = self._storage()
            target, session = f"{self.uri}/objects/{object_id}", self._session
        elif kind == "steward":
            target, session, headers = url, self._plain, {}  # never the storage token
        else:
            raise InputError(spool.field, f"storage type {kind!r} is not supported", url)

        def attempt() -> str | None:
            spool.reset()
            response, _ = _call(session, "GET", target, headers, sink=spool.write)
            return response.headers.get("Content-Type")

        return RETRY.call(attempt)

    def write(self, spool: Spool, name: str, content_type: str) -> str:
        headers = {**self._storage(), "Content-Type": content_type}

        def attempt() -> str:
            _, content = _call(
                self._session,
                "POST",
                f"{self.uri}/objects",
                headers,
                data=spool.rewind(),
                write=True,
            )
            try:
                object_id = json.loads(content)["objectId"]
            except (ValueError, KeyError, TypeError):
                raise StorageError("the platform's storage answered without an objectId") from None
            return f"{self.uri}/objects/{object_id}?storage_type={MAESTER}"

        return RETRY.call(attempt)


def _call(
    session: requests.Session,
    method: str,
    url: str,
    headers: dict[str, str],
    *,
    write: bool = False,
    **options: object,
) -> tuple[requests.Response, bytes]:
    """One call; Transient where another try may do better (for a write, only when it was
    never sent), StorageError for an answer that says no."""
    env = environment()
    where = f"{method} {without_password(url.split('?', 1)[0])}"
    try:
        return _answered(
            where,
            *send(
                session,
                method,
                url,
                deadline=Deadline(env.deadline),
                timeouts=Timeouts(env.connect_timeout, env.read_timeout),
                headers=headers,
                **options,  # type: ignore[arg-type]
            ),
        )
    except requests.RequestException as exc:
        if write and not never_sent(exc):
            raise StorageError(f"{where}: no answer once sent ({type(exc).__name__})") from None
        raise Transient(f"{where}: no answer ({type(exc).__name__})") from None


def _answered(
    where: str, response: requests.Response, content: bytes
) -> tuple[requests.Response, bytes]:
    if response.status_code >= 500:
        raise Transient(f"{where}: HTTP {response.status_code}")
    if response.status_code >= 300:
        detail = content[:200].decode("utf-8", "replace")
        raise StorageError(f"{where}: HTTP {response.status_code} {detail}")
    return response, content
