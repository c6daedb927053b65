"""Convenience-store barcode endpoints of the emulator: ``POST /cvs``, ``DELETE /cvs/{imp_uid}``.

PaymentAnnotation has no barcode fields, so the emulator stores them in the virtual
account fields, as the demo data set does. ``vbank_num`` is the barcode number and
``vbank_issued_at`` the issue time. ``vbank_date`` is the due time: the ``expired_at``
of the issue request, the last second a store accepts payment.

A barcode's life in the emulator:

- issued: status ``ready``, ``started_at`` = now. Without ``expired_at`` the due
  time is 23:59:59 KST three days after the issue day.
- paid at a store (control API ``POST /_emulator/cvs/{imp_uid}/pay``): status
  ``paid``, ``paid_at`` = now, amount unchanged. Refused once the due time passed.
- revoked (``DELETE /cvs/{imp_uid}``): status ``cancelled``, ``cancelled_at`` =
  now, ``cancel_reason`` = ``REVOKE_REASON``. No money moved, so ``cancel_history``
  stays empty and ``cancel_amount`` stays 0.

A barcode whose due time passed stays ``ready`` until it is revoked, so the
merchant's cleanup decides what happens to it. Revoking it again, or revoking a
paid barcode, is rejected with a Korean message.

NOTE: ``confirm_url`` and ``notice_url`` are checked but not stored, and the
emulator sends no webhooks.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from .dataset import DAY_SECONDS, KST, kst_midnight
from .records import PaymentRecord
from .routing import ApiError, Request, Response, Router, envelope, json_response

# Maximum lengths of the text fields of POST /cvs, from PortOne's V1 OpenAPI spec.
MAX_LENGTHS = {
    "merchant_uid": 40,
    "name": 40,
    "buyer_name": 16,
    "buyer_email": 64,
    "buyer_tel": 16,
    "buyer_addr": 128,
    "buyer_postcode": 8,
}
_TEXT_FIELDS = ("barcode", "name", "buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode", "pg")

# Days after the issue day whose 23:59:59 KST is the due time when expired_at is unset.
# PortOne applies the default agreed in the merchant's Galaxia contract instead.
DEFAULT_DUE_DAYS = 3
# The Galaxia store id the demo data set uses, taken when `pg` names no store id.
DEFAULT_STORE_ID = "DEMOGALAXIA01"
REVOKE_REASON = "편의점결제 수납번호 말소"

MESSAGE_PAYMENT_NOT_FOUND = "존재하지 않는 결제정보입니다"
MESSAGE_ALREADY_PAID_ORDER = "이미 결제가 완료된 주문번호(merchant_uid)로는 편의점결제 수납번호를 발급할 수 없습니다"
MESSAGE_NOT_CVS = "편의점결제 수납번호가 발급된 결제건이 아닙니다"
MESSAGE_REVOKE_PAID = "이미 수납이 완료된 수납번호는 말소할 수 없습니다. 결제취소 API로 환불해 주세요"
MESSAGE_REVOKE_REVOKED = "이미 말소된 수납번호입니다"
MESSAGE_REVOKE_FAILED = "발급에 실패한 결제건이라 말소할 수납번호가 없습니다"


def register_cvs_routes(api_router: Router, control_router: Router) -> None:
    """Add the barcode routes to the PortOne API and control routers."""
    api_router.add("POST", "/cvs", issue_barcode, requires_token=True)
    api_router.add("DELETE", "/cvs/{imp_uid}", revoke_barcode, requires_token=True)
    control_router.add("POST", "/_emulator/cvs/{imp_uid}/pay", pay_barcode)
    control_router.add("POST", "/_emulator/cvs/{imp_uid}/expire", expire_barcode)


# PortOne API


def issue_barcode(request: Request) -> Response:
    """POST /cvs: issue a barcode, or register the merchant's own, as a ready cvs payment."""
    body = _read_body(request)
    emulator = request.emulator
    now = emulator.clock.now()

    merchant_uid = _required_text(body, "merchant_uid")
    amount = _read_amount(body.get("amount"))
    texts = {name: _optional_text(body, name) for name in _TEXT_FIELDS}
    due_at = _read_due_time(body.get("expired_at"), now)
    _check_urls(body)
    custom_data = _read_custom_data(body.get("custom_data"))
    store_id = _read_store_id(texts["pg"])

    store = emulator.store
    if _was_paid(store, merchant_uid):
        raise ApiError(400, MESSAGE_ALREADY_PAID_ORDER)
    barcode = texts["barcode"]
    if barcode is not None and _barcode_in_use(store, barcode):
        raise ApiError(400, f"이미 사용 중인 바코드 번호입니다: {barcode}")

    imp_uid = _new_imp_uid(store)
    payment = {
        "imp_uid": imp_uid,
        "merchant_uid": merchant_uid,
        "pay_method": "cvs",
        "channel": "api",
        "pg_provider": "galaxia",
        "pg_id": store_id,
        "name": texts["name"],
        "amount": amount,
        "currency": "KRW",
        "buyer_name": texts["buyer_name"],
        "buyer_email": texts["buyer_email"],
        "buyer_tel": texts["buyer_tel"],
        "buyer_addr": texts["buyer_addr"],
        "buyer_postcode": texts["buyer_postcode"],
        "custom_data": custom_data,
        "status": "ready",
        "started_at": now,
        "vbank_num": barcode or f"{secrets.randbelow(10**16):016d}",
        "vbank_date": due_at,
        "vbank_issued_at": now,
    }
    store.put(payment)
    return envelope(store.get(imp_uid))


