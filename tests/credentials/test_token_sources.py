"""Token sources: the platform Secrets API (mocked) and inline tokens."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import responses

from podio_component.actions.make_raw_request import process
from podio_component.errors import (
    CredentialsError,
    InputError,
    PodioHTTPError,
    ReauthenticateError,
)
from podio_component.verify_credentials import verify
from tests.helpers import API, SECRET_URL, secret_body

CFG = {"secretId": "s1"}
EXPIRED = {"error": "unauthorized", "error_description": "expired_token"}

pytestmark = pytest.mark.usefixtures("platform_env")


def run(cfg: dict[str, Any] = CFG, url: str = "/item/1") -> dict[str, Any]:
    return process({"body": {"method": "GET", "url": url}}, cfg)


def podio_calls(mock: responses.RequestsMock) -> list[Any]:
    return [c for c in mock.calls if c.request.url and c.request.url.startswith(API)]


def test_the_token_and_retry_settings_come_from_the_secret(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-A-0123456789", retries="1", retriesDelay="5"))
    mocked.get(f"{API}/item/1", status=503)
    with pytest.raises(PodioHTTPError, match="after 2 attempts"):
        run()
    assert sleeps == [0.005]
    secret_call = mocked.calls[0].request
    assert secret_call.headers["Authorization"].startswith("Basic ")
    assert podio_calls(mocked)[0].request.headers["Authorization"] == "OAuth2 tok-A-0123456789"


def test_the_secret_is_read_once_and_then_cached(mocked: responses.RequestsMock) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-A-0123456789"))
    mocked.get(f"{API}/item/1", json={})
    run()
    run()
    assert len(mocked.calls) == 3


def test_a_secret_id_is_trimmed_and_a_blank_one_counts_as_absent(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-A-0123456789"))
    mocked.get(f"{API}/item/1", json={})
    run({"secretId": " s1\n"})
    assert mocked.calls[0].request.url == SECRET_URL
    with pytest.raises(CredentialsError, match="no secretId, credential or oauth"):
        run({"secretId": "   "})


def test_a_401_forces_one_refresh_and_replays_with_the_new_token(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
    refresh = mocked.post(f"{SECRET_URL}/refresh", json=secret_body("tok-new-0123456789"))
    mocked.get(f"{API}/item/1", status=401, json=EXPIRED)
    mocked.get(f"{API}/item/1", json={"item_id": 1})
    output = run()
    assert output["body"]["statusCode"] == 200
    assert output["body"]["attempts"] == 2  # the replay is counted, but used no retry
    assert refresh.call_count == 1
    tokens = [c.request.headers["Authorization"] for c in podio_calls(mocked)]
    assert tokens == ["OAuth2 tok-old-0123456789", "OAuth2 tok-new-0123456789"]


def test_a_replay_after_a_401_does_not_use_up_a_retry(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789", retries="1", retriesDelay="0"))
    mocked.post(f"{SECRET_URL}/refresh", json=secret_body("tok-new-0123456789"))
    mocked.get(f"{API}/item/1", status=401, json=EXPIRED)
    mocked.get(f"{API}/item/1", status=503)
    mocked.get(f"{API}/item/1", json={})
    assert run()["body"]["attempts"] == 3


def test_a_token_the_platform_already_refreshed_is_used_without_forcing(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
    mocked.get(SECRET_URL, json=secret_body("tok-new-0123456789"))
    refresh = mocked.post(f"{SECRET_URL}/refresh", json=secret_body("tok-other-0123456"))
    mocked.get(f"{API}/item/1", status=401, json={"error": "invalid_token"})
    mocked.get(f"{API}/item/1", json={})
    run()
    assert refresh.call_count == 0


def test_a_second_401_asks_for_reauthentication(mocked: responses.RequestsMock) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
    mocked.post(f"{SECRET_URL}/refresh", json=secret_body("tok-new-0123456789"))
    mocked.get(f"{API}/item/1", status=401, json={"error": "invalid_token"})
    with pytest.raises(ReauthenticateError, match="re-authenticate this credential"):
        run()
    assert len(podio_calls(mocked)) == 2


def test_a_refresh_that_returns_the_same_token_asks_for_reauthentication(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
    mocked.post(f"{SECRET_URL}/refresh", json=secret_body("tok-old-0123456789"))
    mocked.get(f"{API}/item/1", status=401, json={"error": "invalid_token"})
    with pytest.raises(ReauthenticateError):
        run()


def test_threads_waiting_on_a_refused_refresh_share_its_failure(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
    refresh = mocked.post(f"{SECRET_URL}/refresh", status=409)
    all_sent = threading.Barrier(12)

    def expired(request: Any) -> tuple[int, dict[str, str], str]:
        all_sent.wait()  # every thread's request is out before any refresh starts
        return 401, {}, '{"error": "unauthorized", "error_description": "expired_token"}'

    mocked.add_callback("GET", f"{API}/item/1", callback=expired)

    def call(_: int) -> str:
        try:
            run()
        except CredentialsError as exc:
            return type(exc).__name__
        return "output"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(call, range(12)))
    assert outcomes == ["CredentialsError"] * 12
    assert refresh.call_count == 1


def test_a_later_message_tries_the_refresh_again(mocked: responses.RequestsMock) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
    refresh = mocked.post(f"{SECRET_URL}/refresh", status=409)
    mocked.get(f"{API}/item/1", status=401, json=EXPIRED)
    for _ in range(2):
        with pytest.raises(CredentialsError, match="Podio refused the refresh token"):
            run()
    assert refresh.call_count == 2


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"status": 500}, "answered HTTP 500"),
        ({"status": 404}, "no such secret"),
        ({"status": 401}, "rejected ELASTICIO_API_USERNAME/ELASTICIO_API_KEY"),
        ({"body": requests.ConnectionError("refused")}, "unreachable"),
        ({"json": {"data": {}}}, "unexpected Secrets API response"),
        ({"json": secret_body("tok\r\nX-Evil: 1")}, "cannot be sent in an HTTP header"),
    ],
)
def test_secrets_api_failures_are_clear_credential_errors(
    mocked: responses.RequestsMock, answer: dict[str, Any], expected: str
) -> None:
    mocked.get(SECRET_URL, **answer)
    with pytest.raises(CredentialsError, match=expected):
        run()
    assert podio_calls(mocked) == []


def test_a_transient_secrets_api_failure_is_retried(mocked: responses.RequestsMock) -> None:
    mocked.get(SECRET_URL, status=503)
    mocked.get(SECRET_URL, body=requests.ConnectionError("reset"))
    mocked.get(SECRET_URL, json=secret_body("tok-A-0123456789"))
    mocked.get(f"{API}/item/1", json={})
    assert run()["body"]["statusCode"] == 200
    assert [c.request.url for c in mocked.calls] == [SECRET_URL] * 3 + [f"{API}/item/1"]


def test_a_secrets_api_that_stays_down_fails_after_three_tries_and_may_be_tried_later(
    mocked: responses.RequestsMock,
) -> None:
    secret = mocked.get(SECRET_URL, status=502)
    with pytest.raises(CredentialsError, match="answered HTTP 502") as caught:
        run()
    assert type(caught.value) is CredentialsError
    assert caught.value.retry_later
    assert secret.call_count == 3
    assert podio_calls(mocked) == []


def test_bad_retry_settings_in_the_secret_fail_before_podio_is_called(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(SECRET_URL, json=secret_body("tok-A-0123456789", retries="many"))
    with pytest.raises(InputError, match="Invalid retries: got 'many'"):
        run()
    assert podio_calls(mocked) == []


def test_verify_fails_with_the_reason(mocked: responses.RequestsMock) -> None:
    mocked.get(SECRET_URL, status=404)
    with pytest.raises(CredentialsError, match="no such secret"):
        verify(CFG)


def test_a_secret_without_platform_settings_names_the_missing_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from podio_component.settings import reload_environment

    monkeypatch.delenv("ELASTICIO_API_URI")
    monkeypatch.delenv("ELASTICIO_API_KEY")
    reload_environment()
    with pytest.raises(CredentialsError, match="ELASTICIO_API_URI, ELASTICIO_API_KEY"):
        run()
