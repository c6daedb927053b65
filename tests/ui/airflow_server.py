"""An ``airflow api-server`` process on 127.0.0.1 with a throw-away AIRFLOW_HOME, for browser tests."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
HOST = "127.0.0.1"

MIGRATE_TIMEOUT_SECONDS = 300
START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 20
REQUEST_TIMEOUT_SECONDS = 30


def free_loopback_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 at the time of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class AirflowApiServer:
    """Airflow's API server and React UI, with every visitor logged in as admin.

    The settings are the ones a deployment needs for the PortOne form and its Test button:
    ``[core] test_connection = Enabled`` and Airflow 3's SimpleAuthManager with
    ``[core] simple_auth_manager_all_admins = True``, so the browser needs no login.
    The process runs in its own process group, so :meth:`stop` also ends any worker it forks.
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_loopback_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = home / "api-server.log"
        self._process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            }
        )
        return env

    def migrate(self) -> None:
        """Create the metadata database (SQLite in AIRFLOW_HOME)."""
        self.home.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [AIRFLOW, "db", "migrate"],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=MIGRATE_TIMEOUT_SECONDS,
        )
        if result.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")

    def start(self) -> None:
        """Start the API server and wait until its health endpoint responds."""
        command = [AIRFLOW, "api-server", "--host", HOST, "--port", str(self.port), "--workers", "1"]
        with self.log_path.open("wb") as log_file:
            self._process = subprocess.Popen(
                command,
                env=self.env(),
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"airflow api-server exited with {self._process.returncode}:\n{self.log_tail()}"
                )
            if self._is_healthy():
                return
            time.sleep(0.5)
        raise RuntimeError(f"airflow api-server did not respond within {START_TIMEOUT_SECONDS} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the process group: SIGTERM first, SIGKILL after the grace period. Safe to call twice."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return

        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def get_json(self, path: str) -> Any:
        """GET a path of the API server and decode its JSON body."""
        with urllib.request.urlopen(self.url + path, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return json.loads(response.read())

    def post_json(self, path: str, body: Any) -> Any:
        """POST a JSON body to a path of the API server and decode its JSON response."""
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return json.loads(response.read())

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, size: int = 4000) -> str:
        return self.log_text()[-size:]

    def _is_healthy(self) -> bool:
        try:
            self.get_json("/api/v2/monitor/health")
        except (OSError, http.client.HTTPException, json.JSONDecodeError):
            return False
        return True
