"""Platform messages: reading an incoming body, building an output message from a response."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from typing import Any

from podio_component.errors import InputError, OutputTooLargeError, PodioTransportError
from podio_component.json_text import dumps
from podio_component.podio.response import PodioResponse

# One byte of a body, or one character of a header, is at most 6 bytes of JSON (\u00XX);
# below this bound the exact size need not be measured.
_JSON_GROWTH = 6
_HEADROOM = 64 * 1024


def message_body(msg: object) -> Mapping[str, Any]:
    """The body of an incoming message, or a clear error when the message has none."""
    if not isinstance(msg, Mapping):
        raise InputError("message", "expected an object with a 'body' object")
    body = msg.get("body")
    if not isinstance(body, Mapping):
        raise InputError("message.body", "expected an object")
    return body


def new_message(
    body: Mapping[str, Any], attachments: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "body": dict(body),
        "headers": {},
        "attachments": dict(attachments or {}),
    }


def response_message(response: PodioResponse, max_bytes: int) -> dict[str, Any]:
    """The output message for a Podio response: parsed JSON, text, or an attachment for bytes."""
    decoded, attachments = decode_body(response)
    body = {
        "statusCode": response.status,
        "headers": response.headers,
        "responseBody": decoded,
        "rateLimit": rate_limit(response),
        "attempts": response.attempts,
    }
    return checked_size(new_message(body, attachments), response, max_bytes)


def decode_body(response: PodioResponse) -> tuple[Any, dict[str, Any]]:
    """(responseBody, attachments): JSON parsed, text as text, bytes as a data: URL.

    An error answer labelled JSON that is not JSON (a proxy's HTML 502 page) is returned as
    text, since it is what Podio's side said; a 2xx that is not JSON is a transport error.
    """
    if not response.content:
        return None, {}  # an empty body (a 204) stays null
    if is_file(response):
        kind = response.media_type or "application/octet-stream"
        data = base64.b64encode(response.content).decode("ascii")
        attachment = {
            "url": f"data:{kind};base64,{data}",
            "size": len(response.content),
            "content-type": kind,
        }
        return None, {"response": attachment}
    if _is_json(response.media_type):
        try:
            return response.json(), {}
        except (ValueError, UnicodeDecodeError, RecursionError):
            if response.ok:
                raise PodioTransportError(
                    response.method,
                    response.path,
                    response.attempts,
                    f"HTTP {response.status} with a body that is not valid JSON",
                ) from None
    return response.text(), {}


def rate_limit(response: PodioResponse) -> dict[str, int | None]:
    """Podio's X-Rate-Limit-* headers as numbers, so a flow can throttle itself."""
    return {
        "limit": _int_or_none(response.header("x-rate-limit-limit")),
        "remaining": _int_or_none(response.header("x-rate-limit-remaining")),
    }


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def is_file(response: PodioResponse) -> bool:
    # File downloads may be labelled application/json yet are bytes; a filename marks them.
    if "filename" in (response.header("content-disposition") or ""):
        return True
    media_type = response.media_type
    return not (media_type.startswith("text/") or _is_json(media_type))


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def checked_size(
    message: dict[str, Any], response: PodioResponse, max_bytes: int
) -> dict[str, Any]:
    """message, or a clear error when its JSON (UTF-8, headers included) is too big."""
    header_chars = sum(len(name) + len(str(value)) for name, value in response.headers.items())
    if (len(response.content) + header_chars) * _JSON_GROWTH + _HEADROOM <= max_bytes:
        return message
    size = json_size(message)
    if size > max_bytes:
        raise OutputTooLargeError(
            f"the output message would be {size} bytes, more than the {max_bytes} bytes the "
            "platform accepts (PODIO_MAX_OUTPUT_BYTES); request less data, for example with "
            "limit/offset or fields="
        )
    return message


def json_size(message: Any) -> int:
    """Bytes of the message as UTF-8 JSON, non-ASCII text counted as it is encoded."""
    text = dumps(message, ensure_ascii=False)
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
