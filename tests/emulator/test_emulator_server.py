"""Server lifecycle, loopback-only binding, the store's update path and the CLI."""

from __future__ import annotations

import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from emulator_helpers import API_KEY, API_SECRET, DAY0, ApiClient, make_payment

from portone_provider.emulator import EmulatorServer
from portone_provider.emulator.server import resolve_loopback_host
from portone_provider.emulator.store import PaymentStore

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.0.10", "::", "example.com", "8.8.8.8", ""])
def test_non_loopback_host_rejected(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        EmulatorServer(API_KEY, API_SECRET, host=host, dataset="empty")


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("127.1.2.3", "127.1.2.3"), ("localhost", "127.0.0.1"), ("::1", "::1")],
)
def test_loopback_hosts_accepted(host: str, expected: str) -> None:
    assert resolve_loopback_host(host)[0] == expected


def test_other_loopback_address_serves() -> None:
    with EmulatorServer(API_KEY, API_SECRET, host="127.0.0.2", dataset="empty") as server:
        assert server.url.startswith("http://127.0.0.2:")
        assert requests.get(server.url + "/_emulator/health", timeout=5).status_code == 200


def test_ipv6_loopback_serves() -> None:
    if not socket.has_ipv6:
        pytest.skip("IPv6 is not available")
    try:
        server = EmulatorServer(API_KEY, API_SECRET, host="::1", dataset="empty").start()
    except OSError as exc:
        pytest.skip(f"cannot bind ::1 here: {exc}")
    try:
        assert server.url.startswith("http://[::1]:")
        assert requests.get(server.url + "/_emulator/health", timeout=5).status_code == 200
    finally:
        server.stop()


def test_stop_closes_keep_alive_connections() -> None:
    server = EmulatorServer(API_KEY, API_SECRET, dataset="empty").start()
    session = requests.Session()
    assert session.get(server.url + "/_emulator/health", timeout=5).status_code == 200

    server.stop()

    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(server.url + "/_emulator/health", timeout=5)
    server.stop()
    session.close()


def test_max_lifetime_stops_server() -> None:
    server = EmulatorServer(API_KEY, API_SECRET, dataset="empty", max_lifetime=0.3).start()

    assert server.wait(timeout=5)
    assert not server.running


def test_port_before_start_raises() -> None:
    server = EmulatorServer(API_KEY, API_SECRET, dataset="empty")

    with pytest.raises(RuntimeError, match="start"):
        _ = server.url


def test_concurrent_clients(server: EmulatorServer) -> None:
    clients = [ApiClient(server) for _ in range(8)]
    for client in clients:
        client.login()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda c: c.get("/payments/imp_000000000002").status_code, clients * 5))

    assert statuses == [200] * 40
    assert server.tokens.issued_count == 1
    for client in clients:
        client.close()


def test_store_update_reindexes() -> None:
    store = PaymentStore()
    store.load([make_payment("imp_000000000001"), make_payment("imp_000000000002")])

    def cancel(record):
        record.status = "cancelled"
        entry = {
            "pg_tid": "C1",
            "amount": 32900,
            "cancelled_at": DAY0 + 9000,
            "reason": "고객 변심",
            "receipt_url": None,
            "cancellation_id": "c1",
        }
        record.cancel_history.append(entry)
        record.recompute_cancel_amount()
        record.cancelled_at = DAY0 + 9000

    store.update("imp_000000000001", cancel)

    paid = store.list_by_status("paid", DAY0, DAY0 + 86_399, limit=10)
    cancelled = store.list_by_status("cancelled", DAY0, DAY0 + 86_399, limit=10)
    assert [payment["imp_uid"] for payment in paid.items] == ["imp_000000000002"]
    assert [payment["imp_uid"] for payment in cancelled.items] == ["imp_000000000001"]
    assert cancelled.items[0]["cancel_amount"] == 32900
    with pytest.raises(KeyError):
        store.update("imp_404404404404", cancel)


def test_cli_rejects_public_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "portone_provider.emulator", "--host", "0.0.0.0", "--dataset", "empty"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_cli_env(),
    )

    assert result.returncode == 2
    assert "loopback" in result.stderr


def test_cli_serves_and_stops_by_itself(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    command = [
        sys.executable,
        "-m",
        "portone_provider.emulator",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--dataset",
        "demo",
        "--per-day",
        "50",
        "--max-lifetime",
        "2",
        "--api-key",
        "cli_key",
        "--api-secret",
        "cli_secret_value",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=_cli_env())
    try:
        deadline = time.monotonic() + 15
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(port_file.read_text())
        base = f"http://127.0.0.1:{port}"
        token = requests.post(
            base + "/users/getToken", json={"imp_key": "cli_key", "imp_secret": "cli_secret_value"}, timeout=5
        )
        assert token.status_code == 200
        assert requests.get(base + "/_emulator/health", timeout=5).json()["payments"] > 200

        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0
    assert "NOT PortOne" in stderr
    assert "never moves money" in stderr
    assert "cli_key" in stderr
    assert "cli_secret_value" not in stderr
    assert f"http://127.0.0.1:{port}" in stderr
    assert not port_file.exists()


def test_cli_stops_on_sigterm(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    command = [
        sys.executable,
        "-m",
        "portone_provider.emulator",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--dataset",
        "empty",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=_cli_env())
    try:
        deadline = time.monotonic() + 15
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert port_file.exists()
        process.terminate()
        process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0


def _cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("PORTONE_EMULATOR_API_KEY", None)
    env.pop("PORTONE_EMULATOR_API_SECRET", None)
    return env


def test_dataset_from_json_file(tmp_path: Path) -> None:
    path = tmp_path / "payments.json"
    path.write_text(json.dumps([make_payment("imp_000000000123")]), encoding="utf-8")

    with EmulatorServer(API_KEY, API_SECRET, dataset=path) as server:
        client = ApiClient(server)
        client.login()
        response = client.get("/payments/imp_000000000123")
        client.close()

    assert response.status_code == 200
    assert response.json()["response"]["amount"] == 32900


def test_invalid_dataset_rejected_at_construction() -> None:
    with pytest.raises(ValueError, match="status"):
        EmulatorServer(API_KEY, API_SECRET, dataset=[make_payment("imp_000000000124", status="done")])


def test_store_all_returns_copies() -> None:
    store = PaymentStore()
    store.load([make_payment("imp_000000000002", started_at=DAY0 + 5), make_payment("imp_000000000001")])

    payments = store.all()
    payments[0]["amount"] = 1

    assert [payment["imp_uid"] for payment in payments] == ["imp_000000000002", "imp_000000000001"]
    assert store.get("imp_000000000002")["amount"] == 32900
