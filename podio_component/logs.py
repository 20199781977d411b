"""Logging for the command line: JSON lines on stderr, level from LOG_LEVEL.

stdout is kept for the command's own output (`run … | jq .body` always works). Redaction
does not depend on this handler: every logger of the package carries it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

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


def level_from_environment() -> int:
    """LOG_LEVEL (trace/debug/info/warn/warning/error/fatal), default info."""
    name = os.environ.get("LOG_LEVEL", "info").strip().upper()
    aliases = {"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}
    return logging.getLevelNamesMapping().get(aliases.get(name, name), logging.INFO)


def configure() -> None:
    """Route the package's logs to stderr as JSON lines; idempotent."""
    logger = logging.getLogger("podio_component")
    logger.setLevel(level_from_environment())
    if not any(h.get_name() == HANDLER_NAME for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(JsonLineFormatter())
        logger.addHandler(handler)
        logger.propagate = False
