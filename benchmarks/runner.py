"""Run every case in one go and write BENCHMARKS.md: ``python -m benchmarks``."""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import shlex
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from benchmarks import imports, machine, plan, targets
from benchmarks.emulator import API_KEY, API_SECRET, READY_ID_PREFIX, EmulatorProcess, kst_day_bounds
from benchmarks.profiles import own_time_by_package
from benchmarks.report import BenchRun, render
from benchmarks.rounds import REPO, run_case, run_worker

log = logging.getLogger("benchmarks")

# Day of B5's ready payments, away from the bulk day so B2's stream never lists them.
READY_DAY = date(2026, 11, 5)
PROFILED_ROWS = 10_000
TRIGGER_MODULE = "portone_provider.triggers.portone"
ALL_CASES = ("B1", "B2", "B3", "B4", "B5")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="counted rounds per case (default: %(default)s)")
    parser.add_argument(
        "--cases",
        default=",".join(ALL_CASES),
        help="comma-separated cases to run, from B1 to B5 (default: all)",
    )
    parser.add_argument(
        "--peers-python",
        default=str(REPO / ".bench-venv" / "bin" / "python"),
        help="Python of the virtual environment with the peer clients (default: %(default)s)",
    )
    parser.add_argument("--output", default=str(REPO / "BENCHMARKS.md"), help="page to write (default: %(default)s)")
    return parser


def trigger_unavailable() -> str | None:
    """Return why B5 cannot run yet, or None when the trigger class exists."""
    spec = importlib.util.find_spec(TRIGGER_MODULE)
    if spec is None or spec.origin is None:
        return "trigger not available yet: portone_provider/triggers/portone.py does not exist."
    if "class PortOnePaymentTrigger" not in Path(spec.origin).read_text(encoding="utf-8"):
        return "trigger not available yet: portone_provider/triggers/portone.py has no PortOnePaymentTrigger."
    return None


def profile_variants(emulator: EmulatorProcess, spec: dict, pythons: dict[str, str], folder: Path) -> dict:
    """Profile the floor and this provider once each for B1 and B2 (B2 cut to 10,000 rows)."""
    profiles = {}
    for case, count in ((plan.B1, plan.LOOKUP_IDS), (plan.B2, PROFILED_ROWS)):
        for key in ("floor", "ours"):
            variant = case.variant(key)
            path = folder / f"{case.case_id}-{key}.prof"
            command_spec = {**spec, "count": count}
            result = run_worker(pythons[variant.interpreter], variant.function, command_spec, profile_path=str(path))
            if result.get("error"):
                log.warning("profiling %s %s failed: %s", case.case_id, key, result["error"])
                continue
            profiles[f"{case.case_id} {key}"] = own_time_by_package(path)
    return profiles


def trace_heap_peaks(spec: dict, pythons: dict[str, str]) -> dict[str, float]:
    """Return the Python heap peak in MB of one traced stream per variant and row count."""
    peaks = {}
    for key in ("floor", "ours"):
        variant = plan.B2.variant(key)
        for count in (plan.SMALL_STREAM_ROWS, plan.BULK_PAID):
            result = run_worker(pythons[variant.interpreter], variant.function, {**spec, "count": count, "trace_memory": True})
            if result.get("error"):
                log.warning("tracing %s at %d rows failed: %s", key, count, result["error"])
                continue
            peaks[f"{key} {count}"] = result["heap_peak_bytes"] / 1e6
    return peaks


def run(args: argparse.Namespace) -> int:
    selected = [case.strip().upper() for case in args.cases.split(",") if case.strip()]
    unknown = [case for case in selected if case not in ALL_CASES]
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}: choose from {', '.join(ALL_CASES)}")
    if args.repeats < 1:
        raise SystemExit(f"invalid --repeats {args.repeats}: expected 1 or more (5 for a published run)")
    if not Path(args.peers_python).exists():
        raise SystemExit(f"missing {args.peers_python}: run `make bench`, which creates the peers' environment first")

    pythons = {plan.MAIN: sys.executable, plan.PEERS: args.peers_python}
    started_at = time.monotonic()
    bench_run = BenchRun(
        command=shlex.join(["python", "-m", "benchmarks", *sys.argv[1:]]),
        started=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        minutes=0.0,
        repeats=args.repeats,
        facts=machine.describe(args.peers_python),
        load_before=os.getloadavg(),
        load_after=os.getloadavg(),
    )

    with tempfile.TemporaryDirectory(prefix="portone-bench-") as folder_name:
        folder = Path(folder_name)
        # Airflow reads AIRFLOW_HOME when it is imported (B4, B5), so point it at the
        # temporary folder, not at ~/airflow.
        os.environ["AIRFLOW_HOME"] = str(folder / "airflow_home")
        os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"

        if "B4" in selected:
            log.info("B4: imports")
            bench_run.imports = imports.run_imports(pythons, args.repeats)

        if any(case in selected for case in ("B1", "B2", "B3", "B5")):
            run_http_cases(bench_run, selected, pythons, args.repeats, folder)

    bench_run.load_after = os.getloadavg()
    bench_run.minutes = (time.monotonic() - started_at) / 60
    bench_run.verdicts = verdicts(bench_run, selected)
    Path(args.output).write_text(render(bench_run), encoding="utf-8")
    log.info("wrote %s in %.1f min", args.output, bench_run.minutes)
    return 0


