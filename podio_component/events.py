"""Moved to `podio_component.contract.events`; this alias stays for one minor version."""

from podio_component.contract.events import (
    UpdateKeysError,
    emit_snapshot,
    in_runtime,
    update_keys,
    update_snapshot,
)

__all__ = ["UpdateKeysError", "emit_snapshot", "in_runtime", "update_keys", "update_snapshot"]
