"""Payment-schedule endpoints of the emulator: ``/subscribe/payments/schedule`` and friends.

An entry's life: ``scheduled`` when created, ``revoked`` by unschedule, or
``executed`` when the control API ``POST /_emulator/schedules/run`` charges every
entry whose ``schedule_at`` has come. Execution charges the billing key like
``/subscribe/payments/again`` and records the payment's ``imp_uid`` and status.
Entries are keyed by merchant_uid; a revoked one may be scheduled again.

List responses are plain arrays of entries, as PortOne's spec declares them (ScheduleResponse).

NOTE: the reschedule and retry routes of failed entries are not emulated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .fields import (
    Registry,
    optional_text,
    paginate,
    read_body,
    required_amount,
    required_future_time,
    required_text,
    was_paid,
)
from .routing import ApiError, Request, Response, Router, envelope, json_response

if TYPE_CHECKING:
    from .api_subscribe import SubscribeApi

SCHEDULE_STATUSES = ("scheduled", "executed", "revoked")
MAX_RANGE_SECONDS = 90 * 86_400
DEFAULT_LIMIT = 20
SORTINGS = ("-schedule_at", "schedule_at")
_ENTRY_TEXTS = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode", "custom_data", "notice_url")

MESSAGE_SCHEDULE_NOT_FOUND = "결제예약 정보가 없는 merchant_uid입니다"
MESSAGE_NOTHING_TO_REVOKE = "취소할 결제예약이 없습니다"
MESSAGE_NEED_CARD = "등록된 빌링키가 없는 customer_uid입니다. 카드정보(card_number, expiry)를 함께 전달해 주세요"
MESSAGE_KEY_DELETED = "빌링키가 삭제되어 예약결제를 실행할 수 없습니다"


class ScheduleApi:
    """Handlers of the schedule routes; charges go through the billing-key API."""

    def __init__(self, billing: SubscribeApi) -> None:
        self.billing = billing
        self.registry = Registry()

    def register(self, api_router: Router, control_router: Router) -> None:
        api_router.add("GET", "/subscribe/payments/schedule", self.find_by_range, requires_token=True)
        api_router.add("POST", "/subscribe/payments/schedule", self.schedule, requires_token=True)
        api_router.add("POST", "/subscribe/payments/unschedule", self.unschedule, requires_token=True)
        api_router.add(
            "GET", "/subscribe/payments/schedule/customers/{customer_uid}", self.find_by_customer, requires_token=True
        )
        api_router.add("GET", "/subscribe/customers/{customer_uid}/schedules", self.find_by_customer, requires_token=True)
        api_router.add("GET", "/subscribe/payments/schedule/{merchant_uid}", self.get, requires_token=True)
        api_router.add("PUT", "/subscribe/payments/schedule/{merchant_uid}", self.update, requires_token=True)
        control_router.add("POST", "/_emulator/schedules/run", self.run_due)

    def schedule(self, request: Request) -> Response:
        """POST /subscribe/payments/schedule: add entries for a billing key, all or none."""
        body = read_body(request)
        customer_uid = required_text(body, "customer_uid", 80)
        key = self._key_for(request, customer_uid, body)
        raw_entries = body.get("schedules")
        if not isinstance(raw_entries, list) or not raw_entries:
            raise ApiError(400, "schedules는 결제예약 항목의 JSON 배열이어야 하며 비어 있을 수 없습니다")

        now = request.emulator.clock.now()
        entries = [_read_entry(index, entry, now) for index, entry in enumerate(raw_entries)]
        merchant_uids = [entry["merchant_uid"] for entry in entries]
        duplicates = sorted({uid for uid in merchant_uids if merchant_uids.count(uid) > 1})
        if duplicates:
            raise ApiError(400, f"schedules 안에 같은 merchant_uid가 여러 번 있습니다: {', '.join(duplicates)}")

        store = request.emulator.store
        with self.registry.lock:
            for uid in merchant_uids:
                current = self.registry.items.get(uid)
                if current is not None and current["schedule_status"] != "revoked":
                    raise ApiError(400, f"이미 결제예약된 merchant_uid입니다: {uid}")
                if was_paid(store, uid):
                    raise ApiError(400, f"이미 결제가 완료된 merchant_uid입니다: {uid}")
            created = []
            for entry in entries:
                entry.update(
                    {
                        "customer_uid": customer_uid,
                        "customer_id": key.get("customer_id"),
                        "pg_provider": key["pg_provider"],
                        "pg_id": key["pg_id"],
                    }
                )
                self.registry.items[entry["merchant_uid"]] = entry
                created.append(_public(entry))
        return envelope(created)

    def unschedule(self, request: Request) -> Response:
        """POST /subscribe/payments/unschedule: revoke pending entries by merchant_uid or by billing key."""
        body = read_body(request)
        customer_uid = optional_text(body, "customer_uid")
        merchant_uids = body.get("merchant_uid")
        if isinstance(merchant_uids, str):
            merchant_uids = [merchant_uids]
        if merchant_uids is not None and (
            not isinstance(merchant_uids, list) or not all(isinstance(uid, str) for uid in merchant_uids)
        ):
            raise ApiError(400, f"merchant_uid는 문자열의 배열이어야 합니다: {merchant_uids!r}")
        if customer_uid is None and not merchant_uids:
            raise ApiError(400, "customer_uid 또는 merchant_uid 중 하나 이상을 전달해야 합니다")

        now = request.emulator.clock.now()
        with self.registry.lock:
            if merchant_uids:
                candidates = [self.registry.items[uid] for uid in merchant_uids if uid in self.registry.items]
            else:
                candidates = list(self.registry.items.values())
            revoked = []
            for entry in candidates:
                if entry["schedule_status"] != "scheduled":
                    continue
                if customer_uid is not None and entry["customer_uid"] != customer_uid:
                    continue
                entry["schedule_status"] = "revoked"
                entry["revoked_at"] = now
                revoked.append(_public(entry))
        if not revoked:
            raise ApiError(404, MESSAGE_NOTHING_TO_REVOKE)
        return envelope(revoked)

    def get(self, request: Request) -> Response:
        """GET /subscribe/payments/schedule/{merchant_uid}: one entry; 404 when unknown."""
        with self.registry.lock:
            entry = self.registry.items.get(request.path_params["merchant_uid"])
            if entry is None:
                raise ApiError(404, MESSAGE_SCHEDULE_NOT_FOUND)
            return envelope(_public(entry))

    def update(self, request: Request) -> Response:
        """PUT /subscribe/payments/schedule/{merchant_uid}: move a pending entry to a new schedule_at."""
        body = read_body(request)
        schedule_at = required_future_time(body, "schedule_at", request.emulator.clock.now())
        with self.registry.lock:
            entry = self.registry.items.get(request.path_params["merchant_uid"])
            if entry is None:
                raise ApiError(404, MESSAGE_SCHEDULE_NOT_FOUND)
            if entry["schedule_status"] != "scheduled":
                raise ApiError(400, f"이미 {entry['schedule_status']} 상태인 결제예약은 변경할 수 없습니다")
            entry["schedule_at"] = schedule_at
            return envelope(_public(entry))

    def find_by_range(self, request: Request) -> Response:
        """GET /subscribe/payments/schedule: one page of entries with schedule_at in [schedule_from, schedule_to]."""
        first, last = _read_range(request, "schedule_from", "schedule_to")
        status = _read_status(request, "schedule_status")
        page = _read_positive(request, "page", 1)
        limit = _read_positive(request, "limit", DEFAULT_LIMIT)
        sorting = request.query_value("sorting") or "-schedule_at"
        if sorting not in SORTINGS:
            raise ApiError(400, f"지원하지 않는 정렬 기준입니다: {sorting} ({', '.join(SORTINGS)} 중 하나여야 합니다)")

        rows = self._select(first, last, status, descending=sorting.startswith("-"))
        page_rows, _, _ = paginate(rows, page, limit)
        return envelope(page_rows)

    def find_by_customer(self, request: Request) -> Response:
        """GET schedules of one billing key with schedule_at in [from, to], newest first, 20 a page."""
        customer_uid = request.path_params["customer_uid"]
        first, last = _read_range(request, "from", "to")
        status = _read_status(request, "schedule-status")
        page = _read_positive(request, "page", 1)

        rows = self._select(first, last, status, descending=True, customer_uid=customer_uid)
        page_rows, _, _ = paginate(rows, page, DEFAULT_LIMIT)
        return envelope(page_rows)

    def run_due(self, request: Request) -> Response:
        """POST /_emulator/schedules/run: charge every scheduled entry whose schedule_at has come."""
        now = request.emulator.clock.now()
        with self.registry.lock:
            due = [
                entry
                for entry in self.registry.items.values()
                if entry["schedule_status"] == "scheduled" and entry["schedule_at"] <= now
            ]
            executed = []
            for entry in sorted(due, key=lambda item: (item["schedule_at"], item["merchant_uid"])):
                self._execute(request, entry, now)
                executed.append(_public(entry))
        return json_response({"executed": executed})

    def _execute(self, request: Request, entry: dict[str, Any], now: int) -> None:
        entry["schedule_status"] = "executed"
        entry["executed_at"] = now
        with self.billing.keys.lock:
            key = self.billing.keys.items.get(entry["customer_uid"])
        if key is None:
            entry["payment_status"] = "failed"
            entry["fail_reason"] = MESSAGE_KEY_DELETED
            return

        charge_body = {name: entry.get(name) for name in ("merchant_uid", "amount", "currency", "name", *_ENTRY_TEXTS)}
        try:
            payment = self.billing.charge(request, dict(key), charge_body)
        except ApiError as exc:
            entry["payment_status"] = "failed"
            entry["fail_reason"] = exc.message
            return
        entry["imp_uid"] = payment["imp_uid"]
        entry["payment_status"] = payment["status"]
        entry["fail_reason"] = payment["fail_reason"]

    def _key_for(self, request: Request, customer_uid: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.billing.keys.lock:
            key = self.billing.keys.items.get(customer_uid)
        if key is not None:
            return dict(key)
        if body.get("card_number") in (None, ""):
            raise ApiError(400, MESSAGE_NEED_CARD)
        return self.billing.save_card(request, customer_uid, body)

    def _select(
        self, first: int, last: int, status: str | None, *, descending: bool, customer_uid: str | None = None
    ) -> list[dict[str, Any]]:
        with self.registry.lock:
            rows = [
                _public(entry)
                for entry in self.registry.items.values()
                if first <= entry["schedule_at"] <= last
                and (status is None or entry["schedule_status"] == status)
                and (customer_uid is None or entry["customer_uid"] == customer_uid)
            ]
        rows.sort(key=lambda row: (row["schedule_at"], row["merchant_uid"]), reverse=descending)
        return rows


def _read_entry(index: int, raw: Any, now: int) -> dict[str, Any]:
    """Check one ScheduleAnnotation and return the stored entry."""
    if not isinstance(raw, dict):
        raise ApiError(400, f"schedules[{index}]는 JSON 객체여야 합니다")
    currency = required_text(raw, "currency")
    entry = {
        "merchant_uid": required_text(raw, "merchant_uid", 40),
        "imp_uid": None,
        "schedule_at": required_future_time(raw, "schedule_at", now),
        "executed_at": 0,
        "revoked_at": 0,
        "amount": required_amount(raw, "amount", currency),
        "currency": currency,
        "name": required_text(raw, "name", 40),
        "schedule_status": "scheduled",
        "payment_status": None,
        "fail_reason": None,
        "promotion_id": optional_text(raw, "promotion_id"),
    }
    for name in _ENTRY_TEXTS:
        entry[name] = optional_text(raw, name)
    return entry


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    """Return an entry in ScheduleResultAnnotation's shape (notice_url is kept internal)."""
    return {name: value for name, value in entry.items() if name != "notice_url"}


