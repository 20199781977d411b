"""Moved to `podio_component.contract.events`; this alias stays for one minor version."""

from podio_component.contract.events import (
    Collected,
    EmitError,
    UpdateKeysError,
    collect,
    emit_data,
    emit_snapshot,
    in_runtime,
    update_keys,
    update_snapshot,
)

__all__ = [
    "Collected",
    "EmitError",
    "UpdateKeysError",
    "collect",
    "emit_data",
    "emit_snapshot",
    "in_runtime",
    "update_keys",
    "update_snapshot",
]
