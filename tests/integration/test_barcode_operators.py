"""Barcode operators against the emulator, with a dict-backed task_state_store across tries."""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from portone_provider.exceptions import (
    PortOneApiError,
    PortOneOutcomeUnknownError,
    PortOneTransportError,
    PortOneValidationError,
)
from portone_provider.operators import barcode as barcode_module
from portone_provider.operators.portone import PortOneIssueBarcodeOperator, PortOneRevokeBarcodeOperator
from tests.conftest import API_KEY, API_SECRET


class DictTaskStateStore:
    """Stands in for Airflow 3.3's task_state_store: survives tries because the test keeps it."""

    def __init__(self) -> None:
        self.values: dict = {}

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value, retention=None):
        self.values[key] = json.loads(json.dumps(value))  # the real store keeps JSON only

    def delete(self, key):
        self.values.pop(key, None)


@pytest.fixture
def portone_conn(emulator, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_PORTONE_DEFAULT",
        json.dumps({"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": emulator.url}),
    )
    return emulator


def issue_operator(**kwargs) -> PortOneIssueBarcodeOperator:
    kwargs.setdefault("merchant_uid", "order_op_1")
    kwargs.setdefault("amount", 15000)
    return PortOneIssueBarcodeOperator(task_id="issue_barcode", **kwargs)


def run(operator, store: DictTaskStateStore | None = None):
    context = {} if store is None else {"task_state_store": store}
    return operator.execute(context)


def pay(emulator, imp_uid: str) -> None:
    response = requests.post(f"{emulator.url}/_emulator/cvs/{imp_uid}/pay", timeout=5)
    assert response.status_code == 200, response.text


def barcodes_of(emulator, merchant_uid: str) -> list[dict]:
    return [payment for payment in emulator.store.all() if payment["merchant_uid"] == merchant_uid]


def cvs_posts(emulator) -> int:
    return emulator.stats.get("POST /cvs") or 0


def test_issue_returns_summary(portone_conn):
    due = int(time.time()) + 86400
    summary = run(
        issue_operator(expired_at=str(due), amount="15000", buyer_tel="010-1234-5678", buyer_name="김민준"),
        DictTaskStateStore(),
    )

    stored = portone_conn.store.get(summary["imp_uid"])
    assert summary["outcome"] == "issued"
    assert summary["status"] == "ready"
    assert summary["amount"] == 15000
    assert summary["barcode"] == stored["vbank_num"]
    assert summary["expired_at"] == due
    assert summary["merchant_uid"] == "order_op_1"
    assert stored["buyer_tel"] == "010-1234-5678"
    assert "010-1234-5678" not in json.dumps(summary, ensure_ascii=False)
    assert "김민준" not in json.dumps(summary, ensure_ascii=False)


def test_issue_retry_after_lost_answer_issues_once(portone_conn):
    store = DictTaskStateStore()
    portone_conn.faults.add({"method": "POST", "path": "^/cvs$", "action": "drop_after"})

    with pytest.raises(PortOneTransportError):
        run(issue_operator(), store)
    assert len(barcodes_of(portone_conn, "order_op_1")) == 1

    summary = run(issue_operator(), store)

    barcodes = barcodes_of(portone_conn, "order_op_1")
    assert len(barcodes) == 1
    assert summary["imp_uid"] == barcodes[0]["imp_uid"]
    assert summary["outcome"] == "reused"
    assert cvs_posts(portone_conn) == 1


def later(monkeypatch, seconds):
    """Stand for a retry that starts ``seconds`` after now."""
    monkeypatch.setattr(barcode_module, "current_time", lambda: time.time() + seconds)


def test_issue_retry_after_request_never_arrived(portone_conn, monkeypatch):
    store = DictTaskStateStore()
    portone_conn.faults.add({"method": "POST", "path": "^/cvs$", "action": "reset"})

    with pytest.raises(PortOneTransportError):
        run(issue_operator(), store)
    assert barcodes_of(portone_conn, "order_op_1") == []

    later(monkeypatch, 301)
    summary = run(issue_operator(), store)

    assert summary["outcome"] == "issued"
    assert len(barcodes_of(portone_conn, "order_op_1")) == 1


def test_immediate_retry_waits_for_unanswered_issue(portone_conn, monkeypatch):
    store = DictTaskStateStore()
    portone_conn.faults.add({"method": "POST", "path": "^/cvs$", "action": "reset"})
    with pytest.raises(PortOneTransportError):
        run(issue_operator(), store)

    with pytest.raises(PortOneOutcomeUnknownError, match="order_op_1"):
        run(issue_operator(), store)
    later(monkeypatch, 200)
    with pytest.raises(PortOneOutcomeUnknownError):
        run(issue_operator(), store)

    assert barcodes_of(portone_conn, "order_op_1") == []
    assert cvs_posts(portone_conn) == 1


