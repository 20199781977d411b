"""Load component.json: at the repository root in a checkout, inside the package when installed."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from podio_component.errors import UsageError

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "component.json", _PACKAGE.parent / "component.json")


@cache
def load() -> dict[str, Any]:
    for path in _CANDIDATES:
        if path.is_file():
            descriptor: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return descriptor
    raise UsageError("component.json not found next to or inside podio_component/")


def action(name: str) -> dict[str, Any]:
    actions: dict[str, dict[str, Any]] = load().get("actions", {})
    if name not in actions:
        raise UsageError(f"no action {name!r}; known actions: {', '.join(sorted(actions))}")
    return actions[name]
