"""Bounded retries with exponential backoff and jitter, for calls that may meet transient faults."""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # the first try included; 1 = no retry
    base_delay_s: float = 0.2  # before the first retry; doubles each retry
    max_delay_s: float = 5.0
    sleep: Callable[[float], None] = time.sleep  # tests record the delays through it

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError(f"invalid retry policy: {self}")

    def delay(self, retry: int) -> float:
        """Seconds before retry number `retry` (0-based): between half and all of the capped backoff.

        Half fixed so the backoff really grows; half random so clients that failed together do not
        come back together.
        """
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** retry)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def call_with_retries(fn: Callable[[], T], policy: RetryPolicy, is_transient: Callable[[BaseException], bool],
                      what: str) -> T:
    """fn(), retried on transient faults; the last fault (or the first permanent one) is raised."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt == policy.attempts or not is_transient(exc):
                raise
            delay = policy.delay(attempt - 1)
            log.warning("%s failed (%s: %s); retry %d of %d in %.2fs", what, type(exc).__name__, exc, attempt,
                        policy.attempts - 1, delay)
            policy.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")
