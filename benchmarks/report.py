"""Render the benchmark run as the Markdown page BENCHMARKS.md."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.imports import ImportResult
from benchmarks.plan import (
    POKE_INTERVAL_SECONDS,
    POLL_DURATION_SECONDS,
    POLL_LATENCY_SECONDS,
    POLL_TIME_LIMIT_SECONDS,
    TRIGGER_COUNT,
)
from benchmarks.profiles import format_shares
from benchmarks.rounds import CaseResult, Measurement
from benchmarks.summary import Spread, paired_ratios, single_value
from benchmarks.targets import MAX_IMPORT_MS, Verdict, expected_polls, polls, rss_mb


@dataclass
class BenchRun:
    """Everything one ``make bench`` run measured, ready to render."""

    command: str
    started: str
    minutes: float
    repeats: int
    facts: dict[str, str]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    cases: dict[str, CaseResult] = field(default_factory=dict)
    imports: list[ImportResult] = field(default_factory=list)
    profiles: dict[str, dict[str, float]] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)
    b5_unavailable: str | None = None
    trigger_startup: dict[str, dict[str, float]] = field(default_factory=dict)
    heap_peaks: dict[str, float] = field(default_factory=dict)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return a GitHub Markdown table; ``|`` inside a cell is escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"

    lines = [line(header), "| " + " | ".join("---" for _ in header) + " |"]
    lines.extend(line(row) for row in rows)
    return "\n".join(lines)


def _ok(measurements: list[Measurement]) -> list[Measurement]:
    return [m for m in measurements if m.error is None]


def _spread(values: list[float | None], scale: float = 1.0, digits: int = 2) -> str:
    spread = Spread.of([value for value in values if value is not None])
    return spread.format(scale, digits) if spread else "–"


def _median_cell(values: list[float | None], digits: int = 2) -> str:
    present = [value for value in values if value is not None]
    return f"{statistics.median(present):.{digits}f}" if present else "–"


def _ratio_cell(result: CaseResult, key: str, figure: str = "seconds") -> str:
    variant = result.case.variant(key)
    if key == result.case.floor:
        return "1.00 (floor)"
    if not variant.compared:
        return "– (less work)"
    values = [getattr(m, figure) if m.error is None else None for m in result.of(key)]
    floors = [getattr(m, figure) if m.error is None else None for m in result.of(result.case.floor)]
    return _spread(paired_ratios(values, floors))


def _notes(result: CaseResult, key: str, verdict: Verdict | None) -> str:
    measurements = result.of(key)
    notes = []
    errors = sorted({m.error for m in measurements if m.error})
    if errors:
        notes.append(f"failed in {sum(1 for m in measurements if m.error)} of {len(measurements)} runs: {errors[0]}")
    for note in sorted({m.note for m in measurements if m.note}):
        notes.append(note)
    tokens = {m.token_requests for m in _ok(measurements)}
    if tokens and min(tokens) > 1:
        notes.append("a new getToken before every call")
    cancelled = [m.extra["cancelled"] for m in _ok(measurements) if m.extra.get("cancelled")]
    if cancelled:
        notes.append(
            f"{max(cancelled)} of the waits were still running at the {POLL_TIME_LIMIT_SECONDS:g} s limit "
            "and were cancelled"
        )
    rows = {m.rows for m in _ok(measurements)}
    if len(rows) > 1 and not cancelled:
        notes.append(f"rows varied: {sorted(rows)}")
    if key == "ours" and verdict is not None:
        notes.append(_verdict_word(verdict.met))
    return "; ".join(notes)


def _verdict_word(met: bool | None) -> str:
    return {True: "target met", False: "**target missed**", None: "not measured"}[met]


def _requests_cell(measurements: list[Measurement]) -> str:
    ok = _ok(measurements)
    total = single_value([m.requests for m in ok])
    tokens = single_value([m.token_requests for m in ok])
    return f"{total} ({tokens})"


def render_http_case(result: CaseResult, verdict: Verdict | None) -> str:
    """Render B1, B2 or B3: one row per variant."""
    case = result.case
    with_rss = case.case_id == "B2"
    header = [
        "client",
        "call",
        "requests (of which getToken)",
        "rows",
        "wall s: median (min–max)",
        "wall × floor: median (min–max)",
        "client CPU s: median",
        "CPU × floor: median (min–max)",
    ]
    if with_rss:
        header.append("peak RSS growth MB: median (min–max)")
    header.append("notes")

    rows = []
    for variant in case.variants:
        measurements = result.of(variant.key)
        ok = _ok(measurements)
        row = [
            variant.client,
            variant.call,
            _requests_cell(measurements),
            single_value([m.rows for m in ok]),
            _spread([m.seconds for m in ok], digits=3),
            _ratio_cell(result, variant.key),
            _median_cell([m.cpu_seconds for m in ok], digits=3),
            _ratio_cell(result, variant.key, "cpu_seconds"),
        ]
        if with_rss:
            row.append(_spread([rss_mb(m) for m in ok], digits=1))
        row.append(_notes(result, variant.key, verdict))
        rows.append(row)
    return markdown_table(header, rows)


def render_trigger_case(result: CaseResult, verdict: Verdict | None) -> str:
    """Render B5: polls against the schedule and the watchdog's figures."""
    expected = expected_polls()
    header = [
        "client",
        "call",
        f"polls of {expected:,} expected: median (min–max)",
        f"polls/s over {POLL_DURATION_SECONDS:g} s: median",
        "polls × floor: median (min–max)",
        "late wake-ups (> 0.1 s), all rounds",
        "loop blocked s: median (max)",
        "longest lag ms: median (max)",
        "full garbage collections, all rounds (longest ms)",
        "notes",
    ]
    rows = []
    for variant in result.case.variants:
        measurements = result.of(variant.key)
        ok = _ok(measurements)
        counts = [polls(m) for m in ok]
        lags = [m.extra.get("max_lag_ms", 0.0) for m in ok]
        blocked = [m.extra.get("blocked_seconds", 0.0) for m in ok]
        rate = statistics.median(counts) / POLL_DURATION_SECONDS if counts else None
        values = [polls(m) if m.error is None else None for m in measurements]
        floors = [polls(m) if m.error is None else None for m in result.of(result.case.floor)]
        ratio = "1.00 (floor)" if variant.key == result.case.floor else _spread(paired_ratios(values, floors))
        rows.append(
            [
                variant.client,
                variant.call,
                _spread(counts, digits=0),
                f"{rate:.0f}" if rate is not None else "–",
                ratio,
                str(sum(m.extra.get("blocked", 0) for m in ok)) if ok else "–",
                f"{statistics.median(blocked):.2f} ({max(blocked):.2f})" if blocked else "–",
                f"{statistics.median(lags):.0f} ({max(lags):.0f})" if lags else "–",
                _collections_cell(ok),
                _notes(result, variant.key, verdict),
            ]
        )
    return markdown_table(header, rows)


