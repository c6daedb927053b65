"""B4: the import cost of the operators and of parsing each example DAG, over ``airflow.sdk``.

Every measurement runs in a fresh interpreter that first imports ``airflow.sdk`` and
then the target, timing both with ``time.perf_counter``. The figure reported for a
target is its time after ``airflow.sdk``, so the cost of Airflow itself, which varies by
seconds between runs on a busy machine, cancels within each process. One extra run per
target with ``python -X importtime`` splits that time by top-level package.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 120

# Runs in the fresh interpreter with argv KIND TARGET... Every KIND but "bare" imports
# airflow.sdk first. Then a TARGET ending in .py is executed as a module, as Airflow's
# DAG processor does, "MODULE.*" runs "from MODULE import *", and any other TARGET is
# imported. The kinds are "module", "dag",
# "bare" (a peer client, without Airflow) and "warmup" (every target in one process, to
# write the bytecode caches).
PROBE = r"""
import importlib, importlib.util, json, sys, time
kind, targets = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
if kind != "bare":
    import airflow.sdk
sdk_done = time.perf_counter()
for index, target in enumerate(targets):
    if target.endswith(".py"):
        spec = importlib.util.spec_from_file_location(f"benchmark_dag_module_{index}", target)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    elif target.endswith(".*"):
        exec(f"from {target[:-2]} import *", {})
    else:
        importlib.import_module(target)
finished = time.perf_counter()
print(json.dumps({"sdk_seconds": sdk_done - started, "target_seconds": finished - sdk_done}))
"""


@dataclass(frozen=True)
class ImportTarget:
    """One row of B4: what is imported, how, and with which interpreter.

    ``kind`` is ``none`` for the floor (``airflow.sdk`` alone), ``module``, ``dag`` (a file
    executed as a module) or ``bare`` (a peer package imported without Airflow).
    """

    label: str
    kind: str
    target: str
    interpreter: str = "main"


@dataclass
class ImportResult:
    """Counted runs of one target, and the package split of its time from ``-X importtime``."""

    target: ImportTarget
    sdk_seconds: list[float] = field(default_factory=list)
    target_seconds: list[float] = field(default_factory=list)
    by_package_ms: dict[str, float] = field(default_factory=dict)
    module_counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def targets(peers_available: bool) -> list[ImportTarget]:
    """Return the floor, the operators module, every example DAG and the peer packages."""
    rows = [
        ImportTarget("import airflow.sdk (floor)", "none", ""),
        ImportTarget("import portone_provider.operators.portone", "module", "portone_provider.operators.portone"),
        ImportTarget(
            "from portone_provider.operators.portone import * (every operator)",
            "module",
            "portone_provider.operators.portone.*",
        ),
    ]
    for dag_file in sorted((REPO / "dags_examples").glob("*.py")):
        rows.append(ImportTarget(f"parse dags_examples/{dag_file.name}", "dag", str(dag_file)))
    if peers_available:
        rows.append(ImportTarget("import iamporter (no Airflow integration)", "bare", "iamporter", "peers"))
        rows.append(ImportTarget("import iamport (iamport-rest-client, no Airflow integration)", "bare", "iamport", "peers"))
    return rows


def _environment(airflow_home: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment["AIRFLOW_HOME"] = airflow_home
    environment["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    environment.pop("PYTHONPROFILEIMPORTTIME", None)
    return environment


def _probe(python: str, kind: str, names: list[str], environment: dict[str, str], importtime: bool = False):
    command = [python] + (["-X", "importtime"] if importtime else []) + ["-c", PROBE, kind, *names]
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "no output"


def split_by_package(importtime_output: str, after_module: str | None) -> tuple[dict[str, float], dict[str, int]]:
    """Sum ``-X importtime`` self times in ms, and count modules, by top-level package.

    Only modules reported after the top-level import of ``after_module`` count:
    Python prints a module's line when its import finishes, so the lines after it
    belong to the target. The times come largest first.
    """
    totals: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    counting = after_module is None
    for line in importtime_output.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_part, _cumulative, name_part = line[len("import time:") :].split("|", 2)
        name = name_part.strip()
        if not counting:
            # A top-level import has exactly one space of indentation after the bar.
            counting = name_part == " " + after_module
            continue
        try:
            self_us = int(self_part.strip())
        except ValueError:
            continue  # the header line
        package = name.split(".")[0]
        totals[package] += self_us / 1000
        counts[package] += 1
    return dict(sorted(totals.items(), key=lambda item: -item[1])), dict(counts)


def run_imports(pythons: dict[str, str], repeats: int) -> list[ImportResult]:
    """Measure every target ``repeats`` times, after one uncounted run that imports them all.

    The floor row takes its ``airflow.sdk`` times from the other rows' processes, which
    import ``airflow.sdk`` first in the same way.
    """
    import_targets = targets("peers" in pythons)
    results = [ImportResult(target) for target in import_targets]
    floor = results[0]
    measured = [(target, result) for target, result in zip(import_targets, results) if target.kind != "none"]

    with tempfile.TemporaryDirectory(prefix="portone-bench-airflow-home-") as airflow_home:
        environment = _environment(airflow_home)
        airflow_names = [target.target for target, _ in measured if target.kind in ("module", "dag")]
        warmup = _probe(pythons["main"], "warmup", airflow_names, environment)
        if warmup.returncode != 0:
            log.warning("B4 warm-up failed: %s", _last_line(warmup.stderr))

        for _round in range(repeats):
            for target, result in measured:
                if result.error:
                    continue
                completed = _probe(pythons[target.interpreter], target.kind, [target.target], environment)
                if completed.returncode != 0:
                    result.error = _last_line(completed.stderr)
                    continue
                figures = json.loads(_last_line(completed.stdout))
                result.target_seconds.append(figures["target_seconds"])
                if target.kind != "bare":
                    result.sdk_seconds.append(figures["sdk_seconds"])
                    floor.sdk_seconds.append(figures["sdk_seconds"])

        for target, result in measured:
            if result.error:
                continue
            profiled = _probe(pythons[target.interpreter], target.kind, [target.target], environment, importtime=True)
            after = None if target.kind == "bare" else "airflow.sdk"
            result.by_package_ms, result.module_counts = split_by_package(profiled.stderr, after)
    return results
