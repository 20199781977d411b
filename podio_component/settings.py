"""Settings: the process environment (read once) and a credential's retry fields."""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from podio_component.errors import InputError
from podio_component.redaction import register_secret
from podio_component.validation import given_text, parse, whole_number

DEFAULT_API_URL = "https://api.podio.com"
DEFAULT_RETRIES = 5
DEFAULT_RETRIES_DELAY_MS = 10_000
MAX_RETRIES = 10
MAX_RETRIES_DELAY_MS = 300_000

_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def seconds(field: str, value: object, lowest: float, highest: float) -> float:
    """A number of seconds given as decimal digits, within bounds."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        number = float(value)
        if lowest <= number <= highest:
            return number
    raise InputError(field, f"expected a number of seconds from {lowest:g} to {highest:g}", value)


class RetrySettings(BaseModel):
    """The credential's `retries` and `retriesDelay` fields; blank means the default."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    retries: int = DEFAULT_RETRIES
    retries_delay_ms: int = Field(DEFAULT_RETRIES_DELAY_MS, alias="retriesDelay")

    @field_validator("retries", mode="before")
    @classmethod
    def _retries(cls, value: object) -> int:
        value = given_text(value)
        if value is None:
            return DEFAULT_RETRIES
        return whole_number("retries", value, 0, MAX_RETRIES)

    @field_validator("retries_delay_ms", mode="before")
    @classmethod
    def _delay(cls, value: object) -> int:
        value = given_text(value)
        if value is None:
            return DEFAULT_RETRIES_DELAY_MS
        return whole_number("retriesDelay", value, 0, MAX_RETRIES_DELAY_MS)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_base_url(field: str, value: str) -> str:
    """An absolute https URL (http only for loopback), without credentials, query or fragment."""
    parts = urlsplit(value.strip())
    host = parts.hostname or ""
    if parts.username or parts.password:  # not echoed: the URL holds a password
        raise InputError(field, "expected a base URL without credentials in it")
    if parts.scheme not in ("https", "http") or not host:
        raise InputError(
            field, "expected an absolute http(s) URL such as https://api.podio.com", value
        )
    if parts.scheme == "http" and not is_loopback(host):
        raise InputError(field, "plain http is allowed only for loopback hosts; use https", value)
    if parts.query or parts.fragment:
        raise InputError(field, "expected a base URL without a query or fragment", value)
    return value.strip().rstrip("/")


# field: (variable, lowest, highest)
_SECONDS = {
    "connect_timeout": ("PODIO_CONNECT_TIMEOUT", 0.001, 300),
    "read_timeout": ("PODIO_READ_TIMEOUT", 0.001, 3600),
    "max_retry_wait": ("PODIO_MAX_RETRY_WAIT", 0, 3600),
    "deadline": ("PODIO_DEADLINE", 0.001, 3600),
    "verify_deadline": ("PODIO_VERIFY_DEADLINE", 0.001, 3600),
    "refresh_margin": ("PODIO_REFRESH_MARGIN", 0, 86_400),
}
DEFAULT_AUTHORIZE_URL = "https://podio.com/oauth/authorize"


class Environment(BaseModel):
    """Process-wide settings from environment variables."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    api_url: str = Field(DEFAULT_API_URL, alias="PODIO_API_URL")
    connect_timeout: float = Field(10.0, alias="PODIO_CONNECT_TIMEOUT")
    read_timeout: float = Field(60.0, alias="PODIO_READ_TIMEOUT")
    max_retry_wait: float = Field(60.0, alias="PODIO_MAX_RETRY_WAIT")
    deadline: float = Field(300.0, alias="PODIO_DEADLINE")
    # Verification is interactive: the platform UI waits on it.
    verify_deadline: float = Field(20.0, alias="PODIO_VERIFY_DEADLINE")
    max_output_bytes: int = Field(10 * 1024 * 1024, alias="PODIO_MAX_OUTPUT_BYTES")
    # a binary answer larger than this goes to the platform's attachments, not into a message
    max_inline_file: int = Field(1024 * 1024, alias="PODIO_MAX_INLINE_FILE")
    refresh_margin: float = Field(300.0, alias="PODIO_REFRESH_MARGIN")
    authorize_url: str = Field(DEFAULT_AUTHORIZE_URL, alias="PODIO_AUTHORIZE_URL")
    client_id: str | None = Field(None, alias="PODIO_CLIENT_ID")
    client_secret: str | None = Field(None, alias="PODIO_CLIENT_SECRET", repr=False)
    credentials_dir: str | None = Field(None, alias="PODIO_CREDENTIALS_DIR")
    platform_api_uri: str | None = Field(None, alias="ELASTICIO_API_URI")
    platform_username: str | None = Field(None, alias="ELASTICIO_API_USERNAME")
    platform_api_key: str | None = Field(None, alias="ELASTICIO_API_KEY", repr=False)
    workspace_id: str | None = Field(None, alias="ELASTICIO_WORKSPACE_ID")
    flow_type: str | None = Field(None, alias="ELASTICIO_FLOW_TYPE")  # "debug": Retrieve Sample
    flow_id: str | None = Field(None, alias="ELASTICIO_FLOW_ID")
    flow_webhook_uri: str | None = Field(None, alias="ELASTICIO_FLOW_WEBHOOK_URI")
    # the key instant triggers derive their hook secret from (default ELASTICIO_API_KEY)
    hook_key: str | None = Field(None, alias="PODIO_HOOK_KEY", repr=False)
    storage_uri: str | None = Field(None, alias="ELASTICIO_OBJECT_STORAGE_URI")
    storage_token: str | None = Field(None, alias="ELASTICIO_OBJECT_STORAGE_TOKEN", repr=False)

    @field_validator("api_url", mode="before")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return checked_base_url("PODIO_API_URL", value)

    @field_validator("authorize_url", mode="before")
    @classmethod
    def _authorize_url(cls, value: str) -> str:
        return checked_base_url("PODIO_AUTHORIZE_URL", value)

    @field_validator(*_SECONDS, mode="before")
    @classmethod
    def _seconds(cls, value: object, info: ValidationInfo) -> float:
        name, lowest, highest = _SECONDS[str(info.field_name)]
        return seconds(name, value, lowest, highest)

    @field_validator("max_output_bytes", mode="before")
    @classmethod
    def _max_output_bytes(cls, value: object) -> int:
        return whole_number("PODIO_MAX_OUTPUT_BYTES", value, 1024, 2**40)

    @field_validator("max_inline_file", mode="before")
    @classmethod
    def _max_inline_file(cls, value: object) -> int:
        return whole_number("PODIO_MAX_INLINE_FILE", value, 0, 10 * 1024 * 1024)

    @field_validator("platform_api_uri", "storage_uri")
    @classmethod
    def _platform_uri(cls, value: str | None) -> str | None:
        return value.strip().rstrip("/") if value else None

    @field_validator("platform_api_key", "client_secret", "hook_key", "storage_token")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        register_secret(value)
        return value


ENVIRONMENT_NAMES = tuple(field.alias for field in Environment.model_fields.values() if field.alias)


@functools.cache
def environment() -> Environment:
    """The process environment's settings, read and validated on first use.

    Like the platform's own runtimes, the component reads its environment once per process;
    a host that changes the variables afterwards calls `reload_environment()`.
    """
    values: dict[str, Any] = {
        name: os.environ[name] for name in ENVIRONMENT_NAMES if os.environ.get(name)
    }
    return parse(Environment, values)


def reload_environment() -> Environment:
    """Read the environment variables again (and fail here if one is invalid)."""
    environment.cache_clear()
    return environment()
