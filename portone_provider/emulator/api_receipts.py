"""Cash-receipt endpoints of the emulator: ``/receipts/{imp_uid}``.

A receipt can be issued for a paid ``vbank`` or ``trans`` payment, for the amount
still not refunded. Issuing sets the payment's ``cash_receipt_issued``; revoking
sets the receipt's ``cancelled_at`` and clears the flag. A revoked receipt may be
issued again, which replaces it.
"""

from __future__ import annotations

import secrets
from typing import Any

from .fields import (
    Registry,
    change_payment,
    optional_amount,
    optional_choice,
    optional_int,
    optional_text,
    read_body,
    required_text,
)
from .records import PaymentRecord, sum_amounts
from .routing import ApiError, Request, Response, Router, envelope

#: Pay methods a cash receipt can be issued for.
CASH_PAY_METHODS = ("vbank", "trans")

MESSAGE_RECEIPT_NOT_FOUND = "발급된 현금영수증이 없습니다"
MESSAGE_NOT_PAID = "결제완료(paid) 상태의 거래에만 현금영수증을 발급할 수 있습니다"
MESSAGE_NOT_CASH = "현금영수증은 가상계좌 또는 계좌이체 결제에만 발급할 수 있습니다"
MESSAGE_ALREADY_ISSUED = "이미 현금영수증이 발급된 거래입니다"
MESSAGE_NEVER_ISSUED = "포트원을 통해 발급된 현금영수증이 없는 거래입니다"
MESSAGE_ALREADY_REVOKED = "이미 발급취소된 현금영수증입니다"


class ReceiptApi:
    """Handlers of the cash-receipt routes, sharing one registry per emulator."""

    def __init__(self) -> None:
        self.registry = Registry()

    def issue(self, request: Request) -> Response:
        """POST /receipts/{imp_uid}: issue a receipt for a paid cash payment."""
        body = read_body(request)
        imp_uid = request.path_params["imp_uid"]
        required_text(body, "identifier")
        optional_choice(body, "identifier_type", ("person", "business", "phone", "taxcard"))
        receipt_type = optional_choice(body, "type", ("person", "company")) or "person"
        optional_choice(body, "product_type", ("real", "digital"))
        tax_free = optional_int(body, "tax_free", minimum=0) or 0
        vat_amount = optional_amount(body, "vat_amount")
        for name in ("company_tel", "company_name", "corp_reg_no", "buyer_name", "buyer_email", "buyer_tel"):
            optional_text(body, name)

        emulator = request.emulator
        with self.registry.lock:
            current = self.registry.items.get(imp_uid)
            if current is not None and not current["cancelled_at"]:
                raise ApiError(400, MESSAGE_ALREADY_ISSUED)

            payment = change_payment(emulator.store, imp_uid, _check_issuable, _mark_issued)
            amount = sum_amounts([payment["amount"], -payment["cancel_amount"]], payment["currency"])
            receipt = {
                "imp_uid": imp_uid,
                "receipt_tid": f"RCPT{secrets.token_hex(8)}",
                "apply_num": f"{secrets.randbelow(10**9):09d}",
                "type": receipt_type,
                "amount": amount,
                "vat": int(vat_amount) if vat_amount is not None else int((amount - tax_free) // 11),
                "receipt_url": f"https://receipt.example.com/cash/{imp_uid}",
                "applied_at": emulator.clock.now(),
                "cancelled_at": 0,
            }
            self.registry.items[imp_uid] = receipt
            return envelope(dict(receipt))

    def get(self, request: Request) -> Response:
        """GET /receipts/{imp_uid}: the receipt of a payment, revoked ones included; 404 when none."""
        with self.registry.lock:
            receipt = self.registry.items.get(request.path_params["imp_uid"])
            if receipt is None:
                raise ApiError(404, MESSAGE_RECEIPT_NOT_FOUND)
            return envelope(dict(receipt))

    def revoke(self, request: Request) -> Response:
        """DELETE /receipts/{imp_uid}: revoke an issued receipt; a revoked or missing one is rejected."""
        imp_uid = request.path_params["imp_uid"]
        emulator = request.emulator
        with self.registry.lock:
            receipt = self.registry.items.get(imp_uid)
            if receipt is None:
                raise ApiError(400, MESSAGE_NEVER_ISSUED)
            if receipt["cancelled_at"]:
                raise ApiError(400, MESSAGE_ALREADY_REVOKED)

            receipt["cancelled_at"] = emulator.clock.now()
            if imp_uid in emulator.store:
                emulator.store.update(imp_uid, _clear_issued)
            return envelope(dict(receipt))


def register_receipt_routes(api_router: Router, control_router: Router) -> None:
    """Add the cash-receipt routes to the PortOne API router."""
    api = ReceiptApi()
    api_router.add("GET", "/receipts/{imp_uid}", api.get, requires_token=True)
    api_router.add("POST", "/receipts/{imp_uid}", api.issue, requires_token=True)
    api_router.add("DELETE", "/receipts/{imp_uid}", api.revoke, requires_token=True)


def _check_issuable(payment: dict[str, Any]) -> None:
    if payment["pay_method"] not in CASH_PAY_METHODS:
        raise ApiError(400, MESSAGE_NOT_CASH)
    if payment["status"] != "paid":
        raise ApiError(400, MESSAGE_NOT_PAID)


def _mark_issued(record: PaymentRecord) -> None:
    record.cash_receipt_issued = True


def _clear_issued(record: PaymentRecord) -> None:
    record.cash_receipt_issued = False