def _collections_cell(measurements: list[Measurement]) -> str:
    if not measurements:
        return "–"
    count = sum(m.extra.get("full_collections", 0) for m in measurements)
    longest = max(m.extra.get("full_collection_max_ms", 0.0) for m in measurements)
    return f"{count} ({longest:.0f})"


def _heap_lines(peaks: dict[str, float]) -> list[str]:
    if not peaks:
        return []
    figures = ", ".join(f"{key.split()[0]} at {int(key.split()[1]):,} rows {mb:.1f} MB" for key, mb in peaks.items())
    return [
        "",
        "Peak RSS moves with the allocator's history, so one more run of each with `tracemalloc` "
        f"measures the peak of memory allocated by Python itself: {figures}.",
    ]


def _startup_lines(steps: dict[str, dict[str, float]]) -> list[str]:
    if not steps:
        return []
    lines = [
        "",
        "Steps before a trigger's first poll, timed once in a fresh process with Airflow loaded. "
        "`held` is the longest stretch the step kept the event loop without awaiting:",
        "",
    ]
    for name, figures in steps.items():
        lines.append(f"- {name}: {figures['seconds'] * 1000:.1f} ms, held {figures['held_seconds'] * 1000:.1f} ms")
    return lines


def render_imports(results: list[ImportResult], verdict: Verdict | None) -> str:
    """Render B4: time after ``airflow.sdk`` per target, and where that time goes."""
    header = [
        "what",
        "ms after import airflow.sdk: median (min–max)",
        "whole process's imports × airflow.sdk alone: median",
        "import airflow.sdk itself, ms: median (min–max)",
        "largest own import times, ms (one python -X importtime run)",
        "notes",
    ]
    rows = []
    for result in results:
        if result.error:
            rows.append([result.target.label, "–", "–", "–", "–", f"failed: {result.error}"])
            continue
        kind = result.target.kind
        if kind == "none":
            after = "– (floor)"
            ratio = "1.00 (floor)"
        elif kind == "bare":
            after = _spread(result.target_seconds, 1000, 1)
            ratio = "– (no Airflow)"
        else:
            after = _spread(result.target_seconds, 1000, 1)
            ratios = [(sdk + extra) / sdk for sdk, extra in zip(result.sdk_seconds, result.target_seconds)]
            ratio = f"{statistics.median(ratios):.3f}"
        sdk = "–" if kind == "bare" else _spread(result.sdk_seconds, 1000, 0)
        largest = [(name, ms) for name, ms in result.by_package_ms.items() if ms >= 0.5][:5]
        shares = ", ".join(f"{name} {ms:.0f}" for name, ms in largest)
        note = ""
        if kind in ("module", "dag") and verdict is not None:
            met = statistics.median(result.target_seconds) * 1000 < MAX_IMPORT_MS
            note = _verdict_word(met)
        if kind == "bare":
            note = "import time alone, without Airflow; the peer offers no operator to compare"
        rows.append([result.target.label, after, ratio, sdk, shares or "–", note])
    return markdown_table(header, rows)


