"""Token rules measured against the emulator: its clock, its getToken counter, its 401s."""

from __future__ import annotations

import threading

import pytest

from portone_provider.client import PortOneClient
from portone_provider.exceptions import PortOneAuthError
from tests.conftest import API_KEY, make_client

PAYMENT = {
    "imp_uid": "imp_100000000001",
    "merchant_uid": "order_token_1",
    "status": "paid",
    "amount": 1000,
    "paid_at": 1_793_458_900,
    "started_at": 1_793_458_800,
}


@pytest.fixture
def seeded(emulator):
    emulator.store.put(PAYMENT)
    return emulator


def test_thousand_lookups_one_token(seeded, client):
    for _ in range(1000):
        assert client.get_payment(PAYMENT["imp_uid"])["imp_uid"] == PAYMENT["imp_uid"]
    assert seeded.stats["token_requests"] == 1


def test_token_refreshed_before_expiry(seeded, client, monkeypatch):
    fake_now = [1000.0]
    monkeypatch.setattr(client._tokens, "_monotonic", lambda: fake_now[0])
    client.get_payment(PAYMENT["imp_uid"])
    assert seeded.stats["token_requests"] == 1

    # 29 min 30 s later, inside the refresh margin: the emulator extends the same token.
    fake_now[0] += 1770
    seeded.clock.advance(1770)
    token_before = client.get_access_token()
    client.get_payment(PAYMENT["imp_uid"])
    assert seeded.stats["token_requests"] == 2
    assert client.get_access_token() == token_before


def test_server_clock_skew_does_not_matter(seeded):
    # PortOne's clock three hours ahead of ours: lifetime comes from expired_at - now.
    seeded.clock.set_offset(3 * 3600)
    with make_client(seeded) as portone:
        for _ in range(20):
            portone.get_payment(PAYMENT["imp_uid"])
    assert seeded.stats["token_requests"] == 1


def test_expired_token_refreshed_once(seeded, client):
    client.get_payment(PAYMENT["imp_uid"])
    seeded.tokens.expire_all()
    assert client.get_payment(PAYMENT["imp_uid"])["status"] == "paid"
    assert seeded.stats["token_requests"] == 2


def test_second_401_raises(seeded, client):
    client.get_payment(PAYMENT["imp_uid"])
    seeded.faults.add({"path": "^/payments/", "action": "status", "status": 401, "times": 2})
    with pytest.raises(PortOneAuthError) as caught:
        client.get_payment(PAYMENT["imp_uid"])
    assert caught.value.http_status == 401
    assert seeded.stats["token_requests"] == 2


def test_wrong_secret_is_auth_error(emulator):
    with PortOneClient(API_KEY, "wrong-secret-value", base_url=emulator.url) as portone:
        with pytest.raises(PortOneAuthError, match="API key") as caught:
            portone.get_access_token()
    assert "wrong-secret-value" not in str(caught.value)


def test_threads_share_one_token(seeded, client):
    errors = []

    def work():
        try:
            for _ in range(50):
                client.get_payment(PAYMENT["imp_uid"])
        except Exception as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert seeded.stats["token_requests"] == 1


def test_tier_header_sent(seeded):
    with make_client(seeded, tier_code="TIER_A") as portone:
        portone.get_payment(PAYMENT["imp_uid"])
    assert seeded.stats["last_tier"] == "TIER_A"
