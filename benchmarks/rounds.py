"""Run the HTTP cases round by round against the emulator and collect the measurements."""

from __future__ import annotations

import json
import logging
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.emulator import EmulatorProcess
from benchmarks.plan import Case, Variant

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
WORKER_TIMEOUT_SECONDS = 300


@dataclass
class Measurement:
    """One worker run: its own figures plus the emulator's request counters for it."""

    seconds: float | None = None
    cpu_seconds: float | None = None
    rows: int | None = None
    requests: int | None = None
    token_requests: int | None = None
    rss_growth_kib: int | None = None
    error: str | None = None
    note: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class CaseResult:
    """Every counted measurement of a case, by variant key, in round order."""

    case: Case
    measurements: dict[str, list[Measurement]] = field(default_factory=dict)

    def of(self, key: str) -> list[Measurement]:
        return self.measurements.get(key, [])


def run_worker(
    python: str,
    function: str,
    spec: dict,
    *,
    profile_path: str | None = None,
    timeout: float = WORKER_TIMEOUT_SECONDS,
) -> dict:
    """Run ``benchmarks.worker`` in a fresh interpreter and return its JSON result."""
    command = [python, "-m", "benchmarks.worker", function, json.dumps(spec)]
    if profile_path is not None:
        command.append(profile_path)
    try:
        completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}

    lines = completed.stdout.strip().splitlines()
    if not lines:
        stderr_tail = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"error": f"worker exited with status {completed.returncode}: {stderr_tail[0]}"}
    return json.loads(lines[-1])


def measure(emulator: EmulatorProcess, variant: Variant, spec: dict, pythons: dict[str, str]) -> Measurement:
    """Run one variant once, with the emulator's counters reset before it."""
    emulator.reset_stats()
    result = run_worker(pythons[variant.interpreter], variant.function, {**spec, "count": variant.count})
    stats = emulator.stats()
    known = {"seconds", "cpu_seconds", "rows", "rss_growth_kib", "error", "note"}
    return Measurement(
        seconds=result.get("seconds"),
        cpu_seconds=result.get("cpu_seconds"),
        rows=result.get("rows"),
        requests=stats.get("requests"),
        token_requests=stats.get("token_requests"),
        rss_growth_kib=result.get("rss_growth_kib"),
        error=result.get("error"),
        note=result.get("note"),
        extra={key: value for key, value in result.items() if key not in known},
    )


def round_order(case: Case, round_index: int) -> list[Variant]:
    """Return the order of the variants in one round.

    The floor and this provider (``ours``) run back to back in every round, so the ratio
    of the two compares runs made under the same load. Even rounds put the pair first and
    odd rounds last, and the other variants rotate by one each round.
    """
    pair = [case.variant(case.floor), case.variant("ours")]
    others = [variant for variant in case.variants if variant not in pair]
    if others:
        shift = round_index % len(others)
        others = others[shift:] + others[:shift]
    order = pair + others
    return order if round_index % 2 == 0 else order[::-1]


def run_case(case: Case, emulator: EmulatorProcess, spec: dict, pythons: dict[str, str], repeats: int) -> CaseResult:
    """Run one uncounted warm-up, then ``repeats`` rounds of every variant in :func:`round_order`."""
    warmup = measure(emulator, case.variant(case.warmup), spec, pythons)
    if warmup.error:
        log.warning("%s warm-up (%s) failed: %s", case.case_id, case.warmup, warmup.error)

    result = CaseResult(case)
    for round_index in range(repeats):
        for variant in round_order(case, round_index):
            measurement = measure(emulator, variant, spec, pythons)
            result.measurements.setdefault(variant.key, []).append(measurement)
            log.info(
                "%s round %d %-20s %s",
                case.case_id,
                round_index + 1,
                variant.key,
                measurement.error or f"{measurement.seconds:.3f} s, {measurement.requests} requests",
            )

    # Keep the table's row order equal to the plan's, not to the last round's rotation.
    result.measurements = {variant.key: result.measurements[variant.key] for variant in case.variants}
    return result
