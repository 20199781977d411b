"""Validated settings: the credential's retry fields and the process environment."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from podio_component.errors import InputError

DEFAULT_API_URL = "https://api.podio.com"
DEFAULT_RETRIES = 5
DEFAULT_RETRIES_DELAY_MS = 10_000
MAX_RETRIES = 10
MAX_RETRIES_DELAY_MS = 300_000

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], data: Mapping[str, Any]) -> Model:
    """Validate data into model, turning pydantic's report into one clear InputError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "input"
        problem = _PROBLEMS.get(first["type"], first["msg"].removeprefix("Value error, "))
        raise InputError(field, problem) from None


_PROBLEMS = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
}


def _blank_to_none(value: object) -> object:
    # The platform sends an untouched optional text field as "" (or leaves it out).
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value.strip() if isinstance(value, str) else value


def _whole_number(value: object, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a whole number from {lowest} to {highest}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"expected a whole number from {lowest} to {highest}") from None
    if not number.is_integer() or not lowest <= number <= highest:
        raise ValueError(f"expected a whole number from {lowest} to {highest}")
    return int(number)


class RetrySettings(BaseModel):
    """The credential's `retries` and `retriesDelay` fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    retries: int = DEFAULT_RETRIES
    retries_delay_ms: int = Field(DEFAULT_RETRIES_DELAY_MS, alias="retriesDelay")

    @field_validator("retries", mode="before")
    @classmethod
    def _retries(cls, value: object) -> int:
        value = _blank_to_none(value)
        return DEFAULT_RETRIES if value is None else _whole_number(value, 0, MAX_RETRIES)

    @field_validator("retries_delay_ms", mode="before")
    @classmethod
    def _delay(cls, value: object) -> int:
        value = _blank_to_none(value)
        if value is None:
            return DEFAULT_RETRIES_DELAY_MS
        return _whole_number(value, 0, MAX_RETRIES_DELAY_MS)

    @property
    def attempts(self) -> int:
        return self.retries + 1

    @property
    def delay_seconds(self) -> float:
        return self.retries_delay_ms / 1000


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Environment(BaseModel):
    """Process-wide settings from environment variables."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    api_url: str = Field(DEFAULT_API_URL, alias="PODIO_API_URL")
    connect_timeout: float = Field(10.0, alias="PODIO_CONNECT_TIMEOUT", gt=0, le=300)
    read_timeout: float = Field(60.0, alias="PODIO_READ_TIMEOUT", gt=0, le=3600)
    max_retry_wait: float = Field(60.0, alias="PODIO_MAX_RETRY_WAIT", ge=0, le=3600)
    deadline: float = Field(300.0, alias="PODIO_DEADLINE", gt=0, le=3600)
    max_output_bytes: int = Field(10 * 1024 * 1024, alias="PODIO_MAX_OUTPUT_BYTES", gt=0)
    platform_api_uri: str | None = Field(None, alias="ELASTICIO_API_URI")
    platform_username: str | None = Field(None, alias="ELASTICIO_API_USERNAME")
    platform_api_key: str | None = Field(None, alias="ELASTICIO_API_KEY", repr=False)
    workspace_id: str | None = Field(None, alias="ELASTICIO_WORKSPACE_ID")

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        if parts.scheme not in ("https", "http") or not host:
            raise ValueError("expected an absolute http(s) URL such as https://api.podio.com")
        if parts.scheme == "http" and not _is_loopback(host):
            raise ValueError("plain http is allowed only for loopback hosts; use https")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("expected a base URL without credentials, query or fragment")
        return value.strip().rstrip("/")

    @field_validator("platform_api_uri")
    @classmethod
    def _platform_uri(cls, value: str | None) -> str | None:
        return value.strip().rstrip("/") if value else None


_ENV_NAMES = tuple(field.alias for field in Environment.model_fields.values() if field.alias)


def environment() -> Environment:
    """The current environment's settings; cached while the variables stay the same."""
    return _environment(tuple(os.environ.get(name) for name in _ENV_NAMES))


@lru_cache(maxsize=8)
def _environment(values: tuple[str | None, ...]) -> Environment:
    present = {name: value for name, value in zip(_ENV_NAMES, values, strict=True) if value}
    return parse(Environment, present)
