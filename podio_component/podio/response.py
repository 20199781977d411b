"""The final Podio response of one logical request, and the error it stands for."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from contextlib import suppress
from functools import lru_cache
from typing import Any, NamedTuple

from podio_component.errors import PodioHTTPError
from podio_component.podio.retry_policy import Answer

Headers = dict[str, str | list[str]]


def lowercased_headers(answer: Answer) -> Headers:
    """Response headers with lower-cased names. A repeated header keeps every value, joined
    with ", " as HTTP allows, except Set-Cookie, which stays a list (as Node.js does)."""
    raw = getattr(answer.response.raw, "headers", None)
    if raw is None or not hasattr(raw, "getlist"):
        return {name.lower(): value for name, value in answer.response.headers.items()}
    headers: Headers = {}
    for name in raw:
        values = raw.getlist(name)
        key = name.lower()
        headers[key] = list(values) if key == "set-cookie" else ", ".join(values)
    return headers


class PodioResponse(NamedTuple):
    method: str
    path: str
    status: int
    headers: Headers  # names lower-cased
    content: bytes
    attempts: int  # HTTP requests sent, a replay after a 401 included
    wait_hint: float | None = None

    @classmethod
    def of(cls, method: str, path: str, answer: Answer, attempts: int) -> PodioResponse:
        return cls(
            method,
            path,
            answer.status,
            lowercased_headers(answer),
            answer.content,
            attempts,
            answer.wait_hint,
        )

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return ", ".join(value) if isinstance(value, list) else value

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        return declared_charset(self.header("content-type") or "")

    def text(self) -> str:
        return self.content.decode(self.charset or "utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON, in its declared charset; ValueError if it is not JSON."""
        charset = self.charset
        if charset is None or charset == "utf-8":
            return json.loads(self.content)  # also detects UTF-16/32 by the byte order
        return json.loads(self.content.decode(charset))

    def error(
        self, note: str = "", *, retry_later: bool = False, may_have_acted: bool = False
    ) -> PodioHTTPError:
        """The error this response stands for, with Podio's envelope fields."""
        envelope: Any = {}
        with suppress(ValueError, UnicodeDecodeError, RecursionError):
            envelope = self.json()
        if not isinstance(envelope, Mapping):
            envelope = {}
        return PodioHTTPError(
            self.method,
            self.path,
            self.attempts,
            self.status,
            error=_short(envelope.get("error")),
            description=_short(envelope.get("error_description")),
            request_id=_short(self.header("x-podio-request-id")),
            retry_after=self.wait_hint,
            note=note,
            retry_later=retry_later,
            may_have_acted=may_have_acted,
            error_detail=_short(envelope.get("error_detail")),
            error_parameters=_parameters(envelope.get("error_parameters")),
        )


def _parameters(given: object) -> dict[str, object]:
    """Podio's error_parameters, its texts and lists of texts kept short."""
    if not isinstance(given, Mapping):
        return {}
    kept: dict[str, object] = {}
    for key, value in list(given.items())[:10]:
        if isinstance(value, list):
            kept[str(key)] = [_short(v) for v in value[:20]]
        elif isinstance(value, int | str):
            kept[str(key)] = _short(value) if isinstance(value, str) else value
    return kept


@lru_cache(maxsize=64)
def declared_charset(content_type: str) -> str | None:
    """The charset a Content-Type declares, when Python knows it."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            with suppress(LookupError):
                return codecs.lookup(value.strip(' "')).name
    return None


def _short(value: object) -> str | None:
    return str(value)[:300] if value not in (None, "") else None
