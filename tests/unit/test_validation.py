from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pendulum
import pytest

from portone_provider.client.validation import (
    require_amount,
    require_aware,
    require_choice,
    require_id,
    require_ids,
    require_page_size,
)
from portone_provider.exceptions import PortOneValidationError


@pytest.mark.parametrize("value", ["", "   ", None, 123, b"imp_1"])
def test_require_id_rejects(value):
    with pytest.raises(PortOneValidationError, match="imp_uid"):
        require_id("imp_uid", value)


def test_require_id_rejects_path_characters():
    with pytest.raises(PortOneValidationError, match="must not contain"):
        require_id("imp_uid", "imp_1/../cancel")


def test_require_id_strips_spaces():
    assert require_id("merchant_uid", " order_1 ") == "order_1"


def test_require_ids_rejects_lone_string():
    with pytest.raises(PortOneValidationError, match=r"Wrap a single id in a list"):
        require_ids("imp_uids", "imp_123")


def test_require_ids_names_bad_index():
    with pytest.raises(PortOneValidationError, match=r"imp_uids\[1\]"):
        require_ids("imp_uids", ["imp_1", ""])


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1000, Decimal(1000)), (12.34, Decimal("12.34")), ("5000", Decimal(5000)), (Decimal("0.1"), Decimal("0.1"))],
)
def test_require_amount_accepts(value, expected):
    assert require_amount("amount", value) == expected


@pytest.mark.parametrize("value", [-1, 0, "abc", None, True, float("nan"), float("inf"), [100], "NaN"])
def test_require_amount_rejects(value):
    with pytest.raises(PortOneValidationError, match="amount"):
        require_amount("amount", value)


def test_require_amount_allows_zero_when_asked():
    assert require_amount("checksum", 0, allow_zero=True) == 0


def test_require_choice_lists_choices():
    with pytest.raises(PortOneValidationError, match="expected one of all, ready, paid"):
        require_choice("status", "refunded", ("all", "ready", "paid"))


@pytest.mark.parametrize("value", [0, 1001, -5, 10.5, "100", True])
def test_require_page_size_rejects(value):
    with pytest.raises(PortOneValidationError, match="page_size"):
        require_page_size(value)


def test_require_page_size_accepts_bounds():
    assert require_page_size(1) == 1
    assert require_page_size(1000) == 1000


def test_require_aware_rejects_naive_datetime():
    with pytest.raises(PortOneValidationError, match="no time zone"):
        require_aware("since", datetime(2026, 11, 1))


def test_require_aware_rejects_naive_string():
    with pytest.raises(PortOneValidationError, match="no time zone"):
        require_aware("since", "2026-11-01T00:00:00")


def test_require_aware_rejects_garbage_string():
    with pytest.raises(PortOneValidationError, match="ISO 8601"):
        require_aware("until", "yesterday")


def test_require_aware_accepts_pendulum_and_offsets():
    kst = pendulum.datetime(2026, 11, 1, tz="Asia/Seoul")
    assert require_aware("since", kst) == kst
    parsed = require_aware("since", "2026-11-01T00:00:00+09:00")
    assert parsed == datetime(2026, 10, 31, 15, tzinfo=timezone.utc)
