"""Handlers for the PortOne V1 endpoints the emulator serves.

Parameter names, limits and response shapes follow PortOne's V1 OpenAPI
spec. Error messages are Korean, as PortOne's are, but the wording is the
emulator's own.
"""

from __future__ import annotations

from .records import PAYMENT_STATUSES
from .routing import ApiError, Request, Response, Router, envelope
from .store import LIST_STATUSES, SORTINGS, PageOutOfRangeError

MAX_BULK_IDS = 100
MAX_PAGE_LIMIT = 1000
DEFAULT_PAGE_LIMIT = 20
MAX_LIST_WINDOW_SECONDS = 90 * 86_400

MESSAGE_PAYMENT_NOT_FOUND = "존재하지 않는 결제정보입니다"
MESSAGE_NO_PAYMENTS_FOUND = "조건에 맞는 결제건을 찾지 못했습니다"
MESSAGE_PAGE_OUT_OF_RANGE = "요청한 페이지가 조회 결과의 범위를 벗어났습니다"


def register_api_routes(router: Router) -> None:
    """Add the PortOne endpoints to `router`. Every route but getToken needs a token."""
    router.add("POST", "/users/getToken", get_token)
    router.add("GET", "/payments", get_payments, requires_token=True)
    router.add("GET", "/payments/find/{merchant_uid}", find_payment, requires_token=True)
    router.add("GET", "/payments/find/{merchant_uid}/{payment_status}", find_payment, requires_token=True)
    router.add("GET", "/payments/findAll/{merchant_uid}", find_all_payments, requires_token=True)
    router.add("GET", "/payments/findAll/{merchant_uid}/{payment_status}", find_all_payments, requires_token=True)
    router.add("GET", "/payments/status/{payment_status}", list_payments_by_status, requires_token=True)
    router.add("GET", "/payments/{imp_uid}", get_payment, requires_token=True)


def get_token(request: Request) -> Response:
    """POST /users/getToken: issue or reuse the access token for imp_key and imp_secret."""
    credentials = _read_credentials(request)
    imp_key = credentials.get("imp_key")
    imp_secret = credentials.get("imp_secret")
    if not isinstance(imp_key, str) or not isinstance(imp_secret, str) or not imp_key or not imp_secret:
        raise ApiError(401, "imp_key와 imp_secret을 모두 전달해야 합니다")
    tokens = request.emulator.tokens
    if not tokens.check_credentials(imp_key, imp_secret):
        raise ApiError(401, "imp_key 또는 imp_secret이 올바르지 않습니다")
    return envelope(tokens.issue())


def get_payment(request: Request) -> Response:
    """GET /payments/{imp_uid}: one payment, 404 when unknown."""
    payment = request.emulator.store.get(request.path_params["imp_uid"])
    if payment is None:
        raise ApiError(404, MESSAGE_PAYMENT_NOT_FOUND)
    return envelope(payment)


def get_payments(request: Request) -> Response:
    """GET /payments: payments by imp_uid[] and merchant_uid[], up to 100 ids in total.

    All found: 200. Some found: 207 with the found ones. None found: 404.
    """
    imp_uids = request.query.get("imp_uid[]", [])
    merchant_uids = request.query.get("merchant_uid[]", [])
    requested = len(imp_uids) + len(merchant_uids)
    if requested == 0:
        raise ApiError(400, "조회할 imp_uid[] 또는 merchant_uid[]를 하나 이상 전달해야 합니다")
    if requested > MAX_BULK_IDS:
        raise ApiError(400, f"한 번에 조회할 수 있는 결제건은 최대 {MAX_BULK_IDS}건입니다 (요청 {requested}건)")
    found = request.emulator.store.get_many(imp_uids, merchant_uids)
    if not found:
        raise ApiError(404, MESSAGE_NO_PAYMENTS_FOUND)
    return envelope(found, 200 if len(found) == requested else 207)


def find_payment(request: Request) -> Response:
    """GET /payments/find/{merchant_uid}[/{payment_status}]: the first match in `sorting` order."""
    status = _read_payment_status(request)
    sorting = _read_sorting(request)
    payment = request.emulator.store.find(request.path_params["merchant_uid"], status, sorting)
    if payment is None:
        raise ApiError(404, MESSAGE_PAYMENT_NOT_FOUND)
    return envelope(payment)


