"""PortOnePaymentSensor(deferrable=True) against the emulator: the first look, the deferral and its clock."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, TaskDeferred

from portone_provider.sensors.portone import WAIT_START_KEY, PortOnePaymentSensor
from portone_provider.triggers.portone import PortOnePaymentTrigger
from tests.conftest import API_KEY, API_SECRET, fast_retry, make_client
from tests.unit.test_sensor_rules import DictStateStore, TaskInstanceStub

IMP_UID = "imp_300000000002"


@pytest.fixture
def shop(monkeypatch, emulator):
    conn = {"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": emulator.url}
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_DEFAULT", json.dumps(conn))
    emulator.store.put(
        {"imp_uid": IMP_UID, "merchant_uid": "order_defer_0001", "status": "ready", "amount": 9900,
         "started_at": int(time.time())}
    )
    return emulator


def deferrable_sensor(emulator, **kwargs) -> PortOnePaymentSensor:
    kwargs.setdefault("task_id", "wait_for_payment")
    sensor = PortOnePaymentSensor(imp_uid=IMP_UID, deferrable=True, poke_interval=5, **kwargs)
    sensor.hook._client = make_client(emulator, retry=fast_retry(max_retries=1))
    return sensor


def context(store, max_tries=0):
    """A first run's context: Airflow sets max_tries to the task's retries when the run starts."""
    return {"ti": TaskInstanceStub(max_tries=max_tries), "task_state_store": store}


def test_ready_payment_defers(shop):
    store = DictStateStore()
    before = datetime.now(timezone.utc)

    with pytest.raises(TaskDeferred) as caught:
        deferrable_sensor(shop, timeout=600, retries=1).execute(context(store, max_tries=1))

    deferral = caught.value
    assert isinstance(deferral.trigger, PortOnePaymentTrigger)
    assert deferral.method_name == "execute_complete"

    classpath, kwargs = deferral.trigger.serialize()
    assert classpath == "portone_provider.triggers.portone.PortOnePaymentTrigger"
    assert kwargs["imp_uid"] == IMP_UID
    assert kwargs["conn_id"] == "portone_default"
    assert kwargs["poke_interval"] == 5.0

    started = datetime.fromisoformat(store.values[WAIT_START_KEY]["started_at"])
    assert before <= started <= datetime.now(timezone.utc)
    assert kwargs["end_time"] == (started + timedelta(seconds=600)).isoformat()
    assert timedelta(seconds=590) < deferral.timeout <= timedelta(seconds=600)


def test_retry_keeps_deadline(shop):
    store = DictStateStore()
    with pytest.raises(TaskDeferred) as first:
        deferrable_sensor(shop, timeout=600, retries=1).execute(context(store, max_tries=1))
    time.sleep(0.2)

    # The task failed after an error event and Airflow retries it: same max_tries, new sensor.
    with pytest.raises(TaskDeferred) as retried:
        deferrable_sensor(shop, timeout=600, retries=1).execute(context(store, max_tries=1))

    assert retried.value.trigger.end_time == first.value.trigger.end_time
    assert retried.value.timeout < first.value.timeout


def test_early_5xx_still_defers(shop):
    shop.faults.add({"path": "^/payments/imp_", "action": "status", "status": 502, "times": 2})
    with pytest.raises(TaskDeferred):
        deferrable_sensor(shop, timeout=600).execute(context(DictStateStore()))


def test_paid_payment_needs_no_trigger(shop):
    shop.store.update(IMP_UID, lambda record: setattr(record, "status", "paid"))
    result = deferrable_sensor(shop, timeout=600).execute(context(DictStateStore()))
    assert result["status"] == "paid"


def test_failed_payment_fails_before_deferral(shop):
    shop.store.update(IMP_UID, lambda record: setattr(record, "status", "cancelled"))
    with pytest.raises(AirflowFailException, match="'cancelled'"):
        deferrable_sensor(shop, timeout=600).execute(context(DictStateStore()))


def test_past_deadline_times_out_without_deferral(shop):
    store = DictStateStore()
    old_start = datetime.now(timezone.utc) - timedelta(seconds=120)
    store.set(WAIT_START_KEY, {"started_at": old_start.isoformat(), "first_try": 1})

    with pytest.raises(AirflowSensorTimeout, match="is still 'ready'"):
        deferrable_sensor(shop, timeout=60).execute(context(store))


def test_airflow_trigger_timeout_names_status(shop):
    sensor = deferrable_sensor(shop, timeout=60)
    next_kwargs = {"error": TriggerFailureReason.TRIGGER_TIMEOUT}

    with pytest.raises(AirflowSensorTimeout) as caught:
        sensor.resume_execution(TRIGGER_FAIL_REPR, next_kwargs, context(DictStateStore()))

    assert "is still 'ready'" in str(caught.value)
    assert "timeout of 60 s" in str(caught.value)
