"""Cash-receipt operators against the emulator: issue at most once per payment, revoke safely."""

from __future__ import annotations

import json

import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException

from portone_provider.exceptions import (
    PortOneApiError,
    PortOneNotFoundError,
    PortOneTransportError,
    PortOneValidationError,
)
from portone_provider.operators.receipt import PortOneIssueReceiptOperator, PortOneRevokeReceiptOperator
from tests.conftest import API_KEY, API_SECRET, fast_retry, make_client

IDENTIFIER = "01098765432"


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
    return emulator


@pytest.fixture
def paid_vbank(connection) -> str:
    """A virtual account paid in full, ready for a cash receipt."""
    with make_client(connection) as client:
        imp_uid = client.issue_vbank("order_receipt_1", 33000, "088", 4_070_876_400)["imp_uid"]
    requests.post(f"{connection.url}/_emulator/vbanks/{imp_uid}/deposit", timeout=5).raise_for_status()
    connection.stats.reset()
    return imp_uid


def issue_operator(imp_uid: str, **overrides) -> PortOneIssueReceiptOperator:
    arguments = {"task_id": "issue_receipt", "imp_uid": imp_uid, "identifier": IDENTIFIER, "identifier_type": "phone"}
    arguments.update(overrides)
    return PortOneIssueReceiptOperator(**arguments)


def test_issue_receipt_for_paid_account(connection, paid_vbank):
    result = issue_operator(paid_vbank).execute({"task_state_store": StateStore()})

    assert result["outcome"] == "issued"
    assert result["imp_uid"] == paid_vbank
    assert result["amount"] == 33000
    assert result["vat"] == 3000
    assert result["type"] == "person"
    assert result["cancelled_at"] is None
    assert IDENTIFIER not in json.dumps(result)
    assert connection.store.get(paid_vbank)["cash_receipt_issued"] is True


def test_retry_returns_issued_receipt(connection, paid_vbank):
    store = StateStore()
    first = issue_operator(paid_vbank).execute({"task_state_store": store})
    second = issue_operator(paid_vbank).execute({"task_state_store": store})

    assert second["outcome"] == "already_issued"
    assert second["receipt_tid"] == first["receipt_tid"]
    assert connection.stats["POST /receipts/{imp_uid}"] == 1


def test_lost_answer_recovered_in_same_try(connection, paid_vbank):
    connection.faults.add({"method": "POST", "path": "^/receipts/", "action": "drop_after", "times": 1})
    result = issue_operator(paid_vbank).execute({"task_state_store": StateStore()})
    assert result["outcome"] == "issued"
    assert connection.stats["POST /receipts/{imp_uid}"] == 1


def test_lost_answer_recovered_by_retry(connection, paid_vbank):
    store = StateStore()
    connection.faults.add({"method": "POST", "path": "^/receipts/", "action": "drop_after", "times": 1})
    connection.faults.add({"method": "GET", "path": "^/receipts/", "action": "reset", "skip": 1, "times": 2})
    operator = issue_operator(paid_vbank)
    with make_client(connection, retry=fast_retry(max_retries=1)) as client:
        operator.hook.get_conn = lambda: client
        with pytest.raises(PortOneTransportError):
            operator.execute({"task_state_store": store})

    retried = issue_operator(paid_vbank).execute({"task_state_store": store})
    assert retried["outcome"] == "already_issued"
    assert connection.stats["POST /receipts/{imp_uid}"] == 1


def test_revoked_receipt_of_earlier_try_is_not_reissued(connection, paid_vbank):
    store = StateStore()
    issue_operator(paid_vbank).execute({"task_state_store": store})
    with make_client(connection) as client:
        client.revoke_receipt(paid_vbank)

    with pytest.raises(AirflowFailException, match="revoked since"):
        issue_operator(paid_vbank).execute({"task_state_store": store})
    assert connection.stats["POST /receipts/{imp_uid}"] == 1


def test_new_task_reissues_revoked_receipt(connection, paid_vbank):
    issue_operator(paid_vbank).execute({"task_state_store": StateStore()})
    with make_client(connection) as client:
        client.revoke_receipt(paid_vbank)

    result = issue_operator(paid_vbank).execute({"task_state_store": StateStore()})
    assert result["outcome"] == "issued"
    assert result["cancelled_at"] is None


def test_unpaid_payment_keeps_portone_message(connection):
    with make_client(connection) as client:
        imp_uid = client.issue_vbank("order_receipt_2", 33000, "088", 4_070_876_400)["imp_uid"]
    with pytest.raises(PortOneApiError, match="결제완료\\(paid\\) 상태의 거래에만") as caught:
        issue_operator(imp_uid).execute({"task_state_store": StateStore()})
    assert caught.value.http_status == 400
    assert API_SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"identifier": ""}, "identifier"),
        ({"identifier_type": "email"}, "identifier_type"),
        ({"receipt_type": "shop"}, "type"),
        ({"options": {"vat_amount": "abc"}}, "vat_amount"),
        ({"imp_uid": "imp/1"}, "imp_uid"),
    ],
)
def test_bad_input_fails_before_any_request(connection, overrides, fragment):
    with pytest.raises(PortOneValidationError, match=fragment):
        issue_operator(**{"imp_uid": "imp_000000000001", **overrides}).execute({"task_state_store": StateStore()})
    assert (connection.stats.get("requests") or 0) == 0


def test_identifier_is_a_templated_field():
    assert "identifier" in PortOneIssueReceiptOperator.template_fields


# Revoke


def test_revoke_receipt(connection, paid_vbank):
    issue_operator(paid_vbank).execute({"task_state_store": StateStore()})
    result = PortOneRevokeReceiptOperator(task_id="revoke", imp_uid=paid_vbank).execute({})

    assert result["outcome"] == "revoked"
    assert result["cancelled_at"]
    assert connection.store.get(paid_vbank)["cash_receipt_issued"] is False


def test_revoke_twice_sends_one_delete(connection, paid_vbank):
    issue_operator(paid_vbank).execute({"task_state_store": StateStore()})
    PortOneRevokeReceiptOperator(task_id="revoke", imp_uid=paid_vbank).execute({})
    again = PortOneRevokeReceiptOperator(task_id="revoke", imp_uid=paid_vbank).execute({})

    assert again["outcome"] == "already_revoked"
    assert connection.stats["DELETE /receipts/{imp_uid}"] == 1


def test_revoke_lost_answer_reports_revoked(connection, paid_vbank):
    issue_operator(paid_vbank).execute({"task_state_store": StateStore()})
    connection.faults.add({"method": "DELETE", "path": "^/receipts/", "action": "drop_after", "times": 1})
    result = PortOneRevokeReceiptOperator(task_id="revoke", imp_uid=paid_vbank).execute({})
    assert result["outcome"] == "revoked"
    assert connection.stats["DELETE /receipts/{imp_uid}"] == 1


def test_revoke_without_receipt(connection, paid_vbank):
    with pytest.raises(AirflowFailException, match="nothing to revoke"):
        PortOneRevokeReceiptOperator(task_id="revoke", imp_uid=paid_vbank).execute({})
    result = PortOneRevokeReceiptOperator(task_id="revoke", imp_uid=paid_vbank, missing_ok=True).execute({})
    assert result["outcome"] == "not_issued"
    assert connection.stats.get("DELETE /receipts/{imp_uid}") is None


def test_client_get_receipt_not_found(connection, paid_vbank):
    with make_client(connection) as client, pytest.raises(PortOneNotFoundError, match="발급된 현금영수증이 없습니다"):
        client.get_receipt(paid_vbank)
