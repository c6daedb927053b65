"""Demo and bulk data sets: determinism, invariants and the boundary records."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from portone_provider.emulator.dataset import (
    DAY_SECONDS,
    KST,
    generate_bulk_paid,
    generate_demo_payments,
    kst_midnight,
    load_payments,
)
from portone_provider.emulator.records import PAYMENT_FIELDS, PaymentRecord

START = date(2026, 11, 1)
START_TS = kst_midnight(START)
END_TS = START_TS + 4 * DAY_SECONDS


@pytest.fixture(scope="module")
def demo() -> list[dict[str, Any]]:
    return generate_demo_payments(seed=7)


def share(payments: list[dict[str, Any]], key: str, value: Any) -> float:
    return sum(1 for payment in payments if payment[key] == value) / len(payments)


def test_kst_midnight() -> None:
    assert kst_midnight(date(2026, 11, 1)) == int(datetime(2026, 10, 31, 15, 0, tzinfo=timezone.utc).timestamp())
    assert datetime.fromtimestamp(START_TS, KST).hour == 0


def test_same_seed_same_data(demo: list[dict[str, Any]]) -> None:
    assert generate_demo_payments(seed=7) == demo


def test_different_seed_differs(demo: list[dict[str, Any]]) -> None:
    other = generate_demo_payments(seed=8)

    assert other != demo
    assert {payment["imp_uid"] for payment in other} != {payment["imp_uid"] for payment in demo}


def test_size_and_field_names(demo: list[dict[str, Any]]) -> None:
    assert len(demo) >= 4 * 1500
    for payment in demo:
        assert set(payment) <= set(PAYMENT_FIELDS)
        PaymentRecord.from_dict(payment)


def test_imp_uids_unique_and_well_formed(demo: list[dict[str, Any]]) -> None:
    imp_uids = [payment["imp_uid"] for payment in demo]

    assert len(set(imp_uids)) == len(imp_uids)
    for imp_uid in imp_uids:
        assert imp_uid.startswith("imp_")
        assert len(imp_uid) == 16
        assert imp_uid[4:].isdigit()


def test_repeated_merchant_uids_fail_then_pay(demo: list[dict[str, Any]]) -> None:
    by_merchant: dict[str, list[dict[str, Any]]] = {}
    for payment in demo:
        by_merchant.setdefault(payment["merchant_uid"], []).append(payment)
    repeated = {key: group for key, group in by_merchant.items() if len(group) > 1}

    assert 3 <= len(repeated) <= 10
    for group in repeated.values():
        group.sort(key=lambda payment: payment["started_at"])
        assert [payment["status"] for payment in group] == ["failed", "paid"]


def test_status_and_method_mix(demo: list[dict[str, Any]]) -> None:
    assert 0.62 <= share(demo, "status", "paid") <= 0.78
    assert 0.08 <= share(demo, "status", "cancelled") <= 0.16
    assert 0.05 <= share(demo, "status", "failed") <= 0.11
    assert 0.07 <= share(demo, "status", "ready") <= 0.13
    assert 0.54 <= share(demo, "pay_method", "card") <= 0.66
    assert 0.11 <= share(demo, "pay_method", "vbank") <= 0.19
    assert 0.07 <= share(demo, "pay_method", "trans") <= 0.13
    assert 0.07 <= share(demo, "pay_method", "cvs") <= 0.13
    assert 0.03 <= share(demo, "pay_method", "point") <= 0.08
    assert len({payment["pg_provider"] for payment in demo}) >= 8
    assert 0.01 <= share(demo, "currency", "USD") <= 0.03


def test_usd_only_for_paypal(demo: list[dict[str, Any]]) -> None:
    for payment in demo:
        if payment["currency"] == "USD":
            assert payment["pg_provider"] == "paypal_v2"
            assert isinstance(payment["amount"], float)
            assert Decimal(str(payment["amount"])) == Decimal(str(payment["amount"])).quantize(Decimal("0.01"))
        else:
            assert payment["currency"] == "KRW"
            assert isinstance(payment["amount"], int)


def test_cancel_amount_is_sum_of_history(demo: list[dict[str, Any]]) -> None:
    for payment in demo:
        history_sum = sum((Decimal(str(entry["amount"])) for entry in payment["cancel_history"]), Decimal(0))
        assert Decimal(str(payment.get("cancel_amount", 0))) == history_sum, payment["imp_uid"]
        assert history_sum <= Decimal(str(payment["amount"]))
        if payment["status"] == "cancelled":
            assert history_sum == Decimal(str(payment["amount"]))
        if payment["status"] == "paid":
            assert history_sum < Decimal(str(payment["amount"]))


def test_status_times_consistent(demo: list[dict[str, Any]]) -> None:
    for payment in demo:
        status = payment["status"]
        if status not in ("paid", "cancelled"):
            assert payment["paid_at"] == 0, payment["imp_uid"]
        else:
            assert payment["paid_at"] >= payment["started_at"]
        assert (payment["failed_at"] != 0) == (status == "failed")
        assert (payment["cancelled_at"] != 0) == (status == "cancelled")
        if status == "failed":
            assert payment["fail_reason"]
        if status == "cancelled":
            assert payment["cancelled_at"] == payment["cancel_history"][-1]["cancelled_at"]
            assert payment["cancel_reason"]
        for entry in payment["cancel_history"]:
            assert entry["cancelled_at"] > payment["paid_at"]
            assert set(entry) == {"pg_tid", "amount", "cancelled_at", "reason", "receipt_url", "cancellation_id"}


def test_everything_before_end(demo: list[dict[str, Any]]) -> None:
    for payment in demo:
        times = [payment["started_at"], payment["paid_at"], payment["failed_at"], payment["cancelled_at"]]
        times += [entry["cancelled_at"] for entry in payment["cancel_history"]]
        assert max(times) < END_TS, payment["imp_uid"]


def test_ready_payments_are_vbank_or_cvs(demo: list[dict[str, Any]]) -> None:
    ready = [payment for payment in demo if payment["status"] == "ready"]

    assert {payment["pay_method"] for payment in ready} == {"vbank", "cvs"}
    for payment in ready:
        assert payment["vbank_date"] > payment["started_at"]
    assert any(payment["vbank_date"] < END_TS for payment in ready)
    assert any(payment["vbank_date"] >= END_TS for payment in ready)


def test_vbank_numbers_are_strings(demo: list[dict[str, Any]]) -> None:
    numbers = [payment["vbank_num"] for payment in demo if payment["pay_method"] == "vbank" and payment.get("vbank_num")]

    assert numbers
    assert all(isinstance(number, str) and number.isdigit() for number in numbers)
    assert any(number.startswith("0") for number in numbers)


def test_card_fields(demo: list[dict[str, Any]]) -> None:
    paid_cards = [payment for payment in demo if payment["pay_method"] == "card" and payment["status"] == "paid"]

    for payment in paid_cards:
        number = payment["card_number"]
        assert len(number) == 16
        assert number[6:12] == "******"
        assert payment["card_name"]
        assert payment["apply_num"]


def test_partial_refunds_on_paid(demo: list[dict[str, Any]]) -> None:
    paid = [payment for payment in demo if payment["status"] == "paid"]
    refunded = [payment for payment in paid if payment["cancel_history"]]

    assert 0.05 <= len(refunded) / len(paid) <= 0.12
    assert {len(payment["cancel_history"]) for payment in refunded} >= {1, 2}
    later_day = [
        payment
        for payment in refunded
        if _kst_day(payment["cancel_history"][0]["cancelled_at"]) > _kst_day(payment["paid_at"])
    ]
    assert later_day


def test_full_cancel_timing_variety(demo: list[dict[str, Any]]) -> None:
    cancelled = [payment for payment in demo if payment["status"] == "cancelled"]

    same_day = [p for p in cancelled if _kst_day(p["cancelled_at"]) == _kst_day(p["paid_at"])]
    next_day = [p for p in cancelled if (_kst_day(p["cancelled_at"]) - _kst_day(p["paid_at"])).days == 1]
    split = [p for p in cancelled if len(p["cancel_history"]) > 1]
    assert same_day
    assert next_day
    assert split


def test_look_back_refunds(demo: list[dict[str, Any]]) -> None:
    look_back = [
        payment
        for payment in demo
        if START_TS - 10 * DAY_SECONDS <= payment["paid_at"] < START_TS
        and any(START_TS <= entry["cancelled_at"] < END_TS for entry in payment["cancel_history"])
    ]

    assert len([payment for payment in look_back if payment["status"] == "paid"]) >= 20


def test_boundary_payments(demo: list[dict[str, Any]]) -> None:
    midnights = {START_TS + day * DAY_SECONDS for day in range(4)}
    last_seconds = {midnight + DAY_SECONDS - 1 for midnight in midnights}

    paid_at_midnight = [p for p in demo if p["paid_at"] in midnights and p["status"] == "paid"]
    paid_at_last_second = [p for p in demo if p["paid_at"] in last_seconds]
    refunds_at_midnight = [
        entry for p in demo for entry in p["cancel_history"] if entry["cancelled_at"] in midnights
    ]

    assert len(paid_at_midnight) >= 3
    assert len(paid_at_last_second) >= 1
    assert len(refunds_at_midnight) >= 2


def test_other_ranges_still_valid() -> None:
    one_day = generate_demo_payments(seed=1, start=date(2027, 1, 1), days=1, per_day=50)
    end = kst_midnight(date(2027, 1, 2))

    for payment in one_day:
        PaymentRecord.from_dict(payment)
        assert payment["started_at"] < end
        assert all(entry["cancelled_at"] < end for entry in payment["cancel_history"])


def test_bulk_paid() -> None:
    day = date(2026, 11, 2)
    payments = generate_bulk_paid(2000, day, seed=3)

    assert payments == generate_bulk_paid(2000, day, seed=3)
    assert len({payment["imp_uid"] for payment in payments}) == 2000
    start = kst_midnight(day)
    for payment in payments:
        assert payment["status"] == "paid"
        assert payment["pay_method"] == "card"
        assert payment.get("currency", "KRW") == "KRW"
        assert start <= payment["started_at"] <= payment["paid_at"] < start + DAY_SECONDS
        assert payment["imp_uid"].startswith("imp_9")


def test_load_payments_fills_defaults(tmp_path: Path) -> None:
    path = tmp_path / "payments.json"
    minimal = {"imp_uid": "imp_100000000001", "merchant_uid": "m-1", "amount": 1000, "status": "ready"}
    path.write_text(json.dumps({"payments": [minimal]}), encoding="utf-8")

    [payment] = load_payments(path)

    assert list(payment) == list(PAYMENT_FIELDS)
    assert payment["currency"] == "KRW"
    assert payment["cancel_amount"] == 0
    assert payment["cancel_history"] == []
    assert payment["paid_at"] == 0
    assert payment["escrow"] is False
    assert payment["pg_tid"] is None


@pytest.mark.parametrize(
    "payment",
    [
        {"merchant_uid": "m", "amount": 1, "status": "paid"},
        {"imp_uid": "imp_1", "merchant_uid": "m", "amount": 1, "status": "refunded"},
        {"imp_uid": "imp_1", "merchant_uid": "m", "amount": 1, "status": "paid", "colour": "red"},
        {"imp_uid": "imp_1", "merchant_uid": "m", "amount": 1.5, "status": "paid"},
        {"imp_uid": "imp_1", "merchant_uid": "m", "amount": 100, "status": "paid", "cancel_amount": 5},
        {
            "imp_uid": "imp_1",
            "merchant_uid": "m",
            "amount": 100,
            "status": "cancelled",
            "cancel_history": [{"amount": 200, "cancelled_at": 5}],
        },
    ],
    ids=["no-imp-uid", "bad-status", "unknown-field", "fractional-krw", "cancel-amount-mismatch", "over-refund"],
)
def test_load_payments_rejects_invalid(tmp_path: Path, payment: dict[str, Any]) -> None:
    path = tmp_path / "payments.json"
    path.write_text(json.dumps([payment]), encoding="utf-8")

    with pytest.raises(ValueError, match="payments.json"):
        load_payments(path)


def _kst_day(timestamp: int) -> date:
    return datetime.fromtimestamp(timestamp, KST).date()
