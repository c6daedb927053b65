"""PortOneClient.cancel_payment against the emulator over real HTTP."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest

from portone_provider.client.cancel import PortOneCancelPendingError
from portone_provider.emulator.api_cancel import cancel_book
from portone_provider.exceptions import (
    PortOneApiError,
    PortOneNotFoundError,
    PortOneTimeoutError,
    PortOneTransportError,
    PortOneValidationError,
)
from tests.conftest import API_SECRET, fast_retry, make_client
from tests.integration.test_cancel_emulator import CARD, NAVER, REFUND_ACCOUNT, USD, VBANK


@pytest.fixture
def seeded(emulator):
    emulator.store.put_many([CARD, USD, VBANK, NAVER])
    return emulator


def cancel_requests(server) -> list[dict]:
    return cancel_book(server).snapshot()["requests"]


def sent_body(server, index: int = -1) -> dict:
    return json.loads(cancel_requests(server)[index]["body"])


def test_partial_then_full(seeded, client):
    partial = client.cancel_payment(imp_uid=CARD["imp_uid"], amount=3000, reason="부분 환불", compute_checksum=True)
    full = client.cancel_payment(imp_uid=CARD["imp_uid"], compute_checksum=True)

    assert partial["status"] == "paid"
    assert partial["cancel_amount"] == 3000
    assert full["status"] == "cancelled"
    assert [entry["amount"] for entry in full["cancel_history"]] == [3000, 7000]
    assert sent_body(seeded, 0) == {"imp_uid": CARD["imp_uid"], "amount": 3000, "checksum": 10000, "reason": "부분 환불"}
    assert sent_body(seeded, 1) == {"imp_uid": CARD["imp_uid"], "checksum": 7000}


def test_full_without_checksum_sends_only_id(seeded, client):
    client.cancel_payment(imp_uid=CARD["imp_uid"])
    assert sent_body(seeded) == {"imp_uid": CARD["imp_uid"]}
    assert seeded.stats.get("GET /payments/{imp_uid}") is None


def test_given_checksum_sent_as_is(seeded, client):
    client.cancel_payment(imp_uid=CARD["imp_uid"], amount=1000, checksum=10000)
    assert sent_body(seeded)["checksum"] == 10000


def test_stale_checksum_keeps_korean_message(seeded, client):
    client.cancel_payment(imp_uid=CARD["imp_uid"], amount=1000, checksum=10000)
    with pytest.raises(PortOneApiError) as caught:
        client.cancel_payment(imp_uid=CARD["imp_uid"], amount=1000, checksum=10000)
    assert caught.value.http_status == 200
    assert caught.value.code == 1
    assert "취소 가능 잔액이 일치하지 않아" in caught.value.message
    assert seeded.store.get(CARD["imp_uid"])["cancel_amount"] == 1000
    assert API_SECRET not in str(caught.value)


def test_merchant_uid_resolves_to_imp_uid(seeded, client):
    payment = client.cancel_payment(merchant_uid=CARD["merchant_uid"], amount=500, compute_checksum=True)
    assert payment["imp_uid"] == CARD["imp_uid"]
    assert sent_body(seeded) == {
        "imp_uid": CARD["imp_uid"], "merchant_uid": CARD["merchant_uid"], "amount": 500, "checksum": 10000
    }


def test_usd_amounts_exact_on_wire(seeded, client):
    client.cancel_payment(imp_uid=USD["imp_uid"], amount="0.1", compute_checksum=True)
    payment = client.cancel_payment(imp_uid=USD["imp_uid"], amount=0.2, compute_checksum=True)

    assert '"amount": 0.2, "checksum": 78.38' in cancel_requests(seeded)[-1]["body"]
    assert Decimal(str(payment["cancel_amount"])) == Decimal("0.3")
    rest = client.cancel_payment(imp_uid=USD["imp_uid"], compute_checksum=True)
    assert rest["cancel_history"][-1]["amount"] == 78.18


def test_vbank_needs_account_before_call(seeded, client):
    with pytest.raises(PortOneValidationError, match="Missing refund account for payment imp_300000000003"):
        client.cancel_payment(imp_uid=VBANK["imp_uid"], compute_checksum=True)
    assert cancel_requests(seeded) == []


def test_vbank_account_sent_as_text(seeded, client, caplog):
    caplog.set_level(logging.INFO, logger="portone_provider")
    client.cancel_payment(imp_uid=VBANK["imp_uid"], compute_checksum=True, refund_tel="010-1234-5678", **REFUND_ACCOUNT)

    body = sent_body(seeded)
    assert body["refund_bank"] == "004"
    assert body["refund_account"] == "00123456789012"
    assert body["refund_tel"] == "010-1234-5678"
    assert "00123456789012" not in caplog.text
    assert "****9012" in caplog.text


def test_requester_sent_in_extra(seeded, client):
    client.cancel_payment(imp_uid=NAVER["imp_uid"], amount=2000, reason="구매자 요청", requester="customer")
    assert sent_body(seeded)["extra"] == {"requester": "customer"}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"imp_uid": CARD["imp_uid"], "amount": 0}, "PortOne reads an amount of 0 as a full refund"),
        ({"imp_uid": CARD["imp_uid"], "checksum": 1, "compute_checksum": True}, "pass either a checksum"),
        ({"amount": 100}, "Missing imp_uid and merchant_uid"),
        ({"imp_uid": CARD["imp_uid"], "refund_bank": 4, "refund_holder": "a", "refund_account": "1"}, "as text"),
    ],
)
def test_bad_input_sends_nothing(seeded, client, kwargs, expected):
    with pytest.raises(PortOneValidationError, match=expected):
        client.cancel_payment(**kwargs)
    assert seeded.stats["requests"] == 0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"imp_uid": CARD["imp_uid"], "amount": 10001}, "only 10000 KRW of payment imp_300000000001 is left"),
        ({"imp_uid": CARD["imp_uid"], "merchant_uid": USD["merchant_uid"]}, "belongs to merchant_uid 'order_card'"),
        ({"imp_uid": CARD["imp_uid"], "amount": "99.5"}, "KRW amounts are whole numbers"),
    ],
)
def test_checks_against_payment_before_cancel(seeded, client, kwargs, expected):
    with pytest.raises(PortOneValidationError, match=expected):
        client.cancel_payment(compute_checksum=True, **kwargs)
    assert cancel_requests(seeded) == []


def test_fully_cancelled_rejected_before_call(seeded, client):
    client.cancel_payment(imp_uid=CARD["imp_uid"])
    with pytest.raises(PortOneValidationError, match="already fully refunded"):
        client.cancel_payment(imp_uid=CARD["imp_uid"], compute_checksum=True)
    assert len(cancel_requests(seeded)) == 1


def test_unknown_payment_not_found(seeded, client):
    with pytest.raises(PortOneNotFoundError):
        client.cancel_payment(imp_uid="imp_399999999999", compute_checksum=True)
    assert cancel_requests(seeded) == []


@pytest.mark.parametrize("rule", [{"action": "status", "status": 503}, {"action": "reset"}])
def test_cancel_never_retried(seeded, rule):
    seeded.faults.add({"method": "POST", "path": "^/payments/cancel$", "times": None, **rule})
    with make_client(seeded, retry=fast_retry(max_retries=5)) as portone:
        with pytest.raises((PortOneApiError, PortOneTransportError)):
            portone.cancel_payment(imp_uid=CARD["imp_uid"], amount=100)
    assert seeded.stats["POST /payments/cancel"] == 1


def test_lost_response_raises_transport_error(seeded, client):
    seeded.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "drop_after"})
    with pytest.raises(PortOneTransportError):
        client.cancel_payment(imp_uid=CARD["imp_uid"], amount=100, compute_checksum=True)
    assert seeded.store.get(CARD["imp_uid"])["cancel_amount"] == 100
    assert seeded.stats["POST /payments/cancel"] == 1


def test_slow_response_times_out_once(seeded):
    seeded.faults.add({"method": "POST", "path": "^/payments/cancel$", "action": "delay", "delay": 0.5})
    with make_client(seeded, timeout=0.1) as portone:
        with pytest.raises(PortOneTimeoutError):
            portone.cancel_payment(imp_uid=CARD["imp_uid"], amount=100)
    assert seeded.stats["POST /payments/cancel"] == 1


def test_held_cancel_raises_pending(seeded, client):
    cancel_book(seeded).hold_pg_providers.add("paypal_v2")
    with pytest.raises(PortOneCancelPendingError) as caught:
        client.cancel_payment(imp_uid=USD["imp_uid"], amount=8.48, compute_checksum=True)
    assert caught.value.imp_uid == USD["imp_uid"]
    assert caught.value.requested_amount == "8.48"
    assert caught.value.payment["status"] == "paid"
    assert "Do not send the cancel again" in str(caught.value)


def test_held_full_cancel_raises_pending_without_checksum(seeded, client):
    cancel_book(seeded).hold_imp_uids.add(CARD["imp_uid"])
    with pytest.raises(PortOneCancelPendingError):
        client.cancel_payment(imp_uid=CARD["imp_uid"])


def test_hook_exposes_cancel(seeded, monkeypatch):
    from portone_provider.hooks.portone import PortOneHook

    monkeypatch.setenv(
        "AIRFLOW_CONN_PORTONE_CANCEL",
        json.dumps({"conn_type": "portone", "login": "test_api_key", "password": API_SECRET, "host": seeded.url}),
    )
    payment = PortOneHook("portone_cancel").cancel_payment(imp_uid=CARD["imp_uid"], amount=100, compute_checksum=True)
    assert payment["cancel_amount"] == 100
