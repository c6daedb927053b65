"""PortOnePaymentSensor in poke and reschedule mode against the emulator, over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, AirflowSkipException

from portone_provider.exceptions import PortOneAuthError, PortOneNotFoundError
from portone_provider.sensors.portone import PortOnePaymentSensor
from tests.conftest import API_KEY, API_SECRET, fast_retry, make_client

IMP_UID = "imp_300000000001"
MERCHANT_UID = "order_sensor_0001"


@pytest.fixture
def shop(monkeypatch, emulator):
    """The emulator with one ready payment, reachable as Connection portone_default."""
    conn = {"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_DEFAULT", json.dumps(conn))
    emulator.store.put(
        {
            "imp_uid": IMP_UID,
            "merchant_uid": MERCHANT_UID,
            "status": "ready",
            "amount": 25000,
            "pay_method": "card",
            "pg_provider": "html5_inicis",
            "buyer_name": "김민준",
            "buyer_tel": "010-0000-0000",
            "started_at": int(time.time()),
        }
    )
    return emulator


def make_sensor(emulator, **kwargs) -> PortOnePaymentSensor:
    """A sensor whose hook uses a client with millisecond retries, so fault tests stay quick."""
    kwargs.setdefault("task_id", "wait_for_payment")
    kwargs.setdefault("poke_interval", 0.05)
    kwargs.setdefault("timeout", 10)
    if "merchant_uid" not in kwargs:
        kwargs.setdefault("imp_uid", IMP_UID)
    sensor = PortOnePaymentSensor(**kwargs)
    sensor.hook._client = make_client(emulator, retry=fast_retry(max_retries=1))
    return sensor


def set_status(emulator, status, **fields):
    def mutate(record):
        record.status = status
        now = int(time.time())
        if status == "paid":
            record.paid_at = now
        elif status == "failed":
            record.failed_at = now
        elif status == "cancelled":
            record.cancelled_at = now
        for name, value in fields.items():
            setattr(record, name, value)

    emulator.store.update(IMP_UID, mutate)


def later(seconds, action, *args, **kwargs):
    """Run ``action`` from another thread after ``seconds``, as a buyer paying meanwhile would."""
    timer = threading.Timer(seconds, action, args, kwargs)
    timer.daemon = True
    timer.start()
    return timer


def test_paid_returns_summary(shop):
    later(0.3, set_status, shop, "paid")
    result = make_sensor(shop).execute({})

    assert result["imp_uid"] == IMP_UID
    assert result["merchant_uid"] == MERCHANT_UID
    assert result["status"] == "paid"
    assert result["amount"] == 25000
    assert result["currency"] == "KRW"
    assert result["pay_method"] == "card"
    assert result["pg_provider"] == "html5_inicis"
    assert result["paid_at"] > 0
    assert "buyer_name" not in result
    assert "buyer_tel" not in result
    assert json.loads(json.dumps(result)) == result


def test_merchant_uid_waits_for_first_payment(shop):
    shop.store.remove(IMP_UID)
    sensor = make_sensor(shop, merchant_uid=MERCHANT_UID)

    later(
        0.3,
        shop.store.put,
        {"imp_uid": IMP_UID, "merchant_uid": MERCHANT_UID, "status": "paid", "amount": 25000,
         "started_at": int(time.time()), "paid_at": int(time.time())},
    )
    result = sensor.execute({})

    assert result["imp_uid"] == IMP_UID
    assert shop.stats["GET /payments/find/{merchant_uid}"] >= 2


def test_merchant_uid_timeout_without_payment(shop):
    with pytest.raises(AirflowSensorTimeout) as caught:
        make_sensor(shop, merchant_uid="order_never_started", timeout=0.3).execute({})

    assert "PortOne still has no payment for merchant_uid 'order_never_started'" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "reason_field", "reason"),
    [("failed", "fail_reason", "카드 한도 초과"), ("cancelled", "cancel_reason", "고객 요청 취소")],
)
def test_failure_status_fails_at_once(shop, status, reason_field, reason):
    later(0.2, set_status, shop, status, **{reason_field: reason})
    started = time.monotonic()

    with pytest.raises(AirflowFailException) as caught:
        make_sensor(shop, timeout=30).execute({})

    message = str(caught.value)
    assert IMP_UID in message
    assert f"'{status}'" in message
    assert reason in message
    assert time.monotonic() - started < 5


def test_timeout_says_still_ready(shop):
    with pytest.raises(AirflowSensorTimeout) as caught:
        make_sensor(shop, timeout=0.5).execute({})

    message = str(caught.value)
    assert "is still 'ready'" in message
    assert IMP_UID in message
    assert "timeout of 0.5 s" in message


def test_timeout_with_soft_fail_skips(shop):
    with pytest.raises(AirflowSkipException):
        make_sensor(shop, timeout=0.3, soft_fail=True).execute({})


def test_pending_review_waits_then_paid(shop):
    set_status(shop, "failed", pg_provider="paypal_v2", fail_reason=None)
    later(0.4, set_status, shop, "paid", fail_reason=None)

    result = make_sensor(shop).execute({})

    assert result["status"] == "paid"
    assert result["pg_provider"] == "paypal_v2"


def test_pending_review_timeout_names_review(shop):
    set_status(shop, "failed", pg_provider="paypal", fail_reason="PENDING")

    with pytest.raises(AirflowSensorTimeout, match="still 'failed' under review at 'paypal'"):
        make_sensor(shop, timeout=0.4).execute({})


def test_final_paypal_decline_fails(shop):
    set_status(shop, "failed", pg_provider="paypal_v2", fail_reason="INSTRUMENT_DECLINED")

    with pytest.raises(AirflowFailException, match="INSTRUMENT_DECLINED"):
        make_sensor(shop).execute({})


def test_5xx_then_paid(shop):
    set_status(shop, "paid")
    # Five 503s outlast the client's one retry twice, so the sensor itself must wait on.
    shop.faults.add({"path": "^/payments/imp_", "action": "status", "status": 503, "times": 5})

    result = make_sensor(shop).execute({})

    assert result["status"] == "paid"
    assert shop.stats["GET /payments/{imp_uid}"] == 6


def test_connection_errors_keep_clock(shop):
    # Connection resets for the whole wait: the sensor still ends by its timeout,
    # and the message states that the status could not be read.
    shop.faults.add({"path": "^/payments/imp_", "action": "reset", "times": None})
    started = time.monotonic()

    with pytest.raises(AirflowSensorTimeout, match="could not be read"):
        make_sensor(shop, timeout=0.5).execute({})

    assert time.monotonic() - started < 5


def test_token_expired_mid_wait(shop):
    sensor = make_sensor(shop)
    later(0.2, shop.tokens.expire_all)
    later(0.5, set_status, shop, "paid")

    result = sensor.execute({})

    assert result["status"] == "paid"
    assert shop.stats["token_requests"] == 2


def test_unknown_imp_uid_fails(shop):
    with pytest.raises(PortOneNotFoundError) as caught:
        make_sensor(shop, imp_uid="imp_missing").execute({})
    assert "존재하지 않는 결제정보입니다" in str(caught.value)


def test_wrong_secret_fails_without_leaking(shop, monkeypatch):
    wrong = "wrong_secret_Kd93"
    conn = {"conn_type": "portone", "login": API_KEY, "password": wrong, "host": shop.url}
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_WRONG", json.dumps(conn))
    sensor = PortOnePaymentSensor(
        task_id="wait", imp_uid=IMP_UID, portone_conn_id="portone_wrong", poke_interval=0.05, timeout=5
    )

    with pytest.raises(PortOneAuthError) as caught:
        sensor.execute({})

    assert wrong not in str(caught.value)
    assert API_SECRET not in str(caught.value)


class RescheduledTaskInstance:
    """The one TaskInstance call reschedule mode makes: when the first try was first rescheduled."""

    def __init__(self, first_reschedule):
        self.first_reschedule = first_reschedule

    def get_first_reschedule_date(self, context):
        return self.first_reschedule


def test_reschedule_timeout_says_still_ready(shop):
    first = datetime.now(timezone.utc) - timedelta(seconds=120)
    sensor = make_sensor(shop, mode="reschedule", timeout=60, poke_interval=30)

    with pytest.raises(AirflowSensorTimeout) as caught:
        sensor.execute({"ti": RescheduledTaskInstance(first)})

    assert "is still 'ready'" in str(caught.value)
    assert shop.stats["GET /payments/{imp_uid}"] == 1
