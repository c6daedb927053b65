"""PortOnePaymentSensor: construction checks, the pending-review rule, the summary and event handling."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

from portone_provider.exceptions import PortOneValidationError
from portone_provider.sensors.portone import WAIT_START_KEY, PortOnePaymentSensor
from portone_provider.triggers.portone import (
    DEFAULT_PENDING_REVIEW_PGS,
    SUMMARY_FIELDS,
    check_payment,
    is_pending_review,
    summarize_payment,
)
from tests.conftest import API_KEY, API_SECRET


@pytest.fixture
def portone_conn(monkeypatch, emulator):
    """The default Connection pointed at a fresh emulator, which must see no request."""
    conn = {"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_DEFAULT", json.dumps(conn))
    yield emulator
    assert emulator.stats["requests"] == 0


def sensor(**kwargs) -> PortOnePaymentSensor:
    kwargs.setdefault("task_id", "wait_for_payment")
    return PortOnePaymentSensor(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "pass exactly one of them"),
        ({"imp_uid": "imp_1", "merchant_uid": "order_1"}, "pass exactly one of them"),
        ({"imp_uid": ""}, "Missing imp_uid"),
        ({"merchant_uid": "a/b"}, "must not contain '/'"),
        ({"imp_uid": 12345}, "expected a non-empty string"),
    ],
)
def test_ids_rejected_before_http(portone_conn, kwargs, expected):
    with pytest.raises(PortOneValidationError, match=expected):
        sensor(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"success_statuses": ("paid", "settled")}, r"\['settled'\] are not PortOne payment statuses"),
        ({"failure_statuses": ("failed", "expired")}, r"\['expired'\] are not PortOne payment statuses"),
        ({"success_statuses": ("paid",), "failure_statuses": ("paid", "failed")}, r"in both success_statuses"),
        ({"success_statuses": ()}, "expected at least one status"),
        ({"success_statuses": "paid"}, "expected a list or tuple of statuses"),
        ({"pending_review_pgs": "paypal"}, "expected a list of PG codes"),
        ({"pending_review_pgs": ("paypal", "")}, "is not a PG code"),
    ],
)
def test_statuses_rejected_before_http(portone_conn, kwargs, expected):
    with pytest.raises(PortOneValidationError, match=expected):
        sensor(imp_uid="imp_1", **kwargs)


def test_status_error_names_fix(portone_conn):
    with pytest.raises(ValueError) as caught:
        sensor(imp_uid="imp_1", success_statuses=("paid", "done"))
    assert "success_statuses" in str(caught.value)
    assert "ready, paid, cancelled, failed" in str(caught.value)


def test_templates_pass_construction(portone_conn):
    waiting = sensor(merchant_uid="{{ params.merchant_uid }}")
    assert waiting.merchant_uid == "{{ params.merchant_uid }}"
    assert waiting.template_fields == ("imp_uid", "merchant_uid")


def test_defaults(portone_conn):
    waiting = sensor(imp_uid="imp_1")
    assert waiting.success_statuses == ("paid",)
    assert waiting.failure_statuses == ("failed", "cancelled")
    assert waiting.pending_review_pgs == DEFAULT_PENDING_REVIEW_PGS
    assert waiting.deferrable is False
    assert waiting.portone_conn_id == "portone_default"


def test_rendered_empty_id_rejected(portone_conn):
    waiting = sensor(merchant_uid="{{ params.merchant_uid }}")
    waiting.merchant_uid = "  "
    with pytest.raises(PortOneValidationError, match="Missing merchant_uid"):
        waiting.execute({})


def payment(status, pg_provider="html5_inicis", fail_reason=None):
    return {
        "imp_uid": "imp_1",
        "merchant_uid": "order_1",
        "status": status,
        "pg_provider": pg_provider,
        "fail_reason": fail_reason,
    }


@pytest.mark.parametrize(
    ("pg_provider", "fail_reason", "pending"),
    [
        ("paypal", None, True),
        ("paypal_v2", "", True),
        ("paymentwall", "Payment is PENDING review", True),
        ("paypal_v2", "결제 승인 대기", True),
        ("paypal_v2", "INSTRUMENT_DECLINED", False),
        ("paypal", "카드 한도 초과", False),
        ("html5_inicis", None, False),
        ("kcp", "pending", False),
    ],
)
def test_pending_review_rule(pg_provider, fail_reason, pending):
    failed = payment("failed", pg_provider, fail_reason)
    assert is_pending_review(failed, DEFAULT_PENDING_REVIEW_PGS) is pending

    check = check_payment(failed, ("paid",), ("failed", "cancelled"), DEFAULT_PENDING_REVIEW_PGS)
    assert check.outcome == ("waiting" if pending else "failure")
    assert check.pending_review is pending


def test_pending_review_rule_off():
    check = check_payment(payment("failed", "paypal"), ("paid",), ("failed",), ())
    assert check.outcome == "failure"


def test_cancelled_paypal_is_final():
    cancelled = payment("cancelled", "paypal")
    check = check_payment(cancelled, ("paid",), ("failed", "cancelled"), DEFAULT_PENDING_REVIEW_PGS)
    assert check.outcome == "failure"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("paid", "success"), ("ready", "waiting"), ("failed", "failure"), ("cancelled", "failure"), ("other", "waiting")],
)
def test_check_payment_outcomes(status, outcome):
    assert check_payment(payment(status), ("paid",), ("failed", "cancelled"), ()).outcome == outcome


def test_missing_payment_is_waiting():
    check = check_payment(None, ("paid",), ("failed",), ())
    assert check.outcome == "waiting"
    assert check.status is None


def test_summary_has_no_buyer_fields():
    full = {name: f"value_{name}" for name in SUMMARY_FIELDS}
    full.update(
        buyer_name="홍길동",
        buyer_email="buyer@example.com",
        buyer_tel="010-1234-5678",
        buyer_addr="서울특별시 강남구",
        buyer_postcode="06236",
        card_number="5365-10**-****-1234",
        vbank_num="12345678901234",
        custom_data='{"note": "private"}',
    )
    summary = summarize_payment(full)
    assert set(summary) == set(SUMMARY_FIELDS)
    assert not any(name.startswith("buyer_") for name in summary)
    assert "card_number" not in summary
    assert "custom_data" not in summary
    assert json.loads(json.dumps(summary)) == summary


EVENT_PAYMENT = {"imp_uid": "imp_1", "merchant_uid": "order_1", "status": "paid", "amount": 1000}


def test_success_event_returns_summary(portone_conn):
    event = {"status": "success", "payment": EVENT_PAYMENT, "message": "ok"}
    result = sensor(imp_uid="imp_1").execute_complete({}, event)
    assert result == EVENT_PAYMENT


@pytest.mark.parametrize(
    ("status", "error_class"),
    [("failure", AirflowFailException), ("timeout", AirflowSensorTimeout), ("error", AirflowException)],
)
def test_event_becomes_task_failure(portone_conn, status, error_class):
    message = f"PortOne payment imp_uid 'imp_1' event {status}"
    with pytest.raises(error_class, match=message):
        sensor(imp_uid="imp_1").execute_complete({}, {"status": status, "payment": None, "message": message})


def test_error_event_is_retryable(portone_conn):
    with pytest.raises(AirflowException) as caught:
        sensor(imp_uid="imp_1").execute_complete({}, {"status": "error", "message": "PortOneAuthError"})
    assert not isinstance(caught.value, AirflowFailException)


@pytest.mark.parametrize("event", [None, "paid", {"payment": {}}, {"status": "maybe"}])
def test_malformed_event_fails_clearly(portone_conn, event):
    with pytest.raises(AirflowException, match="PortOnePaymentTrigger sent an"):
        sensor(imp_uid="imp_1").execute_complete({}, event)


class DictStateStore:
    """A dict-backed stand-in for Airflow 3.3's task_state_store (get, set, delete)."""

    def __init__(self):
        self.values = {}
        self.retention = {}

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value, *, retention=None):
        self.values[key] = json.loads(json.dumps(value))
        self.retention[key] = retention

    def delete(self, key):
        self.values.pop(key, None)


