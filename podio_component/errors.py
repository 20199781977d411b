"""One exception family for the component, with secret redaction built in.

Every secret the component handles (access and refresh tokens, client secrets, platform API
keys) is registered here the moment it is read. Every error message and every log record
passes through `redact`, so a secret cannot leak even if a message is built carelessly.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

REDACTED = "***"

# Bounded so a long-running process that sees many rotated tokens does not grow without end;
# 512 covers many tenants, each holding an access token, a refresh token and an API key.
_secrets: deque[str] = deque(maxlen=512)
_secrets_lock = threading.Lock()
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words


def register_secret(value: object) -> None:
    """Remember a secret so that it is redacted from every message and log line."""
    if isinstance(value, str) and len(value) >= _MIN_SECRET_LENGTH:
        with _secrets_lock:
            if value not in _secrets:
                _secrets.append(value)


def redact(text: str) -> str:
    """Replace every registered secret in text."""
    for secret in tuple(_secrets):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Logging filter that renders the record and redacts registered secrets from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class PodioComponentError(Exception):
    """Base of every error the component raises; the message is always redacted."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(PodioComponentError):
    """A message body, cfg or setting is invalid; nothing was sent."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"Invalid {field}: {problem}")


class CredentialsError(PodioComponentError):
    """The credential could not be resolved, read or refreshed."""


class ReauthenticateError(CredentialsError):
    """Podio keeps rejecting the token: a person must re-authenticate the credential."""


class RequestFailed(PodioComponentError):
    """A Podio request failed after all allowed attempts."""

    def __init__(self, method: str, path: str, attempts: int, detail: str) -> None:
        self.method = method
        self.path = path
        self.attempts = attempts
        plural = "attempt" if attempts == 1 else "attempts"
        super().__init__(f"{method} {path} failed after {attempts} {plural}: {detail}")


class PodioHTTPError(RequestFailed):
    """Podio answered with a non-2xx status."""

    def __init__(
        self,
        method: str,
        path: str,
        attempts: int,
        status: int,
        *,
        error: str | None = None,
        description: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.description = description
        self.request_id = request_id
        self.retry_after = retry_after
        parts = [f"HTTP {status}"]
        if error:
            parts.append(f"error={error}")
        if description:
            parts.append(f"error_description={description!r}")
        if request_id:
            parts.append(f"x-podio-request-id={request_id}")
        detail = ", ".join(parts)
        if retry_after is not None:
            detail = f"rate limited, retry after {retry_after:g} s ({detail})"
        super().__init__(method, path, attempts, detail)


class PodioTransportError(RequestFailed):
    """No usable HTTP response: connection refused or dropped, timeout, unreadable body."""


class OutputTooLargeError(PodioComponentError):
    """The response would make an output message larger than the platform accepts."""
