"""Billing-key endpoints of the emulator: ``/subscribe/customers`` and the
non-authenticated payments ``/subscribe/payments/again`` and ``/onetime``.

Billing keys live in a registry per emulator. A payment creates a paid card payment
in the payment store with ``customer_uid`` set. A card number ending in ``0002`` is
declined: the call returns code 0 with a payment in status ``failed``, as PortOne
reports declined cards. A merchant_uid that was already paid is rejected.

The schedule routes in :mod:`.api_schedules` share the registry and the charging.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from datetime import datetime
from typing import Any

from .api_schedules import ScheduleApi
from .dataset import KST
from .fields import (
    Registry,
    new_imp_uid,
    optional_text,
    paginate,
    read_body,
    required_amount,
    required_text,
    was_paid,
)
from .routing import ApiError, Request, Response, Router, envelope
from .vocabulary import CARD_COMPANIES

#: Card numbers ending in these digits are declined when charged.
DECLINED_CARD_SUFFIX = "0002"
DECLINE_REASON = "카드 잔액이 부족합니다"
DEFAULT_PG = "nice"
DEFAULT_PG_ID = "DEMOBILLING01"
PAGE_SIZE = 20

MAX_LENGTHS = {"customer_uid": 80, "merchant_uid": 40, "name": 40, "buyer_name": 16, "buyer_email": 64,
               "buyer_tel": 16, "buyer_addr": 128, "buyer_postcode": 8}  # fmt: skip
_BUYER_FIELDS = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")
_CUSTOMER_FIELDS = ("customer_id", "customer_name", "customer_tel", "customer_email", "customer_addr",
                    "customer_postcode")  # fmt: skip
_CARD_NUMBER = re.compile(r"\d{4}-?\d{4}-?\d{4}-?\d{3,4}")
_EXPIRY = re.compile(r"(\d{4})-?(\d{2})")

MESSAGE_KEY_NOT_FOUND = "등록된 빌링키가 없는 customer_uid입니다"
MESSAGE_NO_KEYS_FOUND = "조회된 빌링키가 없습니다"
MESSAGE_ALREADY_PAID = "이미 결제가 완료된 주문번호(merchant_uid)입니다. 새 merchant_uid로 요청해 주세요"
MESSAGE_BAD_CARD_NUMBER = "카드번호 형식이 올바르지 않습니다 (dddd-dddd-dddd-dddd)"
MESSAGE_BAD_EXPIRY = "카드 유효기간 형식이 올바르지 않습니다 (YYYY-MM)"
MESSAGE_EXPIRED_CARD = "유효기간이 지난 카드입니다"


class SubscribeApi:
    """Handlers of the billing-key and payment routes, sharing one billing-key registry."""

    def __init__(self) -> None:
        self.keys = Registry()
        self.charge_lock = threading.Lock()

    # Billing keys

    def save_key(self, request: Request) -> Response:
        """POST /subscribe/customers/{customer_uid}: issue and store a billing key."""
        body = read_body(request)
        customer_uid = request.path_params["customer_uid"]
        if len(customer_uid) > MAX_LENGTHS["customer_uid"]:
            raise ApiError(400, f"customer_uid는 최대 {MAX_LENGTHS['customer_uid']}자까지 입력할 수 있습니다")
        return envelope(_public(self.save_card(request, customer_uid, body)))

    def save_card(self, request: Request, customer_uid: str, body: dict[str, Any]) -> dict[str, Any]:
        """Check the card fields of `body` and store them as the billing key `customer_uid`."""
        return self.save(build_key(request, customer_uid, body))

    def save(self, key: dict[str, Any]) -> dict[str, Any]:
        """Store a billing key, keeping the first ``inserted`` time of a replaced one."""
        with self.keys.lock:
            previous = self.keys.items.get(key["customer_uid"])
            if previous is not None:
                key["inserted"] = previous["inserted"]
            self.keys.items[key["customer_uid"]] = key
            return dict(key)

    def get_key(self, request: Request) -> Response:
        """GET /subscribe/customers/{customer_uid}: one billing key; 404 when unknown."""
        return envelope(_public(self.require_key(request.path_params["customer_uid"])))

    def get_keys(self, request: Request) -> Response:
        """GET /subscribe/customers: keys for customer_uid[]; 207 when some and 404 when none are found."""
        requested = request.query.get("customer_uid[]", [])
        if not requested:
            raise ApiError(400, "조회할 customer_uid[]를 하나 이상 전달해야 합니다")
        with self.keys.lock:
            found = [_public(self.keys.items[uid]) for uid in requested if uid in self.keys.items]
        if not found:
            raise ApiError(404, MESSAGE_NO_KEYS_FOUND)
        return envelope(found, 200 if len(found) == len(requested) else 207)

    def delete_key(self, request: Request) -> Response:
        """DELETE /subscribe/customers/{customer_uid}: delete a billing key for good; 404 when unknown."""
        customer_uid = request.path_params["customer_uid"]
        with self.keys.lock:
            key = self.keys.items.pop(customer_uid, None)
        if key is None:
            raise ApiError(404, MESSAGE_KEY_NOT_FOUND)
        return envelope(_public(key))

    def key_payments(self, request: Request) -> Response:
        """GET /subscribe/customers/{customer_uid}/payments: the key's payments, newest first, 20 a page."""
        customer_uid = request.path_params["customer_uid"]
        self.require_key(customer_uid)
        page = _read_page(request)
        payments = [payment for payment in request.emulator.store.all() if payment["customer_uid"] == customer_uid]
        payments.reverse()
        rows, previous, following = paginate(payments, page, PAGE_SIZE)
        return envelope({"total": len(payments), "previous": previous, "next": following, "list": rows})

    def require_key(self, customer_uid: str) -> dict[str, Any]:
        with self.keys.lock:
            key = self.keys.items.get(customer_uid)
        if key is None:
            raise ApiError(404, MESSAGE_KEY_NOT_FOUND)
        return dict(key)

    # Payments

    def pay_again(self, request: Request) -> Response:
        """POST /subscribe/payments/again: charge a stored billing key."""
        body = read_body(request)
        customer_uid = required_text(body, "customer_uid", MAX_LENGTHS["customer_uid"])
        key = self.require_key(customer_uid)
        return envelope(self.charge(request, key, body))

    def pay_onetime(self, request: Request) -> Response:
        """POST /subscribe/payments/onetime: charge card fields; with customer_uid, store them as a key too."""
        body = read_body(request)
        customer_uid = optional_text(body, "customer_uid", MAX_LENGTHS["customer_uid"])
        required_text(body, "merchant_uid", MAX_LENGTHS["merchant_uid"])
        key = build_key(request, customer_uid, body)
        if customer_uid is not None:
            key = self.save(key)
        return envelope(self.charge(request, key, body))

    def charge(self, request: Request, key: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Create the card payment of one charge and return it: paid, or failed for a declining card."""
        emulator = request.emulator
        now = emulator.clock.now()
        merchant_uid = required_text(body, "merchant_uid", MAX_LENGTHS["merchant_uid"])
        currency = optional_text(body, "currency") or "KRW"
        amount = required_amount(body, "amount", currency)
        name = optional_text(body, "name", MAX_LENGTHS["name"])
        buyer = {field: optional_text(body, field, MAX_LENGTHS[field]) for field in _BUYER_FIELDS}

        store = emulator.store
        # One lock around the duplicate check and the insert, so two concurrent
        # charges of one merchant_uid cannot both be paid.
        with self.charge_lock:
            if was_paid(store, merchant_uid):
                raise ApiError(400, MESSAGE_ALREADY_PAID)

            imp_uid = new_imp_uid(store)
            declined = bool(key.get("_declines"))
            payment = {
                "imp_uid": imp_uid,
                "merchant_uid": merchant_uid,
                "pay_method": "card",
                "channel": "api",
                "pg_provider": key["pg_provider"],
                "pg_id": key["pg_id"],
                "pg_tid": f"BILL{secrets.token_hex(8)}",
                "name": name,
                "amount": amount,
                "currency": currency,
                "card_code": key["card_code"],
                "card_name": key["card_name"],
                "card_number": key["card_number"],
                "card_quota": 0,
                "custom_data": optional_text(body, "custom_data"),
                "customer_uid": key["customer_uid"],
                "customer_uid_usage": "payment",
                "started_at": now,
                **buyer,
            }
            if declined:
                payment.update({"status": "failed", "failed_at": now, "fail_reason": DECLINE_REASON})
            else:
                payment.update(
                    {
                        "status": "paid",
                        "paid_at": now,
                        "apply_num": f"{secrets.randbelow(10**8):08d}",
                        "receipt_url": f"https://receipt.example.com/card/{imp_uid}",
                    }
                )
            store.put(payment)
            return store.get(imp_uid)


def register_subscribe_routes(api_router: Router, control_router: Router) -> None:
    """Add the billing-key, payment and schedule routes to the PortOne API and control routers."""
    api = SubscribeApi()
    api_router.add("GET", "/subscribe/customers", api.get_keys, requires_token=True)
    api_router.add("GET", "/subscribe/customers/{customer_uid}/payments", api.key_payments, requires_token=True)
    api_router.add("GET", "/subscribe/customers/{customer_uid}", api.get_key, requires_token=True)
    api_router.add("POST", "/subscribe/customers/{customer_uid}", api.save_key, requires_token=True)
    api_router.add("DELETE", "/subscribe/customers/{customer_uid}", api.delete_key, requires_token=True)
    api_router.add("POST", "/subscribe/payments/again", api.pay_again, requires_token=True)
    api_router.add("POST", "/subscribe/payments/onetime", api.pay_onetime, requires_token=True)
    ScheduleApi(api).register(api_router, control_router)


def build_key(request: Request, customer_uid: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """Check the card fields of `body` and return the billing key they make, not stored yet."""
    now = request.emulator.clock.now()
    card_number = _read_card_number(body)
    _read_expiry(body, now)
    for name in ("birth", "pwd_2digit", "cvc", "channelGroupId"):
        optional_text(body, name)
    pg = optional_text(body, "pg") or DEFAULT_PG

    digits = card_number.replace("-", "")
    company_code, company_name = _card_company(digits)
    key = {
        "customer_uid": customer_uid,
        "pg_provider": pg.partition(".")[0],
        "pg_id": pg.partition(".")[2] or DEFAULT_PG_ID,
        "card_name": company_name,
        "card_code": company_code,
        "card_issuer_code": company_code,
        "card_issuer_name": company_name,
        "card_publisher_code": company_code,
        "card_publisher_name": company_name,
        "card_number": f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}",
        "card_type": 0,
        "inserted": now,
        "updated": now,
        "_declines": digits.endswith(DECLINED_CARD_SUFFIX),
    }
    for name in _CUSTOMER_FIELDS:
        key[name] = optional_text(body, name)
    return key


def _public(key: dict[str, Any]) -> dict[str, Any]:
    """Return a billing key without the emulator's internal fields."""
    return {name: value for name, value in key.items() if not name.startswith("_")}


def _read_card_number(body: dict[str, Any]) -> str:
    card_number = required_text(body, "card_number")
    if not _CARD_NUMBER.fullmatch(card_number):
        raise ApiError(400, MESSAGE_BAD_CARD_NUMBER)
    return card_number


def _read_expiry(body: dict[str, Any], now: int) -> None:
    found = _EXPIRY.fullmatch(required_text(body, "expiry"))
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise ApiError(400, MESSAGE_BAD_EXPIRY)
    today = datetime.fromtimestamp(now, KST)
    if (int(found.group(1)), int(found.group(2))) < (today.year, today.month):
        raise ApiError(400, MESSAGE_EXPIRED_CARD)


def _card_company(digits: str) -> tuple[str, str]:
    """Pick the same invented card company for the same card number."""
    index = int.from_bytes(hashlib.sha256(digits[:6].encode()).digest()[:2], "big") % len(CARD_COMPANIES)
    return CARD_COMPANIES[index]


def _read_page(request: Request) -> int:
    raw = request.query_value("page")
    if raw in (None, ""):
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, f"page 파라미터는 1 이상의 정수여야 합니다: {raw}")
    return int(raw)
