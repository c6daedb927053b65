"""A 20,000-payment export while about 1% of list requests fail writes each payment exactly once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from portone_provider.client import PortOneClient
from portone_provider.emulator import EmulatorServer
from portone_provider.emulator.oracle import expected_settlement
from portone_provider.export import export_payments
from tests.conftest import API_KEY, API_SECRET
from tests.reliability.support import quick_retry

PAYMENTS = 20_000
PAGE_SIZE = 50
#: 2026-11-02, the day the emulator spreads its bulk payments over, in KST.
DAY = datetime(2026, 11, 2, tzinfo=timezone(timedelta(hours=9)))
#: Seed of the fault rules' random draws, so the same requests fail on every run.
FAULT_SEED = 20261102
#: Each list request fails with this probability per rule: about 1% in all.
FAULT_RULES = [
    {"method": "GET", "path": "^/payments/status/", "action": "status", "status": 502, "probability": 0.0035, "times": None},
    {"method": "GET", "path": "^/payments/status/", "action": "status", "status": 503, "probability": 0.0035, "times": None},
    {"method": "GET", "path": "^/payments/status/", "action": "reset", "probability": 0.003, "times": None},
]


def test_export_under_faults_writes_each_payment_once(tmp_path):
    with EmulatorServer(api_key=API_KEY, api_secret=API_SECRET, dataset="empty", bulk_paid=PAYMENTS,
                        bulk_day=DAY.date(), max_lifetime=600) as emulator:
        emulator.faults.add_many(FAULT_RULES, seed=FAULT_SEED)
        path = tmp_path / "payments.jsonl"

        with PortOneClient(API_KEY, API_SECRET, base_url=emulator.url, retry=quick_retry(), timeout=10) as client:
            summary = export_payments(client, since=DAY, until=DAY + timedelta(days=1), path=path, page_size=PAGE_SIZE)

        fired = [rule["fired"] for rule in emulator.faults.list()]
        list_requests = emulator.stats["GET /payments/status/{payment_status}"]
        expected = expected_settlement(
            emulator.store.all(), int(DAY.timestamp()), int((DAY + timedelta(days=1)).timestamp())
        )

    exported = [json.loads(line)["imp_uid"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(count >= 1 for count in fired), fired
    assert sum(fired) >= 0.005 * list_requests
    assert len(exported) == PAYMENTS
    assert len(set(exported)) == PAYMENTS
    assert sorted(exported) == expected["imp_uids"]
    assert summary["rows"] == PAYMENTS
    assert summary["sales"] == expected["sales"]
