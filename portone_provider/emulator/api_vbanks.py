"""Virtual-account endpoints of the emulator: ``/vbanks`` and ``/vbanks/holder``.

A virtual account's life in the emulator:

- issued (``POST /vbanks``): a ``vbank`` payment in status ``ready`` with a new
  ``vbank_num``, the requested ``vbank_code`` and its bank name, ``vbank_date`` =
  the ``vbank_due`` deadline and ``vbank_issued_at`` = now. As at PortOne, several
  ready accounts may share one merchant_uid, but a merchant_uid that was ever paid
  is rejected.
- modified (``PUT /vbanks/{imp_uid}``): new amount or deadline while still ready.
- deposited (control API ``POST /_emulator/vbanks/{imp_uid}/deposit``): status
  ``paid``, ``paid_at`` = now. Refused once the deadline passed.
- revoked (``DELETE /vbanks/{imp_uid}``): status ``cancelled``, ``cancelled_at`` =
  now, no ``cancel_history`` entry because no money moved. A paid or already
  revoked account is rejected.

NOTE: ``notice_url`` is checked but not stored, and the emulator sends no webhooks.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from .fields import (
    change_payment,
    new_imp_uid,
    optional_amount,
    optional_choice,
    optional_int,
    optional_text,
    read_body,
    required_amount,
    required_future_time,
    required_text,
    was_paid,
)
from .records import PaymentRecord
from .routing import ApiError, Request, Response, Router, envelope, json_response
from .vocabulary import BANKS, GIVEN_NAMES, SURNAMES, VBANK_HOLDER

# Maximum lengths of the text fields of POST /vbanks, from PortOne's V1 OpenAPI spec.
MAX_LENGTHS = {
    "merchant_uid": 40,
    "name": 40,
    "vbank_holder": 16,
    "vbank_key": 13,
    "buyer_name": 16,
    "buyer_email": 64,
    "buyer_tel": 16,
    "buyer_addr": 128,
    "buyer_postcode": 8,
    "business_registration_number": 10,
}
_TEXT_FIELDS = ("name", "buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")
BANK_NAMES = dict(BANKS)
# PG used when the request names none; the emulator's merchant has one vbank contract.
DEFAULT_PG = "nice"
REVOKE_REASON = "가상계좌 말소"

MESSAGE_ALREADY_PAID_ORDER = "이미 결제가 완료된 주문번호(merchant_uid)로는 가상계좌를 발급할 수 없습니다"
MESSAGE_UNKNOWN_BANK = "지원하지 않는 은행코드입니다"
MESSAGE_NOT_VBANK = "가상계좌 결제건이 아닙니다"
MESSAGE_NOT_READY = "입금대기(ready) 상태의 가상계좌가 아닙니다"
MESSAGE_REVOKE_PAID = "이미 입금이 완료된 가상계좌는 말소할 수 없습니다. 결제취소 API로 환불해 주세요"
MESSAGE_REVOKE_REVOKED = "이미 말소된 가상계좌입니다"
MESSAGE_NOTHING_TO_MODIFY = "변경할 amount 또는 vbank_due를 하나 이상 전달해야 합니다"
MESSAGE_ACCOUNT_NOT_FOUND = "계좌 정보를 확인할 수 없습니다"


def register_vbank_routes(api_router: Router, control_router: Router) -> None:
    """Add the virtual-account routes to the PortOne API and control routers."""
    api_router.add("GET", "/vbanks/holder", query_holder, requires_token=True)
    api_router.add("POST", "/vbanks", issue_vbank, requires_token=True)
    api_router.add("PUT", "/vbanks/{imp_uid}", modify_vbank, requires_token=True)
    api_router.add("DELETE", "/vbanks/{imp_uid}", revoke_vbank, requires_token=True)
    control_router.add("POST", "/_emulator/vbanks/{imp_uid}/deposit", deposit_vbank)


def issue_vbank(request: Request) -> Response:
    """POST /vbanks: issue a virtual account as a ready vbank payment."""
    body = read_body(request)
    emulator = request.emulator
    now = emulator.clock.now()

    merchant_uid = required_text(body, "merchant_uid", MAX_LENGTHS["merchant_uid"])
    amount = required_amount(body, "amount")
    vbank_code = required_text(body, "vbank_code")
    if vbank_code not in BANK_NAMES:
        raise ApiError(400, f"{MESSAGE_UNKNOWN_BANK}: {vbank_code} ({', '.join(BANK_NAMES)} 중 하나여야 합니다)")
    due_at = required_future_time(body, "vbank_due", now)
    texts = {name: optional_text(body, name, MAX_LENGTHS.get(name)) for name in _TEXT_FIELDS}
    holder = optional_text(body, "vbank_holder", MAX_LENGTHS["vbank_holder"]) or VBANK_HOLDER
    fixed_number = optional_text(body, "vbank_num")
    optional_text(body, "vbank_key", MAX_LENGTHS["vbank_key"])
    optional_text(body, "business_registration_number", MAX_LENGTHS["business_registration_number"])
    optional_choice(body, "product_type", ("real", "digital"))
    optional_int(body, "product_count", minimum=1)
    optional_int(body, "tax_free", minimum=0)
    optional_amount(body, "vat_amount")
    _check_notice_urls(body.get("notice_url"))
    pg = optional_text(body, "pg") or DEFAULT_PG

    store = emulator.store
    if was_paid(store, merchant_uid):
        raise ApiError(400, MESSAGE_ALREADY_PAID_ORDER)

    imp_uid = new_imp_uid(store)
    payment = {
        "imp_uid": imp_uid,
        "merchant_uid": merchant_uid,
        "pay_method": "vbank",
        "channel": "api",
        "pg_provider": pg.partition(".")[0],
        "pg_id": pg.partition(".")[2] or None,
        "name": texts["name"],
        "amount": amount,
        "currency": "KRW",
        "buyer_name": texts["buyer_name"],
        "buyer_email": texts["buyer_email"],
        "buyer_tel": texts["buyer_tel"],
        "buyer_addr": texts["buyer_addr"],
        "buyer_postcode": texts["buyer_postcode"],
        "custom_data": optional_text(body, "custom_data"),
        "status": "ready",
        "started_at": now,
        "vbank_code": vbank_code,
        "vbank_name": BANK_NAMES[vbank_code],
        "vbank_num": fixed_number or f"{secrets.randbelow(10**14):014d}",
        "vbank_holder": holder,
        "vbank_date": due_at,
        "vbank_issued_at": now,
    }
    store.put(payment)
    return envelope(store.get(imp_uid))


def modify_vbank(request: Request) -> Response:
    """PUT /vbanks/{imp_uid}: change the amount or deadline of a ready virtual account."""
    body = read_body(request)
    emulator = request.emulator
    amount = optional_int(body, "amount", minimum=1)
    due_at = None
    if body.get("vbank_due") not in (None, ""):
        due_at = required_future_time(body, "vbank_due", emulator.clock.now())
    if amount is None and due_at is None:
        raise ApiError(400, MESSAGE_NOTHING_TO_MODIFY)

    def modify(record: PaymentRecord) -> None:
        if amount is not None:
            record.amount = amount
        if due_at is not None:
            record.vbank_date = due_at

    payment = change_payment(emulator.store, request.path_params["imp_uid"], _require_ready_vbank, modify)
    return envelope(payment)


def revoke_vbank(request: Request) -> Response:
    """DELETE /vbanks/{imp_uid}: revoke a ready virtual account; a paid or revoked one is rejected."""
    emulator = request.emulator

    def check(payment: dict[str, Any]) -> None:
        if payment["pay_method"] != "vbank":
            raise ApiError(400, MESSAGE_NOT_VBANK)
        if payment["status"] == "paid":
            raise ApiError(400, MESSAGE_REVOKE_PAID)
        if payment["status"] == "cancelled":
            raise ApiError(400, MESSAGE_REVOKE_REVOKED)
        if payment["status"] != "ready":
            raise ApiError(400, MESSAGE_NOT_READY)

    def revoke(record: PaymentRecord) -> None:
        record.status = "cancelled"
        record.cancelled_at = emulator.clock.now()
        record.cancel_reason = REVOKE_REASON

    payment = change_payment(emulator.store, request.path_params["imp_uid"], check, revoke)
    return envelope(payment)


def query_holder(request: Request) -> Response:
    """GET /vbanks/holder: the holder of a bank account, made up from the account number."""
    bank_code = request.query_value("bank_code")
    bank_num = request.query_value("bank_num")
    if not bank_code or not bank_num:
        raise ApiError(400, "bank_code와 bank_num은 필수 항목입니다")
    if bank_code not in BANK_NAMES:
        raise ApiError(400, f"{MESSAGE_UNKNOWN_BANK}: {bank_code}")
    digits = bank_num.replace("-", "")
    if not digits.isdigit() or not 10 <= len(digits) <= 16:
        raise ApiError(404, MESSAGE_ACCOUNT_NOT_FOUND)

    # The same account number always gets the same invented holder.
    seed = int.from_bytes(hashlib.sha256(f"{bank_code}:{digits}".encode()).digest()[:4], "big")
    holder = SURNAMES[seed % len(SURNAMES)] + GIVEN_NAMES[(seed // len(SURNAMES)) % len(GIVEN_NAMES)]
    return envelope({"bank_holder": holder})


def deposit_vbank(request: Request) -> Response:
    """POST /_emulator/vbanks/{imp_uid}/deposit: the buyer pays into the account in full.

    Returns HTTP 409 when the account is not ready or its deadline has passed.
    """
    emulator = request.emulator
    imp_uid = request.path_params["imp_uid"]

    def check(payment: dict[str, Any]) -> None:
        if payment["pay_method"] != "vbank" or payment["status"] != "ready":
            raise ApiError(409, f"payment {imp_uid} is a {payment['status']} {payment['pay_method']} payment")
        if payment["vbank_date"] and emulator.clock.now() > payment["vbank_date"]:
            raise ApiError(409, f"virtual account {imp_uid} passed its deadline {payment['vbank_date']}")

    def deposit(record: PaymentRecord) -> None:
        record.status = "paid"
        record.paid_at = emulator.clock.now()
        record.pg_tid = f"VBANK{secrets.token_hex(8)}"
        record.receipt_url = f"https://receipt.example.com/vbank/{imp_uid}"

    try:
        payment = change_payment(emulator.store, imp_uid, check, deposit)
    except ApiError as exc:
        if exc.status == 404:
            raise ApiError(404, f"payment {imp_uid!r} not found") from None
        raise
    return json_response(payment)


def _require_ready_vbank(payment: dict[str, Any]) -> None:
    if payment["pay_method"] != "vbank":
        raise ApiError(400, MESSAGE_NOT_VBANK)
    if payment["status"] != "ready":
        raise ApiError(400, MESSAGE_NOT_READY)


def _check_notice_urls(value: Any) -> None:
    if value is None:
        return
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, list) or not all(isinstance(url, str) and url for url in urls):
        raise ApiError(400, f"notice_url은 URL 문자열의 배열이어야 합니다: {value!r}")