class TaskInstanceStub:
    def __init__(self, max_tries, start_date=None):
        self.max_tries = max_tries
        self.start_date = start_date


def test_wait_start_survives_retries(portone_conn):
    store = DictStateStore()
    waiting = sensor(imp_uid="imp_1", retries=2, timeout=600)

    first = waiting._wait_started({"ti": TaskInstanceStub(max_tries=2), "task_state_store": store})
    # A retry is a later try of the same run: max_tries and retries are unchanged.
    again = waiting._wait_started({"ti": TaskInstanceStub(max_tries=2), "task_state_store": store})

    assert again == first
    assert store.values[WAIT_START_KEY]["first_try"] == 1
    assert store.retention[WAIT_START_KEY] == timedelta(seconds=600) + timedelta(days=1)


def test_wait_start_resets_after_clear(portone_conn):
    store = DictStateStore()
    waiting = sensor(imp_uid="imp_1", retries=2)
    old_start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    store.set(WAIT_START_KEY, {"started_at": old_start.isoformat(), "first_try": 1})

    # Clearing the task raises max_tries, so the first try of the new wait is try 4.
    started = waiting._wait_started({"ti": TaskInstanceStub(max_tries=5), "task_state_store": store})

    assert started > old_start
    assert store.values[WAIT_START_KEY]["first_try"] == 4


def test_wait_start_without_store_uses_start_date(portone_conn):
    start_date = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)
    waiting = sensor(imp_uid="imp_1")
    assert waiting._wait_started({"ti": TaskInstanceStub(max_tries=0, start_date=start_date)}) == start_date
