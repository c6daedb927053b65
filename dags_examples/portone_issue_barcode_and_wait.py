"""Issue a convenience-store barcode, wait for the customer to pay it, revoke it if nobody does.

Triggered by hand or through the REST API with a conf, never on a schedule:

1. ``issue_barcode`` issues a barcode for the order ``merchant_uid`` and ``amount``.
   Issuing again for the same order hands back the unpaid barcode already issued.
2. ``wait_for_payment`` waits in the triggerer (``deferrable=True``) until the barcode
   is paid, at most ``wait_minutes``, polling PortOne every ``poke_seconds``. It
   returns the payment summary.
3. ``revoke_unpaid_barcode`` runs only when the wait failed (``trigger_rule="one_failed"``):
   after the timeout, or when the barcode was cancelled or could not be read. It
   revokes the barcode so no store accepts it any more. A barcode paid in the
   meantime stays paid and the revoke is skipped.

When the barcode is paid in time the revoke is skipped. When nobody pays, the wait
fails with "is still 'ready'", the revoke runs and the DAG run succeeds, because its
only leaf task did.

Run it against the local emulator (``portone-emulator --port 8765``) and pay the
barcode from another shell while the sensor waits:

    airflow dags test portone_issue_barcode_and_wait \\
        --conf '{"merchant_uid": "cvs_demo_0001", "amount": 15000, "wait_minutes": 2}'
    curl -X POST http://127.0.0.1:8765/_emulator/cvs/<imp_uid>/pay
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, Param

from portone_provider.operators.portone import PortOneIssueBarcodeOperator, PortOneRevokeBarcodeOperator
from portone_provider.sensors.portone import PortOnePaymentSensor

ISSUED_IMP_UID = "{{ ti.xcom_pull(task_ids='issue_barcode')['imp_uid'] }}"


def use_wait_params(context: dict[str, Any]) -> None:
    """Set the sensor's timeout and poke interval from the run's params.

    A sensor's ``timeout`` and ``poke_interval`` are numbers fixed when the DAG file is
    parsed, while params exist only at run time. Airflow calls this before ``execute``
    and again before ``execute_complete`` after the deferral.
    """
    sensor = context["task"]
    sensor.timeout = float(context["params"]["wait_minutes"]) * 60
    sensor.poke_interval = float(context["params"]["poke_seconds"])


with DAG(
    dag_id="portone_issue_barcode_and_wait",
    description="Issue a PortOne convenience-store barcode, wait until it is paid, revoke it if unpaid",
    schedule=None,
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    params={
        "merchant_uid": Param(
            "cvs_demo_0001",
            type="string",
            minLength=1,
            maxLength=40,
            description="Your order id for the barcode, at most 40 characters.",
        ),
        "amount": Param(15000, type="integer", minimum=1, description="Amount in KRW the customer pays at the store."),
        "wait_minutes": Param(
            60,
            type="number",
            exclusiveMinimum=0,
            description="Minutes to wait for the payment before the barcode is revoked.",
        ),
        "poke_seconds": Param(
            30,
            type="number",
            exclusiveMinimum=0,
            description="Seconds between two looks at the payment while waiting.",
        ),
    },
    tags=["portone", "barcode"],
    doc_md=__doc__,
) as dag:
    issue = PortOneIssueBarcodeOperator(
        task_id="issue_barcode",
        merchant_uid="{{ params.merchant_uid }}",
        amount="{{ params.amount }}",
        name="편의점 결제 주문",
    )

    wait = PortOnePaymentSensor(
        task_id="wait_for_payment",
        imp_uid=ISSUED_IMP_UID,
        deferrable=True,
        # A timeout or a failure status fails the sensor without retries, and the revoke
        # follows. Other errors, such as rejected credentials, are retried first.
        pre_execute=use_wait_params,
    )

    revoke = PortOneRevokeBarcodeOperator(
        task_id="revoke_unpaid_barcode",
        imp_uid=ISSUED_IMP_UID,
        if_paid="skip",
        trigger_rule="one_failed",
    )

    issue >> wait >> revoke
