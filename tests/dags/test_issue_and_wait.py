"""The issue-and-wait DAG run by ``airflow dags test`` on SQLite against a fresh emulator.

``airflow dags test`` (Airflow 3.3) runs a deferred task's trigger inline, in the same
process, and ignores trigger timeouts. It still records the deferral: the ``log``
table gets a ``deferred`` event for the task and the ``trigger`` table keeps the
trigger row the task instance points at, since no triggerer cleans it up.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import API_SECRET
from tests.dags.conftest import DagRunner

pytestmark = pytest.mark.dag

DAG_ID = "portone_issue_barcode_and_wait"
TRIGGER_CLASSPATH = "portone_provider.triggers.portone.PortOnePaymentTrigger"


@pytest.fixture
def barcode_runner(airflow_home, emulator, tmp_path):
    """A DAG runner pointed at this test's own emulator, which the DAG issues barcodes on."""
    return DagRunner(airflow_home, emulator.url, tmp_path / "exports")


def task_events(home: str, task_id: str, run_id: str) -> list[str]:
    with sqlite3.connect(Path(home) / "airflow.db") as db:
        rows = db.execute(
            "SELECT event FROM log WHERE dag_id = ? AND task_id = ? AND run_id = ? ORDER BY id",
            (DAG_ID, task_id, run_id),
        ).fetchall()
    return [row[0] for row in rows]


def task_row(home: str, task_id: str) -> tuple[str, str, str | None]:
    """Return (run_id, state, trigger classpath) of the task in the DAG's newest run."""
    with sqlite3.connect(Path(home) / "airflow.db") as db:
        return db.execute(
            "SELECT ti.run_id, ti.state, t.classpath FROM task_instance ti "
            "JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id "
            "LEFT JOIN trigger t ON t.id = ti.trigger_id "
            "WHERE ti.dag_id = ? AND ti.task_id = ? ORDER BY r.id DESC LIMIT 1",
            (DAG_ID, task_id),
        ).fetchone()


def pay_once_trigger_polls(emulator, merchant_uid: str, paid: dict) -> threading.Thread:
    """Pay the order's barcode through the control API once the trigger has polled it.

    The sensor's first look is the first ``GET /payments/{imp_uid}``; the trigger's
    polls follow, so a second one means the sensor deferred and the trigger runs.
    """

    def pay() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (emulator.stats.get("GET /payments/{imp_uid}") or 0) >= 2:
                imp_uid = emulator.store.find(merchant_uid)["imp_uid"]
                request = urllib.request.Request(f"{emulator.url}/_emulator/cvs/{imp_uid}/pay", data=b"", method="POST")
                with urllib.request.urlopen(request, timeout=10) as response:
                    paid["status"] = response.status
                return
            time.sleep(0.05)

    thread = threading.Thread(target=pay, name="pay-barcode", daemon=True)
    thread.start()
    return thread


def test_paid_while_deferred(barcode_runner, emulator, airflow_home):
    paid: dict = {}
    payer = pay_once_trigger_polls(emulator, "cvs_dag_paid_0001", paid)

    result = barcode_runner.test(
        DAG_ID,
        "2026-11-01T10:00:00+09:00",
        conf={"merchant_uid": "cvs_dag_paid_0001", "amount": 15000, "wait_minutes": 2, "poke_seconds": 0.5},
    )
    payer.join(timeout=5)
    assert paid == {"status": 200}

    summary = barcode_runner.xcom(DAG_ID, "wait_for_payment")
    assert summary["status"] == "paid"
    assert summary["merchant_uid"] == "cvs_dag_paid_0001"
    assert summary["amount"] == 15000
    assert summary["pay_method"] == "cvs"

    run_id, state, classpath = task_row(airflow_home, "wait_for_payment")
    assert state == "success"
    assert classpath == TRIGGER_CLASSPATH
    assert task_events(airflow_home, "wait_for_payment", run_id) == ["running", "deferred", "running", "success"]
    assert task_row(airflow_home, "revoke_unpaid_barcode")[1] == "skipped"

    output = result.stdout + result.stderr
    assert "[DAG TEST] running trigger in line" in output
    assert API_SECRET not in output
    assert emulator.store.find("cvs_dag_paid_0001")["status"] == "paid"


def test_unpaid_barcode_revoked_after_timeout(barcode_runner, emulator, airflow_home):
    result = barcode_runner.test(
        DAG_ID,
        "2026-11-02T10:00:00+09:00",
        conf={"merchant_uid": "cvs_dag_unpaid_0001", "amount": 8000, "wait_minutes": 0.05, "poke_seconds": 0.5},
    )

    run_id, state, classpath = task_row(airflow_home, "wait_for_payment")
    assert state == "failed"
    assert classpath == TRIGGER_CLASSPATH
    assert task_events(airflow_home, "wait_for_payment", run_id) == ["running", "deferred", "running", "failed"]

    output = result.stdout + result.stderr
    assert "is still 'ready'" in output
    assert API_SECRET not in output

    revoked = barcode_runner.xcom(DAG_ID, "revoke_unpaid_barcode")
    assert revoked["outcome"] == "revoked"
    assert revoked["merchant_uid"] == "cvs_dag_unpaid_0001"
    assert emulator.store.find("cvs_dag_unpaid_0001")["status"] == "cancelled"
    assert emulator.stats["DELETE /cvs/{imp_uid}"] == 1
