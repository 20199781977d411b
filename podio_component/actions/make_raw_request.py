"""Make Raw Request: send {method, url, data} to Podio and return the response as a message."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from podio_component.client import connect, pin_url
from podio_component.messages import message_body, response_message
from podio_component.settings import environment, parse

METHODS = ("GET", "DELETE", "POST", "PUT")
# The component owns these: the token, the target host, framing, and the JSON body type.
RESERVED_HEADERS = frozenset(
    {
        "authorization",
        "host",
        "content-length",
        "content-type",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
UNSAFE_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
Scalar = str | int | float | bool


def _query_value(value: Scalar) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"  # Podio's documented form for booleans in a query
    return str(value)


class RawRequest(BaseModel):
    """The incoming message body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["GET", "DELETE", "POST", "PUT"]
    url: str
    data: Any = None
    params: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    return_http_errors: bool = Field(False, alias="returnHttpErrors")

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().upper() in METHODS:
            return value.strip().upper()
        raise ValueError(f"expected one of {', '.join(METHODS)}")

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("expected a path string starting with '/', such as /user/status")
        return value

    @field_validator("params", mode="before")
    @classmethod
    def _params(cls, value: object) -> list[tuple[str, str]]:
        if value is None:
            return []
        if not isinstance(value, dict):
            raise ValueError('expected an object of query parameters, e.g. {"limit": 10}')
        pairs: list[tuple[str, str]] = []
        for name, raw in value.items():
            values = raw if isinstance(raw, list) else [raw]  # a list repeats the key
            for one in values:
                if one is None:
                    continue
                if not isinstance(one, Scalar):
                    raise ValueError(f"{name!r} must be text, a number, true/false or a list")
                pairs.append((name, _query_value(one)))
        return pairs

    @field_validator("headers", mode="before")
    @classmethod
    def _headers(cls, value: object) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("expected an object of header names and values")
        headers: dict[str, str] = {}
        for name, raw in value.items():
            if not HEADER_NAME.fullmatch(name):
                raise ValueError(f"{name[:40]!r} is not a valid header name")
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"{name} is set by the component and cannot be overridden")
            if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
                raise ValueError(f"the value of {name} must be text")
            if UNSAFE_HEADER_VALUE.search(str(raw)):
                raise ValueError(f"the value of {name} must not contain line breaks")
            headers[name] = str(raw)
        return headers

    @field_validator("return_http_errors", mode="before")
    @classmethod
    def _checkbox(cls, value: object) -> object:
        return False if value in (None, "") else value

    @field_validator("data")
    @classmethod
    def _data(cls, value: Any, info: ValidationInfo) -> Any:
        method = info.data.get("method")
        if value is None or (method in ("GET", "DELETE") and value == {}):
            return None  # an empty object is what a mapper leaves for an unused body
        if method in ("GET", "DELETE"):
            raise ValueError(f"a {method} request cannot carry a request body; leave it empty")
        if not isinstance(value, (dict, list)):
            raise ValueError("expected a JSON object or array (Podio accepts no bare values)")
        return value


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    env = environment()
    request = parse(RawRequest, message_body(msg))
    pin_url(env.api_url, request.url)  # refuse a bad url before the credential is touched
    podio = connect(cfg, env)
    response = podio.request(
        request.method,
        request.url,
        body=request.data,
        params=request.params,
        headers=request.headers,
        accept_errors=request.return_http_errors,
    )
    return response_message(response, env.max_output_bytes)
