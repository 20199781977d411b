"""verifyCredentials: prove the credential works with one cheap Podio call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podio_component.context import current
from podio_component.credentials import connect
from podio_component.deadline import Deadline
from podio_component.settings import environment


def verify(cfg: Mapping[str, Any]) -> dict[str, bool]:
    """{"verified": True}, or an exception whose message says why the credential fails;
    within PODIO_VERIFY_DEADLINE, since a person waits on it."""
    deadline = Deadline(environment().verify_deadline, "PODIO_VERIFY_DEADLINE", current().clock)
    connect(cfg, deadline).request("GET", "/user/status")
    return {"verified": True}
