"""Helpers shared by the reliability tests: Connections, a task_state_store stand-in, quick retries."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from portone_provider.client import RetryPolicy
from tests.conftest import API_KEY, API_SECRET

#: The Connection's ``timeout`` extra in these tests, in seconds. Every slow fault
#: delays its response well past it.
CONNECTION_TIMEOUT = 0.5


def quick_retry() -> RetryPolicy:
    """Return a retry policy with millisecond backoff; a Retry-After header is still honoured in full."""
    return RetryPolicy(max_retries=3, backoff=0.01, max_backoff=0.05)


def connection_json(
    url: str,
    *,
    login: str | None = API_KEY,
    password: str | None = API_SECRET,
    timeout: Any = CONNECTION_TIMEOUT,
    **extra: Any,
) -> str:
    """Return an ``AIRFLOW_CONN_*`` value in Airflow's JSON form for a PortOne Connection."""
    extras = dict(extra)
    if timeout is not None:
        extras["timeout"] = timeout
    connection = {"conn_type": "portone", "login": login, "password": password, "host": url, "extra": extras}
    return json.dumps(connection)


def use_connection(monkeypatch, url: str, conn_id: str = "portone_default", **kwargs) -> None:
    """Point an Airflow Connection at ``url`` through its environment variable."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", connection_json(url, **kwargs))


class StateStoreStandIn:
    """Dict-backed stand-in for Airflow 3.3's ``task_state_store``.

    Values go through JSON as in the real store, and the test keeps one instance
    for all tries of a task, so an intent written by one try is read by the next.
    """

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def get(self, key: str, default: Any = None) -> Any:
        text = self._values.get(key)
        return default if text is None else json.loads(text)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        self._values[key] = json.dumps(value)

    def delete(self, key: str) -> None:
        self._values.pop(key, None)

    def keys(self) -> list[str]:
        return sorted(self._values)


def wait_for(condition: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds pass, and return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
