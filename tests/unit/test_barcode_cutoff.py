"""Cut-offs of the nightly barcode cleanup, XCom summaries and operator arguments."""

from __future__ import annotations

import pendulum
import pytest

from portone_provider.exceptions import PortOneValidationError
from portone_provider.operators.barcode import (
    PortOneRevokeBarcodeOperator,
    barcode_summary,
    is_revocable,
    revoke_cutoff,
)

KST = "Asia/Seoul"


def ts(*args) -> int:
    return int(pendulum.datetime(*args, tz=KST).timestamp())


def barcode(**fields) -> dict:
    payment = {
        "imp_uid": "imp_100000000001",
        "merchant_uid": "order_1",
        "pay_method": "cvs",
        "status": "ready",
        "amount": 15000,
        "currency": "KRW",
        "started_at": ts(2026, 11, 1, 23, 30),
        "vbank_issued_at": ts(2026, 11, 1, 23, 30, 5),
        "vbank_date": 0,
        "vbank_num": "1234567890123456",
    }
    payment.update(fields)
    return payment


def test_age_cutoff_ends_at_kst_day_end():
    # Issued 23:30 KST on 11-01, two days: the cut-off is the end of 11-03 KST, not 11-03 23:30.
    cutoff = revoke_cutoff(barcode(), max_age_days=2)
    assert cutoff == ts(2026, 11, 4)


def test_age_cutoff_boundary_seconds():
    payment = barcode()
    assert not is_revocable(payment, ts(2026, 11, 3, 23, 59, 59), max_age_days=2)
    assert is_revocable(payment, ts(2026, 11, 4), max_age_days=2)


def test_age_cutoff_uses_kst_issue_day():
    # 00:30 KST on 11-02 is still 11-01 in UTC; the KST day 11-02 counts.
    payment = barcode(started_at=ts(2026, 11, 2, 0, 30), vbank_issued_at=ts(2026, 11, 2, 0, 30))
    assert revoke_cutoff(payment, max_age_days=0) == ts(2026, 11, 3)


def test_due_time_wins_over_age():
    # A due time far after the age cut-off keeps the barcode until the due time has passed.
    due = ts(2026, 11, 20, 23, 59, 59)
    payment = barcode(vbank_date=due)
    assert not is_revocable(payment, ts(2026, 11, 10), max_age_days=2)
    assert not is_revocable(payment, due, max_age_days=2)
    assert is_revocable(payment, due + 1, max_age_days=2)


def test_due_time_passed_before_age_cutoff():
    due = ts(2026, 11, 2, 23, 59, 59)
    assert is_revocable(barcode(vbank_date=due), due + 1, max_age_days=30)


@pytest.mark.parametrize(
    "fields",
    [{"status": "paid"}, {"status": "cancelled"}, {"status": "failed"}, {"pay_method": "vbank"}],
)
def test_only_ready_barcodes_revocable(fields):
    assert not is_revocable(barcode(**fields), ts(2027, 1, 1), max_age_days=0)


def test_summary_has_no_buyer_contact_fields():
    payment = barcode(
        vbank_date=ts(2026, 11, 3, 23, 59, 59),
        buyer_name="김민준",
        buyer_email="buyer@example.com",
        buyer_tel="010-1234-5678",
        buyer_addr="서울특별시 강남구 테헤란로 1",
        buyer_postcode="06236",
    )
    summary = barcode_summary(payment)
    assert summary["barcode"] == "1234567890123456"
    assert summary["expired_at"] == ts(2026, 11, 3, 23, 59, 59)
    assert summary["expired_at_kst"] == "2026-11-03T23:59:59+09:00"
    assert not any(key.startswith("buyer") for key in summary)
    text = repr(summary)
    for secret in ("김민준", "buyer@example.com", "010-1234-5678", "06236"):
        assert secret not in text


def test_revoke_operator_rejects_unknown_if_paid():
    with pytest.raises(PortOneValidationError, match="if_paid 'ignore'"):
        PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid="imp_1", if_paid="ignore")
