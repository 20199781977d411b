"""What every token source shares: a token fit for a header, and one refresh at a time."""

from __future__ import annotations

import re
import threading
from typing import NamedTuple

from podio_component.context import Context
from podio_component.deadline import Deadline
from podio_component.errors import CredentialsError
from podio_component.redaction import register_secret

_HEADER_SAFE_TOKEN = re.compile(r"[\x21-\x7e]+")


def checked_token(value: object, where: str) -> str:
    """A token fit for an HTTP header, surrounding whitespace trimmed; never echoed."""
    if not isinstance(value, str) or not value.strip():
        raise CredentialsError(f"{where} holds no access token")
    register_secret(value)
    token = value.strip()
    register_secret(token)
    if not _HEADER_SAFE_TOKEN.fullmatch(token):
        raise CredentialsError(
            f"the access token in {where} cannot be sent in an HTTP header (it contains spaces, "
            "line breaks or other control characters); re-authenticate or enter it again"
        )
    return token


class _Failure(NamedTuple):
    rejected: str
    at: float
    error: CredentialsError


class SingleFlight:
    """Replaces a token Podio rejected, one caller at a time. Callers that waited share the
    outcome, a refusal as much as a new token, until a request sent after the refusal is
    rejected again. A token source says what its token is now (`current`) and how to get a
    new one (`replace`); `_lock` also guards its own reads of the token."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failure: _Failure | None = None

    def refresh(self, rejected: str, sent_at: float, deadline: Deadline, host: Context) -> str:
        with self._lock:
            token = self.current()
            if token is not None and token != rejected:
                return token  # another caller already replaced it
            failure = self._failure
            if failure is not None and failure.rejected == rejected and failure.at >= sent_at:
                raise failure.error  # refused since this request was sent: nothing new to try
            try:
                return self.replace(rejected, deadline, host)
            except CredentialsError as exc:
                self._failure = _Failure(rejected, host.clock.monotonic(), exc)
                raise

    def current(self) -> str | None:
        """The token this process holds now (None: not read yet)."""
        raise NotImplementedError

    def replace(self, rejected: str, deadline: Deadline, host: Context) -> str:
        """A new token; called with the lock held."""
        raise NotImplementedError
