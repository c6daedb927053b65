"""This provider's client, ``portone_provider.client.PortOneClient``, called as users call it."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone

from portone_provider.client import PortOneClient


def _ids(spec: dict) -> list[str]:
    with open(spec["ids_file"], encoding="utf-8") as handle:
        return json.load(handle)[: spec["count"]]


def _client(spec: dict) -> PortOneClient:
    return PortOneClient(spec["api_key"], spec["api_secret"], base_url=spec["base_url"])


def single_lookups(spec: dict) -> dict:
    """Call ``get_payment`` once per id."""
    ids = _ids(spec)
    with _client(spec) as client:
        rows = 0
        for imp_uid in ids:
            client.get_payment(imp_uid)
            rows += 1
    return {"rows": rows}


def batched_lookups(spec: dict) -> dict:
    """Call ``get_payments`` once with every id; the client sends 100 ids a request."""
    ids = _ids(spec)
    with _client(spec) as client:
        payments = client.get_payments(imp_uids=ids)
    return {"rows": len(payments)}


def stream_paid(spec: dict) -> dict:
    """Iterate ``iter_payments("paid", ...)`` over the day, stopping after ``count`` rows."""
    since = datetime.fromtimestamp(spec["since"], tz=timezone.utc)
    until = datetime.fromtimestamp(spec["until"], tz=timezone.utc)
    with _client(spec) as client:
        payments = client.iter_payments("paid", since=since, until=until, page_size=1000)
        rows = 0
        for _payment in itertools.islice(payments, spec["count"]):
            rows += 1
    return {"rows": rows}
