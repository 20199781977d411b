"""Make Raw Request options: params, headers and returnHttpErrors."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from podio_component.actions.make_raw_request import process
from podio_component.emulator import Emulator
from podio_component.errors import InputError, PodioHTTPError, PodioTransportError
from tests.helpers import API

CFG = {
    "oauth": {"access_token": "inline-access-token-0123456789"},
    "retries": "2",
    "retriesDelay": "0",
}


pytestmark = pytest.mark.usefixtures("sleeps")


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
        ({"X-A": "price in €"}, "the value of X-A must be Latin-1 text"),
        ({"X-A": "a\u2028b"}, "the value of X-A must be Latin-1 text"),
        ({"X-A": " padded"}, "leading/trailing spaces"),
        ({"X-A": "padded\t"}, "leading/trailing spaces"),
        ({"X-A": "a\x85b"}, "control characters"),
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


def test_header_values_are_never_echoed_in_errors(mocked: responses.RequestsMock) -> None:
    with pytest.raises(InputError) as caught:
        raw(headers={"X-Api-Key": "my-private-key\n"})
    assert "my-private-key" not in str(caught.value)


def test_a_header_value_with_inner_spaces_and_latin1_is_sent(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(f"{API}/item/1", json={})
    raw(headers={"X-Note": "café au\tlait", "X-Empty": ""})
    assert mocked.calls[0].request.headers["X-Note"] == "café au\tlait"


@pytest.mark.parametrize("flag", [True, "on", "true", " TRUE ", "On"])
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


@pytest.mark.parametrize("flag", ["", None, False, "off", "false", " OFF "])
def test_http_errors_fail_by_default(mocked: responses.RequestsMock, flag: object) -> None:
    mocked.get(f"{API}/item/1", status=404, json={"error": "not_found"})
    with pytest.raises(PodioHTTPError):
        raw(returnHttpErrors=flag)


@pytest.mark.parametrize("flag", ["yes", "1", 1, 0, "banana", [True], {"on": 1}])
def test_anything_else_for_return_http_errors_is_refused_in_our_own_words(
    mocked: responses.RequestsMock, flag: object
) -> None:
    with pytest.raises(InputError) as caught:
        raw(returnHttpErrors=flag)
    assert str(caught.value).startswith("Invalid returnHttpErrors: got ")
    assert 'expected true or false ("on"/"off" for a checkbox)' in str(caught.value)
    assert len(mocked.calls) == 0


def test_an_error_page_labelled_json_is_returned_as_text(mocked: responses.RequestsMock) -> None:
    page = "<html><body>502 Bad Gateway</body></html>"
    mocked.get(f"{API}/item/1", status=502, body=page, content_type="application/json")
    body = raw(returnHttpErrors=True)["body"]
    assert (body["statusCode"], body["responseBody"]) == (502, page)


# ---- against the emulator ---------------------------------------------------------------


@pytest.fixture
def cfg(emulator: Emulator) -> dict[str, Any]:
    return {"secretId": emulator.create_secret(fields={"retries": "0"})}


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
