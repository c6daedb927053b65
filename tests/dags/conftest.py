"""Fixtures for running example DAGs with Airflow's own runner in a temporary AIRFLOW_HOME."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import API_KEY, API_SECRET

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def airflow_env(home: str, emulator_url: str, export_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags_examples"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW_CONN_PORTONE_DEFAULT": json.dumps(
                {"conn_type": "portone", "login": API_KEY, "password": API_SECRET, "host": emulator_url}
            ),
            "PORTONE_EXPORT_DIR": str(export_dir),
        }
    )
    return env


@pytest.fixture(scope="session")
def airflow_home():
    """The session's AIRFLOW_HOME (set in the root conftest), migrated once."""
    home = os.environ["AIRFLOW_HOME"]
    env = dict(os.environ, AIRFLOW__CORE__LOAD_EXAMPLES="False")
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    return home


class DagRunner:
    """Runs ``airflow dags test`` against an emulator and reads the results back."""

    def __init__(self, home: str, emulator_url: str, export_dir: Path) -> None:
        self.home = home
        self.env = airflow_env(home, emulator_url, export_dir)
        self.export_dir = export_dir

    def test(self, dag_id: str, logical_date: str, conf: dict | None = None) -> subprocess.CompletedProcess:
        command = [AIRFLOW, "dags", "test", dag_id, logical_date]
        if conf is not None:
            command += ["--conf", json.dumps(conf)]
        result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise AssertionError(f"airflow dags test {dag_id} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result

    def xcom(self, dag_id: str, task_id: str, map_index: int = -1):
        with sqlite3.connect(Path(self.home) / "airflow.db") as db:
            row = db.execute(
                "SELECT x.value FROM xcom x JOIN dag_run r ON r.id = x.dag_run_id "
                "WHERE x.dag_id = ? AND x.task_id = ? AND x.map_index = ? AND x.key = 'return_value' "
                "ORDER BY r.id DESC LIMIT 1",
                (dag_id, task_id, map_index),
            ).fetchone()
        if row is None:
            raise AssertionError(f"no XCom return_value for {dag_id}.{task_id}")
        value = row[0]
        return json.loads(value) if isinstance(value, (str, bytes)) else value


@pytest.fixture
def dag_runner(airflow_home, demo_emulator, tmp_path):
    return DagRunner(airflow_home, demo_emulator.url, tmp_path / "exports")
