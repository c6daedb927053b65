from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pendulum
import pytest

from portone_provider.client.windows import MAX_QUERY_SPAN, split_seconds, to_inclusive_seconds
from portone_provider.exceptions import PortOneValidationError

KST = "Asia/Seoul"


def test_adjacent_days_share_no_second():
    day1 = pendulum.datetime(2026, 11, 1, tz=KST)
    day2 = day1.add(days=1)
    day3 = day2.add(days=1)

    first = to_inclusive_seconds(day1, day2)
    second = to_inclusive_seconds(day2, day3)

    assert first[1] + 1 == second[0]
    assert second[0] == int(day2.timestamp())


def test_fractional_bounds_round_up():
    since = datetime(2026, 11, 1, 0, 0, 0, 500000, tzinfo=timezone.utc)
    until = datetime(2026, 11, 1, 0, 0, 10, 250000, tzinfo=timezone.utc)
    first, last = to_inclusive_seconds(since, until)
    assert first == int(since.timestamp()) + 1
    assert last == int(until.timestamp())


def test_empty_window_has_no_seconds():
    moment = pendulum.datetime(2026, 11, 1, tz=KST)
    assert to_inclusive_seconds(moment, moment) is None


def test_end_before_start_rejected():
    moment = pendulum.datetime(2026, 11, 1, tz=KST)
    with pytest.raises(PortOneValidationError, match="before since"):
        to_inclusive_seconds(moment, moment.subtract(seconds=1))


def test_naive_bound_rejected():
    with pytest.raises(PortOneValidationError, match="time zone"):
        to_inclusive_seconds(datetime(2026, 11, 1), datetime(2026, 11, 2, tzinfo=timezone.utc))


def test_split_covers_range_without_overlap():
    first = 1_700_000_000
    last = first + 200 * 86400
    chunks = list(split_seconds(first, last))

    assert chunks[0][0] == first
    assert chunks[-1][1] == last
    for (_, end), (start, _) in zip(chunks, chunks[1:]):
        assert start == end + 1
    for start, end in chunks:
        assert end - start < MAX_QUERY_SPAN


def test_split_short_range_is_one_chunk():
    assert list(split_seconds(10, 20)) == [(10, 20)]


def test_split_exact_span():
    chunks = list(split_seconds(0, MAX_QUERY_SPAN - 1))
    assert chunks == [(0, MAX_QUERY_SPAN - 1)]
    assert len(list(split_seconds(0, MAX_QUERY_SPAN))) == 2


def test_window_in_other_zone_same_seconds():
    kst = pendulum.datetime(2026, 11, 1, tz=KST)
    utc = kst.in_timezone("UTC")
    assert to_inclusive_seconds(kst, kst + timedelta(days=1)) == to_inclusive_seconds(utc, utc + timedelta(days=1))
