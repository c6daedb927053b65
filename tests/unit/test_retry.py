from __future__ import annotations

import random
from datetime import datetime, timezone

from portone_provider.client.retry import RetryPolicy, parse_retry_after


def test_delay_grows_and_caps():
    policy = RetryPolicy(max_retries=10, backoff=1.0, max_backoff=4.0, rng=random.Random(1))
    delays = [policy.delay(attempt) for attempt in range(6)]
    assert 0.5 <= delays[0] <= 1.0
    assert 1.0 <= delays[1] <= 2.0
    assert all(2.0 <= delay <= 4.0 for delay in delays[3:])


def test_delay_stops_after_max_retries():
    policy = RetryPolicy(max_retries=2)
    assert policy.delay(1) is not None
    assert policy.delay(2) is None


def test_retry_after_is_honoured():
    policy = RetryPolicy(max_retries=3, backoff=0.01)
    assert policy.delay(0, retry_after=2.5) == 2.5


def test_long_retry_after_gives_up():
    policy = RetryPolicy(max_retries=3, max_retry_after=30)
    assert policy.delay(0, retry_after=120) is None


def test_parse_retry_after_seconds():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-4") == 0.0


def test_parse_retry_after_http_date():
    now = datetime(2026, 12, 4, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("Fri, 04 Dec 2026 12:00:07 GMT", now=now) == 7.0


def test_parse_retry_after_garbage():
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
