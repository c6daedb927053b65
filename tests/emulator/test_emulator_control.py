"""Control API under /_emulator: health, stats, clock, tokens, payments and reset."""

from __future__ import annotations

from emulator_helpers import DAY0, ApiClient, make_payment

from portone_provider.emulator import EmulatorServer


def test_health(client: ApiClient, server: EmulatorServer) -> None:
    response = client.get("/_emulator/health")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["payments"] == 10
    assert abs(body["clock"] - server.clock.now()) <= 1


def test_control_needs_no_token(client: ApiClient) -> None:
    assert client.get("/_emulator/stats").status_code == 200


def test_stats_and_reset(authed: ApiClient) -> None:
    authed.get("/payments/imp_000000000002")

    stats = authed.get("/_emulator/stats").json()
    reset = authed.post("/_emulator/stats/reset")
    after = authed.get("/_emulator/stats").json()

    assert stats["requests"] == 2
    assert stats["token_requests"] == 1
    assert stats["GET /payments/{imp_uid}"] == 1
    assert reset.json() == {"ok": True}
    assert after["requests"] == 0
    assert "GET /payments/{imp_uid}" not in after


def test_clock_advance_set_offset(client: ApiClient, server: EmulatorServer) -> None:
    frozen = client.post("/_emulator/clock", json={"freeze": True, "set": DAY0})
    advanced = client.post("/_emulator/clock", json={"advance": 90})
    offset = client.post("/_emulator/clock", json={"offset": 0})
    state = client.get("/_emulator/clock").json()

    assert frozen.json()["now"] == DAY0
    assert frozen.json()["frozen"] is True
    assert advanced.json()["now"] == DAY0 + 90
    assert offset.json()["offset"] == 0
    assert state["frozen"] is True
    assert server.clock.offset == 0


def test_clock_resume(client: ApiClient, server: EmulatorServer) -> None:
    client.post("/_emulator/clock", json={"freeze": True, "set": DAY0})

    resumed = client.post("/_emulator/clock", json={"freeze": False})

    assert resumed.json()["frozen"] is False
    assert resumed.json()["now"] in (DAY0, DAY0 + 1)
    assert not server.clock.frozen


def test_clock_bad_bodies(client: ApiClient) -> None:
    for body in ({}, {"advance": 1, "set": 2}, {"advance": "soon"}, {"advance": True}, {"freeze": "yes"}):
        response = client.post("/_emulator/clock", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    not_json = client.post("/_emulator/clock", data=b"{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400


def test_tokens_expire_without_tokens(client: ApiClient) -> None:
    assert client.post("/_emulator/tokens/expire").json() == {"expired": 0}


def test_put_payments_and_raw_record(authed: ApiClient) -> None:
    new = make_payment("imp_000000000042", amount=5000)
    replacement = make_payment("imp_000000000002", amount=7000)

    stored = authed.post("/_emulator/payments", json={"payments": [new, replacement]})
    raw = authed.get("/_emulator/payments/imp_000000000042")
    via_api = authed.get("/payments/imp_000000000002").json()["response"]

    assert stored.status_code == 200
    assert stored.json() == {"added": 1, "replaced": 1, "payments": 11}
    assert raw.json()["amount"] == 5000
    assert raw.json()["_updated_at"] == DAY0 + 3660
    assert raw.json()["cancel_history"] == []
    assert via_api["amount"] == 7000


def test_put_payments_invalid_stores_nothing(client: ApiClient, server: EmulatorServer) -> None:
    good = make_payment("imp_000000000043")
    bad = make_payment("imp_000000000044", status="refunded")

    response = client.post("/_emulator/payments", json={"payments": [good, bad]})
    missing_list = client.post("/_emulator/payments", json={"payment": good})

    assert response.status_code == 400
    assert "refunded" in response.json()["error"]
    assert "imp_000000000043" not in server.store
    assert missing_list.status_code == 400


def test_raw_payment_not_found(client: ApiClient) -> None:
    response = client.get("/_emulator/payments/imp_404404404404")

    assert response.status_code == 404
    assert response.json()["error"]


def test_reset_restores_initial_state(authed: ApiClient, server: EmulatorServer) -> None:
    authed.post("/_emulator/payments", json={"payments": [make_payment("imp_000000000042")]})
    server.store.remove("imp_000000000001")
    server.faults.add({"path": "^/nothing$", "action": "status"})
    server.clock.advance(3600)

    response = authed.post("/_emulator/reset")

    assert response.json() == {"ok": True, "payments": 10}
    assert "imp_000000000042" not in server.store
    assert "imp_000000000001" in server.store
    assert server.faults.list() == []
    assert server.clock.offset == 0
    assert server.stats["requests"] == 0
    assert authed.get("/payments/imp_000000000002").status_code == 401


def test_unknown_control_path(client: ApiClient) -> None:
    unknown = client.get("/_emulator/nothing")
    wrong_method = client.get("/_emulator/reset")

    assert unknown.status_code == 404
    assert unknown.json()["error"]
    assert wrong_method.status_code == 405
