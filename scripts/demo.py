"""Run the example DAGs with Airflow against the local PortOne emulator and show what they did.

Started by ``make demo``. It starts the emulator on 127.0.0.1 with the demo data set,
migrates a fresh AIRFLOW_HOME under ``.demo/``, runs each example DAG with
``airflow dags test``, prints each DAG's result next to the figures computed straight
from the emulator's records, and stops the emulator. Exit status 1 means a DAG failed
or a result did not match.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO / ".demo"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
API_KEY = "demo_api_key"
# A fixed, recognisable secret: after the demo, no log file under .demo/ should contain it.
API_SECRET = "demo_secret_7fQ2mX9pL4"

SUMMARY_KEYS = ("rows", "sales_count", "sales", "refunds_count", "refunds", "net")


@dataclass
class DemoStep:
    """One example DAG run and the check of its result."""

    title: str
    dag_id: str
    logical_date: str
    check: Callable[["Demo"], bool]
    conf: dict | None = None


class Demo:
    """The emulator process, the Airflow home and helpers the steps share."""

    def __init__(self) -> None:
        self.home = DEMO_DIR / "airflow_home"
        self.exports = DEMO_DIR / "exports"
        self.emulator: subprocess.Popen | None = None
        self.url = ""

    def start_emulator(self) -> None:
        port_file = DEMO_DIR / "emulator.port"
        port_file.unlink(missing_ok=True)
        command = [
            sys.executable, "-m", "portone_provider.emulator",
            "--port", "0", "--port-file", str(port_file),
            "--dataset", "demo", "--api-key", API_KEY, "--api-secret", API_SECRET,
            "--max-lifetime", "1800",
        ]
        self.emulator = subprocess.Popen(command, stdout=subprocess.DEVNULL)

        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if self.emulator.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("The emulator did not start; run `make emulator` to see why.")
            time.sleep(0.1)
        self.url = f"http://127.0.0.1:{int(port_file.read_text().strip())}"
        health = self.control("GET", "/_emulator/health")
        print(f"Emulator at {self.url} with {health['payments']} demo payments")

    def stop_emulator(self) -> None:
        if self.emulator is not None and self.emulator.poll() is None:
            self.emulator.terminate()
            try:
                self.emulator.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.emulator.kill()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags_examples"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW_CONN_PORTONE_DEFAULT": json.dumps(
                    {"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": self.url}
                ),
                "PORTONE_EXPORT_DIR": str(self.exports),
                "PORTONE_REFUND_RETRY_DELAY_SECONDS": "1",
            }
        )
        return env

    def migrate(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        print(f"Migrating a fresh Airflow database in {self.home} ...")
        subprocess.run([AIRFLOW, "db", "migrate"], env=self.env(), check=True, capture_output=True, timeout=600)

    def run_dag(self, step: DemoStep) -> bool:
        command = [AIRFLOW, "dags", "test", step.dag_id, step.logical_date]
        if step.conf is not None:
            command += ["--conf", json.dumps(step.conf)]
        print(f"\n=== {step.title}\n$ airflow dags test {step.dag_id} {step.logical_date}")
        result = subprocess.run(command, env=self.env(), capture_output=True, text=True, timeout=900)
        log_file = DEMO_DIR / f"{step.dag_id}.log"
        log_file.write_text(result.stdout + result.stderr, encoding="utf-8")
        if result.returncode != 0:
            print(f"FAILED: the DAG run exited with {result.returncode}; its output is in {log_file}")
            print((result.stdout + result.stderr)[-3000:])
            return False
        return step.check(self)

    def xcom(self, dag_id: str, task_id: str, map_index: int = -1) -> Any:
        with sqlite3.connect(self.home / "airflow.db") as db:
            row = db.execute(
                "SELECT x.value FROM xcom x JOIN dag_run r ON r.id = x.dag_run_id "
                "WHERE x.dag_id = ? AND x.task_id = ? AND x.map_index = ? AND x.key = 'return_value' "
                "ORDER BY r.id DESC LIMIT 1",
                (dag_id, task_id, map_index),
            ).fetchone()
        if row is None:
            return None
        return json.loads(row[0]) if isinstance(row[0], (str, bytes)) else row[0]


def check_settlement(demo: Demo) -> bool:
    """Compare the export's summary with the settlement computed from the emulator's records."""
    summary = demo.xcom("portone_daily_settlement", "export_payments")
    since = int(_parse_iso(summary["since"]))
    until = int(_parse_iso(summary["until"]))
    expected = demo.control("GET", f"/_emulator/settlement?since={since}&until={until}")

    print(f"Exported {summary['rows']} payments of {summary['since']} .. {summary['until']}")
    print(f"  file: {summary['path']}")
    print(f"  {'':<14} {'DAG export':>28} {'emulator records':>28}")
    matched = True
    for key in SUMMARY_KEYS:
        ours, theirs = summary[key], expected[key]
        mark = "ok" if ours == theirs else "MISMATCH"
        matched &= ours == theirs
        print(f"  {key:<14} {json.dumps(ours):>28} {json.dumps(theirs):>28}  {mark}")
    print("  per pay method (sales / refunds / net):")
    for name, tally in summary["by_pay_method"].items():
        print(f"    {name:<8} {tally['sales_count']:>5} {json.dumps(tally['sales']):<26} "
              f"{tally['refunds_count']:>4} {json.dumps(tally['refunds']):<22} net {json.dumps(tally['net'])}")
    print("  per PG provider (sales / refunds / net):")
    for name, tally in summary["by_pg_provider"].items():
        print(f"    {name:<13} {tally['sales_count']:>5} {json.dumps(tally['sales']):<26} "
              f"{tally['refunds_count']:>4} {json.dumps(tally['refunds']):<22} net {json.dumps(tally['net'])}")
    print("Settlement matches the emulator's records." if matched else "Settlement does NOT match.")
    return matched


def check_barcode_cleanup(demo: Demo) -> bool:
    """Compare revoked counts with the unpaid barcodes past due in the demo data set."""
    from portone_provider.emulator.dataset import generate_demo_payments

    reference = int(_parse_iso(CLEANUP_DATE))
    expected = sorted(
        payment["imp_uid"]
        for payment in generate_demo_payments()
        if payment["pay_method"] == "cvs"
        and payment["status"] == "ready"
        and reference - 30 * 86400 <= payment["started_at"] < reference
        and payment["vbank_date"] < reference
    )
    listing = demo.xcom("portone_nightly_barcode_cleanup", "revoke_barcodes")
    report = demo.xcom("portone_nightly_barcode_cleanup", "report")
    revoked = sorted(listing["revoked_imp_uids"])
    still_ready = [
        imp_uid for imp_uid in revoked if demo.control("GET", f"/_emulator/payments/{imp_uid}")["status"] != "cancelled"
    ]

    print(f"Cleanup at {listing['reference']}: listed {listing['listed']} unpaid barcodes past due")
    print(f"  revoked {report['revoked']}, already revoked {report['already_revoked']}, "
          f"skipped as paid {report['skipped_paid']}, failed {report['failed']}")
    print(f"  expected from the demo data set: {len(expected)} barcodes to revoke")
    matched = revoked == expected and report["failed"] == 0 and not still_ready
    print("Barcode cleanup matches the emulator's data set." if matched else "Barcode cleanup does NOT match.")
    return matched


def check_refund_batch(demo: Demo) -> bool:
    """Compare the refund report with the cancels the emulator recorded during the demo."""
    summary = demo.xcom("portone_refund_batch", "write_report")
    report = json.loads(Path(summary["path"]).read_text(encoding="utf-8"))

    recorded: dict[str, float] = {}
    for row in report["refunds"]:
        payment = demo.control("GET", f"/_emulator/payments/{row['imp_uid']}")
        for entry in payment["cancel_history"]:
            if entry["cancellation_id"] in row["cancellation_ids"]:
                currency = payment["currency"]
                recorded[currency] = round(recorded.get(currency, 0) + entry["amount"], 2)

    print(f"Refund report {summary['path']}")
    for row in report["refunds"]:
        print(f"  {row['imp_uid']:<18} {row['outcome']:<8} {row['cancelled_amount']:>9} {row['currency']:<4} "
              f"remaining {row['remaining']:>9}  status {row['status']}")
    print(f"  counts {summary['counts']}, refunded {summary['refunded_totals']}")
    print(f"  refunds recorded by the emulator: {recorded}")
    totals = {currency: float(amount) for currency, amount in summary["refunded_totals"].items()}
    matched = totals == recorded and summary["counts"].get("failed", 0) == 0
    print("Refund report matches the emulator's records." if matched else "Refund report does NOT match.")
    return matched


def check_issue_and_wait(demo: Demo) -> bool:
    """Show the barcode the DAG issued, its deferred wait, and how it ended."""
    issued = demo.xcom("portone_issue_barcode_and_wait", "issue_barcode")
    revoked = demo.xcom("portone_issue_barcode_and_wait", "revoke_unpaid_barcode")
    stored = demo.control("GET", f"/_emulator/payments/{issued['imp_uid']}")
    log_text = (DEMO_DIR / "portone_issue_barcode_and_wait.log").read_text(encoding="utf-8")

    deferred = "DEFERRED" in log_text.upper()
    print(f"Issued barcode {issued['barcode']} ({issued['imp_uid']}) for {issued['amount']} KRW, "
          f"due {issued.get('expired_at_kst')}")
    print(f"  sensor deferred while waiting: {'yes' if deferred else 'no'}")
    print(f"  nobody paid, so after the timeout the barcode was {revoked['outcome'] if revoked else 'not revoked'}; "
          f"emulator status now {stored['status']}")
    matched = deferred and revoked is not None and stored["status"] == "cancelled"
    print("Issue-and-wait ended as expected." if matched else "Issue-and-wait did NOT end as expected.")
    return matched


def _parse_iso(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


CLEANUP_DATE = "2026-11-05T03:00:00+09:00"

# The settlement reads the untouched demo data, so it runs first; the others change it.
STEPS = [
    DemoStep(
        title="Daily settlement of 2026-11-02 (KST), run at 01:00 the next day",
        dag_id="portone_daily_settlement",
        logical_date="2026-11-03T01:00:00+09:00",
        check=check_settlement,
    ),
    DemoStep(
        title="Nightly cleanup of unpaid barcodes past due, run at 03:00 KST on 2026-11-05",
        dag_id="portone_nightly_barcode_cleanup",
        logical_date=CLEANUP_DATE,
        check=check_barcode_cleanup,
    ),
    DemoStep(
        title="Refund batch from the DAG run's conf (its default: four demo payments)",
        dag_id="portone_refund_batch",
        logical_date="2026-12-01T10:00:00+09:00",
        check=check_refund_batch,
    ),
    DemoStep(
        title="Issue a barcode, wait for payment deferred, revoke it when nobody pays",
        dag_id="portone_issue_barcode_and_wait",
        logical_date="2026-12-01T10:00:00+09:00",
        check=check_issue_and_wait,
        conf={"merchant_uid": "demo_cvs_wait_0001", "amount": 15000, "wait_minutes": 0.1, "poke_seconds": 1},
    ),
]


def main() -> int:
    DEMO_DIR.mkdir(exist_ok=True)
    demo = Demo()
    results = []
    try:
        demo.start_emulator()
        demo.migrate()
        for step in STEPS:
            results.append((step.title, demo.run_dag(step)))
    finally:
        demo.stop_emulator()

    print("\nDemo results:")
    for title, ok in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {title}")
    print(f"Each DAG run's output: {DEMO_DIR}/<dag_id>.log; export files: {demo.exports}")
    return 0 if results and all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
