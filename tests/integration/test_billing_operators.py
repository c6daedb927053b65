"""Billing-key payments against the emulator: one charge per merchant_uid across retries."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from portone_provider.exceptions import PortOneApiError, PortOneTransportError, PortOneValidationError
from portone_provider.operators.billing import PortOneBillingKeyPaymentOperator
from tests.conftest import API_KEY, API_SECRET, fast_retry, make_client

CUSTOMER = "customer_0001"
DECLINING = "customer_declined"
ORDER = "subscription_2026_11_0001"


class StateStore:
    """Dict-backed stand-in for Airflow 3.3's task_state_store (get, set, delete)."""

    def __init__(self) -> None:
        self.values: dict = {}

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value, retention=None):
        self.values[key] = json.loads(json.dumps(value))

    def delete(self, key):
        self.values.pop(key, None)


@pytest.fixture
def connection(emulator, monkeypatch):
    fields = {"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_DEFAULT", json.dumps(fields))
    with make_client(emulator) as client:
        client.save_billing_key(CUSTOMER, "5365-1012-3456-7890", "2030-12", customer_name="김민준")
        client.save_billing_key(DECLINING, "5365-1012-3456-0002", "2030-12")
    emulator.stats.reset()
    return emulator


def pay_operator(**overrides) -> PortOneBillingKeyPaymentOperator:
    arguments = {
        "task_id": "charge",
        "customer_uid": CUSTOMER,
        "merchant_uid": ORDER,
        "amount": "9900",
        "name": "월간 구독 11월",
        "buyer_email": "buyer@example.com",
    }
    arguments.update(overrides)
    return PortOneBillingKeyPaymentOperator(**arguments)


def order_payments(emulator) -> list[dict]:
    return [payment for payment in emulator.store.all() if payment["merchant_uid"] == ORDER]


def test_charge_creates_paid_payment(connection):
    result = pay_operator().execute({"task_state_store": StateStore()})

    assert result["outcome"] == "paid"
    assert result["status"] == "paid"
    assert result["amount"] == 9900
    assert result["customer_uid"] == CUSTOMER
    assert result["paid_at"]
    assert "buyer_email" not in result
    assert [payment["status"] for payment in order_payments(connection)] == ["paid"]


def test_retry_returns_existing_payment(connection):
    store = StateStore()
    first = pay_operator().execute({"task_state_store": store})
    second = pay_operator().execute({"task_state_store": store})

    assert second["outcome"] == "already_paid"
    assert second["imp_uid"] == first["imp_uid"]
    assert connection.stats["POST /subscribe/payments/again"] == 1


def test_lost_answer_recovered_in_same_try(connection):
    connection.faults.add({"method": "POST", "path": "/payments/again$", "action": "drop_after", "times": 1})
    result = pay_operator().execute({"task_state_store": StateStore()})

    assert result["outcome"] == "paid"
    assert connection.stats["POST /subscribe/payments/again"] == 1
    assert len(order_payments(connection)) == 1


def test_lost_answer_recovered_by_retry(connection):
    store = StateStore()
    connection.faults.add({"method": "POST", "path": "/payments/again$", "action": "drop_after", "times": 1})
    connection.faults.add({"method": "GET", "path": "^/payments/findAll/", "action": "reset", "skip": 1, "times": 2})
    operator = pay_operator()
    with make_client(connection, retry=fast_retry(max_retries=1)) as client:
        operator.hook.get_conn = lambda: client
        with pytest.raises(PortOneTransportError):
            operator.execute({"task_state_store": store})

    retried = pay_operator().execute({"task_state_store": store})
    assert retried["outcome"] == "already_paid"
    assert connection.stats["POST /subscribe/payments/again"] == 1
    assert len(order_payments(connection)) == 1


def test_declined_card_fails_without_retry(connection):
    with pytest.raises(AirflowFailException, match="카드 잔액이 부족합니다"):
        pay_operator(customer_uid=DECLINING).execute({"task_state_store": StateStore()})


