"""Retries and error mapping against injected faults."""

from __future__ import annotations

import pytest

from portone_provider.exceptions import (
    PortOneApiError,
    PortOneInvalidResponseError,
    PortOneRateLimitError,
    PortOneServerError,
    PortOneTimeoutError,
    PortOneTransportError,
)
from tests.conftest import fast_retry, make_client

PAYMENT = {"imp_uid": "imp_200000000001", "merchant_uid": "order_fault", "status": "paid", "amount": 5000,
           "paid_at": 1_793_460_000, "started_at": 1_793_459_000}


@pytest.fixture
def seeded(emulator):
    emulator.store.put(PAYMENT)
    return emulator


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "status", "status": 500},
        {"action": "status", "status": 503},
        {"action": "status", "status": 429, "retry_after": 0},
        {"action": "reset"},
        {"action": "not_json"},
    ],
)
def test_reads_retry_passing_faults(seeded, client, rule):
    seeded.faults.add({"path": "^/payments/imp_", "times": 2, **rule})
    assert client.get_payment(PAYMENT["imp_uid"])["imp_uid"] == PAYMENT["imp_uid"]


def test_retry_after_header_is_waited(seeded):
    waits = []
    with make_client(seeded, sleep=waits.append) as portone:
        seeded.faults.add({"path": "^/payments/imp_", "action": "status", "status": 429, "retry_after": 2})
        portone.get_payment(PAYMENT["imp_uid"])
    assert waits == [2.0]


def test_persistent_503_raises_server_error(seeded, client):
    seeded.faults.add({"path": "^/payments/imp_", "action": "status", "status": 503, "times": None})
    with pytest.raises(PortOneServerError) as caught:
        client.get_payment(PAYMENT["imp_uid"])
    assert caught.value.http_status == 503


def test_persistent_429_raises_rate_limit(seeded, client):
    seeded.faults.add({"path": "^/payments/imp_", "action": "status", "status": 429, "times": None})
    with pytest.raises(PortOneRateLimitError):
        client.get_payment(PAYMENT["imp_uid"])


def test_code_under_http_200_is_error(seeded, client):
    seeded.faults.add({"path": "^/payments/imp_", "action": "code", "code": 1})
    with pytest.raises(PortOneApiError) as caught:
        client.get_payment(PAYMENT["imp_uid"])
    assert caught.value.http_status == 200
    assert caught.value.code == 1
    assert caught.value.message


def test_persistent_html_raises_invalid_response(seeded, client):
    seeded.faults.add({"path": "^/payments/imp_", "action": "not_json", "times": None})
    with pytest.raises(PortOneInvalidResponseError, match="not PortOne's JSON envelope"):
        client.get_payment(PAYMENT["imp_uid"])


def test_slow_answer_times_out(seeded):
    seeded.faults.add({"path": "^/payments/imp_", "action": "delay", "delay": 1.0, "times": None})
    with make_client(seeded, timeout=0.2, retry=fast_retry(max_retries=1)) as portone:
        with pytest.raises(PortOneTimeoutError) as caught:
            portone.get_payment(PAYMENT["imp_uid"])
    assert isinstance(caught.value, PortOneTransportError)
    assert "timed out after 0.2 s" in str(caught.value)


def test_reset_on_token_request_retried(seeded, client):
    seeded.faults.add({"path": "^/users/getToken$", "action": "reset"})
    assert client.get_payment(PAYMENT["imp_uid"])["status"] == "paid"


def test_post_not_retried_after_reset(seeded, client):
    client.get_access_token()
    seeded.faults.add({"method": "POST", "path": "^/payments/prepare$", "action": "reset", "times": None})
    with pytest.raises(PortOneTransportError):
        client.request("POST", "/payments/prepare", json={"merchant_uid": "m", "amount": 100})
    assert seeded.stats["requests"] == 2  # the token request and one POST


def test_token_expired_mid_list(emulator, client):
    base = 1_793_458_800
    emulator.store.put_many(
        [
            {"imp_uid": f"imp_{n:012d}", "merchant_uid": f"o{n}", "status": "paid", "amount": 100,
             "paid_at": base + n, "started_at": base}
            for n in range(1, 301)
        ]
    )
    import pendulum

    day = pendulum.from_timestamp(base, tz="Asia/Seoul")
    rows = []
    for index, row in enumerate(client.iter_payments("paid", since=day, until=day.add(days=1), page_size=100)):
        rows.append(row)
        if index == 150:
            emulator.tokens.expire_all()
    assert len(rows) == 300
    assert emulator.stats["token_requests"] == 2
