"""Daily PortOne settlement export.

Runs every day at 01:00 Korean time (Asia/Seoul) and exports the previous Korean
calendar day, 00:00:00 to 24:00:00 KST, to a JSON Lines file: every payment paid or
refunded that day, one per line. The export task logs counts and KRW totals per pay
method and PG provider, with sales and refunds apart and netted. ``summarize`` keeps
the figures a downstream report needs.

The run at 01:00 on 2026-11-02 exports 2026-11-01. Run it against the local emulator:

    airflow dags test portone_daily_settlement 2026-11-02T01:00:00+09:00

Params: ``output_dir`` (default: the ``PORTONE_EXPORT_DIR`` environment variable, else
``/tmp/portone_exports``) and ``refund_lookback_days``, how many days before the
exported day a payment may have been paid and still be partially refunded on it.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param, task
from airflow.timetables.trigger import CronTriggerTimetable

from portone_provider.operators.portone import PortOneExportPaymentsOperator

log = logging.getLogger(__name__)

KST = "Asia/Seoul"
# The exported day is the Korean calendar day before the run's data interval end.
DAY_START = "{{ data_interval_end.in_timezone('Asia/Seoul').start_of('day').subtract(days=1).isoformat() }}"
DAY_END = "{{ data_interval_end.in_timezone('Asia/Seoul').start_of('day').isoformat() }}"
DAY_LABEL = "{{ data_interval_end.in_timezone('Asia/Seoul').subtract(days=1).strftime('%Y-%m-%d') }}"


with DAG(
    dag_id="portone_daily_settlement",
    description="Export yesterday's PortOne payments (KST) and summarise sales and refunds",
    schedule=CronTriggerTimetable("0 1 * * *", timezone=KST, interval=timedelta(days=1)),
    start_date=pendulum.datetime(2026, 11, 1, tz=KST),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    params={
        "output_dir": Param(
            os.environ.get("PORTONE_EXPORT_DIR", "/tmp/portone_exports"),
            type="string",
            description="Folder the daily export files are written to.",
        ),
        "refund_lookback_days": Param(
            31,
            type="integer",
            minimum=0,
            description="Days before the exported day in which a partially refunded payment may have been paid.",
        ),
    },
    tags=["portone", "settlement"],
    doc_md=__doc__,
) as dag:
    export = PortOneExportPaymentsOperator(
        task_id="export_payments",
        output_dir="{{ params.output_dir }}",
        filename=f"portone_settlement_{DAY_LABEL}.jsonl",
        since=DAY_START,
        until=DAY_END,
        statuses=("paid", "cancelled"),
        refund_lookback="{{ params.refund_lookback_days }}",
    )

    @task
    def summarize(summary: dict) -> dict:
        """Keep the figures a report or a ledger import needs, and log them."""
        figures = {key: summary[key] for key in ("since", "until", "path", "rows", "sales", "refunds", "net")}
        log.info("Settlement %s .. %s: net %s", figures["since"], figures["until"], figures["net"])
        return figures

    summarize(export.output)