def run_http_cases(bench_run: BenchRun, selected: list[str], pythons: dict[str, str], repeats: int, folder: Path) -> None:
    log.info("starting the emulator with %d paid payments", plan.BULK_PAID)
    with EmulatorProcess(bulk_paid=plan.BULK_PAID, bulk_day=plan.BULK_DAY) as emulator:
        ids_file = folder / "paid_ids.json"
        ids_file.write_text(json.dumps(emulator.list_paid_ids(plan.BATCH_IDS)), encoding="utf-8")
        since, until = kst_day_bounds(plan.BULK_DAY)
        spec = {
            "base_url": emulator.url,
            "api_key": API_KEY,
            "api_secret": API_SECRET,
            "ids_file": str(ids_file),
            "since": since,
            "until": until,
        }

        for case in plan.HTTP_CASES:
            if case.case_id in selected:
                log.info("%s: %s", case.case_id, case.title)
                bench_run.cases[case.case_id] = run_case(case, emulator, spec, pythons, repeats)
        if "B1" in selected or "B2" in selected:
            log.info("profiling the floor and this provider for B1 and B2")
            bench_run.profiles = profile_variants(emulator, spec, pythons, folder)
        if "B2" in selected:
            log.info("tracing the Python heap of the floor and this provider for B2")
            bench_run.heap_peaks = trace_heap_peaks(spec, pythons)

        if "B5" in selected:
            bench_run.b5_unavailable = trigger_unavailable()
            if bench_run.b5_unavailable is None:
                ready_file = folder / "ready_ids.json"
                ready_ids = emulator.add_ready_payments(plan.TRIGGER_COUNT, READY_DAY)
                ready_file.write_text(json.dumps(ready_ids), encoding="utf-8")
                delay_rule = {
                    "action": "delay",
                    "delay": plan.POLL_LATENCY_SECONDS,
                    "method": "GET",
                    "path": f"^/payments/{READY_ID_PREFIX}",
                    "times": None,
                }
                emulator.control("POST", "/_emulator/faults", {"rules": [delay_rule]})
                trigger_spec = {
                    **spec,
                    "ids_file": str(ready_file),
                    "poke_interval": plan.POKE_INTERVAL_SECONDS,
                    "duration": plan.POLL_DURATION_SECONDS,
                    "time_limit": plan.POLL_TIME_LIMIT_SECONDS,
                }
                log.info("B5: %s", plan.B5.title)
                bench_run.cases["B5"] = run_case(plan.B5, emulator, trigger_spec, pythons, repeats)
                startup = run_worker(pythons[plan.MAIN], f"{plan.TRIGGERS}:startup_steps", trigger_spec)
                if startup.get("error"):
                    log.warning("timing the trigger's start-up steps failed: %s", startup["error"])
                bench_run.trigger_startup = startup.get("steps", {})


def verdicts(bench_run: BenchRun, selected: list[str]) -> list[targets.Verdict]:
    cases = bench_run.cases
    results = []
    if "B1" in cases:
        results.append(targets.check_b1(cases["B1"], bench_run.profiles))
    if "B2" in cases:
        results.append(targets.check_b2(cases["B2"], bench_run.profiles, bench_run.heap_peaks))
    if "B3" in cases:
        results.append(targets.check_b3(cases["B3"]))
    if bench_run.imports:
        results.append(targets.check_b4(bench_run.imports))
    if "B5" in selected:
        results.append(targets.check_b5(cases.get("B5"), bench_run.b5_unavailable))
    return results


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    return run(build_parser().parse_args(argv))
