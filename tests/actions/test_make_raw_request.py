"""Make Raw Request: input validation and how responses become output messages."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import responses

from podio_component.actions.make_raw_request import process
from podio_component.errors import InputError, OutputTooLargeError, PodioTransportError
from tests.helpers import API, SetEnv

CFG = {"oauth": {"access_token": "inline-access-token-0123456789"}, "retries": "0"}


@pytest.mark.parametrize(
    ("msg", "field", "problem"),
    [
        ("GET /item/1", "message", "expected an object with a 'body' object"),
        ({"body": "GET"}, "message.body", "expected an object"),
        ({"body": {"url": "/item/1"}}, "method", "is required"),
        (
            {"body": {"method": "PATCH", "url": "/x"}},
            "method",
            "got 'PATCH'; expected one of GET, DELETE, POST, PUT",
        ),
        ({"body": {"method": 1, "url": "/x"}}, "method", "got 1; expected one of GET, DELETE"),
        ({"body": {"method": "GET"}}, "url", "is required"),
        ({"body": {"method": "GET", "url": 5}}, "url", "got 5; expected a path string"),
        ({"body": {"method": "GET", "url": "/x", "data": {"a": 1}}}, "data", "cannot carry"),
        ({"body": {"method": "POST", "url": "/x", "data": "text"}}, "data", "object or array"),
        ({"body": {"method": "POST", "url": "/x", "data": 3}}, "data", "got 3; expected a JSON"),
        ({"body": {"method": "GET", "url": "/x", "body": {}}}, "body", "not a known field"),
    ],
)
def test_bad_input_names_the_field_and_sends_nothing(
    mocked: responses.RequestsMock, msg: Any, field: str, problem: str
) -> None:
    with pytest.raises(InputError) as caught:
        process(msg, CFG)
    assert caught.value.field == field
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"Invalid {field}: ")
    assert len(mocked.calls) == 0


def test_a_non_object_cfg_is_refused(mocked: responses.RequestsMock) -> None:
    with pytest.raises(InputError, match="Invalid cfg: expected an object"):
        process({"body": {"method": "GET", "url": "/x"}}, "token")  # type: ignore[arg-type]


def test_method_is_case_insensitive(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/x", json={})
    assert process({"body": {"method": " get ", "url": "/x"}}, CFG)["body"]["statusCode"] == 200


def test_an_empty_object_body_on_get_is_treated_as_none(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/x", json={})
    process({"body": {"method": "GET", "url": "/x", "data": {}}}, CFG)
    assert mocked.calls[0].request.body is None


def test_an_array_body_is_sent(mocked: responses.RequestsMock) -> None:
    mocked.post(f"{API}/x", json={})
    process({"body": {"method": "POST", "url": "/x", "data": [1, 2]}}, CFG)
    assert mocked.calls[0].request.body == b"[1, 2]"


def test_an_empty_response_body_is_null(mocked: responses.RequestsMock) -> None:
    mocked.delete(f"{API}/item/1", status=204)
    output = process({"body": {"method": "DELETE", "url": "/item/1"}}, CFG)
    assert output["body"]["statusCode"] == 204
    assert output["body"]["responseBody"] is None


def test_a_text_response_is_returned_as_text(mocked: responses.RequestsMock) -> None:
    mocked.get(
        f"{API}/x", body="héllo".encode("latin-1"), content_type="text/plain; charset=latin-1"
    )
    assert process({"body": {"method": "GET", "url": "/x"}}, CFG)["body"]["responseBody"] == "héllo"


def test_a_file_download_becomes_an_attachment_and_is_never_json_decoded(
    mocked: responses.RequestsMock,
) -> None:
    pdf = b"%PDF-1.4 \x00\xff binary"
    mocked.get(
        f"{API}/file/7/raw",
        body=pdf,
        content_type="application/json",
        headers={"Content-Disposition": 'inline; filename="a.pdf"'},
    )
    output = process({"body": {"method": "GET", "url": "/file/7/raw"}}, CFG)
    assert output["body"]["responseBody"] is None
    attachment = output["attachments"]["response"]
    assert attachment["size"] == len(pdf)
    assert attachment["content-type"] == "application/json"
    prefix = "data:application/json;base64,"
    assert attachment["url"].startswith(prefix)
    assert base64.b64decode(attachment["url"][len(prefix) :]) == pdf


def test_malformed_json_is_a_clear_error(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/x", body=b'{"item_id": 1', content_type="application/json")
    with pytest.raises(PodioTransportError, match="HTTP 200 with a body that is not valid JSON"):
        process({"body": {"method": "GET", "url": "/x"}}, CFG)


def test_a_response_too_big_for_one_message_is_a_clear_error(
    mocked: responses.RequestsMock, setenv: SetEnv
) -> None:
    setenv("PODIO_MAX_OUTPUT_BYTES", "100000")
    mocked.get(f"{API}/x", json={"text": "x" * 200_000})
    with pytest.raises(OutputTooLargeError, match="more than the 100000 bytes"):
        process({"body": {"method": "GET", "url": "/x"}}, CFG)


def test_each_output_message_has_a_new_id(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/x", json={})
    ids = {process({"body": {"method": "GET", "url": "/x"}}, CFG)["id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize("data", [{"x": float("nan")}, {"x": float("inf")}, {"x": object()}])
def test_a_body_json_cannot_hold_is_refused(mocked: responses.RequestsMock, data: Any) -> None:
    with pytest.raises(InputError, match="Invalid data: expected plain JSON values"):
        process({"body": {"method": "POST", "url": "/x", "data": data}}, CFG)
    assert len(mocked.calls) == 0


def test_json_in_another_charset_is_decoded(mocked: responses.RequestsMock) -> None:
    body = '{"title": "Café crème"}'.encode("iso-8859-1")
    mocked.get(f"{API}/x", body=body, content_type="application/json; charset=ISO-8859-1")
    output = process({"body": {"method": "GET", "url": "/x"}}, CFG)
    assert output["body"]["responseBody"] == {"title": "Café crème"}


def test_the_size_check_counts_response_headers(
    mocked: responses.RequestsMock, setenv: SetEnv
) -> None:
    setenv("PODIO_MAX_OUTPUT_BYTES", "100000")
    mocked.get(f"{API}/x", json={}, headers={f"X-Big-{n}": "v" * 4000 for n in range(30)})
    with pytest.raises(OutputTooLargeError, match="more than the 100000 bytes"):
        process({"body": {"method": "GET", "url": "/x"}}, CFG)


def test_the_size_check_counts_non_ascii_text_by_its_utf8_size(
    mocked: responses.RequestsMock, setenv: SetEnv
) -> None:
    setenv("PODIO_MAX_OUTPUT_BYTES", "100000")
    # 17,000 "€" are 51,000 bytes of UTF-8 (102,000 if counted escaped as \u20ac): it fits.
    mocked.get(f"{API}/x", json={"text": "€" * 17_000})
    output = process({"body": {"method": "GET", "url": "/x"}}, CFG)
    size = len(json.dumps(output, ensure_ascii=False).encode())
    assert 51_000 < size < 100_000
    mocked.get(f"{API}/y", json={"text": "€" * 34_000})  # 102,000 bytes of UTF-8: too big
    with pytest.raises(OutputTooLargeError):
        process({"body": {"method": "GET", "url": "/y"}}, CFG)


def test_data_nested_too_deep_is_a_clear_error(mocked: responses.RequestsMock) -> None:
    data: Any = []
    for _ in range(100_000):
        data = [data]
    with pytest.raises(InputError, match="Invalid data: is nested too deeply"):
        process({"body": {"method": "POST", "url": "/x", "data": data}}, CFG)
    assert len(mocked.calls) == 0
