from __future__ import annotations

import email.utils
import time

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from podio_component import retry

WAIT_BODY = (
    '{"error":"rate_limit","error_description":'
    '"You have hit the rate limit. Please wait 37 seconds before trying again."}'
)


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def dropped() -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted."))


def test_420_wait_hint_is_read_from_the_body() -> None:
    assert retry.rate_limit_wait(420, {}, WAIT_BODY) == 37.0


def test_retry_after_header_wins_over_the_body() -> None:
    assert retry.rate_limit_wait(420, {"retry-after": "5"}, WAIT_BODY) == 5.0


def test_429_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (retry.rate_limit_wait(429, {"retry-after": when}, "") or 0) <= 30


def test_no_hint_means_none() -> None:
    assert retry.rate_limit_wait(420, {}, '{"error":"rate_limit"}') is None
    assert retry.rate_limit_wait(503, {"retry-after": "5"}, WAIT_BODY) is None


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST"])
@pytest.mark.parametrize("status", [420, 429])
def test_rate_limits_are_retried_for_every_method(method: str, status: int) -> None:
    assert retry.status_is_retryable(method, status)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_only_for_idempotent_methods(status: int) -> None:
    assert all(retry.status_is_retryable(m, status) for m in ("GET", "PUT", "DELETE"))
    assert not retry.status_is_retryable("POST", status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410])
def test_other_4xx_are_never_retried(status: int) -> None:
    assert not any(retry.status_is_retryable(m, status) for m in ("GET", "PUT", "DELETE", "POST"))


def test_network_errors_are_retried_for_idempotent_methods() -> None:
    for exc in (refused(), dropped(), requests.ReadTimeout(), requests.ConnectTimeout()):
        assert retry.exception_is_retryable("GET", exc)


def test_post_is_retried_only_when_it_never_left() -> None:
    assert retry.exception_is_retryable("POST", refused())
    assert retry.exception_is_retryable("POST", requests.ConnectTimeout())
    assert not retry.exception_is_retryable("POST", dropped())
    assert not retry.exception_is_retryable("POST", requests.ReadTimeout())


def test_our_own_errors_are_never_retried() -> None:
    assert not retry.exception_is_retryable("GET", ValueError("bug"))


def test_the_hint_beats_the_configured_delay() -> None:
    assert retry.wait_seconds(3.0, 10.0) == 3.0
    assert retry.wait_seconds(None, 10.0) == 10.0
