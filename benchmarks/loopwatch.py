"""Event-loop helpers for B5: a poll schedule like a trigger's, and a blocked-loop watchdog.

Standard library only, so the peers' virtual environment can import it too.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

WATCHDOG_TICK_SECONDS = 0.05
BLOCKED_THRESHOLD_SECONDS = 0.1


class LoopWatchdog:
    """Sleep in short ticks and record how late each wake-up comes.

    A wake-up more than ``threshold`` seconds after its planned time means some code
    held the event loop that long without awaiting: the loop was blocked. ``late_at``
    lists when each late tick was due, in seconds after the watch started.
    """

    def __init__(self, tick: float = WATCHDOG_TICK_SECONDS, threshold: float = BLOCKED_THRESHOLD_SECONDS) -> None:
        self.tick = tick
        self.threshold = threshold
        self.ticks = 0
        self.blocked = 0
        self.blocked_seconds = 0.0
        self.max_lag = 0.0
        self.late_at: list[float] = []

    async def watch(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while not stop.is_set():
            planned = loop.time() + self.tick
            await asyncio.sleep(self.tick)
            lag = loop.time() - planned
            self.ticks += 1
            self.max_lag = max(self.max_lag, lag)
            if lag > self.threshold:
                self.blocked += 1
                self.blocked_seconds += lag
                self.late_at.append(round(planned - started, 2))

    def figures(self) -> dict:
        return {
            "watchdog_ticks": self.ticks,
            "blocked": self.blocked,
            "blocked_seconds": self.blocked_seconds,
            "max_lag_ms": self.max_lag * 1000,
            "late_at": self.late_at,
        }


def start_offsets(count: int, poke_interval: float) -> list[float]:
    """Spread ``count`` start times evenly over one poke interval, as sensors deferred at different times are."""
    return [index * poke_interval / count for index in range(count)]


async def poll_until(
    poll: Callable[[str], Awaitable[object]],
    key: str,
    poke_interval: float,
    duration: float,
    start_delay: float,
    stop_at: float,
) -> int:
    """Wait ``start_delay`` seconds, then poll ``key`` as the trigger does, for ``duration`` seconds.

    It polls at once, then ``poke_interval`` seconds after each poll ends, and a last
    time at the deadline. It sends no poll after the loop time ``stop_at``, so a blocked
    loop cannot stretch the run. Returns the number of polls.
    """
    loop = asyncio.get_running_loop()
    await asyncio.sleep(start_delay)
    deadline = loop.time() + duration
    polls = 0
    while True:
        if loop.time() >= stop_at:
            return polls
        await poll(key)
        polls += 1
        remaining = deadline - loop.time()
        if remaining <= 0:
            return polls
        await asyncio.sleep(min(poke_interval, remaining))


class FullCollectionTimer:
    """Record the duration of every full (generation 2) garbage collection while installed.

    A full collection scans every tracked object of the process, so in a process with
    Airflow loaded it can hold the event loop on its own.
    """

    def __init__(self) -> None:
        self.durations: list[float] = []
        self._started: float | None = None

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif info.get("generation") == 2 and self._started is not None:
            self.durations.append(time.perf_counter() - self._started)

    def figures(self) -> dict:
        return {
            "full_collections": len(self.durations),
            "full_collection_max_ms": max(self.durations, default=0.0) * 1000,
        }


async def run_watched(coroutines: Iterable[Coroutine[Any, Any, object]], time_limit: float) -> tuple[list[object], dict]:
    """Run ``coroutines`` together with a watchdog for at most ``time_limit`` seconds.

    Coroutines still running at the limit are cancelled, which a blocked loop can only do
    once the blocking call returns. Returns the finished coroutines' results and the
    figures of the watchdog and of full garbage collections, with ``cancelled`` counting
    the coroutines cut off.
    """
    watchdog = LoopWatchdog()
    collections = FullCollectionTimer()
    stop = asyncio.Event()
    watcher = asyncio.create_task(watchdog.watch(stop))
    tasks = [asyncio.create_task(coroutine) for coroutine in coroutines]
    gc.callbacks.append(collections)
    try:
        done, pending = await asyncio.wait(tasks, timeout=time_limit)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        gc.callbacks.remove(collections)
        stop.set()
        await watcher

    results = [task.result() for task in tasks if task in done]
    return results, {**watchdog.figures(), **collections.figures(), "cancelled": len(pending)}
