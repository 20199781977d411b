"""Logging for the CLI: JSON lines on stdout, level from LOG_LEVEL, secrets redacted."""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from podio_component.errors import RedactingFilter

HANDLER_NAME = "podio-component-cli"


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "name": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def configure() -> None:
    """Route the package's logs to stdout as JSON lines; idempotent."""
    level = os.environ.get("LOG_LEVEL", "info").upper()
    logger = logging.getLogger("podio_component")
    logger.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    if not any(h.get_name() == HANDLER_NAME for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(JsonLineFormatter())
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
        logger.propagate = False
