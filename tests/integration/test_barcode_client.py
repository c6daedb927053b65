"""Barcode issue and revoke over real HTTP: the client against the emulator's /cvs endpoints."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pendulum
import pytest
import requests

from portone_provider.emulator.api_cvs import REVOKE_REASON
from portone_provider.exceptions import (
    PortOneApiError,
    PortOneNotFoundError,
    PortOneServerError,
    PortOneTransportError,
    PortOneValidationError,
)
from tests.conftest import API_SECRET

KST = "Asia/Seoul"


def control(emulator, path: str) -> requests.Response:
    return requests.post(f"{emulator.url}/_emulator{path}", timeout=5)


def cvs_requests(emulator) -> int:
    return emulator.stats.get("POST /cvs") or 0


def test_issue_creates_ready_barcode(emulator, client):
    due = int(time.time()) + 3 * 86400
    before = emulator.clock.now()

    payment = client.issue_cvs_barcode(
        "order_cvs_1",
        15000,
        expired_at=due,
        name="제주 감귤 3kg",
        buyer_name="김민준",
        buyer_email="buyer@example.com",
        buyer_tel="010-1234-5678",
        buyer_addr="서울특별시 강남구 테헤란로 1",
        buyer_postcode="06236",
        pg="galaxia.SHOP02",
        confirm_url="https://shop.example.com/confirm",
        notice_url="https://shop.example.com/hook",
        custom_data={"coupon": "WINTER10"},
    )

    assert payment["status"] == "ready"
    assert payment["pay_method"] == "cvs"
    assert payment["pg_provider"] == "galaxia"
    assert payment["pg_id"] == "SHOP02"
    assert payment["amount"] == 15000
    assert payment["vbank_date"] == due
    assert len(payment["vbank_num"]) == 16
    assert payment["started_at"] >= before
    assert payment["paid_at"] == 0
    assert payment["buyer_postcode"] == "06236"
    assert json.loads(payment["custom_data"]) == {"coupon": "WINTER10"}
    assert emulator.store.get(payment["imp_uid"]) == payment


def test_issue_registers_merchant_barcode(emulator, client):
    payment = client.issue_cvs_barcode("order_own", 5000, barcode="9900112233445566")
    assert payment["vbank_num"] == "9900112233445566"

    with pytest.raises(PortOneApiError) as caught:
        client.issue_cvs_barcode("order_own_2", 5000, barcode="9900112233445566")
    assert "이미 사용 중인 바코드" in caught.value.message


def test_issue_without_due_time_gets_default(emulator, client):
    payment = client.issue_cvs_barcode("order_default_due", 5000)

    issued = pendulum.from_timestamp(payment["started_at"], tz=KST)
    expected = issued.start_of("day").add(days=4).subtract(seconds=1)
    assert payment["vbank_date"] == int(expected.timestamp())


def test_issue_accepts_aware_datetime(emulator, client):
    due = pendulum.now(KST).add(days=2).replace(microsecond=0)
    payment = client.issue_cvs_barcode("order_dt", 7000, expired_at=due)
    assert payment["vbank_date"] == int(due.timestamp())


def test_issue_rejects_naive_datetime_without_request(emulator, client):
    with pytest.raises(PortOneValidationError, match="no time zone"):
        client.issue_cvs_barcode("order_naive", 7000, expired_at=datetime.now() + timedelta(days=1))
    assert emulator.stats["requests"] == 0


def test_already_paid_order_rejected_in_korean(emulator, client):
    emulator.store.put(
        {"imp_uid": "imp_200000000001", "merchant_uid": "order_paid", "pay_method": "card", "status": "paid",
         "amount": 15000, "started_at": 1_793_500_000, "paid_at": 1_793_500_060}
    )

    with pytest.raises(PortOneApiError) as caught:
        client.issue_cvs_barcode("order_paid", 15000)

    assert caught.value.http_status == 400
    assert caught.value.message == "이미 결제가 완료된 주문번호(merchant_uid)로는 편의점결제 수납번호를 발급할 수 없습니다"
    assert API_SECRET not in str(caught.value)
    assert cvs_requests(emulator) == 1


def test_refunded_order_counts_as_paid(emulator, client):
    emulator.store.put(
        {"imp_uid": "imp_200000000002", "merchant_uid": "order_refunded", "status": "cancelled", "amount": 1000,
         "started_at": 1_793_500_000, "paid_at": 1_793_500_060, "cancelled_at": 1_793_500_600,
         "cancel_history": [{"amount": 1000, "cancelled_at": 1_793_500_600, "reason": "고객 변심"}]}
    )
    with pytest.raises(PortOneApiError, match="이미 결제가 완료된"):
        client.issue_cvs_barcode("order_refunded", 1000)


def test_unpaid_order_may_get_second_barcode(emulator, client):
    # PortOne's own rule forbids only paid orders; the operator keeps one barcode per order.
    first = client.issue_cvs_barcode("order_twice", 3000)
    second = client.issue_cvs_barcode("order_twice", 3000)
    assert first["imp_uid"] != second["imp_uid"]


def test_revoke_ready_barcode(emulator, client):
    issued = client.issue_cvs_barcode("order_revoke", 3000)
    revoked = client.revoke_cvs_barcode(issued["imp_uid"])

    assert revoked["status"] == "cancelled"
    assert revoked["cancelled_at"] >= issued["started_at"]
    assert revoked["cancel_reason"] == REVOKE_REASON
    assert revoked["cancel_amount"] == 0
    assert revoked["cancel_history"] == []
    assert revoked["vbank_num"] == issued["vbank_num"]


def test_revoke_twice_rejected_in_korean(emulator, client):
    issued = client.issue_cvs_barcode("order_revoke_twice", 3000)
    client.revoke_cvs_barcode(issued["imp_uid"])

    with pytest.raises(PortOneApiError) as caught:
        client.revoke_cvs_barcode(issued["imp_uid"])
    assert caught.value.message == "이미 말소된 수납번호입니다"


def test_revoke_paid_rejected_in_korean(emulator, client):
    issued = client.issue_cvs_barcode("order_revoke_paid", 3000)
    assert control(emulator, f"/cvs/{issued['imp_uid']}/pay").status_code == 200

    with pytest.raises(PortOneApiError) as caught:
        client.revoke_cvs_barcode(issued["imp_uid"])
    assert "이미 수납이 완료된" in caught.value.message
    assert emulator.store.get(issued["imp_uid"])["status"] == "paid"


def test_revoke_unknown_and_non_barcode(emulator, client):
    emulator.store.put(
        {"imp_uid": "imp_200000000003", "merchant_uid": "order_card", "pay_method": "card", "status": "paid",
         "amount": 1000, "started_at": 1_793_500_000, "paid_at": 1_793_500_060}
    )
    with pytest.raises(PortOneNotFoundError):
        client.revoke_cvs_barcode("imp_404404404404")
    with pytest.raises(PortOneApiError, match="편의점결제 수납번호가 발급된 결제건이 아닙니다"):
        client.revoke_cvs_barcode("imp_200000000003")


def test_issue_not_retried_on_server_error(emulator, client):
    client.get_access_token()
    emulator.faults.add({"method": "POST", "path": "^/cvs$", "action": "status", "status": 503})

    with pytest.raises(PortOneServerError):
        client.issue_cvs_barcode("order_503", 3000)
    assert cvs_requests(emulator) == 1
    assert emulator.store.find("order_503") is None


def test_drop_after_issues_but_loses_answer(emulator, client):
    client.get_access_token()
    emulator.faults.add({"method": "POST", "path": "^/cvs$", "action": "drop_after"})

    with pytest.raises(PortOneTransportError):
        client.issue_cvs_barcode("order_dropped", 3000)

    assert cvs_requests(emulator) == 1
    stored = emulator.store.find("order_dropped")
    assert stored is not None
    assert stored["status"] == "ready"
    assert client.find_payment("order_dropped")["imp_uid"] == stored["imp_uid"]


def test_revoke_not_retried_after_lost_answer(emulator, client):
    issued = client.issue_cvs_barcode("order_revoke_drop", 3000)
    emulator.faults.add({"method": "DELETE", "path": "^/cvs/", "action": "drop_after"})

    with pytest.raises(PortOneTransportError):
        client.revoke_cvs_barcode(issued["imp_uid"])
    assert emulator.stats["DELETE /cvs/{imp_uid}"] == 1
    assert emulator.store.get(issued["imp_uid"])["status"] == "cancelled"
