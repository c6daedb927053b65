"""Time windows for PortOne list calls.

PortOne's ``from`` and ``to`` are whole UNIX seconds and both inclusive, and one
query may span at most 90 days. The provider works with half-open windows
``[since, until)`` instead, so that adjacent windows (one day's export and the
next) neither overlap nor leave a gap. A half-open window maps to the inclusive
range ``from = ceil(since)``, ``to = ceil(until) - 1``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime

from portone_provider.client.validation import require_aware
from portone_provider.exceptions import PortOneValidationError

#: Maximum span of one list query, in seconds: ``to - from`` may not exceed 90 days.
MAX_QUERY_SPAN = 90 * 86400


def to_inclusive_seconds(since: datetime, until: datetime) -> tuple[int, int] | None:
    """Map the half-open window ``[since, until)`` to PortOne's inclusive ``(from, to)``.

    Returns ``None`` for a window that contains no whole second.
    """
    since = require_aware("since", since)
    until = require_aware("until", until)
    if until < since:
        raise PortOneValidationError(
            f"Invalid window: until {until.isoformat()} is before since {since.isoformat()}. "
            "Swap the two values."
        )

    first = math.ceil(since.timestamp())
    last = math.ceil(until.timestamp()) - 1
    if last < first:
        return None
    return first, last


def split_seconds(first: int, last: int, max_span: int = MAX_QUERY_SPAN) -> Iterator[tuple[int, int]]:
    """Split the inclusive range ``[first, last]`` into inclusive chunks PortOne accepts."""
    start = first
    while start <= last:
        end = min(start + max_span - 1, last)
        yield start, end
        start = end + 1
