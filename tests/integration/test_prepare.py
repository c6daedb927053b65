"""Payment amount pre-registration through the client, against the emulator."""

from __future__ import annotations

import pytest

from portone_provider.exceptions import (
    PortOneApiError,
    PortOneNotFoundError,
    PortOneServerError,
    PortOneTransportError,
)


def test_register_edit_and_read(client):
    registered = client.prepare_payment("order_prepare_1", 32900)
    edited = client.edit_prepared_payment("order_prepare_1", 45000)
    read = client.get_prepared_payment("order_prepare_1")

    assert registered == {"merchant_uid": "order_prepare_1", "amount": 32900, "currency": "KRW"}
    assert edited["amount"] == 45000
    assert read == {"merchant_uid": "order_prepare_1", "amount": 45000, "currency": "KRW"}


def test_foreign_currency_keeps_cents(client):
    registered = client.prepare_payment("order_prepare_usd", "12.30", currency="USD")
    assert registered == {"merchant_uid": "order_prepare_usd", "amount": 12.3, "currency": "USD"}


def test_second_registration_rejected_in_korean(client):
    client.prepare_payment("order_prepare_1", 32900)
    with pytest.raises(PortOneApiError, match="이미 사전등록된 주문번호") as caught:
        client.prepare_payment("order_prepare_1", 10000)
    assert caught.value.http_status == 400


def test_edit_unknown_order_not_found(client):
    with pytest.raises(PortOneNotFoundError, match="사전등록된 결제정보가 없습니다"):
        client.edit_prepared_payment("order_unknown", 1000)


def test_read_unknown_order_not_found(client):
    with pytest.raises(PortOneNotFoundError):
        client.get_prepared_payment("order_unknown")


def test_register_not_retried_on_5xx(emulator, client):
    emulator.faults.add({"method": "POST", "path": "^/payments/prepare$", "action": "status", "status": 503})
    with pytest.raises(PortOneServerError):
        client.prepare_payment("order_prepare_1", 32900)
    assert emulator.stats["POST /payments/prepare"] == 1


def test_edit_retried_on_5xx(emulator, client):
    client.prepare_payment("order_prepare_1", 32900)
    emulator.faults.add({"method": "PUT", "path": "^/payments/prepare$", "action": "status", "status": 503, "times": 2})
    assert client.edit_prepared_payment("order_prepare_1", 45000)["amount"] == 45000
    assert emulator.stats["PUT /payments/prepare"] == 3


def test_drop_after_applies_registration(emulator, client):
    emulator.faults.add({"method": "POST", "path": "^/payments/prepare$", "action": "drop_after", "times": 1})
    with pytest.raises(PortOneTransportError):
        client.prepare_payment("order_prepare_1", 32900)
    assert client.get_prepared_payment("order_prepare_1")["amount"] == 32900
