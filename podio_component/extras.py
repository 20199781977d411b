"""The optional parts of the package and what each needs, checked before a command uses
them: a missing extra is one line naming the install command, never a traceback."""

from __future__ import annotations

import importlib.util

from podio_component.errors import UsageError

EXTRAS = {
    "runtime": ("pika", "cryptography"),
    "signin": ("filelock", "platformdirs"),
    "emulator": ("werkzeug",),
}


class MissingExtra(UsageError):
    """A feature needs packages of an extra that is not installed."""


def require(extra: str, feature: str) -> None:
    """MissingExtra unless every package of the extra can be imported."""
    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtra(
            f"{feature} needs the [{extra}] extra (missing: {', '.join(missing)}); install it "
            f"with: pip install 'podio-component[{extra}]'"
        )
