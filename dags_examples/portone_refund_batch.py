"""Refund a batch of PortOne payments, one mapped cancel task per refund, and write a report.

Trigger it with the refunds in the DAG run's conf:

    {"refunds": [{"imp_uid": "imp_...", "amount": 5000, "reason": "..."},
                 {"merchant_uid": "ORD-...", "reason": "..."}],
     "output_dir": "/tmp/portone_exports"}

Each refund names the payment by ``imp_uid`` or ``merchant_uid``. ``amount`` is
optional: without it the payment is refunded in full. A virtual-account payment also
needs ``refund_holder``, ``refund_bank`` and ``refund_account``, with the bank code and
account number as text so leading zeros stay. ``refund_tel``, ``tax_free`` and
``vat_amount`` are optional. The default conf refunds four payments of the emulator's demo data set:

    airflow dags test portone_refund_batch

Every cancel refunds at most once, even when Airflow retries it after a lost response:
see ``PortOneCancelPaymentOperator``. A DAG run refunds each listed payment once, so
re-running a task of the same run never refunds again; a new refund needs a new run.
The conf and the planned refunds (an XCom) are visible to everyone who can see the DAG
run, refund accounts included; task logs mask them.

``write_report`` writes ``portone_refunds_<run id>.json`` (refund accounts masked to
their last four digits) and returns the counts and per-currency totals. The last task
fails the run when any refund failed, after the report is written.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import mask_secret

from portone_provider.operators.portone import PortOneCancelPaymentOperator
from portone_provider.refunds import mask_account, to_plain_number

log = logging.getLogger(__name__)

#: Keys a refund in the conf may have: the cancel operator's arguments.
REFUND_KEYS = (
    "imp_uid",
    "merchant_uid",
    "amount",
    "reason",
    "tax_free",
    "vat_amount",
    "refund_holder",
    "refund_bank",
    "refund_account",
    "refund_tel",
)

#: Four paid payments of the demo data set (generate_demo_payments() with its defaults):
#: a partial and a full card refund, a full virtual-account refund and a partial USD one.
DEMO_REFUNDS = [
    {"imp_uid": "imp_198176368222", "amount": 20000, "reason": "부분 환불: 사이즈 교환 차액"},
    {"merchant_uid": "ORD-20261101-00104", "reason": "고객 변심으로 주문 취소"},
    {
        "imp_uid": "imp_885378846105",
        "reason": "품절로 인한 환불",
        "refund_holder": "김민준",
        "refund_bank": "004",
        "refund_account": "00123456789012",
    },
    {"imp_uid": "imp_217268665127", "amount": 10.25, "reason": "Partial refund for a late delivery"},
]

# Delay between tries of a cancel. A retry looks the payment up before sending
# anything, so a short delay is safe, and tests set it to 0 seconds.
RETRY_DELAY = timedelta(seconds=int(os.environ.get("PORTONE_REFUND_RETRY_DELAY_SECONDS", "30")))


with DAG(
    dag_id="portone_refund_batch",
    description="Refund the PortOne payments listed in the run's conf and write a refund report",
    schedule=None,
    start_date=pendulum.datetime(2026, 11, 1, tz="Asia/Seoul"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": RETRY_DELAY},
    params={
        "refunds": Param(
            DEMO_REFUNDS,
            type="array",
            items={"type": "object"},
            description="Refunds: objects with imp_uid or merchant_uid, optional amount (default: full) and reason.",
        ),
        "output_dir": Param(
            os.environ.get("PORTONE_EXPORT_DIR", "/tmp/portone_exports"),
            type="string",
            description="Folder the refund report is written to.",
        ),
    },
    tags=["portone", "refunds"],
    doc_md=__doc__,
) as dag:

    # The plan carries refund accounts, so its return value stays out of the task log.
    @task(show_return_value_in_logs=False)
    def plan_refunds(params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Check the shape of the conf's refunds and turn each into the cancel operator's arguments."""
        refunds = params["refunds"]
        if not isinstance(refunds, list) or not refunds:
            raise AirflowFailException(
                f'Invalid refunds {refunds!r}: expected a non-empty list such as [{{"imp_uid": "imp_...", '
                '"amount": 5000, "reason": "..."}].'
            )

        plan = []
        for index, refund in enumerate(refunds):
            if not isinstance(refund, dict):
                raise AirflowFailException(f"Invalid refunds[{index}] {refund!r}: expected an object.")
            unknown = sorted(set(refund) - set(REFUND_KEYS))
            if unknown:
                raise AirflowFailException(
                    f"Invalid refunds[{index}]: unknown keys {unknown}. Allowed keys: {', '.join(REFUND_KEYS)}."
                )
            if not refund.get("imp_uid") and not refund.get("merchant_uid"):
                raise AirflowFailException(f"Invalid refunds[{index}] {refund!r}: name imp_uid or merchant_uid.")
            plan.append({key: refund.get(key) for key in REFUND_KEYS})
            for key in ("refund_account", "refund_tel"):
                if refund.get(key):
                    # Masked in this task's log lines, the logged return value included.
                    mask_secret(str(refund[key]))

        log.info("Planned %d refunds", len(plan))
        return plan

    planned = plan_refunds()

    cancels = PortOneCancelPaymentOperator.partial(
        task_id="cancel_payment",
        map_index_template="{{ task.imp_uid or task.merchant_uid }}",
    ).expand_kwargs(planned)

    @task(trigger_rule="all_done")
    def write_report(
        plan: list[dict[str, Any]], params: dict[str, Any] | None = None, run_id: str | None = None, ti=None
    ) -> dict[str, Any]:
        """Write the refund report file from each cancel's result and return its summary."""
        rows = []
        for index, refund in enumerate(plan):
            result = ti.xcom_pull(task_ids="cancel_payment", map_indexes=index)
            rows.append(_report_row(index, refund, result))

        summary = _summarize(rows)
        output_dir = Path(params.get("output_dir") or "/tmp/portone_exports")
        output_dir.mkdir(parents=True, exist_ok=True)
        path = output_dir / f"portone_refunds_{re.sub(r'[^A-Za-z0-9_.-]', '_', run_id)}.json"
        report = {
            "run_id": run_id,
            "written_at": datetime.now(timezone.utc).isoformat(),
            "summary": summary,
            "refunds": rows,
        }
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")

        lines = [f"PortOne refund report {path}"]
        for row in rows:
            lines.append(
                f"  {row['imp_uid'] or row['merchant_uid']:<22} {row['outcome']:<12} "
                f"{row['cancelled_amount']} {row['currency'] or ''} (remaining {row['remaining']}, status {row['status']})"
            )
        lines.append(f"  counts {summary['counts']}, refunded {summary['refunded_totals']}")
        log.info("\n".join(lines))
        return {"path": str(path), **summary}

    @task
    def check_refunds(summary: dict[str, Any]) -> None:
        """Fail the DAG run when any refund failed, so it shows as failed after the report is written."""
        failed = summary["counts"].get("failed", 0)
        if failed:
            raise AirflowFailException(f"{failed} refund(s) failed; see {summary['path']} and the cancel_payment logs.")

    report = write_report(planned)
    cancels >> report
    check_refunds(report)


