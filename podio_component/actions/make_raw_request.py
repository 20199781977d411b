"""Make Raw Request: send {method, url, data} to Podio and return the response as a message;
or a multipart POST whose file parts come from attachments or base64 (`multipart`); a binary
answer past PODIO_MAX_INLINE_FILE, or any with `responseAs: attachment`, streamed into the
platform's attachments instead of a `data:` URL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from podio_component.contract.messages import (
    is_file,
    message_body,
    new_message,
    rate_limit,
    response_message,
)
from podio_component.credentials import connect
from podio_component.errors import InputError
from podio_component.files import sources
from podio_component.files.checks import MAX_SIZE
from podio_component.podio.client import EVERY_STATUS, Part, pin_url
from podio_component.podio.response import PodioResponse
from podio_component.settings import environment
from podio_component.spool import Spool
from podio_component.validation import choice, parse, yes_no

Method = Literal["GET", "DELETE", "POST", "PUT"]
METHODS: tuple[str, ...] = get_args(Method)
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
# What the wire can carry: Latin-1 text without control characters, spaces only inside.
_VISIBLE = r"[\x21-\x7e\xa0-\xff]"
HEADER_VALUE = re.compile(rf"(?:{_VISIBLE}(?:[\x20\x09\x21-\x7e\xa0-\xff]*{_VISIBLE})?)?")
Scalar = str | int | float | bool


def _query_value(value: Scalar) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"  # Podio's documented form for booleans in a query
    return str(value)


class RawRequest(BaseModel):
    """The incoming message body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method
    url: str
    data: Any = None
    params: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    return_http_errors: bool = Field(False, alias="returnHttpErrors")
    multipart: dict[str, Any] | None = None
    response_as: Literal["message", "attachment"] = Field("message", alias="responseAs")

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().upper() in METHODS:
            return value.strip().upper()
        raise InputError("method", f"expected one of {', '.join(METHODS)}", value)

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: object) -> object:
        if not isinstance(value, str):
            raise InputError(
                "url", "expected a path string starting with '/', such as /user/status", value
            )
        return value

    @field_validator("params", mode="before")
    @classmethod
    def _params(cls, value: object) -> list[tuple[str, str]]:
        if value is None:
            return []
        if not isinstance(value, dict):
            raise InputError(
                "params", 'expected an object of query parameters, e.g. {"limit": 10}', value
            )
        pairs: list[tuple[str, str]] = []
        for name, raw in value.items():
            values = raw if isinstance(raw, list) else [raw]  # a list repeats the key
            for one in values:
                if one is None:
                    continue
                if not isinstance(one, Scalar):
                    raise InputError(
                        "params", f"{name!r} must be text, a number, true/false or a list", raw
                    )
                pairs.append((name, _query_value(one)))
        return pairs

    @field_validator("headers", mode="before")
    @classmethod
    def _headers(cls, value: object) -> dict[str, str]:
        # Header values are never echoed in errors: they may hold credentials of their own.
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise InputError("headers", "expected an object of header names and values")
        headers: dict[str, str] = {}
        for name, raw in value.items():
            if not HEADER_NAME.fullmatch(name):
                raise InputError("headers", "is not a valid header name", name[:40])
            if name.lower() in RESERVED_HEADERS:
                raise InputError(
                    "headers", f"{name} is set by the component and cannot be overridden"
                )
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                raise InputError("headers", f"the value of {name} must be text")
            if not HEADER_VALUE.fullmatch(str(raw)):
                raise InputError(
                    "headers",
                    f"the value of {name} must be Latin-1 text without line breaks, control "
                    "characters or leading/trailing spaces",
                )
            headers[name] = str(raw)
        return headers

    @field_validator("return_http_errors", mode="before")
    @classmethod
    def _return_http_errors(cls, value: object) -> bool:
        return yes_no(value, "returnHttpErrors")

    @field_validator("response_as", mode="before")
    @classmethod
    def _response_as(cls, value: object) -> str:
        return choice("responseAs", value, ("message", "attachment"), "message")

    @field_validator("multipart", mode="before")
    @classmethod
    def _multipart(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, dict) or not value:
            raise InputError(
                "multipart",
                'expected an object of parts: a text, or a file {"attachment": name} or '
                '{"content": base64, "filename": name}',
            )
        for name, part in value.items():
            if not isinstance(part, str | dict):
                raise InputError(f"multipart.{name}", "expected a text or a file part", part)
        return value

    @field_validator("data")
    @classmethod
    def _data(cls, value: Any, info: ValidationInfo) -> Any:
        method = info.data.get("method")
        if value is None or (method in ("GET", "DELETE") and value == {}):
            return None  # an empty object is what a mapper leaves for an unused body
        if method in ("GET", "DELETE"):
            raise InputError(
                "data", f"a {method} request cannot carry a request body; leave it empty"
            )
        if not isinstance(value, dict | list):
            raise InputError(
                "data", "expected a JSON object or array (Podio accepts no bare values)", value
            )
        return value


