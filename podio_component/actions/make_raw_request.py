"""Make Raw Request: send {method, url, data} to Podio and return the response as a message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from podio_component.client import connect, pin_url
from podio_component.messages import message_body, response_message
from podio_component.settings import environment, parse

METHODS = ("GET", "DELETE", "POST", "PUT")


class RawRequest(BaseModel):
    """The incoming message body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["GET", "DELETE", "POST", "PUT"]
    url: str
    data: Any = None

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
    response = podio.request(request.method, request.url, body=request.data)
    return response_message(response, env.max_output_bytes)
