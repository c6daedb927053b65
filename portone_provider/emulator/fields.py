"""Body parsing and field checks shared by the emulator's vbank, prepare, receipt and subscribe routes.

Every reader raises ``ApiError(400)`` with a Korean message naming the field, as
PortOne's own validation does. Bodies may be JSON objects or form-encoded; form
values arrive as text, so numeric readers accept digit strings too.
"""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from .records import ZERO_DECIMAL_CURRENCIES, PaymentRecord
from .routing import ApiError, Request
from .store import PaymentStore

MESSAGE_PAYMENT_NOT_FOUND = "존재하지 않는 결제정보입니다"

# Form keys that carry a list; PHP-style clients append [] to the name.
_LIST_KEYS = ("notice_url", "merchant_uid", "customer_uid", "product_order_id")


def read_body(request: Request) -> dict[str, Any]:
    """Read a JSON object or a form body into a dict. Repeated list keys become lists."""
    if request.content_type == "application/x-www-form-urlencoded":
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(400, "요청 본문을 UTF-8로 읽을 수 없습니다") from exc
        body: dict[str, Any] = {}
        for key, values in parse_qs(text, keep_blank_values=True).items():
            name = key[:-2] if key.endswith("[]") else key
            body[name] = values if name in _LIST_KEYS and (key.endswith("[]") or len(values) > 1) else values[0]
        return body

    data = request.json()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, "요청 본문은 JSON 객체여야 합니다")
    return data


def required_text(body: Mapping[str, Any], name: str, max_length: int | None = None) -> str:
    value = optional_text(body, name, max_length)
    if value is None:
        raise ApiError(400, f"{name}은(는) 필수 항목입니다")
    return value


def optional_text(body: Mapping[str, Any], name: str, max_length: int | None = None) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name}은(는) 문자열이어야 합니다: {value!r}")
    if max_length is not None and len(value) > max_length:
        raise ApiError(400, f"{name}은(는) 최대 {max_length}자까지 입력할 수 있습니다 (입력 {len(value)}자)")
    return value


def optional_choice(body: Mapping[str, Any], name: str, choices: Iterable[str]) -> str | None:
    value = optional_text(body, name)
    allowed = tuple(choices)
    if value is not None and value not in allowed:
        raise ApiError(400, f"{name} 값이 올바르지 않습니다: {value} ({', '.join(allowed)} 중 하나여야 합니다)")
    return value


def optional_int(body: Mapping[str, Any], name: str, *, minimum: int | None = None) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name}은(는) 정수여야 합니다: {value!r}")
    if minimum is not None and value < minimum:
        raise ApiError(400, f"{name}은(는) {minimum} 이상이어야 합니다: {value}")
    return value


def required_int(body: Mapping[str, Any], name: str, *, minimum: int | None = None) -> int:
    value = optional_int(body, name, minimum=minimum)
    if value is None:
        raise ApiError(400, f"{name}은(는) 필수 항목입니다")
    return value


def required_future_time(body: Mapping[str, Any], name: str, now: int) -> int:
    """Read UNIX seconds that must lie after the emulator's now."""
    value = required_int(body, name, minimum=0)
    if value <= now:
        raise ApiError(400, f"{name}은(는) 현재 시각 이후여야 합니다: {value} (현재 {now})")
    return value


def required_amount(body: Mapping[str, Any], name: str = "amount", currency: str = "KRW") -> int | float:
    """Read an amount greater than zero: whole for KRW, up to two decimals otherwise."""
    value = body.get(name)
    if value is None or value == "":
        raise ApiError(400, f"{name}은(는) 필수 항목입니다")
    return _amount(name, value, currency)


def optional_amount(body: Mapping[str, Any], name: str, currency: str = "KRW") -> int | float | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    return _amount(name, value, currency, allow_zero=True)


def optional_bool(body: Mapping[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ApiError(400, f"{name}은(는) true 또는 false여야 합니다: {value!r}")


def new_imp_uid(store: PaymentStore) -> str:
    """Return an imp_uid no stored payment has."""
    while True:
        imp_uid = f"imp_{secrets.randbelow(10**12):012d}"
        if imp_uid not in store:
            return imp_uid


def was_paid(store: PaymentStore, merchant_uid: str) -> bool:
    """Tell whether any payment of the merchant_uid was ever paid, refunded ones included."""
    page = store.find_all(merchant_uid, None, "-started", 1, 1000)
    return any(payment["paid_at"] > 0 for payment in page.items)


def change_payment(
    store: PaymentStore,
    imp_uid: str,
    check: Callable[[dict[str, Any]], None],
    apply: Callable[[PaymentRecord], None],
) -> dict[str, Any]:
    """Check a payment, change it under the store lock (checking again there) and return it.

    Raises ApiError 404 for an unknown imp_uid; `check` raises ApiError to reject.
    """
    payment = store.get(imp_uid)
    if payment is None:
        raise ApiError(404, MESSAGE_PAYMENT_NOT_FOUND)
    check(payment)

    def mutate(record: PaymentRecord) -> None:
        check(record.to_dict())
        apply(record)

    try:
        store.update(imp_uid, mutate)
    except KeyError:
        raise ApiError(404, MESSAGE_PAYMENT_NOT_FOUND) from None
    return store.get(imp_uid)


def paginate(items: list[Any], page: int, limit: int) -> tuple[list[Any], int, int]:
    """Return (rows, previous, next) of one page; previous and next are 0 where there is none."""
    last_page = max(1, math.ceil(len(items) / limit))
    start = (page - 1) * limit
    rows = items[start : start + limit]
    return rows, page - 1 if page > 1 else 0, page + 1 if page < last_page else 0


class Registry:
    """A lock and a dict, the state of one group of emulator routes.

    NOTE: ``/_emulator/reset`` reloads the payment store but leaves registries as they
    are (pre-registrations, receipts, billing keys, schedules). Start a new emulator
    for a clean state.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.items: dict[str, dict[str, Any]] = {}


def _amount(name: str, value: Any, currency: str, *, allow_zero: bool = False) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ApiError(400, f"{name}은(는) 숫자여야 합니다: {value!r}")
    try:
        number = float(value)
    except ValueError as exc:
        raise ApiError(400, f"{name}은(는) 숫자여야 합니다: {value!r}") from exc
    if not math.isfinite(number) or number < 0:
        raise ApiError(400, f"{name}은(는) 0 이상의 숫자여야 합니다: {value}")
    if number == 0 and not allow_zero:
        raise ApiError(400, f"{name}은(는) 0보다 커야 합니다: {value}")
    if currency in ZERO_DECIMAL_CURRENCIES:
        if number != int(number):
            raise ApiError(400, f"{currency} 금액({name})은 정수여야 합니다: {value}")
        return int(number)
    return round(number, 2)
