"""Virtual-account operators against the emulator: issue at most once, revoke safely."""

from __future__ import annotations

import json

import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from portone_provider.exceptions import PortOneApiError, PortOneServerError, PortOneTransportError, PortOneValidationError
from portone_provider.operators.vbank import PortOneIssueVbankOperator, PortOneRevokeVbankOperator
from tests.conftest import API_KEY, API_SECRET, fast_retry, make_client

ORDER = "order_vbank_0001"


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


def issue_operator(**overrides) -> PortOneIssueVbankOperator:
    arguments = {
        "task_id": "issue_vbank",
        "merchant_uid": ORDER,
        "amount": 15000,
        "vbank_code": "004",
        "vbank_due": "2099-01-01T00:00:00+09:00",
        "vbank_holder": "한빛상점",
        "name": "유기농 현미 5kg",
        "buyer_name": "김민준",
    }
    arguments.update(overrides)
    return PortOneIssueVbankOperator(**arguments)


def with_client(operator, client):
    """Let the operator use `client` (fast retries) instead of one built from the Connection."""
    operator.hook.get_conn = lambda: client
    return operator


def vbanks(emulator) -> list[dict]:
    return [payment for payment in emulator.store.all() if payment["pay_method"] == "vbank"]


def test_issue_creates_ready_account(connection):
    result = issue_operator().execute({"task_state_store": StateStore()})

    assert result["outcome"] == "issued"
    assert result["status"] == "ready"
    assert result["vbank_code"] == "004"
    assert result["vbank_name"] == "KB국민은행"
    assert result["vbank_num"]
    assert result["vbank_date"] == 4070876400
    assert result["vbank_date_kst"] == "2099-01-01T00:00:00+09:00"
    assert "buyer_name" not in result
    assert [payment["imp_uid"] for payment in vbanks(connection)] == [result["imp_uid"]]


def test_retry_returns_issued_account(connection):
    store = StateStore()
    first = issue_operator().execute({"task_state_store": store})
    second = issue_operator().execute({"task_state_store": store})

    assert second["outcome"] == "already_issued"
    assert second["imp_uid"] == first["imp_uid"]
    assert connection.stats["POST /vbanks"] == 1
    assert len(vbanks(connection)) == 1


def test_lost_answer_recovered_in_same_try(connection):
    connection.faults.add({"method": "POST", "path": "^/vbanks$", "action": "drop_after", "times": 1})
    result = issue_operator().execute({"task_state_store": StateStore()})

    assert result["outcome"] == "issued"
    assert connection.stats["POST /vbanks"] == 1
    assert [payment["imp_uid"] for payment in vbanks(connection)] == [result["imp_uid"]]


def test_lost_answer_recovered_by_retry(connection):
    store = StateStore()
    connection.faults.add({"method": "POST", "path": "^/vbanks$", "action": "drop_after", "times": 1})
    connection.faults.add({"method": "GET", "path": "^/payments/findAll/", "action": "reset", "skip": 1, "times": 2})
    with make_client(connection, retry=fast_retry(max_retries=1)) as client:
        with pytest.raises(PortOneTransportError):
            with_client(issue_operator(), client).execute({"task_state_store": store})

    retried = issue_operator().execute({"task_state_store": store})
    assert retried["outcome"] == "already_issued"
    assert connection.stats["POST /vbanks"] == 1
    assert len(vbanks(connection)) == 1


def test_drop_after_applies_the_issue(connection):
    connection.faults.add({"method": "POST", "path": "^/vbanks$", "action": "drop_after", "times": 1})
    with make_client(connection) as client, pytest.raises(PortOneTransportError):
        client.issue_vbank(ORDER, 15000, "004", 4_070_876_400)
    assert [payment["status"] for payment in vbanks(connection)] == ["ready"]


def test_existing_account_with_other_amount_fails(connection):
    with make_client(connection) as client:
        client.issue_vbank(ORDER, 9900, "004", 4_070_876_400)
    with pytest.raises(AirflowFailException, match="amount 9900, not 15000"):
        issue_operator().execute({"task_state_store": StateStore()})
    assert connection.stats["POST /vbanks"] == 1


def test_revoked_account_of_earlier_try_is_not_replaced(connection):
    store = StateStore()
    issued = issue_operator().execute({"task_state_store": store})
    with make_client(connection) as client:
        client.revoke_vbank(issued["imp_uid"])

    with pytest.raises(AirflowFailException, match="is now cancelled"):
        issue_operator().execute({"task_state_store": store})
    assert connection.stats["POST /vbanks"] == 1


def test_without_state_store_lookup_still_prevents_second_issue(connection):
    first = issue_operator().execute({})
    second = issue_operator().execute({})
    assert second["outcome"] == "already_issued"
    assert second["imp_uid"] == first["imp_uid"]


