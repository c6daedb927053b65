"""The settlement DAG run by ``airflow dags test`` on SQLite, checked against the emulator's data."""

from __future__ import annotations

import json

import pendulum
import pytest

from portone_provider.emulator.oracle import expected_settlement
from tests.conftest import API_SECRET

pytestmark = pytest.mark.dag


def test_settlement_dag_exports_previous_kst_day(dag_runner, demo_emulator):
    result = dag_runner.test("portone_daily_settlement", "2026-11-03T01:00:00+09:00")

    day = pendulum.datetime(2026, 11, 2, tz="Asia/Seoul")
    expected = expected_settlement(demo_emulator.store.all(), int(day.timestamp()), int(day.add(days=1).timestamp()))
    summary = dag_runner.xcom("portone_daily_settlement", "export_payments")

    assert summary["since"] == "2026-11-02T00:00:00+09:00"
    assert summary["until"] == "2026-11-03T00:00:00+09:00"
    for key in ("rows", "sales_count", "sales", "refunds_count", "refunds", "net"):
        assert summary[key] == expected[key], key

    path = dag_runner.export_dir / "portone_settlement_2026-11-02.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(row["imp_uid"] for row in rows) == expected["imp_uids"]

    assert dag_runner.xcom("portone_daily_settlement", "summarize")["net"] == expected["net"]
    assert API_SECRET not in result.stdout + result.stderr
