"""A DAG run leaves neither the API secret nor an access token in logs, XCom or rendered fields.

``airflow dags test`` in Airflow 3.3 runs the tasks inside its own process and
streams their logs to its output instead of files, so the scan reads that output
as well as every file under ``AIRFLOW_HOME/logs``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import API_SECRET

pytestmark = pytest.mark.dag


def table_texts(home: str, query: str) -> list[str]:
    with sqlite3.connect(Path(home) / "airflow.db") as db:
        rows = db.execute(query).fetchall()
    return [" ".join(str(value) for value in row) for row in rows]


def test_settlement_run_leaks_nothing(dag_runner, demo_emulator):
    token_requests = demo_emulator.stats["token_requests"]
    result = dag_runner.test("portone_daily_settlement", "2026-11-04T01:00:00+09:00")
    tokens = demo_emulator.tokens.issued_tokens()
    output = result.stdout + result.stderr
    assert tokens
    assert demo_emulator.stats["token_requests"] > token_requests
    assert "Exporting PortOne payments" in output

    xcom = table_texts(dag_runner.home, "SELECT dag_id, task_id, key, value FROM xcom")
    rendered = table_texts(dag_runner.home, "SELECT dag_id, task_id, rendered_fields FROM rendered_task_instance_fields")
    assert any("portone_daily_settlement export_payments" in text for text in xcom)
    assert any("portone_daily_settlement export_payments" in text for text in rendered)

    sources = {"airflow dags test output": output, "xcom": "\n".join(xcom), "rendered fields": "\n".join(rendered)}
    for path in (Path(dag_runner.home) / "logs").rglob("*"):
        if path.is_file():
            sources[str(path)] = path.read_text(errors="replace")

    for name, text in sources.items():
        assert API_SECRET not in text, name
        for token in tokens:
            assert token not in text, name
