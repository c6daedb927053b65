"""B5 in the main virtual environment: the floor (bare httpx) and ``PortOnePaymentTrigger``.

Both poll the spec's ready payments from one event loop on the same schedule. Each wait
starts at its own offset within the first poke interval, polls at once, then
``poke_interval`` seconds after each poll ends, and a last time ``duration`` seconds after
its start. The payments stay ready, so every trigger ends with a timeout event.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import datetime, timedelta, timezone

import httpx

from airflow.sdk import BaseHook

from benchmarks.loopwatch import poll_until, run_watched, start_offsets
from portone_provider.client.aio import AsyncPortOneClient
from portone_provider.triggers.portone import PortOnePaymentTrigger

CONN_ID = "portone_bench"


def _ids(spec: dict) -> list[str]:
    with open(spec["ids_file"], encoding="utf-8") as handle:
        return json.load(handle)[: spec["count"]]


async def _floor(spec: dict) -> dict:
    ids = _ids(spec)
    async with httpx.AsyncClient(base_url=spec["base_url"]) as client:
        token_response = await client.post(
            "/users/getToken", json={"imp_key": spec["api_key"], "imp_secret": spec["api_secret"]}
        )
        token_response.raise_for_status()
        headers = {"Authorization": "Bearer " + token_response.json()["response"]["access_token"]}

        async def poll(imp_uid: str) -> None:
            response = await client.get(f"/payments/{imp_uid}", headers=headers)
            response.raise_for_status()
            if response.json()["code"] != 0:
                raise RuntimeError(f"PortOne code {response.json()['code']} for {imp_uid}")

        offsets = start_offsets(len(ids), spec["poke_interval"])
        stop_at = asyncio.get_running_loop().time() + spec["time_limit"]
        waits = (
            poll_until(poll, imp_uid, spec["poke_interval"], spec["duration"], offset, stop_at)
            for imp_uid, offset in zip(ids, offsets)
        )
        polls, figures = await run_watched(waits, spec["time_limit"])
    return {"rows": len(polls), **figures}


def floor_polls(spec: dict) -> dict:
    """Poll with one ``httpx.AsyncClient`` and one token, and no error handling or rules."""
    return asyncio.run(_floor(spec))


async def _first_event(imp_uid: str, spec: dict, start_delay: float) -> dict:
    await asyncio.sleep(start_delay)
    end_time = (datetime.now(timezone.utc) + timedelta(seconds=spec["duration"])).isoformat()
    trigger = PortOnePaymentTrigger(conn_id=CONN_ID, imp_uid=imp_uid, poke_interval=spec["poke_interval"], end_time=end_time)
    async for event in trigger.run():
        return event.payload
    raise RuntimeError(f"the trigger for {imp_uid} ended without an event")


async def _triggers(spec: dict) -> dict:
    ids = _ids(spec)
    offsets = start_offsets(len(ids), spec["poke_interval"])
    waits = (_first_event(imp_uid, spec, offset) for imp_uid, offset in zip(ids, offsets))
    events, figures = await run_watched(waits, spec["time_limit"])

    statuses = sorted({event["status"] for event in events})
    if events and statuses != ["timeout"]:
        raise RuntimeError(f"expected only timeout events, got statuses {statuses}")
    return {"rows": len(events), **figures}


def _set_connection(spec: dict) -> None:
    connection = {"conn_type": "portone", "login": spec["api_key"], "password": spec["api_secret"], "host": spec["base_url"]}
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(connection)


def trigger_polls(spec: dict) -> dict:
    """Run ``PortOnePaymentTrigger.run()`` for every id, reading the Connection from the environment."""
    _set_connection(spec)
    return asyncio.run(_triggers(spec))


async def _longest_hold(step) -> tuple[float, float]:
    """Run the awaitable ``step`` and return its duration and the longest time it held the loop.

    A ticker that sleeps 1 ms at a time runs beside the step. Its latest wake-up is the
    longest stretch other code ran without returning to the loop.
    """
    loop = asyncio.get_running_loop()
    longest = 0.0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal longest
        while not done.is_set():
            planned = loop.time() + 0.001
            await asyncio.sleep(0.001)
            longest = max(longest, loop.time() - planned)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    started = time.perf_counter()
    await step
    duration = time.perf_counter() - started
    done.set()
    await ticker
    return duration, longest


def _construct(spec: dict) -> tuple[AsyncPortOneClient, tuple[float, float]]:
    """Build a client. The constructor is synchronous, so it keeps the loop for all of its time."""
    started = time.perf_counter()
    client = AsyncPortOneClient(spec["api_key"], spec["api_secret"], base_url=spec["base_url"])
    duration = time.perf_counter() - started
    return client, (duration, duration)


async def _startup_steps(spec: dict) -> dict:
    steps = {}
    steps["first BaseHook.aget_connection in the process"] = await _longest_hold(BaseHook.aget_connection(CONN_ID))

    client, steps["AsyncPortOneClient(...) construction"] = _construct(spec)
    steps["first request of the process (getToken)"] = await _longest_hold(client.get_access_token())
    await client.aclose()

    second, steps["a second AsyncPortOneClient(...) construction"] = _construct(spec)
    await second.aclose()
    return {name: {"seconds": duration, "held_seconds": held} for name, (duration, held) in steps.items()}


def startup_steps(spec: dict) -> dict:
    """Time, once in a fresh process, the steps before a trigger's first poll.

    For each step it reports the duration and the longest stretch the step held the
    event loop without awaiting, for example to import modules on first use or to build
    an SSL context.
    """
    _set_connection(spec)
    return {"rows": 0, "steps": asyncio.run(_startup_steps(spec))}
