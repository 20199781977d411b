"""The HTTP client through process(), with Podio mocked by responses."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from podio_component.actions.make_raw_request import process
from podio_component.context import Context, bound
from podio_component.errors import (
    CooldownError,
    CredentialsError,
    InputError,
    PodioHTTPError,
    PodioTransportError,
    ReauthenticateError,
)
from podio_component.http import new_session
from tests.helpers import API, SetEnv, refused

TOKEN = "inline-access-token-0123456789abcdef"
INLINE = {"oauth": {"access_token": TOKEN}, "retries": "3", "retriesDelay": "250"}
RATE_LIMITED = {
    "error": "rate_limit",
    "error_description": "You have hit the rate limit. Please wait 7 seconds before trying again.",
}


def run(
    cfg: dict[str, Any], method: str = "GET", url: str = "/item/1", **body: Any
) -> dict[str, Any]:
    return process({"body": {"method": method, "url": url, **body}}, cfg)


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


def test_repeated_headers_keep_every_value_and_set_cookie_stays_a_list(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(
        f"{API}/item/1",
        json={},
        headers=[
            ("Vary", "Accept"),
            ("Vary", "Accept-Language"),
            ("Set-Cookie", "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT"),
            ("Set-Cookie", "b=2"),
        ],
    )
    headers = run(INLINE)["body"]["headers"]
    assert headers["vary"] == "Accept, Accept-Language"
    assert headers["set-cookie"] == ["a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT", "b=2"]


def test_a_cookie_from_one_answer_is_not_sent_with_the_next_message(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(f"{API}/item/1", json={}, headers={"Set-Cookie": "session=tenant-a; Path=/"})
    mocked.get(f"{API}/item/2", json={})
    run(INLINE)
    run(INLINE, url="/item/2")
    assert "Cookie" not in mocked.calls[1].request.headers


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
    assert not caught.value.retry_later  # Podio may have acted on a 5xx


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
    with pytest.raises(PodioHTTPError, match=r"HTTP 500.*a POST is not replayed"):
        run(INLINE, "POST", "/item/app/3/", data={"fields": {}})
    assert len(mocked.calls) == 1


def test_a_post_is_not_replayed_after_a_read_timeout(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(f"{API}/item/app/3/", body=requests.ReadTimeout())
    with pytest.raises(PodioTransportError, match="a POST is not replayed") as caught:
        run(INLINE, "POST", "/item/app/3/", data={"fields": {}})
    assert len(mocked.calls) == 1
    assert not caught.value.retry_later


def test_a_post_is_retried_when_the_connection_was_refused(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(f"{API}/item/app/3/", body=refused())
    mocked.post(f"{API}/item/app/3/", json={"item_id": 1})
    assert run(INLINE, "POST", "/item/app/3/", data={})["body"]["attempts"] == 2


def test_a_request_that_never_reached_podio_may_be_tried_again_later(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(f"{API}/item/app/3/", body=refused())
    with pytest.raises(PodioTransportError, match="could not connect") as caught:
        run({**INLINE, "retries": "0"}, "POST", "/item/app/3/", data={})
    assert caught.value.retry_later


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


def test_a_wait_longer_than_the_maximum_fails_at_once_and_may_be_tried_later(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    hour = {**RATE_LIMITED, "error_description": "Please wait 3600 seconds before trying again."}
    mocked.get(f"{API}/item/1", status=420, json=hour)
    with pytest.raises(PodioHTTPError, match=r"rate limited, retry after 3,600 s") as caught:
        run(INLINE)
    assert len(mocked.calls) == 1
    assert sleeps == []
    assert caught.value.retry_after == 3600
    assert caught.value.retry_later


@pytest.mark.parametrize(
    ("retry_after", "shown"),
    [("99999999999999", "more than 10,000 days"), ("864000", "10 days")],
)
def test_huge_waits_print_as_numbers_a_person_can_read(
    mocked: responses.RequestsMock, retry_after: str, shown: str
) -> None:
    mocked.get(f"{API}/item/1", status=429, headers={"Retry-After": retry_after})
    with pytest.raises(PodioHTTPError, match=f"retry after {shown} ") as caught:
        run(INLINE)
    assert "e+" not in str(caught.value)


def test_the_deadline_stops_retries_before_a_wait_that_would_pass_it_and_says_so(
    mocked: responses.RequestsMock, sleeps: list[float], setenv: SetEnv
) -> None:
    setenv("PODIO_DEADLINE", "5")
    mocked.get(f"{API}/item/1", status=503)
    with pytest.raises(PodioHTTPError, match="after 1 attempt") as caught:
        run({**INLINE, "retriesDelay": "10000"})
    assert sleeps == []
    assert "stopped retrying: the next attempt would pass the message's deadline" in str(
        caught.value
    )


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


def test_a_refused_url_is_echoed_shortened(mocked: responses.RequestsMock) -> None:
    with pytest.raises(InputError) as caught:
        run(INLINE, url="https://evil.example/" + "x" * 200)
    assert str(caught.value).startswith("Invalid url: got 'https://evil.example/xxx")
    assert "…" in str(caught.value) and len(str(caught.value)) < 250


def test_missing_credentials_are_a_clear_error(mocked: responses.RequestsMock) -> None:
    with pytest.raises(CredentialsError, match=r"no secretId, credential or oauth\.access_token"):
        run({"retries": "1"})
    assert len(mocked.calls) == 0


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


def test_an_inline_token_is_trimmed(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/item/1", json={})
    run({"oauth": {"access_token": f"  {TOKEN}\n"}})
    assert mocked.calls[0].request.headers["Authorization"] == f"OAuth2 {TOKEN}"


@pytest.mark.parametrize("bad", [f"{TOKEN}\r\nX-Evil: 1", f"tok en-{TOKEN}", f"{TOKEN}\x00"])
def test_a_token_that_is_not_a_header_value_is_a_clear_redacted_error(
    mocked: responses.RequestsMock, bad: str
) -> None:
    with pytest.raises(CredentialsError, match="cannot be sent in an HTTP header") as caught:
        run({"oauth": {"access_token": bad}})
    assert len(mocked.calls) == 0
    assert TOKEN not in f"{caught.value} {caught.value!r}"


def test_a_retried_delete_that_finds_the_object_gone_after_a_lost_answer_succeeds(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.delete(f"{API}/item/1", body=requests.ReadTimeout())
    mocked.delete(f"{API}/item/1", status=410, json={"error": "gone"})
    output = run(INLINE, "DELETE")
    assert (output["body"]["statusCode"], output["body"]["attempts"]) == (410, 2)


@pytest.mark.parametrize(
    "first",
    [
        {"status": 503},
        {"status": 420, "json": {"error": "rate_limit"}},
        {"status": 429},
        {"body": refused()},
    ],
    ids=["503", "420", "429", "refused"],
)
def test_a_delete_answered_404_after_an_answered_or_unsent_attempt_is_a_real_not_found(
    mocked: responses.RequestsMock, sleeps: list[float], first: dict[str, Any]
) -> None:
    mocked.delete(f"{API}/item/1", **first)
    mocked.delete(f"{API}/item/1", status=404, json={"error": "not_found"})
    with pytest.raises(PodioHTTPError, match="HTTP 404"):
        run(INLINE, "DELETE")


def test_a_first_delete_of_a_missing_object_is_still_an_error(
    mocked: responses.RequestsMock,
) -> None:
    mocked.delete(f"{API}/item/1", status=404, json={"error": "not_found"})
    with pytest.raises(PodioHTTPError, match="HTTP 404"):
        run(INLINE, "DELETE")


def test_a_netrc_entry_for_the_api_host_never_replaces_the_token(
    mocked: responses.RequestsMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.podio.com login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    mocked.get(f"{API}/item/1", json={})
    run(INLINE)
    assert mocked.calls[0].request.headers["Authorization"] == f"OAuth2 {TOKEN}"


def test_the_proxy_environment_is_honoured_and_read_once_per_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert new_session(API).proxies["https"] == "http://proxy.example:3128"
    monkeypatch.setenv("NO_PROXY", "api.podio.com")
    assert new_session(API).proxies == {}


def test_after_a_420_the_credential_cools_down_and_the_next_message_sends_nothing(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    cfg = {**INLINE, "retries": "0"}
    mocked.get(f"{API}/item/1", status=420, json=RATE_LIMITED)
    with pytest.raises(PodioHTTPError, match="HTTP 420"):
        run(cfg)
    with pytest.raises(
        CooldownError, match="not sent: Podio rate-limited this credential"
    ) as caught:
        run(cfg, url="/item/2")
    assert caught.value.retry_later
    assert len(mocked.calls) == 1
    other = {"oauth": {"access_token": "another-tenants-token-0123456"}, "retries": "0"}
    mocked.get(f"{API}/item/3", json={})
    assert run(other, url="/item/3")["body"]["statusCode"] == 200  # only that credential


def test_a_message_waits_out_a_short_cooldown_then_sends(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.get(f"{API}/item/1", status=420, json=RATE_LIMITED)
    with pytest.raises(PodioHTTPError):
        run({**INLINE, "retries": "0"})
    mocked.get(f"{API}/item/2", json={})
    assert run(INLINE, url="/item/2")["body"]["statusCode"] == 200
    assert sleeps == [pytest.approx(7.0, abs=0.1)]  # it waited the cooldown, then sent once
    assert len(mocked.calls) == 2


def test_a_wait_abandoned_on_shutdown_is_a_retry_later_error(
    mocked: responses.RequestsMock,
) -> None:
    stopping = threading.Event()
    stopping.set()  # the host is shutting down: a wait it may abandon is cut short
    mocked.get(f"{API}/item/1", status=420, json=RATE_LIMITED)
    with (
        bound(Context(stopping=stopping)),
        pytest.raises(PodioHTTPError, match="gave up waiting to retry: shutting down") as caught,
    ):
        run(INLINE)
    assert caught.value.retry_later
