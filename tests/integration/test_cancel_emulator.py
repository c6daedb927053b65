"""The emulator's POST /payments/cancel over raw HTTP: PortOne's cancel semantics and faults."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
import requests

from tests.conftest import API_KEY, API_SECRET

PAID_AT = 1_793_460_000
CARD = {"imp_uid": "imp_300000000001", "merchant_uid": "order_card", "status": "paid", "amount": 10000,
        "pay_method": "card", "pg_provider": "kcp", "pg_tid": "KCP0001", "started_at": PAID_AT - 60, "paid_at": PAID_AT}
USD = {"imp_uid": "imp_300000000002", "merchant_uid": "order_usd", "status": "paid", "amount": 78.48,
       "currency": "USD", "pay_method": "paypal", "pg_provider": "paypal_v2", "started_at": PAID_AT - 60,
       "paid_at": PAID_AT}
VBANK = {"imp_uid": "imp_300000000003", "merchant_uid": "order_vbank", "status": "paid", "amount": 29900,
         "pay_method": "vbank", "pg_provider": "tosspayments", "started_at": PAID_AT - 600, "paid_at": PAID_AT}
READY = {"imp_uid": "imp_300000000004", "merchant_uid": "order_ready", "status": "ready", "amount": 5000,
         "pay_method": "vbank", "pg_provider": "kcp", "started_at": PAID_AT}
NAVER = {"imp_uid": "imp_300000000005", "merchant_uid": "order_naver", "status": "paid", "amount": 12000,
         "pay_method": "point", "pg_provider": "naverpay", "started_at": PAID_AT - 60, "paid_at": PAID_AT}
REFUND_ACCOUNT = {"refund_holder": "홍길동", "refund_bank": "004", "refund_account": "00123456789012"}


class Api:
    """Raw HTTP access to one emulator with a valid token."""

    def __init__(self, server) -> None:
        self.url = server.url
        self.session = requests.Session()
        token = self.session.post(f"{self.url}/users/getToken", json={"imp_key": API_KEY, "imp_secret": API_SECRET})
        self.session.headers["Authorization"] = f"Bearer {token.json()['response']['access_token']}"

    def cancel(self, **body) -> requests.Response:
        return self.session.post(f"{self.url}/payments/cancel", json=body, timeout=5)

    def control(self, method: str, path: str, body=None) -> requests.Response:
        return self.session.request(method, f"{self.url}/_emulator{path}", json=body, timeout=5)


@pytest.fixture
def api(emulator):
    emulator.store.put_many([CARD, USD, VBANK, READY, NAVER])
    raw = Api(emulator)
    yield raw
    raw.session.close()


def envelope_of(response: requests.Response) -> dict:
    return response.json()


def test_partial_cancels_build_history(api, emulator):
    emulator.clock.set(PAID_AT + 3600)
    first = envelope_of(api.cancel(imp_uid=CARD["imp_uid"], amount=3000, reason="부분 환불"))
    emulator.clock.set(PAID_AT + 7200)
    second = envelope_of(api.cancel(imp_uid=CARD["imp_uid"], amount=2000, checksum=7000))

    assert first["code"] == 0
    payment = second["response"]
    assert payment["status"] == "paid"
    assert payment["cancel_amount"] == 5000
    assert payment["cancelled_at"] == 0
    assert [entry["amount"] for entry in payment["cancel_history"]] == [3000, 2000]
    assert [entry["cancelled_at"] for entry in payment["cancel_history"]] == [PAID_AT + 3600, PAID_AT + 7200]
    assert payment["cancel_history"][0]["reason"] == "부분 환불"
    assert payment["cancel_history"][0]["pg_tid"] == "KCP0001C1"
    ids = [entry["cancellation_id"] for entry in payment["cancel_history"]]
    assert len(set(ids)) == 2
    assert all(entry["receipt_url"] for entry in payment["cancel_history"])
    assert len(payment["cancel_receipt_urls"]) == 2


def test_last_cancel_sets_cancelled(api, emulator):
    api.cancel(imp_uid=CARD["imp_uid"], amount=4000)
    emulator.clock.set(PAID_AT + 86_400)
    payment = envelope_of(api.cancel(imp_uid=CARD["imp_uid"], reason="전액 환불"))["response"]

    assert payment["status"] == "cancelled"
    assert payment["cancel_amount"] == 10000
    assert payment["cancelled_at"] == PAID_AT + 86_400
    assert payment["cancel_reason"] == "전액 환불"
    assert payment["cancel_history"][-1]["amount"] == 6000
    assert emulator.store.get(CARD["imp_uid"])["status"] == "cancelled"


def test_zero_amount_means_full(api):
    payment = envelope_of(api.cancel(imp_uid=CARD["imp_uid"], amount=0))["response"]
    assert payment["status"] == "cancelled"
    assert payment["cancel_amount"] == 10000


def test_partial_equal_to_rest_cancels(api):
    payment = envelope_of(api.cancel(imp_uid=CARD["imp_uid"], amount=10000))["response"]
    assert payment["status"] == "cancelled"


def test_cancelled_payment_listed_as_cancelled(api, emulator):
    emulator.clock.set(PAID_AT + 100)
    api.cancel(imp_uid=CARD["imp_uid"])
    listed = api.session.get(f"{api.url}/payments/status/cancelled", params={"from": PAID_AT, "to": PAID_AT + 200})
    assert [row["imp_uid"] for row in listed.json()["response"]["list"]] == [CARD["imp_uid"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"imp_uid": CARD["imp_uid"], "checksum": 9000}, "취소 가능 잔액이 일치하지 않아"),
        ({"imp_uid": CARD["imp_uid"], "amount": 10001}, "취소 가능 잔액(10000)보다 큽니다"),
        ({"imp_uid": "imp_399999999999"}, "취소 대상 결제건을 찾을 수 없습니다"),
        ({"imp_uid": READY["imp_uid"]}, "결제완료 상태가 아닌 결제건"),
        ({"imp_uid": CARD["imp_uid"], "amount": 100.5}, "소수점 이하 금액"),
        ({"imp_uid": USD["imp_uid"], "amount": 0.125}, "소수점 2자리까지만"),
        ({"imp_uid": CARD["imp_uid"], "amount": 1000, "tax_free": 2000}, "tax_free(2000)"),
        ({"imp_uid": VBANK["imp_uid"]}, "환불계좌 정보가 필요합니다"),
        ({"imp_uid": VBANK["imp_uid"], **REFUND_ACCOUNT, "refund_bank": "4"}, "은행코드가 올바르지 않습니다"),
        ({"imp_uid": VBANK["imp_uid"], **REFUND_ACCOUNT, "refund_account": "110-123"}, "숫자로만"),
        ({"imp_uid": NAVER["imp_uid"]}, "취소 사유(reason)"),
    ],
)
def test_business_rejection_is_code_under_http_200(api, emulator, body, message):
    response = api.cancel(**body)
    assert response.status_code == 200
    assert response.json()["code"] == 1
    assert message in response.json()["message"]
    assert response.json()["response"] is None
    for payment in (CARD, USD, VBANK):
        assert emulator.store.get(payment["imp_uid"])["cancel_history"] == []


def test_already_cancelled_rejected(api):
    api.cancel(imp_uid=CARD["imp_uid"])
    response = api.cancel(imp_uid=CARD["imp_uid"])
    assert response.json()["code"] == 1
    assert response.json()["message"] == "이미 전액 취소된 결제건입니다"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "imp_uid 또는 merchant_uid"),
        ({"imp_uid": CARD["imp_uid"], "amount": "lots"}, "amount 파라미터는 숫자"),
        ({"imp_uid": CARD["imp_uid"], "amount": -1}, "0 이상"),
        ({"imp_uid": CARD["imp_uid"], "extra": {"requester": "buyer"}}, "extra.requester"),
        ({"imp_uid": 5}, "문자열"),
    ],
)
def test_malformed_request_is_400(api, body, message):
    response = api.cancel(**body)
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_cancel_needs_token(emulator):
    emulator.store.put(CARD)
    response = requests.post(f"{emulator.url}/payments/cancel", json={"imp_uid": CARD["imp_uid"]}, timeout=5)
    assert response.status_code == 401


def test_vbank_refund_with_account(api, emulator):
    payment = envelope_of(api.cancel(imp_uid=VBANK["imp_uid"], **REFUND_ACCOUNT))["response"]
    assert payment["status"] == "cancelled"
    logged = api.control("GET", "/cancels").json()["requests"][-1]
    assert logged["outcome"] == "applied"
    assert '"refund_account": "00123456789012"' in logged["body"]


def test_usd_partials_add_exactly(api):
    for amount in ("0.1", "0.2", "10.25"):
        body = f'{{"imp_uid": "{USD["imp_uid"]}", "amount": {amount}}}'
        api.session.post(f"{api.url}/payments/cancel", data=body, headers={"Content-Type": "application/json"})
    payment = api.session.get(f"{api.url}/payments/{USD['imp_uid']}").json()["response"]
    assert Decimal(str(payment["cancel_amount"])) == Decimal("10.55")
    assert payment["cancel_amount"] == 10.55
    rest = Decimal(str(payment["amount"])) - Decimal(str(payment["cancel_amount"]))
    response = api.cancel(imp_uid=USD["imp_uid"], checksum=float(rest))
    assert response.json()["response"]["status"] == "cancelled"
    assert response.json()["response"]["cancel_history"][-1]["amount"] == 67.93


def test_form_body_with_requester(api, emulator):
    response = api.session.post(
        f"{api.url}/payments/cancel",
        data={"imp_uid": NAVER["imp_uid"], "amount": "2000", "reason": "구매자 요청", "extra[requester]": "customer"},
    )
    assert response.json()["code"] == 0
    assert response.json()["response"]["cancel_amount"] == 2000


def test_merchant_uid_names_paid_payment(api, emulator):
    failed = {**CARD, "imp_uid": "imp_300000000009", "status": "failed", "paid_at": 0,
              "failed_at": PAID_AT + 10, "started_at": PAID_AT + 5}
    emulator.store.put(failed)
    payment = envelope_of(api.cancel(merchant_uid=CARD["merchant_uid"], amount=1000))["response"]
    assert payment["imp_uid"] == CARD["imp_uid"]


def test_imp_uid_wins_over_merchant_uid(api):
    payment = envelope_of(api.cancel(imp_uid=CARD["imp_uid"], merchant_uid=USD["merchant_uid"], amount=1000))
    assert payment["response"]["imp_uid"] == CARD["imp_uid"]


def test_same_checksum_applies_once(api, emulator):
    results = []

    def send():
        results.append(api.cancel(imp_uid=CARD["imp_uid"], amount=1000, checksum=10000).json()["code"])

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0] + [1] * 7
    assert emulator.store.get(CARD["imp_uid"])["cancel_amount"] == 1000


def test_drop_after_applies_then_drops(api, emulator):
    emulator.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "drop_after"})
    with pytest.raises(requests.ConnectionError):
        api.cancel(imp_uid=CARD["imp_uid"], amount=2500)
    assert emulator.store.get(CARD["imp_uid"])["cancel_amount"] == 2500
    assert api.control("GET", "/faults").json()["rules"][0]["fired"] == 1


def test_delayed_cancel_applies_after_client_gives_up(api, emulator):
    emulator.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "delay", "delay": 0.4})
    with pytest.raises(requests.Timeout):
        api.session.post(f"{api.url}/payments/cancel", json={"imp_uid": CARD["imp_uid"], "amount": 700}, timeout=0.1)
    assert emulator.store.get(CARD["imp_uid"])["cancel_amount"] == 0
    deadline = time.monotonic() + 5
    while emulator.store.get(CARD["imp_uid"])["cancel_amount"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emulator.store.get(CARD["imp_uid"])["cancel_amount"] == 700


def test_reset_fault_leaves_payment(api, emulator):
    emulator.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "reset"})
    with pytest.raises(requests.ConnectionError):
        api.cancel(imp_uid=CARD["imp_uid"], amount=2500)
    assert emulator.store.get(CARD["imp_uid"])["cancel_amount"] == 0


def test_held_cancel_pending_until_approved(api, emulator):
    assert api.control("POST", "/cancels/hold", {"pg_providers": ["paypal_v2"]}).status_code == 200
    answer = envelope_of(api.cancel(imp_uid=USD["imp_uid"], amount=8.48, checksum=78.48))

    assert answer["code"] == 0
    assert answer["response"]["status"] == "paid"
    assert answer["response"]["cancel_history"] == []
    assert api.control("GET", "/cancels").json()["held"][USD["imp_uid"]][0]["amount"] == "8.48"

    over = api.cancel(imp_uid=USD["imp_uid"], amount=70.01, checksum=78.48).json()
    assert over["code"] == 1
    assert "승인 대기 중" in over["message"]

    approved = api.control("POST", "/cancels/approve", {"imp_uid": USD["imp_uid"]}).json()
    assert approved["cancel_amount"] == 8.48
    assert [entry["amount"] for entry in approved["cancel_history"]] == [8.48]
    assert api.control("POST", "/cancels/approve", {"imp_uid": USD["imp_uid"]}).status_code == 404


def test_held_full_cancel_blocks_second(api):
    api.control("POST", "/cancels/hold", {"imp_uids": [CARD["imp_uid"]]})
    assert api.cancel(imp_uid=CARD["imp_uid"]).json()["code"] == 0
    second = api.cancel(imp_uid=CARD["imp_uid"]).json()
    assert second["code"] == 1
    assert "승인 대기 중" in second["message"]


def test_clear_forgets_log_and_holds(api):
    api.control("POST", "/cancels/hold", {"imp_uids": [CARD["imp_uid"]]})
    api.cancel(imp_uid=CARD["imp_uid"], amount=100)
    assert api.control("DELETE", "/cancels").json() == {"ok": True}
    assert api.control("GET", "/cancels").json() == {
        "requests": [], "held": {}, "hold": {"imp_uids": [], "pg_providers": []}
    }


@pytest.mark.parametrize("body", [{"imp_uids": "imp_1"}, {"pg_providers": [1]}, [1]])
def test_bad_hold_rule_rejected(api, body):
    response = api.control("POST", "/cancels/hold", body)
    assert response.status_code == 400
    assert "error" in response.json()
