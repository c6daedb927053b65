"""Fixtures of the reliability suite.

The DAG runner fixtures come from the example DAG tests, so the secret scan runs a
DAG exactly as those tests do.
"""

from __future__ import annotations

from tests.dags.conftest import airflow_home, dag_runner  # noqa: F401  (fixtures used by test_secrets_dag)
