"""Runners that drive one kind of call against the emulator under one fault and report what happened.

Each runner sets up the payments it needs and arms the fault. It runs the first
try through the product's public entry point: the hook, an operator or the
trigger, all built from an Airflow Connection whose ``timeout`` extra is set. For
a money-moving call it then runs the next try with the same task_state_store. It
checks the invariants that hold in every cell itself (each row once, money moved
once) and returns an :class:`Observation` for the test to compare with the matrix.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk.exceptions import AirflowException

from portone_provider.emulator.api_cancel import cancel_book
from portone_provider.exceptions import PortOneError
from portone_provider.hooks.portone import PortOneHook
from portone_provider.operators import barcode as barcode_module
from portone_provider.operators.portone import (
    PortOneCancelPaymentOperator,
    PortOneIssueBarcodeOperator,
    PortOneRevokeBarcodeOperator,
)
from portone_provider.triggers import portone as trigger_module
from portone_provider.triggers.portone import PortOnePaymentTrigger
from tests.reliability.matrix import SLOW_DELAY, CallKind, Fault, fault_rule
from tests.reliability.support import StateStoreStandIn, quick_retry, use_connection, wait_for

#: 2026-11-01 00:00:00 KST, the start of the day the list payments were paid on.
LIST_DAY_START = 1_793_458_800
LIST_PAYMENTS = 1000
LIST_PAGE_SIZE = 10
BULK_PAYMENTS = 150
BUYER = {
    "buyer_name": "정다은",
    "buyer_email": "daeun.jung@example.com",
    "buyer_tel": "010-4821-7733",
    "buyer_addr": "부산광역시 해운대구 센텀중앙로 79",
    "buyer_postcode": "48058",
}


@dataclass
class Observation:
    """What one cell did: the first try's result and request count, and the next try's outcome."""

    result: str
    sends: int
    seconds: float
    error: BaseException | None = None
    value: Any = None
    retry: str | None = None
    total_sends: int | None = None


class Bench:
    """The emulator, a Connection pointed at it and the fault of one cell."""

    def __init__(self, emulator, monkeypatch, call: CallKind, fault: Fault) -> None:
        self.emulator = emulator
        self.monkeypatch = monkeypatch
        self.call = call
        self.fault = fault
        use_connection(monkeypatch, emulator.url)

    def arm(self) -> None:
        """Inject the cell's fault: a fault rule, or PortOne's clock moved."""
        if self.fault.clock_offset:
            self.emulator.clock.set_offset(self.fault.clock_offset)
        rule = fault_rule(self.call, self.fault)
        if rule is not None:
            self.emulator.faults.add(rule)

    def sends(self) -> int:
        return self.emulator.stats.get(self.call.stats_key) or 0

    def hook(self) -> PortOneHook:
        hook = PortOneHook()
        hook.get_conn().retry = quick_retry()
        return hook

    def expire_held_token(self, hook: PortOneHook) -> None:
        """For the token cells: give the client a token, then expire it at PortOne."""
        if self.fault.expires_tokens:
            hook.get_access_token()
            self.emulator.tokens.expire_all()

    def first_try(self, action: Callable[[], Any], outcome: Callable[[Any], str] = lambda value: "ok") -> Observation:
        """Run ``action`` once and record its result, duration and requests of the call's kind."""
        before = self.sends()
        started = time.monotonic()
        try:
            value = action()
        except (PortOneError, AirflowException) as error:
            return Observation(type(error).__name__, self.sends() - before, time.monotonic() - started, error=error)
        return Observation(outcome(value), self.sends() - before, time.monotonic() - started, value=value)


# Reads


def paid_payment(imp_uid: str, paid_at: int, **fields: Any) -> dict[str, Any]:
    return {
        "imp_uid": imp_uid,
        "merchant_uid": f"order_{imp_uid}",
        "pay_method": "card",
        "pg_provider": "html5_inicis",
        "status": "paid",
        "amount": 12000,
        "started_at": paid_at - 30,
        "paid_at": paid_at,
        **BUYER,
        **fields,
    }


def run_token(bench: Bench) -> Observation:
    imp_uid = "imp_500000000001"
    bench.emulator.store.put(paid_payment(imp_uid, int(time.time()) - 600))
    hook = bench.hook()
    if bench.fault.expires_tokens:
        bench.emulator.tokens.expire_all()
    bench.arm()

    observed = bench.first_try(hook.get_access_token)
    if observed.result != "ok":
        return observed

    issued = bench.emulator.tokens.issued_tokens()
    assert issued == (observed.value,)
    if bench.fault.clock_offset:
        for _ in range(3):
            hook.get_payment(imp_uid)
        assert bench.emulator.stats["token_requests"] == 1
        assert bench.emulator.stats["GET /payments/{imp_uid}"] == 3
    return observed