def revoke_barcode(request: Request) -> Response:
    """DELETE /cvs/{imp_uid}: revoke a ready barcode; a paid or revoked one is rejected."""
    emulator = request.emulator
    imp_uid = request.path_params["imp_uid"]

    def check(payment: dict[str, Any]) -> None:
        if payment["pay_method"] != "cvs":
            raise ApiError(400, MESSAGE_NOT_CVS)
        if payment["status"] == "paid":
            raise ApiError(400, MESSAGE_REVOKE_PAID)
        if payment["status"] == "cancelled":
            raise ApiError(400, MESSAGE_REVOKE_REVOKED)
        if payment["status"] == "failed":
            raise ApiError(400, MESSAGE_REVOKE_FAILED)

    def revoke(record: PaymentRecord) -> None:
        record.status = "cancelled"
        record.cancelled_at = emulator.clock.now()
        record.cancel_reason = REVOKE_REASON

    _change(request, imp_uid, check, revoke, not_found=lambda: ApiError(404, MESSAGE_PAYMENT_NOT_FOUND))
    return envelope(emulator.store.get(imp_uid))


# Control API


def pay_barcode(request: Request) -> Response:
    """POST /_emulator/cvs/{imp_uid}/pay: a customer pays the barcode at a store.

    The payment becomes paid at the emulator's now with its amount unchanged.
    Returns 409 when the barcode is not ready or its due time has passed.
    """
    emulator = request.emulator
    imp_uid = request.path_params["imp_uid"]

    def check(payment: dict[str, Any]) -> None:
        _require_ready_barcode(payment)
        now = emulator.clock.now()
        due_at = payment["vbank_date"]
        if due_at and now > due_at:
            raise ApiError(
                409,
                f"barcode {imp_uid} expired at {_describe_time(due_at)} (emulator now {_describe_time(now)}): "
                "the store rejects the payment",
            )

    def pay(record: PaymentRecord) -> None:
        record.status = "paid"
        record.paid_at = emulator.clock.now()
        record.pg_tid = f"GALA{secrets.token_hex(8)}"
        record.receipt_url = f"https://receipt.example.com/galaxia/{imp_uid}"

    _change(request, imp_uid, check, pay, not_found=lambda: ApiError(404, f"payment {imp_uid!r} not found"))
    return json_response(emulator.store.get(imp_uid))


def expire_barcode(request: Request) -> Response:
    """POST /_emulator/cvs/{imp_uid}/expire: move a ready barcode's due time to one second ago."""
    emulator = request.emulator
    imp_uid = request.path_params["imp_uid"]

    def expire(record: PaymentRecord) -> None:
        past = emulator.clock.now() - 1
        record.vbank_date = min(record.vbank_date, past) if record.vbank_date else past

    _change(
        request,
        imp_uid,
        _require_ready_barcode,
        expire,
        not_found=lambda: ApiError(404, f"payment {imp_uid!r} not found"),
    )
    return json_response(emulator.store.get(imp_uid))


def _require_ready_barcode(payment: dict[str, Any]) -> None:
    if payment["pay_method"] != "cvs":
        raise ApiError(409, f"payment {payment['imp_uid']} is a {payment['pay_method']} payment, not a barcode")
    if payment["status"] != "ready":
        raise ApiError(409, f"barcode {payment['imp_uid']} is {payment['status']}, not ready")


def _change(
    request: Request,
    imp_uid: str,
    check: Callable[[dict[str, Any]], None],
    apply: Callable[[PaymentRecord], None],
    *,
    not_found: Callable[[], ApiError],
) -> None:
    """Check a payment, then change it under the store lock, checking again there.

    The first check keeps a rejected request from touching the record. The second one
    catches a change made by another request in between.
    """
    store = request.emulator.store
    payment = store.get(imp_uid)
    if payment is None:
        raise not_found()
    check(payment)

    def mutate(record: PaymentRecord) -> None:
        check(record.to_dict())
        apply(record)

    try:
        store.update(imp_uid, mutate)
    except KeyError:
        raise not_found() from None


