"""The secret registry, and redaction of every text and log record the package makes.

Every secret the component handles (access and refresh tokens, client secrets, platform API
keys, passwords) is registered the moment it is read. Error messages pass through `redact`
(see `errors`), and every logger of the package carries `RedactingFilter`, so a host
application's own handlers only ever see redacted records.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from urllib.parse import urlsplit, urlunsplit

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


def without_password(url: str) -> str:
    """url as it may be printed: a password in it shown as ***."""
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:
        return REDACTED  # unparseable: it may hold anything
    if not has_password:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{REDACTED}@{host}"))


class RedactingFilter(logging.Filter):
    """Renders a record's message (and traceback) and redacts registered secrets from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def logger(name: str) -> logging.Logger:
    """The logger for one of the package's modules, with redaction attached.

    A logger's filters see only the records created on that logger, not those of its
    children, so every module takes its logger from here rather than from logging.getLogger.
    """
    log = logging.getLogger(name)
    if _FILTER not in log.filters:
        log.addFilter(_FILTER)
    return log
