from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from podio_component.collaboration.people import forget_contacts
from podio_component.context import Context, bound
from podio_component.credentials import forget_credentials
from podio_component.credentials.store import CredentialStore
from podio_component.emulator import Emulator
from podio_component.emulator.platform.broker import answers
from podio_component.forms.spaces import forget_space_lists
from podio_component.settings import ENVIRONMENT_NAMES, environment, reload_environment
from podio_component.webhooks import known
from tests import broker
from tests.helpers import PLATFORM_ENV, ROOT, RecordingClock, SetEnv

MATRIX = pytest.StashKey[list[dict[str, Any]]]()


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test starts with no component environment, no cached credentials and an empty
    credential store of its own (never the user's)."""
    for name in (*ENVIRONMENT_NAMES, "LOG_LEVEL", "HTTPS_PROXY", "https_proxy", "PODIO_CREDENTIAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PODIO_CREDENTIALS_DIR", str(tmp_path / "credentials"))
    reload_environment()
    forget_credentials()
    forget_contacts()
    forget_space_lists()
    known.forget()
    yield
    forget_credentials()


@pytest.fixture
def setenv(monkeypatch: pytest.MonkeyPatch) -> SetEnv:
    """Set an environment variable for this test and have the component read it."""

    def set_variable(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        reload_environment()

    return set_variable


@pytest.fixture
def platform_env(setenv: SetEnv) -> dict[str, str]:
    for name, value in PLATFORM_ENV.items():
        setenv(name, value)
    return PLATFORM_ENV


@pytest.fixture
def emulator(setenv: SetEnv) -> Iterator[Emulator]:
    """A running emulator with the component's environment pointed at it."""
    with Emulator() as running:
        for name, value in running.environment().items():
            setenv(name, value)
        yield running


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="podio_component")
    return caplog


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Podio and the platform API mocked by responses; nothing reaches a network."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> Iterator[list[float]]:
    """The test runs with a recording clock: waits between attempts are recorded instead of
    slept, and the component's clock moves on by each wait."""
    clock = RecordingClock()
    with bound(Context(clock=clock)):
        yield clock.waited


@pytest.fixture
def fault_matrix(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Rows of the fault matrix, printed and written to build/ at the end of the run."""
    return request.config.stash.setdefault(MATRIX, [])


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The broker the runtime tests use; a missing one fails them, with what to run."""
    if not answers(broker.AMQP_URL):
        pytest.fail(
            f"The runtime tests need RabbitMQ at {broker.AMQP_URL}; start it with "
            f"`sudo {broker.START}` or run `python -m tests.broker`"
        )
    return broker.AMQP_URL


@pytest.fixture
def store() -> CredentialStore:
    """The test's own local credential store (PODIO_CREDENTIALS_DIR)."""
    return CredentialStore.from_environment(environment())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need RabbitMQ are marked `broker` (`make test-fast` leaves them out)."""
    for item in items:
        if "amqp_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.broker)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    rows = config.stash.get(MATRIX, [])
    if not rows:
        return
    from tests.podio.test_fault_matrix import matrix_report

    report = matrix_report(rows)
    target = ROOT / "build" / "fault-matrix.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(report, encoding="utf-8")
    terminalreporter.section("fault matrix: outcome (requests Podio received)")
    terminalreporter.write(report)
    terminalreporter.write_line(f"written to {target}")
