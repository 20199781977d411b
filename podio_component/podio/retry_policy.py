"""The retry policy: one immutable value that drives the attempts of one logical request.

It answers every retry question in one place: may this outcome be retried (method, status
or exception, the wait Podio asked for), how long to wait, when to stop (attempts used up,
or the message's deadline), when a retried DELETE that finds the object gone counts as
done, and whether a failed request may safely be tried again later because Podio cannot
have acted on it. `run` is the one loop that drives the attempts, written out in order:
attempt, decide, wait.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Mapping
from typing import NamedTuple

import requests

from podio_component.context import Context, WaitAbandoned
from podio_component.deadline import Deadline
from podio_component.errors import readable_seconds
from podio_component.http import never_sent
from podio_component.redaction import logger

log = logger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})
RATE_LIMIT_STATUSES = frozenset({420, 429})  # 420 is Podio's own rate-limit status
GONE_STATUSES = frozenset({404, 410})

_WAIT_HINT = re.compile(r"wait\s+(\d+)\s+seconds?", re.IGNORECASE)


class CoolingDown(Exception):
    """Not sent: Podio rate-limited this credential and it is still cooling down."""

    def __init__(self, remaining: float) -> None:
        super().__init__(f"the credential cools down for {remaining:.3g} s more")
        self.remaining = remaining


def rate_limit_wait(status: int, headers: Mapping[str, str], body: str) -> float | None:
    """Seconds Podio asked us to wait, from Retry-After or the 420 body; None when not said.

    `headers` must answer lower-case names (a requests CaseInsensitiveDict, or lower-cased keys).
    """
    if status not in RATE_LIMIT_STATUSES:
        return None
    retry_after = headers.get("retry-after")
    if retry_after:
        seconds = _parse_retry_after(retry_after.strip())
        if seconds is not None:
            return seconds
    if status == 420:
        match = _WAIT_HINT.search(body[:2000])
        if match:
            return float(match.group(1))
    return None


def _parse_retry_after(value: str) -> float | None:
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Answer(NamedTuple):
    """One HTTP answer, with the whole body and Podio's wait hint parsed once."""

    response: requests.Response
    content: bytes
    wait_hint: float | None

    @classmethod
    def of(cls, response: requests.Response, content: bytes) -> Answer:
        hint = None
        if response.status_code in RATE_LIMIT_STATUSES:
            text = content[:2000].decode("utf-8", "replace")
            hint = rate_limit_wait(response.status_code, response.headers, text)
        return cls(response, content, hint)

    @property
    def status(self) -> int:
        return self.response.status_code


Outcome = Answer | BaseException


class Attempts:
    """The progress of one logical request: what was sent and what came of it."""

    __slots__ = (
        "abandoned",
        "cut_by_deadline",
        "deadline",
        "method",
        "path",
        "read",
        "sent",
        "unanswered",
    )

    def __init__(self, method: str, path: str, deadline: Deadline, read: bool = False) -> None:
        self.method = method
        self.path = path
        self.deadline = deadline
        self.read = read  # a POST that changes nothing (the filter): retried as a GET is
        self.sent = 0  # HTTP requests sent, a replay after a 401 included
        self.unanswered = False  # an attempt may have reached Podio but got no answer
        self.cut_by_deadline = False  # stopped: the next wait would pass the deadline
        self.abandoned = False  # stopped: the host shut down during a wait