# Request parsing


def _read_body(request: Request) -> dict[str, Any]:
    """Read a JSON object or a form body. Form keys may repeat, as notice_url[] does."""
    if request.content_type == "application/x-www-form-urlencoded":
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(400, "요청 본문을 UTF-8로 읽을 수 없습니다") from exc
        body: dict[str, Any] = {}
        for key, values in parse_qs(text, keep_blank_values=True).items():
            if key in ("notice_url", "notice_url[]"):
                body["notice_url"] = values
            else:
                body[key] = values[0]
        return body

    data = request.json()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, "요청 본문은 JSON 객체여야 합니다")
    return data


def _required_text(body: dict[str, Any], name: str) -> str:
    value = _optional_text(body, name)
    if value is None:
        raise ApiError(400, f"{name}은(는) 필수 항목입니다")
    return value


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name}은(는) 문자열이어야 합니다")
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        raise ApiError(400, f"{name}은(는) 최대 {limit}자까지 입력할 수 있습니다 (입력 {len(value)}자)")
    return value


def _read_amount(value: Any) -> int:
    if value is None or value == "":
        raise ApiError(400, "amount는 필수 항목입니다")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ApiError(400, f"amount는 숫자여야 합니다: {value!r}")
    try:
        number = float(value)
    except ValueError as exc:
        raise ApiError(400, f"amount는 숫자여야 합니다: {value!r}") from exc
    if not number > 0:
        raise ApiError(400, f"결제금액(amount)은 0보다 커야 합니다: {value}")
    if number != int(number):
        raise ApiError(400, f"원화 결제금액(amount)은 정수여야 합니다: {value}")
    return int(number)


def _read_due_time(value: Any, now: int) -> int:
    """Return the due time from expired_at, or the default one when it is unset."""
    if value is None or value == "":
        issue_day = datetime.fromtimestamp(now, KST).date()
        return kst_midnight(issue_day + timedelta(days=DEFAULT_DUE_DAYS)) + DAY_SECONDS - 1
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"expired_at은 UNIX timestamp(초) 정수여야 합니다: {value!r}")
    if value <= now:
        raise ApiError(400, f"결제기한(expired_at)은 현재 시각 이후여야 합니다: {value} (현재 {now})")
    return value


def _check_urls(body: dict[str, Any]) -> None:
    confirm_url = body.get("confirm_url")
    if confirm_url is not None and not _is_http_url(confirm_url):
        raise ApiError(400, f"confirm_url은 http 또는 https URL이어야 합니다: {confirm_url!r}")
    notice_url = body.get("notice_url")
    if notice_url is None:
        return
    urls = [notice_url] if isinstance(notice_url, str) else notice_url
    if not isinstance(urls, list) or not all(_is_http_url(url) for url in urls):
        raise ApiError(400, f"notice_url은 http 또는 https URL의 배열이어야 합니다: {notice_url!r}")


def _is_http_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) > len("https://")


def _read_custom_data(value: Any) -> str | None:
    """Return custom_data as stored: a string as sent, an object as its JSON text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    raise ApiError(400, f"custom_data는 문자열 또는 객체여야 합니다: {value!r}")


def _read_store_id(pg: str | None) -> str:
    """Return the Galaxia store id from `pg`: "galaxia" or "galaxia.<store id>"."""
    if pg is None or pg == "galaxia":
        return DEFAULT_STORE_ID
    provider, _, store_id = pg.partition(".")
    if provider != "galaxia" or not store_id:
        raise ApiError(400, f"편의점결제는 갤럭시아컴즈(galaxia 또는 galaxia.상점아이디)만 지원합니다: {pg}")
    return store_id


# Store queries


def _was_paid(store: Any, merchant_uid: str) -> bool:
    """Tell whether any payment of the merchant_uid was ever paid, refunded ones included."""
    page = store.find_all(merchant_uid, None, "-started", 1, 1000)
    return any(payment["paid_at"] > 0 for payment in page.items)


def _barcode_in_use(store: Any, barcode: str) -> bool:
    """Tell whether a ready barcode payment already carries this barcode number."""
    page_number = 1
    while page_number:
        page = store.list_by_status("ready", 0, 2**40, "started", page_number, 1000)
        if any(payment["pay_method"] == "cvs" and payment["vbank_num"] == barcode for payment in page.items):
            return True
        page_number = page.next
    return False


def _new_imp_uid(store: Any) -> str:
    while True:
        imp_uid = f"imp_{secrets.randbelow(10**12):012d}"
        if imp_uid not in store:
            return imp_uid


def _describe_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, KST).isoformat()
