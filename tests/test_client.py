"""The HTTP client through process(), with Podio and the Secrets API mocked by responses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from podio_component import client
from podio_component.actions.make_raw_request import process
from podio_component.errors import (
    CredentialsError,
    InputError,
    PodioHTTPError,
    PodioTransportError,
    ReauthenticateError,
)
from tests.conftest import API, SECRET_URL, secret_body

TOKEN = "inline-access-token-0123456789abcdef"
INLINE = {"oauth": {"access_token": TOKEN}, "retries": "3", "retriesDelay": "250"}
RATE_LIMITED = {
    "error": "rate_limit",
    "error_description": "You have hit the rate limit. Please wait 7 seconds before trying again.",
}


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(client, "sleep", waited.append)
    return waited


def run(
    cfg: dict[str, Any], method: str = "GET", url: str = "/item/1", **body: Any
) -> dict[str, Any]:
    return process({"body": {"method": method, "url": url, **body}}, cfg)


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def podio_calls(mock: responses.RequestsMock) -> list[Any]:
    return [c for c in mock.calls if c.request.url and c.request.url.startswith(API)]


def test_a_get_returns_status_lowercased_headers_and_parsed_json(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(
        f"{API}/item/1",
        json={"item_id": 1},
        headers={"X-Rate-Limit-Remaining": "99", "X-Rate-Limit-Limit": "1000"},
    )
    output = run(INLINE)
    assert set(output) == {"id", "body", "headers", "attachments"}
    body = output["body"]
    assert body["statusCode"] == 200
    assert body["responseBody"] == {"item_id": 1}
    assert body["headers"]["x-rate-limit-remaining"] == "99"
    assert all(name == name.lower() for name in body["headers"])
    assert body["rateLimit"] == {"limit": 1000, "remaining": 99}
    assert body["attempts"] == 1
    sent = mocked.calls[0].request
    assert sent.headers["Authorization"] == f"OAuth2 {TOKEN}"


def test_every_request_has_connect_and_read_timeouts(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/item/1", json={})
    run(INLINE)
    connect, read = mocked.calls[0].request.req_kwargs["timeout"]  # type: ignore[attr-defined]
    assert connect == 10.0
    assert 0 < read <= 60.0


def test_a_post_sends_json(mocked: responses.RequestsMock) -> None:
    mocked.post(f"{API}/item/app/3/", json={"item_id": 9})
    run(INLINE, "POST", "/item/app/3/", data={"fields": {"title": "x"}})
    sent = mocked.calls[0].request
    assert json.loads(sent.body or b"") == {"fields": {"title": "x"}}
    assert sent.headers["Content-Type"] == "application/json"


def test_zero_retries_means_exactly_one_attempt(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.get(f"{API}/item/1", status=503)
    with pytest.raises(PodioHTTPError, match="after 1 attempt:"):
        run({**INLINE, "retries": "0"})
    assert len(mocked.calls) == 1
    assert sleeps == []


def test_retries_make_exactly_retries_plus_one_attempts_with_the_delay_between(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.get(f"{API}/item/1", status=503)
    with pytest.raises(PodioHTTPError, match="after 4 attempts") as caught:
        run(INLINE)
    assert len(mocked.calls) == 4
    assert sleeps == [0.25, 0.25, 0.25]
    assert caught.value.attempts == 4


def test_a_get_recovers_after_a_5xx(mocked: responses.RequestsMock, sleeps: list[float]) -> None:
    mocked.get(f"{API}/item/1", status=502)
    mocked.get(f"{API}/item/1", json={"ok": True})
    assert run(INLINE)["body"]["attempts"] == 2
    assert len(mocked.calls) == 2


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_idempotent_writes_are_retried_after_a_network_error(
    mocked: responses.RequestsMock, sleeps: list[float], method: str
) -> None:
    mocked.add(method, f"{API}/item/1", body=requests.ConnectionError("Connection aborted."))
    mocked.add(method, f"{API}/item/1", status=204)
    data: dict[str, Any] | None = {"fields": {}} if method == "PUT" else None
    assert run(INLINE, method, data=data)["body"]["statusCode"] == 204


def test_a_post_is_not_replayed_after_a_500(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(f"{API}/item/app/3/", status=500)
    with pytest.raises(PodioHTTPError, match="HTTP 500"):
        run(INLINE, "POST", "/item/app/3/", data={"fields": {}})
    assert len(mocked.calls) == 1


def test_a_post_is_not_replayed_after_a_read_timeout(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(f"{API}/item/app/3/", body=requests.ReadTimeout())
    with pytest.raises(PodioTransportError, match="a POST is not replayed"):
        run(INLINE, "POST", "/item/app/3/", data={"fields": {}})
    assert len(mocked.calls) == 1


def test_a_post_is_retried_when_the_connection_was_refused(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(f"{API}/item/app/3/", body=refused())
    mocked.post(f"{API}/item/app/3/", json={"item_id": 1})
    assert run(INLINE, "POST", "/item/app/3/", data={})["body"]["attempts"] == 2


def test_a_420_wait_hint_replaces_the_configured_delay(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(f"{API}/item/app/3/", status=420, json=RATE_LIMITED)
    mocked.post(f"{API}/item/app/3/", json={"item_id": 1})
    output = run(INLINE, "POST", "/item/app/3/", data={})
    assert sleeps == [7.0]
    assert output["body"]["attempts"] == 2


def test_a_420_without_a_hint_waits_the_configured_delay(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.get(f"{API}/item/1", status=420, json={"error": "rate_limit"})
    mocked.get(f"{API}/item/1", json={})
    run(INLINE)
    assert sleeps == [0.25]


def test_a_429_honours_retry_after(mocked: responses.RequestsMock, sleeps: list[float]) -> None:
    mocked.get(f"{API}/item/1", status=429, headers={"Retry-After": "3"})
    mocked.get(f"{API}/item/1", json={})
    run(INLINE)
    assert sleeps == [3.0]


def test_a_wait_longer_than_the_maximum_fails_at_once(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    hour = {**RATE_LIMITED, "error_description": "Please wait 3600 seconds before trying again."}
    mocked.get(f"{API}/item/1", status=420, json=hour)
    with pytest.raises(PodioHTTPError, match=r"rate limited, retry after 3600 s") as caught:
        run(INLINE)
    assert len(mocked.calls) == 1
    assert sleeps == []
    assert caught.value.retry_after == 3600


def test_the_overall_deadline_stops_retries_before_a_wait_that_would_pass_it(
    mocked: responses.RequestsMock, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIO_DEADLINE", "5")
    mocked.get(f"{API}/item/1", status=503)
    with pytest.raises(PodioHTTPError, match="after 1 attempt"):
        run({**INLINE, "retriesDelay": "10000"})
    assert sleeps == []


@pytest.mark.parametrize("status", [400, 403, 404, 409, 410])
def test_other_4xx_are_not_retried(
    mocked: responses.RequestsMock, sleeps: list[float], status: int
) -> None:
    mocked.get(f"{API}/item/1", status=status, json={"error": "x"})
    with pytest.raises(PodioHTTPError):
        run(INLINE)
    assert len(mocked.calls) == 1


def test_the_error_names_method_path_status_podio_error_request_id_and_attempts(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(
        f"{API}/item/77",
        status=404,
        json={"error": "not_found", "error_description": "Object not found", "error_detail": None},
        headers={"X-Podio-Request-Id": "d3RKoSs6"},
    )
    with pytest.raises(PodioHTTPError) as caught:
        run(INLINE, url="/item/77")
    assert str(caught.value) == (
        "GET /item/77 failed after 1 attempt: HTTP 404, error=not_found, "
        "error_description='Object not found', x-podio-request-id=d3RKoSs6"
    )
    assert (caught.value.status, caught.value.error, caught.value.request_id) == (
        404,
        "not_found",
        "d3RKoSs6",
    )


def test_redirects_are_not_followed(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/item/1", status=302, headers={"Location": "https://evil.example/steal"})
    with pytest.raises(PodioHTTPError, match="HTTP 302"):
        run(INLINE)
    assert [c.request.url for c in mocked.calls] == [f"{API}/item/1"]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/x",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example/x",
        "item/1",
        "",
        "/item/1\r\nHost: evil.example",
        "/item/\x00",
        "/../../etc",
        "/item/%2e%2e/x",
        "/" + "a" * 9000,
    ],
)
def test_urls_that_could_leave_podio_are_refused_before_anything_is_sent(
    mocked: responses.RequestsMock, url: str
) -> None:
    with pytest.raises(InputError) as caught:
        run(INLINE, url=url)
    assert caught.value.field == "url"
    assert len(mocked.calls) == 0


def test_missing_credentials_are_a_clear_error(mocked: responses.RequestsMock) -> None:
    with pytest.raises(CredentialsError, match=r"neither secretId nor oauth\.access_token"):
        run({"retries": "1"})
    assert len(mocked.calls) == 0


def test_a_secret_without_platform_settings_names_the_missing_variables() -> None:
    with pytest.raises(CredentialsError, match="ELASTICIO_API_URI, ELASTICIO_API_USERNAME"):
        run({"secretId": "s1"})


def test_an_inline_token_that_podio_rejects_asks_for_reauthentication(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(
        f"{API}/item/1",
        status=401,
        json={"error": "unauthorized", "error_description": "expired_token"},
    )
    with pytest.raises(ReauthenticateError, match="re-authenticate this credential"):
        run(INLINE)
    assert len(mocked.calls) == 1


@pytest.mark.usefixtures("platform_env")
class TestSecretCredential:
    CFG: ClassVar[dict[str, str]] = {"secretId": "s1"}

    def test_the_token_and_retry_settings_come_from_the_secret(
        self, mocked: responses.RequestsMock, sleeps: list[float]
    ) -> None:
        mocked.get(SECRET_URL, json=secret_body("tok-A-0123456789", retries="1", retriesDelay="5"))
        mocked.get(f"{API}/item/1", status=503)
        with pytest.raises(PodioHTTPError, match="after 2 attempts"):
            run(self.CFG)
        assert sleeps == [0.005]
        secret_call = mocked.calls[0].request
        assert secret_call.headers["Authorization"].startswith("Basic ")
        assert podio_calls(mocked)[0].request.headers["Authorization"] == "OAuth2 tok-A-0123456789"

    def test_the_secret_is_read_once_and_then_cached(self, mocked: responses.RequestsMock) -> None:
        mocked.get(SECRET_URL, json=secret_body("tok-A-0123456789"))
        mocked.get(f"{API}/item/1", json={})
        run(self.CFG)
        run(self.CFG)
        assert len(mocked.calls) == 3

    def test_a_401_forces_one_refresh_and_replays_with_the_new_token(
        self, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
        refresh = mocked.post(f"{SECRET_URL}/refresh", json=secret_body("tok-new-0123456789"))
        mocked.get(
            f"{API}/item/1",
            status=401,
            json={"error": "unauthorized", "error_description": "expired_token"},
        )
        mocked.get(f"{API}/item/1", json={"item_id": 1})
        output = run(self.CFG)
        assert output["body"]["statusCode"] == 200
        assert output["body"]["attempts"] == 1  # the refresh does not use up a retry
        assert refresh.call_count == 1
        tokens = [c.request.headers["Authorization"] for c in podio_calls(mocked)]
        assert tokens == ["OAuth2 tok-old-0123456789", "OAuth2 tok-new-0123456789"]

    def test_a_token_the_platform_already_refreshed_is_used_without_forcing(
        self, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
        mocked.get(SECRET_URL, json=secret_body("tok-new-0123456789"))
        refresh = mocked.post(f"{SECRET_URL}/refresh", json=secret_body("tok-other-0123456"))
        mocked.get(f"{API}/item/1", status=401, json={"error": "invalid_token"})
        mocked.get(f"{API}/item/1", json={})
        run(self.CFG)
        assert refresh.call_count == 0

    def test_a_second_401_asks_for_reauthentication(self, mocked: responses.RequestsMock) -> None:
        mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
        mocked.post(f"{SECRET_URL}/refresh", json=secret_body("tok-new-0123456789"))
        mocked.get(f"{API}/item/1", status=401, json={"error": "invalid_token"})
        with pytest.raises(ReauthenticateError, match="re-authenticate this credential"):
            run(self.CFG)
        assert len(podio_calls(mocked)) == 2

    def test_a_refresh_that_returns_the_same_token_asks_for_reauthentication(
        self, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(SECRET_URL, json=secret_body("tok-old-0123456789"))
        mocked.post(f"{SECRET_URL}/refresh", json=secret_body("tok-old-0123456789"))
        mocked.get(f"{API}/item/1", status=401, json={"error": "invalid_token"})
        with pytest.raises(ReauthenticateError):
            run(self.CFG)

    @pytest.mark.parametrize(
        ("answer", "expected"),
        [
            ({"status": 500}, "answered HTTP 500"),
            ({"status": 404}, "no such secret"),
            ({"status": 401}, "rejected ELASTICIO_API_USERNAME/ELASTICIO_API_KEY"),
            ({"body": requests.ConnectionError("refused")}, "unreachable"),
            ({"json": {"data": {}}}, "unexpected Secrets API response"),
        ],
    )
    def test_secrets_api_failures_are_clear_credential_errors(
        self, mocked: responses.RequestsMock, answer: dict[str, Any], expected: str
    ) -> None:
        mocked.get(SECRET_URL, **answer)
        with pytest.raises(CredentialsError, match=expected):
            run(self.CFG)
        assert podio_calls(mocked) == []

    def test_a_transient_secrets_api_failure_is_retried(
        self, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(SECRET_URL, status=503)
        mocked.get(SECRET_URL, body=requests.ConnectionError("reset"))
        mocked.get(SECRET_URL, json=secret_body("tok-A-0123456789"))
        mocked.get(f"{API}/item/1", json={})
        assert run(self.CFG)["body"]["statusCode"] == 200
        assert [c.request.url for c in mocked.calls] == [SECRET_URL] * 3 + [f"{API}/item/1"]

    def test_a_secrets_api_that_stays_down_fails_after_three_tries(
        self, mocked: responses.RequestsMock
    ) -> None:
        secret = mocked.get(SECRET_URL, status=502)
        with pytest.raises(CredentialsError, match="answered HTTP 502") as caught:
            run(self.CFG)
        assert type(caught.value) is CredentialsError
        assert secret.call_count == 3
        assert podio_calls(mocked) == []

    def test_bad_retry_settings_in_the_secret_fail_before_podio_is_called(
        self, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(SECRET_URL, json=secret_body("tok-A-0123456789", retries="many"))
        with pytest.raises(InputError, match="Invalid retries"):
            run(self.CFG)
        assert podio_calls(mocked) == []


def test_a_retried_delete_that_finds_the_object_gone_succeeds(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.delete(f"{API}/item/1", body=requests.ReadTimeout())
    mocked.delete(f"{API}/item/1", status=410, json={"error": "gone"})
    output = run(INLINE, "DELETE")
    assert (output["body"]["statusCode"], output["body"]["attempts"]) == (410, 2)


def test_a_first_delete_of_a_missing_object_is_still_an_error(
    mocked: responses.RequestsMock,
) -> None:
    mocked.delete(f"{API}/item/1", status=404, json={"error": "not_found"})
    with pytest.raises(PodioHTTPError, match="HTTP 404"):
        run(INLINE, "DELETE")


def test_a_netrc_entry_for_the_api_host_never_replaces_the_token(
    mocked: responses.RequestsMock, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.podio.com login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    mocked.get(f"{API}/item/1", json={})
    run(INLINE)
    assert mocked.calls[0].request.headers["Authorization"] == f"OAuth2 {TOKEN}"
