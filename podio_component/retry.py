"""Pure retry decisions: whether an attempt's outcome may be retried, and how long to wait.

Kept free of I/O so every rule is unit-testable. The client feeds these into tenacity.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})
RATE_LIMIT_STATUSES = frozenset({420, 429})  # 420 is Podio's own rate-limit status

_WAIT_HINT = re.compile(r"wait\s+(\d+)\s+seconds?", re.IGNORECASE)


def rate_limit_wait(status: int, headers: Mapping[str, str], body: str) -> float | None:
    """Seconds Podio asked us to wait, from Retry-After or the 420 body; None when not said.

    `headers` must answer lower-case names (a requests CaseInsensitiveDict, or lower-cased keys).
    """
    if status not in RATE_LIMIT_STATUSES:
        return None
    retry_after = headers.get("retry-after")
    if retry_after:
        seconds = _parse_retry_after(retry_after.strip())
        if seconds is not None:
            return seconds
    if status == 420:
        match = _WAIT_HINT.search(body[:2000])
        if match:
            return float(match.group(1))
    return None


def _parse_retry_after(value: str) -> float | None:
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def status_is_retryable(method: str, status: int) -> bool:
    """420/429 mean Podio did not act, so any method may be retried; 5xx only if idempotent."""
    if status in RATE_LIMIT_STATUSES:
        return True
    return status >= 500 and method in IDEMPOTENT_METHODS


def exception_is_retryable(method: str, exc: BaseException) -> bool:
    """Network failures are retried for idempotent methods; a POST only if it was never sent."""
    if method in IDEMPOTENT_METHODS:
        return isinstance(exc, requests.RequestException) and not isinstance(
            exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidHeader
        )
    return never_sent(exc)


def never_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        cause = exc.args[0]
        if isinstance(cause, MaxRetryError):
            return isinstance(cause.reason, NewConnectionError)
    return False


def wait_seconds(hint: float | None, delay: float) -> float:
    """Podio's own wait hint wins over the configured delay."""
    return delay if hint is None else hint
