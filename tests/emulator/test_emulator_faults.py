"""Fault rules: every action, matching, counting and the control API for them."""

from __future__ import annotations

import time

import pytest
import requests
from emulator_helpers import API_KEY, API_SECRET, ApiClient

from portone_provider.emulator import EmulatorServer
from portone_provider.emulator.faults import FaultRegistry, FaultRule

PAYMENT_PATH = "/payments/imp_000000000002"


def test_status_fault_with_retry_after(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": "^/payments/", "action": "status", "status": 429, "retry_after": 2})

    limited = authed.get(PAYMENT_PATH)
    after = authed.get(PAYMENT_PATH)

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    body = limited.json()
    assert body["code"] == -1
    assert body["response"] is None
    assert body["message"]
    assert after.status_code == 200


def test_status_fault_5xx_without_retry_after(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"method": "GET", "path": "^/payments/", "action": "status", "status": 503})

    response = authed.get(PAYMENT_PATH)

    assert response.status_code == 503
    assert "Retry-After" not in response.headers
    assert response.json()["code"] == -1


def test_delay_fault(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": "^/payments/", "action": "delay", "delay": 0.3})

    started = time.monotonic()
    response = authed.get(PAYMENT_PATH)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed >= 0.3


def test_delay_fault_triggers_client_timeout(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": "^/payments/", "action": "delay", "delay": 0.5})

    with pytest.raises(requests.exceptions.ReadTimeout):
        authed.session.get(authed.url(PAYMENT_PATH), timeout=0.1)


def test_reset_fault_does_not_apply_request(client: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"method": "POST", "path": "^/users/getToken$", "action": "reset"})

    with pytest.raises(requests.exceptions.ConnectionError):
        client.post("/users/getToken", json={"imp_key": API_KEY, "imp_secret": API_SECRET})

    assert server.tokens.issued_count == 0
    assert server.stats["token_requests"] == 1


def test_drop_after_fault_applies_request(client: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"method": "POST", "path": "^/users/getToken$", "action": "drop_after"})

    with pytest.raises(requests.exceptions.ConnectionError):
        client.post("/users/getToken", json={"imp_key": API_KEY, "imp_secret": API_SECRET})

    assert server.tokens.issued_count == 1
    assert server.tokens.current_expiry() is not None


def test_server_survives_dropped_connections(client: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": "^/payments/", "action": "reset", "times": 3})
    client.login()

    for _ in range(3):
        with pytest.raises(requests.exceptions.ConnectionError):
            client.get(PAYMENT_PATH)
    response = client.get(PAYMENT_PATH)

    assert response.status_code == 200


def test_not_json_fault(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": "^/payments/", "action": "not_json"})

    response = authed.get(PAYMENT_PATH)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_code_fault(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": "^/payments/", "action": "code", "code": 1, "message": "PG사 통신 오류"})

    response = authed.get(PAYMENT_PATH)

    assert response.status_code == 200
    assert response.json() == {"code": 1, "message": "PG사 통신 오류", "response": None}


def test_times_limits_fault(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": "^/payments/", "action": "status", "status": 500, "times": 2})

    statuses = [authed.get(PAYMENT_PATH).status_code for _ in range(4)]

    assert statuses == [500, 500, 200, 200]


def test_unlimited_times(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": "^/payments/", "action": "status", "status": 502, "times": None})

    statuses = {authed.get(PAYMENT_PATH).status_code for _ in range(5)}

    assert statuses == {502}
    assert server.faults.list()[0]["remaining"] is None


def test_skip_lets_requests_through(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": "^/payments/", "action": "status", "status": 500, "skip": 2})

    statuses = [authed.get(PAYMENT_PATH).status_code for _ in range(4)]

    assert statuses == [200, 200, 500, 200]


def test_method_and_path_filter(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"method": "POST", "path": "^/payments/", "action": "status", "status": 500})
    server.faults.add({"method": "GET", "path": "^/payments/status/", "action": "status", "status": 503})

    single = authed.get(PAYMENT_PATH)
    listed = authed.get("/payments/status/paid")

    assert single.status_code == 200
    assert listed.status_code == 503


def test_control_paths_never_faulted(client: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": ".*", "action": "status", "status": 500, "times": None})

    health = client.get("/_emulator/health")
    token = client.post("/users/getToken", json={"imp_key": API_KEY, "imp_secret": API_SECRET})

    assert health.status_code == 200
    assert token.status_code == 500


def test_probability_is_seeded() -> None:
    def fire_pattern(seed: int) -> list[bool]:
        registry = FaultRegistry(seed=seed)
        registry.add({"path": ".*", "action": "status", "probability": 0.5, "times": None})
        return [registry.match("GET", "/payments/x") is not None for _ in range(40)]

    first = fire_pattern(3)

    assert first == fire_pattern(3)
    assert first != fire_pattern(4)
    assert 5 < sum(first) < 35


def test_probability_zero_never_fires(authed: ApiClient, server: EmulatorServer) -> None:
    server.faults.add({"path": ".*", "action": "status", "probability": 0, "times": None})

    assert authed.get(PAYMENT_PATH).status_code == 200


def test_fault_control_api(client: ApiClient) -> None:
    rules = [
        {"method": "GET", "path": "^/payments/", "action": "status", "status": 429, "retry_after": 1, "times": 2},
        {"path": "^/users/", "action": "delay", "delay": 0.01},
    ]

    added = client.post("/_emulator/faults", json={"rules": rules, "seed": 11})
    client.login()
    client.get(PAYMENT_PATH)
    listed = client.get("/_emulator/faults")
    cleared = client.delete("/_emulator/faults")
    after_clear = client.get("/_emulator/faults")

    assert added.status_code == 200
    assert len(added.json()["rules"]) == 2
    first = listed.json()["rules"][0]
    assert first["fired"] == 1
    assert first["remaining"] == 1
    assert first["path"] == "^/payments/"
    assert cleared.status_code == 200
    assert after_clear.json() == {"rules": []}


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "explode"},
        {"action": "status", "path": "("},
        {"action": "status", "status": 99},
        {"action": "status", "times": 0},
        {"action": "status", "probability": 1.5},
        {"action": "code", "code": 0},
        {"action": "delay", "delay": -1},
        {"action": "status", "colour": "red"},
    ],
    ids=["action", "regex", "status", "times", "probability", "code", "delay", "unknown-key"],
)
def test_invalid_rule_rejected(client: ApiClient, server: EmulatorServer, rule: dict) -> None:
    valid = {"path": "^/x", "action": "status"}

    response = client.post("/_emulator/faults", json={"rules": [valid, rule]})

    assert response.status_code == 400
    assert response.json()["error"]
    assert server.faults.list() == []
    with pytest.raises(ValueError):
        FaultRule.from_dict(rule)
