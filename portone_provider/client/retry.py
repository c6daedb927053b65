"""Retry policy for idempotent calls: capped exponential backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

#: HTTP statuses worth repeating an idempotent request for.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class RetryPolicy:
    """How often and how long to wait before repeating an idempotent request.

    :param max_retries: repeats after the first attempt (0 turns retries off).
    :param backoff: base delay in seconds; attempt ``n`` waits about ``backoff * 2**n``.
    :param max_backoff: cap on one computed delay, in seconds.
    :param max_retry_after: longest ``Retry-After`` honoured, in seconds. A longer
        one ends the retries and the error is raised, so a task never sleeps for minutes.
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Return the seconds to wait before retry number ``attempt`` (0-based), or ``None`` to stop."""
        if attempt >= self.max_retries:
            return None
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            return max(retry_after, 0.0)

        ceiling = min(self.max_backoff, self.backoff * (2**attempt))
        # Equal jitter: half fixed, half random, so clients that failed together spread out.
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header given as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max((when - current).total_seconds(), 0.0)
