"""End to end over real loopback HTTP: the component against the emulator, nothing mocked."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from podio_component.actions.make_raw_request import process
from podio_component.emulator import Emulator, Fault
from podio_component.errors import (
    CredentialsError,
    PodioHTTPError,
    PodioTransportError,
    ReauthenticateError,
)
from podio_component.verify_credentials import verify
from tests.helpers import SetEnv

FAST = {"retries": "3", "retriesDelay": "0"}
RATE_LIMITED = {
    "error": "rate_limit",
    "error_description": "You have hit the rate limit. Please wait 1 seconds before trying again.",
}


def run(cfg: dict[str, Any], method: str, url: str, data: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"method": method, "url": url}
    if data is not None:
        body["data"] = data
    output: dict[str, Any] = process({"body": body}, cfg)["body"]
    return output


def secret_cfg(emulator: Emulator, **fields: str) -> dict[str, str]:
    return {"secretId": emulator.create_secret(fields={**FAST, **fields})}


def test_the_secret_flow_reads_the_user(emulator: Emulator) -> None:
    output = run(secret_cfg(emulator), "GET", "/user/status")
    assert output["statusCode"] == 200
    assert output["responseBody"]["user"]["mail"] == "ada@example.com"
    assert output["headers"]["x-podio-request-id"]
    assert output["rateLimit"] == {"limit": 1000, "remaining": 999}
    assert emulator.log.count("GET", "/v2/workspaces/*/secrets/*") == 1


def test_the_inline_oauth_flow(emulator: Emulator) -> None:
    token = emulator.issue_token("grace@example.com")["access_token"]
    output = run({"oauth": {"access_token": token}, **FAST}, "GET", "/user/")
    assert output["responseBody"]["mail"] == "grace@example.com"
    assert emulator.log.count("*", "/v2/*") == 0


def test_create_read_update_delete_an_item(emulator: Emulator) -> None:
    cfg = secret_cfg(emulator)
    created = run(cfg, "POST", "/item/app/30/", {"fields": {"title": "New deal", "stage": 1}})
    item_id = created["responseBody"]["item_id"]
    item = run(cfg, "GET", f"/item/{item_id}")["responseBody"]
    assert item["title"] == "New deal"
    updated = run(cfg, "PUT", f"/item/{item_id}", {"fields": {"title": "Renamed"}, "revision": 0})
    assert updated["responseBody"] == {"revision": 1, "title": "Renamed"}
    assert run(cfg, "DELETE", f"/item/{item_id}")["statusCode"] == 204
    with pytest.raises(PodioHTTPError, match=r"HTTP 410, error=gone"):
        run(cfg, "GET", f"/item/{item_id}")


def test_filter_items_pages_with_limit_and_offset(emulator: Emulator) -> None:
    output = run(secret_cfg(emulator), "POST", "/item/app/30/filter/", {"limit": 2, "offset": 1})
    body = output["responseBody"]
    assert (body["total"], body["filtered"], len(body["items"])) == (3, 3, 2)
    assert output["rateLimit"]["limit"] == 250  # filter is a "rate limited" operation


def test_an_expired_token_is_refreshed_through_the_platform_and_replayed(
    emulator: Emulator,
) -> None:
    cfg = secret_cfg(emulator)
    run(cfg, "GET", "/user/status")
    emulator.world.expire_all_tokens()
    output = run(cfg, "GET", "/item/5001")
    assert output["statusCode"] == 200
    assert output["attempts"] == 2  # the replay after the 401
    assert emulator.log.count("POST", "/v2/workspaces/*/secrets/*/refresh") == 1
    assert emulator.log.count("POST", "/oauth/token") == 1
    statuses = [e.status for e in emulator.log.entries() if e.path == "/item/5001"]
    assert statuses == [401, 200]


def test_a_refresh_the_platform_cannot_make_asks_for_reauthentication(emulator: Emulator) -> None:
    cfg = secret_cfg(emulator)
    run(cfg, "GET", "/user/status")
    emulator.world.oauth.refresh_tokens.clear()  # the refresh token was revoked
    emulator.world.expire_all_tokens()
    with pytest.raises(CredentialsError, match=r"could not refresh secret .* re-authenticate"):
        run(cfg, "GET", "/user/status")


def test_an_expired_inline_token_asks_for_reauthentication(emulator: Emulator) -> None:
    token = emulator.issue_token()["access_token"]
    emulator.world.expire_all_tokens()
    with pytest.raises(ReauthenticateError, match="re-authenticate"):
        run({"oauth": {"access_token": token}}, "GET", "/user/status")


def test_a_420_with_a_wait_hint_is_waited_out_and_costs_one_extra_call(
    emulator: Emulator,
) -> None:
    emulator.faults.add("GET", "/item/5001", Fault(status=420, body=RATE_LIMITED))
    output = run(secret_cfg(emulator, retriesDelay="60000"), "GET", "/item/5001")
    assert output["statusCode"] == 200
    assert output["attempts"] == 2
    entries = [e for e in emulator.log.entries() if e.path == "/item/5001"]
    assert [e.status for e in entries] == [420, 200]
    assert 0.9 <= entries[1].at - entries[0].at < 5  # waited the hinted 1 s, not 60 s


def test_the_emulators_own_rate_limit_is_waited_out(emulator: Emulator) -> None:
    emulator.world.limits.rate_limit = 1
    emulator.world.limits.window = 1.0
    cfg = secret_cfg(emulator)
    run(cfg, "GET", "/user/status")
    output = run(cfg, "GET", "/user/status")
    assert output["attempts"] == 2
    assert [e.status for e in emulator.log.entries() if e.path == "/user/status"] == [200, 420, 200]


def test_a_get_recovers_from_5xx(emulator: Emulator) -> None:
    emulator.faults.add("GET", "/item/5002", Fault(status=503), Fault(status=502))
    output = run(secret_cfg(emulator), "GET", "/item/5002")
    assert (output["statusCode"], output["attempts"]) == (200, 3)


def test_a_post_that_failed_after_podio_applied_it_is_not_replayed(emulator: Emulator) -> None:
    emulator.faults.add("POST", "/item/app/30/", Fault(status=500, apply=True))
    with pytest.raises(
        PodioHTTPError, match=r"POST /item/app/30/ failed after 1 attempt: HTTP 500"
    ):
        run(secret_cfg(emulator), "POST", "/item/app/30/", {"fields": {"title": "Once only"}})
    assert emulator.log.count("POST", "/item/app/30/") == 1
    titles = [i["title"] for i in emulator.world.items.stored.values()]
    assert titles.count("Once only") == 1


def test_a_post_whose_connection_dropped_is_not_replayed(emulator: Emulator) -> None:
    emulator.faults.add("POST", "/item/app/30/", Fault(drop=True, apply=True))
    with pytest.raises(Exception, match="not replayed"):
        run(secret_cfg(emulator), "POST", "/item/app/30/", {"fields": {"title": "Dropped"}})
    assert emulator.log.count("POST", "/item/app/30/") == 1


def test_a_binary_file_download_arrives_as_an_attachment(emulator: Emulator) -> None:
    output = process({"body": {"method": "GET", "url": "/file/7001/raw"}}, secret_cfg(emulator))
    attachment = output["attachments"]["response"]
    assert attachment["content-type"] == "application/pdf"
    data = base64.b64decode(attachment["url"].split(",", 1)[1])
    assert data.startswith(b"%PDF-1.4") and len(data) == attachment["size"]
    assert output["body"]["responseBody"] is None


@pytest.mark.parametrize(
    ("method", "url", "data", "expected"),
    [
        (
            "GET",
            "/item/999999",
            None,
            "GET /item/999999 failed after 1 attempt: HTTP 404, "
            "error=not_found, error_description='Item with id 999999 not found'",
        ),
        ("PUT", "/item/5001", {"revision": 42}, "HTTP 409, error=conflict"),
        ("POST", "/item/app/30/", {"fields": {"nope": 1}}, "HTTP 400, error=invalid_value"),
        (
            "GET",
            "/no/such/route",
            None,
            "HTTP 404, error=not_found, error_description='No matching",
        ),
    ],
)
def test_podio_errors_are_clear(
    emulator: Emulator, method: str, url: str, data: Any, expected: str
) -> None:
    with pytest.raises(PodioHTTPError) as caught:
        run(secret_cfg(emulator), method, url, data)
    assert expected in str(caught.value)
    assert "x-podio-request-id=" in str(caught.value)


def test_verify_credentials_succeeds_with_a_good_secret(emulator: Emulator) -> None:
    assert verify(secret_cfg(emulator)) == {"verified": True}


def test_verify_credentials_fails_with_a_reason(emulator: Emulator) -> None:
    with pytest.raises(ReauthenticateError, match="re-authenticate"):
        verify({"oauth": {"access_token": "not-a-real-token-123"}})
    with pytest.raises(CredentialsError, match="no such secret"):
        verify({"secretId": "missing"})


def test_a_body_that_drips_in_cannot_outlast_the_deadline(
    emulator: Emulator, setenv: SetEnv
) -> None:
    setenv("PODIO_DEADLINE", "1.5")
    setenv("PODIO_READ_TIMEOUT", "1")
    # A ~600-byte item at one byte per 0.2 s would take two minutes; every read is short.
    emulator.faults.add("GET", "/item/5001", Fault(drip=0.2))
    started = time.monotonic()
    with pytest.raises(PodioTransportError, match="deadline") as caught:
        run(secret_cfg(emulator, retries="0"), "GET", "/item/5001")
    assert time.monotonic() - started < 2.5
    assert "PODIO_DEADLINE" in str(caught.value)


def test_secrets_api_calls_count_against_the_deadline(emulator: Emulator, setenv: SetEnv) -> None:
    setenv("PODIO_DEADLINE", "1")
    setenv("PODIO_READ_TIMEOUT", "30")
    emulator.faults.add("GET", "/v2/*", Fault(delay=5))
    started = time.monotonic()
    with pytest.raises(CredentialsError, match="unreachable"):
        run(secret_cfg(emulator), "GET", "/user/status")
    assert time.monotonic() - started < 2


def test_the_secrets_api_dropping_the_connection_is_retried(emulator: Emulator) -> None:
    emulator.faults.add("GET", "/v2/*", Fault(drop=True), Fault(truncate=True))
    assert run(secret_cfg(emulator), "GET", "/user/status")["statusCode"] == 200
    assert emulator.log.count("GET", "/v2/*") == 3
