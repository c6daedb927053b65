"""A cancel retried while PortOne still processes the slow first request refunds once.

The fault matrix starts each next try after a slow request has landed. Here the
next try starts at once, so two cancels with the same ``checksum`` reach PortOne
and the checksum decides: the later one is rejected.
"""

from __future__ import annotations

import time

import pytest

from portone_provider.emulator.api_cancel import cancel_book
from portone_provider.exceptions import PortOneTimeoutError
from portone_provider.operators.portone import PortOneCancelPaymentOperator
from tests.reliability.matrix import SLOW_DELAY
from tests.reliability.scenarios import paid_payment
from tests.reliability.support import StateStoreStandIn, quick_retry, use_connection, wait_for

IMP_UID = "imp_590000000001"


def cancel_try(store: StateStoreStandIn) -> dict:
    operator = PortOneCancelPaymentOperator(task_id="cancel_payment", imp_uid=IMP_UID, amount=4000, reason="부분 환불")
    operator.hook.get_conn().retry = quick_retry()
    return operator.execute({"task_state_store": store})


def test_immediate_retry_refunds_once(emulator, monkeypatch):
    emulator.store.put(paid_payment(IMP_UID, int(time.time()) - 3600, amount=10000))
    use_connection(monkeypatch, emulator.url)
    emulator.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "delay", "delay": SLOW_DELAY})
    store = StateStoreStandIn()

    with pytest.raises(PortOneTimeoutError):
        cancel_try(store)
    result = cancel_try(store)
    assert wait_for(lambda: len(cancel_book(emulator).snapshot()["requests"]) == 2, timeout=SLOW_DELAY + 3)

    outcomes = [entry["outcome"] for entry in cancel_book(emulator).snapshot()["requests"]]
    payment = emulator.store.get(IMP_UID)
    assert result["outcome"] == "refunded"
    assert sorted(outcomes) == ["applied", "rejected"]
    assert payment["cancel_amount"] == 4000
    assert len(payment["cancel_history"]) == 1