def test_retry_after_decline_reports_it_without_charging(connection):
    store = StateStore()
    connection.faults.add({"method": "POST", "path": "/payments/again$", "action": "drop_after", "times": 1})
    connection.faults.add({"method": "GET", "path": "^/payments/findAll/", "action": "status", "status": 400,
                           "skip": 1, "times": 1})
    with pytest.raises(PortOneApiError):
        pay_operator(customer_uid=DECLINING).execute({"task_state_store": store})

    with pytest.raises(AirflowFailException, match="declined"):
        pay_operator(customer_uid=DECLINING).execute({"task_state_store": store})
    assert connection.stats["POST /subscribe/payments/again"] == 1


def test_decline_returned_when_not_failing(connection):
    result = pay_operator(customer_uid=DECLINING, fail_on_decline=False).execute({"task_state_store": StateStore()})
    assert result["outcome"] == "declined"
    assert result["fail_reason"] == "카드 잔액이 부족합니다"


def test_paid_order_with_other_amount_fails(connection):
    with make_client(connection) as client:
        client.pay_with_billing_key(CUSTOMER, ORDER, 5000, "월간 구독")
    with pytest.raises(AirflowFailException, match="already charged"):
        pay_operator().execute({"task_state_store": StateStore()})
    assert connection.stats["POST /subscribe/payments/again"] == 1


def test_changed_request_between_tries_fails(connection):
    store = StateStore()
    connection.faults.add({"method": "POST", "path": "/payments/again$", "action": "status", "status": 400, "times": 1})
    with pytest.raises(PortOneApiError):
        pay_operator().execute({"task_state_store": store})
    with pytest.raises(AirflowFailException, match="Templated values changed"):
        pay_operator(amount=19900).execute({"task_state_store": store})


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"amount": "0"}, "amount"),
        ({"customer_uid": None}, "customer_uid"),
        ({"name": ""}, "name"),
        ({"options": {"card_quota": "3"}}, "card_quota"),
        ({"options": {"cash_receipt_type": "nobody"}}, "cash_receipt_type"),
    ],
)
def test_bad_input_fails_before_any_request(connection, overrides, fragment):
    with pytest.raises(PortOneValidationError, match=fragment):
        pay_operator(**overrides).execute({"task_state_store": StateStore()})
    assert (connection.stats.get("requests") or 0) == 0


def test_emulator_rejects_second_payment_of_order(connection):
    with make_client(connection) as client:
        client.pay_with_billing_key(CUSTOMER, ORDER, 9900, "월간 구독")
        with pytest.raises(PortOneApiError, match="이미 결제가 완료된 주문번호") as caught:
            client.pay_onetime(ORDER, 9900, "5365-1012-3456-7890", "2030-12")
    assert caught.value.http_status == 400


def test_drop_after_applies_onetime_payment(connection):
    connection.faults.add({"method": "POST", "path": "/payments/onetime$", "action": "drop_after", "times": 1})
    with make_client(connection) as client, pytest.raises(PortOneTransportError):
        client.pay_onetime(ORDER, 9900, "5365-1012-3456-7890", "2030-12", customer_uid="customer_new")
    assert [payment["status"] for payment in order_payments(connection)] == ["paid"]
    with make_client(connection) as client:
        assert client.get_billing_key("customer_new")["card_number"] == "536510******7890"


# Billing keys and schedules through the client


def test_billing_key_lifecycle(connection):
    with make_client(connection) as client:
        key = client.get_billing_key(CUSTOMER)
        keys = client.get_billing_keys([CUSTOMER, "customer_missing"])
        client.pay_with_billing_key(CUSTOMER, ORDER, 9900, "월간 구독")
        history = client.get_billing_key_payments(CUSTOMER)
        deleted = client.delete_billing_key(CUSTOMER, reason="구독 해지", requester="customer")
        with pytest.raises(PortOneApiError, match="등록된 빌링키가 없는"):
            client.get_billing_key(CUSTOMER)

    assert key["card_number"] == "536510******7890"
    assert key["customer_name"] == "김민준"
    assert [item["customer_uid"] for item in keys] == [CUSTOMER]
    assert history["total"] == 1
    assert deleted["customer_uid"] == CUSTOMER


