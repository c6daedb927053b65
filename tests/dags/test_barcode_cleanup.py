"""The nightly barcode cleanup run by ``airflow dags test`` on the demo data, checked against the emulator.

The run revokes barcodes, so it gets an emulator of its own instead of the session's
shared demo emulator, which other tests read unchanged.
"""

from __future__ import annotations

import pendulum
import pytest

from portone_provider.emulator import EmulatorServer
from portone_provider.emulator.api_cvs import REVOKE_REASON
from tests.conftest import API_KEY, API_SECRET
from tests.dags.conftest import DagRunner

pytestmark = pytest.mark.dag

DAG_ID = "portone_nightly_barcode_cleanup"
LOGICAL_DATE = "2026-11-05T03:00:00+09:00"


@pytest.fixture
def cleanup_emulator():
    with EmulatorServer(api_key=API_KEY, api_secret=API_SECRET, port=0, dataset="demo", max_lifetime=600) as server:
        yield server


def test_cleanup_revokes_demo_barcodes_past_due(airflow_home, cleanup_emulator, tmp_path):
    reference = int(pendulum.parse(LOGICAL_DATE).timestamp())
    window_start = reference - 30 * 86400
    unpaid = [
        payment
        for payment in cleanup_emulator.store.all()
        if payment["pay_method"] == "cvs" and payment["status"] == "ready"
    ]
    # Every demo barcode has a due time, so only due times decide here.
    expected = sorted(
        payment["imp_uid"]
        for payment in unpaid
        if window_start <= payment["started_at"] < reference and payment["vbank_date"] < reference
    )
    assert len(expected) == 123
    assert len(unpaid) > len(expected)

    runner = DagRunner(airflow_home, cleanup_emulator.url, tmp_path / "exports")
    result = runner.test(DAG_ID, LOGICAL_DATE)

    revoke = runner.xcom(DAG_ID, "revoke_barcodes")
    assert revoke["reference"] == LOGICAL_DATE
    assert revoke["listed"] == len(expected)
    assert sorted(revoke["revoked_imp_uids"]) == expected
    assert runner.xcom(DAG_ID, "report") == {
        "revoked": 123,
        "already_revoked": 0,
        "skipped_paid": 0,
        "skipped_other": 0,
        "failed": 0,
    }

    for payment in unpaid:
        stored = cleanup_emulator.store.get(payment["imp_uid"])
        if payment["imp_uid"] in expected:
            assert stored["status"] == "cancelled", payment["imp_uid"]
            assert stored["cancel_reason"] == REVOKE_REASON
            assert stored["paid_at"] == 0
        else:
            assert stored == payment, payment["imp_uid"]

    output = result.stdout + result.stderr
    assert "revoked 123, already revoked 0, skipped as paid 0, skipped otherwise 0, failed 0" in output
    assert API_SECRET not in output
