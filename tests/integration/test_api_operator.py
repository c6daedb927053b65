"""PortOneApiOperator against the emulator, and its checks of method, path and retries."""

from __future__ import annotations

import json

import pytest

from portone_provider.exceptions import PortOneApiError, PortOneServerError, PortOneValidationError
from portone_provider.operators.api import PortOneApiOperator, check_api_path
from tests.conftest import API_KEY, API_SECRET

PAYMENT = {"imp_uid": "imp_300000000001", "merchant_uid": "order_api_1", "status": "paid", "amount": 5000,
           "started_at": 1_793_459_000, "paid_at": 1_793_460_000}


@pytest.fixture
def connection(emulator, monkeypatch):
    fields = {"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_DEFAULT", json.dumps(fields))
    emulator.store.put(PAYMENT)
    return emulator


def test_get_returns_response_member(connection):
    operator = PortOneApiOperator(task_id="get", method="GET", path="/payments/imp_300000000001")
    assert operator.execute({})["merchant_uid"] == "order_api_1"


def test_query_list_repeats_key(connection):
    operator = PortOneApiOperator(
        task_id="list", method="get", path="/payments", query={"imp_uid[]": ["imp_300000000001", "imp_unknown"]}
    )
    result = operator.execute({})
    assert [payment["imp_uid"] for payment in result] == ["imp_300000000001"]


def test_post_sends_json_body_once(connection):
    operator = PortOneApiOperator(
        task_id="prepare", method="POST", path="/payments/prepare", body={"merchant_uid": "order_api_2", "amount": 1000}
    )
    assert operator.execute({}) == {"merchant_uid": "order_api_2", "amount": 1000, "currency": "KRW"}
    assert connection.stats["POST /payments/prepare"] == 1


def test_post_not_retried_on_5xx(connection):
    connection.faults.add({"method": "POST", "path": "^/payments/prepare$", "action": "status", "status": 503})
    operator = PortOneApiOperator(
        task_id="prepare", method="POST", path="/payments/prepare", body={"merchant_uid": "order_api_2", "amount": 1000}
    )
    with pytest.raises(PortOneServerError):
        operator.execute({})
    assert connection.stats["POST /payments/prepare"] == 1


def test_get_retried_on_5xx(connection):
    connection.faults.add({"method": "GET", "path": "^/payments/imp_", "action": "status", "status": 503, "times": 1,
                           "retry_after": 0})
    operator = PortOneApiOperator(task_id="get", method="GET", path="/payments/imp_300000000001")
    assert operator.execute({})["imp_uid"] == "imp_300000000001"
    assert connection.stats["GET /payments/{imp_uid}"] == 2


def test_portone_error_message_kept(connection):
    operator = PortOneApiOperator(task_id="get", method="GET", path="/payments/imp_999999999999")
    with pytest.raises(PortOneApiError, match="존재하지 않는 결제정보입니다") as caught:
        operator.execute({})
    assert API_SECRET not in str(caught.value)


def test_template_strings_checked_at_execute(connection):
    operator = PortOneApiOperator(task_id="get", method="{{ params.verb }}", path="/payments/{{ params.id }}")
    operator.method = "GET"
    operator.path = "/payments/imp_300000000001"
    assert operator.execute({})["status"] == "paid"


def test_airflow_params_stay_airflow_params():
    operator = PortOneApiOperator(task_id="get", method="GET", path="/banks", params={"day": "2026-11-01"})
    assert operator.query is None
    assert operator.params["day"] == "2026-11-01"


@pytest.mark.parametrize(
    "path",
    [
        "payments/imp_1",
        "https://api.iamport.kr/payments/imp_1",
        "//evil.example/payments",
        "/payments/../users/getToken",
        "/payments/imp_1?token=x",
        "/payments/imp 1",
        "/payments\\imp_1",
        "/payments/imp_1#x",
        "/users/pg\n",
    ],
)
def test_path_with_host_or_escape_rejected(path):
    with pytest.raises(PortOneValidationError, match="Invalid path"):
        PortOneApiOperator(task_id="bad", method="GET", path=path)


def test_plain_path_accepted():
    assert check_api_path("/subscribe/customers/cust_1/schedules") == "/subscribe/customers/cust_1/schedules"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_idempotent_write_rejected(method):
    with pytest.raises(PortOneValidationError, match="never retried"):
        PortOneApiOperator(task_id="bad", method=method, path="/payments/prepare", idempotent=True)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ({"method": "PATCH", "path": "/payments"}, "method"),
        ({"method": "GET", "path": "/payments", "body": {"a": 1}}, "body"),
        ({"method": "GET", "path": "/payments", "query": ["imp_uid[]"]}, "query"),
        ({"method": "GET", "path": "/payments", "query": {"imp_uid[]": [{"nested": 1}]}}, "query value"),
        ({"method": "GET", "path": "/payments", "idempotent": "yes"}, "idempotent"),
    ],
)
def test_invalid_call_rejected(arguments, fragment):
    with pytest.raises(PortOneValidationError, match=fragment):
        PortOneApiOperator(task_id="bad", **arguments)


def test_rendered_bad_path_fails_before_any_request(connection):
    operator = PortOneApiOperator(task_id="bad", method="GET", path="{{ params.path }}")
    operator.path = "https://evil.example/x"
    with pytest.raises(PortOneValidationError):
        operator.execute({})
    assert (connection.stats.get("requests") or 0) == 0