def test_late_applied_issue_found_by_retry(portone_conn, monkeypatch):
    # PortOne applies the request after the client gave up; the retry within
    # reissue_after waits, and the one after it finds the barcode instead of issuing.
    store = DictTaskStateStore()
    portone_conn.faults.add({"method": "POST", "path": "^/cvs$", "action": "delay", "delay": 1.0})
    operator = issue_operator()
    operator.hook.get_conn().timeout = 0.2
    with pytest.raises(PortOneTransportError):
        run(operator, store)

    with pytest.raises(PortOneOutcomeUnknownError):
        run(issue_operator(), store)
    time.sleep(1.2)
    later(monkeypatch, 301)
    summary = run(issue_operator(), store)

    assert summary["outcome"] == "reused"
    assert len(barcodes_of(portone_conn, "order_op_1")) == 1


def test_issue_server_error_keeps_intent_for_retry(portone_conn, monkeypatch):
    store = DictTaskStateStore()
    portone_conn.faults.add({"method": "POST", "path": "^/cvs$", "action": "status", "status": 503})

    with pytest.raises(PortOneApiError):
        run(issue_operator(), store)
    assert store.values["portone_barcode:issue"]["merchant_uid"] == "order_op_1"

    later(monkeypatch, 301)
    summary = run(issue_operator(), store)

    assert summary["outcome"] == "issued"
    assert len(barcodes_of(portone_conn, "order_op_1")) == 1


def test_issue_rerun_returns_recorded_barcode(portone_conn):
    store = DictTaskStateStore()
    first = run(issue_operator(), store)
    finds_before = portone_conn.stats.get("GET /payments/find/{merchant_uid}/{payment_status}")

    second = run(issue_operator(), store)

    assert second["imp_uid"] == first["imp_uid"]
    assert second["outcome"] == "reused"
    assert cvs_posts(portone_conn) == 1
    # The recorded imp_uid is read directly, with no search by merchant_uid.
    assert portone_conn.stats.get("GET /payments/find/{merchant_uid}/{payment_status}") == finds_before


def test_issue_without_state_store_once(portone_conn, caplog):
    portone_conn.faults.add({"method": "POST", "path": "^/cvs$", "action": "drop_after"})
    with pytest.raises(PortOneTransportError):
        run(issue_operator())

    with caplog.at_level(logging.WARNING):
        summary = run(issue_operator())

    assert "no task_state_store" in caplog.text
    assert summary["outcome"] == "reused"
    assert len(barcodes_of(portone_conn, "order_op_1")) == 1


def test_issue_returns_barcode_paid_meanwhile(portone_conn):
    store = DictTaskStateStore()
    portone_conn.faults.add({"method": "POST", "path": "^/cvs$", "action": "drop_after"})
    with pytest.raises(PortOneTransportError):
        run(issue_operator(), store)
    pay(portone_conn, barcodes_of(portone_conn, "order_op_1")[0]["imp_uid"])

    summary = run(issue_operator(), store)

    assert summary["status"] == "paid"
    assert summary["paid_at"]
    assert cvs_posts(portone_conn) == 1


def test_issue_for_paid_order_keeps_korean_message(portone_conn):
    portone_conn.store.put(
        {"imp_uid": "imp_300000000001", "merchant_uid": "order_op_1", "pay_method": "card", "status": "paid",
         "amount": 15000, "started_at": 1_793_500_000, "paid_at": 1_793_500_060}
    )
    store = DictTaskStateStore()

    with pytest.raises(PortOneApiError) as caught:
        run(issue_operator(), store)

    assert "이미 결제가 완료된 주문번호" in caught.value.message
    assert API_SECRET not in str(caught.value)
    assert store.values == {}  # a rejected request leaves no intent behind


def test_issue_rejects_other_amount(portone_conn):
    run(issue_operator(amount=15000), DictTaskStateStore())

    with pytest.raises(AirflowFailException, match="already has unpaid barcode"):
        run(issue_operator(amount=20000), DictTaskStateStore())
    assert cvs_posts(portone_conn) == 1


