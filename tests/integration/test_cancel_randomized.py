"""Seeded random runs of the cancel operator under lost responses, 5xx and timeouts.

Each run refunds one fresh payment of a single emulator in full or in part while
fault rules hit its cancel requests: the response dropped after the cancel applied
(``drop_after``), a 5xx or a reset without applying, or a delay beyond the client's
timeout while the cancel still applies afterwards. Failed tries are repeated the way
Airflow retries a task: a new operator, the same task_state_store. Every run must
end with exactly the requested amount refunded, once.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

import pytest

from portone_provider.emulator.api_cancel import cancel_book
from portone_provider.exceptions import PortOneError
from tests.integration.test_cancel_operator import TaskStateStoreStandIn, run_try, use_connection

SEED = 20261204
RUNS = 120
MAX_TRIES = 5
CLIENT_TIMEOUT = 0.15
SLOW_RESPONSE = 0.3
PAID_AT = 1_793_460_000

FAULTS = [
    {"action": "drop_after"},
    {"action": "status", "status": 500},
    {"action": "status", "status": 502},
    {"action": "status", "status": 503},
    {"action": "reset"},
    {"action": "delay", "delay": SLOW_RESPONSE},
]


def random_payment(rng: random.Random, index: int) -> tuple[dict, Decimal | None]:
    """Return a fresh paid payment, maybe partly refunded already, and the amount to refund (None: full)."""
    usd = rng.random() < 0.3
    if usd:
        amount = Decimal(rng.randint(100, 50_000)) / 100
    else:
        amount = Decimal(rng.randint(10, 5_000) * 100)
    unit = Decimal("0.01") if usd else Decimal(100)

    history = []
    if rng.random() < 0.3:
        earlier = (amount * Decimal(rng.randint(10, 40)) / 100).quantize(unit)
        if earlier > 0:
            history.append({"amount": float(earlier) if usd else int(earlier), "cancelled_at": PAID_AT + 60,
                            "cancellation_id": f"cncl_seed_{index}"})

    payment = {
        "imp_uid": f"imp_7{index:011d}",
        "merchant_uid": f"random_{SEED}_{index}",
        "status": "paid",
        "amount": float(amount) if usd else int(amount),
        "currency": "USD" if usd else "KRW",
        "pay_method": "card",
        "pg_provider": "eximbay" if usd else "kcp",
        "pg_tid": f"T{index}",
        "started_at": PAID_AT - 60,
        "paid_at": PAID_AT,
        "cancel_history": history,
    }
    rest = amount - sum((Decimal(str(entry["amount"])) for entry in history), Decimal(0))
    if rng.random() < 0.4:
        return payment, None
    partial = (rest * Decimal(rng.randint(5, 100)) / 100).quantize(unit)
    return payment, max(partial, unit)


@pytest.mark.parametrize("seed", [SEED])
def test_random_faults_refund_exactly_once(emulator, monkeypatch, seed):
    rng = random.Random(seed)
    use_connection(monkeypatch, emulator, timeout=CLIENT_TIMEOUT)
    runs = []

    for index in range(RUNS):
        payment, requested = random_payment(rng, index)
        emulator.store.put(payment)
        rest_before = Decimal(str(payment["amount"])) - sum(
            (Decimal(str(entry["amount"])) for entry in payment["cancel_history"]), Decimal(0)
        )
        expected = rest_before if requested is None else requested

        emulator.faults.clear()
        faults = [rng.choice(FAULTS) for _ in range(rng.choice((0, 1, 1, 2, 3)))]
        emulator.faults.add_many(
            [{"method": "POST", "path": "^/payments/cancel$", **fault} for fault in faults]
        )

        store = TaskStateStoreStandIn()
        kwargs = {"imp_uid": payment["imp_uid"], "reason": f"random run {index}"}
        if requested is not None:
            kwargs["amount"] = str(requested)
        result = None
        for _ in range(MAX_TRIES):
            try:
                result = run_try(store, **kwargs)
                break
            except PortOneError:
                continue

        assert result is not None, f"run {index} did not finish in {MAX_TRIES} tries (faults {faults})"
        assert Decimal(str(result["cancelled_amount"])) == expected, (index, faults, result)
        runs.append((payment, expected, faults))

    # Slow requests may still be on their way: let them land before counting refunds.
    time.sleep(SLOW_RESPONSE + 0.2)

    for payment, expected, faults in runs:
        now = emulator.store.get(payment["imp_uid"])
        created = now["cancel_history"][len(payment["cancel_history"]) :]
        assert len(created) == 1, (payment["imp_uid"], faults, created)
        assert Decimal(str(created[0]["amount"])) == expected, (payment["imp_uid"], faults)
        refunded = sum((Decimal(str(entry["amount"])) for entry in now["cancel_history"]), Decimal(0))
        assert Decimal(str(now["cancel_amount"])) == refunded

    applied = [entry for entry in cancel_book(emulator).snapshot()["requests"] if entry["outcome"] == "applied"]
    assert len(applied) == RUNS
    fault_kinds = {fault.get("status", fault["action"]) for _, _, faults in runs for fault in faults}
    assert fault_kinds == {"drop_after", 500, 502, 503, "reset", "delay"}