def process(msg: Mapping[str, Any], cfg: Mapping[str, Any], snapshot: Any = None) -> dict[str, Any]:
    env = environment()
    request = parse(RawRequest, message_body(msg))
    pin_url(env.api_url, request.url)  # refuse a bad url before the credential is touched
    _check_shape(request)
    accept = EVERY_STATUS if request.return_http_errors else ()
    if request.multipart is not None:
        return _upload(msg, request, cfg, env.max_output_bytes)
    if request.method == "GET":
        return _read(request, cfg, accept)
    response = connect(cfg).request(
        request.method,
        request.url,
        body=request.data,
        params=request.params,
        headers=request.headers,
        accept=accept,
    )
    return response_message(response, env.max_output_bytes)


def _check_shape(request: RawRequest) -> None:
    if request.multipart is not None and (request.method != "POST" or request.data is not None):
        raise InputError("multipart", "goes with a POST and no data")
    if request.response_as == "attachment" and request.method != "GET":
        raise InputError("responseAs", "attachment goes with a GET")


def _read(request: RawRequest, cfg: Mapping[str, Any], accept: Any) -> dict[str, Any]:
    """A GET, its answer streamed: a binary one past PODIO_MAX_INLINE_FILE (or any, with
    `responseAs: attachment`) becomes an attachment; anything else the message as before."""
    env = environment()
    if request.response_as == "attachment":
        sources.store().writable()
    with Spool(MAX_SIZE, "responseBody", memory=env.max_inline_file) as spool:
        headers = {"Accept": "application/json", **request.headers}
        follow = request.response_as == "attachment"  # a file may live elsewhere
        response = connect(cfg).request_raw(
            request.url, spool, request.params, headers, accept, follow=follow
        )
        if response.ok:
            as_file = request.response_as == "attachment" or (
                spool.size > env.max_inline_file and is_file(response)
            )
            if as_file:
                return _attachment(response, spool, request.url)
            response = response._replace(content=spool.content())
    return response_message(response, env.max_output_bytes)


def _attachment(response: PodioResponse, spool: Spool, url: str) -> dict[str, Any]:
    """The answer's bytes as an attachment of the message, named as Podio names the file."""
    disposition = response.header("content-disposition") or ""
    found = re.search(r'filename="?([^";]+)"?', disposition)
    name = (
        found.group(1) if found else url.split("?")[0].rstrip("/").rpartition("/")[2] or "response"
    )
    kind = response.media_type or "application/octet-stream"
    stored = sources.store().write(spool, name, kind)
    body = {
        "statusCode": response.status,
        "headers": response.headers,
        "responseBody": None,
        "attachment": name,
        "rateLimit": rate_limit(response),
        "attempts": response.attempts,
    }
    return new_message(body, {name: {"url": stored, "size": spool.size, "content-type": kind}})


def _upload(
    msg: Mapping[str, Any], request: RawRequest, cfg: Mapping[str, Any], max_bytes: int
) -> dict[str, Any]:
    """A multipart POST: text parts as given, file parts from an attachment or base64."""
    assert request.multipart is not None
    parts: dict[str, Part] = {}
    opened: list[Spool] = []
    try:
        for name, part in request.multipart.items():
            if isinstance(part, str):
                parts[name] = part
                continue
            field = f"multipart.{name}"
            if part.get("attachment") is not None:
                (chosen,) = sources.named(msg, part["attachment"], f"{field}.attachment")
                have = sources.attachments(msg)[chosen]
                source = sources.from_attachment(chosen, have, part.get("filename"), MAX_SIZE)
            else:
                source = sources.from_base64(part.get("content"), part.get("filename"), MAX_SIZE)
            opened.append(source.spool)
            parts[name] = (source.name, source.spool, source.mimetype)
        response = connect(cfg).upload(request.url, parts, request.params)
    finally:
        for spool in opened:
            spool.close()
    return response_message(response, max_bytes)