def test_issue_replaces_expired_unpaid_barcode(portone_conn):
    first = run(issue_operator(), DictTaskStateStore())
    requests.post(f"{portone_conn.url}/_emulator/cvs/{first['imp_uid']}/expire", timeout=5)

    second = run(issue_operator(), DictTaskStateStore())

    assert second["outcome"] == "issued"
    assert second["imp_uid"] != first["imp_uid"]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": "-500"}, "amount"),
        ({"amount": "ten thousand"}, "amount"),
        ({"expired_at": int(time.time()) - 60}, "expired_at"),
        ({"expired_at": "2020-01-01T00:00:00+09:00"}, "expired_at"),
        ({"expired_at": "2030-01-01T00:00:00"}, "expired_at"),
        ({"notice_url": "ftp://shop.example.com/hook"}, "notice_url"),
        ({"notice_url": ["https://ok.example.com/hook", "javascript:alert(1)"]}, "notice_url[1]"),
        ({"merchant_uid": ""}, "merchant_uid"),
    ],
)
def test_issue_bad_input_sends_no_request(portone_conn, kwargs, argument):
    with pytest.raises(PortOneValidationError) as caught:
        run(issue_operator(**kwargs), DictTaskStateStore())
    assert argument in str(caught.value)
    assert portone_conn.stats["requests"] == 0


def test_revoke_ready_barcode(portone_conn):
    issued = run(issue_operator(), DictTaskStateStore())

    summary = run(PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid=issued["imp_uid"]))

    assert summary["outcome"] == "revoked"
    assert summary["status"] == "cancelled"
    assert portone_conn.store.get(issued["imp_uid"])["status"] == "cancelled"


def test_revoke_twice_succeeds(portone_conn):
    issued = run(issue_operator(), DictTaskStateStore())
    operator = PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid=issued["imp_uid"])
    run(operator)
    deletes = portone_conn.stats["DELETE /cvs/{imp_uid}"]

    summary = run(operator)

    assert summary["outcome"] == "already_revoked"
    assert portone_conn.stats["DELETE /cvs/{imp_uid}"] == deletes


def test_revoke_lost_answer_counts_as_revoked(portone_conn):
    issued = run(issue_operator(), DictTaskStateStore())
    portone_conn.faults.add({"method": "DELETE", "path": "^/cvs/", "action": "drop_after"})

    summary = run(PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid=issued["imp_uid"]))

    assert summary["outcome"] == "revoked"
    assert summary["status"] == "cancelled"


def test_revoke_paid_fails_by_default(portone_conn, capsys):
    issued = run(issue_operator(), DictTaskStateStore())
    pay(portone_conn, issued["imp_uid"])

    with pytest.raises(AirflowFailException, match="stays paid"):
        run(PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid=issued["imp_uid"]))

    # Operators log through Airflow's structlog, which prints to stdout outside a task.
    assert f"Barcode {issued['imp_uid']} (order order_op_1) was paid at" in capsys.readouterr().out
    assert portone_conn.store.get(issued["imp_uid"])["status"] == "paid"
    assert portone_conn.stats.get("DELETE /cvs/{imp_uid}") is None


def test_revoke_paid_skips_when_asked(portone_conn):
    issued = run(issue_operator(), DictTaskStateStore())
    pay(portone_conn, issued["imp_uid"])

    with pytest.raises(AirflowSkipException, match="was paid at"):
        run(PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid=issued["imp_uid"], if_paid="skip"))
    assert portone_conn.store.get(issued["imp_uid"])["status"] == "paid"


def test_revoke_paid_during_delete_is_reported(portone_conn):
    issued = run(issue_operator(), DictTaskStateStore())
    # The customer pays after the operator's look-up, so the emulator rejects the DELETE itself.
    route = portone_conn.api_router.resolve("DELETE", f"/cvs/{issued['imp_uid']}").route
    handler = route.handler

    def pay_first(request):
        pay(portone_conn, issued["imp_uid"])
        return handler(request)

    route.handler = pay_first
    with pytest.raises(AirflowSkipException):
        run(PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid=issued["imp_uid"], if_paid="skip"))
    assert portone_conn.stats["DELETE /cvs/{imp_uid}"] == 1
    assert portone_conn.store.get(issued["imp_uid"])["status"] == "paid"


def test_revoke_bad_input_sends_no_request(portone_conn):
    with pytest.raises(PortOneValidationError, match="imp_uid"):
        run(PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid="  "))
    assert portone_conn.stats["requests"] == 0


def test_revoke_card_payment_rejected(portone_conn):
    portone_conn.store.put(
        {"imp_uid": "imp_300000000002", "merchant_uid": "order_card", "pay_method": "card", "status": "paid",
         "amount": 1000, "started_at": 1_793_500_000, "paid_at": 1_793_500_060}
    )
    with pytest.raises(PortOneValidationError, match="not a convenience-store barcode"):
        run(PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid="imp_300000000002"))
    assert portone_conn.stats.get("DELETE /cvs/{imp_uid}") is None
