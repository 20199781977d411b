"""One way to retry a small platform call (a Secrets API read, the step or accounts API, a
service result): no answer or a 5xx is tried again a few times, quickly, within a deadline
when there is one. Each caller keeps its own numbers. Free of requests, so the runtime's
platform client can use it without importing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential

from podio_component.deadline import Deadline
from podio_component.errors import PodioComponentError

T = TypeVar("T")


class Transient(PodioComponentError):
    """No answer, or a 5xx: worth another quick try."""


class QuickRetry(NamedTuple):
    attempts: int  # in all, the first included
    first_wait: float  # seconds before the second attempt; the wait doubles up to max_wait
    max_wait: float

    def call(
        self,
        function: Callable[[], T],
        *,
        deadline: Deadline | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> T:
        """function() until it returns or raises anything but Transient. When the attempts
        run out, or the next wait would pass the deadline, the last Transient is raised."""
        cut_by_deadline = False

        def stop(state: RetryCallState) -> bool:
            nonlocal cut_by_deadline
            if state.attempt_number >= self.attempts:
                return True
            cut_by_deadline = deadline is not None and deadline.remaining() <= state.upcoming_sleep
            return cut_by_deadline

        retrying = Retrying(
            stop=stop,
            wait=wait_exponential(multiplier=self.first_wait, max=self.max_wait),
            retry=retry_if_exception_type(Transient),
            sleep=sleep,
            reraise=True,
        )
        try:
            return retrying(function)
        except Transient as exc:
            if cut_by_deadline:
                raise Transient(f"{exc.message} (stopped retrying: the deadline is near)") from None
            raise
