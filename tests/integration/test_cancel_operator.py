"""PortOneCancelPaymentOperator.execute against the emulator, with a stand-in task_state_store.

Each Airflow try is modelled as a new operator instance (a new process in Airflow)
whose execute gets the same task_state_store.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException

from portone_provider.client.cancel import PortOneCancelPendingError
from portone_provider.emulator.api_cancel import cancel_book
from portone_provider.exceptions import PortOneApiError, PortOneTransportError
from portone_provider.operators.portone import PortOneCancelPaymentOperator
from tests.conftest import API_KEY, API_SECRET
from tests.integration.test_cancel_emulator import CARD, REFUND_ACCOUNT, USD, VBANK

BUYER_FIELDS = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")


class TaskStateStoreStandIn:
    """Dict-backed stand-in for Airflow's task_state_store: JSON values kept across tries."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self.values:
            return default
        return json.loads(self.values[key])

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        if value is None:
            raise ValueError("Cannot set value as None")
        self.values[key] = json.dumps(value)

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


def use_connection(monkeypatch, server, timeout: float = 5.0) -> None:
    connection = {"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": server.url,
                  "extra": {"timeout": timeout}}
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_DEFAULT", json.dumps(connection))


def run_try(store: TaskStateStoreStandIn | None, **kwargs) -> dict:
    """Run one Airflow-like try: a fresh operator, then execute with the shared store."""
    operator = PortOneCancelPaymentOperator(task_id="cancel_payment", **kwargs)
    context = {} if store is None else {"task_state_store": store}
    return operator.execute(context)


def applied_cancels(server) -> list[dict]:
    return [entry for entry in cancel_book(server).snapshot()["requests"] if entry["outcome"] == "applied"]


@pytest.fixture
def seeded(emulator, monkeypatch):
    buyer = {"buyer_name": "김하늘", "buyer_email": "sky@example.com", "buyer_tel": "010-2222-3333",
             "buyer_addr": "서울특별시 중구 세종대로 1", "buyer_postcode": "04524"}
    emulator.store.put_many([{**CARD, **buyer}, USD, VBANK])
    use_connection(monkeypatch, emulator)
    return emulator


@pytest.fixture
def store():
    return TaskStateStoreStandIn()


def test_partial_refund_result(seeded, store):
    result = run_try(store, imp_uid=CARD["imp_uid"], amount=3000, reason="부분 환불")

    assert result["outcome"] == "refunded"
    assert result["already_done"] is False
    assert result["pending"] is False
    assert result["cancelled_amount"] == 3000
    assert result["cancel_amount"] == 3000
    assert result["remaining"] == 7000
    assert result["status"] == "paid"
    assert result["requests_sent"] == 1
    created = seeded.store.get(CARD["imp_uid"])["cancel_history"]
    assert result["cancel_history"] == [{key: created[0][key] for key in result["cancel_history"][0]}]
    assert json.loads(json.dumps(result)) == result
    assert not set(BUYER_FIELDS) & set(result)
    assert "김하늘" not in json.dumps(result, ensure_ascii=False)
    assert json.loads(cancel_book(seeded).snapshot()["requests"][0]["body"])["checksum"] == 10000
    assert store.get("portone:cancel")["state"] == "done"


def test_full_refund_by_merchant_uid(seeded, store):
    result = run_try(store, merchant_uid=CARD["merchant_uid"], reason="주문 취소")
    assert result["imp_uid"] == CARD["imp_uid"]
    assert result["status"] == "cancelled"
    assert result["cancelled_amount"] == 10000
    assert result["remaining"] == 0
    assert result["requested_amount"] is None


def test_full_refund_of_cancelled_payment_sends_nothing(seeded, store):
    run_try(TaskStateStoreStandIn(), imp_uid=CARD["imp_uid"])
    result = run_try(store, imp_uid=CARD["imp_uid"])
    assert result["outcome"] == "already_done"
    assert result["cancelled_amount"] == 0
    assert result["cancel_history"] == []
    assert result["requests_sent"] == 0
    assert len(cancel_book(seeded).snapshot()["requests"]) == 1


def test_usd_partial_exact(seeded, store):
    result = run_try(store, imp_uid=USD["imp_uid"], amount="10.25")
    assert result["cancelled_amount"] == 10.25
    assert result["remaining"] == 68.23
    assert result["currency"] == "USD"


