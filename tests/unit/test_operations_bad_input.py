"""Bad input to the client methods fails before any HTTP request, naming the argument.

One emulator serves the whole module: every case checks that its request counter did
not move, so not even a token was requested.
"""

from __future__ import annotations

import inspect
from datetime import datetime

import pytest

from portone_provider.client import PortOneClient
from portone_provider.client.operations import operations_of
from portone_provider.exceptions import PortOneValidationError
from tests.conftest import API_KEY, API_SECRET, make_client

#: Modules whose methods these tests cover; cancels, barcodes and payment reads have their own tests.
COVERED_MODULES = {
    "benepia", "certifications", "codes", "escrow", "kcpquick", "naver", "partners", "payco", "payments_extra",
    "paymentwall", "prepare", "receipts", "schedules", "subscribe", "tiers", "users", "vbanks",
}  # fmt: skip
OPERATIONS = operations_of(PortOneClient)
METHODS = sorted(
    name for name in OPERATIONS if getattr(PortOneClient, name).__module__.rsplit(".", 1)[-1] in COVERED_MODULES
)
VALID = {
    "schedules": [{"merchant_uid": "s1", "schedule_at": 1_900_000_000, "amount": 1000, "currency": "KRW", "name": "n"}],
    "data": [{"business_registration_number": "1234567890", "company_name": "c", "amount": 1000}],
    "sender": {"name": "a"},
    "receiver": {"name": "b"},
    "logis": {"company": "CJGLS", "invoice": "1", "sent_at": 1_793_000_000},
    "since": 1_793_000_000,
    "until": 1_793_086_400,
    "schedule_from": 1_793_000_000,
    "schedule_to": 1_793_086_400,
    "dispatched_at": 1_793_000_000,
    "vbank_due": 1_900_000_000,
    "schedule_at": 1_900_000_000,
    "estimated_delivery_datetime": 1_900_000_000,
    "estimated_update_datetime": 1_900_000_000,
    "amount": 1000,
    "carrier": "SKT",
    "delivery_method": "DELIVERY",
    "review_type": "general",
    "status": "DELIVERY_START",
    "type": "physical",
    "refundable": "yes",
    "customer_uids": ["cust_1"],
}
#: Methods that need one of several optional arguments, with the one that makes a valid call.
ONE_OF_REQUIRED = {"modify_vbank": {"amount": 1000}, "unschedule_payments": {"customer_uid": "cust_1"}}
#: Choices differ per method for these names.
VALID_BY_METHOD = {
    ("naver_request_return", "delivery_method"): "RETURN_DELIVERY",
    ("register_paymentwall_delivery", "status"): "order_placed",
}


@pytest.fixture(scope="module")
def server():
    from portone_provider.emulator import EmulatorServer

    with EmulatorServer(api_key=API_KEY, api_secret=API_SECRET, port=0, dataset="empty") as running:
        yield running


@pytest.fixture(scope="module")
def portone(server):
    with make_client(server) as client:
        yield client


def required_arguments(name: str) -> dict:
    signature = inspect.signature(getattr(PortOneClient, name))
    arguments = {}
    for argument, parameter in signature.parameters.items():
        if argument == "self" or parameter.default is not inspect.Parameter.empty:
            continue
        arguments[argument] = VALID_BY_METHOD.get((name, argument), VALID.get(argument, f"{argument}_1"))
    return arguments


def valid_arguments(name: str) -> dict:
    return {**required_arguments(name), **ONE_OF_REQUIRED.get(name, {})}


def cases(*, required: bool) -> list[tuple[str, str]]:
    found = []
    for name in METHODS:
        signature = inspect.signature(getattr(PortOneClient, name))
        for argument, parameter in signature.parameters.items():
            if argument == "self":
                continue
            if (parameter.default is inspect.Parameter.empty) == required:
                found.append((name, argument))
    return found


def assert_rejected_without_request(server, call, argument: str):
    before = server.stats.get("requests") or 0
    with pytest.raises(PortOneValidationError) as caught:
        call()
    assert argument in str(caught.value)
    assert (server.stats.get("requests") or 0) == before
    return caught.value


def test_valid_arguments_pass_the_checks():
    from portone_provider.client.operations import plan_call

    for name in METHODS:
        assert plan_call(PortOneClient, name, **valid_arguments(name)) is not None, name