def _report_row(index: int, refund: dict[str, Any], result: dict[str, Any] | None) -> dict[str, Any]:
    """Describe one refund: the request (account masked) and what the cancel task returned."""
    request = {key: value for key, value in refund.items() if value is not None}
    if "refund_account" in request:
        request["refund_account"] = mask_account(str(request["refund_account"]))
    if "refund_tel" in request:
        request["refund_tel"] = mask_account(str(request["refund_tel"]))

    if result is None:
        return {
            "map_index": index,
            "request": request,
            "outcome": "failed",
            "imp_uid": refund.get("imp_uid"),
            "merchant_uid": refund.get("merchant_uid"),
            "currency": None,
            "cancelled_amount": 0,
            "remaining": None,
            "status": None,
            "cancellation_ids": [],
        }
    return {
        "map_index": index,
        "request": request,
        "outcome": result["outcome"],
        "imp_uid": result["imp_uid"],
        "merchant_uid": result["merchant_uid"],
        "currency": result["currency"],
        "cancelled_amount": result["cancelled_amount"],
        "remaining": result["remaining"],
        "status": result["status"],
        "cancellation_ids": [entry["cancellation_id"] for entry in result["cancel_history"]],
    }


def _summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Count the outcomes and add the refunded amounts per currency exactly."""
    counts: dict[str, int] = {}
    totals: dict[str, Decimal] = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
        if row["currency"] and row["cancelled_amount"]:
            totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + Decimal(str(row["cancelled_amount"]))
    return {
        "refunds": len(rows),
        "counts": counts,
        "refunded_totals": {currency: to_plain_number(total) for currency, total in sorted(totals.items())},
    }