def test_vbank_refund_with_account(seeded, store):
    result = run_try(store, imp_uid=VBANK["imp_uid"], **REFUND_ACCOUNT)
    assert result["status"] == "cancelled"
    body = json.loads(applied_cancels(seeded)[0]["body"])
    assert body["refund_bank"] == "004"
    assert body["refund_account"] == "00123456789012"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "Missing imp_uid and merchant_uid"),
        ({"imp_uid": CARD["imp_uid"], "amount": 0}, "Invalid amount 0"),
        ({"imp_uid": CARD["imp_uid"], "amount": -100}, "Invalid amount -100"),
        ({"imp_uid": CARD["imp_uid"], "amount": "3천원"}, "Invalid amount '3천원'"),
        ({"imp_uid": CARD["imp_uid"], "amount": "None"}, "leave amount unset"),
        ({"imp_uid": CARD["imp_uid"], "checksum": "ten thousand"}, "Invalid checksum 'ten thousand'"),
        ({"imp_uid": VBANK["imp_uid"], **REFUND_ACCOUNT, "refund_bank": "4"}, "2 or 3 digits"),
        ({"imp_uid": VBANK["imp_uid"], **REFUND_ACCOUNT, "refund_account": "1234-5678"}, "digits only"),
        ({"imp_uid": VBANK["imp_uid"], "refund_holder": "홍길동"}, "Missing refund_bank, refund_account"),
    ],
)
def test_bad_input_fails_before_any_request(seeded, store, kwargs, expected):
    with pytest.raises(AirflowFailException, match=expected):
        run_try(store, **kwargs)
    assert seeded.stats["requests"] == 0
    assert store.values == {}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"imp_uid": CARD["imp_uid"], "amount": 10001}, "only 10000 KRW of payment imp_300000000001 is left"),
        ({"imp_uid": CARD["imp_uid"], "merchant_uid": USD["merchant_uid"]}, "belongs to merchant_uid 'order_card'"),
        ({"imp_uid": VBANK["imp_uid"]}, "Missing refund account for payment imp_300000000003"),
        ({"imp_uid": CARD["imp_uid"], "checksum": 9000}, "Invalid checksum 9000"),
        ({"imp_uid": USD["imp_uid"], "amount": "0.001"}, "at most 2 decimal places"),
    ],
)
def test_state_conflicts_fail_before_cancel(seeded, store, kwargs, expected):
    with pytest.raises(AirflowFailException, match=expected):
        run_try(store, **kwargs)
    assert seeded.stats.get("POST /payments/cancel") is None
    assert store.values == {}


def test_partial_of_fully_refunded_fails(seeded, store):
    run_try(TaskStateStoreStandIn(), imp_uid=CARD["imp_uid"])
    with pytest.raises(AirflowFailException, match="already fully refunded"):
        run_try(store, imp_uid=CARD["imp_uid"], amount=100)


def test_retry_after_lost_response_refunds_once(seeded, store):
    seeded.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "drop_after"})
    with pytest.raises(PortOneTransportError):
        run_try(store, imp_uid=CARD["imp_uid"], amount=3000)
    assert store.get("portone:cancel")["state"] == "sending"
    assert seeded.store.get(CARD["imp_uid"])["cancel_amount"] == 3000

    result = run_try(store, imp_uid=CARD["imp_uid"], amount=3000)

    assert result["outcome"] == "already_done"
    assert result["already_done"] is True
    assert result["cancelled_amount"] == 3000
    assert result["requests_sent"] == 1
    assert seeded.stats["POST /payments/cancel"] == 1
    assert seeded.store.get(CARD["imp_uid"])["cancel_amount"] == 3000


def test_retry_after_lost_full_response_refunds_once(seeded, store):
    seeded.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "drop_after"})
    with pytest.raises(PortOneTransportError):
        run_try(store, merchant_uid=CARD["merchant_uid"])
    result = run_try(store, merchant_uid=CARD["merchant_uid"])
    assert result["outcome"] == "already_done"
    assert result["cancelled_amount"] == 10000
    assert len(applied_cancels(seeded)) == 1


def test_retry_after_unapplied_failure_sends_again(seeded, store):
    seeded.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "status", "status": 502})
    with pytest.raises(PortOneApiError):
        run_try(store, imp_uid=CARD["imp_uid"], amount=3000)

    result = run_try(store, imp_uid=CARD["imp_uid"], amount=3000)

    assert result["outcome"] == "refunded"
    assert result["requests_sent"] == 2
    assert seeded.store.get(CARD["imp_uid"])["cancel_amount"] == 3000


def test_retry_after_success_sends_nothing(seeded, store):
    first = run_try(store, imp_uid=CARD["imp_uid"], amount=3000)
    second = run_try(store, imp_uid=CARD["imp_uid"], amount=3000)
    assert second["outcome"] == "already_done"
    assert second["cancel_history"] == first["cancel_history"]
    assert seeded.stats["POST /payments/cancel"] == 1


def test_equal_refunds_of_one_payment_each_applied(seeded):
    run_try(TaskStateStoreStandIn(), imp_uid=CARD["imp_uid"], amount=1000)
    run_try(TaskStateStoreStandIn(), imp_uid=CARD["imp_uid"], amount=1000)
    assert seeded.store.get(CARD["imp_uid"])["cancel_amount"] == 2000


