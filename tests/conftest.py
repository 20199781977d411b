from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from podio_component.context import Clock, Context, bound
from podio_component.credentials import forget_credentials
from podio_component.credentials.store import CredentialStore, StoredCredential
from podio_component.emulator import Emulator
from podio_component.emulator.broker import answers
from podio_component.emulator.flow import FlowStep
from podio_component.settings import ENVIRONMENT_NAMES, environment, reload_environment
from tests import broker
from tests.sailors import Sailor, Start

API = "https://api.podio.com"
PLATFORM = "https://platform.example"
PLATFORM_ENV = {
    "ELASTICIO_API_URI": PLATFORM,
    "ELASTICIO_API_USERNAME": "api-user@example.com",
    "ELASTICIO_API_KEY": "platform-api-key-0123456789",
    "ELASTICIO_WORKSPACE_ID": "ws1",
}
SECRET_URL = f"{PLATFORM}/v2/workspaces/ws1/secrets/s1"
ROOT = Path(__file__).resolve().parent.parent
MATRIX = pytest.StashKey[list[dict[str, Any]]]()

SetEnv = Callable[[str, str], None]


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test starts with no component environment, no cached credentials and an empty
    credential store of its own (never the user's)."""
    for name in (*ENVIRONMENT_NAMES, "LOG_LEVEL", "HTTPS_PROXY", "https_proxy", "PODIO_CREDENTIAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PODIO_CREDENTIALS_DIR", str(tmp_path / "credentials"))
    reload_environment()
    forget_credentials()
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


class RecordingClock(Clock):
    """Records each sleep instead of sleeping, and moves on by it, as if it had slept."""

    def __init__(self) -> None:
        self.waited: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + sum(self.waited)

    def sleep(self, seconds: float) -> None:
        self.waited.append(seconds)


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
def flow(amqp_url: str) -> Iterator[FlowStep]:
    """A step's queues and exchange, declared as the platform does, deleted afterwards."""
    step = FlowStep(amqp_url).declare()
    yield step
    step.delete()


@pytest.fixture
def start_sailor(tmp_path: Path) -> Iterator[Start]:
    """Start `podio-component sailor` processes; any still running at the end are killed."""
    started: list[Sailor] = []

    def start(env: dict[str, str]) -> Sailor:
        sailor = Sailor(env, tmp_path / f"sailor-{len(started)}.log")
        started.append(sailor)
        return sailor

    yield start
    for sailor in started:
        if sailor.process.poll() is None:
            sailor.process.kill()
            sailor.process.wait(10)


@pytest.fixture
def store() -> CredentialStore:
    """The test's own local credential store (PODIO_CREDENTIALS_DIR)."""
    return CredentialStore.from_environment(environment())


def save_credential(
    store: CredentialStore,
    emulator: Emulator,
    name: str = "work",
    *,
    expires_in: float = 28_800,
    keep_secret: bool = True,
    mail: str | None = None,
) -> StoredCredential:
    """A credential signed in at the emulator and kept in the store, as `login` keeps it;
    `expires_in` sets how long the store believes it has left."""
    token = emulator.issue_token(mail)
    now = time.time()
    credential = StoredCredential(
        name=name,
        grant="password",
        api_url=emulator.podio_url,
        client_id=emulator.client_id,
        client_secret=emulator.platform.client_secret if keep_secret else None,
        token=token,
        expires_at=now + expires_in,
        obtained_at=now,
    )
    store.save(credential)
    return credential


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """directory read-only for this process, root included: root ignores permission bits,
    so as root it becomes a read-only bind mount of itself (and fails loudly if it cannot)."""
    if os.geteuid() != 0:
        directory.chmod(0o500)
        try:
            yield
        finally:
            directory.chmod(0o700)
        return
    subprocess.run(["mount", "--bind", directory, directory], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", directory, directory], check=True)
        yield
    finally:
        subprocess.run(["umount", directory], check=True)


def refused() -> requests.ConnectionError:
    """What requests raises when nothing listens: the request was never sent."""
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need RabbitMQ are marked `broker` (`make test-fast` leaves them out)."""
    for item in items:
        if "amqp_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.broker)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    rows = config.stash.get(MATRIX, [])
    if not rows:
        return
    from tests.test_fault_matrix import matrix_report

    report = matrix_report(rows)
    target = ROOT / "build" / "fault-matrix.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(report, encoding="utf-8")
    terminalreporter.section("fault matrix: outcome (requests Podio received)")
    terminalreporter.write(report)
    terminalreporter.write_line(f"written to {target}")
