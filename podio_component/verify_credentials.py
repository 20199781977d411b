"""verifyCredentials: prove the credential works with one cheap Podio call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.credentials import connect


def verify(cfg: Mapping[str, Any]) -> dict[str, bool]:
    """{"verified": True}, or an exception whose message says why the credential fails."""
    connect(cfg).request("GET", "/user/status")
    return {"verified": True}
