"""Property-based: whatever a message or cfg holds, the step ends in an output message or one
error from the package's family; bad input names its field and sends nothing; and nothing is
ever sent to a host other than the configured API base."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podio_component.actions.make_raw_request import process
from podio_component.credentials import forget_credentials
from podio_component.errors import InputError, PodioComponentError
from tests.helpers import API

TOKEN = "hypothesis-access-token-0123456789"
GOOD_CFG = {"oauth": {"access_token": TOKEN}, "retries": "1", "retriesDelay": "0"}

URL_TRICKS = [
    "https://evil.example/x",
    "http://evil.example",
    "//evil.example/x",
    "///evil.example",
    "\\\\evil.example\\x",
    "/\\evil.example",
    "/x@evil.example",
    "@evil.example",
    "https://api.podio.com@evil.example/",
    "/%2F%2Fevil.example",
    "/%2e%2e/%2e%2e/x",
    "/../x",
    "/item/../../x",
    "/item/1\r\nHost: evil.example",
    "/item/1\nX: y",
    "/item/\x00",
    "/item/1#frag",
    "/item/1?x=https://evil.example",
    "javascript:alert(1)",
    "/" + "a" * 10_000,
    " /item/1",
    "/item/ 1",
    "/ü/ñ",
    "",
    "/",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
METHODS = st.sampled_from(["GET", "get", "PUT", "DELETE", "POST", "PATCH", "HEAD", "", " "]) | (
    st.text(max_size=10)
)
URLS = st.sampled_from(URL_TRICKS) | st.text(max_size=200) | st.text(max_size=60).map("/".__add__)
BODIES = st.fixed_dictionaries(
    {},
    optional={
        "method": METHODS | JSON,
        "url": URLS | JSON,
        "data": JSON,
        "params": JSON,
        "headers": JSON | st.dictionaries(st.sampled_from(["Host", "X-A", "TE", "a b"]), JSON),
        "returnHttpErrors": JSON,
        "extra": st.text(max_size=5),
    },
)
BODY_FIELDS = {
    "message.body",
    "method",
    "url",
    "data",
    "params",
    "headers",
    "returnHttpErrors",
    "extra",
}
SETTING = st.none() | st.text(max_size=12) | st.integers() | st.floats() | JSON
CFGS = st.fixed_dictionaries(
    {},
    optional={
        "oauth": st.just({"access_token": TOKEN}) | JSON,
        "secretId": st.none() | st.just("") | JSON,
        "retries": SETTING,
        "retriesDelay": SETTING,
    },
)


# The patch below is the same for every example, so sharing the fixture across them is safe.
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


pytestmark = pytest.mark.usefixtures("sleeps")


def run_guarded(msg: Any, cfg: Any) -> tuple[Any, list[str]]:
    """Run process with every URL answered; return the result or error, and the URLs sent."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "PUT", "DELETE", "POST"):
            mock.add(method, re.compile(r".*"), json={"ok": True})
        try:
            result: Any = process(msg, cfg)
        except PodioComponentError as exc:
            result = exc
        return result, [str(call.request.url) for call in mock.calls]


def only_podio(urls: list[str]) -> bool:
    pinned = urlsplit(API)
    return all(
        (urlsplit(u).scheme, urlsplit(u).netloc) == (pinned.scheme, pinned.netloc) for u in urls
    )


@SETTINGS
@given(body=BODIES)
def test_any_message_body_ends_in_an_output_or_a_clear_error(body: dict[str, Any]) -> None:
    result, urls = run_guarded({"body": body}, GOOD_CFG)
    assert only_podio(urls)
    if isinstance(result, InputError):
        assert urls == []
        assert result.field in BODY_FIELDS
        assert str(result).startswith(f"Invalid {result.field}: ")
    else:
        assert isinstance(result, dict)
        assert result["body"]["statusCode"] == 200
        sent_headers = {name.lower() for name in body.get("headers") or {}}
        assert not sent_headers & {"host", "authorization", "te"}


@SETTINGS
@given(msg=JSON)
def test_any_message_at_all_never_crashes(msg: Any) -> None:
    result, urls = run_guarded(msg, GOOD_CFG)
    assert isinstance(result, InputError)
    assert urls == []


@SETTINGS
@given(url=st.sampled_from(URL_TRICKS) | URLS)
def test_no_url_sends_the_token_anywhere_but_the_api(url: str) -> None:
    result, urls = run_guarded({"body": {"method": "GET", "url": url}}, GOOD_CFG)
    assert only_podio(urls)
    if isinstance(result, InputError):
        assert result.field == "url"
        assert urls == []


@SETTINGS
@given(cfg=CFGS | JSON)
def test_any_cfg_ends_in_an_output_or_a_clear_error(cfg: Any) -> None:
    forget_credentials()
    result, urls = run_guarded({"body": {"method": "GET", "url": "/user/status"}}, cfg)
    assert only_podio(urls)
    assert isinstance(result, (dict, PodioComponentError))
    if isinstance(result, InputError):
        assert result.field in {"cfg", "cfg.oauth", "cfg.secretId", "retries", "retriesDelay"}
        assert urls == []