class RetryPolicy(NamedTuple):
    retries: int  # retries after the first attempt
    delay: float  # seconds between attempts when Podio gives no hint
    max_wait: float  # the longest wait hint sat out in the process

    # ---- decisions ---------------------------------------------------------------------

    def retryable(self, method: str, outcome: Outcome, *, read: bool = False) -> bool:
        """Retry rate limits (Podio did not act) unless the wait is too long; 5xx and
        network errors only for idempotent methods and reads (a POST that changes nothing,
        such as the filter); any other POST only if it was never sent."""
        safe = read or method in IDEMPOTENT_METHODS
        if isinstance(outcome, Answer):
            if outcome.status in RATE_LIMIT_STATUSES:
                return outcome.wait_hint is None or outcome.wait_hint <= self.max_wait
            return outcome.status >= 500 and safe
        if isinstance(outcome, CoolingDown):
            return outcome.remaining <= self.max_wait
        if isinstance(outcome, requests.exceptions.InvalidURL | requests.exceptions.InvalidHeader):
            return False
        if isinstance(outcome, requests.RequestException):
            return safe or never_sent(outcome)
        return False  # our own errors (a refused refresh, a bug) are never retried

    def wait(self, outcome: Outcome) -> float:
        """Podio's own wait hint wins over the configured delay."""
        if isinstance(outcome, Answer) and outcome.wait_hint is not None:
            return outcome.wait_hint
        if isinstance(outcome, CoolingDown):
            return outcome.remaining
        return self.delay

    @staticmethod
    def counts_as_done(method: str, status: int, attempts: Attempts) -> bool:
        """A retried DELETE that finds the object gone is done, but only when an earlier
        attempt got no answer: that attempt may have deleted it. After a 420, 429 or 5xx
        answer Podio did not delete anything, so a 404 that follows is a real one."""
        return method == "DELETE" and status in GONE_STATUSES and attempts.unanswered

    @staticmethod
    def retry_later(outcome: Outcome) -> bool:
        """Whether the request may safely be tried again later: Podio cannot have acted."""
        if isinstance(outcome, Answer):
            return outcome.status in RATE_LIMIT_STATUSES
        return isinstance(outcome, CoolingDown) or never_sent(outcome)

    @staticmethod
    def may_have_acted(outcome: Outcome) -> bool:
        """Whether Podio may have carried out a request that failed: it answered with a 5xx,
        or it was sent and no answer came. A 4xx, a rate limit or a request never sent left
        nothing done."""
        if isinstance(outcome, Answer):
            return outcome.status >= 500
        return isinstance(outcome, requests.RequestException) and not never_sent(outcome)

    def why_not_replayed(self, method: str, outcome: Outcome, *, read: bool = False) -> str:
        """The write-safety rule in words, when it is what stopped the retries."""
        if read or method in IDEMPOTENT_METHODS or not self.may_have_acted(outcome):
            return ""
        return f"; a {method} is not replayed once it may have reached Podio"

    def budget(self, deadline: Deadline, host: Context) -> RetryBudget:
        """The budget of an operation retried as a whole (see RetryBudget)."""
        return RetryBudget(self.retries, self.delay, deadline, host)

    # ---- driving the attempts ----------------------------------------------------------

    def run(self, attempt: Callable[[], Answer], attempts: Attempts, host: Context) -> Outcome:
        """Call attempt() until its outcome is final and return that outcome: an answer, or
        the exception of an attempt that got none. Other exceptions (a refused refresh, a
        bug) end the loop as they are. The waits go through host.pause."""
        retry = 0
        while True:
            try:
                outcome: Outcome = attempt()
            except (requests.RequestException, CoolingDown) as exc:
                outcome = exc
            if isinstance(outcome, requests.RequestException) and not never_sent(outcome):
                attempts.unanswered = True
            if retry >= self.retries or not self.retryable(
                attempts.method, outcome, read=attempts.read
            ):
                return outcome
            seconds = self.wait(outcome)
            if attempts.deadline.remaining() <= seconds:
                attempts.cut_by_deadline = True
                return outcome
            retry += 1
            self._log_retry(attempts, outcome, seconds, retry)
            try:
                host.pause(seconds, self.retry_later(outcome))
            except WaitAbandoned:
                attempts.abandoned = True
                return outcome

    def _log_retry(self, attempts: Attempts, outcome: Outcome, seconds: float, retry: int) -> None:
        what = f"HTTP {outcome.status}" if isinstance(outcome, Answer) else type(outcome).__name__
        log.info(
            "%s %s got %s; retrying in %s (retry %d of %d)",
            attempts.method,
            attempts.path,
            what,
            readable_seconds(seconds),
            retry,
            self.retries,
        )


class RetryBudget:
    """What an operation that is retried as a whole may spend: the retries left, the delay
    between tries, and the message's deadline. A create that failed ambiguously spends it
    to look again before it creates again (items.writes.create_once)."""

    def __init__(self, retries: int, delay: float, deadline: Deadline, host: Context) -> None:
        self.retries_left = retries
        self.delay = delay
        self.deadline = deadline
        self.host = host

    def next_wait(self) -> float:
        """The delay, cut to leave a second of the deadline."""
        return min(self.delay, max(0.0, self.deadline.remaining() - 1))

    def pause(self, seconds: float) -> None:
        self.host.pause(seconds, False)  # not abandoned: Podio may still be applying a write

    def spend(self) -> bool:
        """Take one retry; False when none is left."""
        if self.retries_left == 0:
            return False
        self.retries_left -= 1
        return True
