"""One exception family for the component; every message is redacted of registered secrets."""

from __future__ import annotations

from podio_component.redaction import redact

_UNSHOWN = object()
_SHOWN_LENGTH = 60


class PodioComponentError(Exception):
    """Base of every error the component raises; the message is always redacted.

    `retry_later` is True when the same message may safely be tried again later, because
    Podio cannot have acted on it (rate limited, or never reached). The platform runtime
    rebounds such a message instead of failing it.
    """

    retry_later = False
    may_have_acted = False  # a failed Podio request that Podio may have carried out

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        return str(self.args[0])


class UsageError(PodioComponentError):
    """The command line or the descriptor was used wrongly (exit code 2)."""


def shown(value: object) -> str:
    """A short, printable rendering of a value a person gave, for an error message."""
    text = repr(value)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


class InputError(PodioComponentError):
    """A message body, cfg or setting is invalid; nothing was sent.

    `given` is echoed in the message; leave it out for anything that can hold a secret.
    """

    def __init__(self, field: str, problem: str, given: object = _UNSHOWN) -> None:
        self.field = field
        got = "" if given is _UNSHOWN else f"got {shown(given)}; "
        super().__init__(f"Invalid {field}: {got}{problem}")


class CredentialsError(PodioComponentError):
    """The credential could not be resolved, read or refreshed."""

    def __init__(self, message: str, *, retry_later: bool = False) -> None:
        super().__init__(message)
        self.retry_later = retry_later


class ReauthenticateError(CredentialsError):
    """Podio keeps rejecting the token: a person must re-authenticate the credential."""


def readable_seconds(seconds: float) -> str:
    """A wait a person can read: '7 s', '3,600 s', '12 days', 'more than 10,000 days'."""
    if seconds < 100:
        return f"{seconds:.3g} s"
    if seconds < 2 * 86_400:
        return f"{seconds:,.0f} s"
    days = seconds / 86_400
    return f"{days:,.0f} days" if days <= 10_000 else "more than 10,000 days"


class PodioRequestError(PodioComponentError):
    """A Podio request failed after all the attempts it was allowed. `may_have_acted` is the
    retry policy's verdict: Podio may have carried it out all the same (a 5xx, or sent and
    no answer)."""

    def __init__(
        self,
        method: str,
        path: str,
        attempts: int,
        detail: str,
        *,
        retry_later: bool = False,
        may_have_acted: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.attempts = attempts
        self.retry_later = retry_later
        self.may_have_acted = may_have_acted
        plural = "attempt" if attempts == 1 else "attempts"
        super().__init__(f"{method} {path} failed after {attempts} {plural}: {detail}")


class PodioHTTPError(PodioRequestError):
    """Podio answered with a non-2xx status."""

    def __init__(
        self,
        method: str,
        path: str,
        attempts: int,
        status: int,
        *,
        error: str | None = None,
        description: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        note: str = "",
        retry_later: bool = False,
        may_have_acted: bool = False,
        error_detail: str | None = None,
        error_parameters: dict[str, object] | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.error_detail = error_detail  # Podio's sub-code, such as alert.no_access.invite
        self.error_parameters = error_parameters or {}
        self.description = description
        self.request_id = request_id
        self.retry_after = retry_after
        parts = [f"HTTP {status}"]
        if error:
            parts.append(f"error={error}")
        if error_detail:
            parts.append(f"error_detail={error_detail}")
        if description:
            parts.append(f"error_description={description!r}")
        if request_id:
            parts.append(f"x-podio-request-id={request_id}")
        detail = ", ".join(parts)
        if retry_after is not None:
            detail = f"rate limited, retry after {readable_seconds(retry_after)} ({detail})"
        super().__init__(
            method,
            path,
            attempts,
            detail + note,
            retry_later=retry_later,
            may_have_acted=may_have_acted,
        )


class PodioTransportError(PodioRequestError):
    """No usable HTTP response: connection refused or dropped, timeout, unreadable body."""


class CooldownError(PodioRequestError):
    """Not sent: Podio rate-limited this credential and it is still cooling down. Always safe
    to try again later."""


class OutputTooLargeError(PodioComponentError):
    """The response would make an output message larger than the platform accepts."""