def test_changed_request_between_tries_fails(connection):
    store = StateStore()
    connection.faults.add({"method": "POST", "path": "^/vbanks$", "action": "status", "status": 503, "times": 1})
    with pytest.raises(PortOneServerError):
        issue_operator().execute({"task_state_store": store})
    with pytest.raises(AirflowFailException, match="Templated values changed"):
        issue_operator(amount=20000).execute({"task_state_store": store})


def test_rendered_unix_seconds_accepted(connection):
    result = issue_operator(vbank_due="4070876400").execute({"task_state_store": StateStore()})
    assert result["vbank_date"] == 4070876400


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"amount": -1}, "amount"),
        ({"vbank_due": "2099-01-01T00:00:00"}, "vbank_due"),
        ({"merchant_uid": ""}, "merchant_uid"),
        ({"options": {"tax_free": -5}}, "tax_free"),
    ],
)
def test_bad_input_fails_before_any_request(connection, overrides, fragment):
    with pytest.raises(PortOneValidationError, match=fragment):
        issue_operator(**overrides).execute({"task_state_store": StateStore()})
    assert (connection.stats.get("requests") or 0) == 0


def test_unknown_option_rejected_at_construction():
    with pytest.raises(PortOneValidationError, match="unknown vbank_number"):
        issue_operator(options={"vbank_number": "1"})


def test_emulator_rejects_issue_for_paid_order(connection):
    with make_client(connection) as client:
        issued = client.issue_vbank(ORDER, 15000, "004", 4_070_876_400)
        requests.post(f"{connection.url}/_emulator/vbanks/{issued['imp_uid']}/deposit", timeout=5).raise_for_status()
        with pytest.raises(PortOneApiError, match="이미 결제가 완료된 주문번호"):
            client.issue_vbank(ORDER, 15000, "004", 4_070_876_400)


# Revoke


def issued_account(emulator) -> str:
    with make_client(emulator) as client:
        return client.issue_vbank(ORDER, 15000, "004", 4_070_876_400)["imp_uid"]


def test_revoke_ready_account(connection):
    imp_uid = issued_account(connection)
    result = PortOneRevokeVbankOperator(task_id="revoke", imp_uid=imp_uid).execute({})

    assert result["outcome"] == "revoked"
    assert result["status"] == "cancelled"
    assert connection.store.get(imp_uid)["status"] == "cancelled"


def test_revoke_twice_sends_one_delete(connection):
    imp_uid = issued_account(connection)
    PortOneRevokeVbankOperator(task_id="revoke", imp_uid=imp_uid).execute({})
    again = PortOneRevokeVbankOperator(task_id="revoke", imp_uid=imp_uid).execute({})

    assert again["outcome"] == "already_revoked"
    assert connection.stats["DELETE /vbanks/{imp_uid}"] == 1


def test_revoke_lost_answer_reports_revoked(connection):
    imp_uid = issued_account(connection)
    connection.faults.add({"method": "DELETE", "path": "^/vbanks/", "action": "drop_after", "times": 1})
    result = PortOneRevokeVbankOperator(task_id="revoke", imp_uid=imp_uid).execute({})
    assert result["outcome"] == "revoked"
    assert connection.stats["DELETE /vbanks/{imp_uid}"] == 1


@pytest.mark.parametrize("if_paid, error", [("fail", AirflowFailException), ("skip", AirflowSkipException)])
def test_revoke_paid_account_is_reported(connection, if_paid, error):
    imp_uid = issued_account(connection)
    requests.post(f"{connection.url}/_emulator/vbanks/{imp_uid}/deposit", timeout=5).raise_for_status()
    with pytest.raises(error, match="was paid"):
        PortOneRevokeVbankOperator(task_id="revoke", imp_uid=imp_uid, if_paid=if_paid).execute({})
    assert connection.store.get(imp_uid)["status"] == "paid"
    assert connection.stats.get("DELETE /vbanks/{imp_uid}") is None


def test_revoke_rejects_other_pay_method(connection):
    connection.store.put({"imp_uid": "imp_card_1", "merchant_uid": "o_card", "pay_method": "card", "amount": 1000,
                          "status": "paid", "started_at": 1, "paid_at": 2})
    with pytest.raises(PortOneValidationError, match="not a virtual account"):
        PortOneRevokeVbankOperator(task_id="revoke", imp_uid="imp_card_1").execute({})


def test_emulator_rejects_revoke_of_paid_account(connection):
    imp_uid = issued_account(connection)
    requests.post(f"{connection.url}/_emulator/vbanks/{imp_uid}/deposit", timeout=5).raise_for_status()
    with make_client(connection) as client, pytest.raises(PortOneApiError, match="이미 입금이 완료된 가상계좌"):
        client.revoke_vbank(imp_uid)


def test_modify_and_holder(connection):
    imp_uid = issued_account(connection)
    with make_client(connection) as client:
        modified = client.modify_vbank(imp_uid, amount=20000, vbank_due=4_070_900_000)
        holder = client.get_vbank_holder("004", "123-456-7890123")

    assert modified["amount"] == 20000
    assert modified["vbank_date"] == 4_070_900_000
    assert holder["bank_holder"]
