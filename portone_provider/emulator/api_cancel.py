"""Cancel (refund) endpoint of the emulator: ``POST /payments/cancel``.

Semantics, following PortOne's V1 spec and cancel guides:

- The body is JSON or form-encoded. ``imp_uid`` wins over ``merchant_uid``; a
  merchant_uid alone names its paid payment, else its newest one.
- A missing or zero ``amount`` refunds everything left. Each cancel adds one
  ``cancel_history`` entry and raises ``cancel_amount``. The cancel that leaves nothing
  sets the status to ``cancelled`` and ``cancelled_at`` to its own time.
- ``checksum`` must equal ``amount - cancel_amount`` when given.
- Virtual-account payments need refund_holder, refund_bank (2 or 3 digits) and
  refund_account (digits).
- Business rejections return HTTP 200 with ``code`` 1 and a Korean message, because
  PortOne's cancel guide states that a non-zero code under HTTP 200 is a failed refund.
  Malformed requests (no id, an amount that is not a number) return HTTP 400.

Emulator-only control routes under ``/_emulator/cancels`` hold cancels pending, as
PayPal does, approve them later and list every cancel request received.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from weakref import WeakKeyDictionary

from .control import CONTROL_PREFIX
from .records import ZERO_DECIMAL_CURRENCIES, PaymentRecord, to_amount
from .routing import ApiError, Request, Response, Router, envelope, error_envelope, json_response

if TYPE_CHECKING:
    from .server import EmulatorServer

CANCEL_PATH = "/payments/cancel"
#: PortOne's code for a rejected cancel under HTTP 200.
REJECTED_CODE = 1
#: Decimal places of amounts in currencies with a minor unit (USD cents).
MINOR_UNIT_PLACES = 2

_REQUESTERS = ("customer", "admin")
_AMOUNT_FIELDS = ("amount", "tax_free", "vat_amount", "checksum")
_TEXT_FIELDS = ("imp_uid", "merchant_uid", "reason", "refund_holder", "refund_bank", "refund_account", "refund_tel")

# One cancel book per emulator, found through the API router the routes were added to.
_BOOKS: WeakKeyDictionary[Router, CancelBook] = WeakKeyDictionary()


class CancelRejected(Exception):
    """A cancel PortOne would reject, sent back as HTTP 200 with a non-zero code."""


@dataclass
class CancelRequest:
    """The parsed body of one ``POST /payments/cancel``."""

    imp_uid: str | None = None
    merchant_uid: str | None = None
    amount: Decimal | None = None
    tax_free: Decimal | None = None
    vat_amount: Decimal | None = None
    checksum: Decimal | None = None
    reason: str | None = None
    refund_holder: str | None = None
    refund_bank: str | None = None
    refund_account: str | None = None
    refund_tel: str | None = None
    retain_promotion: bool | None = None
    requester: str | None = None


@dataclass
class HeldCancel:
    """A cancel accepted but not applied yet, waiting for approval."""

    amount: Decimal
    reason: str
    received_at: int


@dataclass
class CancelBook:
    """Per-emulator cancel state: hold rules, held cancels and the request log.

    Every cancel takes `lock`, so the check and the change of one payment happen
    together and two cancels with the same checksum can never both apply.
    """

    lock: threading.RLock = field(default_factory=threading.RLock)
    hold_imp_uids: set[str] = field(default_factory=set)
    hold_pg_providers: set[str] = field(default_factory=set)
    held: dict[str, list[HeldCancel]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def holds(self, payment: dict[str, Any]) -> bool:
        """Tell whether cancels of `payment` are held pending instead of applied."""
        return payment["imp_uid"] in self.hold_imp_uids or payment.get("pg_provider") in self.hold_pg_providers

    def held_total(self, imp_uid: str) -> Decimal:
        return sum((held.amount for held in self.held.get(imp_uid, [])), Decimal(0))

    def clear(self) -> None:
        with self.lock:
            self.hold_imp_uids.clear()
            self.hold_pg_providers.clear()
            self.held.clear()
            self.requests.clear()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": [dict(entry) for entry in self.requests],
                "held": {
                    imp_uid: [
                        {"amount": str(held.amount), "reason": held.reason, "received_at": held.received_at}
                        for held in entries
                    ]
                    for imp_uid, entries in self.held.items()
                    if entries
                },
                "hold": {"imp_uids": sorted(self.hold_imp_uids), "pg_providers": sorted(self.hold_pg_providers)},
            }


def cancel_book(emulator: EmulatorServer) -> CancelBook:
    """Return the cancel state of a running emulator, for in-process tests."""
    return _BOOKS[emulator.api_router]


def register_cancel_routes(api_router: Router, control_router: Router) -> None:
    """Add the cancel routes to the PortOne API and control routers."""
    # NOTE: POST /_emulator/reset does not reach this book; DELETE /_emulator/cancels clears it.
    _BOOKS[api_router] = CancelBook()
    api_router.add("POST", CANCEL_PATH, cancel_payment, requires_token=True)

    prefix = f"{CONTROL_PREFIX}/cancels"
    control_router.add("GET", prefix, list_cancels)
    control_router.add("DELETE", prefix, clear_cancels)
    control_router.add("POST", f"{prefix}/hold", hold_cancels)
    control_router.add("POST", f"{prefix}/approve", approve_cancels)


# PortOne API


def cancel_payment(request: Request) -> Response:
    """POST /payments/cancel: refund a payment in full or in part."""
    emulator = request.emulator
    book = cancel_book(emulator)
    raw_body = request.body.decode("utf-8", errors="replace")
    cancel = parse_cancel_request(request)

    with book.lock:
        log_entry = {
            "received_at": emulator.clock.now(),
            "content_type": request.content_type,
            "body": raw_body,
            "imp_uid": cancel.imp_uid,
            "merchant_uid": cancel.merchant_uid,
        }
        book.requests.append(log_entry)
        try:
            payment = _resolve_payment(emulator, cancel)
            log_entry["imp_uid"] = payment["imp_uid"]
            amount = _plan_cancel(payment, cancel, book.held_total(payment["imp_uid"]))
        except CancelRejected as rejection:
            log_entry["outcome"] = "rejected"
            log_entry["message"] = str(rejection)
            return error_envelope(200, str(rejection), code=REJECTED_CODE)

        log_entry["amount"] = str(amount)
        now = emulator.clock.now()
        reason = cancel.reason or ""
        if book.holds(payment):
            book.held.setdefault(payment["imp_uid"], []).append(HeldCancel(amount, reason, now))
            log_entry["outcome"] = "held"
            return envelope(payment)

        updated = emulator.store.update(payment["imp_uid"], lambda record: _apply(record, amount, reason, now))
        log_entry["outcome"] = "applied"
        log_entry["cancellation_id"] = updated["cancel_history"][-1]["cancellation_id"]
        return envelope(updated)


def parse_cancel_request(request: Request) -> CancelRequest:
    """Read the JSON or form body into a CancelRequest. Raises ApiError 400 when malformed."""
    data = _read_body(request)
    cancel = CancelRequest()

    for name in _TEXT_FIELDS:
        value = data.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise ApiError(400, f"{name} 파라미터는 문자열이어야 합니다: {value!r}")
        setattr(cancel, name, value)

    for name in _AMOUNT_FIELDS:
        value = data.get(name)
        if value is None or value == "":
            continue
        number = _to_decimal(name, value)
        if number < 0:
            raise ApiError(400, f"{name} 파라미터는 0 이상이어야 합니다: {value}")
        setattr(cancel, name, number)

    retain = data.get("retain_promotion")
    if retain is not None and retain != "":
        if isinstance(retain, str) and retain.lower() in ("true", "false"):
            retain = retain.lower() == "true"
        if not isinstance(retain, bool):
            raise ApiError(400, f"retain_promotion 파라미터는 true 또는 false여야 합니다: {retain!r}")
        cancel.retain_promotion = retain

    requester = _read_requester(data)
    if requester is not None and requester not in _REQUESTERS:
        raise ApiError(400, f"extra.requester는 customer 또는 admin이어야 합니다: {requester!r}")
    cancel.requester = requester

    if cancel.imp_uid is None and cancel.merchant_uid is None:
        raise ApiError(400, "imp_uid 또는 merchant_uid 중 하나는 반드시 전달해야 합니다")
    return cancel


def _read_body(request: Request) -> dict[str, Any]:
    if request.content_type == "application/x-www-form-urlencoded":
        text = request.body.decode("utf-8", errors="replace")
        return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}
    if not request.body.strip():
        return {}
    try:
        # parse_float keeps 12.34 exact instead of the nearest binary float.
        data = json.loads(request.body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "요청 본문이 올바른 JSON이 아닙니다") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "요청 본문은 JSON 객체여야 합니다")
    return data


def _read_requester(data: dict[str, Any]) -> Any:
    extra = data.get("extra")
    if isinstance(extra, dict):
        return extra.get("requester")
    if extra is not None:
        raise ApiError(400, f"extra 파라미터는 객체여야 합니다: {extra!r}")
    # Form bodies spell the nested field as extra[requester].
    return data.get("extra[requester]")


def _to_decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ApiError(400, f"{name} 파라미터는 숫자여야 합니다: {value!r}")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation as exc:
        raise ApiError(400, f"{name} 파라미터는 숫자여야 합니다: {value!r}") from exc
    if not number.is_finite():
        raise ApiError(400, f"{name} 파라미터는 유한한 숫자여야 합니다: {value!r}")
    return number


def _resolve_payment(emulator: EmulatorServer, cancel: CancelRequest) -> dict[str, Any]:
    store = emulator.store
    if cancel.imp_uid is not None:
        payment = store.get(cancel.imp_uid)
    else:
        payment = store.find(cancel.merchant_uid, "paid") or store.find(cancel.merchant_uid)
    if payment is None:
        raise CancelRejected("취소 대상 결제건을 찾을 수 없습니다")
    return payment


def _plan_cancel(payment: dict[str, Any], cancel: CancelRequest, held: Decimal) -> Decimal:
    """Check the cancel against the payment and return the amount it refunds."""
    status = payment["status"]
    currency = payment["currency"]
    paid = Decimal(str(payment["amount"]))
    refunded = Decimal(str(payment["cancel_amount"]))
    rest = paid - refunded

    if status == "cancelled":
        raise CancelRejected("이미 전액 취소된 결제건입니다")
    if status != "paid":
        raise CancelRejected(f"결제완료 상태가 아닌 결제건은 취소할 수 없습니다 (현재 상태: {status})")
    if cancel.checksum is not None and cancel.checksum != rest:
        raise CancelRejected(
            f"취소 가능 잔액이 일치하지 않아 취소하지 않았습니다 "
            f"(요청한 checksum: {_plain(cancel.checksum)}, 현재 취소 가능 잔액: {_plain(rest)})"
        )

    for name in ("amount", "tax_free", "vat_amount"):
        _check_places(name, getattr(cancel, name), currency)

    available = rest - held
    full = cancel.amount is None or cancel.amount == 0
    amount = available if full else cancel.amount
    if available <= 0:
        raise CancelRejected("승인 대기 중인 취소 요청이 있어 더 취소할 수 있는 금액이 없습니다")
    if amount > available:
        waiting = f", 승인 대기 중 {_plain(held)}" if held else ""
        raise CancelRejected(
            f"취소 요청 금액({_plain(amount)})이 취소 가능 잔액({_plain(available)}{waiting})보다 큽니다"
        )
    for name in ("tax_free", "vat_amount"):
        part = getattr(cancel, name)
        if part is not None and part > amount:
            raise CancelRejected(f"{name}({_plain(part)})는 취소 요청 금액({_plain(amount)})보다 클 수 없습니다")

    if payment.get("pay_method") == "vbank":
        _check_refund_account(cancel)
    if payment.get("pg_provider") == "naverpay" and not cancel.reason:
        raise CancelRejected("네이버페이 결제건을 취소하려면 취소 사유(reason)를 전달해야 합니다")
    return amount


def _check_places(name: str, value: Decimal | None, currency: str) -> None:
    if value is None:
        return
    if currency in ZERO_DECIMAL_CURRENCIES:
        if value != value.to_integral_value():
            raise CancelRejected(f"{currency} 결제건은 소수점 이하 금액으로 취소할 수 없습니다: {name} {value}")
        return
    if value != value.quantize(Decimal(1).scaleb(-MINOR_UNIT_PLACES)):
        raise CancelRejected(
            f"{currency} 결제건의 {name}은 소수점 {MINOR_UNIT_PLACES}자리까지만 입력할 수 있습니다: {value}"
        )


def _check_refund_account(cancel: CancelRequest) -> None:
    missing = [
        name
        for name in ("refund_holder", "refund_bank", "refund_account")
        if not getattr(cancel, name)
    ]
    if missing:
        raise CancelRejected(f"가상계좌 결제건을 환불하려면 환불계좌 정보가 필요합니다 (누락: {', '.join(missing)})")
    bank = cancel.refund_bank or ""
    if not (bank.isdigit() and 2 <= len(bank) <= 3):
        raise CancelRejected(f"환불계좌 은행코드가 올바르지 않습니다: {bank}")
    if not (cancel.refund_account or "").isdigit():
        raise CancelRejected("환불계좌 번호는 숫자로만 입력해야 합니다")


def _apply(record: PaymentRecord, amount: Decimal, reason: str, now: int) -> dict[str, Any]:
    """Add one cancel_history entry and update cancel_amount and, once fully refunded, the status."""
    number = len(record.cancel_history) + 1
    receipt_url = f"https://receipt.example.com/{record.pg_provider}/{record.imp_uid}/cancel/{number}"
    record.cancel_history.append(
        {
            "pg_tid": f"{record.pg_tid or 'EMULATOR'}C{number}",
            "amount": to_amount(amount, record.currency),
            "cancelled_at": now,
            "reason": reason,
            "receipt_url": receipt_url,
            "cancellation_id": f"cncl_{secrets.token_hex(6)}",
        }
    )
    record.cancel_receipt_urls.append(receipt_url)
    record.recompute_cancel_amount()

    rest = Decimal(str(record.amount)) - Decimal(str(record.cancel_amount))
    if rest == 0:
        record.status = "cancelled"
        record.cancelled_at = now
        record.cancel_reason = reason
    return record.to_dict()


def _plain(value: Decimal) -> str:
    """Format an amount without exponent or trailing zeros, such as 1000 or 12.5."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# Control API


