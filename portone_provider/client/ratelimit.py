"""Client-side rate limit for PortOne's non-authenticated (billing-key) payment calls.

PortOne recommends sending at most 50 non-authenticated payment requests a second
(``/subscribe/payments/again``, ``/onetime`` and ``/schedule``). One token bucket per
client instance, shared by its threads, keeps a client under that ceiling.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from portone_provider.exceptions import PortOneConfigurationError

log = logging.getLogger(__name__)

#: PortOne's recommended ceiling for non-authenticated payment calls, per second.
PAYMENT_CALLS_PER_SECOND = 50.0


class TokenBucket:
    """A thread-safe token bucket: ``rate`` tokens a second, at most ``capacity`` saved up.

    :meth:`acquire` takes one token, sleeping until it is available. A caller that has
    to wait reserves its token first (the balance goes below zero) and sleeps outside
    the lock, so concurrent callers queue in arrival order and none is starved.

    :param rate: tokens added per second.
    :param capacity: largest burst; defaults to ``rate`` (one second's worth).
    :param clock: monotonic clock in seconds.
    :param sleep: function that waits the given seconds.
    """

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
            raise PortOneConfigurationError(
                f"Invalid rate {rate!r}: expected calls per second greater than zero, "
                f"for example {PAYMENT_CALLS_PER_SECOND:g}."
            )
        capacity = rate if capacity is None else capacity
        if isinstance(capacity, bool) or not isinstance(capacity, (int, float)) or not capacity >= 1:
            raise PortOneConfigurationError(f"Invalid capacity {capacity!r}: expected a number of 1 or more.")

        self.rate = float(rate)
        self.capacity = float(capacity)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._updated = clock()

    def acquire(self) -> float:
        """Take one token, sleeping until it is available, and return the seconds waited."""
        with self._lock:
            now = self._clock()
            elapsed = max(now - self._updated, 0.0)
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._updated = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0

        if wait > 0:
            log.debug("PortOne payment rate limit reached; waiting %.3f s", wait)
            self._sleep(wait)
        return wait


class PaymentRateLimitMixin:
    """Waits for the client's payment token bucket before billing-key payments and schedules.

    The bucket is ``payment_rate_limiter``, made by
    :class:`~portone_provider.client.base.BaseClient` from its ``payment_rate_limit``.
    """

    payment_rate_limiter: TokenBucket | None

    def _wait_for_payment_slot(self) -> None:
        limiter = self.payment_rate_limiter
        if limiter is not None:
            limiter.acquire()
