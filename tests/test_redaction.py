"""No access token, refresh token, client secret or platform API key ever leaves in text:
not in errors, reprs or output, and not in any log record, whoever handles it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from podio_component.actions.make_raw_request import process
from podio_component.emulator import Emulator, Fault
from podio_component.errors import PodioComponentError
from podio_component.logs import JsonLineFormatter
from podio_component.redaction import RedactingFilter, logger, register_secret

FAST = {"retries": "2", "retriesDelay": "0"}


def all_secrets(emulator: Emulator) -> set[str]:
    oauth = emulator.world.oauth
    return {
        *oauth.access_tokens,
        *oauth.refresh_tokens,
        emulator.platform.api_key,
        emulator.platform.client_secret,
    }


def scenarios(emulator: Emulator) -> list[tuple[str, Callable[[], Any]]]:
    secret_cfg = {"secretId": emulator.create_secret(fields=FAST)}
    inline_cfg = {"oauth": {"access_token": emulator.issue_token()["access_token"]}, **FAST}

    def call(cfg: dict[str, Any], method: str = "GET", url: str = "/user/status") -> Any:
        return process({"body": {"method": method, "url": url}}, cfg)

    def expired_then_refreshed() -> Any:
        emulator.world.expire_all_tokens()
        return call(secret_cfg)

    def refresh_refused() -> Any:
        emulator.world.expire_all_tokens()
        emulator.world.oauth.refresh_tokens.clear()
        return call(secret_cfg)

    def secrets_api_down() -> Any:
        emulator.faults.add("*", "/v2/*", Fault(status=503))
        return call({"secretId": emulator.create_secret()})

    def server_errors() -> Any:
        emulator.faults.add(
            "GET", "/item/*", Fault(status=500), Fault(status=502), Fault(status=503)
        )
        return call(secret_cfg, url="/item/5001")

    def dropped() -> Any:
        emulator.faults.add("GET", "/item/*", *[Fault(drop=True)] * 3)
        return call(secret_cfg, url="/item/5001")

    def long_rate_limit() -> Any:
        body = {"error": "rate_limit", "error_description": "Please wait 999 seconds"}
        emulator.faults.add("GET", "/item/*", Fault(status=420, body=body))
        return call(secret_cfg, url="/item/5001")

    return [
        ("secret ok", lambda: call(secret_cfg)),
        ("inline ok", lambda: call(inline_cfg)),
        ("not found", lambda: call(secret_cfg, url="/item/424242")),
        ("expired, refreshed", expired_then_refreshed),
        ("expired inline", lambda: call(inline_cfg)),
        ("refresh refused", refresh_refused),
        ("secrets api down", secrets_api_down),
        ("5xx", server_errors),
        ("dropped", dropped),
        ("rate limited", long_rate_limit),
        ("bad url", lambda: call(secret_cfg, url="https://evil.example/")),
    ]


def test_no_secret_appears_in_any_log_line_error_repr_or_output(
    emulator: Emulator, debug_logs: pytest.LogCaptureFixture
) -> None:
    texts: list[str] = []
    outcomes: dict[str, str] = {}
    for name, scenario in scenarios(emulator):
        try:
            texts.append(json.dumps(scenario()))
            outcomes[name] = "output"
        except PodioComponentError as exc:
            texts += [str(exc), repr(exc), exc.message]
            outcomes[name] = type(exc).__name__
    texts += [record.getMessage() for record in debug_logs.records]
    texts.append(debug_logs.text)
    secrets = all_secrets(emulator)
    assert len(secrets) >= 6
    leaks = [(secret[:6], text[:80]) for text in texts for secret in secrets if secret in text]
    assert leaks == []
    # Every scenario ended in exactly one outcome, all of them in the package's own family.
    assert outcomes["secret ok"] == "output" and outcomes["expired, refreshed"] == "output"
    assert outcomes["refresh refused"] == "CredentialsError"
    assert outcomes["5xx"] == "PodioHTTPError" and outcomes["dropped"] == "PodioTransportError"
    assert outcomes["bad url"] == "InputError"


def test_the_log_filter_redacts_a_secret_even_from_a_careless_log_call() -> None:
    register_secret("careless-secret-value-123")
    record = logging.LogRecord(
        "podio_component",
        logging.INFO,
        __file__,
        1,
        "token is %s",
        ("careless-secret-value-123",),
        None,
    )
    assert RedactingFilter().filter(record)
    line = JsonLineFormatter().format(record)
    assert "careless-secret-value-123" not in line
    assert json.loads(line)["msg"] == "token is ***"


def test_an_error_built_with_a_secret_in_it_is_redacted() -> None:
    register_secret("another-secret-value-456")
    error = PodioComponentError("failed with another-secret-value-456 inside")
    assert "another-secret-value-456" not in f"{error} {error!r} {error.args}"


@pytest.fixture
def host_root_handler() -> Iterator[io.StringIO]:
    """A plain handler on the root logger at DEBUG, as a host application installs one."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    package = logging.getLogger("podio_component")
    package.setLevel(logging.NOTSET)
    package.propagate = True
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_a_host_applications_root_handler_only_sees_redacted_records(
    emulator: Emulator, host_root_handler: io.StringIO
) -> None:
    cfg = {"secretId": emulator.create_secret(fields=FAST)}
    process({"body": {"method": "GET", "url": "/user/status"}}, cfg)
    emulator.world.expire_all_tokens()
    process({"body": {"method": "GET", "url": "/item/5001"}}, cfg)
    token = next(iter(emulator.world.oauth.access_tokens))
    logger("podio_component.podio.client").info("careless: %s", token)  # a child logger
    try:
        raise RuntimeError(f"boom with {token}")
    except RuntimeError:
        logger("podio_component.runtime.worker").exception("failed")  # created on first use
    text = host_root_handler.getvalue()
    assert "refreshing the token" in text and "careless: ***" in text
    assert "boom with ***" in text
    assert [s for s in all_secrets(emulator) if s in text] == []


def test_every_logger_of_the_package_carries_the_filter() -> None:
    import podio_component.actions.make_raw_request  # noqa: F401  (imports the whole path)

    loggers = {
        name: log
        for name, log in logging.root.manager.loggerDict.items()
        if name.startswith("podio_component.") and isinstance(log, logging.Logger)
    }
    assert {"podio_component.podio.client", "podio_component.credentials.inline"} <= set(loggers)
    assert all(any(isinstance(f, RedactingFilter) for f in log.filters) for log in loggers.values())