def list_cancels(request: Request) -> Response:
    """GET /_emulator/cancels: every cancel request received, held cancels and hold rules."""
    return json_response(cancel_book(request.emulator).snapshot())


def clear_cancels(request: Request) -> Response:
    """DELETE /_emulator/cancels: forget the request log, held cancels and hold rules."""
    cancel_book(request.emulator).clear()
    return json_response({"ok": True})


def hold_cancels(request: Request) -> Response:
    """POST /_emulator/cancels/hold: hold later cancels pending, as PayPal may.

    Body: {"imp_uids": [...], "pg_providers": [...]}, either list optional. The response
    to a held cancel has code 0 and the payment unchanged: status and cancel_history
    stay as they were until POST /_emulator/cancels/approve.
    """
    body = _read_control_object(request)
    imp_uids = _read_string_list(body, "imp_uids")
    pg_providers = _read_string_list(body, "pg_providers")
    book = cancel_book(request.emulator)
    with book.lock:
        book.hold_imp_uids.update(imp_uids)
        book.hold_pg_providers.update(pg_providers)
    return json_response(book.snapshot()["hold"])


def approve_cancels(request: Request) -> Response:
    """POST /_emulator/cancels/approve: apply the held cancels of {"imp_uid": ...} and return the payment."""
    body = _read_control_object(request)
    imp_uid = body.get("imp_uid")
    if not isinstance(imp_uid, str) or not imp_uid:
        raise ApiError(400, 'expected {"imp_uid": "..."} naming a payment with held cancels')
    emulator = request.emulator
    book = cancel_book(emulator)
    with book.lock:
        held = book.held.pop(imp_uid, [])
        if not held:
            raise ApiError(404, f"payment {imp_uid!r} has no held cancels")
        now = emulator.clock.now()
        payment = None
        for cancel in held:
            payment = emulator.store.update(imp_uid, lambda record, c=cancel: _apply(record, c.amount, c.reason, now))
    return json_response(payment)


def _read_control_object(request: Request) -> dict[str, Any]:
    body = request.json(error_message="invalid request body: not JSON")
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalid request body: expected a JSON object")
    return body


def _read_string_list(body: dict[str, Any], name: str) -> list[str]:
    values = body.get(name, [])
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ApiError(400, f'invalid "{name}" {values!r}: expected a list of strings')
    return values