def _read_range(request: Request, first_name: str, last_name: str) -> tuple[int, int]:
    first = _read_required_int(request, first_name)
    last = _read_required_int(request, last_name)
    if last < first:
        raise ApiError(400, f"{last_name}({last})는 {first_name}({first})보다 이전일 수 없습니다")
    if last - first > MAX_RANGE_SECONDS:
        raise ApiError(400, "조회 기간은 최대 90일(3개월)입니다")
    return first, last


def _read_required_int(request: Request, name: str) -> int:
    raw = request.query_value(name)
    if raw in (None, ""):
        raise ApiError(400, f"{name} 파라미터는 필수 항목입니다")
    if not raw.isdigit():
        raise ApiError(400, f"{name} 파라미터는 UNIX timestamp(초) 정수여야 합니다: {raw}")
    return int(raw)


def _read_positive(request: Request, name: str, default: int) -> int:
    raw = request.query_value(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, f"{name} 파라미터는 1 이상의 정수여야 합니다: {raw}")
    return int(raw)


def _read_status(request: Request, name: str) -> str | None:
    status = request.query_value(name)
    if status in (None, ""):
        return None
    if status not in SCHEDULE_STATUSES:
        raise ApiError(400, f"지원하지 않는 예약상태입니다: {status} ({', '.join(SCHEDULE_STATUSES)} 중 하나여야 합니다)")
    return status
