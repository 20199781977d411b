"""What a service container posts: its result, to ELASTICIO_POST_RESULT_URL, as the Node.js
runtime posts it (basic auth may be embedded in the URL)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import requests

from podio_component.deadline import Deadline
from podio_component.errors import PodioComponentError
from podio_component.http import Timeouts, new_session, send
from podio_component.quick_retry import QuickRetry, Transient
from podio_component.redaction import register_secret


class ResultNotPosted(PodioComponentError):
    """The platform did not take the result."""


def post_result(url: str, result: dict[str, Any], attempts: int) -> None:
    """POST the result; no answer or a 5xx is tried again, up to `attempts` retries."""
    parts = urlsplit(url)
    session = new_session(url)
    if parts.username and parts.password:
        register_secret(parts.password)
        session.auth = (unquote(parts.username), unquote(parts.password))
        url = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))

    def once() -> None:
        try:
            response, _ = send(
                session, "POST", url, deadline=Deadline(60), timeouts=Timeouts(10, 30), json=result
            )
        except requests.RequestException as exc:
            raise Transient(f"could not post the result: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise Transient(f"could not post the result: HTTP {response.status_code}")
        if response.status_code != 200:
            raise ResultNotPosted(f"could not post the result: HTTP {response.status_code}")

    try:
        QuickRetry(attempts + 1, 0.1, 5).call(once)
    except Transient as exc:
        raise ResultNotPosted(exc.message) from None
