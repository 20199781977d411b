"""Logs as the platform reads them: bunyan-shaped JSON lines on stdout.

Each line has bunyan's fields (name, hostname, pid, numeric level, msg, time, v), the
step's ids from the environment, and, while a message is processed, its threadId, messageId
and parentMessageId. Secrets are redacted from every record, the libraries' included.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from podio_component.logs import level_from_environment
from podio_component.redaction import RedactingFilter

# The ids the Node.js runtime adds to every line (lib/logging.js).
ENVIRONMENT_FIELDS = (
    "ELASTICIO_API_USERNAME",
    "ELASTICIO_COMP_ID",
    "ELASTICIO_COMP_NAME",
    "ELASTICIO_CONTAINER_ID",
    "ELASTICIO_CONTRACT_ID",
    "ELASTICIO_EXEC_ID",
    "ELASTICIO_EXEC_TYPE",
    "ELASTICIO_EXECUTION_RESULT_ID",
    "ELASTICIO_FLOW_ID",
    "ELASTICIO_FLOW_VERSION",
    "ELASTICIO_FUNCTION",
    "ELASTICIO_STEP_ID",
    "ELASTICIO_TASK_USER_EMAIL",
    "ELASTICIO_TENANT_ID",
    "ELASTICIO_USER_ID",
    "ELASTICIO_WORKSPACE_ID",
)
_message: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "podio_component_message_log_context", default=None
)


def bunyan_level(levelno: int) -> int:
    """Python's 10/20/30/40/50 are bunyan's debug 20, info 30, warn 40, error 50, fatal 60."""
    return min(60, max(10, levelno + 10))


@contextmanager
def message_context(fields: Mapping[str, str]) -> Iterator[None]:
    """Add a message's ids to every line logged in this thread while it is processed."""
    token = _message.set(fields)
    try:
        yield
    finally:
        _message.reset(token)


class BunyanFormatter(logging.Formatter):
    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__()
        self._fixed = {"hostname": socket.gethostname(), "pid": os.getpid(), **fields}

    def format(self, record: logging.LogRecord) -> str:
        runtime = record.name.startswith(("podio_component.runtime", "pika"))
        line = {
            "name": "sailor" if runtime else "component",
            **self._fixed,
            **(_message.get() or {}),
            "level": bunyan_level(record.levelno),
            "msg": record.getMessage(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "v": 0,
        }
        if record.exc_text:
            line["err"] = {"stack": record.exc_text}
        return json.dumps(line, ensure_ascii=False)


def configure(environ: Mapping[str, str]) -> None:
    """Every record of the process to stdout as bunyan JSON lines, level from LOG_LEVEL."""
    fields = {name: environ[name] for name in ENVIRONMENT_FIELDS if environ.get(name)}
    if "ELASTICIO_FLOW_ID" in fields:
        fields["tag"] = fields["ELASTICIO_FLOW_ID"]
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(BunyanFormatter(fields))
    handler.addFilter(RedactingFilter())  # the libraries' records too
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = level_from_environment()
    root.setLevel(level)
    logging.getLogger("podio_component").setLevel(logging.NOTSET)
    logging.getLogger("pika").setLevel(max(level, logging.WARNING))  # chatty at info
