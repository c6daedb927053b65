"""The refund batch DAG run by ``airflow dags test`` on the demo data, checked against the emulator.

The run uses its own demo emulator because it refunds payments, and the session's
demo emulator is shared read-only.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from portone_provider.emulator import EmulatorServer
from portone_provider.emulator.api_cancel import cancel_book
from tests.conftest import API_KEY, API_SECRET
from tests.dags.conftest import DagRunner

pytestmark = pytest.mark.dag

DAG_ID = "portone_refund_batch"
VBANK_ACCOUNT = "00123456789012"


@pytest.fixture
def refund_emulator():
    with EmulatorServer(api_key=API_KEY, api_secret=API_SECRET, port=0, dataset="demo", max_lifetime=900) as server:
        yield server


def try_numbers(home: str, task_id: str) -> dict[int, int]:
    with sqlite3.connect(Path(home) / "airflow.db") as db:
        rows = db.execute(
            "SELECT map_index, try_number FROM task_instance WHERE dag_id = ? AND task_id = ?", (DAG_ID, task_id)
        ).fetchall()
    return dict(rows)


def rendered_refund_accounts(home: str) -> set:
    with sqlite3.connect(Path(home) / "airflow.db") as db:
        rows = db.execute(
            "SELECT rendered_fields FROM rendered_task_instance_fields WHERE dag_id = ? AND task_id = ?",
            (DAG_ID, "cancel_payment"),
        ).fetchall()
    accounts = {json.loads(row[0])["refund_account"] for row in rows}
    return accounts - {None}


def test_refund_batch_refunds_once_despite_lost_response(airflow_home, refund_emulator, tmp_path):
    from dags_examples.portone_refund_batch import DEMO_REFUNDS

    before = {payment["imp_uid"]: payment for payment in refund_emulator.store.all()}
    by_merchant = {payment["merchant_uid"]: payment for payment in before.values() if payment["status"] == "paid"}
    runner = DagRunner(airflow_home, refund_emulator.url, tmp_path / "exports")
    runner.env["PORTONE_REFUND_RETRY_DELAY_SECONDS"] = "0"
    # The first cancel is applied, then its response is lost: Airflow's retry must not refund again.
    refund_emulator.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "drop_after", "times": 1})

    result = runner.test(DAG_ID, "2026-12-01T10:00:00+09:00")

    summary = runner.xcom(DAG_ID, "write_report")
    report = json.loads(Path(summary["path"]).read_text(encoding="utf-8"))
    assert summary["counts"] == {"refunded": 3, "already_done": 1}
    assert len(report["refunds"]) == len(DEMO_REFUNDS)

    # Airflow itself retried the cancel whose response was lost, and that try sent nothing.
    tries = try_numbers(airflow_home, "cancel_payment")
    assert sorted(tries.values()) == [1, 1, 1, 2]
    retried = [index for index, number in tries.items() if number == 2][0]
    assert runner.xcom(DAG_ID, "cancel_payment", retried)["outcome"] == "already_done"
    assert runner.xcom(DAG_ID, "cancel_payment", retried)["requests_sent"] == 1

    applied = [entry for entry in cancel_book(refund_emulator).snapshot()["requests"] if entry["outcome"] == "applied"]
    assert len(applied) == len(DEMO_REFUNDS)

    totals: dict[str, Decimal] = {}
    for refund, row in zip(DEMO_REFUNDS, report["refunds"]):
        original = before[refund["imp_uid"]] if "imp_uid" in refund else by_merchant[refund["merchant_uid"]]
        now = refund_emulator.store.get(original["imp_uid"])
        created = now["cancel_history"][len(original["cancel_history"]) :]
        assert len(created) == 1, refund
        expected_amount = Decimal(str(refund.get("amount", original["amount"])))
        assert Decimal(str(created[0]["amount"])) == expected_amount
        assert row["cancellation_ids"] == [created[0]["cancellation_id"]]
        assert Decimal(str(row["cancelled_amount"])) == expected_amount
        assert now["status"] == ("paid" if "amount" in refund else "cancelled")
        totals[now["currency"]] = totals.get(now["currency"], Decimal(0)) + expected_amount
    assert {currency: Decimal(str(value)) for currency, value in summary["refunded_totals"].items()} == totals

    vbank_body = json.loads(next(entry["body"] for entry in applied if entry["imp_uid"] == "imp_885378846105"))
    assert vbank_body["refund_bank"] == "004"
    assert vbank_body["refund_account"] == VBANK_ACCOUNT

    report_text = Path(summary["path"]).read_text(encoding="utf-8")
    assert VBANK_ACCOUNT not in report_text
    assert "****9012" in report_text
    assert VBANK_ACCOUNT not in result.stdout + result.stderr
    assert API_SECRET not in result.stdout + result.stderr
    assert rendered_refund_accounts(airflow_home) == {"***"}