@pytest.mark.parametrize("bad", [None, object()], ids=["none", "object"])
@pytest.mark.parametrize("name, argument", cases(required=True), ids=lambda value: str(value))
def test_required_argument_rejected(server, portone, name, argument, bad):
    arguments = required_arguments(name)
    arguments[argument] = bad
    assert_rejected_without_request(server, lambda: getattr(portone, name)(**arguments), argument)


@pytest.mark.parametrize("name, argument", cases(required=False), ids=lambda value: str(value))
def test_optional_argument_of_wrong_type_rejected(server, portone, name, argument):
    arguments = valid_arguments(name)
    arguments[argument] = object()
    assert_rejected_without_request(server, lambda: getattr(portone, name)(**arguments), argument)


@pytest.mark.parametrize(
    "name, arguments, argument, fragment",
    [
        ("prepare_payment", {"merchant_uid": "o1", "amount": -5}, "amount", "greater than zero"),
        ("prepare_payment", {"merchant_uid": "o/1", "amount": 5}, "merchant_uid", "must not contain '/'"),
        ("issue_vbank", {"merchant_uid": "o1", "amount": 1000, "vbank_code": "004",
                         "vbank_due": datetime(2026, 11, 3, 23, 59)}, "vbank_due", "has no time zone"),
        ("issue_vbank", {"merchant_uid": "o1", "amount": 1000, "vbank_code": "004", "vbank_due": -1},
         "vbank_due", "cannot be negative"),
        ("issue_vbank", {"merchant_uid": "o1", "amount": 1000, "vbank_code": "004", "vbank_due": 1_900_000_000,
                         "notice_urls": "https://example.com/hook"}, "notice_urls", "Wrap a single value"),
        ("modify_vbank", {"imp_uid": "imp_1"}, "amount and vbank_due", "at least one"),
        ("unschedule_payments", {}, "customer_uid and merchant_uids", "pass merchant_uids"),
        ("schedule_payments", {"customer_uid": "c1", "schedules": [{"merchant_uid": "s1", "amount": 1000}]},
         "schedules[0]", "schedule_at, currency, name"),
        ("schedule_payments", {"customer_uid": "c1", "schedules": []}, "schedules", "empty list"),
        ("find_schedules", {"schedule_from": 200, "schedule_to": 100}, "schedule_to", "Swap the two values"),
        ("find_schedules_by_customer", {"customer_uid": "c1", "since": 200, "until": 100}, "until", "Swap"),
        ("get_billing_keys", {"customer_uids": "cust_1"}, "customer_uids", "Wrap a single value"),
        ("get_billing_keys", {"customer_uids": []}, "customer_uids", "at least one id"),
        ("issue_receipt", {"imp_uid": "imp_1", "identifier": "010", "identifier_type": "email"},
         "identifier_type", "person, business, phone, taxcard"),
        ("pay_with_billing_key", {"customer_uid": "c1", "merchant_uid": "o1", "amount": 1000, "name": "n",
                                  "card_quota": -1}, "card_quota", "0 or more"),
        ("pay_with_billing_key", {"customer_uid": "c1", "merchant_uid": "o1", "amount": True, "name": "n"},
         "amount", "expected a number"),
        ("pay_onetime", {"merchant_uid": "o1", "amount": 1000, "card_number": "   ", "expiry": "2030-12"},
         "card_number", "empty string"),
        ("find_all_payments", {"merchant_uid": "o1", "limit": 1001}, "limit", "1000 or less"),
        ("naver_ship_product_orders", {"imp_uid": "imp_1", "delivery_method": "DELIVERY", "dispatched_at": 1,
                                       "delivery_company": "POST"}, "delivery_company", "CJGLS"),
        ("register_escrow_logistics", {"imp_uid": "imp_1", "sender": {}, "receiver": {},
                                       "logis": {"company": "CJGLS"}}, "logis", "invoice, sent_at"),
        ("register_partner_receipts", {"imp_uid": "imp_1", "data": [{"company_name": "c", "amount": 1}]},
         "data[0]", "business_registration_number"),
    ],
)
def test_invalid_value_message(server, portone, name, arguments, argument, fragment):
    error = assert_rejected_without_request(server, lambda: getattr(portone, name)(**arguments), argument)
    assert fragment in str(error)


def test_cases_cover_every_covered_method():
    assert len(METHODS) == 70
    assert {name for name, _ in cases(required=True)} | {name for name, _ in cases(required=False)} >= set(METHODS) - {
        "get_bank_codes",
        "get_card_codes",
        "get_pg_settings",
    }
