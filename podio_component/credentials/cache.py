"""What each credential shares in the process, kept by a key that holds no secret."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

import requests

from podio_component.context import Context
from podio_component.deadline import Cooldown, Deadline
from podio_component.podio.client import TokenSource


class CredentialTokens(TokenSource, Protocol):
    def stored_fields(self, deadline: Deadline, host: Context) -> Mapping[str, Any]:
        """Credential fields kept with the token (a platform secret's retry settings)."""


class Credential(NamedTuple):
    """One credential in the process: its token source, its Session and its rate-limit
    cooldown."""

    tokens: CredentialTokens
    session: requests.Session
    cooldown: Cooldown


CredentialKey = tuple[str, ...]
_MAX_CREDENTIALS = 128
_credentials: OrderedDict[CredentialKey, Credential] = OrderedDict()
_lock = threading.Lock()


def cached(key: CredentialKey, make: Callable[[], Credential]) -> Credential:
    """The credential kept under key, made on first use; the least recently used of more
    than 128 is dropped."""
    with _lock:
        credential = _credentials.get(key)
        if credential is not None:
            _credentials.move_to_end(key)
            return credential
    credential = make()  # outside the lock: it may read a file
    with _lock:
        credential = _credentials.setdefault(key, credential)
        if len(_credentials) > _MAX_CREDENTIALS:
            _credentials.popitem(last=False)
        return credential


def forget_credentials() -> None:
    """Drop every cached credential (tests; a host that replaced a credential)."""
    with _lock:
        _credentials.clear()


def fingerprint(secret: str) -> str:
    """Cache keys hold a digest, never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()