def test_schedules_run_and_revoke(connection):
    now = connection.clock.now()
    entries = [
        {"merchant_uid": "sched_1", "schedule_at": now + 60, "amount": 9900, "currency": "KRW", "name": "월간 구독"},
        {"merchant_uid": "sched_2", "schedule_at": now + 86400, "amount": 9900, "currency": "KRW", "name": "월간 구독"},
    ]
    with make_client(connection) as client:
        scheduled = client.schedule_payments(CUSTOMER, entries)
        in_range = client.find_schedules(now, now + 2 * 86400, schedule_status="scheduled")
        moved = client.update_schedule("sched_2", now + 7200)
        connection.clock.advance(120)
        executed = connection_run(connection)
        first = client.get_schedule("sched_1")
        revoked = client.unschedule_payments(customer_uid=CUSTOMER)
        by_customer = client.find_schedules_by_customer(CUSTOMER, now, now + 2 * 86400)
        same = client.get_customer_schedules(CUSTOMER, now, now + 2 * 86400, schedule_status="revoked")

    assert [entry["schedule_status"] for entry in scheduled] == ["scheduled", "scheduled"]
    assert [entry["merchant_uid"] for entry in in_range] == ["sched_2", "sched_1"]
    assert moved["schedule_at"] == now + 7200
    assert [entry["merchant_uid"] for entry in executed] == ["sched_1"]
    assert first["schedule_status"] == "executed"
    assert first["payment_status"] == "paid"
    assert connection.store.get(first["imp_uid"])["merchant_uid"] == "sched_1"
    assert [entry["merchant_uid"] for entry in revoked] == ["sched_2"]
    assert {entry["merchant_uid"]: entry["schedule_status"] for entry in by_customer} == {
        "sched_1": "executed",
        "sched_2": "revoked",
    }
    assert [entry["merchant_uid"] for entry in same] == ["sched_2"]


def test_schedule_rejects_duplicate_merchant_uid(connection):
    now = connection.clock.now()
    entry = {"merchant_uid": "sched_1", "schedule_at": now + 60, "amount": 9900, "currency": "KRW", "name": "구독"}
    with make_client(connection) as client:
        client.schedule_payments(CUSTOMER, [entry])
        with pytest.raises(PortOneApiError, match="이미 결제예약된 merchant_uid"):
            client.schedule_payments(CUSTOMER, [entry])


def test_drop_after_applies_schedule(connection):
    now = connection.clock.now()
    entry = {"merchant_uid": "sched_1", "schedule_at": now + 60, "amount": 9900, "currency": "KRW", "name": "구독"}
    connection.faults.add({"method": "POST", "path": "/payments/schedule$", "action": "drop_after", "times": 1})
    with make_client(connection) as client:
        with pytest.raises(PortOneTransportError):
            client.schedule_payments(CUSTOMER, [entry])
        assert client.get_schedule("sched_1")["schedule_status"] == "scheduled"


def connection_run(emulator) -> list[dict]:
    import requests

    response = requests.post(f"{emulator.url}/_emulator/schedules/run", timeout=5)
    response.raise_for_status()
    return response.json()["executed"]


def test_drop_after_applies_billing_key_save(connection):
    connection.faults.add({"method": "POST", "path": "^/subscribe/customers/", "action": "drop_after", "times": 1})
    with make_client(connection) as client:
        with pytest.raises(PortOneTransportError):
            client.save_billing_key("customer_dropped", "5365-1012-3456-7890", "2030-12")
        assert client.get_billing_key("customer_dropped")["customer_uid"] == "customer_dropped"


def test_drop_after_applies_unschedule(connection):
    now = connection.clock.now()
    entry = {"merchant_uid": "sched_1", "schedule_at": now + 60, "amount": 9900, "currency": "KRW", "name": "구독"}
    with make_client(connection) as client:
        client.schedule_payments(CUSTOMER, [entry])
        connection.faults.add({"method": "POST", "path": "/payments/unschedule$", "action": "drop_after", "times": 1})
        with pytest.raises(PortOneTransportError):
            client.unschedule_payments(merchant_uids=["sched_1"])
        assert client.get_schedule("sched_1")["schedule_status"] == "revoked"
