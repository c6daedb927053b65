"""Eight processes with four threads each share the emulator: no error, one getToken per process."""

from __future__ import annotations

import multiprocessing
import queue

from portone_provider.emulator import EmulatorServer
from tests.conftest import API_KEY, API_SECRET
from tests.reliability.workers import look_up_payments

PROCESSES = 8
THREADS = 4
LOOK_UPS_PER_THREAD = 250
PAYMENTS = 400


def test_processes_and_threads_share_tokens():
    payments = [
        {"imp_uid": f"imp_57{index:010d}", "merchant_uid": f"order_load_{index}", "status": "paid", "amount": 1000 + index,
         "started_at": 1_793_458_800 + index, "paid_at": 1_793_458_830 + index}
        for index in range(PAYMENTS)
    ]
    imp_uids = [payment["imp_uid"] for payment in payments]
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results = context.Queue()

    with EmulatorServer(api_key=API_KEY, api_secret=API_SECRET, dataset=payments, max_lifetime=600) as emulator:
        workers = [
            context.Process(
                target=look_up_payments,
                args=(emulator.url, API_KEY, API_SECRET, imp_uids, THREADS, LOOK_UPS_PER_THREAD, seed, start, results),
                daemon=True,
            )
            for seed in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        start.set()

        reports = []
        try:
            for _ in workers:
                reports.append(results.get(timeout=120))
        except queue.Empty:
            pass
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.terminate()
        stats = emulator.stats.snapshot()

    assert len(reports) == PROCESSES
    errors = [error for report in reports for error in report["errors"]]
    assert errors == []
    assert sum(report["found"] for report in reports) == PROCESSES * THREADS * LOOK_UPS_PER_THREAD
    assert stats["GET /payments/{imp_uid}"] == PROCESSES * THREADS * LOOK_UPS_PER_THREAD
    assert stats["token_requests"] <= PROCESSES
    assert all(worker.exitcode == 0 for worker in workers)