def test_slow_response_then_retry_refunds_once(emulator, monkeypatch, store):
    emulator.store.put(CARD)
    use_connection(monkeypatch, emulator, timeout=0.2)
    emulator.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "delay", "delay": 0.6})
    with pytest.raises(PortOneTransportError):
        run_try(store, imp_uid=CARD["imp_uid"], amount=4000)

    # The retry runs while the slow cancel is still on its way: its own cancel carries the
    # same checksum, so only one of the two can apply.
    result = run_try(store, imp_uid=CARD["imp_uid"], amount=4000)
    assert result["cancelled_amount"] == 4000

    # Wait for the slow first request to reach the handler and get its response.
    deadline = time.monotonic() + 5
    while len(cancel_book(emulator).snapshot()["requests"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emulator.store.get(CARD["imp_uid"])["cancel_amount"] == 4000
    assert [entry["outcome"] for entry in cancel_book(emulator).snapshot()["requests"]] == ["applied", "rejected"]


def test_changed_request_on_retry_fails(seeded, store):
    seeded.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "drop_after"})
    with pytest.raises(PortOneTransportError):
        run_try(store, imp_uid=CARD["imp_uid"], amount=3000)
    with pytest.raises(AirflowFailException, match="A task instance refunds once"):
        run_try(store, imp_uid=CARD["imp_uid"], amount=4000)
    assert seeded.store.get(CARD["imp_uid"])["cancel_amount"] == 3000


def test_pending_cancel_reported_not_resent(seeded, store):
    cancel_book(seeded).hold_pg_providers.add("paypal_v2")
    result = run_try(store, imp_uid=USD["imp_uid"], amount="8.48")

    assert result["outcome"] == "pending"
    assert result["pending"] is True
    assert result["cancelled_amount"] == 0
    assert result["status"] == "paid"
    assert store.get("portone:cancel")["state"] == "pending"

    again = run_try(store, imp_uid=USD["imp_uid"], amount="8.48")
    assert again["outcome"] == "pending"
    assert seeded.stats["POST /payments/cancel"] == 1

    assert cancel_book(seeded).snapshot()["held"][USD["imp_uid"]][0]["amount"] == "8.48"


def test_pending_cancel_done_after_approval(seeded, store):
    cancel_book(seeded).hold_imp_uids.add(USD["imp_uid"])
    with pytest.raises(PortOneCancelPendingError, match="pending"):
        run_try(store, imp_uid=USD["imp_uid"], amount="8.48", fail_on_pending=True)

    requests.post(f"{seeded.url}/_emulator/cancels/approve", json={"imp_uid": USD["imp_uid"]}, timeout=5)
    result = run_try(store, imp_uid=USD["imp_uid"], amount="8.48", fail_on_pending=True)

    assert result["outcome"] == "already_done"
    assert result["cancelled_amount"] == 8.48
    assert seeded.stats["POST /payments/cancel"] == 1


def test_lost_response_on_pending_pg_never_resent(seeded, store):
    seeded.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "reset"})
    with pytest.raises(PortOneTransportError):
        run_try(store, imp_uid=USD["imp_uid"], amount="5")
    result = run_try(store, imp_uid=USD["imp_uid"], amount="5")
    assert result["outcome"] == "pending"
    assert seeded.stats["POST /payments/cancel"] == 1


def test_without_task_state_store_warns(seeded, caplog):
    result = run_try(None, imp_uid=CARD["imp_uid"], amount=500)
    assert result["outcome"] == "refunded"
    assert "no task_state_store" in caplog.text


def test_broken_intent_fails_without_cancel(seeded, store):
    store.set("portone:cancel", {"unexpected": True})
    with pytest.raises(AirflowFailException, match="cannot be read"):
        run_try(store, imp_uid=CARD["imp_uid"], amount=500)
    assert seeded.stats.get("POST /payments/cancel") is None


def test_refund_account_masked_after_rendering(seeded):
    from airflow.sdk._shared.secrets_masker import redact

    operator = PortOneCancelPaymentOperator(task_id="cancel_payment", imp_uid=VBANK["imp_uid"], **REFUND_ACCOUNT)
    operator.render_template_fields({})
    assert redact("account 00123456789012") == "account ***"


def test_retry_without_store_refuses_partial(seeded):
    context = {"ti": SimpleNamespace(try_number=2)}
    operator = PortOneCancelPaymentOperator(task_id="cancel_payment", imp_uid=CARD["imp_uid"], amount=500)
    with pytest.raises(AirflowFailException, match="cannot tell whether an earlier try"):
        operator.execute(context)
    assert seeded.stats["requests"] == 0


def test_retry_without_store_allows_full(seeded):
    context = {"ti": SimpleNamespace(try_number=2)}
    operator = PortOneCancelPaymentOperator(task_id="cancel_payment", imp_uid=CARD["imp_uid"])
    assert operator.execute(context)["status"] == "cancelled"
    again = PortOneCancelPaymentOperator(task_id="cancel_payment", imp_uid=CARD["imp_uid"]).execute(context)
    assert again["outcome"] == "already_done"
    assert len(applied_cancels(seeded)) == 1


def test_mismatched_ids_fail_even_when_cancelled(seeded, store):
    run_try(TaskStateStoreStandIn(), imp_uid=CARD["imp_uid"])
    with pytest.raises(AirflowFailException, match="belongs to merchant_uid 'order_card'"):
        run_try(store, imp_uid=CARD["imp_uid"], merchant_uid=USD["merchant_uid"])