def find_all_payments(request: Request) -> Response:
    """GET /payments/findAll/{merchant_uid}[/{payment_status}]: one page of all matches."""
    status = _read_payment_status(request)
    sorting = _read_sorting(request)
    page = _read_int(request, "page", 1, minimum=1)
    limit = _read_int(request, "limit", DEFAULT_PAGE_LIMIT, minimum=1, maximum=MAX_PAGE_LIMIT)
    try:
        result = request.emulator.store.find_all(request.path_params["merchant_uid"], status, sorting, page, limit)
    except PageOutOfRangeError as exc:
        if exc.total == 0:
            raise ApiError(404, MESSAGE_PAYMENT_NOT_FOUND) from exc
        raise ApiError(400, MESSAGE_PAGE_OUT_OF_RANGE) from exc
    if result.total == 0:
        raise ApiError(404, MESSAGE_PAYMENT_NOT_FOUND)
    return envelope(result.to_dict())


def list_payments_by_status(request: Request) -> Response:
    """GET /payments/status/{payment_status}: one page of payments in a time window.

    `from` and `to` are inclusive UNIX seconds compared with the time of each
    payment's current status. `to` defaults to now and `from` to 90 days
    before `to`. A window longer than 90 days is rejected.
    """
    status = request.path_params["payment_status"]
    if status not in LIST_STATUSES:
        raise ApiError(400, f"지원하지 않는 결제상태입니다: {status} ({', '.join(LIST_STATUSES)} 중 하나여야 합니다)")
    sorting = _read_sorting(request)
    page = _read_int(request, "page", 1, minimum=1)
    limit = _read_int(request, "limit", DEFAULT_PAGE_LIMIT, minimum=1, maximum=MAX_PAGE_LIMIT)
    to_ts = _read_int(request, "to", request.emulator.clock.now())
    from_ts = _read_int(request, "from", to_ts - MAX_LIST_WINDOW_SECONDS)
    if to_ts < from_ts:
        raise ApiError(400, f"to({to_ts})는 from({from_ts})보다 이전일 수 없습니다")
    if to_ts - from_ts > MAX_LIST_WINDOW_SECONDS:
        raise ApiError(400, "조회 기간(to - from)은 90일을 넘을 수 없습니다")
    try:
        result = request.emulator.store.list_by_status(status, from_ts, to_ts, sorting, page, limit)
    except PageOutOfRangeError as exc:
        raise ApiError(400, MESSAGE_PAGE_OUT_OF_RANGE) from exc
    return envelope(result.to_dict())


def _read_credentials(request: Request) -> dict[str, object]:
    """Read imp_key and imp_secret from a JSON or form-urlencoded body."""
    if request.content_type == "application/json":
        data = request.json()
    elif request.content_type == "application/x-www-form-urlencoded":
        data = request.form()
    else:
        # Without a usable Content-Type, accept whichever of the two forms parses.
        try:
            data = request.json()
        except ApiError:
            data = request.form()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, "요청 본문은 JSON 객체여야 합니다")
    return data


def _read_payment_status(request: Request) -> str | None:
    status = request.path_params.get("payment_status")
    if status is not None and status not in PAYMENT_STATUSES:
        raise ApiError(400, f"지원하지 않는 결제상태입니다: {status} ({', '.join(PAYMENT_STATUSES)} 중 하나여야 합니다)")
    return status


def _read_sorting(request: Request) -> str:
    sorting = request.query_value("sorting") or "-started"
    if sorting not in SORTINGS:
        raise ApiError(400, f"지원하지 않는 정렬 기준입니다: {sorting} ({', '.join(SORTINGS)} 중 하나여야 합니다)")
    return sorting


def _read_int(request: Request, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = request.query_value(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, f"{name} 파라미터는 정수여야 합니다: {raw}") from exc
    if minimum is not None and value < minimum:
        raise ApiError(400, _range_message(name, value, minimum, maximum))
    if maximum is not None and value > maximum:
        raise ApiError(400, _range_message(name, value, minimum, maximum))
    return value


def _range_message(name: str, value: int, minimum: int | None, maximum: int | None) -> str:
    if maximum is None:
        return f"{name} 파라미터는 {minimum} 이상이어야 합니다: {value}"
    return f"{name} 파라미터는 {minimum} 이상 {maximum} 이하여야 합니다: {value}"
