"""Nightly revoke of unpaid convenience-store barcodes.

Runs every day at 03:00 Korean time (Asia/Seoul). It lists the unpaid barcodes
(status ``ready``, pay method ``cvs``) issued in the ``window_days`` before the run
and revokes each one past its cut-off, so no store accepts it any more:

- a barcode with a due time may be revoked once its due time has passed, never before;
- a barcode without a due time may be revoked from 00:00 KST on the day after the
  ``max_age_days``-th KST day after its issue day (a Korean calendar cut-off, not
  issue time + N x 24 h).

Cut-offs are measured at the run's logical date, so a run repeated later revokes the
same barcodes. A logical date in the future is replaced by the current time, so a
barcode is never revoked before its due time.

Each barcode is looked up again right before its revoke: one paid since the listing
stays paid and is counted as skipped. The ``revoke_barcodes`` task returns, and
``report`` logs, the counts of revoked, already revoked, skipped-as-paid, otherwise
skipped and failed barcodes. ``report`` fails the run when any revoke failed;
clearing ``revoke_barcodes`` then retries safely, because a revoked barcode counts
as already revoked.

Run it against the local emulator:

    airflow dags test portone_nightly_barcode_cleanup 2026-11-05T03:00:00+09:00
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.trigger import CronTriggerTimetable

from portone_provider.hooks.portone import PortOneHook
from portone_provider.operators.barcode import list_revocable_barcodes, revoke_listed_barcodes

log = logging.getLogger(__name__)

KST = "Asia/Seoul"


def run_reference(context: dict[str, Any]) -> pendulum.DateTime:
    """Return the moment the cut-offs are measured at: the logical date, at most now."""
    moment = context.get("logical_date") or context["dag_run"].run_after
    moment = pendulum.instance(moment)
    now = pendulum.now("UTC")
    if moment > now:
        log.warning("Logical date %s is in the future, so cut-offs are measured at now, %s", moment, now)
        moment = now
    return moment.in_timezone(KST)


with DAG(
    dag_id="portone_nightly_barcode_cleanup",
    description="Revoke unpaid PortOne convenience-store barcodes past their due time",
    schedule=CronTriggerTimetable("0 3 * * *", timezone=KST),
    start_date=pendulum.datetime(2026, 11, 1, tz=KST),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    params={
        "max_age_days": Param(
            7,
            type="integer",
            minimum=0,
            description="KST days after the issue day after which a barcode without a due time is revoked.",
        ),
        "window_days": Param(
            30,
            type="integer",
            minimum=1,
            description="How many days before the run to list unpaid barcodes from, by issue time.",
        ),
    },
    tags=["portone", "barcode"],
    doc_md=__doc__,
) as dag:

    @task
    def list_barcodes(**context) -> dict[str, Any]:
        """List the unpaid barcodes past their cut-off at the run's reference time."""
        params = context["params"]
        reference = run_reference(context)
        window = timedelta(days=int(params["window_days"]))
        max_age_days = int(params["max_age_days"])

        client = PortOneHook().get_conn()
        barcodes = list(
            list_revocable_barcodes(client, reference=reference, window=window, max_age_days=max_age_days)
        )
        log.info(
            "%d unpaid barcodes issued from %s to %s are past their cut-off at %s",
            len(barcodes),
            (reference - window).isoformat(),
            reference.isoformat(),
            reference.isoformat(),
        )
        return {
            "reference": reference.isoformat(),
            "reference_ts": int(reference.timestamp()),
            "max_age_days": max_age_days,
            "barcodes": barcodes,
        }

    @task
    def revoke_barcodes(listing: dict[str, Any]) -> dict[str, Any]:
        """Revoke the listed barcodes, each looked up again right before its revoke."""
        client = PortOneHook().get_conn()
        report = revoke_listed_barcodes(
            client,
            listing["barcodes"],
            reference=listing["reference_ts"],
            max_age_days=listing["max_age_days"],
        )
        report["reference"] = listing["reference"]
        report["listed"] = len(listing["barcodes"])
        return report

    @task
    def report(result: dict[str, Any]) -> dict[str, Any]:
        """Log the counts and fail the run when any revoke failed."""
        log.info(
            "Barcode cleanup at %s: listed %d, revoked %d, already revoked %d, skipped as paid %d, "
            "skipped otherwise %d, failed %d",
            result["reference"],
            result["listed"],
            result["revoked"],
            result["already_revoked"],
            result["skipped_paid"],
            result["skipped_other"],
            result["failed"],
        )
        if result["skipped_paid"]:
            log.warning("Paid since the listing, left alone: %s", ", ".join(result["skipped_paid_imp_uids"]))
        if result["failed"]:
            details = "; ".join(f"{entry['imp_uid']}: {entry['error']}" for entry in result["failures"][:20])
            raise AirflowFailException(
                f"{result['failed']} barcode revokes failed ({details}). Clear revoke_barcodes to retry them."
            )
        return {key: result[key] for key in ("revoked", "already_revoked", "skipped_paid", "skipped_other", "failed")}

    report(revoke_barcodes(list_barcodes()))
