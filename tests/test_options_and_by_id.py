"""Make Raw Request options (params, headers, returnHttpErrors) and the By ID actions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from podio_component import client
from podio_component.actions import delete_object_by_id, lookup_object_by_id
from podio_component.actions.make_raw_request import process
from podio_component.emulator import Emulator
from podio_component.errors import InputError, PodioHTTPError, PodioTransportError
from tests.conftest import API

CFG = {
    "oauth": {"access_token": "inline-access-token-0123456789"},
    "retries": "2",
    "retriesDelay": "0",
}


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    monkeypatch.setattr(client, "sleep", lambda seconds: None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def raw(**body: Any) -> dict[str, Any]:
    return process({"body": {"method": "GET", "url": "/item/1", **body}}, CFG)


# ---- params ----------------------------------------------------------------------------


def test_params_are_encoded_with_repeated_keys_and_podio_booleans(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(f"{API}/item/1", json={})
    raw(
        url="/item/1?view=micro",
        params={
            "fields": "items.view(micro)",
            "tag": ["a b", "c&d"],
            "silent": True,
            "limit": 10,
            "skip": None,
        },
    )
    query = parse_qsl(urlsplit(str(mocked.calls[0].request.url)).query)
    assert query == [
        ("view", "micro"),
        ("fields", "items.view(micro)"),
        ("tag", "a b"),
        ("tag", "c&d"),
        ("silent", "1"),
        ("limit", "10"),
    ]


@pytest.mark.parametrize(
    "params", ["limit=10", [["limit", 10]], {"filter": {"a": 1}}, {"x": [{"y": 1}]}]
)
def test_bad_params_are_refused_before_sending(mocked: responses.RequestsMock, params: Any) -> None:
    with pytest.raises(InputError) as caught:
        raw(params=params)
    assert caught.value.field == "params"
    assert len(mocked.calls) == 0


# ---- headers ---------------------------------------------------------------------------


def test_extra_headers_are_sent(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/item/1", json={})
    raw(headers={"X-Podio-Dry-Run": "1", "Accept-Language": "de_DE"})
    sent = mocked.calls[0].request.headers
    assert (sent["X-Podio-Dry-Run"], sent["Accept-Language"]) == ("1", "de_DE")
    assert sent["Authorization"].startswith("OAuth2 ")


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"Authorization": "Bearer mine"}, "set by the component"),
        ({"host": "evil.example"}, "set by the component"),
        ({"Content-Length": "5"}, "set by the component"),
        ({"Transfer-Encoding": "chunked"}, "set by the component"),
        ({"Connection": "close"}, "set by the component"),
        ({"X-A": "1\r\nHost: evil.example"}, "line breaks"),
        ({"Bad Name": "1"}, "not a valid header name"),
        ({"X-A": {"b": 1}}, "must be text"),
        (["X-A"], "expected an object"),
    ],
)
def test_reserved_or_unsafe_headers_are_refused(
    mocked: responses.RequestsMock, headers: Any, problem: str
) -> None:
    with pytest.raises(InputError, match=problem) as caught:
        raw(headers=headers)
    assert caught.value.field == "headers"
    assert len(mocked.calls) == 0


# ---- returnHttpErrors ------------------------------------------------------------------


@pytest.mark.parametrize("flag", [True, "on", "true"])
def test_http_errors_can_become_output_messages(
    mocked: responses.RequestsMock, flag: object
) -> None:
    mocked.get(f"{API}/item/1", status=404, json={"error": "not_found"})
    body = raw(returnHttpErrors=flag)["body"]
    assert (body["statusCode"], body["responseBody"]["error"], body["attempts"]) == (
        404,
        "not_found",
        1,
    )


def test_returned_errors_are_still_retried_first(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/item/1", status=503)
    body = raw(returnHttpErrors=True)["body"]
    assert (body["statusCode"], body["attempts"]) == (503, 3)


def test_network_failures_still_fail_with_return_http_errors(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(f"{API}/item/1", body=requests.ConnectionError("down"))
    with pytest.raises(PodioTransportError):
        raw(returnHttpErrors=True)


@pytest.mark.parametrize("flag", ["", None, False, "off"])
def test_http_errors_fail_by_default(mocked: responses.RequestsMock, flag: object) -> None:
    mocked.get(f"{API}/item/1", status=404, json={"error": "not_found"})
    with pytest.raises(PodioHTTPError):
        raw(returnHttpErrors=flag)


# ---- Lookup / Delete Object By ID (against the emulator) --------------------------------


def lookup(cfg: dict[str, Any], object_type: str, object_id: Any, **options: Any) -> Any:
    return lookup_object_by_id.process(
        {"body": {"id": object_id}}, {**cfg, "objectType": object_type, **options}
    )["body"]


def delete(cfg: dict[str, Any], object_type: str, object_id: Any) -> Any:
    return delete_object_by_id.process(
        {"body": {"id": object_id}}, {**cfg, "objectType": object_type}
    )["body"]


@pytest.fixture
def cfg(emulator: Emulator) -> dict[str, Any]:
    return {"secretId": emulator.create_secret(fields={"retries": "0"})}


@pytest.mark.parametrize(
    ("object_type", "object_id", "key"),
    [
        ("item", 5001, "item_id"),
        ("app", 30, "app_id"),
        ("space", 20, "space_id"),
        ("organization", 10, "org_id"),
        ("file", 7001, "file_id"),
        ("item", "5002", "item_id"),
    ],
)
def test_lookup_returns_the_object(
    cfg: dict[str, Any], object_type: str, object_id: Any, key: str
) -> None:
    assert lookup(cfg, object_type, object_id)[key] == int(object_id)


def test_lookup_accepts_the_node_components_id_value(cfg: dict[str, Any]) -> None:
    output = lookup_object_by_id.process({"body": {"idValue": 5001}}, {**cfg, "objectType": "item"})
    assert output["body"]["title"] == "Analytical engine licence"


def test_lookup_of_a_missing_object_is_an_error_or_empty_as_chosen(cfg: dict[str, Any]) -> None:
    with pytest.raises(PodioHTTPError, match="GET /item/424242 failed after 1 attempt: HTTP 404"):
        lookup(cfg, "item", 424242)
    assert lookup(cfg, "item", 424242, allowZeroResults="on") == {}


def test_delete_then_lookup(emulator: Emulator, cfg: dict[str, Any]) -> None:
    assert delete(cfg, "item", 5003) == {"id": 5003, "deleted": True}
    assert emulator.log.count("DELETE", "/item/5003") == 1
    assert lookup(cfg, "item", 5003, allowZeroResults=True) == {}
    with pytest.raises(PodioHTTPError, match="HTTP 410, error=gone"):
        lookup(cfg, "item", 5003)
    with pytest.raises(PodioHTTPError, match="HTTP 410"):
        delete(cfg, "item", 5003)


@pytest.mark.parametrize(
    "bad_id", [0, -1, "abc", "1/../x", "5001?x=1", 1.5, True, None, "", " ", "١٢", 2**64, [5001]]
)
def test_ids_are_validated_before_any_request(
    emulator: Emulator, cfg: dict[str, Any], bad_id: Any
) -> None:
    for action in (lookup, delete):
        with pytest.raises(InputError, match="Invalid id: ") as caught:
            action(cfg, "item", bad_id)
        assert "positive whole number" in str(caught.value) or "required" in str(caught.value)
    assert emulator.log.entries() == []


@pytest.mark.parametrize("object_type", [None, "", "items", "../item", 3])
def test_unknown_object_types_are_refused(
    emulator: Emulator, cfg: dict[str, Any], object_type: Any
) -> None:
    with pytest.raises(InputError, match=r"Invalid objectType: expected one of action, app"):
        lookup(cfg, object_type, 5001)
    with pytest.raises(InputError, match=r"Invalid objectType: expected one of app, comment"):
        delete(cfg, object_type, 5001)
    assert emulator.log.entries() == []


# ---- the options end to end, against the emulator ----------------------------------------


def raw_e2e(cfg: dict[str, Any], **body: Any) -> dict[str, Any]:
    output: dict[str, Any] = process({"body": {"method": "GET", **body}}, cfg)["body"]
    return output


def test_params_arrive_encoded_at_the_emulator(emulator: Emulator, cfg: dict[str, Any]) -> None:
    raw_e2e(
        cfg,
        url="/item/5001",
        params={"fields": "items.view(micro)", "mark_as_viewed": False, "tag": ["a", "b c"]},
    )
    (entry,) = [e for e in emulator.log.entries() if e.path == "/item/5001"]
    assert parse_qsl(entry.query) == [
        ("fields", "items.view(micro)"),
        ("mark_as_viewed", "0"),
        ("tag", "a"),
        ("tag", "b c"),
    ]


def test_extra_headers_reach_the_emulator(cfg: dict[str, Any]) -> None:
    # The emulator echoes a client's X-Podio-Request-Id, as PodioKit relies on.
    output = raw_e2e(cfg, url="/user/status", headers={"X-Podio-Request-Id": "mine1234"})
    assert output["headers"]["x-podio-request-id"] == "mine1234"


def test_return_http_errors_against_the_emulator(cfg: dict[str, Any]) -> None:
    output = raw_e2e(cfg, url="/item/424242", returnHttpErrors=True)
    assert output["statusCode"] == 404
    assert output["responseBody"]["error"] == "not_found"
    assert output["rateLimit"]["remaining"] is not None
