"""The example DAGs on a multi-process Airflow: API server, scheduler, DAG processor, triggerer
and two Celery workers, with PostgreSQL and Redis, all on 127.0.0.1.

Run with ``make stack-test``. The ``scenario`` fixture triggers every example DAG once
through the REST API and pays the barcode while its sensor is deferred. The tests
check what it recorded, the emulator's counters and the files under AIRFLOW_HOME.
"""

from __future__ import annotations

import os

from tests.stack.log_checks import (
    BLOCKED_LOOP_PATTERN,
    CELERY_RECEIVED_PATTERN,
    count_matches,
    files_containing,
    files_under,
    matching_lines,
)
from tests.stack.scenario import BARCODE_DAG, RUN_PLANS, SENSOR_TASK, example_dag_ids
from tests.stack.services import LOOPBACK, listening_addresses
from tests.stack.settings import MEASUREMENTS, STACK_API_SECRET


def test_every_example_dag_has_run_plan():
    missing = example_dag_ids() - set(RUN_PLANS)

    assert not missing, f"example DAGs without a RunPlan in tests/stack/scenario.py: {sorted(missing)}"


def test_example_dags_import_cleanly(scenario):
    assert scenario.import_errors == []


def test_every_example_run_succeeds(scenario):
    assert set(scenario.run_ids) == example_dag_ids()
    assert scenario.errors == {}
    for dag_id, state in scenario.run_states.items():
        assert state == "success", f"{dag_id} ended {state}; task states {scenario.task_states[dag_id]}"


def test_tasks_ran_on_celery_workers(scenario, stack):
    from tests.stack.deployment import WORKERS

    received = {name: count_matches(stack.component_log(name), CELERY_RECEIVED_PATTERN) for name, _ in WORKERS}
    ran = sum(
        1 for states in scenario.task_states.values() for state in states.values() if state in ("success", "failed")
    )
    MEASUREMENTS.append(f"celery: task messages received per worker {received}; task instances that ran: {ran}")

    assert ran > 0
    assert sum(received.values()) >= ran


def test_barcode_sensor_defers_until_paid(scenario, airflow_api):
    barcode = scenario.barcode
    MEASUREMENTS.append(
        f"barcode: imp_uid {barcode.imp_uid}, sensor states {barcode.sensor_states}, "
        f"triggerer polls before pay {barcode.triggerer_polls_before_pay}"
    )

    assert barcode.error is None
    assert barcode.deferred_seen, f"sensor states seen: {barcode.sensor_states}"
    assert barcode.status_while_deferred == "ready"
    assert barcode.triggerer_polls_before_pay >= 3
    assert barcode.state_before_pay == "deferred"
    assert barcode.paid
    assert barcode.sensor_final_state == "success"
    payment = airflow_api.xcom(BARCODE_DAG, scenario.run_ids[BARCODE_DAG], SENSOR_TASK)
    assert payment["imp_uid"] == barcode.imp_uid
    assert payment["status"] == "paid"
    assert scenario.task_states[BARCODE_DAG]["revoke_unpaid_barcode"] == "skipped"


def test_triggerer_event_loop_never_blocked(scenario, stack):
    triggerer_logs = [stack.component_log("triggerer")]
    trigger_logs = [path for path in files_under(stack.logs_dir) if ".trigger." in path.name]

    assert trigger_logs, "no trigger log file: the sensor did not run in the triggerer"
    assert matching_lines(triggerer_logs + trigger_logs, BLOCKED_LOOP_PATTERN) == []


def test_one_token_per_process(scenario, stack_emulator, request_probe):
    processes = request_probe.snapshot()
    triggerer = [process for process in processes if process.is_triggerer]
    tasks = [process for process in processes if not process.is_triggerer]
    token_requests = stack_emulator.stats["token_requests"]
    MEASUREMENTS.append(
        f"tokens: {token_requests} getToken calls, {stack_emulator.tokens.issued_count} distinct tokens; "
        f"{len(tasks)} task processes and {len(triggerer)} triggerer processes called PortOne"
    )
    MEASUREMENTS.extend(f"  {process.describe(scenario.task_names)}" for process in processes)

    assert request_probe.unattributed == {}
    assert tasks, "no task process called PortOne"
    assert triggerer, "the triggerer never called PortOne"
    for process in processes:
        assert process.token_requests <= 1, process.describe(scenario.task_names)
    assert sum(process.token_requests for process in processes) == token_requests
    assert token_requests <= len(processes)


def test_files_contain_no_secret_or_token(scenario, stack, request_probe):
    files = files_under(stack.home)
    tokens = sorted(request_probe.issued_tokens)

    assert files_containing(files, STACK_API_SECRET) == []
    assert tokens, "the emulator issued no token"
    for token in tokens:
        assert files_containing(files, token) == [], f"token {token[:6]}... found"


def test_servers_listen_on_loopback_only(scenario, stack):
    pids = stack.services.pids() | {os.getpid()}
    sockets = listening_addresses(pids)
    MEASUREMENTS.append(f"listening sockets (pid, name, address, port): {sorted(sockets)}")

    assert sockets, "found no listening socket: the check would pass without looking"
    exposed = [entry for entry in sockets if entry[2] != LOOPBACK]
    assert exposed == []