def render(run: BenchRun) -> str:
    """Return the whole BENCHMARKS.md text."""
    verdicts = {verdict.case_id: verdict for verdict in run.verdicts}
    parts = [
        "# Benchmarks",
        "",
        "This provider against a raw `requests` loop (the floor) and two PortOne V1 clients from PyPI, "
        "`iamporter` 0.2.4 and `iamport-rest-client` 0.9.0, all measured in one run on one machine "
        "against the local emulator. Generated by `make bench`; do not edit by hand.",
        "",
        "How it measures:",
        "",
        "- The emulator runs in its own process on 127.0.0.1, seeded with no demo data and 100,000 paid "
        "card payments on 2026-11-02 (KST), plus 200 ready payments for B5.",
        "- Every measurement runs in a fresh Python process. Imports happen before the clock starts; the "
        "wall time covers building the client, getting the token and the calls.",
        f"- Each case runs one uncounted warm-up, then {run.repeats} rounds. A round runs every variant once. "
        "The floor and this provider run back to back, first in even rounds and last in odd ones, and the "
        "other variants rotate.",
        "- `× floor` divides each variant's figure by the floor's figure of the same round, then takes the "
        "median of those ratios. The ratios hold on a noisy machine better than the seconds do.",
        "- Client CPU is the CPU time the measured process used (`time.process_time`), without the "
        "emulator's. Other load on the machine changes it less than the wall time.",
        "- Request counts come from the emulator's own counters (`GET /_emulator/stats`), reset before each "
        "measurement.",
        "- Peak RSS growth is the process's `ru_maxrss` after the calls minus before them.",
        "- In B2 every variant hands each payment to the caller's loop, as `iter_payments` does.",
        "- The peer clients run in a separate virtual environment (`.bench-venv`), because "
        "`iamport-rest-client` pins requests 2.26.0. Both take the API root as `imp_url`, so no code is "
        "patched. A guard in every worker rejects connections and name look-ups for any non-loopback host.",
        "- The floor also runs in the peers' environment (B1, B2), to separate the effect of the requests "
        "version from the client's own cost.",
        "",
        "## Machine and run",
        "",
        markdown_table(
            ["", ""],
            [[label, value] for label, value in run.facts.items()]
            + [
                ["Started (UTC)", run.started],
                ["Duration", f"{run.minutes:.1f} min"],
                [
                    "Load average before / after",
                    f"{' '.join(f'{x:.2f}' for x in run.load_before)} / {' '.join(f'{x:.2f}' for x in run.load_after)}",
                ],
                ["Command", f"`make bench` (runs `{run.command}`)"],
            ],
        ),
        "",
        "## Targets",
        "",
        markdown_table(
            ["case", "target", "result", "figures"],
            [[v.case_id, v.target, _verdict_word(v.met), v.detail] for v in run.verdicts],
        ),
    ]

    sections = [
        ("B1", "1,000 single payment look-ups"),
        ("B2", "Stream the 100,000 paid payments of one day"),
        ("B3", "10,000 ids looked up"),
    ]
    for case_id, title in sections:
        result = run.cases.get(case_id)
        parts += ["", f"## {case_id}: {title}", ""]
        if result is None:
            parts.append("Not run.")
            continue
        parts.append(render_http_case(result, verdicts.get(case_id)))
        if case_id == "B2":
            parts += _heap_lines(run.heap_peaks)
        parts += _profile_lines(run.profiles, result)

    parts += [
        "",
        "## B4: import cost over `import airflow.sdk`",
        "",
        "Each figure is from a fresh interpreter that imports `airflow.sdk`, then the target; a DAG file "
        "is executed as a module, as Airflow's DAG processor loads it. The figure is the time after "
        "`airflow.sdk`, measured in the same process, so the slow and noisy `airflow.sdk` import itself "
        "cancels out. The package split is self time from one `python -X importtime` run, which runs "
        "slower than the timed runs.",
        "",
        render_imports(run.imports, verdicts.get("B4")) if run.imports else "Not run.",
    ]

    parts += [
        "",
        f"## B5: {TRIGGER_COUNT} payment waits polled from one event loop",
        "",
        f"Each of {TRIGGER_COUNT} waits watches a payment that stays `ready`. The waits start spread over "
        f"the first {POKE_INTERVAL_SECONDS:g} s, as sensors deferred at different times are. Each polls at "
        f"once, then {POKE_INTERVAL_SECONDS:g} s after each poll ends, and a last time at its deadline "
        f"{POLL_DURATION_SECONDS:g} s after its start: {expected_polls():,} polls in all when no poll is "
        f"late. The emulator delays each of these polls by {POLL_LATENCY_SECONDS * 1000:g} ms, an assumed "
        "stand-in for the network round trip to PortOne that loopback lacks. A watchdog coroutine sleeps "
        "50 ms at a time in the same loop and counts wake-ups more than 0.1 s late (a blocked loop); "
        "`loop blocked s` sums those late wake-ups' lags. Waits still running "
        f"{POLL_TIME_LIMIT_SECONDS:g} s after the start are cancelled. Polls "
        "are the emulator's request count minus getToken calls. The floor and this provider run in a process "
        "that has imported Airflow, as a triggerer has, so a full garbage collection scans as many objects "
        "for both. The peers have no async API, so their rows call the blocking client from the coroutines, "
        "as a trigger built on them would, in a process without Airflow.",
        "",
    ]
    result = run.cases.get("B5")
    if result is None:
        parts.append(run.b5_unavailable or "Not run.")
    else:
        parts.append(render_trigger_case(result, verdicts.get("B5")))
        parts += _startup_lines(run.trigger_startup)
    parts.append("")
    return "\n".join(parts)


def _profile_lines(profiles: dict[str, dict[str, float]], result: CaseResult) -> list[str]:
    lines = []
    for key, shares in profiles.items():
        case_id, variant_key = key.split(" ", 1)
        if case_id != result.case.case_id:
            continue
        variant = result.case.variant(variant_key)
        ours = shares.get("portone_provider", 0.0)
        lines.append(f"- {variant.client} ({variant_key}): {format_shares(shares)}; portone_provider {ours:.1%}")
    if not lines:
        return []
    return [
        "",
        f"Own time by package in one `cProfile` run of each, {'all rows' if result.case.case_id == 'B1' else 'the first 10,000 rows'} "
        "(shares of all profiled time; `(C)` marks functions implemented in C, such as socket reads):",
        "",
        *lines,
    ]