def run_single_read(bench: Bench) -> Observation:
    imp_uid = "imp_500000000002"
    bench.emulator.store.put(paid_payment(imp_uid, int(time.time()) - 600))
    hook = bench.hook()
    bench.expire_held_token(hook)
    bench.arm()

    observed = bench.first_try(lambda: hook.get_payment(imp_uid))
    if observed.result == "ok":
        assert observed.value["imp_uid"] == imp_uid
        assert observed.value["amount"] == 12000
    return observed


def run_bulk_read(bench: Bench) -> Observation:
    now = int(time.time())
    imp_uids = [f"imp_51{index:010d}" for index in range(BULK_PAYMENTS)]
    bench.emulator.store.put_many([paid_payment(imp_uid, now - 600) for imp_uid in imp_uids])
    hook = bench.hook()
    bench.expire_held_token(hook)
    bench.arm()

    observed = bench.first_try(lambda: hook.get_payments(imp_uids=imp_uids))
    if observed.result == "ok":
        found = [payment["imp_uid"] for payment in observed.value]
        assert sorted(found) == imp_uids
    return observed


def run_list_page(bench: Bench) -> Observation:
    imp_uids = [f"imp_52{index:010d}" for index in range(LIST_PAYMENTS)]
    payments = [paid_payment(imp_uid, LIST_DAY_START + 60 * index) for index, imp_uid in enumerate(imp_uids)]
    bench.emulator.store.put_many(payments)
    since = datetime.fromtimestamp(LIST_DAY_START, timezone.utc)
    hook = bench.hook()
    bench.arm()

    def expire_after_page_50(page) -> None:
        if bench.fault.expires_tokens and page.page == 50:
            bench.emulator.tokens.expire_all()

    def read_all() -> list[dict]:
        rows = hook.iter_payments(
            "paid", since=since, until=since + timedelta(days=1), page_size=LIST_PAGE_SIZE, on_page=expire_after_page_50
        )
        return list(rows)

    observed = bench.first_try(read_all)
    if observed.result == "ok":
        listed = [payment["imp_uid"] for payment in observed.value]
        assert len(listed) == LIST_PAYMENTS
        assert sorted(listed) == imp_uids
    if bench.fault.expires_tokens:
        assert bench.emulator.stats["token_requests"] == 2
    return observed


# Money-moving operators: the first try, then the next try with the same state store


def run_money(bench: Bench, build: Callable[[], Any], applied: Callable[[], int]) -> Observation:
    """Run a money-moving operator once, and once more if that failed, then check it acted once.

    ``build`` returns a fresh operator (a new try runs in a new process in Airflow).
    ``applied`` counts the changes PortOne applied for this task.
    """
    store = StateStoreStandIn()
    context = {"task_state_store": store}
    operator = build()
    operator.hook.get_conn().retry = quick_retry()
    bench.expire_held_token(operator.hook)
    bench.arm()
    before = bench.sends()

    observed = bench.first_try(lambda: operator.execute(context), outcome=lambda result: result["outcome"])
    if observed.error is None:
        observed.total_sends = bench.sends() - before
        assert applied() == 1
        return observed

    if bench.fault.key == "slow":
        # The emulator applies the slow request once its delay has passed. An Airflow
        # retry comes later still, because retry_delay is minutes, so the next try waits too.
        assert wait_for(lambda: applied() == 1, timeout=SLOW_DELAY + 3)

    # Airflow's retry comes after retry_delay, past the barcode issue's reissue_after.
    bench.monkeypatch.setattr(barcode_module, "current_time", lambda: time.time() + 3600)
    retry = build()
    retry.hook.get_conn().retry = quick_retry()
    observed.retry = retry.execute(context)["outcome"]
    observed.total_sends = bench.sends() - before
    assert applied() == 1
    return observed


def run_cancel(bench: Bench) -> Observation:
    imp_uid = "imp_530000000001"
    payment = paid_payment(imp_uid, int(time.time()) - 3600, amount=10000, merchant_uid="order_matrix_cancel")
    bench.emulator.store.put(payment)

    def build() -> PortOneCancelPaymentOperator:
        return PortOneCancelPaymentOperator(task_id="cancel_payment", imp_uid=imp_uid, amount=3000, reason="부분 환불")

    def applied() -> int:
        requests = cancel_book(bench.emulator).snapshot()["requests"]
        return sum(1 for entry in requests if entry["outcome"] == "applied")

    observed = run_money(bench, build, applied)
    refunded = bench.emulator.store.get(imp_uid)
    assert refunded["cancel_amount"] == 3000
    assert len(refunded["cancel_history"]) == 1
    return observed


