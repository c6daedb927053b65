"""Fixtures of the stack test: the emulator in this process and a multi-process Airflow on 127.0.0.1.

The tests here are collected only with ``PORTONE_STACK_TEST=1`` (``make stack-test``):
they install nothing themselves, need PostgreSQL, Redis and the Celery provider, and
take minutes. ``PORTONE_STACK_KEEP=1`` keeps the temporary AIRFLOW_HOME for reading
its logs afterwards.
"""

from __future__ import annotations

import atexit
import os
import signal
from collections.abc import Iterator

import pytest

from tests.stack.settings import MEASUREMENTS, SCENARIO_TIMEOUT, STACK_API_KEY, STACK_API_SECRET

STACK_ENABLED = os.environ.get("PORTONE_STACK_TEST") == "1"

if not STACK_ENABLED:
    collect_ignore_glob = ["test_*.py"]



@pytest.fixture(scope="session")
def request_probe():
    """Per-process record of the emulator's requests and the token values it issued."""
    from tests.stack.emulator_probe import RequestProbe

    return RequestProbe()


@pytest.fixture(scope="session")
def stack_emulator(request_probe):
    """The demo emulator, in this process so the probe records every request and token."""
    from portone_provider.emulator import EmulatorServer

    server = EmulatorServer(
        api_key=STACK_API_KEY, api_secret=STACK_API_SECRET, port=0, dataset="demo", max_lifetime=900
    )
    request_probe.install(server)
    with server:
        yield server


@pytest.fixture(scope="session")
def stack(stack_emulator) -> Iterator:
    """Start PostgreSQL, Redis and every Airflow component, and stop them all at the end, also on failure."""
    from tests.stack.deployment import start_deployment

    connection = {
        "conn_type": "portone",
        "login": STACK_API_KEY,
        "password": STACK_API_SECRET,
        "host": stack_emulator.url,
    }
    keep_home = os.environ.get("PORTONE_STACK_KEEP") == "1"
    previous_handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        deployment = start_deployment(connection, keep_home=keep_home)
        stopper = _StopOnce(deployment, keep_home)
        atexit.register(stopper)
        try:
            yield deployment
        finally:
            stopper()
            atexit.unregister(stopper)
            if keep_home:
                MEASUREMENTS.append(f"AIRFLOW_HOME kept at {deployment.home}")
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


class _StopOnce:
    def __init__(self, deployment, keep_home: bool) -> None:
        self.deployment = deployment
        self.keep_home = keep_home
        self.done = False

    def __call__(self) -> None:
        from tests.stack.deployment import stop_deployment

        if self.done:
            return
        self.done = True
        stop_deployment(self.deployment, keep_home=self.keep_home)


def _interrupt(signum, frame) -> None:
    # Turn SIGTERM (from CI's timeout, for example) into the exception Ctrl+C raises,
    # so pytest tears the fixtures down and every started process is stopped.
    raise KeyboardInterrupt(f"received signal {signum}")


@pytest.fixture(scope="session")
def airflow_api(stack):
    from tests.stack.airflow_api import AirflowApi
    from tests.stack.deployment import ADMIN_USER

    api = AirflowApi(stack.api_url, ADMIN_USER, stack.admin_password)
    yield api
    api.close()


@pytest.fixture(scope="session")
def scenario(stack, airflow_api, stack_emulator, request_probe):
    """Trigger every example DAG once, pay the barcode while its sensor is deferred, wait for all runs."""
    from tests.stack.scenario import RUN_PLANS, Scenario, example_dag_ids

    plans = [RUN_PLANS[dag_id] for dag_id in sorted(example_dag_ids()) if dag_id in RUN_PLANS]
    driver = Scenario(airflow_api, stack_emulator.url, request_probe, timeout=SCENARIO_TIMEOUT)
    result = driver.run(plans)
    MEASUREMENTS.append(f"scenario: {len(plans)} DAG runs in {result.elapsed:.0f} s, states {result.run_states}")
    return result


def pytest_terminal_summary(terminalreporter) -> None:
    if MEASUREMENTS:
        terminalreporter.section("stack measurements")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)
