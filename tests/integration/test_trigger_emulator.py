"""PortOnePaymentTrigger.run() in an asyncio loop against the emulator, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from airflow.sdk._shared.secrets_masker import redact

from portone_provider.client.retry import RetryPolicy
from portone_provider.triggers import portone as trigger_module
from portone_provider.triggers.portone import PortOnePaymentTrigger
from tests.conftest import API_KEY, API_SECRET

IMP_UID = "imp_300000000003"
MERCHANT_UID = "order_trigger_0001"
CONN_ID = "portone_trigger"
# Largest delay accepted between a watchdog tick's planned and actual wake-up.
MAX_LOOP_LAG = 0.1


@pytest.fixture(autouse=True)
def quick_client_retries(monkeypatch):
    quick = RetryPolicy(max_retries=1, backoff=0.01, max_backoff=0.02)
    monkeypatch.setattr(trigger_module, "trigger_retry_policy", lambda: quick)


@pytest.fixture
def shop(monkeypatch, emulator):
    """The emulator with one ready payment, reachable as Connection portone_trigger."""
    conn = {"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": emulator.url}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
    emulator.store.put(
        {"imp_uid": IMP_UID, "merchant_uid": MERCHANT_UID, "status": "ready", "amount": 45000,
         "pay_method": "vbank", "pg_provider": "kcp", "buyer_email": "buyer@example.com",
         "started_at": int(time.time())}
    )
    return emulator


def make_trigger(**kwargs) -> PortOnePaymentTrigger:
    kwargs.setdefault("conn_id", CONN_ID)
    kwargs.setdefault("poke_interval", 0.05)
    if "merchant_uid" not in kwargs:
        kwargs.setdefault("imp_uid", IMP_UID)
    kwargs.setdefault("end_time", in_seconds(10))
    return PortOnePaymentTrigger(**kwargs)


def in_seconds(seconds: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()


def set_status(emulator, status, imp_uid=IMP_UID, **fields):
    def mutate(record):
        record.status = status
        if status == "paid":
            record.paid_at = int(time.time())
        elif status == "failed":
            record.failed_at = int(time.time())
        for name, value in fields.items():
            setattr(record, name, value)

    emulator.store.update(imp_uid, mutate)


def later(seconds, action, *args, **kwargs):
    timer = threading.Timer(seconds, action, args, kwargs)
    timer.daemon = True
    timer.start()
    return timer


async def first_event(trigger):
    events = trigger.run()
    try:
        return await anext(events)
    finally:
        await events.aclose()


async def with_watchdog(coroutine):
    """Run ``coroutine`` next to a task that measures how late the event loop wakes it."""
    lags = []
    stop = asyncio.Event()

    async def watchdog():
        while not stop.is_set():
            planned = time.monotonic() + 0.01
            await asyncio.sleep(0.01)
            lags.append(time.monotonic() - planned)

    watcher = asyncio.create_task(watchdog())
    try:
        result = await coroutine
    finally:
        stop.set()
        await watcher
    return result, max(lags, default=0.0)


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=30))


def test_success_when_paid_from_another_thread(shop):
    later(0.3, set_status, shop, "paid")
    event = run(first_event(make_trigger()))

    payload = event.payload
    assert payload["status"] == "success"
    assert payload["payment"]["imp_uid"] == IMP_UID
    assert payload["payment"]["status"] == "paid"
    assert payload["payment"]["amount"] == 45000
    assert "buyer_email" not in payload["payment"]
    assert json.loads(json.dumps(payload)) == payload


def test_merchant_uid_not_found_then_paid(shop):
    shop.store.remove(IMP_UID)
    later(
        0.3,
        shop.store.put,
        {"imp_uid": IMP_UID, "merchant_uid": MERCHANT_UID, "status": "paid", "amount": 45000,
         "started_at": int(time.time()), "paid_at": int(time.time())},
    )

    event = run(first_event(make_trigger(merchant_uid=MERCHANT_UID)))

    assert event.payload["status"] == "success"
    assert event.payload["payment"]["merchant_uid"] == MERCHANT_UID


def test_failure_event(shop):
    later(0.2, set_status, shop, "failed", fail_reason="잔액 부족")
    event = run(first_event(make_trigger()))

    assert event.payload["status"] == "failure"
    assert event.payload["payment"]["status"] == "failed"
    assert IMP_UID in event.payload["message"]
    assert "잔액 부족" in event.payload["message"]


def test_pending_review_keeps_polling(shop):
    set_status(shop, "failed", pg_provider="paypal_v2", fail_reason=None)
    later(0.3, set_status, shop, "paid")

    event = run(first_event(make_trigger()))

    assert event.payload["status"] == "success"


def test_timeout_event_says_still_ready(shop):
    end_time = in_seconds(0.4)
    event = run(first_event(make_trigger(end_time=end_time)))

    assert event.payload["status"] == "timeout"
    assert "is still 'ready'" in event.payload["message"]
    assert end_time in event.payload["message"]
    assert event.payload["payment"]["status"] == "ready"


def test_error_event_on_wrong_credentials(shop, monkeypatch):
    wrong = "wrong_secret_Xq71"
    conn = {"conn_type": "portone", "login": API_KEY, "password": wrong, "host": shop.url}
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_WRONG", json.dumps(conn))

    event = run(first_event(make_trigger(conn_id="portone_wrong")))

    payload = event.payload
    assert payload["status"] == "error"
    assert "PortOneAuthError" in payload["message"]
    assert "HTTP 401" in payload["message"]
    assert "imp_key 또는 imp_secret이 올바르지 않습니다" in payload["message"]
    assert wrong not in payload["message"]
    assert shop.stats["token_requests"] == 1


def test_error_event_on_unknown_connection(shop):
    event = run(first_event(make_trigger(conn_id="portone_missing")))

    assert event.payload["status"] == "error"
    assert "portone_missing" in event.payload["message"]
    assert shop.stats["requests"] == 0


def test_error_event_on_unknown_imp_uid(shop):
    event = run(first_event(make_trigger(imp_uid="imp_missing")))

    assert event.payload["status"] == "error"
    assert "PortOneNotFoundError" in event.payload["message"]
    assert "존재하지 않는 결제정보입니다" in event.payload["message"]


def test_passing_5xx_does_not_end_trigger(shop):
    # Six 500s outlast the client's single retry three times over, so the poll loop must back off.
    shop.faults.add({"path": "^/payments/imp_", "action": "status", "status": 500, "times": 6})
    later(0.2, set_status, shop, "paid")

    event = run(first_event(make_trigger()))

    assert event.payload["status"] == "success"
    assert shop.stats["GET /payments/{imp_uid}"] >= 7


def test_token_expiry_mid_wait(shop):
    later(0.2, shop.tokens.expire_all)
    later(0.5, set_status, shop, "paid")

    event = run(first_event(make_trigger()))

    assert event.payload["status"] == "success"
    assert shop.stats["token_requests"] == 2


def test_loop_never_blocked(shop):
    # Each response takes 0.3 s, so a blocking HTTP call would stall the watchdog that long.
    shop.faults.add({"path": "^/payments/imp_", "action": "delay", "delay": 0.3, "times": None})
    later(0.5, set_status, shop, "paid")

    event, max_lag = run(with_watchdog(first_event(make_trigger())))

    assert event.payload["status"] == "success"
    assert max_lag < MAX_LOOP_LAG


def test_triggers_share_one_token(shop):
    others = [f"imp_30000000{index:04d}" for index in range(200)]
    for imp_uid in others:
        shop.store.put({"imp_uid": imp_uid, "merchant_uid": f"order_{imp_uid}", "status": "ready", "amount": 1000,
                        "started_at": int(time.time())})
    for imp_uid in others:
        later(0.3, set_status, shop, "paid", imp_uid=imp_uid)

    async def all_events():
        triggers = [make_trigger(imp_uid=imp_uid, poke_interval=0.1) for imp_uid in others]
        return await asyncio.gather(*(first_event(trigger) for trigger in triggers))

    # No loop-lag check here: the in-process emulator's 200 handler threads compete with
    # the event loop for the GIL, so the lag would measure the test rig, not the trigger.
    events = run(all_events())

    assert [event.payload["status"] for event in events] == ["success"] * 200
    assert shop.stats["token_requests"] == 1


def test_client_closed_after_last_trigger(shop):
    set_status(shop, "paid")

    async def run_and_inspect():
        await first_event(make_trigger())
        return len(trigger_module._client_pool())

    assert run(run_and_inspect()) == 0


def test_token_registered_with_masker(shop):
    set_status(shop, "paid")
    run(first_event(make_trigger()))

    token = shop.tokens.issue()["access_token"]
    assert redact(f"Bearer {token}") == "Bearer ***"
    assert redact(API_SECRET) == "***"
