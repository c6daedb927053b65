"""Cancel argument checks and refund helpers, all without HTTP."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal

import pytest

from portone_provider.client.cancel import (
    CancelArguments,
    PortOneCancelPendingError,
    check_cancel_arguments,
    check_cancellable,
)
from portone_provider.exceptions import PortOneValidationError
from portone_provider.refunds import (
    CancelIntent,
    cancel_applied,
    check_refund_account,
    history_keys,
    mask_account,
    to_plain_number,
    to_wire_amount,
)

VBANK_FIELDS = {"refund_holder": "홍길동", "refund_bank": "004", "refund_account": "00123456789012"}


def paid_payment(**fields) -> dict:
    payment = {
        "imp_uid": "imp_100000000001",
        "merchant_uid": "order_1",
        "status": "paid",
        "pay_method": "card",
        "pg_provider": "kcp",
        "currency": "KRW",
        "amount": 10000,
        "cancel_amount": 0,
        "cancel_history": [],
    }
    payment.update(fields)
    return payment


def entry(amount, cancellation_id) -> dict:
    return {"amount": amount, "cancelled_at": 1_796_000_000, "cancellation_id": cancellation_id}


# Body: only what is set is sent


def test_body_leaves_out_unset_fields():
    body = check_cancel_arguments(imp_uid="imp_100000000001").body()
    assert body == {"imp_uid": "imp_100000000001"}


def test_body_full_field_set():
    arguments = check_cancel_arguments(
        merchant_uid="order_1",
        amount="3000",
        tax_free=0,
        vat_amount=272,
        checksum=10000,
        reason="부분 환불",
        refund_tel="010-1234-5678",
        retain_promotion=False,
        requester="customer",
        **VBANK_FIELDS,
    )
    assert arguments.body() == {
        "merchant_uid": "order_1",
        "amount": 3000,
        "tax_free": 0,
        "vat_amount": 272,
        "checksum": 10000,
        "reason": "부분 환불",
        "refund_holder": "홍길동",
        "refund_bank": "004",
        "refund_account": "00123456789012",
        "refund_tel": "010-1234-5678",
        "retain_promotion": False,
        "extra": {"requester": "customer"},
    }


def test_body_amounts_keep_exact_decimals():
    body = check_cancel_arguments(imp_uid="imp_1", amount=Decimal("12.34"), checksum="78.48").body()
    assert json.dumps(body) == '{"imp_uid": "imp_1", "amount": 12.34, "checksum": 78.48}'
    assert isinstance(check_cancel_arguments(imp_uid="imp_1", amount=5000.0).body()["amount"], int)


def test_float_amount_stays_exact():
    arguments = check_cancel_arguments(imp_uid="imp_1", amount=0.1)
    assert arguments.amount == Decimal("0.1")


# Rejected input, each naming the argument


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "Missing imp_uid and merchant_uid"),
        ({"imp_uid": ""}, "Missing imp_uid"),
        ({"imp_uid": "imp/../x"}, "Invalid imp_uid"),
        ({"imp_uid": 123}, "Invalid imp_uid"),
        ({"imp_uid": "imp_1", "amount": 0}, "PortOne reads an amount of 0 as a full refund"),
        ({"imp_uid": "imp_1", "amount": "0.00"}, "Leave amount unset"),
        ({"imp_uid": "imp_1", "amount": -5}, "Invalid amount -5"),
        ({"imp_uid": "imp_1", "amount": "abc"}, "Invalid amount 'abc'"),
        ({"imp_uid": "imp_1", "amount": True}, "Invalid amount True"),
        ({"imp_uid": "imp_1", "amount": float("nan")}, "finite"),
        ({"imp_uid": "imp_1", "amount": "None"}, "Invalid amount 'None'"),
        ({"imp_uid": "imp_1", "checksum": "lots"}, "Invalid checksum 'lots'"),
        ({"imp_uid": "imp_1", "checksum": -1}, "Invalid checksum -1"),
        ({"imp_uid": "imp_1", "amount": 100, "tax_free": 200}, "Invalid tax_free 200"),
        ({"imp_uid": "imp_1", "amount": 100, "vat_amount": 101}, "Invalid vat_amount 101"),
        ({"imp_uid": "imp_1", "reason": 5}, "Invalid reason 5"),
        ({"imp_uid": "imp_1", "retain_promotion": "yes"}, "Invalid retain_promotion"),
        ({"imp_uid": "imp_1", "requester": "buyer"}, "Invalid requester 'buyer'"),
        ({"imp_uid": "imp_1", "amount": "1.00000000000000000001"}, "significant digits"),
    ],
)
def test_bad_arguments_rejected(kwargs, expected):
    with pytest.raises(PortOneValidationError, match=expected):
        check_cancel_arguments(**kwargs)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"refund_holder": "홍길동"}, "Missing refund_bank, refund_account"),
        ({**VBANK_FIELDS, "refund_bank": 4}, "pass the bank code as text"),
        ({**VBANK_FIELDS, "refund_bank": "4"}, "2 or 3 digits"),
        ({**VBANK_FIELDS, "refund_bank": "0040"}, "2 or 3 digits"),
        ({**VBANK_FIELDS, "refund_bank": "KB"}, "2 or 3 digits"),
        ({**VBANK_FIELDS, "refund_account": 123456789012}, "pass the account number as text"),
        ({**VBANK_FIELDS, "refund_account": "110-123-456789"}, "digits only"),
        ({**VBANK_FIELDS, "refund_holder": " "}, "Invalid refund_holder"),
        ({**VBANK_FIELDS, "refund_tel": "call me"}, "Invalid refund_tel"),
        ({"refund_tel": "010-1234-5678"}, "only sent with a refund account"),
    ],
)
def test_bad_refund_account_rejected(fields, expected):
    with pytest.raises(PortOneValidationError, match=expected):
        check_refund_account(
            fields.get("refund_holder"), fields.get("refund_bank"), fields.get("refund_account"), fields.get("refund_tel")
        )


def test_invalid_account_error_shows_last_four_digits_only():
    with pytest.raises(PortOneValidationError) as caught:
        check_refund_account("홍길동", "004", "110-1234-56789")
    assert "110-1234-56789" not in str(caught.value)
    assert "11012345" not in str(caught.value)
    assert "****6789" in str(caught.value)


def test_refund_account_keeps_leading_zeros():
    account = check_refund_account(" 홍길동 ", "004", "00123456789012", "010-1234-5678")
    assert account.bank == "004"
    assert account.account == "00123456789012"
    assert account.holder == "홍길동"
    assert account.masked_account == "****9012"


def test_mask_account_shows_last_four():
    assert mask_account("00123456789012") == "****9012"
    assert mask_account("1234") == "****"
    assert mask_account("") == ""


def test_describe_masks_account():
    arguments = check_cancel_arguments(imp_uid="imp_1", **VBANK_FIELDS)
    text = arguments.describe()
    assert "00123456789012" not in text
    assert "****9012" in text
    assert "full refund" in text


# Checks against the looked-up payment


def test_cancellable_returns_rest():
    payment = paid_payment(cancel_amount=3000, cancel_history=[entry(3000, "c1")])
    assert check_cancellable(payment, CancelArguments(imp_uid="imp_100000000001", amount=Decimal(7000))) == 7000


@pytest.mark.parametrize(
    ("payment", "arguments", "expected"),
    [
        (paid_payment(), CancelArguments(amount=Decimal(10001)), "only 10000 KRW of payment imp_100000000001 is left"),
        (paid_payment(status="cancelled", cancel_amount=10000), CancelArguments(), "already fully refunded"),
        (paid_payment(status="ready"), CancelArguments(), "status 'ready'"),
        (paid_payment(), CancelArguments(merchant_uid="order_2"), "belongs to merchant_uid 'order_1'"),
        (paid_payment(), CancelArguments(amount=Decimal("100.5")), "KRW amounts are whole numbers"),
        (paid_payment(currency="USD", amount=78.48), CancelArguments(amount=Decimal("0.125")), "at most 2 decimal"),
        (paid_payment(), CancelArguments(checksum=Decimal(9000)), "Invalid checksum 9000"),
        (paid_payment(pay_method="vbank"), CancelArguments(), "Missing refund account"),
    ],
)
def test_uncancellable_rejected(payment, arguments, expected):
    with pytest.raises(PortOneValidationError, match=expected):
        check_cancellable(payment, arguments)


# Amount forms


def test_wire_amount_forms():
    assert to_wire_amount("amount", Decimal("5000.00")) == 5000
    assert type(to_wire_amount("amount", Decimal("5000.00"))) is int
    assert repr(to_wire_amount("amount", Decimal("78.48"))) == "78.48"
    assert to_plain_number(Decimal("0.30")) == 0.3
    assert to_plain_number(Decimal("7")) == 7


# Deciding whether a cancel was applied


def test_applied_partial_by_rest():
    payment = paid_payment(cancel_amount=3000, cancel_history=[entry(3000, "c1")])
    assert cancel_applied(payment, requested=Decimal(3000), rest_before=Decimal(10000))
    assert not cancel_applied(payment, requested=Decimal(3000), rest_before=Decimal(7000))


def test_applied_full_needs_cancelled_status():
    assert not cancel_applied(paid_payment(), requested=None, rest_before=Decimal(10000))
    cancelled = paid_payment(status="cancelled", cancel_amount=10000, cancel_history=[entry(10000, "c1")])
    assert cancel_applied(cancelled, requested=None, rest_before=Decimal(10000))


def test_applied_partial_without_rest_uses_history():
    payment = paid_payment(cancel_amount=2500, cancel_history=[entry(2500, "c1")])
    assert cancel_applied(payment, requested=Decimal(2500), rest_before=None)
    assert not cancel_applied(payment, requested=Decimal(2000), rest_before=None)


def test_intent_matches_only_new_entry_of_requested_amount():
    before = paid_payment(cancel_amount=3000, cancel_history=[entry(3000, "c1")])
    intent = CancelIntent(imp_uid="imp_100000000001", merchant_uid=None, amount="3000", checksum="7000",
                          keys_before=history_keys(before))
    assert intent.created_entries(before) is None

    after = paid_payment(cancel_amount=6000, cancel_history=[entry(3000, "c1"), entry(3000, "c2")])
    assert intent.created_entries(after) == [entry(3000, "c2")]

    other = paid_payment(cancel_amount=4000, cancel_history=[entry(3000, "c1"), entry(1000, "c3")])
    assert intent.created_entries(other) is None


def test_full_intent_done_once_cancelled():
    intent = CancelIntent(imp_uid="imp_100000000001", merchant_uid=None, amount=None, checksum="10000")
    assert intent.created_entries(paid_payment()) is None
    cancelled = paid_payment(status="cancelled", cancel_amount=10000, cancel_history=[entry(10000, "c1")])
    assert intent.created_entries(cancelled) == [entry(10000, "c1")]


def test_intent_entries_without_cancellation_id_keyed_by_position():
    first = {"amount": 1000, "cancelled_at": 1}
    before = paid_payment(cancel_amount=1000, cancel_history=[first])
    intent = CancelIntent(imp_uid="imp_1", merchant_uid=None, amount="1000", checksum="9000",
                          keys_before=history_keys(before))
    second = {"amount": 1000, "cancelled_at": 2}
    assert intent.created_entries(paid_payment(cancel_amount=2000, cancel_history=[first, second])) == [second]


def test_intent_round_trips_through_json():
    intent = CancelIntent(imp_uid="imp_1", merchant_uid="m", amount="12.34", checksum="78.48",
                          keys_before=["c1"], state="pending", sends=2)
    assert CancelIntent.from_json(json.loads(json.dumps(intent.to_json()))) == intent
    assert intent.requested == Decimal("12.34")


@pytest.mark.parametrize("stored", ["text", {"imp_uid": "imp_1"}, {"imp_uid": "imp_1", "checksum": "1", "sends": "x"}])
def test_broken_intent_rejected(stored):
    with pytest.raises(ValueError, match="stored cancel intent"):
        CancelIntent.from_json(stored)


def test_pending_error_survives_pickling():
    error = PortOneCancelPendingError("pending", payment={"imp_uid": "imp_1"}, requested_amount="10")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == "pending"
    assert copy.imp_uid == "imp_1"
    assert copy.requested_amount == "10"
