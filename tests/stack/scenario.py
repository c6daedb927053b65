"""Drive the example DAGs through a running stack: trigger every run, pay the waiting barcode, collect results.

One driver does all of it, so the tests only read what it recorded and a failed
check in one test does not leave the barcode run waiting for the others.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.stack.airflow_api import FINISHED_RUN_STATES, FINISHED_TASK_STATES, AirflowApi
from tests.stack.deployment import REPO
from tests.stack.emulator_probe import RequestProbe

log = logging.getLogger(__name__)

BARCODE_DAG = "portone_issue_barcode_and_wait"
ISSUE_TASK = "issue_barcode"
SENSOR_TASK = "wait_for_payment"

#: Seconds the emulator delays every getToken response and every poll of the waiting
#: barcode. A trigger that called PortOne synchronously would block the triggerer's
#: event loop this long, well above the warning threshold the deployment sets.
SLOW_RESPONSE_SECONDS = 2.0


@dataclass(frozen=True)
class RunPlan:
    """How the stack test triggers one example DAG: the logical date and conf its docstring gives."""

    dag_id: str
    logical_date: str | None
    conf: dict[str, Any] = field(default_factory=dict)


#: One plan per example DAG. An example DAG without a plan fails the stack test.
RUN_PLANS = {
    plan.dag_id: plan
    for plan in (
        RunPlan("portone_daily_settlement", "2026-11-02T01:00:00+09:00"),
        RunPlan("portone_refund_batch", None),
        RunPlan("portone_nightly_barcode_cleanup", "2026-11-05T03:00:00+09:00"),
        # The docstring's conf, with a 3-second poke interval and a 4-minute wait, so
        # the barcode is paid well before the timeout on a busy two-core CI machine.
        RunPlan(
            BARCODE_DAG,
            None,
            {"merchant_uid": "cvs_demo_0001", "amount": 15000, "wait_minutes": 4, "poke_seconds": 3},
        ),
    )
}


def example_dag_ids() -> set[str]:
    """Return the dag_id of every example DAG file, read from its ``dag_id="..."`` argument."""
    ids = set()
    for path in sorted((REPO / "dags_examples").glob("*.py")):
        ids.add(_declared_dag_id(path))
    return ids


def _declared_dag_id(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    marker = 'dag_id="'
    start = text.find(marker)
    if start < 0:
        return path.stem
    start += len(marker)
    return text[start : text.index('"', start)]


@dataclass
class BarcodeObservation:
    """What the driver saw of the deferrable sensor while the barcode waited to be paid."""

    imp_uid: str | None = None
    sensor_states: list[str] = field(default_factory=list)
    status_while_deferred: str | None = None
    state_before_pay: str | None = None
    triggerer_polls_before_pay: int = 0
    paid: bool = False
    sensor_final_state: str | None = None
    error: str | None = None

    @property
    def deferred_seen(self) -> bool:
        return "deferred" in self.sensor_states


@dataclass
class ScenarioResult:
    """Final state of every triggered run, and the barcode observation."""

    run_ids: dict[str, str] = field(default_factory=dict)
    run_states: dict[str, str] = field(default_factory=dict)
    task_states: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: "dag_id.task_id" of each task instance id, to name the task processes the probe saw.
    task_names: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    import_errors: list[dict] = field(default_factory=list)
    barcode: BarcodeObservation = field(default_factory=BarcodeObservation)
    elapsed: float = 0.0


class Scenario:
    """Trigger the planned runs on a started stack and wait for them, within ``timeout`` seconds."""

    def __init__(self, api: AirflowApi, emulator_url: str, probe: RequestProbe, *, timeout: float) -> None:
        self.api = api
        self.emulator_url = emulator_url
        self.probe = probe
        self.deadline = time.monotonic() + timeout
        self.result = ScenarioResult()

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def run(self, plans: list[RunPlan]) -> ScenarioResult:
        started = time.monotonic()
        self._wait_until_healthy()
        self._wait_for_dags({plan.dag_id for plan in plans})
        self.result.import_errors = self.api.import_errors()

        self._add_delay_rule("POST", "^/users/getToken$")
        for plan in plans:
            self.api.unpause(plan.dag_id)
            run_id = self.api.trigger(plan.dag_id, logical_date=plan.logical_date, conf=plan.conf)
            self.result.run_ids[plan.dag_id] = run_id
            log.info("triggered %s run %s", plan.dag_id, run_id)

        if BARCODE_DAG in self.result.run_ids:
            try:
                self._pay_barcode_while_deferred(self.result.run_ids[BARCODE_DAG])
            except Exception as error:  # recorded for the barcode test; the other runs still finish
                log.exception("barcode scenario failed")
                self.result.barcode.error = f"{type(error).__name__}: {error}"

        for dag_id, run_id in self.result.run_ids.items():
            self._collect(dag_id, run_id)
        self.result.elapsed = time.monotonic() - started
        return self.result

    def _wait_until_healthy(self) -> None:
        def healthy() -> bool:
            try:
                health = self.api.health()
            except requests.RequestException:
                return False
            return all(part.get("status") == "healthy" for part in health.values())

        self._poll(healthy, "every Airflow component to report healthy")

    def _wait_for_dags(self, dag_ids: set[str]) -> None:
        def parsed() -> bool:
            missing = dag_ids - self.api.dag_ids()
            return not missing

        self._poll(parsed, f"the DAG processor to parse {sorted(dag_ids)}", timeout=120)

    def _poll(self, check, description: str, *, timeout: float | None = None, interval: float = 1.0) -> None:
        limit = min(self.remaining(), timeout) if timeout is not None else self.remaining()
        deadline = time.monotonic() + limit
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {limit:.0f} s waiting for {description}")
            time.sleep(interval)

    def _sensor_state(self, run_id: str) -> str | None:
        state = self.api.task_instance(BARCODE_DAG, run_id, SENSOR_TASK)["state"]
        states = self.result.barcode.sensor_states
        if state is not None and (not states or states[-1] != state):
            states.append(state)
        return state

    def _pay_barcode_while_deferred(self, run_id: str) -> None:
        """See the sensor deferred while the barcode is unpaid, pay it, see the sensor succeed."""
        observation = self.result.barcode
        self._poll(
            lambda: self._sensor_state(run_id) == "deferred",
            "the barcode sensor to defer",
            timeout=180,
            interval=0.5,
        )

        issued = self.api.xcom(BARCODE_DAG, run_id, ISSUE_TASK)
        observation.imp_uid = issued["imp_uid"]
        observation.status_while_deferred = self._emulator_payment(observation.imp_uid)["status"]
        self._add_delay_rule("GET", f"^/payments/{re.escape(observation.imp_uid)}$")

        # The trigger polls every poke_seconds. The probe counts a poll when it arrives,
        # before the emulator's delay: after three arrivals at least two polls had
        # come back "ready" while the sensor stayed deferred.
        polls_before = self._triggerer_polls()
        self._poll(
            lambda: self._triggerer_polls() >= polls_before + 3,
            "three polls of the barcode by the triggerer",
            timeout=90,
            interval=0.5,
        )
        observation.triggerer_polls_before_pay = self._triggerer_polls()
        observation.state_before_pay = self._sensor_state(run_id)

        response = requests.post(f"{self.emulator_url}/_emulator/cvs/{observation.imp_uid}/pay", timeout=10)
        response.raise_for_status()
        observation.paid = True

        self._poll(
            lambda: self._sensor_state(run_id) in FINISHED_TASK_STATES,
            "the barcode sensor to finish",
            timeout=180,
            interval=0.5,
        )
        observation.sensor_final_state = observation.sensor_states[-1]

    def _triggerer_polls(self) -> int:
        """Return how many payment look-ups the triggerer's processes sent, getToken not counted."""
        return sum(
            count
            for process in self.probe.snapshot()
            if process.is_triggerer
            for route, count in process.routes.items()
            if route.startswith("GET /payments")
        )

    def _add_delay_rule(self, method: str, path: str) -> None:
        rule = {"method": method, "path": path, "action": "delay", "delay": SLOW_RESPONSE_SECONDS, "times": None}
        response = requests.post(f"{self.emulator_url}/_emulator/faults", json={"rules": [rule]}, timeout=10)
        response.raise_for_status()

    def _emulator_payment(self, imp_uid: str) -> dict:
        response = requests.get(f"{self.emulator_url}/_emulator/payments/{imp_uid}", timeout=10)
        response.raise_for_status()
        return response.json()

    def _collect(self, dag_id: str, run_id: str) -> None:
        try:
            run = self.api.wait_for_run(dag_id, run_id, timeout=self.remaining())
        except TimeoutError as error:
            self.result.errors[dag_id] = str(error)
            run = self.api.dag_run(dag_id, run_id)
        self.result.run_states[dag_id] = run["state"]
        task_instances = self.api.task_instances(dag_id, run_id)
        self.result.task_states[dag_id] = {_task_key(ti): ti["state"] for ti in task_instances}
        for ti in task_instances:
            self.result.task_names[ti["id"]] = f"{dag_id}.{_task_key(ti)}"
        if run["state"] not in FINISHED_RUN_STATES:
            log.warning("%s run %s did not finish: %s", dag_id, run_id, self.result.task_states[dag_id])


def _task_key(task_instance: dict) -> str:
    index = task_instance.get("map_index", -1)
    return task_instance["task_id"] if index == -1 else f"{task_instance['task_id']}[{index}]"
