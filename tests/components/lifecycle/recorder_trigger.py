"""A webhook trigger for the runtime's lifecycle tests: each function appends one JSON line
{call, cfg, data, at} to the file LIFECYCLE_RECORD names, and raises where cfg.fail names
it. `startup` returns cfg.startupResult (default {"subscription": "s-1"}); `process` sleeps
cfg.sleep seconds, emits the message it got, and keeps a count in the snapshot."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from podio_component.contract import events

log = logging.getLogger("podio_component.tests.recorder")


def _record(call: str, cfg: dict[str, Any], data: Any = None) -> None:
    with open(os.environ["LIFECYCLE_RECORD"], "a", encoding="utf-8") as file:
        file.write(json.dumps({"call": call, "cfg": cfg, "data": data, "at": time.time()}) + "\n")
    log.info("recorder: %s", call)
    if cfg.get("fail") == call:
        raise RuntimeError(f"{call} failed on purpose")


def startup(cfg: dict[str, Any]) -> Any:
    _record("startup", cfg)
    return cfg.get("startupResult", {"subscription": "s-1"})


def init(cfg: dict[str, Any]) -> None:
    _record("init", cfg)


def shutdown(cfg: dict[str, Any], data: Any) -> None:
    _record("shutdown", cfg, data)


def process(msg: dict[str, Any], cfg: dict[str, Any], snapshot: dict[str, Any]) -> None:
    _record("process", cfg, {"msg": msg, "snapshot": snapshot})
    time.sleep(float(cfg.get("sleep", 0)))
    _record("process-end", cfg)
    events.emit_data({"body": msg})
    events.emit_snapshot({"seen": int(snapshot.get("seen", 0)) + 1})
