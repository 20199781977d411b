"""The fault matrix: every method x every fault x retries 0 and 3, over real loopback HTTP.

Each cell checks that the message ends in exactly one outcome (an output message or one error
from the package's own family), that the emulator received exactly the expected number of
requests, that no POST was applied twice, that the time stayed within budget, and that no
secret appears in any log line, error text, repr or output. The table is printed at the end of
the run and written to build/fault-matrix.md.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from podio_component.actions.make_raw_request import process
from podio_component.emulator import Emulator, Fault
from podio_component.errors import PodioComponentError
from tests.helpers import SetEnv

REQUESTS = {
    "GET": ("/item/5001", None),
    "PUT": ("/item/5001", {"fields": {"title": "Matrix"}}),
    "DELETE": ("/item/5002", None),
    "POST": ("/item/app/30/", {"fields": {"title": "Matrix post"}}),
}
IDEMPOTENT = {"GET", "PUT", "DELETE"}
HINT = {"error": "rate_limit", "error_description": "Please wait 1 seconds before trying again."}
READ_TIMEOUT = 0.3
FAULTY_ATTEMPTS = 2  # a transient fault hits the first two attempts, then Podio recovers


@dataclass(frozen=True)
class Expected:
    outcome: str  # "output" or an error class name
    received: int  # requests the Podio side must have logged for this path
    waits: float = 0.0  # seconds of hinted waiting the cell may spend


@dataclass(frozen=True)
class Scenario:
    name: str
    arrange: Callable[[Emulator, str, str, SetEnv], None]
    expect: Callable[[str, int], Expected]
    settle: float = 0.0  # let delayed server threads finish before counting what they got


def transient(
    name: str, fault: Fault, error: str, *, podio_acted: bool, wait: float = 0.0
) -> Scenario:
    """A fault on the first two attempts, then Podio recovers.

    podio_acted: Podio may have applied the request before failing (5xx, a cut response), so
    a POST must not be replayed, and the emulator applies the POST's write first to prove it.
    Otherwise (420, 429) Podio did not act, and every method may be retried.
    """

    def arrange(emulator: Emulator, method: str, path: str, setenv: SetEnv) -> None:
        applied = Fault(**{**fault.__dict__, "apply": podio_acted and method == "POST"})
        emulator.faults.add(method, path, *[applied] * FAULTY_ATTEMPTS)

    def expect(method: str, retries: int) -> Expected:
        if method in IDEMPOTENT or not podio_acted:
            attempts = min(FAULTY_ATTEMPTS + 1, retries + 1)
            recovered = retries >= FAULTY_ATTEMPTS
            return Expected("output" if recovered else error, attempts, wait * (attempts - 1))
        return Expected(error, 1)

    return Scenario(name, arrange, expect)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refused(emulator: Emulator, method: str, path: str, setenv: SetEnv) -> None:
    setenv("PODIO_API_URL", f"http://127.0.0.1:{closed_port()}")


def read_timeout(emulator: Emulator, method: str, path: str, setenv: SetEnv) -> None:
    setenv("PODIO_READ_TIMEOUT", str(READ_TIMEOUT))
    emulator.faults.add(method, path, *[Fault(delay=READ_TIMEOUT * 2)] * FAULTY_ATTEMPTS)


def expect_read_timeout(method: str, retries: int) -> Expected:
    expected = transient("", Fault(), "PodioTransportError", podio_acted=True).expect(
        method, retries
    )
    if method == "DELETE" and expected.outcome == "output":
        # The first, timed-out attempt deleted the item; the retry's 410 confirms it is gone.
        return Expected("output", expected.received)
    return expected


def malformed(emulator: Emulator, method: str, path: str, setenv: SetEnv) -> None:
    emulator.faults.add(method, path, Fault(malformed=True, apply=method == "POST"))


def expired(emulator: Emulator, method: str, path: str, setenv: SetEnv) -> None:
    emulator.world.expire_all_tokens()


def refresh_revoked(emulator: Emulator, method: str, path: str, setenv: SetEnv) -> None:
    emulator.world.expire_all_tokens()
    emulator.world.oauth.refresh_tokens.clear()  # the refresh grant answers invalid_grant


def secrets_api_down(emulator: Emulator, method: str, path: str, setenv: SetEnv) -> None:
    setenv("ELASTICIO_API_URI", f"http://127.0.0.1:{closed_port()}")


SCENARIOS = [
    *[
        transient(str(s), Fault(status=s), "PodioHTTPError", podio_acted=True)
        for s in (500, 502, 503, 504)
    ],
    transient(
        "420 wait hint", Fault(status=420, body=HINT), "PodioHTTPError", podio_acted=False, wait=1.0
    ),
    transient(
        "420 no hint",
        Fault(status=420, body={"error": "rate_limit"}),
        "PodioHTTPError",
        podio_acted=False,
    ),
    transient(
        "429 Retry-After",
        Fault(status=429, headers={"Retry-After": "1"}),
        "PodioHTTPError",
        podio_acted=False,
        wait=1.0,
    ),
    Scenario("connection refused", refused, lambda m, r: Expected("PodioTransportError", 0)),
    transient(
        "dropped mid-response", Fault(truncate=True), "PodioTransportError", podio_acted=True
    ),
    Scenario("read timeout", read_timeout, expect_read_timeout, settle=READ_TIMEOUT * 2),
    Scenario("malformed JSON", malformed, lambda m, r: Expected("PodioTransportError", 1)),
    Scenario("401 expired token", expired, lambda m, r: Expected("output", 2)),
    Scenario(
        "refresh invalid_grant", refresh_revoked, lambda m, r: Expected("CredentialsError", 1)
    ),
    Scenario("Secrets API down", secrets_api_down, lambda m, r: Expected("CredentialsError", 0)),
]


def run_cell(method: str, cfg: dict[str, str]) -> tuple[str, str, float]:
    path, data = REQUESTS[method]
    body: dict[str, Any] = {"method": method, "url": path}
    if data is not None:
        body["data"] = data
    started = time.monotonic()
    try:
        text = json.dumps(process({"body": body}, cfg))
        outcome = "output"
    except PodioComponentError as exc:  # anything else fails the test: an unhandled type
        text = f"{exc} {exc!r}"
        outcome = type(exc).__name__
    return outcome, text, time.monotonic() - started


@pytest.mark.parametrize("retries", [0, 3])
@pytest.mark.parametrize("method", list(REQUESTS))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault_matrix(
    scenario: Scenario,
    method: str,
    retries: int,
    emulator: Emulator,
    setenv: SetEnv,
    caplog: pytest.LogCaptureFixture,
    fault_matrix: list[dict[str, Any]],
) -> None:
    caplog.set_level(logging.DEBUG, logger="podio_component")
    setenv("PODIO_DEADLINE", "20")
    path = REQUESTS[method][0]
    fields = {"retries": str(retries), "retriesDelay": "0"}
    cfg = {"secretId": emulator.create_secret(fields=fields)}
    scenario.arrange(emulator, method, path, setenv)
    expected = scenario.expect(method, retries)

    outcome, text, elapsed = run_cell(method, cfg)
    time.sleep(scenario.settle)

    received = emulator.log.count(method, path)
    stored = emulator.world.items.stored.values()
    created = sum(1 for item in stored if item["title"] == "Matrix post")
    secrets = {
        *emulator.world.oauth.access_tokens,
        *emulator.world.oauth.refresh_tokens,
        emulator.platform.api_key,
        emulator.platform.client_secret,
    }
    leaked = [s for s in secrets if s in text or s in caplog.text]
    fault_matrix.append(
        {
            "fault": scenario.name,
            "method": method,
            "retries": retries,
            "outcome": outcome,
            "received": received,
            "created": created,
            "seconds": elapsed,
        }
    )
    assert outcome == expected.outcome
    assert received == expected.received
    assert created <= 1, "a POST was applied twice"
    assert elapsed < expected.waits + READ_TIMEOUT * FAULTY_ATTEMPTS + 3
    assert elapsed < 20
    assert leaked == []


def matrix_report(rows: list[dict[str, Any]]) -> str:
    """A markdown table: one row per fault, one column per method and retry setting."""
    columns = [(m, r) for m in REQUESTS for r in (0, 3)]
    lines = [
        "| fault | " + " | ".join(f"{m} r={r}" for m, r in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    cells = {(row["fault"], row["method"], row["retries"]): row for row in rows}
    for scenario in SCENARIOS:
        row = []
        for method, retries in columns:
            cell = cells.get((scenario.name, method, retries))
            if cell is None:
                row.append("-")
                continue
            outcome = "ok" if cell["outcome"] == "output" else cell["outcome"].removeprefix("Podio")
            row.append(f"{outcome} ({cell['received']} sent)")
        lines.append(f"| {scenario.name} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
