"""Shared fixtures: a local emulator per test and a client pointed at it.

Every server these tests start listens on 127.0.0.1 and is stopped by its fixture.
"""

from __future__ import annotations

import os
import tempfile

import pytest

# Airflow reads AIRFLOW_HOME on import: point it at a throw-away folder before any test
# imports Airflow, so nothing is written to ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="portone-airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from portone_provider.client import PortOneClient, RetryPolicy

API_KEY = "test_api_key"
# A known secret, so tests can search logs and files for it.
API_SECRET = "test_secret_Zq8v3LkP2x"


def fast_retry(max_retries: int = 3) -> RetryPolicy:
    """Return a retry policy with millisecond waits, so fault tests stay quick."""
    return RetryPolicy(max_retries=max_retries, backoff=0.01, max_backoff=0.05)


@pytest.fixture
def emulator():
    """An emulator with no payments, fresh for each test."""
    from portone_provider.emulator import EmulatorServer

    with EmulatorServer(api_key=API_KEY, api_secret=API_SECRET, port=0, dataset="empty") as server:
        yield server


@pytest.fixture(scope="session")
def demo_emulator():
    """One emulator with the deterministic demo data set, shared read-only by the session."""
    from portone_provider.emulator import EmulatorServer

    with EmulatorServer(api_key=API_KEY, api_secret=API_SECRET, port=0, dataset="demo") as server:
        yield server


def make_client(server, **kwargs) -> PortOneClient:
    kwargs.setdefault("retry", fast_retry())
    return PortOneClient(API_KEY, API_SECRET, base_url=server.url, **kwargs)


@pytest.fixture
def client(emulator):
    with make_client(emulator) as portone:
        yield portone


@pytest.fixture
def demo_client(demo_emulator):
    with make_client(demo_emulator) as portone:
        yield portone
