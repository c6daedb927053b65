"""Access token rules of POST /users/getToken and token checks on other endpoints."""

from __future__ import annotations

from emulator_helpers import API_KEY, API_SECRET, ApiClient

from portone_provider.emulator import EmulatorServer


def test_token_issued_with_json_body(client: ApiClient, server: EmulatorServer) -> None:
    response = client.post("/users/getToken", json={"imp_key": API_KEY, "imp_secret": API_SECRET})

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0
    assert body["message"] is None
    token = body["response"]
    assert len(token["access_token"]) == 40
    assert abs(token["now"] - server.clock.now()) <= 1
    assert token["expired_at"] == token["now"] + 30 * 60


def test_token_issued_with_form_body(client: ApiClient) -> None:
    response = client.post("/users/getToken", data={"imp_key": API_KEY, "imp_secret": API_SECRET})

    assert response.status_code == 200
    assert response.json()["response"]["access_token"]


def test_token_body_without_content_type(client: ApiClient) -> None:
    body = f"imp_key={API_KEY}&imp_secret={API_SECRET}".encode()
    response = client.post("/users/getToken", data=body, headers={"Content-Type": ""})

    assert response.status_code == 200


def test_wrong_credentials_rejected(client: ApiClient) -> None:
    wrong_secret = client.post("/users/getToken", json={"imp_key": API_KEY, "imp_secret": "nope"})
    wrong_key = client.post("/users/getToken", data={"imp_key": "nope", "imp_secret": API_SECRET})
    missing = client.post("/users/getToken", json={})

    for response in (wrong_secret, wrong_key, missing):
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == -1
        assert body["response"] is None
        assert body["message"]


def test_token_reused_before_expiry(client: ApiClient, server: EmulatorServer) -> None:
    first = client.get_token()
    server.clock.advance(20 * 60)
    second = client.get_token()

    assert second["access_token"] == first["access_token"]
    assert second["expired_at"] == first["expired_at"]
    assert server.tokens.issued_count == 1


def test_token_extended_in_last_minute(client: ApiClient, server: EmulatorServer) -> None:
    server.clock.freeze()
    first = client.get_token()
    server.clock.set(first["expired_at"] - 59)

    extended = client.get_token()

    assert extended["access_token"] == first["access_token"]
    assert extended["expired_at"] == first["expired_at"] + 5 * 60


def test_token_extension_once_per_call(client: ApiClient, server: EmulatorServer) -> None:
    server.clock.freeze()
    first = client.get_token()
    server.clock.set(first["expired_at"] - 30)

    once = client.get_token()
    again = client.get_token()

    assert once["expired_at"] == first["expired_at"] + 300
    # 5 minutes 30 seconds are left now, so the second call does not extend.
    assert again["expired_at"] == once["expired_at"]


def test_token_not_extended_at_60_seconds(client: ApiClient, server: EmulatorServer) -> None:
    server.clock.freeze()
    first = client.get_token()
    server.clock.set(first["expired_at"] - 60)

    same = client.get_token()

    assert same["expired_at"] == first["expired_at"]


def test_new_token_after_expiry(client: ApiClient, server: EmulatorServer) -> None:
    server.clock.freeze()
    first = client.get_token()
    server.clock.set(first["expired_at"])

    second = client.get_token()

    assert second["access_token"] != first["access_token"]
    assert second["expired_at"] == second["now"] + 30 * 60
    assert server.tokens.issued_count == 2


def test_expired_token_gets_401(client: ApiClient, server: EmulatorServer) -> None:
    token = client.login()
    assert client.get("/payments/imp_000000000002").status_code == 200

    server.clock.advance(30 * 60)
    response = client.get("/payments/imp_000000000002")

    assert response.status_code == 401
    assert response.json()["code"] == -1
    assert response.json()["response"] is None
    assert client.get_token()["access_token"] != token


def test_control_expire_invalidates_token(client: ApiClient) -> None:
    client.login()

    expired = client.post("/_emulator/tokens/expire")
    response = client.get("/payments/imp_000000000002")

    assert expired.status_code == 200
    assert expired.json() == {"expired": 1}
    assert response.status_code == 401


def test_missing_or_unknown_token_gets_401(client: ApiClient) -> None:
    missing = client.get("/payments/imp_000000000002")
    unknown = client.get("/payments/imp_000000000002", headers={"Authorization": "Bearer 0123abcd"})

    assert missing.status_code == 401
    assert unknown.status_code == 401
    assert missing.json()["message"] != unknown.json()["message"]


def test_bare_token_accepted(client: ApiClient) -> None:
    token = client.get_token()["access_token"]

    response = client.get("/payments/imp_000000000002", headers={"Authorization": token})

    assert response.status_code == 200


def test_token_requests_counted(client: ApiClient, server: EmulatorServer) -> None:
    client.get_token()
    client.get_token()
    client.post("/users/getToken", json={"imp_key": "wrong", "imp_secret": "wrong"})

    assert server.stats["token_requests"] == 3
    assert server.stats["POST /users/getToken"] == 3


def test_tier_header_recorded(authed: ApiClient, server: EmulatorServer) -> None:
    assert "last_tier" not in server.stats

    authed.get("/payments/imp_000000000002", headers={"Tier": "T01"})
    authed.get("/payments/imp_000000000003", headers={"Tier": "T02"})

    assert server.stats["last_tier"] == "T02"
