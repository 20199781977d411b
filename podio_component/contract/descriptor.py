"""Load component.json: this package's own, or the one at ELASTICIO_COMPONENT_PATH.

The package's descriptor sits at the repository root in a checkout and inside the package
when installed. The runtime, like the platform's other runtimes, can be pointed at another
component directory (relative to the working directory); its action modules are then
imported from there.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from podio_component.errors import UsageError

_PACKAGE = Path(__file__).resolve().parent.parent  # podio_component/
_CANDIDATES = (_PACKAGE / "component.json", _PACKAGE.parent / "component.json")


@cache
def load(component_path: str = "") -> dict[str, Any]:
    candidates: tuple[Path, ...] = _CANDIDATES
    if component_path:
        directory = Path(component_path).resolve()
        candidates = (directory / "component.json",)
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))  # its actions' `main` modules live there
    for path in candidates:
        if path.is_file():
            descriptor: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return descriptor
    raise UsageError(f"component.json not found (looked in {', '.join(map(str, candidates))})")


def is_trigger(name: str, component_path: str = "") -> bool:
    """Whether the function is one of the component's triggers (looked up first, as in
    action())."""
    return name in load(component_path).get("triggers", {})


def action(name: str, component_path: str = "") -> dict[str, Any]:
    """A trigger or an action by its id, looked up in `triggers` first, then in `actions`,
    as the platform's runtimes do."""
    component = load(component_path)
    known: list[str] = []
    for kind in ("triggers", "actions"):
        functions: dict[str, dict[str, Any]] = component.get(kind, {})
        if name in functions:
            return functions[name]
        known += functions
    raise UsageError(f"no action {name!r}; known actions: {', '.join(sorted(known))}")
