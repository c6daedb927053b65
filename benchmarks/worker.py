"""Run one benchmark function in a fresh interpreter and print its result as one JSON line.

Usage: ``python -m benchmarks.worker MODULE:FUNCTION SPEC_JSON [PROFILE_PATH]``. The runner starts one
worker per measurement, with the main virtual environment's Python for the floor and
this provider and with the peers' virtual environment's Python for the peer clients.

The function receives the spec (base URL, credentials, ids file, row count, time window)
and returns a dict with at least ``rows``. The worker adds ``seconds``, the wall time of
the call measured with ``time.perf_counter``, ``cpu_seconds``, the CPU time this process
used in the call (``time.process_time``), and ``rss_growth_kib``, the growth of the
process's peak resident set size (``ru_maxrss``) during the call. Imports happen before
the clock starts. A failing function prints ``{"error": ...}`` and exits with status 1.
"""

from __future__ import annotations

import cProfile
import importlib
import json
import resource
import sys
import time
import tracemalloc

from benchmarks.safety import allow_loopback_only


def peak_rss_kib() -> int:
    """Return this process's peak resident set size in KiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or ":" not in argv[0]:
        print("usage: python -m benchmarks.worker MODULE:FUNCTION SPEC_JSON [PROFILE_PATH]", file=sys.stderr)
        return 2

    module_name, function_name = argv[0].split(":", 1)
    spec = json.loads(argv[1])
    profile_path = argv[2] if len(argv) == 3 else None
    allow_loopback_only()

    try:
        function = getattr(importlib.import_module(module_name), function_name)
        if spec.get("trace_memory"):
            tracemalloc.start()
        rss_before = peak_rss_kib()
        cpu_started = time.process_time()
        started = time.perf_counter()
        if profile_path is None:
            result = function(spec)
        else:
            profiler = cProfile.Profile()
            result = profiler.runcall(function, spec)
            profiler.dump_stats(profile_path)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        rss_after = peak_rss_kib()
    except Exception as exc:  # any failure of a measured client is a result to report
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False))
        return 1

    if tracemalloc.is_tracing():
        result["heap_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    result["seconds"] = seconds
    result["cpu_seconds"] = cpu_seconds
    result["rss_growth_kib"] = rss_after - rss_before
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
