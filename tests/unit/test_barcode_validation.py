"""Checks of barcode issue arguments, run before any HTTP request."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pendulum
import pytest

from portone_provider.client.cvs import build_issue_body
from portone_provider.exceptions import PortOneValidationError

NOW = 1_793_500_000  # 2026-11-01 KST, a fixed "now" for the due-time checks
FUTURE = NOW + 3600


def body(**fields):
    return build_issue_body("order_1", 15000, now=NOW, **fields)


def test_minimal_body_sends_only_required_fields():
    assert body() == {"merchant_uid": "order_1", "amount": 15000}


def test_unset_optional_fields_are_left_out():
    result = body(name="유기농 현미 5kg", buyer_name=None, notice_url=None, custom_data=None, expired_at=None)
    assert result == {"merchant_uid": "order_1", "amount": 15000, "name": "유기농 현미 5kg"}


def test_every_field_is_sent():
    result = body(
        barcode="1234567890123456",
        expired_at=FUTURE,
        name="제주 감귤 3kg",
        buyer_name="김민준",
        buyer_email="buyer@example.com",
        buyer_tel="010-1234-5678",
        buyer_addr="서울특별시 강남구 테헤란로 1",
        buyer_postcode="06236",
        pg="galaxia.DEMO01",
        confirm_url="https://shop.example.com/confirm",
        notice_url=["https://shop.example.com/a", "http://127.0.0.1:9/b"],
        custom_data={"coupon": "WINTER10", "메모": "선물"},
    )
    assert result["barcode"] == "1234567890123456"
    assert result["expired_at"] == FUTURE
    assert result["buyer_postcode"] == "06236"
    assert result["pg"] == "galaxia.DEMO01"
    assert result["notice_url"] == ["https://shop.example.com/a", "http://127.0.0.1:9/b"]
    assert json.loads(result["custom_data"]) == {"coupon": "WINTER10", "메모": "선물"}
    assert "선물" in result["custom_data"]  # Korean kept readable, not \u-escaped


def test_lone_notice_url_becomes_list():
    assert body(notice_url="https://shop.example.com/hook")["notice_url"] == ["https://shop.example.com/hook"]


def test_custom_data_string_kept_as_given():
    assert body(custom_data='{"a":1}')["custom_data"] == '{"a":1}'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (FUTURE, FUTURE),
        (str(FUTURE), FUTURE),
        (datetime.fromtimestamp(FUTURE, timezone.utc), FUTURE),
        (pendulum.from_timestamp(FUTURE, tz="Asia/Seoul").add(microseconds=900_000), FUTURE),
        (pendulum.from_timestamp(FUTURE, tz="Asia/Seoul").isoformat(), FUTURE),
    ],
)
def test_expired_at_forms(value, expected):
    assert body(expired_at=value)["expired_at"] == expected


def test_amount_sent_as_json_number():
    assert build_issue_body("o", "15000", now=NOW)["amount"] == 15000
    assert build_issue_body("o", 12.5, now=NOW)["amount"] == 12.5


@pytest.mark.parametrize(
    ("fields", "argument", "fix"),
    [
        ({"expired_at": datetime(2030, 1, 1)}, "expired_at", "no time zone"),
        ({"expired_at": NOW}, "expired_at", "in the future"),
        ({"expired_at": NOW - 86400}, "expired_at", "already passed"),
        ({"expired_at": True}, "expired_at", "UNIX seconds"),
        ({"expired_at": "next week"}, "expired_at", "ISO 8601"),
        ({"notice_url": "ftp://shop.example.com/hook"}, "notice_url", "http or https"),
        ({"notice_url": ["https://ok.example.com", "shop.example.com/hook"]}, "notice_url[1]", "http or https"),
        ({"notice_url": {"url": "https://x.example.com"}}, "notice_url", "list of http(s) URLs"),
        ({"confirm_url": "/relative/path"}, "confirm_url", "absolute http or https"),
        ({"custom_data": ["a"]}, "custom_data", "dict or a JSON string"),
        ({"custom_data": {"when": datetime(2026, 1, 1)}}, "custom_data", "cannot be written as JSON"),
        ({"name": "가" * 41}, "name", "at most 40"),
        ({"buyer_name": "가" * 17}, "buyer_name", "at most 16"),
        ({"buyer_postcode": "123456789"}, "buyer_postcode", "at most 8"),
        ({"buyer_tel": 1012345678}, "buyer_tel", "Pass it as a string"),
        ({"barcode": "   "}, "barcode", "empty string"),
        ({"expires": FUTURE}, "expires", "spelling"),
    ],
)
def test_bad_fields_name_argument_and_fix(fields, argument, fix):
    with pytest.raises(PortOneValidationError) as caught:
        body(**fields)
    assert argument in str(caught.value)
    assert fix in str(caught.value)


@pytest.mark.parametrize("amount", [0, -100, "abc", None, True, float("nan")])
def test_bad_amount_rejected(amount):
    with pytest.raises(PortOneValidationError, match="amount"):
        build_issue_body("order_1", amount, now=NOW)


@pytest.mark.parametrize("merchant_uid", ["", "  ", None, "a/b", "x" * 41])
def test_bad_merchant_uid_rejected(merchant_uid):
    with pytest.raises(PortOneValidationError, match="merchant_uid"):
        build_issue_body(merchant_uid, 1000, now=NOW)


def test_past_check_uses_local_clock_by_default():
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    with pytest.raises(PortOneValidationError, match="already passed"):
        build_issue_body("order_1", 1000, expired_at=past)
