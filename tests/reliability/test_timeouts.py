"""Every request the provider sends has a timeout, and it is the Connection's ``timeout`` extra.

The fault matrix times out token, read, list, cancel, barcode and trigger-poll
requests. This module covers the rest: the code paths that can send a request
at all, and the trigger's own getToken.
"""

from __future__ import annotations

import ast
import asyncio
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from portone_provider.hooks.portone import PortOneHook
from portone_provider.triggers import portone as trigger_module
from portone_provider.triggers.portone import PortOnePaymentTrigger
from tests.reliability.support import CONNECTION_TIMEOUT, quick_retry, use_connection

PACKAGE = Path(__file__).resolve().parents[2] / "portone_provider"
#: Calls that can send an HTTP request, by the text of the called expression.
SENDING_CALLS = {
    "requests.get", "requests.post", "requests.put", "requests.delete", "requests.head", "requests.patch",
    "requests.request", "requests.Session", "httpx.get", "httpx.post", "httpx.request", "httpx.Client",
    "httpx.AsyncClient", "urllib.request.urlopen", "urlopen", "http.client.HTTPConnection",
    "http.client.HTTPSConnection", "self._session.request", "self._http.request", "self._http.stream",
}
#: The call sites the provider has, and whether the call itself must carry ``timeout=``.
EXPECTED_SITES = {
    ("client/base.py", "requests.Session"): False,
    ("client/base.py", "self._session.request"): True,
    ("client/aio.py", "httpx.AsyncClient"): True,
    ("client/aio.py", "self._http.request"): False,
}


def sending_sites() -> dict[tuple[str, str], list[ast.Call]]:
    """Find every call in the provider (the emulator aside) that can send an HTTP request."""
    sites: dict[tuple[str, str], list[ast.Call]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("emulator/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in SENDING_CALLS:
                sites.setdefault((relative, ast.unparse(node.func)), []).append(node)
    return sites


def test_only_known_code_paths_send_requests():
    sites = sending_sites()

    assert set(sites) == set(EXPECTED_SITES)
    for site, needs_timeout in EXPECTED_SITES.items():
        if not needs_timeout:
            continue
        for call in sites[site]:
            keywords = {keyword.arg: ast.unparse(keyword.value) for keyword in call.keywords}
            assert "timeout" in keywords, site
            assert "self.timeout" in keywords["timeout"], site


def test_connection_timeout_reaches_both_clients(emulator, monkeypatch):
    use_connection(monkeypatch, emulator.url, timeout="2.5")

    client = PortOneHook().get_conn()
    assert client.timeout == 2.5

    async def build():
        async_client = await trigger_module._build_client("portone_default")
        try:
            return async_client.timeout, async_client._http.timeout
        finally:
            await async_client.aclose()

    seconds, httpx_timeout = asyncio.run(build())
    assert seconds == 2.5
    assert (httpx_timeout.connect, httpx_timeout.read, httpx_timeout.write, httpx_timeout.pool) == (2.5, 2.5, 2.5, 2.5)


@pytest.mark.parametrize("path", ["^/users/getToken$", "^/payments/find/"])
def test_trigger_requests_time_out(emulator, monkeypatch, path):
    delay = 1.5
    emulator.store.put(
        {"imp_uid": "imp_580000000001", "merchant_uid": "order_timeout", "status": "paid", "amount": 5000,
         "started_at": int(time.time()) - 60, "paid_at": int(time.time()) - 30}
    )
    use_connection(monkeypatch, emulator.url)
    monkeypatch.setattr(trigger_module, "trigger_retry_policy", lambda: quick_retry())
    emulator.faults.add({"path": path, "action": "delay", "delay": delay, "times": 1})
    end_time = (datetime.now(timezone.utc) + timedelta(seconds=10)).isoformat()
    trigger = PortOnePaymentTrigger(
        conn_id="portone_default", merchant_uid="order_timeout", poke_interval=0.05, end_time=end_time
    )

    async def first_event() -> dict:
        events = trigger.run()
        try:
            event = await anext(events)
        finally:
            await events.aclose()
        return event.payload

    started = time.monotonic()
    payload = asyncio.run(first_event())
    elapsed = time.monotonic() - started

    assert payload["status"] == "success"
    assert CONNECTION_TIMEOUT <= elapsed < delay
