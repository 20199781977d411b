"""The retry policy's decisions, as pure functions of an outcome: no HTTP needed."""

from __future__ import annotations

import email.utils
import time

import pytest
import requests
from urllib3.exceptions import ProtocolError

from podio_component.deadline import Deadline
from podio_component.http import never_sent
from podio_component.podio.retry_policy import (
    Answer,
    Attempts,
    RetryPolicy,
    rate_limit_wait,
)
from tests.helpers import refused

WAIT_BODY = (
    '{"error":"rate_limit","error_description":'
    '"You have hit the rate limit. Please wait 37 seconds before trying again."}'
)
POLICY = RetryPolicy(retries=3, delay=10.0, max_wait=60.0)


def answer(status: int, body: str = "", **headers: str) -> Answer:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return Answer.of(response, body.encode())


def dropped() -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted."))


def test_420_wait_hint_is_read_from_the_body_once() -> None:
    assert rate_limit_wait(420, {}, WAIT_BODY) == 37.0
    assert answer(420, WAIT_BODY).wait_hint == 37.0


def test_retry_after_header_wins_over_the_body() -> None:
    assert answer(420, WAIT_BODY, **{"Retry-After": "5"}).wait_hint == 5.0


def test_429_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (rate_limit_wait(429, {"retry-after": when}, "") or 0) <= 30


def test_no_hint_means_none() -> None:
    assert rate_limit_wait(420, {}, '{"error":"rate_limit"}') is None
    assert rate_limit_wait(503, {"retry-after": "5"}, WAIT_BODY) is None
    assert rate_limit_wait(429, {"retry-after": "٣"}, "") is None  # only ASCII digits


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST"])
@pytest.mark.parametrize("status", [420, 429])
def test_rate_limits_are_retried_for_every_method(method: str, status: int) -> None:
    assert POLICY.retryable(method, answer(status))


def test_a_wait_hint_longer_than_the_maximum_is_not_sat_out() -> None:
    long_wait = WAIT_BODY.replace("37", "3600")
    assert not POLICY.retryable("GET", answer(420, long_wait))


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_only_for_idempotent_methods(status: int) -> None:
    assert all(POLICY.retryable(m, answer(status)) for m in ("GET", "PUT", "DELETE"))
    assert not POLICY.retryable("POST", answer(status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410])
def test_other_4xx_are_never_retried(status: int) -> None:
    assert not any(POLICY.retryable(m, answer(status)) for m in ("GET", "PUT", "DELETE", "POST"))


def test_network_errors_are_retried_for_idempotent_methods() -> None:
    for exc in (refused(), dropped(), requests.ReadTimeout(), requests.ConnectTimeout()):
        assert POLICY.retryable("GET", exc)


def test_post_is_retried_only_when_it_never_left() -> None:
    assert POLICY.retryable("POST", refused())
    assert POLICY.retryable("POST", requests.ConnectTimeout())
    assert not POLICY.retryable("POST", dropped())
    assert not POLICY.retryable("POST", requests.ReadTimeout())
    assert never_sent(refused()) and not never_sent(dropped())


def test_our_own_errors_are_never_retried() -> None:
    assert not POLICY.retryable("GET", ValueError("bug"))


def test_the_hint_beats_the_configured_delay() -> None:
    assert POLICY.wait(answer(420, WAIT_BODY)) == 37.0
    assert POLICY.wait(answer(503)) == 10.0
    assert POLICY.wait(dropped()) == 10.0


def test_safe_to_try_later_only_when_podio_cannot_have_acted() -> None:
    assert POLICY.retry_later(answer(420)) and POLICY.retry_later(answer(429))
    assert POLICY.retry_later(refused())
    assert not POLICY.retry_later(answer(503))
    assert not POLICY.retry_later(dropped())
    assert not POLICY.retry_later(requests.ReadTimeout())


def test_a_delete_finding_the_object_gone_is_done_only_after_an_unanswered_attempt() -> None:
    attempts = Attempts("DELETE", "/item/1", Deadline(10))
    assert not POLICY.counts_as_done("DELETE", 404, attempts)
    attempts.unanswered = True
    assert POLICY.counts_as_done("DELETE", 404, attempts)
    assert POLICY.counts_as_done("DELETE", 410, attempts)
    assert not POLICY.counts_as_done("GET", 404, attempts)
    assert not POLICY.counts_as_done("DELETE", 403, attempts)


def test_the_write_safety_rule_is_stated_when_it_applies() -> None:
    assert "a POST is not replayed" in POLICY.why_not_replayed("POST", answer(500))
    assert "a POST is not replayed" in POLICY.why_not_replayed("POST", dropped())
    assert POLICY.why_not_replayed("POST", refused()) == ""
    assert POLICY.why_not_replayed("GET", answer(500)) == ""


def test_a_post_that_only_reads_is_retried_as_a_get_is() -> None:
    for outcome in (answer(502), answer(500), dropped()):
        assert POLICY.retryable("POST", outcome, read=True)
        assert not POLICY.retryable("POST", outcome)
        assert POLICY.why_not_replayed("POST", outcome, read=True) == ""


def test_may_have_acted_is_the_policys_verdict_on_a_failed_write() -> None:
    assert POLICY.may_have_acted(answer(503)) and POLICY.may_have_acted(dropped())
    assert not POLICY.may_have_acted(answer(400)) and not POLICY.may_have_acted(answer(420))
    assert not POLICY.may_have_acted(refused())