def run_barcode_issue(bench: Bench) -> Observation:
    merchant_uid = "order_matrix_issue"
    due_at = int(time.time()) + 2 * 86400

    def build() -> PortOneIssueBarcodeOperator:
        return PortOneIssueBarcodeOperator(
            task_id="issue_barcode", merchant_uid=merchant_uid, amount=15000, expired_at=due_at, name="겨울 코트",
            buyer_name=BUYER["buyer_name"], buyer_tel=BUYER["buyer_tel"],
        )

    def applied() -> int:
        return sum(1 for payment in bench.emulator.store.all() if payment["merchant_uid"] == merchant_uid)

    observed = run_money(bench, build, applied)
    issued = [payment for payment in bench.emulator.store.all() if payment["merchant_uid"] == merchant_uid]
    assert issued[0]["status"] == "ready"
    assert issued[0]["vbank_date"] == due_at
    return observed


def run_barcode_revoke(bench: Bench) -> Observation:
    imp_uid = "imp_540000000001"
    now = int(time.time())
    bench.emulator.store.put(
        {
            "imp_uid": imp_uid,
            "merchant_uid": "order_matrix_revoke",
            "pay_method": "cvs",
            "pg_provider": "galaxia",
            "status": "ready",
            "amount": 15000,
            "started_at": now - 600,
            "vbank_num": "7712004455102938",
            "vbank_date": now + 2 * 86400,
            "vbank_issued_at": now - 600,
            **BUYER,
        }
    )

    def build() -> PortOneRevokeBarcodeOperator:
        return PortOneRevokeBarcodeOperator(task_id="revoke_barcode", imp_uid=imp_uid)

    def applied() -> int:
        return int(bench.emulator.store.get(imp_uid)["status"] == "cancelled")

    return run_money(bench, build, applied)


# The trigger, on its own event loop


def run_trigger_poll(bench: Bench) -> Observation:
    imp_uid = "imp_550000000001"
    now = int(time.time())
    status = "ready" if bench.fault.expires_tokens else "paid"
    bench.emulator.store.put(paid_payment(imp_uid, now - 60, status=status))
    bench.monkeypatch.setattr(trigger_module, "trigger_retry_policy", lambda: quick_retry())
    end_time = (datetime.now(timezone.utc) + timedelta(seconds=15)).isoformat()
    trigger = PortOnePaymentTrigger(conn_id="portone_default", imp_uid=imp_uid, poke_interval=0.05, end_time=end_time)
    bench.arm()

    async def expire_then_pay() -> None:
        while not bench.emulator.stats.get("GET /payments/{imp_uid}"):
            await asyncio.sleep(0.005)
        bench.emulator.tokens.expire_all()
        bench.emulator.store.update(imp_uid, _mark_paid)

    async def first_event() -> dict:
        helper = asyncio.create_task(expire_then_pay()) if bench.fault.expires_tokens else None
        events = trigger.run()
        try:
            event = await anext(events)
        finally:
            await events.aclose()
        if helper is not None:
            await helper
        return event.payload

    observed = bench.first_try(lambda: asyncio.run(first_event()), outcome=lambda payload: payload["status"])
    observed.error = observed.error or _event_error(observed.value)
    if observed.result == "success":
        assert observed.value["payment"]["imp_uid"] == imp_uid
        assert "buyer_name" not in observed.value["payment"]
    if bench.fault.expires_tokens:
        assert bench.emulator.stats["token_requests"] == 2
    return observed


def _mark_paid(record) -> None:
    record.status = "paid"
    record.paid_at = int(time.time())


def _event_error(payload: Any) -> BaseException | None:
    """Turn an error event into an exception carrying its message, for the message checks."""
    if isinstance(payload, dict) and payload.get("status") == "error":
        return RuntimeError(payload.get("message"))
    return None


RUNNERS: dict[str, Callable[[Bench], Observation]] = {
    "token": run_token,
    "single_read": run_single_read,
    "bulk_read": run_bulk_read,
    "list_page": run_list_page,
    "cancel": run_cancel,
    "barcode_issue": run_barcode_issue,
    "barcode_revoke": run_barcode_revoke,
    "trigger_poll": run_trigger_poll,
}
