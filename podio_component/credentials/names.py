"""Credential names in the local store: what they may be, so that one never becomes a path.
Free of the store's own dependencies: the command line checks names before it needs them."""

from __future__ import annotations

import re

from podio_component.errors import InputError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def checked_name(name: object, field: str = "credential name") -> str:
    """A credential name that can never become a path."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InputError(
            field,
            "expected 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            name,
        )
    return name
