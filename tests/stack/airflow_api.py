"""A small client for Airflow 3's public REST API (v2), authenticated with a SimpleAuthManager JWT."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import requests

#: DAG run and task instance states after which nothing changes by itself.
FINISHED_RUN_STATES = frozenset({"success", "failed"})
FINISHED_TASK_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


class AirflowApiError(RuntimeError):
    """An API call returned an unexpected HTTP status."""


class AirflowApi:
    """Call ``/api/v2`` of one API server.

    The token comes from ``POST /auth/token`` with a SimpleAuthManager user and
    password. It is fetched again once when a call returns 401.
    """

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._timeout = timeout
        self._session = requests.Session()
        self._token: str | None = None

    def close(self) -> None:
        self._session.close()

    def login(self) -> None:
        """Fetch a JWT for the configured user."""
        response = self._session.post(
            f"{self.base_url}/auth/token",
            json={"username": self._username, "password": self._password},
            timeout=self._timeout,
        )
        if response.status_code != 201:
            raise AirflowApiError(f"POST /auth/token returned HTTP {response.status_code}: {response.text[:300]}")
        self._token = response.json()["access_token"]

    def call(self, method: str, path: str, *, expected: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        """Send a request to ``/api/v2{path}`` and return the decoded JSON body."""
        if self._token is None:
            self.login()
        response = self._send(method, path, **kwargs)
        if response.status_code == 401:
            self.login()
            response = self._send(method, path, **kwargs)
        if response.status_code not in expected:
            raise AirflowApiError(f"{method} /api/v2{path} returned HTTP {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._token}"}
        return self._session.request(
            method, f"{self.base_url}/api/v2{path}", headers=headers, timeout=self._timeout, **kwargs
        )

    # Reads

    def health(self) -> dict:
        """Return ``/api/v2/monitor/health``, which needs no token."""
        response = self._session.get(f"{self.base_url}/api/v2/monitor/health", timeout=self._timeout)
        response.raise_for_status()
        return response.json()

    def dag_ids(self) -> set[str]:
        body = self.call("GET", "/dags", params={"limit": 100})
        return {dag["dag_id"] for dag in body["dags"]}

    def import_errors(self) -> list[dict]:
        return self.call("GET", "/importErrors", params={"limit": 100})["import_errors"]

    def dag_run(self, dag_id: str, run_id: str) -> dict:
        return self.call("GET", f"/dags/{_segment(dag_id)}/dagRuns/{_segment(run_id)}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        body = self.call("GET", f"/dags/{_segment(dag_id)}/dagRuns/{_segment(run_id)}/taskInstances", params={"limit": 100})
        return body["task_instances"]

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict:
        return self.call("GET", f"/dags/{_segment(dag_id)}/dagRuns/{_segment(run_id)}/taskInstances/{_segment(task_id)}")

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        path = (
            f"/dags/{_segment(dag_id)}/dagRuns/{_segment(run_id)}/taskInstances/{_segment(task_id)}"
            f"/xcomEntries/{_segment(key)}"
        )
        return self.call("GET", path)["value"]

    # Changes

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{_segment(dag_id)}", json={"is_paused": False})

    def trigger(self, dag_id: str, *, logical_date: str | None, conf: dict | None = None) -> str:
        """Create a manual DAG run and return its run id."""
        body = {"logical_date": logical_date, "conf": conf or {}}
        run = self.call("POST", f"/dags/{_segment(dag_id)}/dagRuns", json=body)
        return run["dag_run_id"]

    # Waiting

    def wait_for_run(self, dag_id: str, run_id: str, *, timeout: float, interval: float = 2.0) -> dict:
        """Poll a DAG run until it succeeds or fails, and raise TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.dag_run(dag_id, run_id)
            if run["state"] in FINISHED_RUN_STATES:
                return run
            if time.monotonic() > deadline:
                states = {ti["task_id"]: ti["state"] for ti in self.task_instances(dag_id, run_id)}
                raise TimeoutError(
                    f"DAG run {dag_id}/{run_id} still {run['state']} after {timeout:.0f} s; task states: {states}"
                )
            time.sleep(interval)


def _segment(value: str) -> str:
    return quote(value, safe="")
