"""The floor: plain ``requests.Session`` loops with one access token and no client library.

They do the least any caller must do: send the request, check the HTTP status and
PortOne's ``code``, and decode the JSON body. No retries, no input checks, no logging.
"""

from __future__ import annotations

import json

import requests

BATCH_SIZE = 100


def _ids(spec: dict) -> list[str]:
    with open(spec["ids_file"], encoding="utf-8") as handle:
        return json.load(handle)[: spec["count"]]


def _session_with_token(spec: dict) -> requests.Session:
    session = requests.Session()
    body = _envelope(
        session.post(
            spec["base_url"] + "/users/getToken",
            json={"imp_key": spec["api_key"], "imp_secret": spec["api_secret"]},
        )
    )
    session.headers["Authorization"] = "Bearer " + body["access_token"]
    return session


def _envelope(response: requests.Response, accepted: tuple[int, ...] = (200,)):
    if response.status_code not in accepted:
        raise RuntimeError(f"HTTP {response.status_code} from {response.request.method} {response.url}")
    envelope = response.json()
    if envelope.get("code") != 0:
        raise RuntimeError(f"PortOne code {envelope.get('code')}: {envelope.get('message')}")
    return envelope["response"]


def single_lookups(spec: dict) -> dict:
    """Look up each id with its own ``GET /payments/{imp_uid}``."""
    ids = _ids(spec)
    with _session_with_token(spec) as session:
        rows = 0
        for imp_uid in ids:
            _envelope(session.get(f"{spec['base_url']}/payments/{imp_uid}"))
            rows += 1
    return {"rows": rows}


def batched_lookups(spec: dict) -> dict:
    """Look up the ids 100 at a time with ``GET /payments?imp_uid[]=...``."""
    ids = _ids(spec)
    with _session_with_token(spec) as session:
        rows = 0
        for start in range(0, len(ids), BATCH_SIZE):
            params = [("imp_uid[]", imp_uid) for imp_uid in ids[start : start + BATCH_SIZE]]
            payments = _envelope(session.get(spec["base_url"] + "/payments", params=params), accepted=(200, 207))
            rows += len(payments)
    return {"rows": rows}


def stream_paid(spec: dict) -> dict:
    """Page through the paid payments of the day, 1000 rows a request, until ``next`` is 0.

    Each row passes through the caller's loop, as it does with ``iter_payments``. Paging
    also stops once ``count`` rows have arrived, for the shorter runs.
    """
    with _session_with_token(spec) as session:
        rows = 0
        page = 1
        while page:
            params = {
                "page": page,
                "limit": 1000,
                "from": spec["since"],
                "to": spec["until"] - 1,
                "sorting": "paid",
            }
            body = _envelope(session.get(spec["base_url"] + "/payments/status/paid", params=params))
            listed = body["list"]
            for _payment in listed:
                rows += 1
            page = body["next"] if body["next"] > page and listed and rows < spec["count"] else 0
    return {"rows": rows}
