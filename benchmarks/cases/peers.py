"""The peer clients from PyPI: ``iamporter`` 0.2.4 and ``iamport-rest-client`` 0.9.0.

Both accept the API root as ``imp_url``, so they reach the emulator without patching.
This module runs only in the peers' virtual environment and imports nothing from this
provider. Each function uses the peer's public API where the peer has one for the job.
"""

from __future__ import annotations

import asyncio
import json

import requests
from iamport import Iamport
from iamporter import Iamporter
from iamporter.api import Payments
from iamporter.base import IamportAuth

from benchmarks.loopwatch import poll_until, run_watched, start_offsets

PAGE_SIZE = 1000


def _ids(spec: dict) -> list[str]:
    with open(spec["ids_file"], encoding="utf-8") as handle:
        return json.load(handle)[: spec["count"]]


def _imp_url(spec: dict) -> str:
    # Both peers join paths onto imp_url as text and expect a trailing slash.
    return spec["base_url"] + "/"


def iamporter_single_lookups(spec: dict) -> dict:
    """Call ``Iamporter.find_payment(imp_uid=...)`` once per id."""
    ids = _ids(spec)
    client = Iamporter(imp_key=spec["api_key"], imp_secret=spec["api_secret"], imp_url=_imp_url(spec))
    rows = 0
    for imp_uid in ids:
        client.find_payment(imp_uid=imp_uid)
        rows += 1
    return {"rows": rows}


def iamporter_stream_paid(spec: dict) -> dict:
    """Page with ``iamporter.api.Payments.get_status``; the facade class has no list call."""
    auth = IamportAuth(spec["api_key"], spec["api_secret"], imp_url=_imp_url(spec))
    with requests.Session() as session:
        payments_api = Payments(auth, session=session, imp_url=_imp_url(spec))
        rows = 0
        page = 1
        while page:
            response = payments_api.get_status(
                "paid",
                page=page,
                limit=PAGE_SIZE,
                search_from=spec["since"],
                search_to=spec["until"] - 1,
                sorting="paid",
            )
            if not response.is_succeed:
                raise RuntimeError(f"HTTP {response.status}, code {response.code}: {response.message}")
            listed = response.data["list"]
            for _payment in listed:
                rows += 1
            page = response.data["next"] if response.data["next"] > page and listed else 0
    return {"rows": rows}


def iamport_rest_single_lookups(spec: dict) -> dict:
    """Call ``Iamport.find(imp_uid=...)`` once per id."""
    ids = _ids(spec)
    client = Iamport(spec["api_key"], spec["api_secret"], imp_url=_imp_url(spec))
    rows = 0
    for imp_uid in ids:
        client.find(imp_uid=imp_uid)
        rows += 1
    return {"rows": rows}


def iamport_rest_stream_paid(spec: dict) -> dict:
    """Page through the day with the private ``Iamport._get``.

    The public ``find_by_status`` passes ``params=`` to ``_get(url, payload=None)`` and
    raises TypeError before sending anything. The function records that error as a note
    and then pages with ``_get`` directly, the workaround left to a user of 0.9.0.
    """
    client = Iamport(spec["api_key"], spec["api_secret"], imp_url=_imp_url(spec))
    try:
        client.find_by_status("paid", page=1, limit=PAGE_SIZE)
        note = None
    except TypeError as exc:
        note = f"public find_by_status raises TypeError ({exc}); paged with the private _get"

    url = f"{_imp_url(spec)}payments/status/paid"
    rows = 0
    page = 1
    while page:
        payload = {"page": page, "limit": PAGE_SIZE, "from": spec["since"], "to": spec["until"] - 1, "sorting": "paid"}
        body = client._get(url, payload)
        listed = body["list"]
        for _payment in listed:
            rows += 1
        page = body["next"] if body["next"] > page and listed else 0
    return {"rows": rows, "note": note}


def _polls_in_loop(spec: dict, find) -> dict:
    """Poll on B5's schedule from coroutines that call a peer's blocking ``find``.

    Neither peer has an async API, so a trigger built on one calls it on the event loop.
    """
    async def poll(imp_uid: str) -> None:
        find(imp_uid)

    async def main() -> dict:
        ids = _ids(spec)
        offsets = start_offsets(len(ids), spec["poke_interval"])
        stop_at = asyncio.get_running_loop().time() + spec["time_limit"]
        waits = (
            poll_until(poll, imp_uid, spec["poke_interval"], spec["duration"], offset, stop_at)
            for imp_uid, offset in zip(ids, offsets)
        )
        polls, figures = await run_watched(waits, spec["time_limit"])
        return {"rows": len(polls), **figures}

    return asyncio.run(main())


def iamporter_polls(spec: dict) -> dict:
    """B5 with ``Iamporter.find_payment`` called from coroutines."""
    client = Iamporter(imp_key=spec["api_key"], imp_secret=spec["api_secret"], imp_url=_imp_url(spec))
    return _polls_in_loop(spec, lambda imp_uid: client.find_payment(imp_uid=imp_uid))


def iamport_rest_polls(spec: dict) -> dict:
    """B5 with ``Iamport.find`` called from coroutines."""
    client = Iamport(spec["api_key"], spec["api_secret"], imp_url=_imp_url(spec))
    return _polls_in_loop(spec, lambda imp_uid: client.find(imp_uid=imp_uid))
