"""Check this provider's figures against the targets and explain each miss."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from benchmarks.imports import ImportResult
from benchmarks.plan import (
    B1,
    B2,
    B3,
    B5,
    BULK_PAID,
    POKE_INTERVAL_SECONDS,
    POLL_DURATION_SECONDS,
    SMALL_STREAM_ROWS,
    TRIGGER_COUNT,
)
from benchmarks.profiles import format_shares
from benchmarks.rounds import CaseResult, Measurement
from benchmarks.summary import paired_ratios

MAX_RATIO = 1.10
MAX_RSS_GROWTH_MB = 30.0
MAX_IMPORT_MS = 50.0
MIN_POLL_SHARE = 0.90
# Packages imported for the HTTP client: requests and what it imports.
REQUESTS_FAMILY = ("requests", "urllib3", "charset_normalizer", "idna", "certifi")


@dataclass(frozen=True)
class Verdict:
    """Whether a case met its target (None: not measured) and the figures behind it."""

    case_id: str
    target: str
    met: bool | None
    detail: str


def expected_polls() -> int:
    """Return the polls B5's schedule expects: one at the start, one per interval, one at the deadline."""
    return TRIGGER_COUNT * (int(POLL_DURATION_SECONDS // POKE_INTERVAL_SECONDS) + 1)


def rss_mb(measurement: Measurement) -> float | None:
    if measurement.rss_growth_kib is None:
        return None
    return measurement.rss_growth_kib * 1024 / 1e6


def median_ratio(result: CaseResult, key: str, figure: str = "seconds") -> float | None:
    values = [getattr(m, figure) if m.error is None else None for m in result.of(key)]
    floors = [getattr(m, figure) if m.error is None else None for m in result.of(result.case.floor)]
    ratios = paired_ratios(values, floors)
    return statistics.median(ratios) if ratios else None


def _heap_reason(heap_peaks: dict[str, float]) -> str:
    small = heap_peaks.get(f"ours {SMALL_STREAM_ROWS}")
    full = heap_peaks.get(f"ours {BULK_PAID}")
    if small is None or full is None:
        return ""
    figures = f". The Python heap peak (tracemalloc) of this provider is {small:.1f} MB at 10,000 rows and {full:.1f} MB at 100,000"
    # One page is the largest thing alive, and pages differ in size by a few percent.
    if full <= small * 1.05:
        return figures + ", so no rows are kept and the RSS difference comes from the allocator"
    return figures + ", so the Python heap grows with the rows too"


def _median_rss(result: CaseResult, key: str) -> float:
    values = [rss_mb(m) for m in result.of(key) if m.error is None and m.rss_growth_kib is not None]
    return statistics.median(values) if values else float("nan")


def _times(ratio: float | None) -> str:
    return "no paired rounds" if ratio is None else f"{ratio:.2f}x"


def polls(measurement: Measurement) -> int | None:
    if measurement.requests is None or measurement.token_requests is None:
        return None
    return measurement.requests - measurement.token_requests


def _errors(result: CaseResult, key: str) -> str | None:
    errors = [m.error for m in result.of(key) if m.error]
    return errors[0] if errors else None


def _profile_reason(profiles: dict[str, dict[str, float]], case_id: str) -> str:
    ours = profiles.get(f"{case_id} ours")
    floor = profiles.get(f"{case_id} floor")
    if not ours or not floor:
        return ""
    return f" (own time in one profiled run: ours {format_shares(ours)}, against the floor's {format_shares(floor)})"


def check_b1(result: CaseResult, profiles: dict[str, dict[str, float]]) -> Verdict:
    error = _errors(result, "ours")
    if error:
        return Verdict("B1", B1.target, None, f"not measured: {error}")
    tokens = sorted({m.token_requests for m in result.of("ours")})
    ratio = median_ratio(result, "ours")
    met = tokens == [1] and ratio is not None and ratio <= MAX_RATIO
    detail = f"{'/'.join(map(str, tokens))} token request(s); {_times(ratio)} the floor's wall time"
    if not met:
        detail += _profile_reason(profiles, "B1")
    return Verdict("B1", B1.target, met, detail)


def check_b2(result: CaseResult, profiles: dict[str, dict[str, float]], heap_peaks: dict[str, float]) -> Verdict:
    error = _errors(result, "ours") or _errors(result, "ours-10k")
    if error:
        return Verdict("B2", B2.target, None, f"not measured: {error}")
    requests = sorted({m.requests for m in result.of("ours")})
    ratio = median_ratio(result, "ours")
    rss_full = [rss_mb(m) for m in result.of("ours")]
    rss_small = [rss_mb(m) for m in result.of("ours-10k")]
    worst_full = max(rss_full)
    median_full = statistics.median(rss_full)
    median_small = statistics.median(rss_small)
    floor_full = _median_rss(result, "floor")
    floor_small = _median_rss(result, "floor-10k")

    misses = []
    if requests != [101]:
        misses.append(f"{'/'.join(map(str, requests))} requests instead of 101")
    if ratio is None or ratio > MAX_RATIO:
        misses.append(f"{_times(ratio)} the floor's wall time" + _profile_reason(profiles, "B2"))
    if worst_full >= MAX_RSS_GROWTH_MB:
        misses.append(f"peak RSS growth up to {worst_full:.1f} MB")
    if median_full > median_small:
        misses.append(
            f"peak RSS growth {median_full:.1f} MB at 100,000 rows against {median_small:.1f} MB at 10,000. "
            f"The floor, which keeps no row either, grows {floor_small:.1f} → {floor_full:.1f} MB between "
            "the same row counts"
            + _heap_reason(heap_peaks)
        )

    detail = (
        f"{'/'.join(map(str, requests))} requests; {_times(ratio)} the floor's wall time; peak RSS growth "
        f"{median_full:.1f} MB at 100,000 rows (max {worst_full:.1f}), {median_small:.1f} MB at 10,000"
    )
    if misses:
        detail += ". Missed: " + "; ".join(misses)
    return Verdict("B2", B2.target, not misses, detail)


def check_b3(result: CaseResult) -> Verdict:
    error = _errors(result, "ours")
    if error:
        return Verdict("B3", B3.target, None, f"not measured: {error}")
    lookups = sorted({polls(m) for m in result.of("ours")})
    tokens = sorted({m.token_requests for m in result.of("ours")})
    ratio = median_ratio(result, "ours")
    met = lookups == [100]
    detail = (
        f"{'/'.join(map(str, lookups))} look-up requests and {'/'.join(map(str, tokens))} token request(s); "
        f"{_times(ratio)} the wall time of 10,000 single calls"
    )
    return Verdict("B3", B3.target, met, detail)


def check_b4(results: list[ImportResult]) -> Verdict:
    target = f"under {MAX_IMPORT_MS:g} ms over import airflow.sdk, for the operators and each example DAG"
    rows = [result for result in results if result.target.kind in ("module", "dag")]
    failed = [result for result in rows if result.error]
    if failed:
        return Verdict("B4", target, None, f"not measured: {failed[0].target.label}: {failed[0].error}")

    parts = []
    misses = []
    for result in rows:
        median_ms = statistics.median(result.target_seconds) * 1000
        name = result.target.target.rsplit("/", 1)[-1]
        parts.append(f"{name} {median_ms:.0f} ms")
        if median_ms >= MAX_IMPORT_MS:
            misses.append(result)
    detail = "; ".join(parts)
    if misses:
        slowest = max(misses, key=lambda result: statistics.median(result.target_seconds))
        detail += ". Over the target. " + _import_reason(slowest)
    return Verdict("B4", target, not misses, detail)


def _import_reason(result: ImportResult) -> str:
    """Explain an import's cost from its ``-X importtime`` split."""
    ours = result.by_package_ms.get("portone_provider", 0.0)
    modules = result.module_counts.get("portone_provider", 0)
    client_stack = sum(result.by_package_ms.get(name, 0.0) for name in REQUESTS_FAMILY)
    airflow = result.by_package_ms.get("airflow", 0.0)
    whole = sum(result.by_package_ms.values())
    name = result.target.target.rsplit("/", 1)[-1]
    return (
        f"The slowest, {name}, spent {whole:.0f} ms of import self time after airflow.sdk in one -X importtime "
        f"run: {modules} portone_provider modules {ours:.0f} ms; requests with urllib3, charset_normalizer, "
        f"idna and certifi {client_stack:.0f} ms; Airflow modules that airflow.sdk does not load by itself "
        f"(timetables, decorators) {airflow:.0f} ms; other packages {whole - ours - client_stack - airflow:.0f} ms"
    )


def check_b5(result: CaseResult | None, unavailable: str | None) -> Verdict:
    if result is None:
        return Verdict("B5", B5.target, None, unavailable or "not run")
    error = _errors(result, "ours")
    if error:
        return Verdict("B5", B5.target, None, f"not measured: {error}")
    expected = expected_polls()
    shares = [polls(m) / expected for m in result.of("ours")]
    blocked = sum(m.extra.get("blocked", 0) for m in result.of("ours"))
    floor_blocked = sum(m.extra.get("blocked", 0) for m in result.of("floor"))
    worst_lag = max(m.extra.get("max_lag_ms", 0.0) for m in result.of("ours"))
    met = blocked == 0 and min(shares) >= MIN_POLL_SHARE
    detail = (
        f"{min(shares):.0%}–{max(shares):.0%} of the expected {expected:,} polls; "
        f"{blocked} blocked wake-up(s) over all rounds, longest lag {worst_lag:.0f} ms"
    )
    if blocked:
        late_at = sorted(at for m in result.of("ours") for at in m.extra.get("late_at", []))
        collections = sum(m.extra.get("full_collections", 0) for m in result.of("ours"))
        longest_collection = max(m.extra.get("full_collection_max_ms", 0.0) for m in result.of("ours"))
        detail += (
            f". The late wake-ups were due {', '.join(f'{at:g}' for at in late_at)} s after the start. "
            f"In the same runs Python made {collections} full garbage collection(s) of up to "
            f"{longest_collection:.0f} ms, which scan every object of a process with Airflow loaded. "
            f"The floor, in the same kind of process, was late {floor_blocked} time(s)"
        )
    return Verdict("B5", B5.target, met, detail)
