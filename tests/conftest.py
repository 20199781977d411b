from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from podio_component.client import reset_clients
from podio_component.emulator import Emulator
from podio_component.settings import _ENV_NAMES

API = "https://api.podio.com"
PLATFORM = "https://platform.example"
PLATFORM_ENV = {
    "ELASTICIO_API_URI": PLATFORM,
    "ELASTICIO_API_USERNAME": "api-user@example.com",
    "ELASTICIO_API_KEY": "platform-api-key-0123456789",
    "ELASTICIO_WORKSPACE_ID": "ws1",
}
SECRET_URL = f"{PLATFORM}/v2/workspaces/ws1/secrets/s1"


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no component environment and no cached clients or tokens."""
    for name in (*_ENV_NAMES, "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    reset_clients()
    yield
    reset_clients()


@pytest.fixture
def platform_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in PLATFORM_ENV.items():
        monkeypatch.setenv(name, value)
    return PLATFORM_ENV


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A running emulator with the component's environment pointed at it."""
    with Emulator() as running:
        for name, value in running.environment().items():
            monkeypatch.setenv(name, value)
        yield running


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="podio_component")
    return caplog


def secret_body(
    token: str, refresh: str = "refresh-token-abcdef", **fields: str
) -> dict[str, object]:
    """A Secrets API response holding token."""
    return {
        "data": {
            "id": "s1",
            "type": "auth-secret",
            "attributes": {
                "name": "podio",
                "state": "ready",
                "type": "oauth2",
                "credentials": {
                    "access_token": token,
                    "refresh_token": refresh,
                    "expires_in": 28800,
                    "fields": fields,
                },
            },
        }
    }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault matrix (and write build/fault-matrix.md) when its tests ran."""
    from pathlib import Path

    from tests import test_fault_matrix

    if not test_fault_matrix.RESULTS:
        return
    report = test_fault_matrix.matrix_report()
    target = Path(__file__).resolve().parent.parent / "build" / "fault-matrix.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(report, encoding="utf-8")
    terminalreporter.section("fault matrix: outcome (requests Podio received)")
    terminalreporter.write(report)
    terminalreporter.write_line(f"written to {target}")
